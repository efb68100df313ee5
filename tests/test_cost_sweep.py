"""Sweeps (vectorised, tidy) and break-even switch fractions."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tdxlab.cost.constants import DEFAULT, with_overrides
from tdxlab.cost.sweep import COLUMNS, break_even, curves, summary, sweep, verdicts
from tdxlab.cost.timemodel import breakdown

DESIGN_IDS = ["naive", "bank", "split", "snp"]


def test_one_row_per_grid_point() -> None:
    consts = {"default": DEFAULT, "kernel": with_overrides(DEFAULT, {"tdx_entry_cycles": 1291})}
    frame = sweep(DESIGN_IDS, [1, 64, 4096], [1e3, 1e5], [0.0, 0.25, 1.0], consts)
    assert len(frame) == 4 * 2 * 3 * 2 * 3
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame["design"]) == set(DESIGN_IDS)
    assert set(frame["constants"]) == {"default", "kernel"}
    # tidy: every (design, constants, vps, rate, fraction) exactly once
    key = ["design", "constants", "vps", "entries_per_s", "switch_fraction"]
    assert not frame.duplicated(key).any()


@pytest.mark.parametrize("design", DESIGN_IDS)
def test_rows_agree_with_the_point_model(design: str) -> None:
    frame = sweep([design], [1, 700, 4096], [1e4], [0.0, 0.37, 1.0])
    for row in frame.itertuples():
        b = breakdown(design, vps=int(row.vps), switch_fraction=float(row.switch_fraction))
        assert row.ns_per_entry == pytest.approx(b.total)
        assert row.ns_copy == pytest.approx(b.copy)
        assert row.ns_tlb == pytest.approx(b.tlb)
        assert row.cpu_share == pytest.approx(b.total * 1e4 / 1e9)


def test_required_columns_for_bank_and_split() -> None:
    frame = sweep(["bank", "split"], [8], [1e4], [0.5]).set_index("design")
    # bank: 90 in + 90 out every entry; split: 120 B on half the entries -> 60 B per entry
    assert frame.loc["bank", "bytes_copied_per_entry"] == 180
    assert frame.loc["split", "bytes_copied_per_entry"] == 60
    assert frame.loc["bank", "pages_per_vp"] == 1
    assert frame.loc["split", "pages_per_vp"] == 3
    assert frame.loc["split", "pages_per_partition"] == 8 * 3
    assert frame.loc["bank", "kib_per_partition"] == pytest.approx(8 * (4096 + 2 * 96) / 1024)


def test_hundred_thousand_rows_well_under_a_fifth_of_a_second() -> None:
    axes = (DESIGN_IDS, list(range(1, 51)), [1e3, 1e4, 1e5, 1e6, 1e7], np.linspace(0, 1, 100))
    assert 4 * 50 * 5 * 100 == 100_000
    sweep(*axes)  # warm the per-design accounting cache
    best = min(_timed(lambda: sweep(*axes)) for _ in range(3))
    assert best < 0.2, f"100,000-row sweep took {best:.3f} s"


def _timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"switch_fraction": [1.5]}, "switch_fraction: 1.5 is outside 0..1"),
    ({"vps": [0]}, "vps must be a positive integer"),
    ({"entries_per_s": [-1]}, "entries_per_s: -1 is outside >= 0"),
    ({"switch_fraction": []}, "switch_fraction: give at least one value"),
    ({"designs": ["nope"]}, "unknown design 'nope'"),
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
    assert "split is cheaper than bank at every switch fraction" in be.sentence()


def test_split_vs_bank_crossing_with_many_vps() -> None:
    be = break_even("split", ["bank"], vps=4096)
    assert len(be.crossings) == 1
    x = be.crossings[0]
    assert 0.0 < x < 1.0
    assert be.cheaper == ((0.0, x),)
    assert f"below {x:.3g}" in be.sentence()
    # at the crossing the two cost the same; on either side the winner is the one reported
    tot = curves(["split", "bank"], DEFAULT, 4096, np.array([x - 0.01, x, x + 0.01]))
    assert tot[0, 0] < tot[1, 0]
    assert tot[0, 1] == pytest.approx(tot[1, 1], rel=1e-6)
    assert tot[0, 2] > tot[1, 2]


def test_snp_against_both() -> None:
    # One VP: snp's entry touches 13 VMSA lines in one page, like split's 13 lines (but in two
    # pages; no TLB misses with one VP), and each switch copies 492 B: never strictly cheaper,
    # equal at f = 0.
    few = break_even("snp", ["bank", "split"], vps=1)
    assert few.never
    assert few.ties and few.ties[0][0] == 0.0
    assert "never cheaper" in few.sentence()
    # 4096 VPs: one page per entry instead of two pays off while switches are rare.
    many = break_even("snp", ["bank", "split"], vps=4096)
    assert many.cheaper and many.cheaper[0][0] == 0.0 and many.cheaper[0][1] < 1.0


def test_verdicts_are_the_two_questions() -> None:
    v = verdicts(vps=1)
    assert [(b.design, b.others) for b in v] == [("split", ("bank",)), ("snp", ("bank", "split"))]


def test_break_even_moves_with_the_constants() -> None:
    # A slower copy makes bank's 180 B per entry dearer than split's 120 B per switch: at
    # 5 GB/s the crossing moves right; at 1 GB/s (180 ns against at most 120 ns) it disappears.
    base = break_even("split", ["bank"], vps=4096).crossings[0]
    slower = break_even("split", ["bank"], with_overrides(DEFAULT, {"copy_gb_per_s": 5.0}), vps=4096)
    assert slower.crossings[0] > base
    assert break_even("split", ["bank"], with_overrides(DEFAULT, {"copy_gb_per_s": 1.0}), vps=4096).always


def test_summary_one_row_per_design() -> None:
    s = summary(vps=1, switch_fraction=0.0)
    assert list(s["design"]) == DESIGN_IDS
    assert s.set_index("design").loc["bank", "ns_copy"] == pytest.approx(9.0)


def test_cost_core_imports_no_plotting_or_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, tdxlab.cost, tdxlab.cost.sweep, tdxlab.cost.host, tdxlab.cli.cost_cmd; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
