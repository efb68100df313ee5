"""Byte grids and hex dumps as single HTML strings (no matplotlib, no ipywidgets).

Why HTML strings: a 4 KiB page is 4096 bytes, and a widget per byte (or per field)
would make the browser crawl.  The convention (``shared/CONVENTIONS.md``, item 7) is
*one* ``widgets.HTML`` per page view, whose value is the string built here; hovering a
span shows its field in a native ``title=`` tooltip.  Being pure string building, the
same functions serve the widgets, static reports and tests, and the matplotlib
renderer (:mod:`tdxlab.render.bytegrid`) reuses the geometry helpers at the top of
this module so both views agree on which rows and bytes are drawn.

Size and speed: consecutive bytes of the same field on one cache line are merged into
one ``<span>`` (a 4 KiB page is a few hundred spans, not 4096), styles are inline (no
global CSS that could leak into or be stripped from a notebook), and every text that
reaches the page goes through :func:`html.escape`.

Offsets: ``highlight`` and ``changed`` are byte offsets *relative to the structure*
(the same numbers as :class:`~tdxlab.layout.engine.Row` offsets and as indices into
``data``); ``base`` only shifts the offsets the reader sees, e.g. ``base=0x110`` shows
``tdx_vp_context`` at its run-page addresses.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from html import escape

import numpy as np

from tdxlab import describe
from tdxlab.layout.engine import CACHE_LINE, Layout, LayoutError, Row, RowKind
from tdxlab.owners import Owner
from tdxlab.palette import (
    CHANGED,
    CHANGED_HALO,
    HIGHLIGHT,
    HIGHLIGHT_HALO,
    OUTSIDE,
    OWNER_SWATCHES,
)
from tdxlab.render.css import MONO, SMALL_FONT

#: Owner code of bytes that belong to no structure (after the ``Owner`` codes of ``owner_bytes``).
OUTSIDE_CODE = len(Owner)
#: What the byte grid is allowed to show at most (a 2 MiB page would be 32768 rows).
MAX_GRID_BYTES = 1 << 16

#: Which bytes to mark: offsets relative to the structure, as a range or any collection.
Marks = range | Collection[int]


# --- geometry shared with tdxlab.render.bytegrid ---------------------------------------------------
@dataclass(frozen=True)
class GridSpan:
    """Which absolute bytes a grid draws: whole cache lines from ``start`` to ``end``.

    Rows are real cache lines (64-byte aligned absolute offsets), so a structure drawn
    at ``base=0x110`` starts 16 bytes into its first row, exactly as it sits in memory;
    the bytes of a row that the structure does not cover are drawn as *outside*.
    """

    base: int
    size: int
    start: int
    end: int
    page_size: int | None

    @property
    def lines(self) -> int:
        """Number of rows (cache lines) drawn."""
        return (self.end - self.start) // CACHE_LINE

    @property
    def outside_label(self) -> str:
        """What the bytes outside the structure are, in words."""
        return describe.outside_label(page_tail=self.page_size is not None)

    def line_offsets(self) -> list[int]:
        """Absolute offset of the first byte of each row."""
        return list(range(self.start, self.end, CACHE_LINE))


def grid_span(layout: Layout, base: int = 0, page_size: int | None = None) -> GridSpan:
    """The rows needed to draw ``layout`` at ``base`` (the whole page when ``page_size`` is given)."""
    if base < 0:
        raise LayoutError(f"{layout.name}: base {base:#x} is negative")
    if page_size is not None:
        if page_size <= 0 or page_size % CACHE_LINE:
            raise LayoutError(f"page_size {page_size} is not a positive multiple of {CACHE_LINE}")
        if base + layout.size > page_size:
            raise LayoutError(
                f"{layout.name} ({layout.size} bytes at {base:#x}) does not fit a {page_size}-byte page"
            )
        start, end = 0, page_size
    else:
        start = base - base % CACHE_LINE
        end = -(-(base + layout.size) // CACHE_LINE) * CACHE_LINE
    if end - start > MAX_GRID_BYTES:
        raise LayoutError(f"a byte grid of {end - start} bytes is too large (at most {MAX_GRID_BYTES})")
    return GridSpan(base, layout.size, start, end, page_size)


def grid_codes(layout: Layout, span: GridSpan) -> np.ndarray:
    """One owner code per drawn byte (``list(Owner)`` index, :data:`OUTSIDE_CODE` outside)."""
    codes = np.full(span.end - span.start, OUTSIDE_CODE, dtype=np.uint8)
    lo = span.base - span.start
    codes[lo : lo + layout.size] = layout.owner_bytes()
    return codes


def leaf_index(layout: Layout) -> tuple[list[Row], np.ndarray]:
    """The leaf rows of ``layout`` and, per byte of the structure, the index of its leaf."""
    leaves = layout.leaves()
    index = np.empty(layout.size, dtype=np.int32)
    for i, r in enumerate(leaves):
        index[r.offset : r.end] = i
    return leaves, index


def _named(layout: Layout) -> str:
    return f"{layout.name} ({layout.size} bytes)"


def mark_mask(layout: Layout, marks: Marks | None, what: str) -> np.ndarray:
    """Boolean mask over the structure's bytes for ``marks``; one-line error if out of range."""
    mask = np.zeros(layout.size, dtype=bool)
    if marks is None:
        return mask
    if isinstance(marks, range):
        if marks.step != 1:
            raise LayoutError(f"{what}: range step must be 1, got {marks.step}")
        if len(marks) == 0:
            return mask
        lo, hi = marks.start, marks.stop
        if lo < 0 or hi > layout.size:
            raise LayoutError(f"{what}: bytes {lo:#x}..{hi:#x} are outside {_named(layout)}")
        mask[lo:hi] = True
        return mask
    offsets = np.fromiter(marks, dtype=np.int64)
    if offsets.size:
        bad = offsets[(offsets < 0) | (offsets >= layout.size)]
        if bad.size:
            raise LayoutError(f"{what}: offset {int(bad[0]):#x} is outside {_named(layout)}")
        mask[offsets] = True
    return mask


