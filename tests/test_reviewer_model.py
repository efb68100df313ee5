"""The reviewer's model: paravisor access to any VTL, 2 or 3 lower VTLs, ranked findings.

Expected values are derived from the trace written in each test and the TLFS/OpenVMM rules
stated in ``docs/trace-format.md`` (calls up one VTL, returns down one, a non-fast return
restores RAX/RCX from the control page), never read back from the code under test.
"""

from __future__ import annotations

import json

import pytest

from tdxlab.commands import main
from tdxlab.scenarios import SCENARIOS, load_scenario
from tdxlab.scenarios.access_paths import ACCESS_PATHS
from tdxlab.sim.checker import AccessKind, Severity, ViolationKind, by_severity
from tdxlab.sim.designs import DESIGNS, SharedPageDesign, VpStore, entry_flags, fix_designs, get_design
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import Simulation, simulate
from tdxlab.sim.memory import Actor, Memory
from tdxlab.sim.search import find_counterexample
from tdxlab.sim.trace import dump_trace, parse_trace

FIXES = [d.key for d in fix_designs()]
RIP0, RIP1, RIP2 = 0x1000, 0x2000, 0x3000


def _sim(design: str, lower_vtls: int = 2) -> Simulation:
    return Simulation(design, 1, lower_vtls=lower_vtls)


def _apply(sim: Simulation, *events: Event) -> None:
    for e in events:
        sim.apply(e)


def _round_trip_to_vtl1(sim: Simulation) -> None:
    """VTL 0 leaves RIP0 and runs; it calls VTL 1, which leaves RIP1 and runs (VTL 1 current)."""
    _apply(sim, Event(Op.ENABLE_VTL, 0, 1), Event(Op.SET, 0, 0, "rip", RIP0), Event(Op.RUN, 0),
           Event(Op.VTL_CALL, 0), Event(Op.SET, 0, 1, "rip", RIP1), Event(Op.RUN, 0))


# --- pv_get / pv_set -------------------------------------------------------------------------------
@pytest.mark.parametrize("design", FIXES)
def test_a_fix_reads_a_vtl_that_is_not_running(design: str) -> None:
    sim = _sim(design)
    _round_trip_to_vtl1(sim)
    rec = sim.apply(Event(Op.PV_GET, 0, 0, "rip"))  # VTL 1 is current; ask for VTL 0's RIP
    assert rec is not None and rec.observed == {"rip": RIP0}
    assert rec.violations == ()


@pytest.mark.parametrize("design", ["naive", "vtl-accessors"])
def test_one_register_set_answers_for_the_wrong_vtl(design: str) -> None:
    sim = _sim(design)
    _round_trip_to_vtl1(sim)
    rec = sim.apply(Event(Op.PV_GET, 0, 0, "rip"))
    assert rec is not None and rec.observed == {"rip": RIP1}  # the page holds VTL 1's RIP
    (v,) = rec.violations
    # VTL 1's private value handed out as VTL 0's: a disclosure (down), read by the paravisor.
    assert (v.kind, v.severity, v.access, v.source_vtl) == (
        ViolationKind.DISCLOSURE, Severity.MEDIUM, AccessKind.PV_GET, 1)
    assert (v.expected, v.found, v.vtl) == (RIP0, RIP1, 0)


@pytest.mark.parametrize("design", FIXES)
def test_pv_set_of_another_vtl_is_what_it_next_observes(design: str) -> None:
    sim = _sim(design)
    _round_trip_to_vtl1(sim)
    _apply(sim, Event(Op.PV_SET, 0, 0, "rip", RIP0 + 2),  # VTL 1's HvCallSetVpRegisters on VTL 0
           Event(Op.RUN, 0), Event(Op.VTL_RETURN, 0, fast=True))
    rec = sim.apply(Event(Op.RUN, 0))
    assert rec is not None and rec.observed is not None
    assert rec.observed["rip"] == RIP0 + 2
    assert sim.violations == []


def test_naive_pv_set_for_vtl0_steers_vtl1() -> None:
    # With one set, the RIP the paravisor sets for VTL 0 while VTL 1 is current is what VTL 1 next
    # runs with: a value meant for the lower VTL in the higher one is integrity (high).
    sim = _sim("naive")
    _round_trip_to_vtl1(sim)
    _apply(sim, Event(Op.PV_SET, 0, 0, "rip", RIP0 + 2))
    rec = sim.apply(Event(Op.RUN, 0))
    assert rec is not None
    (v,) = [v for v in rec.violations if v.reg == "rip"]
    assert (v.kind, v.vtl, v.found, v.source_vtl, v.cause_step) == (
        ViolationKind.INTEGRITY, 1, RIP0 + 2, 0, 6)


