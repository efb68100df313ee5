"""The design comparison widget: pick a trace, see every registered design side by side.

Plain-Python API first, widget second::

    dc = DesignComparison("secure_call_round_trip")
    dc.frame                 # the DataFrame of tdxlab.compare (one row per design)
    dc.verdicts              # one line of words per design
    dc.select_scenario("interrupt_to_vtl1")
    dc.load_trace("my.jsonl")
    dc.widget                # Dropdown + trace file box + table + verdicts (built on first use)

The numbers are :func:`tdxlab.compare.compare`'s and the words :mod:`tdxlab.describe`'s;
this module only turns the frame into one table, a pandas ``Styler`` (tooltips on every
heading, colour plus a ✓/✗ mark so nothing is told by colour alone, Okabe-Ito colours
from :mod:`tdxlab.palette`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import traitlets

from tdxlab import describe, palette
from tdxlab.compare import CompareError, Comparison, compare
from tdxlab.owners import Owner
from tdxlab.render.css import FONT
from tdxlab.render.stepper_views import section_html
from tdxlab.scenarios import SCENARIOS
from tdxlab.sim.checker import ViolationKind
from tdxlab.sim.designs import Design
from tdxlab.sim.events import Event
from tdxlab.widgets._base import WidgetModel, WidgetUI

if TYPE_CHECKING:
    from pandas.io.formats.style_render import CSSDict

#: The scenario a fresh comparison opens on: the round trip of openvmm #746.
DEFAULT_SCENARIO = "secure_call_round_trip"

#: Columns the table shows, with their short headings (the full meaning is the tooltip).
TABLE_COLUMNS: dict[str, str] = {
    "violations": "findings",
    **{k.value: k.value for k in ViolationKind},
    "registers": "registers",
    "first_step": "first at step",
    "pages_per_vp": "pages / VP",
    "bytes_per_entry": "bytes copied / entry",
    "bytes_per_switch": "bytes copied / switch",
    "ns_per_entry": "ns / entry (model)",
    "ns_page_work": "of which page work",
}
#: Count columns: 0 is good (✓), more is bad (✗).
COUNT_COLUMNS = frozenset({"violations", *(k.value for k in ViolationKind)})
#: Columns holding words rather than numbers: left-aligned, allowed to wrap.
TEXT_COLUMNS = frozenset({"registers", "title"})

_CELL = "padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap;"


def _styles() -> list[CSSDict]:
    """The table's CSS: cells, headings, caption and the good/bad count classes.

    Bad counts are Okabe-Ito vermillion (the palette's alarm colour) with black text, a
    WCAG contrast above 4.5:1 (the palette's private swatch uses the same pair); good
    counts stay unfilled.  The ✓/✗ mark carries the meaning for readers who cannot tell
    the colours apart, or print in grey.
    """
    bad = palette.OWNER_SWATCHES[Owner.PRIVATE]
    return [
        {"selector": "th, td", "props": _CELL},
        {"selector": "th.row_heading, th.index_name", "props": "text-align: left;"},
        {"selector": "caption", "props": "caption-side: top; text-align: left; padding: 2px 0;"},
        {"selector": "td.tdxlab-count", "props": "font-weight: 600;"},
        {"selector": "td.tdxlab-good", "props": "color: #000000; background: transparent;"},
        {"selector": "td.tdxlab-bad", "props": f"color: {bad.label}; background: {bad.fill};"},
    ]


def _number(column: str) -> Any:
    """The formatter of one column: counts get a mark, numbers a fixed format, gaps a dash."""
    if column in COUNT_COLUMNS:
        return lambda v: f"{'✗' if int(v) else '✓'} {int(v)}"

    def fmt(value: Any) -> str:
        if isinstance(value, float):
            whole = value.is_integer() and not column.startswith("ns_")
            return f"{value:,.0f}" if whole else f"{value:,.1f}"
        return str(value)

    return fmt


def _label(text: str, tip: str, key: str | None = None) -> str:
    """A heading's HTML: its text, its tooltip and (for a row) its ``data-key``, escaped."""
    data = f' data-key="{escape(key)}"' if key is not None else ""
    return f'<span{data} title="{escape(tip)}">{escape(text)}</span>'


def frame_table_html(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    index_title: str = "design",
    index_tooltips: Mapping[str, str] | None = None,
    caption: str = "",
    tooltips: Mapping[str, str] | None = None,
) -> str:
    """``frame`` (rows as they are) as one HTML table, a pandas ``Styler``, with short headings.

    Shared by the comparison, the finder and the "your design" widgets so that the
    tables read alike.  Heading tooltips (``title`` attributes) come from ``tooltips``
    (default: the column meanings, :data:`tdxlab.describe.COMPARISON_COLUMNS`); each
    row heading carries ``data-key`` (its index label) and its ``index_tooltips`` entry.
    """
    tips = describe.COMPARISON_COLUMNS if tooltips is None else tooltips
    row_tips = index_tooltips or {}
    shown = frame[list(columns)].copy()
    shown.columns.name = index_title
    shown.index.name = None
    classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
    for col in COUNT_COLUMNS & set(columns):
        classes[col] = ["tdxlab-count " + ("tdxlab-bad" if int(v) else "tdxlab-good") for v in shown[col]]
    # The id scopes the CSS to this table; derived from the content, so the same table gives
    # the same bytes (deterministic) and two different tables on one page never share it.
    uuid = hashlib.sha1(f"{caption}\n{shown.to_csv()}".encode()).hexdigest()[:10]
    styler = (
        shown.style.set_uuid(uuid)
        .format({c: _number(c) for c in columns}, na_rep="–", escape="html")
        .format_index(lambda c: _label(columns[str(c)], tips.get(str(c), "")), axis=1, escape=None)
        .format_index(lambda k: _label(str(k), row_tips.get(str(k), ""), key=str(k)), axis=0, escape=None)
        .set_td_classes(classes)
        .set_table_styles(_styles())
        .set_table_attributes(f'class="tdxlab-table" style="{FONT} border-collapse: collapse;"')
    )
    text: list[Hashable] = [c for c in columns if c in TEXT_COLUMNS]
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left", "white-space": "normal"})
    if caption:
        styler = styler.set_caption(escape(caption))
    return styler.to_html()


def comparison_html(comparison: Comparison) -> str:
    """The side-by-side table of one comparison, with design titles as row tooltips."""
    frame = comparison.frame
    tips = {str(key): str(row["title"]) + (" (variant)" if row["variant"] else "")
            for key, row in frame.iterrows()}
    caption = describe.comparison_caption(comparison.label, len(comparison.events))
    return frame_table_html(frame, TABLE_COLUMNS, index_tooltips=tips, caption=caption)


def verdicts_html(lines: Sequence[str]) -> str:
    """The verdict lines as a short list."""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<ul class="tdxlab-verdicts" style="{FONT} margin: 4px 0; padding-left: 20px;">{items}</ul>'


class DesignComparison(WidgetModel["_ComparisonUI"]):
    """Every registered design (plus optional variants) on one scenario or trace file."""

    scenario = traitlets.Unicode(None, allow_none=True, read_only=True,
                                 help="the scenario shown, or None for a trace file")

    def __init__(
        self,
        scenario: str | None = None,
        *,
        trace: str | Path | Sequence[Event] | None = None,
        variants: Iterable[Design] = (),
    ) -> None:
        """Compare on ``scenario`` (default: the secure-call round trip) or on ``trace``."""
        super().__init__()
        if scenario is not None and trace is not None:
            raise CompareError("give a scenario or a trace, not both")
        self._variants = tuple(variants)
        if trace is not None:
            self._comparison = self._compare_trace(trace)
        else:
            name = DEFAULT_SCENARIO if scenario is None else scenario
            self._comparison = self._compare_scenario(name)
            self.set_trait("scenario", name)

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

    def _commit(self, comparison: Comparison, scenario: str | None) -> DesignComparison:
        with self.hold_trait_notifications():
            self._comparison = comparison
            self.set_trait("scenario", scenario)
            self._changed()
        return self

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
    def label(self) -> str:
        """What the table is about (scenario name or file name)."""
        return self._comparison.label

    @property
    def verdicts(self) -> list[str]:
        """One line per design, in words."""
        return describe.verdicts(self._comparison)

    @property
    def html(self) -> str:
        """Table and verdicts as one HTML string (what the widget shows)."""
        return comparison_html(self._comparison) + verdicts_html(self.verdicts)

    # --- actions --------------------------------------------------------------------------------
    def select_scenario(self, name: str) -> DesignComparison:
        """Compare on another built-in scenario (unchanged if ``name`` is unknown: one-line error)."""
        return self._commit(self._compare_scenario(name), name)

    load_scenario = select_scenario  # the name the Stepper uses (what the shared trace controls call)

    def load_trace(self, trace: str | Path | Sequence[Event]) -> DesignComparison:
        """Compare on a trace file (``.jsonl``) or a list of events."""
        return self._commit(self._compare_trace(trace), None)

    def add_variant(self, design: Design) -> DesignComparison:
        """Add a reviewer's variant as one more row (the trace stays)."""
        variants = (*self._variants, design)
        comp = compare(list(self._comparison.events), variants=variants)
        self._variants = variants
        return self._commit(Comparison(self._comparison.label, comp.events, comp.outcomes), self.scenario)

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _ComparisonUI:
        return _ComparisonUI(self)

    def __repr__(self) -> str:
        """What is compared, in one line."""
        return f"<DesignComparison {self.label}: {', '.join(self.frame.index)}>"


class _ComparisonUI(WidgetUI):
    """The widgets of one DesignComparison; every handler calls its public API."""

    def __init__(self, dc: DesignComparison) -> None:
        import ipywidgets as w

        super().__init__(dc)
        self.dc = dc
        source = self.trace_source(dc, "compare the designs on this trace file")
        self.table = w.HTML()
        self.table.add_class("tdxlab-compare-table")
        self.verdicts = w.HTML()
        self.verdicts.add_class("tdxlab-compare-verdicts")
        self.root = w.VBox([source, self.error, self.table,
                            self.verdicts])
        self.root.add_class("tdxlab-compare")
        self.refresh()

    def sync(self) -> None:
        """The dropdown shows the scenario compared (none for a trace file)."""
        self.scenario.value = self.dc.scenario

    def redraw(self) -> None:
        """The table and the verdicts."""
        comparison = self.dc.comparison
        self.table.value = section_html(describe.comparison_title(len(comparison.outcomes)),
                                        comparison_html(comparison), describe.COMPARISON_HINT,
                                        cls="tdxlab-compare-section")
        self.verdicts.value = verdicts_html(self.dc.verdicts)


__all__ = ["DEFAULT_SCENARIO", "DesignComparison", "comparison_html", "frame_table_html", "verdicts_html"]
