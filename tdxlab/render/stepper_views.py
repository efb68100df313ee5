"""HTML builders for the Stepper's text panels: event line, active VTLs, register table, banner.

Pure functions from small view models to HTML strings, so they are unit-tested
without a browser and reused by anything that wants the same panels (a static
report, a docs page).  The byte grids and hex dumps come from
:mod:`tdxlab.render.html_grid`; this module only frames them.

Every text that reaches the page goes through :func:`html.escape` here: trace
files and design variant names are user input.  Styling is inline (plus stable
``tdxlab-*`` class names for tests and for readers who want their own CSS),
with explicit foreground *and* background colours so the panels stay readable
under JupyterLab's dark theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tdxlab import describe
from tdxlab.owners import Owner
from tdxlab.palette import label_colour, owner_colour
from tdxlab.render.css import FONT, MONO

#: Colours of the panels (explicit pairs: readable on light and dark themes).
BANNER_BG = "#b3261e"
BANNER_FG = "#ffffff"
MISMATCH_BG = "#ffd6d3"
MISMATCH_FG = "#7a0b05"
NEUTRAL_BG = "#f4f4f6"
NEUTRAL_FG = "#1d1d1f"
ACCENT_BG = "#1f5aa6"
ACCENT_FG = "#ffffff"
MUTED_FG = "#5f6368"

_NUM = 'style="text-align: right; padding: 1px 6px; white-space: nowrap;"'


def _hex(value: int | None) -> str:
    """Hex of a register value (unpadded: a 16-byte XMM value would widen every column), or a dash."""
    if value is None:
        return "—"
    return f"{value:#x}"


# --- event line ---------------------------------------------------------------------------------
def event_html(position: str, event: str, note: str = "", detail: str = "") -> str:
    """The step line: where we are, the event in words, and what the simulator did.

    ``position`` is e.g. "Step 14 of 0–30 · design naive"; ``event`` the event in words;
    ``note`` the simulator's note; ``detail`` a further sentence (e.g. the next event).
    """
    parts = [
        f'<div class="tdxlab-event" style="{FONT} padding: 6px 10px; border-left: 4px solid '
        f'{ACCENT_BG}; background: {NEUTRAL_BG}; color: {NEUTRAL_FG};">',
        f'<div class="tdxlab-position" style="color: {MUTED_FG};">{escape(position)}</div>',
        f'<div class="tdxlab-event-text" style="font-weight: 600;">{escape(event)}</div>',
    ]
    if note:
        parts.append(f'<div class="tdxlab-note">{escape(note)}</div>')
    if detail:
        parts.append(f'<div class="tdxlab-detail" style="color: {MUTED_FG};">{escape(detail)}</div>')
    parts.append("</div>")
    return "".join(parts)


# --- active VTL per VP --------------------------------------------------------------------------
def active_vtls_html(
    active: Sequence[int],
    vtl1_enabled: Sequence[bool],
    *,
    shown: int | None = None,
    touched: int | None = None,
) -> str:
    """One chip per VP: its current lower VTL, whether VTL 1 is enabled, which VP is shown.

    ``touched`` is the VP of the current event (bold border); ``shown`` the VP whose pages
    are drawn below (filled accent).  Chips are small so 64 VPs fit in a few lines.
    """
    if len(active) != len(vtl1_enabled):
        raise ValueError(f"active has {len(active)} VPs but vtl1_enabled has {len(vtl1_enabled)}")
    chips = []
    for vp, (vtl, enabled) in enumerate(zip(active, vtl1_enabled, strict=True)):
        fg, bg = (ACCENT_FG, ACCENT_BG) if vp == shown else (NEUTRAL_FG, NEUTRAL_BG)
        border = f"2px solid {NEUTRAL_FG}" if vp == touched else f"1px solid {MUTED_FG}"
        title = describe.vp_chip_title(vp, vtl, enabled=enabled, shown=vp == shown, touched=vp == touched)
        chips.append(
            f'<span class="tdxlab-vp" data-vp="{vp}" data-vtl="{vtl}" title="{escape(title)}" '
            f'style="display: inline-block; margin: 1px; padding: 0 4px; border: {border}; '
            f'border-radius: 3px; background: {bg}; color: {fg}; {MONO}">'
            f"{vp}:{vtl}{'' if enabled else '·'}</span>"
        )
    legend = f'<span style="color: {MUTED_FG};">{escape(describe.VP_CHIPS_LEGEND)}</span><br>'
    return f'<div class="tdxlab-vps" style="{FONT}">{legend}{"".join(chips)}</div>'


# --- truth versus observed ----------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterCell:
    """One VTL's view of one register at its entry: what it had to observe and what it did."""

    expected: int | None
    observed: int | None

    @property
    def mismatch(self) -> bool:
        """True when the VTL observed something other than the truth (a violation)."""
        return self.expected is not None and self.observed is not None and self.expected != self.observed


@dataclass(frozen=True)
class RegisterRow:
    """One register of the table: its name, its architectural class, one cell per VTL."""

    reg: str
    owner: str
    cells: tuple[RegisterCell, ...]

    @property
    def mismatch(self) -> bool:
        """True when any VTL observed this register wrongly."""
        return any(c.mismatch for c in self.cells)