def test_raw_page_accessors_lose_a_write_the_bank_overwrites() -> None:
    # bank-page-accessors writes the run page, then the next entry copies the bank over it.
    sim = _sim("bank-page-accessors")
    _apply(sim, Event(Op.RUN, 0), Event(Op.PV_SET, 0, 0, "rip", 0x42))
    rec = sim.apply(Event(Op.RUN, 0))
    assert rec is not None
    (v,) = rec.violations
    assert (v.reg, v.kind, v.expected, v.found) == ("rip", ViolationKind.LOST, 0x42, 0)


def test_pv_set_of_a_shared_register_is_seen_by_every_vtl() -> None:
    for design in FIXES:
        sim = _sim(design)
        _round_trip_to_vtl1(sim)
        _apply(sim, Event(Op.PV_SET, 0, 1, "rdx", 0x77), Event(Op.VTL_RETURN, 0, fast=True))
        rec = sim.apply(Event(Op.PV_GET, 0, 0, "rdx"))
        assert rec is not None and rec.observed == {"rdx": 0x77}, design
        assert sim.violations == [], design


# --- the access-path scenario --------------------------------------------------------------------
def test_every_access_path_is_a_step_of_the_scenario() -> None:
    events = load_scenario("paravisor_access_paths")
    sim = Simulation("bank", 1)
    current = []
    for e in events:
        current.append(sim.vps[0].current)
        sim.apply(e)
    covered: set[int] = set()
    for path in ACCESS_PATHS:
        assert path.source.where and path.steps, path.name
        for step in path.steps:
            e = events[step]
            assert step not in covered, f"step {step} is claimed by two paths"
            covered.add(step)
            if e.op is Op.VTL_RETURN:
                assert not e.is_fast and set(path.registers) == {"rax", "rcx"}
                continue
            assert e.op in (Op.PV_GET, Op.PV_SET) and e.reg in path.registers, (path.name, str(e))
            assert (e.vtl != current[step]) is path.cross_vtl, (path.name, step)
    paravisor = {i for i, e in enumerate(events) if e.op in (Op.PV_GET, Op.PV_SET)
                 or (e.op is Op.VTL_RETURN and not e.is_fast)}
    assert covered == paravisor  # and no paravisor step is left without its source


def test_access_paths_split_the_two_halves_of_778() -> None:
    # Typed accessors without a bank fail like naive; a bank with page accessors passes every
    # entry-only scenario and fails only where the paravisor touches a VTL.
    accessors = simulate("vtl-accessors", load_scenario("paravisor_access_paths")).violations
    assert {v.access for v in accessors} == {AccessKind.ENTRY, AccessKind.PV_GET}
    raw = get_design("bank-page-accessors")
    for name in SCENARIOS:
        found = simulate(raw, load_scenario(name)).violations
        uses_pv = any(e.op in (Op.PV_GET, Op.PV_SET) for e in load_scenario(name))
        assert bool(found) is uses_pv, name
    assert get_design("vtl-accessors").key not in DESIGNS  # a named variant, not in every table


# --- return kinds -------------------------------------------------------------------------------
@pytest.mark.parametrize("design", FIXES)
@pytest.mark.parametrize("fast", [True, False])
def test_return_kinds(design: str, fast: bool) -> None:
    sim = _sim(design)
    _round_trip_to_vtl1(sim)
    _apply(sim, Event(Op.SET, 0, 1, "rax", 0xAA), Event(Op.SET, 0, 1, "rcx", 0x12), Event(Op.RUN, 0))
    ret = Event(Op.VTL_RETURN, 0, fast=True) if fast else Event(Op.VTL_RETURN, 0, control=(0x5, 0x6))
    sim.apply(ret)
    rec = sim.apply(Event(Op.RUN, 0))
    assert rec is not None and rec.observed is not None
    # TLFS HvCallVtlReturn: fast keeps what VTL 1 left; not fast restores from HV_VP_VTL_CONTROL.
    want = (0xAA, 0x12) if fast else (0x5, 0x6)
    assert (rec.observed["rax"], rec.observed["rcx"]) == want
    assert sim.violations == []


