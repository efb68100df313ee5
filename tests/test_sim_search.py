"""Counterexample search: shortest violating traces for broken designs, none for correct ones."""

from __future__ import annotations

import pytest

from tdxlab.sim.checker import AccessKind
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Event, Op, TraceError
from tdxlab.sim.machine import Simulation
from tdxlab.sim.search import find_counterexample, register_groups
from tdxlab.sim.trace import dump_trace, parse_trace

BUDGET = 20  # hypothesis examples per search: enough to exercise it, small enough to stay fast

# Expected per design: does a counterexample exist (within the budget)?
BROKEN = {"naive": True, "bank": False, "split": False, "snp": False}


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {d: find_counterexample(d, budget=BUDGET) for d in BROKEN}


@pytest.mark.parametrize("design", list(BROKEN), ids=list(BROKEN))
def test_search_per_design(design: str, results: dict[str, object]) -> None:
    res = results[design]
    assert res.design == design  # type: ignore[attr-defined]
    if BROKEN[design]:
        assert res.found and res.trace is not None and len(res.trace) <= 6  # type: ignore[attr-defined]
        assert res.violations  # type: ignore[attr-defined]
    else:
        assert res.trace is None and res.violations == []  # type: ignore[attr-defined]
        assert res.exhaustive_length == 6  # type: ignore[attr-defined]
    assert res.examples_tried >= BUDGET  # type: ignore[attr-defined]
    assert res.seconds > 0  # type: ignore[attr-defined]


def test_naive_shortest_is_three_events(results: dict[str, object]) -> None:
    # No trace of 2 events can violate on the naive page: a second VTL must be enabled (its reset
    # values equal VTL 0's), a value must be written into the one page, and something must read it.
    # With paravisor reads and writes that is 3 events: enable VTL 1, the paravisor sets VTL 0's
    # RIP (into the one page), then reads VTL 1's RIP and gets VTL 0's value: a lower VTL's
    # private value in a higher VTL, one integrity finding, caused by the pv_set at step 1.
    res = results["naive"]
    trace = res.trace  # type: ignore[attr-defined]
    assert res.method == "bfs"  # type: ignore[attr-defined]
    assert [e.op for e in trace] == [Op.ENABLE_VTL, Op.PV_SET, Op.PV_GET]
    assert trace[0].vtl == 1
    assert (trace[1].vtl, trace[1].reg, trace[1].value) == (0, "rip", 1)
    assert (trace[2].vtl, trace[2].reg) == (1, "rip")
    assert [(v.step, v.vtl, v.reg, v.kind.value, v.expected, v.found, v.source_vtl, v.access, v.cause_step)
            for v in res.violations] == [  # type: ignore[attr-defined]
        (2, 1, "rip", "integrity", 0, 1, 0, AccessKind.PV_GET, 1)]
    assert [e.line for e in trace] == [1, 2, 3]  # numbered like the printed JSON Lines


def test_naive_entry_round_trip_of_four_events() -> None:
    # Without paravisor accesses the shortest needs entries: a value set, a run to make it real,
    # enabling VTL 1 (which writes VTL 1's reset values into the one page), and a run to observe it.
    # VTL 0 then holds VTL 1's reset RIP (0) instead of its own (1): a higher VTL's private value,
    # one disclosure finding (the old checker reported it twice, as a clobber and a leak).
    trace = [Event(Op.SET, 0, 0, "rip", 1), Event(Op.RUN, 0), Event(Op.ENABLE_VTL, 0, 1), Event(Op.RUN, 0)]
    found = Simulation("naive").run(trace).violations
    assert [(v.step, v.vtl, v.reg, v.kind.value, v.expected, v.found, v.source_vtl, v.access, v.cause_step)
            for v in found] == [(3, 0, "rip", "disclosure", 1, 0, 1, AccessKind.ENTRY, 2)]


def test_trace_is_valid_and_replays(results: dict[str, object]) -> None:
    trace = results["naive"].trace  # type: ignore[attr-defined]
    again = parse_trace(dump_trace(trace))
    assert again == trace
    sim = Simulation("naive", max(e.vp for e in again) + 1)
    assert sim.run(again).violations


