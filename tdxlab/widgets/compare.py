"""The design comparison widget: pick a trace, see the four designs side by side.

Plain-Python API first, widget second::

    dc = DesignComparison("secure_call_round_trip")
    dc.frame                 # the DataFrame of tdxlab.compare (one row per design)
    dc.verdicts              # one line of words per design
    dc.select_scenario("interrupt_to_vtl1")
    dc.load_trace("my.jsonl")
    dc.widget                # Dropdown + trace file box + table + verdicts (built on first use)

The numbers are :func:`tdxlab.compare.compare`'s; this module only turns the frame
into one HTML table (tooltips on every heading, colour plus a ✓/✗ mark so nothing is
told by colour alone, Okabe-Ito colours from :mod:`tdxlab.palette`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from tdxlab import palette
from tdxlab.compare import COLUMNS, CompareError, Comparison, compare
from tdxlab.owners import Owner
from tdxlab.render.stepper_views import error_html, section_html
from tdxlab.scenarios import SCENARIOS
from tdxlab.sim.designs import Design
from tdxlab.sim.events import Event
from tdxlab.widgets._lazy import LazyUI

#: The scenario a fresh comparison opens on: the round trip of openvmm #746.
DEFAULT_SCENARIO = "secure_call_round_trip"

#: Columns the table shows, with their short headings (the full meaning is the tooltip).
TABLE_COLUMNS: dict[str, str] = {
    "violations": "violations",
    "clobber": "clobber",
    "leak": "leak",
    "stale": "stale",
    "registers": "registers",
    "first_step": "first at step",
    "pages_per_vp": "pages / VP",
    "bytes_per_entry": "bytes copied / entry",
    "bytes_per_switch": "bytes copied / switch",
    "ns_per_entry": "ns / entry (model)",
    "ns_page_work": "of which page work",
}
#: Count columns: 0 is good (✓), more is bad (✗).
COUNT_COLUMNS = frozenset({"violations", "clobber", "leak", "stale"})

_FONT = "font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;"
_CELL = "padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right;"
#: Columns holding words rather than numbers: left-aligned, allowed to wrap.
TEXT_COLUMNS = frozenset({"registers", "first_violation", "title"})


def _colours() -> tuple[str, str, str, str]:
    """(good fg, good bg, bad fg, bad bg): Okabe-Ito vermillion (the palette's alarm colour) for bad.

    Black text on vermillion keeps a WCAG contrast above 4.5:1 (the palette's private
    swatch uses the same pair); good cells stay unfilled.  The ✓/✗ mark carries the
    meaning for readers who cannot tell the colours apart, or print in grey.
    """
    bad = palette.OWNER_SWATCHES[Owner.PRIVATE]
    return "#000000", "transparent", bad.label, bad.fill


def _cell(column: str, value: Any) -> str:
    """One table cell: counts get a mark and a colour, numbers a fixed format."""
    good_fg, good_bg, bad_fg, bad_bg = _colours()
    if column in COUNT_COLUMNS:
        n = int(value)
        fg, bg, mark = (bad_fg, bad_bg, "✗") if n else (good_fg, good_bg, "✓")
        return (f'<td class="tdxlab-count {"tdxlab-bad" if n else "tdxlab-good"}" '
                f'style="{_CELL} color: {fg}; background: {bg}; font-weight: 600; white-space: nowrap;">'
                f"{mark} {n}</td>")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        text = "–"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if value.is_integer() and not column.startswith("ns_") else f"{value:,.1f}"
    else:
        text = str(value)
    align = " text-align: left;" if column in TEXT_COLUMNS else " white-space: nowrap;"
    return f'<td style="{_CELL}{align}">{escape(text)}</td>'


def frame_table_html(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    index_title: str = "design",
    index_tooltips: dict[str, str] | None = None,
    caption: str = "",
    tooltips: dict[str, str] | None = None,
) -> str:
    """One HTML table of ``frame`` (rows as they are) showing ``columns`` under short headings.

    Shared by the comparison, the finder and the "your design" widgets so that the
    three tables read alike.  Heading tooltips come from ``tooltips`` (default: the
    meanings in :data:`tdxlab.compare.COLUMNS`).
    """
    tips = COLUMNS if tooltips is None else tooltips
    head = [f'<th style="{_CELL} text-align: left;">{escape(index_title)}</th>']
    for col, title in columns.items():
        align = " text-align: left;" if col in TEXT_COLUMNS else ""
        head.append(f'<th title="{escape(tips.get(col, ""))}" style="{_CELL}{align}">{escape(title)}</th>')
    body = []
    for key, row in frame.iterrows():
        tip = (index_tooltips or {}).get(str(key), "")
        cells = [f'<th scope="row" title="{escape(tip)}" style="{_CELL} text-align: left;">'
                 f'{escape(str(key))}</th>']
        cells += [_cell(col, row[col]) for col in columns]
        body.append(f'<tr data-key="{escape(str(key))}">{"".join(cells)}</tr>')
    cap = (f'<caption style="caption-side: top; text-align: left; padding: 2px 0;">{escape(caption)}'
           "</caption>") if caption else ""
    return (f'<table class="tdxlab-table" style="{_FONT} border-collapse: collapse;">{cap}'
            f'<thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def comparison_html(comparison: Comparison) -> str:
    """The side-by-side table of one comparison, with design titles as row tooltips."""
    frame = comparison.frame
    tips = {str(key): str(row["title"]) + (" (variant)" if row["variant"] else "")
            for key, row in frame.iterrows()}
    caption = f"{comparison.label}: {len(comparison.events)} events"
    return frame_table_html(frame, TABLE_COLUMNS, index_tooltips=tips, caption=caption)


def verdicts_html(lines: Sequence[str]) -> str:
    """The verdict lines as a short list."""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<ul class="tdxlab-verdicts" style="{_FONT} margin: 4px 0; padding-left: 20px;">{items}</ul>'


class DesignComparison(LazyUI["_ComparisonUI"]):
    """The four designs (plus optional variants) on one scenario or trace file."""

    def __init__(
        self,
        scenario: str | None = None,
        *,
        trace: str | Path | Sequence[Event] | None = None,
        variants: Iterable[Design] = (),
    ) -> None:
        """Compare on ``scenario`` (default: the secure-call round trip) or on ``trace``."""
        if scenario is not None and trace is not None:
            raise CompareError("give a scenario or a trace, not both")
        self._variants = tuple(variants)
        if trace is not None:
            self._comparison = self._compare_trace(trace)
            self._scenario: str | None = None
        else:
            name = DEFAULT_SCENARIO if scenario is None else scenario
            self._comparison = self._compare_scenario(name)
            self._scenario = name
        self._ui: _ComparisonUI | None = None

    def _compare_scenario(self, name: str) -> Comparison:
        if not isinstance(name, str) or name not in SCENARIOS:
            raise CompareError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        return compare(name, variants=self._variants)

    def _compare_trace(self, trace: str | Path | Sequence[Event]) -> Comparison:
        if isinstance(trace, str) and not trace.strip():
            raise CompareError("no trace path given")
        if isinstance(trace, str) and trace in SCENARIOS:
            raise CompareError(f"{trace!r} is a scenario; use select_scenario({trace!r})")
        return compare(trace, variants=self._variants)

    # --- state ----------------------------------------------------------------------------------
    @property
    def comparison(self) -> Comparison:
        """The current :class:`~tdxlab.compare.Comparison` (events and per-design outcomes)."""
        return self._comparison

    @property
    def frame(self) -> pd.DataFrame:
        """One row per design: violations by kind, registers, first step, pages, bytes, ns."""
        return self._comparison.frame

    @property
    def scenario(self) -> str | None:
        """The scenario shown, or None for a trace file."""
        return self._scenario

    @property
    def label(self) -> str:
        """What the table is about (scenario name or file name)."""
        return self._comparison.label

    @property
    def verdicts(self) -> list[str]:
        """One line per design, in words."""
        return self._comparison.verdicts()

    @property
    def html(self) -> str:
        """Table and verdicts as one HTML string (what the widget shows)."""
        return comparison_html(self._comparison) + verdicts_html(self.verdicts)

    # --- actions --------------------------------------------------------------------------------
    def select_scenario(self, name: str) -> DesignComparison:
        """Compare on another built-in scenario (unchanged if ``name`` is unknown: one-line error)."""
        comp = self._compare_scenario(name)
        self._comparison, self._scenario = comp, name
        self._refresh()
        return self

    def load_trace(self, trace: str | Path | Sequence[Event]) -> DesignComparison:
        """Compare on a trace file (``.jsonl``) or a list of events."""
        comp = self._compare_trace(trace)
        self._comparison, self._scenario = comp, None
        self._refresh()
        return self

    def add_variant(self, design: Design) -> DesignComparison:
        """Add a reviewer's variant as one more row (the trace stays)."""
        variants = (*self._variants, design)
        comp = compare(list(self._comparison.events), variants=variants)
        self._variants = variants
        self._comparison = Comparison(self._comparison.label, comp.events, comp.outcomes)
        self._refresh()
        return self

    def _refresh(self) -> None:
        if self._ui is not None:
            self._ui.refresh()

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _ComparisonUI:
        return _ComparisonUI(self)

    def __repr__(self) -> str:
        """What is compared, in one line."""
        return f"<DesignComparison {self.label}: {', '.join(self.frame.index)}>"


class _ComparisonUI:
    """The widgets of one DesignComparison; every handler calls its public API."""

    def __init__(self, dc: DesignComparison) -> None:
        import ipywidgets as w

        self.dc = dc
        self._syncing = False
        self.scenario = w.Dropdown(options=list(SCENARIOS), value=dc.scenario, description="Scenario",
                                   layout=w.Layout(width="330px"))
        self.path = w.Text(placeholder="path/to/trace.jsonl", description="Trace file",
                           layout=w.Layout(width="320px"))
        self.load = w.Button(description="Load trace", tooltip="compare the designs on this trace file")
        self.error = w.HTML()
        self.table = w.HTML()
        self.table.add_class("tdxlab-compare-table")
        self.verdicts = w.HTML()
        self.verdicts.add_class("tdxlab-compare-verdicts")
        self.scenario.observe(self._on_scenario, names="value")
        self.load.on_click(lambda _b: self._guard(lambda: dc.load_trace(self.path.value)))
        self.root = w.VBox([w.HBox([self.scenario, self.path, self.load]), self.error, self.table,
                            self.verdicts])
        self.root.add_class("tdxlab-compare")
        self.refresh()

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (CompareError, ValueError) as exc:
            self.error.value = error_html(str(exc))
            self.refresh(keep_error=True)
        else:
            self.error.value = ""
            self.refresh()

    def _on_scenario(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if not self._syncing and new is not None and new != self.dc.scenario:
            self._guard(lambda: self.dc.select_scenario(new))

    def refresh(self, keep_error: bool = False) -> None:
        """Redraw the table and verdicts and sync the dropdown with the comparison."""
        self._syncing = True
        try:
            self.scenario.value = self.dc.scenario
        finally:
            self._syncing = False
        if not keep_error:
            self.error.value = ""
        self.table.value = section_html("Four designs, one trace", comparison_html(self.dc.comparison),
                                        "hover a heading for what it counts; ✗ = isolation broken",
                                        cls="tdxlab-compare-section")
        self.verdicts.value = verdicts_html(self.dc.verdicts)


__all__ = ["DEFAULT_SCENARIO", "DesignComparison", "comparison_html", "frame_table_html", "verdicts_html"]
