"""The counterexample finder widget: search for a trace that breaks a design, then replay it.

Plain-Python API first, widget second::

    f = CounterexampleFinder(design="naive")
    result = f.search(budget=50)     # tdxlab.sim.search.SearchResult
    f.jsonl                          # the trace found, as a JSON Lines file
    f.readable                       # the same events in words, one per step
    f.violation_lines                # what broke, in words
    st = f.replay()                  # a Stepper on the trace found, under the same design
    f.widget                         # design, budget slider, Search, results, Replay in Stepper

The search itself is :func:`tdxlab.sim.search.find_counterexample` (a shortest
counterexample by breadth-first search, plus hypothesis on longer multi-VP traces);
this module only runs it and shows what it returns.  Designs offered are the registered
designs (read when the UI is built) and the presets of :data:`tdxlab.compare.PRESETS` (reviewers' variants).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import traitlets

from tdxlab import describe
from tdxlab.compare import PRESETS
from tdxlab.render.css import FONT, MONO
from tdxlab.render.stepper_views import section_html
from tdxlab.sim.checker import by_severity
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.model import DEFAULT_LOWER_VTLS, MAX_LOWER_VTLS
from tdxlab.sim.search import DEFAULT_BUDGET, SearchResult, find_counterexample
from tdxlab.sim.trace import Trace, dump_trace
from tdxlab.widgets._base import WidgetModel, WidgetUI

if TYPE_CHECKING:
    from tdxlab.widgets.stepper import Stepper

#: Largest budget the slider offers: hypothesis examples, a few seconds at most.
MAX_BUDGET = 1000


class FinderError(ValueError):
    """Bad input to the finder, or a replay with nothing to replay: one line."""


def design_choices() -> dict[str, Design]:
    """Designs the finder offers, by key: every registered design (read now), then every preset variant."""
    out: dict[str, Design] = dict(DESIGNS)
    out.update({p.key: p.design() for p in PRESETS.values()})
    return out


def _resolve(design: str | Design) -> Design:
    if isinstance(design, Design):
        return design
    choices = design_choices()
    if isinstance(design, str):
        if design in choices:
            return choices[design]
        for p in PRESETS.values():
            if design == p.name:
                return choices[p.key]
    try:
        return get_design(design)
    except (ValueError, TypeError):
        raise FinderError(f"unknown design {design!r}; known: {', '.join(choices)}") from None


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if (isinstance(value, int) and not isinstance(value, bool)
            and low <= value and (high is None or value <= high)):
        return value
    limit = f"{low}..{high}" if high is not None else f">= {low}"
    raise FinderError(f"{name} must be an integer {limit}, got {value!r}")


class CounterexampleFinder(WidgetModel["_FinderUI"]):
    """Run the counterexample search for one design and hold what it found."""

    design: traitlets.Instance[Design] = traitlets.Instance(Design, read_only=True,  # type: ignore[type-abstract]
                                                            help="the design searched")
    budget = traitlets.Int(DEFAULT_BUDGET, min=0, max=MAX_BUDGET, help="hypothesis examples per search")
    seed = traitlets.Int(0, min=0, help="the hypothesis seed")
    lower_vtls = traitlets.Int(DEFAULT_LOWER_VTLS, min=DEFAULT_LOWER_VTLS, max=MAX_LOWER_VTLS,
                               help="lower VTLs of the partition searched")

    def __init__(self, design: str | Design = "naive", budget: int = DEFAULT_BUDGET, seed: int = 0,
                 lower_vtls: int = DEFAULT_LOWER_VTLS) -> None:
        """Choose the design (key, preset key/name or a Design), the default budget, seed and VTL count."""
        super().__init__()
        chosen = _resolve(design)
        b = _check_int("budget", budget, 0, MAX_BUDGET)
        s = _check_int("seed", seed, 0)
        n = _check_int("lower_vtls", lower_vtls, DEFAULT_LOWER_VTLS, MAX_LOWER_VTLS)
        self.set_trait("design", chosen)
        self.budget, self.seed, self.lower_vtls = b, s, n
        self._result: SearchResult | None = None
        self._stepper: Stepper | None = None

    # --- state ----------------------------------------------------------------------------------

    @property
    def result(self) -> SearchResult | None:
        """The last search's result (None before the first search or after a design change)."""
        return self._result

    @property
    def stepper(self) -> Stepper | None:
        """The Stepper of the last replay, if any."""
        return self._stepper

    @property
    def jsonl(self) -> str:
        """The trace found, as JSON Lines ('' when nothing was found)."""
        if self._result is None or self._result.trace is None:
            return ""
        return dump_trace(self._result.trace, self._result.lower_vtls)

    @property
    def readable(self) -> list[str]:
        """The trace found in words, one line per step (numbered like the Stepper)."""
        if self._result is None or self._result.trace is None:
            return []
        return describe.numbered_events(self._result.trace)

    @property
    def violation_lines(self) -> list[str]:
        """The violations the trace causes, in words."""
        if self._result is None:
            return []
        return [describe.describe_violation(v) for v in by_severity(self._result.violations)]

    @property
    def summary(self) -> str:
        """One line: what was searched, how much, and what came out."""
        return describe.finder_summary(self.design.key, self._result)

    # --- actions --------------------------------------------------------------------------------
    def set_design(self, design: str | Design) -> CounterexampleFinder:
        """Search another design next (the previous result and replay are dropped)."""
        chosen = _resolve(design)
        with self.hold_trait_notifications():
            self.set_trait("design", chosen)
            self._result = None
            self._stepper = None
            self._changed()
        return self

    def search(self, budget: int | None = None, seed: int | None = None,
               lower_vtls: int | None = None) -> SearchResult:
        """Run :func:`~tdxlab.sim.search.find_counterexample` and keep its result."""
        b = self.budget if budget is None else _check_int("budget", budget, 0, MAX_BUDGET)
        s = self.seed if seed is None else _check_int("seed", seed, 0)
        n = self.lower_vtls if lower_vtls is None else _check_int("lower_vtls", lower_vtls,
                                                                  DEFAULT_LOWER_VTLS, MAX_LOWER_VTLS)
        result = find_counterexample(self.design, budget=b, seed=s, lower_vtls=n)
        with self.hold_trait_notifications():
            self.budget, self.seed, self.lower_vtls = b, s, n
            self._result = result
            self._stepper = None
            self._changed()
        return result

    def replay(self) -> Stepper:
        """A Stepper on the trace found, under the same design (embedded below in the widget)."""
        from tdxlab.widgets.stepper import Stepper

        if self._result is None:
            raise FinderError("nothing to replay: run search() first")
        if self._result.trace is None:
            raise FinderError(f"nothing to replay: no counterexample for {self.design.key} within budget")
        self._stepper = Stepper(trace=Trace(self._result.trace, self._result.lower_vtls), design=self.design)
        self._changed()
        return self._stepper

    # --- views ----------------------------------------------------------------------------------
    @property
    def html(self) -> str:
        """The result as HTML: summary, readable events, violations, JSONL."""
        r = self._result
        if r is None:
            prompt = f'<div style="{FONT}">{escape(describe.FINDER_PROMPT)}</div>'
            return section_html(f"Counterexample search: {self.design.key}", prompt, self.design.title)
        parts = [f'<div class="tdxlab-finder-summary" style="{FONT}">{escape(self.summary)}</div>']
        if r.trace is not None:
            events = "".join(f"<li>{escape(line)}</li>" for line in self.readable)
            parts.append(f'<ol start="0" style="{FONT} margin: 4px 0;">{events}</ol>')
            viols = "".join(f'<li class="tdxlab-violation">{escape(v)}</li>' for v in self.violation_lines)
            parts.append(f'<div style="{FONT} font-weight: 600;">{escape(describe.FINDER_VIOLATIONS)}</div>'
                         f'<ul class="tdxlab-finder-violations" style="{FONT} margin: 4px 0;">{viols}</ul>')
            parts.append(f'<div style="{FONT} font-weight: 600;">{escape(describe.FINDER_JSONL)}</div>'
                         f'<pre class="tdxlab-finder-jsonl" style="{MONO} margin: 4px 0;">'
                         f"{escape(self.jsonl)}</pre>")
        return section_html(f"Counterexample search: {self.design.key}", "".join(parts), self.design.title)

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _FinderUI:
        return _FinderUI(self)

    def __repr__(self) -> str:
        """Design and outcome in one line."""
        return f"<CounterexampleFinder {self.summary}>"