def test_bank_without_rsp_is_found() -> None:
    variant = DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})
    res = find_counterexample(variant, budget=BUDGET)
    assert res.found and res.trace is not None and len(res.trace) <= 6
    assert {v.reg for v in res.violations} == {"rsp"}
    assert res.design == "bank-no-rsp"


def test_split_with_private_cr2_is_found() -> None:
    variant = DESIGNS["split"].variant("split-cr2-private", add_private={"cr2"})
    res = find_counterexample(variant, budget=0)
    assert res.trace is not None
    # CR2 goes stale when one VTL's copy is written and the other's read: enable VTL 1, the paravisor
    # sets VTL 0's CR2 (VTL 0's copy only), then reads VTL 1's and finds the old value (reset 0).
    assert [e.op for e in res.trace] == [Op.ENABLE_VTL, Op.PV_SET, Op.PV_GET]
    assert [(v.step, v.vtl, v.reg, v.kind.value, v.expected, v.found, v.source_vtl, v.access)
            for v in res.violations] == [(2, 1, "cr2", "stale", 1, 0, None, AccessKind.PV_GET)]


@pytest.fixture(scope="module")
def hypothesis_naive() -> object:
    return find_counterexample("naive", budget=100, max_length=0)


def test_hypothesis_alone_finds_a_short_valid_trace(hypothesis_naive: object) -> None:
    res = hypothesis_naive
    assert res.method == "hypothesis" and res.trace is not None  # type: ignore[attr-defined]
    assert res.bfs_tried == 0 and res.hypothesis_examples > 0  # type: ignore[attr-defined]
    trace = res.trace  # type: ignore[attr-defined]
    assert len(trace) <= 8 and trace[-1].op is Op.RUN
    # 1-minimal: dropping any one event makes it invalid or harmless.
    for i in range(len(trace)):
        shorter = trace[:i] + trace[i + 1 :]
        try:
            harmful = bool(Simulation("naive", 2, record=False).run(shorter).violations)
        except TraceError:
            harmful = False
        assert not harmful


def test_deterministic_for_a_seed(hypothesis_naive: object) -> None:
    again = find_counterexample("naive", budget=100, max_length=0)
    assert again.trace == hypothesis_naive.trace  # type: ignore[attr-defined]
    assert again.examples_tried == hypothesis_naive.examples_tried  # type: ignore[attr-defined]


def test_deterministic_when_nothing_is_found() -> None:
    a = find_counterexample("bank", budget=10, seed=1, max_length=2)
    b = find_counterexample("bank", budget=10, seed=1, max_length=2)
    assert a.trace is None and b.trace is None
    assert (a.examples_tried, a.exhaustive_length) == (b.examples_tried, 2)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"budget": -1}, "budget must be an integer >= 0"),
    ({"seed": "x"}, "seed must be an integer"),
    ({"vps": 0}, "vps must be an integer >= 1"),
])
def test_bad_arguments(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        find_counterexample("naive", **kwargs)  # type: ignore[arg-type]


def test_unknown_design() -> None:
    with pytest.raises(ValueError, match="unknown design 'nope'"):
        find_counterexample("nope")


def test_register_groups() -> None:
    # naive keeps nothing per VTL: private and shared registers, all in the run page, each split
    # by whether the reset value is zero (RFLAGS, and the shared FCW/MXCSR, are not: a page the
    # design never wrote holds zero, their reset value only for the others).  Dropping RSP from
    # bank's bank gives RSP a group of its own.
    naive = register_groups("naive")
    assert {g[0]: set(g) for g in naive if "rflags" in g or "fcw" in g} == {
        "rflags": {"rflags"}, "fcw": {"fcw", "mxcsr"}}
    assert len(naive) == 4 and {g[0] for g in naive} == {"rip", "rax", "rflags", "fcw"}
    groups = register_groups(DESIGNS["bank"].variant("v", drop_private={"rsp"}))
    assert ("rsp",) in groups
    assert sorted(r for g in groups for r in g) == sorted(r for g in register_groups("bank") for r in g)
