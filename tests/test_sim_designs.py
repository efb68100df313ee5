"""The registered designs (and reviewer variants) on the built-in scenarios, and the step history.

Properties every design must have (a fix never violates; recording does not change the
outcome) run over the registry; figures pinned per design are stated in tables keyed by
design key and run over those tables' own keys, so a new design adds its pins in its own
test module without editing this one.  Register values are
the ones written in ``tdxlab/scenarios/secure_call_round_trip.jsonl``; offsets are
pinned in hex from ``shared/reference/domain-facts.md`` (1.2, 1.5, 1.11, 2.1).
"""

from __future__ import annotations

import pytest

from tdxlab.scenarios import SCENARIOS, load_scenario
from tdxlab.sim.checker import ViolationKind
from tdxlab.sim.designs import DESIGNS, Design, SplitDesign, fix_designs, register_design
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import SimResult, Simulation, simulate
from tdxlab.sim.memory import Actor
from tdxlab.sim.trace import lower_vtls_of

#: The registered fixes (a property test holds each of them to isolation on every scenario).
FIXES = [d.key for d in fix_designs()]
INTEGRITY, DISCLOSURE, STALE = ViolationKind.INTEGRITY, ViolationKind.DISCLOSURE, ViolationKind.STALE

# Private registers the secure-call scenario gives different values in VTL 0 and VTL 1.
VTL0 = {
    "rip": 0xFFFFF80000401000, "rsp": 0xFFFFF80000A0FF80, "rflags": 0x246,
    "kernel_gs_base": 0xFFFFF80000B00000, "star": 0x23001000000000, "lstar": 0xFFFFF80000402000,
    "sfmask": 0x4700, "tsc_aux": 0x10, "xss": 0x1800,
}  # fmt: skip
VTL1 = {
    "rip": 0xFFFFF80040801000, "rsp": 0xFFFFF80040E0FF00, "rflags": 0x86,
    "kernel_gs_base": 0xFFFFF80040F00000, "star": 0x33002000000000, "lstar": 0xFFFFF80040802000,
    "sfmask": 0x4701, "tsc_aux": 0x20, "xss": 0x100,
}  # fmt: skip
RESET = {reg: 0x2 if reg == "rflags" else 0 for reg in VTL0}
# Step indices in the secure-call scenario: VTL 0's run, VTL 1's run, VTL 0's final entry.
VTL0_RUN, VTL1_RUN, FINAL = 14, 28, 30

# Kinds naive shows per scenario: VTL 1 entered on VTL 0's values is integrity; VTL 0 entered on
# VTL 1's (including the reset values VTL 1's enable wrote into the one page) is disclosure.
NAIVE_KINDS = {
    "secure_call_round_trip": {INTEGRITY, DISCLOSURE}, "interrupt_to_vtl1": {INTEGRITY, DISCLOSURE},
    "vtl1_enabled_late": {DISCLOSURE}, "many_vps_interleaved": {INTEGRITY, DISCLOSURE},
    "paravisor_access_paths": {INTEGRITY, DISCLOSURE}, "three_lower_vtls": {INTEGRITY, DISCLOSURE},
}
# Scenarios where the naive page shows violations (the others: none).
NAIVE_VIOLATES = set(NAIVE_KINDS)


def _run(design: str | Design, scenario: str, record: bool = True) -> SimResult:
    return simulate(design, load_scenario(scenario), record=record)


def _pins(result: SimResult, step: int) -> set[tuple[str, ViolationKind, int, int, int | None]]:
    return {(v.reg, v.kind, v.expected, v.found, v.source_vtl) for v in result.violations if v.step == step}


# Which of the kit's designs are fixes (#746: the naive page is the bug; the other three fix it).
IS_FIX = {"naive": False, "bank": True, "split": True, "snp": True}


@pytest.mark.parametrize("design", list(IS_FIX))
def test_which_designs_are_fixes(design: str) -> None:
    assert DESIGNS[design].is_fix is IS_FIX[design]


