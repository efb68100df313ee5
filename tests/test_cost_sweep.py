"""Sweeps (vectorised, tidy) and break-even switch fractions."""

from __future__ import annotations

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


def test_one_row_per_grid_point() -> None:
    consts = {"default": DEFAULT, "kernel": with_overrides(DEFAULT, {"tdx_entry_cycles": 1291})}
    frame = sweep(None, [1, 64, 4096], [1e3, 1e5], [0.0, 0.25, 1.0], consts)
    assert len(frame) == len(DESIGN_KEYS) * 2 * 3 * 2 * 3
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["design"].cat.categories) == list(DESIGN_KEYS)
    assert set(frame["constants"]) == {"default", "kernel"}
    # tidy: every (design, constants, vps, rate, fraction) exactly once
    key = ["design", "constants", "vps", "entries_per_s", "switch_fraction"]
    assert not frame.duplicated(key).any()


def test_vectorised_rows_agree_with_the_point_model(design_key: str) -> None:
    # Two paths through the formula: the broadcast 5-D sweep and one point at a time.
    frame = sweep([design_key], [1, 700, 4096], [1e4], [0.0, 0.37, 1.0])
    for row in frame.itertuples():
        b = breakdown(design_key, vps=int(row.vps), switch_fraction=float(row.switch_fraction))
        assert row.ns_per_entry == pytest.approx(b.total)
        assert row.ns_fixed == pytest.approx(b.fixed)
        assert row.ns_copy == pytest.approx(b.copy)
        assert row.ns_tlb == pytest.approx(b.tlb)


def test_cpu_share_is_time_per_second(design_key: str) -> None:
    # 10,000 entries per second at ~2.3 us each (the 6209-cycle stand-in alone) is ~2.3 % of a CPU.
    row = sweep([design_key], [1], [1e4], [0.0]).iloc[0]
    assert 0.02 < row.cpu_share < 0.03
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
    ({"entries_per_s": [-1]}, "entries_per_s: -1 is outside >= 0"),
    ({"switch_fraction": []}, "switch_fraction: give at least one value"),
    ({"designs": ["nope"]}, "unknown design 'nope'"),
    ({"vtls": 4}, r"vtls must be 1 .* to 3"),
    ({"vtls": [2, 0]}, r"vtls must be 1 .* to 3"),
])
def test_bad_axes_are_one_line_errors(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        sweep(**kwargs)  # type: ignore[arg-type]


# --- break-even ------------------------------------------------------------------------------------
def test_split_beats_bank_everywhere_with_one_vp() -> None:
    # One VP: everything is L1-resident and TLB-resident.  bank pays 180 B of copies (9 ns) and 14
    # lines every entry; split pays 0 B and 13 lines, plus on a switch 120 B (6 ns) and 2 more lines
    # (3 ns): 28.5 ns at worst against bank's 30 ns.
    be = break_even("split", ["bank"], vps=1)
    assert be.always
    assert describe.break_even_sentence(be) == (
        "split is cheaper than bank at every switch fraction (with 1 VP per core)")


def test_split_vs_bank_crossing_with_many_vps() -> None:
    be = break_even("split", ["bank"], vps=4096)
    assert len(be.crossings) == 1
    x = be.crossings[0]
    assert 0.0 < x < 1.0
    assert be.cheaper == ((0.0, x),)
    assert describe.break_even_sentence(be) == (
        f"split is cheaper than bank for switch fraction below {x:.3g} (with 4096 VPs per core)")
    # at the crossing the two cost the same; on either side the winner is the one reported
    tot = curves(["split", "bank"], DEFAULT, 4096, np.array([x - 0.01, x, x + 0.01]))
    assert tot[0, 0] < tot[1, 0]
    assert tot[0, 1] == pytest.approx(tot[1, 1], rel=1e-6)
    assert tot[0, 2] > tot[1, 2]


def test_snp_against_both() -> None:
    # One VP: snp's entry touches 13 VMSA lines in one page, like split's 13 lines (but in two
    # pages; no TLB misses with one VP), and each switch copies 464 B: never strictly cheaper,
    # equal at f = 0.
    few = break_even("snp", ["bank", "split"], vps=1)
    assert few.never
    assert few.ties and few.ties[0][0] == 0.0
    assert describe.break_even_sentence(few).startswith(
        "snp is never cheaper than bank and split (any switch fraction, with 1 VP per core); "
        "it costs the same at switch fraction 0")
    # 4096 VPs: one page per entry instead of two pays off while switches are rare.
    many = break_even("snp", ["bank", "split"], vps=4096)
    assert many.cheaper and many.cheaper[0][0] == 0.0 and many.cheaper[0][1] < 1.0


#: The questions each built-in design asks (docs/designs.md): split against bank, snp against both.
QUESTIONS = {"split": [("bank",)], "snp": [("bank", "split")]}


def test_every_registered_question_is_asked_when_all_are_shown() -> None:
    asked = [(b.design, b.others) for b in break_evens(list(DESIGN_KEYS), vps=1)]
    for key, questions in QUESTIONS.items():
        assert [others for d, others in asked if d == key] == questions
    # one answer per question of a registered design, in registry order
    assert [d for d, _ in asked] == [k for k in DESIGN_KEYS for _ in DESIGNS[k].break_even_against]
    assert [(b.design, b.others) for b in verdicts(vps=1)] == asked


@pytest.mark.parametrize(("shown", "asked"), [
    (["snp", "bank"], [("snp", ("bank",))]),
    (["split", "snp"], [("snp", ("split",))]),
    (["split"], []),
    (["bank", "naive"], []),
])
def test_only_shown_rivals_are_asked_about(shown: list[str],
                                           asked: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(b.design, b.others) for b in break_evens(shown, vps=1)] == asked


def test_break_even_frame_and_its_findings() -> None:
    frame = break_even_frame(vps=(1, 4096))
    assert list(frame.columns) == list(BREAK_EVEN_COLUMNS)
    # The kit's two questions (split vs bank; snp vs bank and split) at each VP count, in that order.
    kit = frame[frame["design"].isin(["split", "snp"])]
    assert list(kit["vps"]) == [1, 1, 4096, 4096]
    assert list(kit["design"]) == ["split", "snp", "split", "snp"]
    table = describe.break_even_table(frame)
    assert "break_even" not in table.columns
    assert table["finding"].iloc[0] == (
        "split is cheaper than bank at every switch fraction (with 1 VP per core)")
    assert frame["cheaper_for"].iloc[1] == "never"


def test_break_even_moves_with_the_constants() -> None:
    # A slower copy makes bank's 180 B per entry dearer than split's 120 B per switch: at
    # 5 GB/s the crossing moves right; at 1 GB/s (180 ns against at most 120 ns) it disappears.
    base = break_even("split", ["bank"], vps=4096).crossings[0]
    slower = break_even("split", ["bank"], with_overrides(DEFAULT, {"copy_gb_per_s": 5.0}), vps=4096)
    assert slower.crossings[0] > base
    assert break_even("split", ["bank"], with_overrides(DEFAULT, {"copy_gb_per_s": 1.0}), vps=4096).always


def test_summary_one_row_per_design() -> None:
    s = summary(vps=1, switch_fraction=0.0)
    assert list(s["design"]) == list(DESIGN_KEYS)
    assert s.set_index("design").loc["bank", "ns_copy"] == pytest.approx(9.0)  # 180 B at 20 B/ns


def test_cost_core_imports_no_plotting_or_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, tdxlab.cost, tdxlab.cost.sweep, tdxlab.cost.host, tdxlab.cli.cost_cmd, "
            "tdxlab.render.plot_cmd; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
