"""The time model: named sourced constants, fixed work per platform, parts pinned by hand arithmetic,
and monotone in every constant and in the KiB the guest evicts between entries."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import DESIGN_KEYS
from facts import (
    BANK_BYTES,
    KERNEL_CR2,
    KERNEL_FXRSTOR,
    KERNEL_FXSAVE,
    KERNEL_RDMSR,
    KERNEL_WRMSR,
    SPLIT_SWITCH_BYTES,
    SVM_KVM_RUN,
    SVM_WORLD_SWITCH,
    VMX_KERNEL_EXIT_CYCLES,
    VMX_USER_EXIT_CYCLES,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tdxlab.cost.accounting import account
from tdxlab.cost.constants import (
    CONSTANTS,
    DEFAULT,
    PRESETS,
    CostConstants,
    from_preset,
    parse_overrides,
    uncertain_names,
    unverified_names,
    with_overrides,
)
from tdxlab.cost.fixed import FIXED, NOT_CHARGED, Kind, counts
from tdxlab.cost.timemodel import PARTS, breakdown, ns_per_entry, still_cached
from tdxlab.registers import Platform
from tdxlab.sim.designs import Design
from tdxlab.sim.machine import simulate
from tdxlab.sim.trace import parse_trace
from tdxlab.sources import Confidence

#: Everything hot: caches so big that no line is evicted, nothing evicted between entries.
HOT = dataclasses.replace(DEFAULT, l1_kib=1e12, l2_kib=1e12, l3_kib=1e12, tlb_entries=1e12)
#: Everything cold: so much evicted between entries that no line or translation survives.
COLD_KIB = 1e9


# --- constants -------------------------------------------------------------------------------------
def test_every_field_has_one_described_constant() -> None:
    assert list(CONSTANTS) == [f.name for f in dataclasses.fields(CostConstants)]
    for name, info in CONSTANTS.items():
        assert info.unit, name
        assert info.source.where, name
        assert info.confidence in {"measured", "example", "derived", "unverified"}, name


def test_every_uncertain_constant_has_a_range_around_its_value_and_says_why() -> None:
    assert set(unverified_names()) <= set(uncertain_names())
    for name in uncertain_names():
        info = CONSTANTS[name]
        assert info.low is not None and info.high is not None, name
        assert info.low <= info.default <= info.high and info.low < info.high, name
        assert info.range_why, name


def test_round_trips_are_flagged_unverified_stand_ins() -> None:
    # domain-facts 4: no TDG.VP.ENTER or VMGEXIT round-trip figure was retrievable.
    for name in ("tdx_entry_cycles", "user_mode_cycles", "snp_world_switch_cycles", "snp_host_cycles"):
        info = CONSTANTS[name]
        assert info.unverified and info.source.confidence is Confidence.UNVERIFIED, name
        assert "[unverified]" in info.source.cite()
    assert "VMX" in CONSTANTS["tdx_entry_cycles"].stand_in_for


def test_defaults_are_the_sheets_numbers() -> None:
    d = DEFAULT
    # kvm-unit-tests: the kernel-handled exit, and what going on to user space adds.
    assert d.tdx_entry_cycles == VMX_KERNEL_EXIT_CYCLES
    assert d.user_mode_cycles == VMX_USER_EXIT_CYCLES - VMX_KERNEL_EXIT_CYCLES
    # LKML SVM figures: the midpoint of the world switch, and KVM_RUN minus it for the host's part.
    assert d.snp_world_switch_cycles == sum(SVM_WORLD_SWITCH) / 2
    assert d.snp_host_cycles == pytest.approx(sum(SVM_KVM_RUN) / 2 - sum(SVM_WORLD_SWITCH) / 2, abs=5)
    assert (d.l1_ns, d.l2_ns, d.l3_ns, d.dram_ns) == (1.5, 5, 16, 46)
    assert d.copy_gb_per_s == 20
    assert d.walk_refs == (4 + 1) * (4 + 1) - 1
    # 1,744 cycles / 646 ns (CVM_eval example output) = 2.70 cycles per ns
    assert d.cpu_ghz == pytest.approx(1744 / 646, abs=0.01)
    assert CONSTANTS["cpu_ghz"].assumption


def test_overrides_replace_and_validate() -> None:
    c = with_overrides(DEFAULT, {"tdx_entry_cycles": 8304})
    assert c.tdx_entry_cycles == 8304 and c.l1_ns == DEFAULT.l1_ns
    assert dataclasses.replace(DEFAULT, l1_ns=2.0).l1_ns == 2.0
    assert PRESETS["kernel-exit"].user_mode_cycles == 0  # the exit handled in VTL2's kernel
    assert PRESETS["nested-evmcs"].tdx_entry_cycles == 8304  # domain-facts 4, nested VMX with eVMCS
    with pytest.raises(ValueError, match="unknown cost constant"):
        with_overrides(DEFAULT, {"nope": 1})
    with pytest.raises(ValueError, match="l1_ns: must be a finite number >= 0"):
        CostConstants(l1_ns=-1)
    with pytest.raises(ValueError, match="cpu_ghz: must be > 0"):
        CostConstants(cpu_ghz=0)
    with pytest.raises(ValueError, match="hot_copy_gb_per_s: must be > 0"):
        CostConstants(hot_copy_gb_per_s=0)
    assert parse_overrides(["l1_ns=2", " dram_ns = 80"]) == {"l1_ns": 2.0, "dram_ns": 80.0}
    for bad, words in (("l1_ns", "NAME=VALUE"), ("x=1", "unknown constant"), ("l1_ns=fast", "not a number")):
        with pytest.raises(ValueError, match=words):
            parse_overrides([bad])


def test_presets_with_overrides() -> None:
    c = from_preset("kernel-exit", ["l1_ns=2"])
    assert (c.user_mode_cycles, c.tdx_entry_cycles, c.l1_ns) == (0, VMX_KERNEL_EXIT_CYCLES, 2)
    with pytest.raises(ValueError, match="--preset: unknown preset 'fast'"):
        from_preset("fast")
    with pytest.raises(ValueError, match="--constant 'l1_ns': expected NAME=VALUE"):
        from_preset("default", ["l1_ns"])


# --- fixed work per platform -------------------------------------------------------------------------
def test_tdx_kernel_work_is_the_sheets_count() -> None:
    assert counts(Platform.TDX, Kind.KERNEL) == {
        "fxrstor_cycles": KERNEL_FXRSTOR, "fxsave_cycles": KERNEL_FXSAVE, "rdmsr_cycles": KERNEL_RDMSR,
        "wrmsr_cycles": KERNEL_WRMSR, "cr_cycles": KERNEL_CR2,
    }
    assert counts(Platform.TDX, Kind.ROUND_TRIP) == {"user_mode_cycles": 1, "tdx_entry_cycles": 1}


def test_snp_has_its_own_structure_two_world_switches_and_two_relays() -> None:
    assert counts(Platform.SNP, Kind.ROUND_TRIP) == {"user_mode_cycles": 1, "snp_world_switch_cycles": 2,
                                                     "snp_host_cycles": 2}
    assert counts(Platform.SNP, Kind.KERNEL) == {}
    assert "not in the reference sheet" in NOT_CHARGED[Platform.SNP]
    assert all(step.source.where for steps in FIXED.values() for step in steps)


def test_parts_in_stacking_order() -> None:
    # the fixed work at the bottom, then what the design adds (the sweeps' ns_<part> columns)
    assert PARTS == ("round_trip", "kernel", "copy", "cache", "tlb")


def _tdx_kernel_cycles(k: CostConstants) -> float:
    return (KERNEL_FXRSTOR * k.fxrstor_cycles + KERNEL_FXSAVE * k.fxsave_cycles
            + KERNEL_RDMSR * k.rdmsr_cycles + KERNEL_WRMSR * k.wrmsr_cycles + KERNEL_CR2 * k.cr_cycles)


def test_every_design_pays_its_platforms_fixed_work(design: Design) -> None:
    b = breakdown(design, evicted_kib=64, switch_fraction=0.3)
    k = DEFAULT
    if design.platform is Platform.TDX:
        assert b.round_trip == pytest.approx(VMX_USER_EXIT_CYCLES / k.cpu_ghz)
        assert b.kernel == pytest.approx(_tdx_kernel_cycles(k) / k.cpu_ghz)
    else:
        world = 2 * k.snp_world_switch_cycles + 2 * k.snp_host_cycles + k.user_mode_cycles
        assert b.round_trip == pytest.approx(world / k.cpu_ghz) and b.kernel == 0
    assert min(b.copy, b.cache, b.tlb) >= 0


def test_fixed_work_moves_only_with_its_platforms_constants(design: Design) -> None:
    base = breakdown(design)
    other = "snp_host_cycles" if design.platform is Platform.TDX else "wrmsr_cycles"
    assert breakdown(design, with_overrides(DEFAULT, {other: 9000})).fixed == pytest.approx(base.fixed)
    assert breakdown(design, with_overrides(DEFAULT, {"user_mode_cycles": 0})).fixed < base.fixed


# --- copy, cache and TLB at the two ends of the eviction axis ------------------------------------------
def test_hot_copy_is_bytes_over_the_l1_bandwidth() -> None:
    # bank: 180 B per entry at 100 GB/s (= 100 bytes/ns) when every line is still in L1
    assert breakdown("bank", HOT, evicted_kib=0).copy == pytest.approx(2 * BANK_BYTES / 100)
    split = breakdown("split", HOT, evicted_kib=0, switch_fraction=1.0)
    assert split.copy == pytest.approx(SPLIT_SWITCH_BYTES / 100)
    assert breakdown("split", HOT, evicted_kib=0, switch_fraction=0.0).copy == 0


def test_cold_copy_streams_at_dram_bandwidth_and_lines_cost_dram() -> None:
    # every line evicted: 180 B at 20 GB/s = 9 ns; each of bank's 14 lines (12 run-page lines + 2 bank
    # lines) a DRAM access; each of its 2 pages a full nested walk of 24 references at 1.5 ns.
    b = breakdown("bank", evicted_kib=COLD_KIB)
    assert b.copy == pytest.approx(2 * BANK_BYTES / 20)
    assert b.cache == pytest.approx(14 * 46.0)
    assert b.tlb == pytest.approx(2 * 24 * 1.5)


def test_everything_hot_is_l1_hits_and_no_walks() -> None:
    b = breakdown("bank", HOT, evicted_kib=0)
    assert b.cache == pytest.approx(14 * 1.5)
    assert b.tlb == pytest.approx(0.0, abs=1e-6)


def test_a_line_survives_random_replacement_with_exp_of_minus_traffic_over_capacity() -> None:
    capacity = 48 * 1024
    assert still_cached(0, capacity) == 1.0
    assert still_cached(capacity * math.log(2), capacity) == pytest.approx(0.5)
    assert still_cached(capacity, capacity) == pytest.approx(math.exp(-1))


def test_more_eviction_costs_more_until_everything_is_gone() -> None:
    values = [breakdown("split", evicted_kib=e).design_dependent for e in (0, 64, 1024, 32768, COLD_KIB)]
    assert values == sorted(values) and values[0] < values[-1]


def test_design_dependent_part_is_far_below_the_fixed_work() -> None:
    # The #746/#747 argument: banking ~90 B per direction costs one to two orders of magnitude
    # less than the exit itself, hot or cold.
    for evicted in (0, COLD_KIB):
        b = breakdown("bank", evicted_kib=evicted)
        assert b.design_dependent * 3 < b.fixed
        assert (b.copy + b.cache) * 10 < b.fixed or evicted == COLD_KIB


def test_trace_costs_use_the_traces_own_counts() -> None:
    events = parse_trace('{"op":"enable_vtl","vp":0,"vtl":1}\n{"op":"run","vp":0}\n{"op":"run","vp":0}\n')
    tc = account(simulate("bank", events))
    assert breakdown(tc, HOT, evicted_kib=0).copy == pytest.approx(2 * BANK_BYTES / 100)
    with pytest.raises(ValueError, match="own switch fraction"):
        breakdown(tc, switch_fraction=0.5)


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan"), "64", True, 2.0**31])
def test_bad_eviction_is_one_line_error(bad: object) -> None:
    with pytest.raises(ValueError, match="evicted_kib") as info:
        breakdown("bank", evicted_kib=bad)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_bad_switch_fraction_is_one_line_error() -> None:
    with pytest.raises(ValueError, match=r"switch fraction must be within 0\.\.1"):
        breakdown("bank", switch_fraction=1.5)


# --- monotone in every constant (property) --------------------------------------------------------
def _ordered_constants() -> st.SearchStrategy[CostConstants]:
    """Random constant sets with ordered latencies (L1 <= L2 <= L3 <= DRAM) and L1 copy >= DRAM copy."""
    pos = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
    names = [n for n in CONSTANTS if n not in {"l1_ns", "l2_ns", "l3_ns", "dram_ns", "copy_gb_per_s",
                                                "hot_copy_gb_per_s"}]

    def build(lat: list[float], bw: list[float], other: list[float]) -> CostConstants:
        l1, l2, l3, dram = sorted(lat)
        cold, hot = sorted(bw)
        return CostConstants(l1_ns=l1, l2_ns=l2, l3_ns=l3, dram_ns=dram, copy_gb_per_s=cold,
                             hot_copy_gb_per_s=hot, **dict(zip(names, other, strict=True)))

    return st.builds(build, st.lists(pos, min_size=4, max_size=4), st.lists(pos, min_size=2, max_size=2),
                     st.lists(pos, min_size=len(names), max_size=len(names)))


_ORDERED = {"l1_ns", "l2_ns", "l3_ns", "dram_ns"}


@settings(max_examples=300, deadline=None)
@given(
    base=_ordered_constants(),
    name=st.sampled_from(list(CONSTANTS)),
    factor=st.floats(min_value=1.0, max_value=100.0),
    design=st.sampled_from(DESIGN_KEYS),
    evicted=st.sampled_from([0.0, 16.0, 700.0, 40000.0, 1e7]),
    f=st.floats(min_value=0.0, max_value=1.0),
)
def test_monotone_in_each_constant(base: CostConstants, name: str, factor: float, design: str,
                                   evicted: float, f: float) -> None:
    bigger = dataclasses.replace(base, **{name: getattr(base, name) * factor})
    if name in _ORDERED:
        # keep latencies ordered when one grows (a faster L2 than L1 is not a machine)
        lat = ["l1_ns", "l2_ns", "l3_ns", "dram_ns"]
        values = sorted(getattr(bigger, n) for n in lat)
        bigger = dataclasses.replace(bigger, **dict(zip(lat, values, strict=True)))
    if name == "copy_gb_per_s" and bigger.copy_gb_per_s > bigger.hot_copy_gb_per_s:
        bigger = dataclasses.replace(bigger, hot_copy_gb_per_s=bigger.copy_gb_per_s)
    before = ns_per_entry(design, base, evicted_kib=evicted, switch_fraction=f)
    after = ns_per_entry(design, bigger, evicted_kib=evicted, switch_fraction=f)
    tol = 1e-9 * max(1.0, abs(before))
    if CONSTANTS[name].raises_cost:
        assert after >= before - tol
    else:
        assert after <= before + tol


@settings(max_examples=100, deadline=None)
@given(design=st.sampled_from(DESIGN_KEYS), f=st.floats(0.0, 1.0), a=st.floats(0.0, 1e7),
       b=st.floats(0.0, 1e7))
def test_more_eviction_never_cheaper(design: str, f: float, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    more = ns_per_entry(design, evicted_kib=hi, switch_fraction=f)
    assert more >= ns_per_entry(design, evicted_kib=lo, switch_fraction=f) - 1e-9