def test_return_kind_round_trips_through_json() -> None:
    text = ('{"op": "enable_vtl", "vp": 0, "vtl": 1}\n{"op": "vtl_call", "vp": 0}\n'
            '{"op": "vtl_return", "vp": 0, "rax": "0x1", "rcx": "0x2"}\n{"op": "vtl_call", "vp": 0}\n'
            '{"op": "vtl_return", "vp": 0, "fast": true}\n')
    events = parse_trace(text)
    assert (events[2].is_fast, events[2].restored) == (False, (1, 2))
    assert (events[4].is_fast, events[4].control) == (True, None)
    assert [e.to_json() for e in parse_trace(dump_trace(events))] == [e.to_json() for e in events]


# --- three lower VTLs ------------------------------------------------------------------------------
def test_calls_go_up_one_level_and_returns_down_one() -> None:
    sim = _sim("split", 3)
    _apply(sim, Event(Op.ENABLE_VTL, 0, 1), Event(Op.ENABLE_VTL, 0, 2))
    levels = []
    for op in (Op.VTL_CALL, Op.VTL_CALL, Op.VTL_RETURN, Op.VTL_RETURN):
        sim.apply(Event(op, 0, fast=True) if op is Op.VTL_RETURN else Event(op, 0))
        levels.append(sim.vps[0].current)
    assert levels == [1, 2, 1, 0]
    sim.apply(Event(Op.INTERRUPT, 0, 2))  # an interrupt for a higher VTL switches straight to it
    assert sim.vps[0].current == 2
    sim.apply(Event(Op.VTL_RETURN, 0, fast=True))
    assert sim.vps[0].current == 1  # the next lower VTL, not the one interrupted


@pytest.mark.parametrize("design", list(DESIGNS))
def test_designs_scale_to_three_vtls(design: str) -> None:
    d = DESIGNS[design]
    two, three = d.sample_store(2), d.sample_store(3)
    kernel = [sum(p.counts_as_page for p in s.pages) for s in (two, three)]
    banks = [len(s.bank) for s in (two, three)]
    # naive: one page; bank: one run page, a bank per VTL; split/snp: a page or VMSA per VTL.
    grows = {"naive": (0, 0), "bank": (0, 1), "split": (1, 0), "snp": (1, 0)}
    assert (kernel[1] - kernel[0], banks[1] - banks[0]) == grows[design]
    assert set(three.slots) == {0, 1, 2}


@pytest.mark.parametrize("design", FIXES)
def test_a_fix_holds_with_three_vtls(design: str) -> None:
    assert simulate(design, load_scenario("three_lower_vtls")).violations == []


def test_naive_breaks_with_three_vtls_in_both_directions() -> None:
    found = simulate("naive", load_scenario("three_lower_vtls")).violations
    kinds = {(v.vtl, v.source_vtl, v.kind) for v in found}
    # VTL 2 entered with VTL 1's values (it called up from VTL 1): integrity from VTL 1.
    assert (2, 1, ViolationKind.INTEGRITY) in kinds
    # VTL 1 after VTL 2 returned to it: VTL 2's private values seen by VTL 1: disclosure.
    assert (1, 2, ViolationKind.DISCLOSURE) in kinds
    assert all(v.kind is not ViolationKind.STALE for v in found)


def test_search_covers_three_vtls_and_the_paravisor_ops() -> None:
    # The raw-accessor bank breaks only through pv_set/pv_get: the search must find that.
    for n in (2, 3):
        r = find_counterexample("bank-page-accessors", budget=0, lower_vtls=n)
        assert r.trace is not None and r.lower_vtls == n
        assert any(e.op in (Op.PV_GET, Op.PV_SET) for e in r.trace)
        replay = parse_trace(dump_trace(r.trace, r.lower_vtls))
        assert replay.lower_vtls == n
        assert simulate("bank-page-accessors", replay).violations
    ok = find_counterexample("bank", budget=20, lower_vtls=3, max_length=4)
    assert ok.trace is None and ok.exhaustive_length == 4


# --- findings ------------------------------------------------------------------------------------
def test_one_finding_per_wrong_value_sorted_by_severity() -> None:
    found = simulate("naive", load_scenario("secure_call_round_trip")).violations
    keys = [(v.step, v.vtl, v.reg, v.access) for v in found]
    assert len(keys) == len(set(keys))
    ranked = by_severity(found)
    assert [v.severity.rank for v in ranked] == sorted(v.severity.rank for v in found)
    assert ranked[0].kind is ViolationKind.INTEGRITY


