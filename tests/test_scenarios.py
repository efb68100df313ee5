"""The built-in scenarios: registered, shipped, commented, and shaped as their titles promise."""

from __future__ import annotations

from importlib import resources
from itertools import pairwise

import pytest

from tdxlab.scenarios import SCENARIOS, get_scenario, load_scenario
from tdxlab.sim.events import Op
from tdxlab.sim.machine import Simulation

NAMES = ["secure_call_round_trip", "interrupt_to_vtl1", "intercept_in_vtl2", "vtl1_enabled_late",
         "many_vps_interleaved", "paravisor_access_paths", "three_lower_vtls"]


def test_registry_matches_the_shipped_files() -> None:
    assert list(SCENARIOS) == NAMES
    shipped = {p.name for p in resources.files("tdxlab.scenarios").iterdir() if p.name.endswith(".jsonl")}
    assert shipped == {f"{n}.jsonl" for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_scenario_is_documented(name: str) -> None:
    sc = get_scenario(name)
    assert sc.title and sc.description
    assert "\n" not in sc.description and len(sc.description.split(". ")) >= 2  # one paragraph
    text = sc.text()
    assert text.startswith(f"# {name}: ")
    # Every event is explained: each run of event lines is preceded by a comment line.
    previous = "#"
    for line in text.splitlines():
        if line.startswith("{"):
            assert previous.startswith(("#", "{")), f"{name}: event without a comment above it"
        if line.strip():
            previous = line
    blocks = [b for b in text.split("\n#") if "{" in b]
    assert len(blocks) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_scenario_is_a_valid_trace(name: str) -> None:
    events = load_scenario(name)
    sim = Simulation("bank", get_scenario(name).vps, lower_vtls=get_scenario(name).lower_vtls)
    result = sim.run(events)
    assert result.events == len(events) > 0
    assert all(e.line is not None for e in events)


def _ops(name: str) -> list[Op]:
    return [e.op for e in load_scenario(name)]


def test_secure_call_shape() -> None:
    events = load_scenario("secure_call_round_trip")
    ops = [e.op for e in events]
    assert ops.index(Op.ENABLE_VTL) < ops.index(Op.VTL_CALL) < ops.index(Op.VTL_RETURN)
    assert ops[-1] is Op.RUN
    sets = {(e.vtl, e.reg): e.value for e in events if e.op is Op.SET}
    private = ("rip", "rsp", "rflags", "kernel_gs_base", "star", "lstar", "sfmask", "tsc_aux", "xss")
    for reg in private:  # both VTLs set every one of them, to different values
        assert sets[(0, reg)] != sets[(1, reg)]
    # VTL 1 leaves shared results in R8, CR2 and XMM0, not RAX: the return is not fast, so VTL 0's RAX
    # and RCX come back from the VP VTL control page (TLFS HvCallVtlReturn) and VTL 1's would be lost
    assert {"r8", "cr2", "xmm0"} <= {reg for vtl, reg in sets if vtl == 1}
    assert not {"rax", "rcx"} & {reg for vtl, reg in sets if vtl == 1}
    (ret,) = [e for e in events if e.op is Op.VTL_RETURN]
    assert not ret.is_fast and ret.restored == (0, 0x11)  # RCX = 0x11: the HvCallVtlCall code VTL 0 set
    assert sets[(0, "rcx")] == 0x11


def test_interrupt_scenario_shape() -> None:
    sim = Simulation("bank")
    switching = non_switching = 0
    for e in load_scenario("interrupt_to_vtl1"):
        rec = sim.apply(e)
        if e.op is Op.INTERRUPT:
            assert rec is not None
            if rec.switched == (0, 1):
                switching += 1
            else:
                non_switching += 1
    assert switching == 1 and non_switching == 2
    assert Op.VTL_CALL not in _ops("interrupt_to_vtl1")


def test_intercept_scenario_never_switches() -> None:
    ops = _ops("intercept_in_vtl2")
    assert not {Op.VTL_CALL, Op.VTL_RETURN, Op.INTERRUPT} & set(ops)
    assert ops.count(Op.RUN) >= 3


def test_late_enable_shape() -> None:
    events = load_scenario("vtl1_enabled_late")
    ops = [e.op for e in events]
    enable = ops.index(Op.ENABLE_VTL)
    assert Op.RUN in ops[:enable] and ops.count(Op.ENABLE_VTL) == 1
    assert get_scenario("vtl1_enabled_late").vps == 2


def test_many_vps_shape() -> None:
    events = load_scenario("many_vps_interleaved")
    assert get_scenario("many_vps_interleaved").vps >= 8
    # Interleaved: the VP changes often between consecutive events ...
    changes = sum(1 for a, b in pairwise(events) if a.vp != b.vp)
    assert changes >= 40
    # ... and every VP switches VTL at least twice.
    for vp in range(8):
        assert sum(1 for e in events if e.vp == vp and e.op in (Op.VTL_CALL, Op.VTL_RETURN, Op.INTERRUPT)
                   and (e.op is not Op.INTERRUPT or e.vtl == 1)) >= 2


def test_unknown_scenario() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'nope'; known: secure_call_round_trip"):
        get_scenario("nope")


def test_three_lower_vtls_declares_its_partition() -> None:
    # The scenario's header says 3; every VTL number in it is then 0..2, VTL 2 included.
    assert get_scenario("three_lower_vtls").lower_vtls == 3
    assert {e.vtl for e in load_scenario("three_lower_vtls") if e.vtl is not None} == {0, 1, 2}
    assert all(get_scenario(n).lower_vtls == 2 for n in SCENARIOS if n != "three_lower_vtls")
