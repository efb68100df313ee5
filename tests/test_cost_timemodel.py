"""The time model: named sourced constants, parts pinned by hand arithmetic, monotone in every constant."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SPLIT_SWITCH_BYTES
from hypothesis import given, settings
from hypothesis import strategies as st

from tdxlab.cost.accounting import account
from tdxlab.cost.constants import (
    CONSTANTS,
    DEFAULT,
    ENTRY_CYCLES,
    PRESETS,
    CostConstants,
    from_preset,
    parse_overrides,
    unverified_names,
    with_overrides,
)
from tdxlab.cost.timemodel import PARTS, breakdown, ns_per_entry
from tdxlab.registers import Platform
from tdxlab.sim.designs import Design
from tdxlab.sim.machine import simulate
from tdxlab.sim.trace import parse_trace
from tdxlab.sources import Confidence

#: Copy bandwidth of the defaults, in bytes per ns (20 GB/s, domain-facts 4).
BYTES_PER_NS = 20


# --- constants -------------------------------------------------------------------------------------
def test_every_field_has_one_described_constant() -> None:
    assert list(CONSTANTS) == [f.name for f in dataclasses.fields(CostConstants)]
    for name, info in CONSTANTS.items():
        assert info.unit, name
        assert info.source.where, name
        assert info.confidence in {"measured", "example", "derived", "unverified"}, name


def test_entry_round_trips_are_flagged_unverified_stand_ins() -> None:
    # domain-facts 4: no TDG.VP.ENTER or VMGEXIT round-trip figure was retrievable.
    for name in ("tdx_entry_cycles", "snp_entry_cycles"):
        info = CONSTANTS[name]
        assert info.unverified
        assert info.source.confidence is Confidence.UNVERIFIED
        assert "[unverified]" in info.source.cite()
        assert "VMX" in info.stand_in_for
        assert name in unverified_names()


def test_defaults_are_the_sheets_numbers() -> None:
    # domain-facts 4: kvm-unit-tests inl_from_qemu 6209 cycles (after the patch); d2l latency table
    # L1 1.5 ns, L2 5 ns, L3 16 ns, DRAM 46 ns; DDR4 20-25 GB/s (low end); nested walk
    # (4+1)(4+1)-1 = 24 references.
    d = DEFAULT
    assert (d.tdx_entry_cycles, d.snp_entry_cycles) == (6209, 6209)
    assert (d.l1_ns, d.l2_ns, d.l3_ns, d.dram_ns) == (1.5, 5, 16, 46)
    assert d.copy_gb_per_s == 20
    assert d.walk_refs == (4 + 1) * (4 + 1) - 1
    # 1,744 cycles / 646 ns (CVM_eval example output) = 2.70 cycles per ns
    assert d.cpu_ghz == pytest.approx(1744 / 646, abs=0.01)
    assert CONSTANTS["cpu_ghz"].assumption


def test_overrides_replace_and_validate() -> None:
    c = with_overrides(DEFAULT, {"tdx_entry_cycles": 1291})
    assert c.tdx_entry_cycles == 1291 and c.l1_ns == DEFAULT.l1_ns
    assert dataclasses.replace(DEFAULT, l1_ns=2.0).l1_ns == 2.0
    assert PRESETS["kernel-exit"].tdx_entry_cycles == 1291  # kvm-unit-tests CPUID after the patch
    with pytest.raises(ValueError, match="unknown cost constant"):
        with_overrides(DEFAULT, {"nope": 1})
    with pytest.raises(ValueError, match="l1_ns: must be a finite number >= 0"):
        CostConstants(l1_ns=-1)
    with pytest.raises(ValueError, match="cpu_ghz: must be > 0"):
        CostConstants(cpu_ghz=0)
    assert parse_overrides(["l1_ns=2", " dram_ns = 80"]) == {"l1_ns": 2.0, "dram_ns": 80.0}
    for bad, words in (("l1_ns", "NAME=VALUE"), ("x=1", "unknown constant"), ("l1_ns=fast", "not a number")):
        with pytest.raises(ValueError, match=words):
            parse_overrides([bad])


def test_presets_with_overrides() -> None:
    c = from_preset("kernel-exit", ["l1_ns=2"])
    assert (c.tdx_entry_cycles, c.snp_entry_cycles, c.l1_ns) == (1291, 1291, 2)
    with pytest.raises(ValueError, match="--preset: unknown preset 'fast'"):
        from_preset("fast")
    with pytest.raises(ValueError, match="--constant 'l1_ns': expected NAME=VALUE"):
        from_preset("default", ["l1_ns"])


def test_every_platform_names_a_sourced_unverified_round_trip() -> None:
    assert set(ENTRY_CYCLES) == set(Platform)
    assert all(CONSTANTS[name].unverified for name in ENTRY_CYCLES.values())


# --- the formula ----------------------------------------------------------------------------------
def test_parts_in_stacking_order() -> None:
    # the round trip at the bottom, then what the design adds (the sweeps' ns_<part> columns)
    assert PARTS == ("fixed", "copy", "cache", "tlb")


def test_every_design_pays_the_default_round_trip(design: Design) -> None:
    # Both stand-ins are 6209 cycles at 2.7 GHz by default (domain-facts 4), on either platform.
    b = breakdown(design, vps=64, switch_fraction=0.3)
    assert b.fixed == pytest.approx(6209 / 2.7)
    assert min(b.copy, b.cache, b.tlb) >= 0


def test_fixed_part_is_its_platforms_cycles_over_clock(design: Design) -> None:
    # 2700 cycles at 2.7 GHz = 1000 ns, for the platform's own constant only.
    own = with_overrides(DEFAULT, {ENTRY_CYCLES[design.platform]: 2700})
    assert breakdown(design, own).fixed == pytest.approx(1000.0)
    for platform, name in ENTRY_CYCLES.items():
        if platform is not design.platform:
            other = with_overrides(DEFAULT, {name: 2700})
            assert breakdown(design, other).fixed == pytest.approx(6209 / 2.7)


def test_copy_part_is_bytes_over_bandwidth() -> None:
    # bank: 180 bytes per entry at 20 GB/s (= 20 bytes/ns) -> 9 ns; split at f=1: 120 B -> 6 ns
    assert breakdown("bank").copy == pytest.approx(2 * BANK_BYTES / BYTES_PER_NS) == 9.0
    split = breakdown("split", switch_fraction=1.0)
    assert split.copy == pytest.approx(SPLIT_SWITCH_BYTES / BYTES_PER_NS) == 6.0
    assert breakdown("split", switch_fraction=0.0).copy == 0


def test_one_vp_fits_l1_and_the_tlb() -> None:
    # bank touches 14 lines per entry (12 run-page lines + 2 bank lines), all L1 hits with one VP.
    b = breakdown("bank", vps=1)
    assert b.cache == pytest.approx(14 * 1.5)
    assert b.tlb == 0


def test_many_vps_miss_the_caches_and_the_tlb() -> None:
    small, big = breakdown("split", vps=1), breakdown("split", vps=4096)
    assert big.cache > small.cache
    assert big.tlb > 0


def test_design_dependent_part_is_far_below_one_exit() -> None:
    # The #746/#747 argument: banking ~90 B per direction costs one to two orders of magnitude
    # less than the exit itself.
    b = breakdown("bank")
    assert b.copy * 10 < b.fixed
    assert (b.copy + b.cache) * 10 < b.fixed


def test_trace_costs_use_the_traces_own_counts() -> None:
    events = parse_trace('{"op":"enable_vtl","vp":0,"vtl":1}\n{"op":"run","vp":0}\n{"op":"run","vp":0}\n')
    tc = account(simulate("bank", events))
    assert breakdown(tc).copy == pytest.approx(2 * BANK_BYTES / BYTES_PER_NS)
    with pytest.raises(ValueError, match="own switch fraction"):
        breakdown(tc, switch_fraction=0.5)


def test_bad_workload_is_one_line_error() -> None:
    with pytest.raises(ValueError, match=r"switch fraction must be within 0\.\.1"):
        breakdown("bank", switch_fraction=1.5)
    with pytest.raises(ValueError, match="vps must be a positive integer"):
        breakdown("bank", vps=0)


# --- monotone in every constant (property) --------------------------------------------------------
def _ordered_constants() -> st.SearchStrategy[CostConstants]:
    """Random constant sets with ordered latencies (L1 <= L2 <= L3 <= DRAM), as hardware has."""
    pos = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)

    def build(lat: list[float], cap: list[float], other: list[float]) -> CostConstants:
        l1, l2, l3, dram = sorted(lat)
        return CostConstants(cpu_ghz=other[0], tdx_entry_cycles=other[1], snp_entry_cycles=other[2],
                             l1_ns=l1, l2_ns=l2, l3_ns=l3, dram_ns=dram, copy_gb_per_s=other[3],
                             walk_refs=other[4], walk_ref_ns=other[5], l1_kib=cap[0], l2_kib=cap[1],
                             l3_kib=cap[2], tlb_entries=cap[3])

    return st.builds(build, st.lists(pos, min_size=4, max_size=4), st.lists(pos, min_size=4, max_size=4),
                     st.lists(pos, min_size=6, max_size=6))


@settings(max_examples=300, deadline=None)
@given(
    base=_ordered_constants(),
    name=st.sampled_from(list(CONSTANTS)),
    factor=st.floats(min_value=1.0, max_value=100.0),
    design=st.sampled_from(DESIGN_KEYS),
    vps=st.sampled_from([1, 3, 64, 700, 4096]),
    f=st.floats(min_value=0.0, max_value=1.0),
)
def test_monotone_in_each_constant(base: CostConstants, name: str, factor: float, design: str, vps: int,
                                   f: float) -> None:
    bigger = dataclasses.replace(base, **{name: getattr(base, name) * factor})
    if name.endswith("_ns") and name != "walk_ref_ns":
        # keep latencies ordered when one grows (a faster L2 than L1 is not a machine)
        lat = ["l1_ns", "l2_ns", "l3_ns", "dram_ns"]
        values = sorted(getattr(bigger, n) for n in lat)
        bigger = dataclasses.replace(bigger, **dict(zip(lat, values, strict=True)))
    before = ns_per_entry(design, base, vps=vps, switch_fraction=f)
    after = ns_per_entry(design, bigger, vps=vps, switch_fraction=f)
    tol = 1e-9 * max(1.0, abs(before))
    if CONSTANTS[name].raises_cost:
        assert after >= before - tol
    else:
        assert after <= before + tol


@settings(max_examples=100, deadline=None)
@given(design=st.sampled_from(DESIGN_KEYS), f=st.floats(0.0, 1.0), a=st.integers(1, 5000),
       b=st.integers(1, 5000))
def test_more_vps_never_cheaper(design: str, f: float, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    more = ns_per_entry(design, vps=hi, switch_fraction=f)
    assert more >= ns_per_entry(design, vps=lo, switch_fraction=f) - 1e-9