def test_cli_reports_an_integrity_finding_for_vtl1_entered_on_vtl0s_rip(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"op": "enable_vtl", "vp": 0, "vtl": 1}\n'
                     '{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": "0x1000"}\n'
                     '{"op": "run", "vp": 0}\n{"op": "vtl_call", "vp": 0}\n{"op": "run", "vp": 0}\n',
                     encoding="utf-8")
    assert main(["simulate", "--design", "naive", "--trace", str(trace), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    (f,) = out["findings"]
    assert {k: f[k] for k in ("kind", "severity", "vtl", "reg", "expected", "found", "cause_step")} == {
        "kind": "integrity", "severity": "high", "vtl": 1, "reg": "rip", "expected": "0x0",
        "found": "0x1000", "cause_step": 2}
    assert out["severity_counts"] == {"high": 1, "medium": 0, "low": 0} and out["lower_vtls"] == 2
    for design in FIXES:
        assert main(["simulate", "--design", design, "--trace", str(trace)]) == 0
    capsys.readouterr()


def test_cli_lower_vtls_flag(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"op": "enable_vtl", "vp": 0, "vtl": 1}\n{"op": "enable_vtl", "vp": 0, "vtl": 2}\n'
                     '{"op": "run", "vp": 0}\n', encoding="utf-8")
    assert main(["simulate", "--design", "split", "--trace", str(trace)]) == 2
    assert "line 2: vtl must be 0..1, got 2" in capsys.readouterr().err
    assert main(["simulate", "--design", "split", "--trace", str(trace), "--lower-vtls", "3"]) == 0
    assert "3 lower VTLs" in capsys.readouterr().out
    assert main(["simulate", "--design", "split", "--trace", str(trace), "--lower-vtls", "4"]) == 2
    assert "--lower-vtls must be 2 or 3" in capsys.readouterr().err
    # A scenario's header against the flag: one line naming the scenario and the header's line.
    assert main(["simulate", "--design", "split", "--scenario", "three_lower_vtls", "--lower-vtls", "2"]) == 2
    err = capsys.readouterr().err
    assert "scenario three_lower_vtls line 5: header declares lower_vtls 3 but 2 was asked for" in err


class _WrongVm(SharedPageDesign):
    """A broken bank for the test: it names the other L2 VM in the entry flags (vm_index)."""

    key = "wrong-vm"

    def before_entry(self, store: VpStore, vtl: int, mem: Memory) -> None:
        super().before_entry(store, vtl, mem)
        mem.write(Actor.PARAVISOR, store.slots[vtl]["vm_flags"], entry_flags(1 - vtl, False))


def test_a_wrong_vm_index_is_filed_under_the_vtl_whose_vm_is_entered() -> None:
    sim = Simulation(_WrongVm(private=DESIGNS["bank"].private - {"vm_flags"}), 1)
    _apply(sim, Event(Op.ENABLE_VTL, 0, 1))
    rec = sim.apply(Event(Op.RUN, 0))  # VTL 0 meant (VM 1 expected), VM 2 (= VTL 1) named
    assert rec is not None
    (v,) = [v for v in rec.violations if v.reg == "vm_flags.vm_index"]
    # VTL 1's VM gets VTL 0's buffer: VTL 1 steered by VTL 0, an integrity finding from VTL 0.
    assert (v.vtl, v.source_vtl, v.kind, v.expected, v.found) == (1, 0, ViolationKind.INTEGRITY, 1, 2)


def test_stepper_shows_every_vtl_and_ranks_the_banner() -> None:
    from tdxlab.widgets.stepper import Stepper

    st = Stepper("three_lower_vtls", "naive")
    st.play()
    html = st.panels()["registers"]
    assert all(f"VTL {n}" in html for n in (0, 1, 2))
    # The step where VTL 2 is first entered, on VTL 1's values: the banner leads with the
    # severity summary, then one line per finding, most severe first.
    first = next(i for i, r in enumerate(st._run.result.steps) if r.entered_vtl == 2)
    while st.index > first:
        st.back()
    assert st.index == first
    lines = st.banner_lines
    assert lines[0].startswith("high (integrity): ")
    assert set(lines[0].split(": ", 1)[1].split(", ")) == {"rip", "rsp", "lstar"}
    assert all(line.startswith("[high]") for line in lines[1:])
    # After a design switch the partition keeps its three VTLs.
    st.set_design("split")
    assert st.banner_text == "" and "VTL 2" in st.panels()["registers"]


def test_stepper_banner_for_a_paravisor_read() -> None:
    from tdxlab.widgets.stepper import Stepper

    st = Stepper("paravisor_access_paths", "vtl-accessors")
    while st.index < 12:  # step 12: VTL 1's HvCallGetVpRegisters reads VTL 0's RIP
        st.step()
    assert "the paravisor read VTL 0's rip" in st.banner_title
    assert st.banner_lines[0] == "medium (disclosure): rip"
