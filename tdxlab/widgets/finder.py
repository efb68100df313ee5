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
this module only runs it and shows what it returns.  Designs offered are the four
designs and the presets of :data:`tdxlab.compare.PRESETS` (reviewers' variants).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from tdxlab import describe
from tdxlab.compare import PRESETS, CompareError
from tdxlab.render.stepper_views import error_html, section_html
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.search import DEFAULT_BUDGET, SearchResult, find_counterexample
from tdxlab.sim.trace import dump_trace
from tdxlab.widgets._lazy import LazyUI

if TYPE_CHECKING:
    from tdxlab.widgets.stepper import Stepper

#: Largest budget the slider offers: hypothesis examples, a few seconds at most.
MAX_BUDGET = 1000

_FONT = "font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;"
_MONO = "font-family: var(--jp-code-font-family, monospace); font-size: 12px;"


class FinderError(ValueError):
    """Bad input to the finder, or a replay with nothing to replay: one line."""


def design_choices() -> dict[str, Design]:
    """Designs the finder offers, by key: the four, then every preset variant."""
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


class CounterexampleFinder(LazyUI["_FinderUI"]):
    """Run the counterexample search for one design and hold what it found."""

    def __init__(self, design: str | Design = "naive", budget: int = DEFAULT_BUDGET, seed: int = 0) -> None:
        """Choose the design (key, preset key/name or a Design) and the default budget and seed."""
        self._design = _resolve(design)
        self.budget = _check_int("budget", budget, 0, MAX_BUDGET)
        self.seed = _check_int("seed", seed, 0)
        self._result: SearchResult | None = None
        self._stepper: Stepper | None = None
        self._ui: _FinderUI | None = None

    # --- state ----------------------------------------------------------------------------------
    @property
    def design(self) -> Design:
        """The design searched."""
        return self._design

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
        return dump_trace(self._result.trace)

    @property
    def readable(self) -> list[str]:
        """The trace found in words, one line per step (numbered like the Stepper)."""
        if self._result is None or self._result.trace is None:
            return []
        return [f"step {i}: {describe.describe_event(e)}" for i, e in enumerate(self._result.trace)]

    @property
    def violation_lines(self) -> list[str]:
        """The violations the trace causes, in words."""
        if self._result is None:
            return []
        return [describe.describe_violation(v) for v in self._result.violations]

    @property
    def summary(self) -> str:
        """One line: what was searched, how much, and what came out."""
        r = self._result
        if r is None:
            return f"{self._design.key}: not searched yet"
        tried = f"{r.examples_tried:,} traces tried in {r.seconds:.1f} s"
        if r.trace is not None:
            how = "breadth-first, so none shorter exists" if r.method == "bfs" else f"found by {r.method}"
            return (f"{r.design}: counterexample of {len(r.trace)} events ({how}); "
                    f"{len(r.violations)} violations; {tried}")
        return (f"{r.design}: no counterexample within budget: every trace of up to "
                f"{r.exhaustive_length} events over the alphabet ({', '.join(r.alphabet)}) holds, "
                f"and {r.hypothesis_examples} longer random multi-VP traces did too; {tried}")

    # --- actions --------------------------------------------------------------------------------
    def set_design(self, design: str | Design) -> CounterexampleFinder:
        """Search another design next (the previous result and replay are dropped)."""
        self._design = _resolve(design)
        self._result = None
        self._stepper = None
        self._refresh()
        return self

    def search(self, budget: int | None = None, seed: int | None = None) -> SearchResult:
        """Run :func:`~tdxlab.sim.search.find_counterexample` and keep its result."""
        b = self.budget if budget is None else _check_int("budget", budget, 0, MAX_BUDGET)
        s = self.seed if seed is None else _check_int("seed", seed, 0)
        result = find_counterexample(self._design, budget=b, seed=s)
        self.budget, self.seed = b, s
        self._result = result
        self._stepper = None
        self._refresh()
        return result

    def replay(self) -> Stepper:
        """A Stepper on the trace found, under the same design (embedded below in the widget)."""
        from tdxlab.widgets.stepper import Stepper

        if self._result is None:
            raise FinderError("nothing to replay: run search() first")
        if self._result.trace is None:
            raise FinderError(f"nothing to replay: no counterexample for {self._design.key} within budget")
        self._stepper = Stepper(trace=self._result.trace, design=self._design)
        self._refresh()
        return self._stepper

    def _refresh(self) -> None:
        if self._ui is not None:
            self._ui.refresh()

    # --- views ----------------------------------------------------------------------------------
    @property
    def html(self) -> str:
        """The result as HTML: summary, readable events, violations, JSONL."""
        r = self._result
        if r is None:
            return section_html(f"Counterexample search: {self._design.key}",
                                f'<div style="{_FONT}">Press Search.</div>', self._design.title)
        parts = [f'<div class="tdxlab-finder-summary" style="{_FONT}">{escape(self.summary)}</div>']
        if r.trace is not None:
            events = "".join(f"<li>{escape(line)}</li>" for line in self.readable)
            parts.append(f'<ol start="0" style="{_FONT} margin: 4px 0;">{events}</ol>')
            viols = "".join(f'<li class="tdxlab-violation">{escape(v)}</li>' for v in self.violation_lines)
            parts.append(f'<div style="{_FONT} font-weight: 600;">Violations</div>'
                         f'<ul class="tdxlab-finder-violations" style="{_FONT} margin: 4px 0;">{viols}</ul>')
            parts.append(f'<div style="{_FONT} font-weight: 600;">As a trace file (JSON Lines)</div>'
                         f'<pre class="tdxlab-finder-jsonl" style="{_MONO} margin: 4px 0;">'
                         f"{escape(self.jsonl)}</pre>")
        return section_html(f"Counterexample search: {self._design.key}", "".join(parts), self._design.title)

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _FinderUI:
        return _FinderUI(self)

    def __repr__(self) -> str:
        """Design and outcome in one line."""
        return f"<CounterexampleFinder {self.summary}>"


class _FinderUI:
    """The widgets of one finder; every handler calls the finder's public API."""

    def __init__(self, finder: CounterexampleFinder) -> None:
        import ipywidgets as w

        self.f = finder
        self._syncing = False
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
        self.search = w.Button(description="Search", button_style="primary",
                               tooltip="look for a trace that breaks isolation")
        self.replay = w.Button(description="Replay in Stepper", tooltip="step through the trace found",
                               disabled=True)
        self.error = w.HTML()
        self.result = w.HTML()
        self.result.add_class("tdxlab-finder-result")
        self.stepper_box = w.VBox()
        self.stepper_box.add_class("tdxlab-finder-replay")
        self.design.observe(self._on_design, names="value")
        self.search.on_click(lambda _b: self._guard(self._do_search))
        self.replay.on_click(lambda _b: self._guard(finder.replay))
        self.root = w.VBox([w.HBox([self.design, self.budget, self.search, self.replay]), self.error,
                            self.result, self.stepper_box])
        self.root.add_class("tdxlab-finder")
        self.refresh()

    def _do_search(self) -> None:
        self.search.disabled = True
        self.search.description = "Searching…"
        try:
            self.f.search(budget=self.budget.value)
        finally:
            self.search.disabled = False
            self.search.description = "Search"

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (FinderError, CompareError, ValueError) as exc:
            self.error.value = error_html(str(exc))
            self.refresh(keep_error=True)
        else:
            self.error.value = ""
            self.refresh()

    def _on_design(self, change: dict[str, Any]) -> None:
        if not self._syncing and change["new"] != self.f.design.key:
            self._guard(lambda: self.f.set_design(self.choices[change["new"]]))

    def refresh(self, keep_error: bool = False) -> None:
        """Redraw the result, enable Replay when there is a trace, embed the replay's Stepper."""
        self._syncing = True
        try:
            if self.f.design.key in self.choices:
                self.design.value = self.f.design.key
            self.budget.value = self.f.budget
        finally:
            self._syncing = False
        if not keep_error:
            self.error.value = ""
        self.result.value = self.f.html
        r = self.f.result
        self.replay.disabled = r is None or r.trace is None
        st = self.f.stepper
        self.stepper_box.children = () if st is None else (st.widget,)


__all__ = ["MAX_BUDGET", "CounterexampleFinder", "FinderError", "design_choices"]