class _FinderUI(WidgetUI):
    """The widgets of one finder; every handler calls the finder's public API."""

    def __init__(self, finder: CounterexampleFinder) -> None:
        import ipywidgets as w

        super().__init__(finder)
        self.f = finder
        self.choices = design_choices()
        options = [(k if k in DESIGNS else f"{k} (variant)", k) for k in self.choices]
        if finder.design.key not in self.choices:
            self.choices[finder.design.key] = finder.design
            options.append((f"{finder.design.key} (yours)", finder.design.key))
        self.design = w.Dropdown(options=options, value=finder.design.key, description="Design",
                                 layout=w.Layout(width="330px"))
        self.budget = w.IntSlider(value=finder.budget, min=0, max=MAX_BUDGET, step=10,
                                  continuous_update=False, description="Budget",
                                  tooltip="hypothesis examples on top of the breadth-first search")
        self.vtls = w.Dropdown(options=[(f"{n} lower VTLs", n) for n in range(DEFAULT_LOWER_VTLS,
                                                                              MAX_LOWER_VTLS + 1)],
                               value=finder.lower_vtls, description="VTLs", layout=w.Layout(width="200px"))
        self.search = w.Button(description="Search", button_style="primary",
                               tooltip="look for a trace that breaks isolation")
        self.replay = w.Button(description="Replay in Stepper", tooltip="step through the trace found",
                               disabled=True)
        self.result = w.HTML()
        self.result.add_class("tdxlab-finder-result")
        self.stepper_box = w.VBox()
        self.stepper_box.add_class("tdxlab-finder-replay")
        self.on_value(self.design, lambda key: finder.set_design(self.choices[key]),
                      lambda: finder.design.key)
        self.on_click(self.search, self._do_search)
        self.on_click(self.replay, finder.replay)
        controls = w.HBox([self.design, self.budget, self.vtls, self.search, self.replay])
        self.root = w.VBox([controls, self.error, self.result, self.stepper_box])
        self.root.add_class("tdxlab-finder")
        self.refresh()

    def _do_search(self) -> None:
        self.search.disabled = True
        self.search.description = "Searching…"
        try:
            self.f.search(budget=self.budget.value, lower_vtls=self.vtls.value)
        finally:
            self.search.disabled = False
            self.search.description = "Search"

    def sync(self) -> None:
        """Design and budget show the finder's; Replay is enabled when there is a trace."""
        if self.f.design.key in self.choices:
            self.design.value = self.f.design.key
        self.budget.value = self.f.budget
        self.vtls.value = self.f.lower_vtls
        r = self.f.result
        self.replay.disabled = r is None or r.trace is None

    def redraw(self) -> None:
        """The result, and the replay's Stepper embedded below it."""
        self.result.value = self.f.html
        st = self.f.stepper
        self.stepper_box.children = () if st is None else (st.widget,)


__all__ = ["MAX_BUDGET", "CounterexampleFinder", "FinderError", "design_choices"]
