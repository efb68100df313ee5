"""The Stepper: walk a trace one event at a time under one design and watch the bytes move.

Two faces over one object:

* a plain-Python API (:class:`Stepper`) that notebooks, tests and the benchmark drive
  without a browser: ``step``/``back``/``reset``/``goto``, ``set_design`` (keeps the
  step), ``load_scenario``/``load_trace``, ``select_vp``; the current view is
  ``.html`` (one string) and ``.text`` / ``.banner_text`` (plain words);
* an ipywidgets UI (``.widget``), built lazily, that calls the same methods.

The trace is simulated *once* with recording on (:class:`~tdxlab.sim.machine.SimResult`)
and stepping only navigates the records, so Back is as cheap as Step and switching the
design re-simulates the same events and lands on the same step.  Every change of state
is computed completely before it is committed, so a bad input (unknown design, trace
that does not parse or is impossible) raises one line and leaves the Stepper as it was.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import traitlets

from tdxlab import describe
from tdxlab.layout.engine import Layout
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Group
from tdxlab.render import html_grid
from tdxlab.render.stepper_views import (
    RegisterCell,
    RegisterRow,
    active_vtls_html,
    banner_html,
    event_html,
    register_table_html,
    section_html,
)
from tdxlab.scenarios import SCENARIOS, load_scenario
from tdxlab.sim.checker import Violation
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.events import Event, TraceError
from tdxlab.sim.machine import PageSnapshot, SimResult, StepRecord, TruthSnapshot, simulate
from tdxlab.sim.memory import PageRole
from tdxlab.sim.model import MAX_LOWER_VTLS, MODELLED, arch_owner
from tdxlab.sim.trace import Trace, load_trace
from tdxlab.widgets._base import WidgetModel, WidgetUI

#: The scenario a new Stepper opens on: the round trip of openvmm #746.
DEFAULT_SCENARIO = "secure_call_round_trip"

#: The panels of the view, in display order (each is one ``widgets.HTML``).
PANELS: tuple[str, ...] = ("event", "banner", "vps", "registers", "pages", "hexdump")


class StepperError(ValueError):
    """Bad input to the Stepper: one line naming what and where; the Stepper is unchanged."""


@dataclass(frozen=True)
class _Run:
    """One simulated trace under one design, with the indexes navigation needs."""

    label: str
    scenario: str | None
    events: tuple[Event, ...]
    design: Design
    result: SimResult
    touches: dict[int, list[int]]  # vp -> indices of the steps whose event was on that VP
    runs: dict[tuple[int, int], list[int]]  # (vp, vtl) -> indices of the run steps entering that VTL
    layouts: dict[PageRole, Layout]  # a page's role (run, bank1, vtl0, ...) -> its layout


def _layouts(design: Design) -> dict[PageRole, Layout]:
    """Layouts of a VP's pages by role (the same for every VP, so built once on VP 0)."""
    return {p.role: p.layout for p in design.sample_store(MAX_LOWER_VTLS).pages}


def _simulate(label: str, scenario: str | None, events: Sequence[Event], design: Design) -> _Run:
    """Simulate and index a trace; TraceError/ValueError become one-line StepperErrors."""
    if not events:
        raise StepperError(f"{label}: the trace has no events")
    try:
        result = simulate(design, events)  # a Trace brings its own VTL count
        layouts = _layouts(design)
    except (TraceError, ValueError) as exc:
        raise StepperError(f"{label}: {exc}") from None
    touches: dict[int, list[int]] = {vp: [] for vp in range(result.vps)}
    runs: dict[tuple[int, int], list[int]] = {}
    for rec in result.steps:
        touches[rec.event.vp].append(rec.index)
        if rec.entered_vtl is not None:
            runs.setdefault((rec.event.vp, rec.entered_vtl), []).append(rec.index)
    return _Run(label, scenario, tuple(events), design, result, touches, runs, layouts)


@functools.lru_cache(maxsize=96)
def _grid(layout: Layout, data: bytes, changed: frozenset[int]) -> str:
    """A page's byte grid, memoised: most steps (``set`` events, other VPs) leave a page as it was."""
    return html_grid.byte_grid_html(layout, data, changed=changed or None)


@functools.lru_cache(maxsize=96)
def _hexdump(layout: Layout, data: bytes, changed: frozenset[int]) -> str:
    """A page's hex dump, memoised like :func:`_grid`."""
    return html_grid.hexdump_html(layout, data, highlight=changed or None)


