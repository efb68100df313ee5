"""The Counterexample finder through its Python API, and its widget driven programmatically.

budget=0 runs only the breadth-first search: fast, deterministic, and shortest by construction.
"""

from __future__ import annotations

import pytest
from widget_tree import find

from tdxlab import describe
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Op
from tdxlab.sim.trace import parse_trace
from tdxlab.widgets.finder import CounterexampleFinder, FinderError, design_choices
from tdxlab.widgets.stepper import Stepper


@pytest.fixture(scope="module")
def naive_found() -> CounterexampleFinder:
    f = CounterexampleFinder("naive")
    f.search(budget=0)
    return f


def test_naive_has_a_three_event_counterexample(naive_found: CounterexampleFinder) -> None:
    r = naive_found.result
    assert r is not None and r.found and r.trace is not None
    # Shortest possible: VTL 1 must exist (enable_vtl; its reset values equal VTL 0's), a value
    # must be written into the one page (the paravisor sets VTL 0's register) and read back as
    # another VTL's (the paravisor reads VTL 1's).  Two events cannot enable, write and observe.
    assert [e.op for e in r.trace] == [Op.ENABLE_VTL, Op.PV_SET, Op.PV_GET]
    assert r.method == "bfs"
    assert r.violations and all(v.step == 2 for v in r.violations)
    assert {v.reg for v in r.violations} <= DESIGNS["bank"].private  # only private registers break
    # VTL 1 is handed VTL 0's value: a lower VTL steers a higher one (integrity, high)
    assert {(v.kind.value, v.vtl, v.source_vtl, v.access.value) for v in r.violations} == {
        ("integrity", 1, 0, "pv_get")}


def test_result_views(naive_found: CounterexampleFinder) -> None:
    r = naive_found.result
    assert r is not None and r.trace is not None
    assert [(e.op, e.vp, e.vtl, e.reg, e.value) for e in parse_trace(naive_found.jsonl)] == \
        [(e.op, e.vp, e.vtl, e.reg, e.value) for e in r.trace]
    assert len(naive_found.readable) == 3 and naive_found.readable[0].startswith("step 0: ")
    assert len(naive_found.violation_lines) == len(r.violations)
    assert naive_found.violation_lines[0].startswith("[high] step 2, VP 0, VTL 1: rip read by the paravisor: "
                                                     "integrity")
    assert "3 events" in naive_found.summary and "1 finding (1 high)" in naive_found.summary
    html = naive_found.html
    assert "tdxlab-finder-jsonl" in html and describe.FINDER_VIOLATIONS in html


def test_replay_builds_a_stepper_on_the_trace(naive_found: CounterexampleFinder) -> None:
    st = naive_found.replay()
    assert isinstance(st, Stepper)
    assert naive_found.stepper is st
    assert st.design.key == "naive"
    assert [e.op for e in st.events] == [Op.ENABLE_VTL, Op.PV_SET, Op.PV_GET]
    st.play()
    assert st.violations_now  # the banner at the last step (the paravisor's read)
    assert [(v.step, v.reg, v.kind.value) for v in st.violations_now] == [(2, "rip", "integrity")]
    st.set_design("bank")
    assert not st.violations_so_far  # the same trace holds under bank switching


# #746: the naive page breaks (its counterexample: test_naive_has_a_three_event_counterexample);
# the three fixes hold.
FIXES_HOLD = ["bank", "split", "snp"]


@pytest.mark.parametrize("design", FIXES_HOLD)
def test_fixes_have_no_counterexample(design: str) -> None:
    f = CounterexampleFinder(design)
    r = f.search(budget=0)
    assert not r.found and r.trace is None and r.violations == []
    assert r.exhaustive_length == 6  # the default length bound of the breadth-first search
    assert "no counterexample" in f.summary
    assert f.jsonl == "" and f.readable == []
    with pytest.raises(FinderError, match="no counterexample for"):
        f.replay()


def test_replay_before_search() -> None:
    with pytest.raises(FinderError, match="run search"):
        CounterexampleFinder("naive").replay()


def test_presets_are_offered_and_break() -> None:
    assert {*DESIGNS, "bank-no-rsp"} <= set(design_choices())
    f = CounterexampleFinder("bank-no-rsp")
    r = f.search(budget=0)
    assert r.found and {v.reg for v in r.violations} == {"rsp"}  # pre-#1178: RSP not banked
    assert CounterexampleFinder("bank that forgets RSP (pre-#1178)").design.key == "bank-no-rsp"


def test_set_design_drops_the_result(naive_found: CounterexampleFinder) -> None:
    f = CounterexampleFinder("naive")
    f.search(budget=0)
    f.set_design("bank")
    assert f.result is None and f.stepper is None and f.design.key == "bank"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"design": "bogus"}, "unknown design 'bogus'"), ({"budget": -1}, "budget must be"),
     ({"budget": 10**6}, "budget must be"), ({"seed": "x"}, "seed must be")],
)
def test_bad_input(kwargs: dict, words: str) -> None:
    with pytest.raises(FinderError, match=words):
        CounterexampleFinder(**kwargs)


def test_bad_search_budget_keeps_state(naive_found: CounterexampleFinder) -> None:
    before = naive_found.result
    with pytest.raises(FinderError, match="budget must be"):
        naive_found.search(budget=True)  # type: ignore[arg-type]
    assert naive_found.result is before


def test_widget_search_and_replay() -> None:
    f = CounterexampleFinder("naive", budget=0)
    root = f.widget
    search = find(root, "Button", "Search")
    replay = find(root, "Button", "Replay in Stepper")
    slider = find(root, "IntSlider", "Budget")
    result = find(root, "HTML", cls="tdxlab-finder-result")
    assert replay.disabled and "Press Search" in result.value
    slider.value = 0
    search.click()
    assert f.result is not None and f.result.found
    assert "counterexample of 3 events" in result.value
    assert not replay.disabled
    replay.click()
    assert f.stepper is not None
    box = find(root, "VBox", cls="tdxlab-finder-replay")
    assert f.stepper.widget in box.children
    # switching the design clears the result and the embedded Stepper
    dropdown = find(root, "Dropdown", "Design")
    dropdown.value = "bank"
    assert f.design.key == "bank" and f.result is None
    assert replay.disabled and f.stepper is None
    search.click()
    assert f.result is not None and not f.result.found
    assert replay.disabled and "no counterexample" in result.value


def test_widget_offers_a_custom_design() -> None:
    mine = DESIGNS["split"].variant("split+cr2", add_private={"cr2"})
    f = CounterexampleFinder(mine, budget=0)
    dropdown = find(f.widget, "Dropdown", "Design")
    assert dropdown.value == "split+cr2"


def test_replay_of_a_variant_shows_it_in_the_stepper() -> None:
    # A preset variant is not in the registry; its replay must still open in the Stepper's UI.
    variant = DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})
    f = CounterexampleFinder(variant, budget=0)
    f.search()
    st = f.replay()
    assert st.design.key == "bank-no-rsp"
    toggle = find(st.widget, "ToggleButtons")
    assert toggle.value == "bank-no-rsp" and "bank" in toggle.options
    toggle.value = "bank"  # back to the registered design, then to the variant again
    assert st.design.key == "bank"
    toggle.value = "bank-no-rsp"
    assert st.design is variant