def _owner_cell(owner: str) -> str:
    """The class column, in the byte grid's colour for that class (same key everywhere)."""
    try:
        known = Owner(owner)
    except ValueError:
        return f'<td style="color: {MUTED_FG};">{escape(owner)}</td>'
    return (f'<td class="tdxlab-{known.value}" style="background: {owner_colour(known)}; '
            f'color: {label_colour(known)};">{escape(owner)}</td>')


def register_table_html(headings: Sequence[str], rows: Sequence[RegisterRow], caption: str = "") -> str:
    """The truth-versus-observed table: per VTL, 'must observe' and 'observed', mismatches red.

    ``headings`` has one entry per VTL (e.g. "VTL 0 — entered at step 30"), matching
    ``RegisterRow.cells``.  Mismatched cells carry the class ``tdxlab-mismatch`` and a
    tooltip, so the colour is not the only signal.
    """
    for row in rows:
        if len(row.cells) != len(headings):
            raise ValueError(f"register {row.reg}: {len(row.cells)} cells for {len(headings)} VTL headings")
    th = f'style="position: sticky; top: 0; background: {NEUTRAL_BG}; color: {NEUTRAL_FG}; padding: 2px 6px;"'
    head1 = "".join(f'<th colspan="2" {th}>{escape(h)}</th>' for h in headings)
    head2 = "".join(f"<th {th}>must observe</th><th {th}>observed</th>" for _ in headings)
    body = []
    for row in rows:
        cells = []
        for cell in row.cells:
            exp, obs = _hex(cell.expected), _hex(cell.observed)
            if cell.mismatch:
                tip = escape(describe.mismatch_tooltip(row.reg, exp, obs))
                style = (f'style="background: {MISMATCH_BG}; color: {MISMATCH_FG}; font-weight: 700; '
                         'text-align: right; padding: 1px 6px; white-space: nowrap;"')
                cells.append(f'<td {_NUM}>{exp}</td><td class="tdxlab-mismatch" title="{tip}" {style}>'
                             f"{obs} ✗</td>")
            else:
                cells.append(f"<td {_NUM}>{exp}</td><td {_NUM}>{obs}</td>")
        cls = ' class="tdxlab-row-mismatch"' if row.mismatch else ""
        body.append(f'<tr{cls} data-reg="{escape(row.reg)}">'
                    f'<td style="font-weight: 600;">{escape(row.reg)}</td>'
                    f"{_owner_cell(row.owner)}{''.join(cells)}</tr>")
    cap = (f'<caption style="caption-side: top; text-align: left; color: {MUTED_FG}; {FONT}">'
           f"{escape(caption)}</caption>" if caption else "")
    return (
        f'<div class="tdxlab-registers" style="max-height: 320px; overflow: auto; margin: 6px 0; {MONO}">'
        f'<table style="border-collapse: collapse; color: {NEUTRAL_FG}; background: #ffffff;">{cap}'
        f'<thead><tr><th {th}>register</th><th {th}>class</th>{head1}</tr>'
        f"<tr><th {th}></th><th {th}></th>{head2}</tr></thead>"
        f'<tbody>{"".join(body)}</tbody></table></div>'
    )


# --- violation banner ---------------------------------------------------------------------------
def banner_html(title: str, lines: Sequence[str]) -> str:
    """The red banner naming each violation of this step; empty string when there is none.

    Empty (not hidden) on purpose: no stale banner can linger in the page, and a test
    (or a reader) finds a ``tdxlab-banner`` element exactly when something went wrong.
    The list scrolls past ~10 lines so a step with many violations cannot push the
    register table and the bytes off screen; callers put the most telling lines first.
    """
    if not lines:
        return ""
    li = 'style="margin: 0; padding: 1px 0; line-height: 1.3;"'
    items = "".join(f'<li class="tdxlab-violation" {li}>{escape(line)}</li>' for line in lines)
    return (
        f'<div class="tdxlab-banner" role="alert" style="{FONT} background: {BANNER_BG}; '
        f'color: {BANNER_FG}; padding: 8px 12px; border-radius: 4px;">'
        f'<div style="font-weight: 700; font-size: 14px;">⚠ {escape(title)}</div>'
        f'<ul style="margin: 4px 0 0 0; padding-left: 20px; max-height: 230px; overflow-y: auto;">'
        f"{items}</ul></div>"
    )


def error_html(message: str) -> str:
    """The widget's error line (bad input); empty string when there is no error."""
    if not message:
        return ""
    return (f'<div class="tdxlab-error" style="{FONT} color: {MISMATCH_FG}; background: {MISMATCH_BG}; '
            f'padding: 4px 8px;">{escape(message)}</div>')


# --- page sections ------------------------------------------------------------------------------
def section_html(title: str, body: str, subtitle: str = "", *, cls: str = "tdxlab-page") -> str:
    """A titled block around trusted HTML (``body`` is not escaped: it comes from html_grid)."""
    sub = f'<div style="color: {MUTED_FG};">{escape(subtitle)}</div>' if subtitle else ""
    return (f'<div class="{escape(cls)}" style="{FONT} margin: 6px 0;">'
            f'<div style="font-weight: 600;">{escape(title)}</div>{sub}{body}</div>')


__all__ = [
    "RegisterCell",
    "RegisterRow",
    "active_vtls_html",
    "banner_html",
    "error_html",
    "event_html",
    "register_table_html",
    "section_html",
]