_GROUPS = list(Group)
_MODEL_INDEX = {r: i for i, r in enumerate(MODELLED)}


def _teaching_order(reg: str) -> tuple[int, int]:
    """Registers by family (GPRs, control, MSRs, ...) then context-page order; other checks last."""
    info = REGISTERS.get(reg)
    if info is None:
        return (len(_GROUPS), 0)
    return (_GROUPS.index(info.group), _MODEL_INDEX.get(reg, 0))


def clear_view_caches() -> None:
    """Forget memoised page views (benchmarks use it to time the worst case)."""
    _grid.cache_clear()
    _hexdump.cache_clear()


def _last_at_or_before(indices: list[int], k: int) -> int | None:
    """The largest index ``<= k`` in a sorted list, or None."""
    pos = bisect.bisect_right(indices, k)
    return indices[pos - 1] if pos else None


class Stepper(WidgetModel["_StepperUI"]):
    """Step through a trace under one design: events, VTLs, page bytes, truth versus observed.

    ``Stepper()`` opens the secure-call round trip under the naive design, before its
    first event (``index == -1``).  ``index`` is the number of the last applied event,
    the same numbering as the scenario files' comments and :attr:`Violation.step`.
    """

    index = traitlets.Int(-1, min=-1, read_only=True,
                          help="number of the last applied event (-1: none yet)")
    selected_vp = traitlets.Int(None, allow_none=True, read_only=True,
                                help="the VP chosen with select_vp (None: follow the current event)")

    def __init__(
        self,
        scenario: str | None = None,
        design: str | Design = "naive",
        *,
        trace: str | Path | Sequence[Event] | None = None,
        vp: int | None = None,
    ) -> None:
        """Load ``scenario`` (default: the secure-call round trip) or ``trace``, under ``design``."""
        super().__init__()
        if scenario is not None and trace is not None:
            raise StepperError("give a scenario or a trace, not both")
        chosen = self._design(design)
        if trace is not None:
            label, events = self._trace_events(trace)
            self._run = _simulate(label, None, events, chosen)
        else:
            name = scenario if scenario is not None else DEFAULT_SCENARIO
            self._run = _simulate(f"scenario {name}", name, self._scenario_events(name), chosen)
        self._view: dict[str, str] | None = None
        self._marked: list[tuple[PageSnapshot, Layout, frozenset[int]]] = []
        if vp is not None:
            self.select_vp(vp)

    # --- input checking ------------------------------------------------------------------------
    @staticmethod
    def _design(design: str | Design) -> Design:
        try:
            return get_design(design)
        except (ValueError, TypeError) as exc:
            raise StepperError(str(exc)) from None

    @staticmethod
    def _scenario_events(name: str) -> list[Event]:
        if not isinstance(name, str) or name not in SCENARIOS:
            raise StepperError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        return load_scenario(name)

    @staticmethod
    def _trace_events(trace: str | Path | Sequence[Event]) -> tuple[str, list[Event]]:
        if isinstance(trace, (str, Path)):
            if not str(trace).strip():
                raise StepperError("no trace path given")
            try:
                return f"trace {trace}", load_trace(trace)
            except TraceError as exc:
                raise StepperError(str(exc)) from None
        if isinstance(trace, (bytes, bytearray)):
            raise StepperError("a trace must be a .jsonl path or a list of Event objects, not bytes")
        events = trace if isinstance(trace, Trace) else list(trace)
        bad = next((i for i, e in enumerate(events) if not isinstance(e, Event)), None)
        if bad is not None:
            raise StepperError(f"trace item {bad} is {type(events[bad]).__name__}, not an Event")
        return "trace (events)", events

    # --- navigation ---------------------------------------------------------------------------
    @property
    def last(self) -> int:
        """Number of the trace's last event."""
        return len(self._run.events) - 1

    @property
    def at_end(self) -> bool:
        """True when every event has been applied."""
        return self.index == self.last

    def step(self) -> bool:
        """Apply the next event; False (and nothing changes) when the trace is over."""
        if self.at_end:
            return False
        self._set_index(self.index + 1)
        return True

    def back(self) -> bool:
        """Undo the last event; False (and nothing changes) before the first event."""
        if self.index < 0:
            return False
        self._set_index(self.index - 1)
        return True

    def reset(self) -> None:
        """Go back to before the first event."""
        self._set_index(-1)

    def goto(self, k: int) -> None:
        """Jump to just after event ``k`` (``-1``: before the first event)."""
        if isinstance(k, bool) or not isinstance(k, int) or not -1 <= k <= self.last:
            raise StepperError(f"step {k!r} is out of range: this trace has steps -1..{self.last}")
        self._set_index(k)

    def _set_index(self, k: int) -> None:
        if k != self.index:
            with self.hold_trait_notifications():
                self.set_trait("index", k)
                self._changed()

    def play(self, until: Callable[[Stepper], bool] | None = None) -> int:
        """Step until the end (or until ``until(self)`` is true); return the steps taken."""
        taken = 0
        while self.step():
            taken += 1
            if until is not None and until(self):
                break
        return taken

    # --- what to simulate ---------------------------------------------------------------------
    def set_design(self, design: str | Design) -> None:
        """Re-simulate the same trace under ``design`` and stay at the same step."""
        chosen = self._design(design)
        run = self._run
        self._run = _simulate(run.label, run.scenario, Trace(run.events, run.result.lower_vtls), chosen)
        self._changed()

    def load_scenario(self, name: str) -> None:
        """Load a built-in scenario under the current design, before its first event."""
        events = self._scenario_events(name)
        self._load(_simulate(f"scenario {name}", name, events, self._run.design))

    def load_trace(self, trace: str | Path | Sequence[Event]) -> None:
        """Load a trace file (or events) under the current design, before its first event."""
        label, events = self._trace_events(trace)
        self._load(_simulate(label, None, events, self._run.design))

    def _load(self, run: _Run) -> None:
        with self.hold_trait_notifications():
            self._run = run
            self.set_trait("index", -1)
            if self.selected_vp is not None and self.selected_vp >= run.result.vps:
                self.set_trait("selected_vp", None)
            self._changed()

    def select_vp(self, vp: int | None) -> None:
        """Show the pages of VP ``vp``; ``None`` follows the VP of the current event."""
        if vp is not None and (isinstance(vp, bool) or not isinstance(vp, int)
                               or not 0 <= vp < self._run.result.vps):
            raise StepperError(f"VP {vp!r} does not exist: this trace has VPs 0..{self._run.result.vps - 1}")
        if vp != self.selected_vp:
            with self.hold_trait_notifications():
                self.set_trait("selected_vp", vp)
                self._changed()

    # --- state --------------------------------------------------------------------------------
    @property
    def design(self) -> Design:
        """The design being simulated."""
        return self._run.design

    @property
    def scenario(self) -> str | None:
        """The built-in scenario's name, or None for a trace file."""
        return self._run.scenario

    @property
    def source(self) -> str:
        """Where the events came from (``scenario NAME`` or ``trace PATH``)."""
        return self._run.label

    @property
    def events(self) -> tuple[Event, ...]:
        """The trace."""
        return self._run.events

    @property
    def result(self) -> SimResult:
        """The whole simulation (every step recorded)."""
        return self._run.result

    @property
    def vps(self) -> int:
        """Number of VPs in the partition."""
        return self._run.result.vps

    @property
    def record(self) -> StepRecord | None:
        """The record of the current step (None before the first event)."""
        return self._run.result.steps[self.index] if self.index >= 0 else None

    @property
    def next_event(self) -> Event | None:
        """The event the next Step applies (None at the end)."""
        return None if self.at_end else self._run.events[self.index + 1]

    @property
    def violations_now(self) -> tuple[Violation, ...]:
        """Violations the checker found at the current step (the banner's content)."""
        rec = self.record
        return rec.violations if rec is not None else ()

    @property
    def violations_so_far(self) -> list[Violation]:
        """Violations found up to and including the current step."""
        return [v for v in self._run.result.violations if v.step <= self.index]

    @property
    def shown_vp(self) -> int:
        """The VP whose pages are drawn: the selected one, else the current (or next) event's."""
        if self.selected_vp is not None:
            return self.selected_vp
        rec = self.record
        if rec is not None:
            return rec.event.vp
        return self._run.events[0].vp

    def pages(self, vp: int | None = None) -> tuple[PageSnapshot, ...]:
        """Bytes of ``vp``'s pages after the current step (default: the shown VP)."""
        vp = self.shown_vp if vp is None else vp
        last = _last_at_or_before(self._run.touches[vp], self.index)
        return self._run.result.initial[vp] if last is None else self._run.result.steps[last].pages

    def truth(self, vp: int | None = None, at: int | None = None) -> TruthSnapshot:
        """What each VTL of ``vp`` must observe after step ``at`` (default: the current step)."""
        vp = self.shown_vp if vp is None else vp
        last = _last_at_or_before(self._run.touches[vp], self.index if at is None else at)
        return self._run.result.initial_truth[vp] if last is None else self._run.result.steps[last].truth

    def layout_of(self, page: PageSnapshot) -> Layout:
        """The layout a page's bytes are read through."""
        return self._run.layouts[PageRole(page.kind, page.vtl)]

    def changed_offsets(self, page: PageSnapshot) -> frozenset[int]:
        """Bytes of ``page`` the current step changed, widened to whole fields.

        A register is written as a unit, so when its value changes the whole field is
        marked, even bytes that happen to keep their value (e.g. the low byte 0x00 of a
        new RIP): that is what a reader looks for ("RIP changed"), and it keeps the
        highlight stable from one value to the next.
        """
        rec = self.record
        if rec is None or rec.event.vp != self.shown_vp:
            return frozenset()
        layout = self.layout_of(page)
        out: set[int] = set()
        for ch in rec.changes:
            if ch.page != page.name:
                continue
            out.update(range(ch.start, ch.end))
            for row in layout.rows_in(ch.start, ch.end):
                out.update(range(row.offset, row.end))
        return frozenset(out)

    # --- words ----------------------------------------------------------------------------------
    @property
    def position(self) -> str:
        """Where we are, e.g. ``Step 14 of 0–30 · naive · scenario secure_call_round_trip``."""
        return describe.stepper_position(self.index, self.last, self.design.key, self.design.title,
                                         self.source, self.vps, len(self.violations_so_far))

    @property
    def banner_title(self) -> str:
        """The banner's heading ('' when the current step broke nothing)."""
        rec = self.record
        return "" if rec is None else describe.banner_title(rec, self.violations_now, self.design.key)

    @property
    def banner_lines(self) -> list[str]:
        """The current step's findings: one summary line per severity, then one line per finding.

        Most severe first, so the point of the step is visible without scrolling.
        """
        found = sorted(self.violations_now, key=lambda v: (v.severity.rank, _teaching_order(v.reg)))
        return [*describe.banner_groups(found), *describe.banner_lines(found)]

    @property
    def banner_text(self) -> str:
        """The banner as plain text ('' when the current step broke nothing)."""
        return describe.banner_text(self.banner_title, self.banner_lines)

    @property
    def summary(self) -> str:
        """The current step in one line, followed by the banner when it broke something."""
        return "\n".join(x for x in (describe.step_summary(self.record), self.banner_text) if x)

    @property
    def text(self) -> str:
        """The current step in words (position, event, what happened, banner) for print()."""
        return describe.step_text(self.position, self.record, self.index + 1, self.next_event,
                                  self.banner_text)

    # --- views ----------------------------------------------------------------------------------
    def panels(self, *, hexdump: bool = True) -> dict[str, str]:
        """The HTML of each panel (see :data:`PANELS`); cached until the state changes.

        ``hexdump=False`` leaves the hex dump out (the widget skips it while its accordion
        is closed: the biggest panel, and nobody is looking at it).
        """
        if self._view is None:
            self._marked = self._marked_pages()
            self._view = {
                "event": self._event_panel(),
                "banner": banner_html(self.banner_title, self.banner_lines),
                "vps": self._vps_panel(),
                "pages": self._pages_panel(self._marked),
                "registers": self._registers_panel(),
            }
        if hexdump and "hexdump" not in self._view:
            self._view["hexdump"] = self._hexdump_panel(self._marked)
        return {k: v for k, v in self._view.items() if hexdump or k != "hexdump"}

    @property
    def html(self) -> str:
        """The whole view as one HTML string."""
        body = "".join(self.panels()[name] for name in PANELS)
        return f'<div class="tdxlab-stepper">{body}</div>'

    def _event_panel(self) -> str:
        rec = self.record
        detail = describe.next_event_line(self.index + 1, self.next_event)
        if rec is None:
            return event_html(self.position, describe.BEFORE_FIRST_EVENT, describe.PRESS_STEP, detail)
        return event_html(self.position, describe.event_line(rec.event), describe.step_note(rec), detail)

    def _vps_panel(self) -> str:
        rec = self.record
        if rec is not None:
            active, enabled, touched = rec.active_vtl, rec.vtl1_enabled, rec.event.vp
        else:  # the reset state: every VP in VTL 0, VTL 1 not enabled anywhere
            active, enabled, touched = (0,) * self.vps, (False,) * self.vps, None
        return active_vtls_html(active, enabled, shown=self.shown_vp, touched=touched)

    def _marked_pages(self) -> list[tuple[PageSnapshot, Layout, frozenset[int]]]:
        """The shown VP's pages with their layouts and changed bytes (computed once per view)."""
        return [(p, self.layout_of(p), self.changed_offsets(p)) for p in self.pages()]

    def _pages_panel(self, marked: list[tuple[PageSnapshot, Layout, frozenset[int]]]) -> str:
        parts = []
        for page, layout, changed in marked:
            sub = describe.page_subtitle(page.kind.label, layout.name, len(page.data),
                                         self.changed_fields(page))
            parts.append(section_html(page.name, _grid(layout, page.data, changed), sub))
        return f'<div class="tdxlab-pages">{"".join(parts)}</div>'

    def changed_fields(self, page: PageSnapshot) -> list[str]:
        """Names of the fields of ``page`` the current step changed (empty off the shown VP)."""
        rec = self.record
        if rec is None or rec.event.vp != self.shown_vp:
            return []
        seen: dict[str, None] = {}
        for ch in rec.changes:
            if ch.page == page.name:
                seen.update(dict.fromkeys(ch.fields))
        return list(seen)

    def _hexdump_panel(self, marked: list[tuple[PageSnapshot, Layout, frozenset[int]]]) -> str:
        parts = []
        for page, layout, changed in marked:
            dump = _hexdump(layout, page.data, changed)
            parts.append(section_html(f"{page.name} hex dump", dump, cls="tdxlab-hexdump"))
        return "".join(parts)

    def _registers_panel(self) -> str:
        vp = self.shown_vp
        platform = self.design.platform
        now = self.truth(vp)
        headings: list[str] = []
        columns: list[tuple[dict[str, int | None], dict[str, int | None]]] = []
        wrong: set[str] = set()
        for vtl in range(self._run.result.lower_vtls):
            last = _last_at_or_before(self._run.runs.get((vp, vtl), []), self.index)
            enabled = vtl in now.private  # the truth gains a private set when the VTL is enabled
            headings.append(describe.vtl_column_heading(vtl, vp, enabled=enabled, last_entry=last))
            if not enabled:
                columns.append(({}, {}))
                continue
            if last is None:
                columns.append((self._expected(now, vtl), {}))
                continue
            entry = self._run.result.steps[last]
            assert entry.observed is not None
            truth = self.truth(vp, at=last - 1)
            observed: dict[str, int | None] = dict(entry.observed)
            expected = self._expected(truth, vtl)
            for v in entry.violations:  # checks on non-register fields (vm_flags.vm_index)
                if v.reg not in expected:
                    expected[v.reg], observed[v.reg] = v.expected, v.found
                    wrong.add(v.reg)
            columns.append((expected, observed))
        ordered = sorted(MODELLED, key=_teaching_order)
        private = [r for r in ordered if arch_owner(r, platform) is Owner.PRIVATE]
        regs = [*private, *(r for r in ordered if r not in private), *sorted(wrong)]
        rows = []
        for reg in regs:
            owner = arch_owner(reg, platform).value if reg in REGISTERS else Owner.GLOBAL.value
            cells = tuple(RegisterCell(exp.get(reg), obs.get(reg)) for exp, obs in columns)
            rows.append(RegisterRow(reg, owner, cells))
        return register_table_html(headings, rows, describe.register_table_caption(vp))

    def _expected(self, truth: TruthSnapshot, vtl: int) -> dict[str, int | None]:
        private = truth.private.get(vtl, {})
        return {r: (private.get(r) if r in private else truth.shared.get(r)) for r in MODELLED}

    # --- change notification ------------------------------------------------------------------
    def _changed(self) -> None:
        self._view = None  # the panels are drawn again on next use
        super()._changed()

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _StepperUI:
        return _StepperUI(self)

    def __repr__(self) -> str:
        """Position in one line."""
        return f"<Stepper {self.position}>"