def test_naive_secure_call_round_trip() -> None:
    result = _run("naive", "secure_call_round_trip")
    # naive: at the final VTL 0 entry, each private register holds VTL 1's value: one finding
    # per register, a disclosure (VTL 1's secret seen by the lower VTL 0), source VTL 1.
    expected_final = {(reg, DISCLOSURE, VTL0[reg], VTL1[reg], 1) for reg in VTL0}
    assert _pins(result, FINAL) == expected_final
    # ... and VTL 1, entered first, found VTL 0's values instead of its own reset values: VTL 0
    # chose what the higher VTL runs with, an integrity finding (source VTL 0).
    expected_vtl1 = {(reg, INTEGRITY, RESET[reg], VTL0[reg], 0) for reg in VTL0}
    assert _pins(result, VTL1_RUN) == expected_vtl1
    assert len(result.violations) == 2 * len(VTL0)  # one per register per entry, not two
    assert {v.step for v in result.violations} == {VTL1_RUN, FINAL}
    final = [v for v in result.violations if v.step == FINAL]
    assert all(v.vp == 0 and v.vtl == 0 for v in final)
    # The wrong values were left in the page by VTL 1's run (step 28), on trace line 44.
    assert {v.cause_step for v in final} == {VTL1_RUN}
    assert {v.cause.op for v in final if v.cause} == {Op.RUN}
    assert {v.cause.line for v in final if v.cause} == {44}