def _runs(keys: np.ndarray) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each run of equal rows in ``keys`` (shape (n, k))."""
    n = keys.shape[0]
    if n == 0:
        return
    change = np.flatnonzero(np.any(keys[1:] != keys[:-1], axis=1)) + 1
    yield from itertools.pairwise([0, *change.tolist(), n])


# --- styling ----------------------------------------------------------------------------------------
_FG, _BG, _MUTED = "#1d1d1f", "#ffffff", "#5f6368"
#: Width of one byte in the HTML grid, in CSS pixels (64 bytes -> 640 px per line).
BYTE_PX = 10
_ROW_PX = 14
#: Every byte span: fixed width (no flex shrinking in a narrow output area), 1 px gap = field edge.
_CELL = "flex: none; margin-right: 1px;"
_OFF_PX = 56  # the offset column, in px so the ruler above lines up whatever the fonts
_HL_CSS = f"box-shadow: inset 0 0 0 2px {HIGHLIGHT}, inset 0 0 0 3px {HIGHLIGHT_HALO};"
_CH_CSS = f"box-shadow: inset 0 0 0 1px {CHANGED_HALO}, inset 0 0 0 3px {CHANGED};"
_HLCH_CSS = (f"box-shadow: inset 0 0 0 2px {HIGHLIGHT}, inset 0 0 0 3px {CHANGED_HALO}, "
             f"inset 0 0 0 5px {CHANGED};")
_OWNERS = list(Owner)
_OWNER_CSS = [OWNER_SWATCHES[o].css() for o in _OWNERS] + [OUTSIDE.css()]
# The hex dump prints text on the fill, so fillers get their plain fill there (a pattern behind
# hex digits hurts legibility); the grid, which has no text, shows the patterns.
_SOLID_CSS = [f"background-color:{OWNER_SWATCHES[o].fill};color:{OWNER_SWATCHES[o].label};" for o in _OWNERS]
_OWNER_CLS = [f"tdxlab-{o.value}" for o in _OWNERS] + ["tdxlab-outside"]


def _mark_css(hl: bool, ch: bool) -> tuple[str, str]:
    if hl and ch:
        return " tdxlab-highlight tdxlab-changed", _HLCH_CSS
    if hl:
        return " tdxlab-highlight", _HL_CSS
    if ch:
        return " tdxlab-changed", _CH_CSS
    return "", ""


def _value_note(row: Row, data: bytes | bytearray | memoryview | None, base: int) -> str:
    """A short value line for a tooltip: the integer for small fields, leading bytes otherwise."""
    if data is None or row.end > len(data):
        return ""
    raw = bytes(data[row.offset : row.end])
    as_integer = row.size <= 8 and "[" not in row.type
    return "\n" + describe.byte_value_note(base + row.offset, raw, as_integer=as_integer)


def _tooltips(leaves: list[Row], base: int,
              data: bytes | bytearray | memoryview | None) -> list[str]:
    # Newlines become &#10;: browsers still break the tooltip there, and the HTML stays one line.
    return [escape(describe.row_tooltip(r, base=base) + _value_note(r, data, base)).replace("\n", "&#10;")
            for r in leaves]


def legend_entries(owners: Collection[Owner]) -> list[tuple[Owner, str]]:
    """``(owner, phrase)`` for the owners present, in :func:`tdxlab.describe.owner_legend` order."""
    ordered = [*describe.owner_legend()]
    ordered += [(o, describe.owner_phrase(o)) for o in _OWNERS if o not in dict(ordered)]
    return [(o, phrase) for o, phrase in ordered if o in owners]


def legend_html(owners: Collection[Owner], *, outside: str | None = None,
                highlight: bool = False, changed: bool = False) -> str:
    """A one-line key: a swatch and the phrase of :func:`tdxlab.describe.owner_legend` per owner."""
    items = [(f"tdxlab-{o.value}", OWNER_SWATCHES[o].css(), phrase) for o, phrase in legend_entries(owners)]
    if outside is not None:
        items.append(("tdxlab-outside", OUTSIDE.css() + "border: 1px solid #bbb;", outside))
    if highlight:
        items.append(("tdxlab-highlight", f"background:{_BG};" + _HL_CSS, describe.HIGHLIGHT_KEY))
    if changed:
        items.append(("tdxlab-changed", f"background:{_BG};" + _CH_CSS, describe.CHANGED_KEY))
    cells = "".join(
        f'<span class="tdxlab-key" style="display: inline-flex; align-items: center; '
        f'margin: 2px 12px 2px 0;">'
        f'<span class="{cls}" style="{css} display: inline-block; width: 22px; height: {_ROW_PX}px; '
        f'margin-right: 4px;"></span>{escape(text)}</span>'
        for cls, css, text in items
    )
    return f'<div class="tdxlab-legend" style="margin-top: 6px; line-height: 1.6;">{cells}</div>'


def byte_grid_html(
    layout: Layout,
    data: bytes | bytearray | memoryview | None = None,
    *,
    base: int = 0,
    highlight: Marks | None = None,
    changed: Marks | None = None,
    caption: str | None = None,
    page_size: int | None = None,
    legend: bool = True,
) -> str:
    """The whole byte grid of ``layout`` as ONE HTML string: one line per 64-byte cache line.

    Each line is a row of spans, one per run of bytes of the same field (and same
    highlight/changed state), coloured by owner, with a ``title=`` tooltip from
    :func:`tdxlab.describe.row_tooltip` (plus the value when ``data`` is given), and
    ``data-path``/``data-start``/``data-end`` attributes naming the field and its
    absolute bytes.  ``highlight`` bytes get a black outline, ``changed`` bytes a
    yellow one.  ``page_size`` draws the whole page, the rest as unused page tail.
    """
    span = grid_span(layout, base, page_size)
    if data is not None and len(data) < layout.size:
        raise LayoutError(f"{layout.name}: {len(data)} bytes of data, the structure needs {layout.size}")
    leaves, index = leaf_index(layout)
    tips = _tooltips(leaves, base, data)
    hl = mark_mask(layout, highlight, "highlight")
    ch = mark_mask(layout, changed, "changed")
    n = span.end - span.start
    lo = base - span.start
    # Per drawn byte: leaf index (-1 outside), highlight, changed.  Runs of equal keys -> spans.
    keys = np.full((n, 3), -1, dtype=np.int32)
    keys[:, 1:] = 0
    keys[lo : lo + layout.size, 0] = index
    keys[lo : lo + layout.size, 1] = hl
    keys[lo : lo + layout.size, 2] = ch
    outside_tip = escape(span.outside_label)
    paths = [escape(r.path) for r in leaves]
    codes = [_OWNERS.index(r.owner) for r in leaves]
    out = [f'<div class="tdxlab-bytegrid" style="{SMALL_FONT} color: {_FG}; background: {_BG}; '
           f'padding: 6px; display: inline-block;">']
    if caption:
        out.append(f'<div class="tdxlab-caption" style="font-weight: 600; margin-bottom: 4px;">'
                   f"{escape(caption)}</div>")
    row_style = f"display: flex; height: {_ROW_PX}px; margin-bottom: 1px;"
    off_style = (f"{MONO} flex: none; width: {_OFF_PX}px; color: {_MUTED}; text-align: right; "
                 f"padding-right: 6px; line-height: {_ROW_PX}px;")
    ruler = "".join(f'<span style="flex: none; width: {8 * BYTE_PX}px; text-align: left;">+{c:#04x}</span>'
                    for c in range(0, CACHE_LINE, 8))
    out.append(f'<div class="tdxlab-ruler" style="display: flex; {MONO} font-size: 10px; color: {_MUTED};">'
               f'<span style="flex: none; width: {_OFF_PX}px; padding-right: 6px;"></span>{ruler}</div>')
    used_owners: set[Owner] = set()
    has_outside = False
    for line in range(span.lines):
        a = line * CACHE_LINE
        addr = span.start + a
        out.append(f'<div class="tdxlab-line" data-offset="{addr:#x}" style="{row_style}">'
                   f'<span class="tdxlab-off" style="{off_style}">{addr:#05x}</span>')
        for s, e in _runs(keys[a : a + CACHE_LINE]):
            leaf, is_hl, is_ch = (int(v) for v in keys[a + s])
            width = (e - s) * BYTE_PX - 1
            start, end = addr + s, addr + e
            if leaf < 0:
                has_outside = True
                out.append(f'<span class="tdxlab-b tdxlab-outside" data-start="{start:#x}" '
                           f'data-end="{end:#x}" title="{outside_tip}" '
                           f'style="{_OWNER_CSS[OUTSIDE_CODE]} {_CELL} width: {width}px;"></span>')
                continue
            code = codes[leaf]
            used_owners.add(_OWNERS[code])
            mcls, mcss = _mark_css(bool(is_hl), bool(is_ch))
            out.append(f'<span class="tdxlab-b {_OWNER_CLS[code]}{mcls}" data-path="{paths[leaf]}" '
                       f'data-start="{start:#x}" data-end="{end:#x}" title="{tips[leaf]}" '
                       f'style="{_OWNER_CSS[code]} {_CELL} width: {width}px; {mcss}"></span>')
        out.append("</div>")
    if legend:
        out.append(legend_html(used_owners, outside=span.outside_label if has_outside else None,
                               highlight=bool(hl.any()), changed=bool(ch.any())))
    out.append("</div>")
    return "".join(out)


def hexdump_html(
    layout: Layout,
    data: bytes | bytearray | memoryview,
    base: int = 0,
    highlight: Marks | None = None,
) -> str:
    """A hex dump with field names: ``offset | 16 hex bytes | fields on this line``.

    Bytes are coloured by owner and carry their field in a tooltip; ``highlight``
    bytes are bold and outlined.  Bytes of ``data`` beyond the structure are shown
    as the unused page tail.
    """
    if len(data) < layout.size:
        raise LayoutError(f"{layout.name}: {len(data)} bytes of data, the structure needs {layout.size}")
    leaves, index = leaf_index(layout)
    hl = mark_mask(layout, highlight, "highlight")
    raw = bytes(data)
    n = len(raw)
    keys = np.full((n, 2), -1, dtype=np.int32)
    keys[:, 1] = 0
    keys[: layout.size, 0] = index
    keys[: layout.size, 1] = hl
    tips = _tooltips(leaves, base, None)
    lines = []
    for a in range(0, n, 16):
        cells = []
        names: list[str] = []
        for s, e in _runs(keys[a : a + 16]):
            leaf, is_hl = (int(v) for v in keys[a + s])
            text = raw[a + s : a + e].hex(" ")
            if leaf < 0:
                cells.append(f'<span class="tdxlab-outside" title="unused page tail">{text}</span>')
                if "(unused page tail)" not in names:
                    names.append("(unused page tail)")
                continue
            r = leaves[leaf]
            code = _OWNERS.index(r.owner)
            mark = (' tdxlab-highlight" style="font-weight: 700; text-decoration: underline; '
                    f'{_SOLID_CSS[code]} {_HL_CSS}' if is_hl else f'" style="{_SOLID_CSS[code]}')
            cells.append(f'<span class="{_OWNER_CLS[code]}{mark}" title="{tips[leaf]}">{text}</span>')
            if r.kind is not RowKind.HOLE:
                name = r.path if r.offset >= a else f"{r.path} (cont.)"
                if name not in names:
                    names.append(name)
        lines.append(
            f'<div class="tdxlab-hexline" style="white-space: pre;">'
            f'<span class="tdxlab-hoff" style="color: {_MUTED};">{base + a:#06x}</span>  '
            + " ".join(cells)
            + f'  <span class="tdxlab-hnames" style="color: {_MUTED};">{escape(", ".join(names))}</span>'
            + "</div>"
        )
    return (f'<div class="tdxlab-hexdump" style="{MONO} color: {_FG}; background: {_BG}; padding: 6px; '
            f'overflow-x: auto;">{"".join(lines)}</div>')


__all__ = [
    "BYTE_PX",
    "MAX_GRID_BYTES",
    "OUTSIDE_CODE",
    "GridSpan",
    "Marks",
    "byte_grid_html",
    "grid_codes",
    "grid_span",
    "hexdump_html",
    "leaf_index",
    "legend_entries",
    "legend_html",
    "mark_mask",
]
