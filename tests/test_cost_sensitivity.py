"""Sensitivity over the uncertain constants: which comparison flips, where, and checked by the point model."""

from __future__ import annotations

import dataclasses

import pytest

from tdxlab.cost.accounting import account
from tdxlab.cost.constants import CONSTANTS, DEFAULT, uncertain_names
from tdxlab.cost.sensitivity import COLUMNS, sensitivity, sensitivity_frame, sensitivity_questions
from tdxlab.cost.sweep import break_even
from tdxlab.cost.timemodel import ns_per_entry
from tdxlab.sim.designs import DESIGNS


def test_one_row_per_uncertain_constant_over_its_declared_range() -> None:
    rows = sensitivity("split", ["bank"], switch_fraction=0.1)
    assert [r.constant for r in rows] == uncertain_names()
    for r in rows:
        info = CONSTANTS[r.constant]
        assert (r.low, r.high) == (info.low, info.high)
        assert r.default in r.values and list(r.values) == sorted(r.values)


def test_a_cost_both_designs_pay_alike_moves_nothing() -> None:
    # bank and split are both TDX designs: the round trip and the kernel's work are the same in both.
    for name in ("tdx_entry_cycles", "user_mode_cycles", "wrmsr_cycles", "fxsave_cycles"):
        (row,) = sensitivity("split", ["bank"], switch_fraction=0.1, names=[name])
        assert max(row.diffs) - min(row.diffs) == pytest.approx(0.0, abs=1e-9), name
        assert row.holds


def test_a_flip_is_where_the_point_model_says_the_designs_cost_the_same() -> None:
    # snp against the TDX designs: a slower TDG.VP.ENTER makes TDX's fixed work the larger.
    (row,) = sensitivity("snp", ["bank", "split"], switch_fraction=0.1, names=["tdx_entry_cycles"])
    assert row.diff_default > 0 and row.diffs[-1] < 0 and len(row.flips) == 1
    at = dataclasses.replace(DEFAULT, tdx_entry_cycles=row.flips[0])
    snp = ns_per_entry("snp", at, switch_fraction=0.1)
    rivals = min(ns_per_entry(d, at, switch_fraction=0.1) for d in ("bank", "split"))
    assert snp == pytest.approx(rivals, rel=1e-3)


def test_break_even_columns_agree_with_break_even() -> None:
    (row,) = sensitivity("split", ["bank"], names=["walk_ref_ns"])
    for value, crossing in zip(row.values[:: len(row.values) // 4], row.break_evens[:: len(row.values) // 4],
                               strict=True):
        be = break_even("split", ["bank"], dataclasses.replace(DEFAULT, walk_ref_ns=value))
        expected = be.crossings[0] if be.crossings else None
        if expected is None:
            assert crossing is None
        else:
            assert crossing == pytest.approx(expected, abs=0.01)


def test_frame_has_one_row_per_constant() -> None:
    rows = sensitivity("snp", ["bank", "split"], switch_fraction=0.1)
    frame = sensitivity_frame(rows)
    assert list(frame.columns) == list(COLUMNS) and len(frame) == len(rows)
    assert set(frame.loc[~frame["holds"], "constant"]) == {r.constant for r in rows if r.flips}


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"against": []}, "at least one design"),
    ({"names": ["l1_ns"]}, "no sensitivity range for 'l1_ns'"),
    ({"names": ["nope"]}, "no sensitivity range for 'nope'"),
    ({"switch_fraction": 1.5}, "switch fraction must be within 0..1"),
    ({"evicted_kib": -1.0}, "evicted_kib"),
])
def test_bad_questions_are_one_line_errors(kwargs: dict[str, object], words: str) -> None:
    args: dict[str, object] = {"design": "split", "against": ["bank"], **kwargs}
    with pytest.raises(ValueError, match=words) as info:
        sensitivity(**args)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_questions_are_the_registered_ones_or_first_against_the_rest() -> None:
    costs = [account(k) for k in DESIGNS]
    asked = [(me.design, [r.design for r in rivals]) for me, rivals in sensitivity_questions(costs)]
    expected = [(k, [r for r in rivals if r != k])
                for k in DESIGNS for rivals in DESIGNS[k].break_even_against]
    assert asked == expected
    variant = account(DESIGNS["bank"].variant("my-bank", drop_private={"rsp"}))
    ((me, rivals),) = sensitivity_questions([variant, account("split")])
    assert me is variant and [r.design for r in rivals] == ["split"]
    assert sensitivity_questions([variant]) == []
