"""Sweeps (vectorised, tidy) and break-even switch fractions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SPLIT_SWITCH_BYTES

from tdxlab import describe
from tdxlab.cost.constants import DEFAULT, with_overrides
from tdxlab.cost.sweep import (
    BREAK_EVEN_COLUMNS,
    COLUMNS,
    break_even,
    break_even_frame,
    break_evens,
    curves,
    summary,
    sweep,
    verdicts,
)
from tdxlab.cost.timemodel import breakdown
from tdxlab.sim.designs import DESIGNS

#: Everything hot: caches so big that no line is evicted (with nothing evicted between entries).
HOT = dataclasses.replace(DEFAULT, l1_kib=1e12, l2_kib=1e12, l3_kib=1e12, tlb_entries=1e12)
#: Everything cold: so much evicted between entries that no line or translation survives.
COLD_KIB = 1e9
#: No fixed work at all: what is left is what the page designs themselves cost.
NO_FIXED = dataclasses.replace(DEFAULT, **{n: 0.0 for n in (
    "tdx_entry_cycles", "user_mode_cycles", "fxrstor_cycles", "fxsave_cycles", "rdmsr_cycles",
    "wrmsr_cycles", "cr_cycles", "snp_world_switch_cycles", "snp_host_cycles")})


def test_one_row_per_grid_point() -> None:
    consts = {"default": DEFAULT, "kernel": with_overrides(DEFAULT, {"user_mode_cycles": 0})}
    frame = sweep(None, [1, 64, 4096], [1e3, 1e5], [0.0, 0.25, 1.0], consts, evicted_kib=[0, 256])
    assert len(frame) == len(DESIGN_KEYS) * 2 * 3 * 2 * 2 * 3
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["design"].cat.categories) == list(DESIGN_KEYS)
    assert set(frame["constants"]) == {"default", "kernel"}
    # tidy: every (design, constants, vps, evicted, rate, fraction) exactly once
    key = ["design", "constants", "vps", "evicted_kib", "entries_per_s", "switch_fraction"]
    assert not frame.duplicated(key).any()


def test_vectorised_rows_agree_with_the_point_model(design_key: str) -> None:
    # Two paths through the formula: the broadcast 6-D sweep and one point at a time.
    frame = sweep([design_key], [1, 4096], [1e4], [0.0, 0.37, 1.0], evicted_kib=[0, 700, 1e6])
    for row in frame.itertuples():
        b = breakdown(design_key, evicted_kib=float(row.evicted_kib),
                      switch_fraction=float(row.switch_fraction))
        assert row.ns_per_entry == pytest.approx(b.total)
        assert row.ns_round_trip == pytest.approx(b.round_trip)
        assert row.ns_kernel == pytest.approx(b.kernel)
        assert row.ns_copy == pytest.approx(b.copy)
        assert row.ns_cache == pytest.approx(b.cache)
        assert row.ns_tlb == pytest.approx(b.tlb)


def test_time_does_not_depend_on_the_vp_count_only_memory_does() -> None:
    # Each VP's paravisor runs on its own vCPU: a VP's run page is touched by that vCPU only.
    frame = sweep(["split"], [1, 4096], [1e4], [0.5]).set_index("vps")
    assert frame.loc[1, "ns_per_entry"] == frame.loc[4096, "ns_per_entry"]
    assert frame.loc[4096, "pages_per_partition"] == 4096 * frame.loc[1, "pages_per_partition"]


def test_cpu_share_is_time_per_second(design_key: str) -> None:
    # 10,000 entries per second at ns_per_entry each is ns_per_entry * 1e4 / 1e9 of a CPU.
    row = sweep([design_key], [1], [1e4], [0.0]).iloc[0]
    assert row.cpu_share == pytest.approx(row.ns_per_entry * 1e4 / 1e9)
    assert sweep([design_key], [1], [2e4], [0.0]).iloc[0].cpu_share == pytest.approx(2 * row.cpu_share)


def test_required_columns_for_bank_and_split() -> None:
    frame = sweep(["bank", "split"], [8], [1e4], [0.5]).set_index("design")
    # bank: 90 in + 90 out every entry; split: 120 B on half the entries -> 60 B per entry
    assert frame.loc["bank", "bytes_copied_per_entry"] == 2 * BANK_BYTES
    assert frame.loc["split", "bytes_copied_per_entry"] == SPLIT_SWITCH_BYTES / 2
    assert frame.loc["bank", "pages_per_vp"] == 1
    assert frame.loc["split", "pages_per_vp"] == 3
    assert frame.loc["split", "pages_per_partition"] == 8 * 3
    assert frame.loc["bank", "kib_per_partition"] == pytest.approx(8 * (4096 + 2 * 96) / 1024)
    # per switch: split the 120 B of GPRs, bank nothing (its copies are per entry)
    assert frame.loc["split", "bytes_copied_per_switch"] == SPLIT_SWITCH_BYTES
    assert frame.loc["bank", "bytes_copied_per_switch"] == 0
    assert (frame["lower_vtls"] == 2).all()


def test_three_vtls_add_a_page_to_split_and_a_bank_to_bank() -> None:
    frame = sweep(["bank", "split"], [8], [1e4], [0.5], vtls=3).set_index("design")
    assert (frame["lower_vtls"] == 3).all()
    # split: run page + three context pages; bank: run page + three 96-byte banks of heap
    assert frame.loc["split", "pages_per_vp"] == 4
    assert frame.loc["bank", "pages_per_vp"] == 1
    assert frame.loc["bank", "kib_per_partition"] == pytest.approx(8 * (4096 + 3 * 96) / 1024)
    # the copies are those of two VTLs (measured on a 3-VTL partition, see test_cost_vtl_count)
    assert frame.loc["bank", "bytes_copied_per_entry"] == 2 * BANK_BYTES
    assert frame.loc["split", "bytes_copied_per_entry"] == SPLIT_SWITCH_BYTES / 2


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"switch_fraction": [1.5]}, "switch_fraction: 1.5 is outside 0..1"),
    ({"vps": [0]}, "vps must be a positive integer"),
    ({"evicted_kib": [-1]}, "evicted_kib: -1 is outside"),
    ({"evicted_kib": []}, "evicted_kib: give at least one value"),
    ({"entries_per_s": [-1]}, r"entries_per_s: -1 is outside 0\.\.1e\+09"),
    ({"entries_per_s": [1e308]}, r"entries_per_s: 1e\+308 is outside 0\.\.1e\+09"),
    ({"switch_fraction": []}, "switch_fraction: give at least one value"),
    ({"designs": ["nope"]}, "unknown design 'nope'"),
    ({"vtls": 4}, r"vtls must be 1 .* to 3"),
    ({"vtls": [2, 0]}, r"vtls must be 1 .* to 3"),
])
def test_bad_axes_are_one_line_errors(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        sweep(**kwargs)  # type: ignore[arg-type]


# --- break-even ------------------------------------------------------------------------------------
def test_split_vs_bank_when_everything_is_hot() -> None:
    # Every line in L1 (1.5 ns), copies at 100 B/ns.  bank: 180 B and 14 lines every entry = 22.8 ns.
    # split: 13 lines (19.5 ns), plus on a switch 120 B (1.2 ns) and 2 more lines (3 ns): 19.5 + 4.2 f.
    # They cross at f = 3.3 / 4.2.
    be = break_even("split", ["bank"], HOT, evicted_kib=0)
    assert be.crossings == pytest.approx((3.3 / 4.2,), abs=1e-6)
    assert be.cheaper[0][0] == 0.0
    assert describe.break_even_sentence(be) == (
        f"split is cheaper than bank for switch fraction below {3.3 / 4.2:.3g} (with nothing evicted "
        "between entries)")


def test_split_vs_bank_when_everything_is_cold() -> None:
    # Every line from DRAM (46 ns), copies at 20 B/ns, every page a 24-reference walk at 1.5 ns (36 ns).
    # bank: 9 + 14 x 46 + 2 x 36 = 725 ns; split: 13 x 46 + 2 x 36 = 670 ns plus per switch 6 ns,
    # 2 lines (92 ns) and a page (36 ns): 670 + 134 f.  They cross at f = 55 / 134.
    be = break_even("split", ["bank"], evicted_kib=COLD_KIB)
    assert be.crossings == pytest.approx((55 / 134,), abs=1e-6)
    x = be.crossings[0]
    tot = curves(["split", "bank"], DEFAULT, COLD_KIB, np.array([x - 0.01, x, x + 0.01]))
    assert tot[0, 0] < tot[1, 0]
    assert tot[0, 1] == pytest.approx(tot[1, 1], rel=1e-6)
    assert tot[0, 2] > tot[1, 2]


def test_snp_pays_its_own_fixed_work() -> None:
    # With the default constants SEV-SNP's two world switches and two relays (5,100 cycles plus
    # the trip to user mode) exceed TDX's round trip and kernel work: never cheaper.
    assert break_even("snp", ["bank", "split"]).never
    # Without any fixed work, cold: snp touches 13 lines in one page (598 + 36 ns) and per switch
    # copies 464 B (23.2 ns) and touches 10 more lines (460 ns) and a page (36 ns): 634 + 519.2 f,
    # against split's 670 + 134 f: cheaper below f = 36 / 385.2.
    be = break_even("snp", ["bank", "split"], NO_FIXED, evicted_kib=COLD_KIB)
    assert be.crossings == pytest.approx((36 / 385.2,), abs=1e-6)


#: The questions each built-in design asks (docs/designs.md): split against bank, snp against both.
QUESTIONS = {"split": [("bank",)], "snp": [("bank", "split")]}


def test_every_registered_question_is_asked_when_all_are_shown() -> None:
    asked = [(b.design, b.others) for b in break_evens(list(DESIGN_KEYS))]
    for key, questions in QUESTIONS.items():
        assert [others for d, others in asked if d == key] == questions
    # one answer per question of a registered design, in registry order
    assert [d for d, _ in asked] == [k for k in DESIGN_KEYS for _ in DESIGNS[k].break_even_against]
    assert [(b.design, b.others) for b in verdicts()] == asked


@pytest.mark.parametrize(("shown", "asked"), [
    (["snp", "bank"], [("snp", ("bank",))]),
    (["split", "snp"], [("snp", ("split",))]),
    (["split"], []),
    (["bank", "naive"], []),
])
def test_only_shown_rivals_are_asked_about(shown: list[str],
                                           asked: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(b.design, b.others) for b in break_evens(shown)] == asked


def test_break_even_frame_and_its_findings() -> None:
    frame = break_even_frame(evicted_kib=(0, COLD_KIB))
    assert list(frame.columns) == list(BREAK_EVEN_COLUMNS)
    # The kit's two questions (split vs bank; snp vs bank and split) at each eviction point, in order.
    kit = frame[frame["design"].isin(["split", "snp"])]
    assert list(kit["evicted_kib"]) == [0, 0, COLD_KIB, COLD_KIB]
    assert list(kit["design"]) == ["split", "snp", "split", "snp"]
    table = describe.break_even_table(frame)
    assert "break_even" not in table.columns
    assert table["finding"].iloc[2].startswith("split is cheaper than bank for switch fraction below 0.41")
    assert frame["cheaper_for"].iloc[1] == "never"


def test_break_even_moves_with_the_constants() -> None:
    # A slower cold copy makes bank's 180 B per entry dearer than split's 120 B per switch: at
    # 5 GB/s (36 ns against 24 ns per switch) the crossing moves right.
    base = break_even("split", ["bank"], evicted_kib=COLD_KIB).crossings[0]
    slower = break_even("split", ["bank"], with_overrides(DEFAULT, {"copy_gb_per_s": 5.0}),
                        evicted_kib=COLD_KIB)
    assert slower.crossings[0] > base


def test_summary_one_row_per_design() -> None:
    s = summary(None, HOT, evicted_kib=0, switch_fraction=0.0)
    assert list(s["design"]) == list(DESIGN_KEYS)
    assert s.set_index("design").loc["bank", "ns_copy"] == pytest.approx(1.8)  # 180 B at 100 B/ns


def test_cost_core_imports_no_plotting_or_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, tdxlab.cost, tdxlab.cost.sweep, tdxlab.cost.host, tdxlab.cli.cost_cmd, "
            "tdxlab.render.plot_cmd; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