@pytest.mark.parametrize("design", FIXES, ids=FIXES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_fix_holds_on_every_scenario(design: str, scenario: str) -> None:
    result = _run(design, scenario)
    assert result.events == len(load_scenario(scenario))
    assert result.violations == []


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_naive_on_every_scenario(scenario: str) -> None:
    result = _run("naive", scenario)
    assert result.events == len(load_scenario(scenario))
    if scenario in NAIVE_VIOLATES:
        # naive loses only private registers: the one page shares the shared ones correctly.
        assert {v.kind for v in result.violations} == NAIVE_KINDS[scenario]
    else:
        assert result.violations == []


def test_naive_is_quiet_without_a_vtl_switch() -> None:
    # Intercepts handled in VTL 2 never change the VTL, so even the naive page is correct.
    assert _run("naive", "intercept_in_vtl2").violations == []


VARIANTS = {
    # OpenVMM before #1178: RSP not banked.
    "bank-no-rsp": (lambda: DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"}), "rsp",
                    {INTEGRITY, DISCLOSURE}),
    # A split design that wrongly gives each VTL its own CR2 (the TLFS shares it).
    "split-cr2-private": (lambda: DESIGNS["split"].variant("split-cr2-private", add_private={"cr2"}), "cr2",
                          {STALE}),
    # SNP copying TSC_AUX on a VTL switch (fixed by #177: "TSC Aux is not shared across VTLs").
    "snp-copies-tsc-aux": (lambda: DESIGNS["snp"].variant("snp-copies-tsc-aux", drop_private={"tsc_aux"}),
                           "tsc_aux", {INTEGRITY, DISCLOSURE}),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_variant_runs_every_scenario(variant: str, scenario: str) -> None:
    make, reg, kinds = VARIANTS[variant]
    design = make()
    assert design.is_variant and design.key == variant
    result = _run(design, scenario)
    assert result.events == len(load_scenario(scenario))
    # Whatever goes wrong goes wrong in the one register the variant mishandles, in the expected way.
    assert {v.reg for v in result.violations} <= {reg}
    assert {v.kind for v in result.violations} <= kinds


def test_bank_without_rsp_clobbers_rsp() -> None:
    result = _run(VARIANTS["bank-no-rsp"][0](), "secure_call_round_trip")
    assert _pins(result, FINAL) == {("rsp", DISCLOSURE, VTL0["rsp"], VTL1["rsp"], 1)}
    assert _pins(result, VTL1_RUN) == {("rsp", INTEGRITY, RESET["rsp"], VTL0["rsp"], 0)}
    assert {v.step for v in result.violations} == {VTL1_RUN, FINAL}


def test_split_with_private_cr2_goes_stale() -> None:
    result = _run(VARIANTS["split-cr2-private"][0](), "secure_call_round_trip")
    # VTL 1 finds its own (reset) CR2 instead of VTL 0's; VTL 0 later finds its old CR2
    # instead of the one VTL 1 left (values from the scenario file).
    assert _pins(result, VTL1_RUN) == {("cr2", STALE, 0x7FF600001000, 0, None)}
    assert _pins(result, FINAL) == {("cr2", STALE, 0xFFFFF80040900000, 0x7FF600001000, None)}


def test_snp_copying_tsc_aux_is_the_177_bug() -> None:
    result = _run(VARIANTS["snp-copies-tsc-aux"][0](), "secure_call_round_trip")
    assert _pins(result, FINAL) == {("tsc_aux", DISCLOSURE, 0x10, 0x20, 1)}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_unrecorded_run_finds_the_same_violations(design: Design, scenario: str) -> None:
    """``record=False`` (benchmarks, search) takes a faster path; it must end in the same state."""
    events = load_scenario(scenario)
    vps = max(e.vp for e in events) + 1
    n = lower_vtls_of(events)  # the scenario's own partition (three_lower_vtls declares 3)
    fast = Simulation(design, vps, record=False, lower_vtls=n)
    slow = Simulation(design, vps, record=True, lower_vtls=n)
    fast.run(events)
    slow.run(events)

    def key(sim: Simulation) -> list[tuple[object, ...]]:
        return [(v.step, v.vp, v.vtl, v.reg, v.expected, v.found, v.kind, v.cause_step)
                for v in sim.violations]
    assert key(fast) == key(slow)
    assert fast.checkpoint().state_key() == slow.checkpoint().state_key()
    assert fast.mem.last_writer == slow.mem.last_writer


# --- step history ---------------------------------------------------------------------------------
# Where VTL 0's RIP lives in each design (page, field path, offset in that page):
# run page 0x288 (domain-facts 1.5), the split design's VTL 0 page at the same offset,
# the VMSA's rip at 0x178 (domain-facts 1.11).
RIP_HOME = {
    "naive": ("vp0.run", "context.gpr_list.rip", 0x288),
    "bank": ("vp0.run", "context.gpr_list.rip", 0x288),
    "split": ("vp0.vtl0", "context.gpr_list.rip", 0x288),
    "snp": ("vp0.vmsa0", "vmsa.rip", 0x178),
}


@pytest.mark.parametrize("design", list(RIP_HOME))
def test_run_step_changes_name_the_rip_field(design: str) -> None:
    page, path, offset = RIP_HOME[design]
    rec = _run(design, "secure_call_round_trip").steps[VTL0_RUN]
    assert rec.event.op is Op.RUN and rec.entered_vtl == 0
    hits = [c for c in rec.changes if c.page == page and path in c.fields]
    changed = {b for c in hits for b in range(c.start, c.end)}
    # 0xfffff80000401000 little-endian is 00 10 40 00 00 f8 ff ff: against the reset value 0,
    # bytes 1, 2, 5, 6 and 7 of the 8-byte field change (two runs of changed bytes).
    assert changed == {offset + i for i in (1, 2, 5, 6, 7)}
    assert len(hits) == 2


def _rip_in(result: SimResult, step: int, design: str, vp: int = 0) -> int:
    page, _, offset = RIP_HOME[design]
    snap = next(p for p in result.pages_at(step, vp) if p.name == page)
    return int.from_bytes(snap.data[offset : offset + 8], "little")


@pytest.mark.parametrize("design", list(RIP_HOME))
def test_pages_and_truth_going_backwards(design: str) -> None:
    result = _run(design, "secure_call_round_trip")
    last = len(result.steps) - 1
    # Truth, walked from the last step back to the initial state (-1).
    for k in range(last, -2, -1):
        truth = result.truth_at(k, 0)
        assert truth.private[0]["rip"] == (VTL0["rip"] if k >= VTL0_RUN else 0)
        if k >= 0:  # VTL 1 exists from step 0 (enable_vtl) on
            assert truth.private[1]["rip"] == (VTL1["rip"] if k >= VTL1_RUN else 0)
        else:
            assert 1 not in truth.private
    # Bytes of VTL 0's RIP home: reset before VTL 0 ran, its value once it ran.
    assert _rip_in(result, -1, design) == 0
    assert _rip_in(result, VTL0_RUN - 1, design) == 0
    assert _rip_in(result, VTL0_RUN, design) == VTL0["rip"]
    # After the final run the home holds VTL 1's RIP on the naive page only.
    assert _rip_in(result, FINAL, design) == (VTL1["rip"] if design == "naive" else VTL0["rip"])


def test_pages_at_other_vp_uses_that_vps_last_step() -> None:
    result = _run("bank", "vtl1_enabled_late")
    # VP 1 ran at step 7 and not again until step 17; VP 0's steps in between leave it alone.
    assert result.steps[7].event.vp == 1
    assert result.pages_at(16, 1) == result.steps[7].pages
    assert result.pages_at(17, 1) == result.steps[17].pages


def test_observed_is_what_the_vtl_found_on_entry() -> None:
    result = _run("bank", "secure_call_round_trip")
    first = result.steps[VTL0_RUN]
    assert first.observed is not None
    assert first.observed["rip"] == 0  # the sets take effect during the run, after entry
    assert first.truth.private[0]["rip"] == VTL0["rip"]
    final = result.steps[FINAL].observed
    assert final is not None
    assert final["rip"] == VTL0["rip"] and final["r8"] == 0x5A5A  # own RIP, VTL 1's shared R8
    # A non-fast return: RAX/RCX are what VTL 1 left in its VP VTL control page (0 and 0x11, line 46).
    assert (final["rax"], final["rcx"]) == (0, 0x11)


def test_bank_copies_thirteen_private_fields_each_way() -> None:
    # domain-facts 2.1: TdxPrivateRegs has 13 fields, written into the page before every run
    # and read back after it.
    rec = _run("bank", "secure_call_round_trip").steps[VTL0_RUN]
    copies_in = [a for a in rec.accesses if a.copy and a.write and a.page == "vp0.run"]
    copies_out = [a for a in rec.accesses if a.copy and a.write and a.page == "vp0.bank0"]
    assert len(copies_in) == 13 and len(copies_out) == 13
    assert all(a.actor is Actor.PARAVISOR for a in copies_in + copies_out)
    assert {a.what for a in copies_in} >= {"rip", "rsp", "rflags", "vm_flags"}


@pytest.mark.parametrize("design", ["naive", "bank"], ids=["naive", "bank"])
def test_entry_flags_name_the_entered_vm(design: str) -> None:
    # TdxVmFlags at run-page 0x1f8, vm_index in bits 53:52 = VTL + 1 (domain-facts 1.2, 1.7).
    result = _run(design, "secure_call_round_trip")
    for step, vtl in ((VTL0_RUN, 0), (VTL1_RUN, 1), (FINAL, 0)):
        page = next(p for p in result.steps[step].pages if p.name == "vp0.run")
        flags = int.from_bytes(page.data[0x1F8:0x200], "little")
        assert (flags >> 52) & 0x3 == vtl + 1


# Kernel-visible pages per VP with both lower VTLs: one run page for the shared-page designs
# (the bank lives in paravisor memory), run page + a page per VTL for split, run page + a
# VMSA per VTL for snp.
PAGES = {"naive": 1, "bank": 1, "split": 3, "snp": 3}


@pytest.mark.parametrize("design", list(PAGES))
def test_pages_per_vp(design: str) -> None:
    assert DESIGNS[design].pages_per_vp(2) == PAGES[design]


def test_simulation_steps_one_event_at_a_time() -> None:
    sim = Simulation("naive", vps=1)
    rec = sim.apply(Event(Op.ENABLE_VTL, 0, 1))
    assert rec is not None and rec.vtl1_enabled == (True,)
    rec = sim.apply(Event(Op.VTL_CALL, 0))
    assert rec is not None and rec.switched == (0, 1) and sim.active_vtls == (1,)
    rec = sim.apply(Event(Op.INTERRUPT, 0, 0))
    assert rec is not None and rec.switched is None and sim.active_vtls == (1,)  # lower VTL waits


class _Typo(SplitDesign):
    key = "typo"
    break_even_against = (("bnak",),)


class _StringPlatform(SplitDesign):
    key = "string-platform"
    platform = "snp"  # type: ignore[assignment]


@pytest.mark.parametrize(("design", "words"), [
    (_Typo(), "design typo: break_even_against names unregistered design(s) 'bnak'"),
    (_StringPlatform(), "design string-platform: platform must be a Platform, got 'snp'"),
    (SplitDesign(), "design key 'split' is already registered"),
])
def test_register_design_rejects_what_would_silently_mislead(design: Design, words: str) -> None:
    before = list(DESIGNS)
    with pytest.raises(ValueError) as info:
        register_design(design)
    assert str(info.value).startswith(words)
    assert list(DESIGNS) == before