class _StepperUI(WidgetUI):
    """The widgets of one Stepper; every handler calls the Stepper's public API."""

    errors = (StepperError,)

    def __init__(self, stepper: Stepper) -> None:
        import ipywidgets as w

        super().__init__(stepper)
        self.s = stepper
        s = stepper
        source = self.trace_source(s, "simulate this trace file")
        # The registered designs, plus the Stepper's own when it is a variant (e.g. a Finder replay).
        self.choices: dict[str, Design] = {**DESIGNS, s.design.key: s.design}
        self.design = w.ToggleButtons(options=list(self.choices), value=s.design.key, description="Design",
                                      tooltips=[d.title for d in self.choices.values()],
                                      style={"button_width": "70px"})
        self.back = w.Button(description="Back", tooltip="undo the last event",
                             layout=w.Layout(width="70px"))
        self.step = w.Button(description="Step", tooltip="apply the next event", button_style="primary",
                             layout=w.Layout(width="70px"))
        self.reset = w.Button(description="Reset", tooltip="back to before the first event",
                              layout=w.Layout(width="70px"))
        self.play = w.Play(min=-1, max=s.last, value=s.index, step=1, interval=700,
                           description="Play", show_repeat=False)
        self.slider = w.IntSlider(min=-1, max=s.last, value=s.index, continuous_update=False,
                                  description="At step", layout=w.Layout(width="360px"))
        w.jslink((self.play, "value"), (self.slider, "value"))
        self.vp = w.Dropdown(options=self._vp_options(), value=-1, description="Show VP",
                             layout=w.Layout(width="230px"))
        self.panels = {name: w.HTML() for name in PANELS}
        for name, widget in self.panels.items():
            widget.add_class(f"tdxlab-panel-{name}")
        self.on_click(self.step, s.step)
        self.on_click(self.back, s.back)
        self.on_click(self.reset, s.reset)
        self.on_value(self.design, lambda key: s.set_design(self.choices[key]), lambda: s.design.key)
        self.on_value(self.slider, s.goto, lambda: s.index)
        self.on_value(self.vp, lambda vp: s.select_vp(None if vp == -1 else vp))
        self.hexdump_box = w.Accordion(children=[self.panels["hexdump"]],
                                       titles=("Hex dump with field names",))
        self.hexdump_box.selected_index = None
        self.hexdump_box.observe(lambda _c: self.refresh(keep_error=True), names="selected_index")
        self.root = w.VBox([
            source,
            self.design,
            w.HBox([self.back, self.step, self.reset, self.play, self.slider, self.vp]),
            self.error,
            self.panels["event"],
            self.panels["banner"],
            self.panels["vps"],
            self.panels["registers"],
            self.panels["pages"],
            self.hexdump_box,
        ])
        self.root.add_class("tdxlab-stepper")
        self.refresh()

    def _vp_options(self) -> list[tuple[str, int]]:
        return [("the event's VP", -1), *((f"VP {i}", i) for i in range(self.s.vps))]

    def sync(self) -> None:
        """Every control in line with the Stepper (values set only when changed)."""
        s = self.s
        if self.scenario.value != s.scenario:
            self.scenario.value = s.scenario
        if s.design.key not in self.design.options:
            self.choices[s.design.key] = s.design
            self.design.options = (*self.design.options, s.design.key)
        self.design.value = s.design.key
        if self.slider.max != s.last:
            self.slider.max = self.play.max = s.last
        self.slider.value = self.play.value = s.index
        options = self._vp_options()
        if list(self.vp.options) != options:
            self.vp.options = options
        self.vp.value = -1 if s.selected_vp is None else s.selected_vp
        self.step.disabled = s.at_end
        self.back.disabled = s.index < 0

    def redraw(self) -> None:
        """Every panel (the hex dump only while its accordion is open)."""
        hexdump_open = self.hexdump_box.selected_index == 0
        for name, html in self.s.panels(hexdump=hexdump_open).items():
            self.panels[name].value = html


__all__ = ["DEFAULT_SCENARIO", "PANELS", "Stepper", "StepperError", "clear_view_caches"]
