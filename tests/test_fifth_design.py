"""A fifth design, declared in this file only, shows up in every view and command.

This is the proof that the registry is the one extension point (issue 8): the design
below is a class and one ``register_design`` call; no tdxlab module names it, yet the
comparison, the sweeps and break-evens, the charts, the host analogue, the cost, plot and
simulate/check commands and every widget (the cost explorer included) offer it.  It is a
throw-away: a split design that also keeps CR2 per VTL, drawn in its own style, asking its
own break-even question.  It is registered for each test and removed afterwards, so no other
test sees it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout

import pytest
from widget_tree import walk

from tdxlab.commands import main
from tdxlab.compare import compare
from tdxlab.cost.host import measure
from tdxlab.cost.sweep import break_evens, sweep, verdicts
from tdxlab.render.charts import cost_figures
from tdxlab.sim.designs import DESIGNS, DesignStyle, SplitDesign, register_design, unregister_design
from tdxlab.widgets.compare import DesignComparison
from tdxlab.widgets.cost import CostExplorer
from tdxlab.widgets.finder import CounterexampleFinder
from tdxlab.widgets.stepper import Stepper
from tdxlab.widgets.your_design import YourDesign

KEY = "fifth"
COLOUR = "#123456"


class FifthDesign(SplitDesign):
    """Split pages, and CR2 in each VTL's own page as well (the TLFS shares CR2)."""

    key = KEY
    title = "fifth design (test only)"
    summary = "split pages with CR2 per VTL"
    style_of = DesignStyle(COLOUR, "P", "-")
    break_even_against = (("bank",),)

    def default_private(self) -> frozenset[str]:
        return super().default_private() | {"cr2"}


@pytest.fixture
def fifth() -> Iterator[FifthDesign]:
    design = register_design(FifthDesign())
    try:
        yield design
    finally:
        unregister_design(KEY)
    assert KEY not in DESIGNS


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_registered_last_and_styled(fifth: FifthDesign) -> None:
    assert list(DESIGNS)[-1] == KEY
    assert fifth.style == DesignStyle(COLOUR, "P", "-")


def test_in_the_comparison(fifth: FifthDesign) -> None:
    frame = compare("secure_call_round_trip").frame
    assert list(frame.index)[-1] == KEY
    # CR2 per VTL where the TLFS shares it: stale CR2 after each switch (values in the scenario file).
    assert frame.loc[KEY, "registers"] == "cr2"
    assert frame.loc[KEY, "stale"] == 2


def test_in_the_sweep_and_its_break_even_question(fifth: FifthDesign) -> None:
    frame = sweep(vps=[1], entries_per_s=[1e4], switch_fraction=[0.0, 1.0])
    assert KEY in set(frame["design"])
    asked = [(be.design, be.others) for be in break_evens(list(DESIGNS))]
    assert (KEY, ("bank",)) in asked


def test_in_every_cost_chart(fifth: FifthDesign) -> None:
    figs = cost_figures(only=["cost_parts", "overhead_vs_switch", "memory"])
    for name, fig in figs.items():
        labels = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
        legend = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
        assert KEY in labels | legend, name
    colours = {line.get_color() for ax in figs["overhead_vs_switch"].axes for line in ax.get_lines()}
    assert COLOUR.lower() in {str(c).lower() for c in colours}


def test_in_the_host_analogue(fifth: FifthDesign) -> None:
    frame = measure(evicted_kib=[0], rounds=5, repeats=1)
    assert KEY in set(frame["design"])


def test_in_tdxlab_cost(fifth: FifthDesign) -> None:
    code, out = _cli("cost", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert KEY in {row["design"] for row in report["rows"]}
    # its own break-even question, worded like the kit's ("split is cheaper than bank ...")
    assert any(line.startswith(f"{KEY} is ") and " bank " in line for line in report["break_even"])
    code, out = _cli("cost")
    assert code == 0 and any(line.startswith(f"{KEY} is ") for line in out.splitlines())


def test_in_the_default_verdicts(fifth: FifthDesign) -> None:
    assert (KEY, ("bank",)) in [(be.design, be.others) for be in verdicts()]


def test_in_tdxlab_plot(fifth: FifthDesign, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out = _cli("plot", "cost", "--out", str(tmp_path), "--no-host")
    assert code == 0
    written = set(out.splitlines())
    assert {str(tmp_path / f"{c}.svg") for c in ("cost_parts", "overhead_vs_switch", "memory")} <= written
    # The design's own colour is drawn in the charts with one line or bar per design.
    for chart in ("overhead_vs_switch", "memory"):
        assert COLOUR.lower() in (tmp_path / f"{chart}.svg").read_text(encoding="utf-8"), chart


def test_in_tdxlab_simulate_and_check(fifth: FifthDesign) -> None:
    code, out = _cli("simulate", "--design", KEY, "--scenario", "secure_call_round_trip")
    assert code == 1 and "cr2" in out  # stale CR2: isolation of shared state fails
    code, out = _cli("check", "--design", KEY, "--search", "0")
    assert code == 1 and '"op"' in out  # a counterexample, printed as JSON Lines


def _options(widget: object) -> set[str]:
    found: set[str] = set()
    for w in walk(widget):
        for option in getattr(w, "options", ()) or ():
            found.add(option[1] if isinstance(option, tuple) else str(option))
    return found


def test_in_every_widget(fifth: FifthDesign) -> None:
    assert KEY in DesignComparison().frame.index
    stepper = Stepper(scenario="secure_call_round_trip", design=KEY)
    assert stepper.design.key == KEY
    assert KEY in _options(stepper.widget)
    finder = CounterexampleFinder(design=KEY, budget=0)
    assert finder.design.key == KEY
    assert KEY in _options(finder.widget)
    explorer = CostExplorer()
    assert KEY in explorer.designs and KEY in set(explorer.frame["design"])
    assert any(sentence.startswith(f"{KEY} is ") for sentence in explorer.sentences())
    yours = YourDesign(base=KEY)
    assert yours.base == KEY and "cr2" in yours.design.private
    assert KEY in _options(yours.widget)
