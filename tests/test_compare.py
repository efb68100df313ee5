"""The design comparison: one trace, four designs, one table.

Expected values are worked out by hand from the scenario files and the reference
sheet (domain-facts), not copied from the code under test.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SNP_SWITCH_BYTES, SPLIT_SWITCH_BYTES

from tdxlab import describe
from tdxlab.compare import (
    COLUMNS,
    RESULT_COLUMNS,
    CompareError,
    compare,
    compare_frame,
    scenario_results,
    switch_fraction,
    vtls_enabled,
)
from tdxlab.scenarios import SCENARIOS, load_scenario
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import simulate
from tdxlab.sim.trace import dump_trace

# secure_call_round_trip: VTL 0 sets 9 private registers (rip, rsp, rflags and the six banked
# MSRs) before its run at step 14; VTL 1 sets its own values for the same 9 before its run at
# step 28.  In the naive page VTL 1 is entered at step 28 with VTL 0's 9 values (9 integrity
# findings: a lower VTL's value in a higher VTL), and VTL 0 re-enters at step 30 with VTL 1's
# (9 disclosure findings: a higher VTL's value in a lower one).  One finding per wrong register
# per entry: 18 in all (the old checker counted each twice, a clobber and a leak: 36).
NAIVE_REGS = ("kernel_gs_base", "lstar", "rflags", "rip", "rsp", "sfmask", "star", "tsc_aux", "xss")


@pytest.fixture(scope="module")
def round_trip() -> pd.DataFrame:
    return compare_frame("secure_call_round_trip")


def test_frame_shape(round_trip: pd.DataFrame) -> None:
    # every registered design, in registry order, unless the caller picks designs
    assert list(round_trip.index) == list(DESIGN_KEYS)
    assert list(round_trip.columns) == list(COLUMNS)
    assert round_trip["first_step"].dtype == "Int64"
    # the comparison holds figures; its words are describe's (one layer up)
    assert not any(round_trip[c].dtype == object and c not in ("title", "registers") for c in COLUMNS)


def test_every_column_has_its_meaning_in_describe() -> None:
    assert list(describe.COMPARISON_COLUMNS) == list(COLUMNS)
    assert all(meaning and "\n" not in meaning for meaning in describe.COMPARISON_COLUMNS.values())
    assert set(RESULT_COLUMNS) <= set(COLUMNS)


# Figures pinned per design are tables over their own keys (a design added later brings its own
# figures in its own test); properties of every registered design use DESIGN_KEYS.

#: secure_call_round_trip: only the naive page breaks it (the #746 bug); the three fixes hold.
BREAKS_ROUND_TRIP = {"naive": True, "bank": False, "split": False, "snp": False}


@pytest.mark.parametrize("design", BREAKS_ROUND_TRIP)
def test_only_naive_breaks_the_round_trip(round_trip: pd.DataFrame, design: str) -> None:
    row = round_trip.loc[design]
    broken = BREAKS_ROUND_TRIP[design]
    assert bool(row["violations"] > 0) is broken
    if not broken:
        assert row["violations"] == 0
        assert pd.isna(row["first_step"])
        assert row["registers"] == ""


def test_naive_violation_table(round_trip: pd.DataFrame) -> None:
    row = round_trip.loc["naive"]
    assert row["integrity"] == 9  # step 28: VTL 1 entered with VTL 0's values
    assert row["disclosure"] == 9  # step 30: VTL 0 entered with VTL 1's values
    assert row["lost"] == 0
    assert row["stale"] == 0
    assert row["violations"] == 18
    assert row["first_step"] == 28  # VTL 1's first entry, line "Step 28" of the scenario
    assert row["registers"] == ", ".join(NAIVE_REGS)


# Pages per VP with VTL 1 enabled (every built-in scenario enables it):
# * naive, bank: one hcl_run page per VP (mmap offset = VP index, OV ioctl.rs); bank's
#   TdxPrivateRegs live in paravisor heap memory, not in a kernel-shared page (domain-facts 2.1).
# * split: the run page (holding the VTL-agnostic shared struct) + one context page per VTL = 3.
# * snp: the run page + one VMSA per VTL (OV ioctl.rs BackingState::Snp {vmsa: [vtl0, vtl1]}) = 3.
PAGES_WITH_VTL1 = {"naive": 1, "bank": 1, "split": 3, "snp": 3}


@pytest.mark.parametrize("design", PAGES_WITH_VTL1)
def test_pages_per_vp_with_vtl1(round_trip: pd.DataFrame, design: str) -> None:
    assert round_trip.loc[design, "pages_per_vp"] == PAGES_WITH_VTL1[design]


# Without VTL 1 only VTL 0's pages exist: split and snp drop the VTL 1 page / VMSA.
PAGES_VTL0_ONLY = {"naive": 1, "bank": 1, "split": 2, "snp": 2}


@pytest.fixture(scope="module")
def vtl0_only() -> pd.DataFrame:
    events = [Event(Op.SET, 0, 0, "rip", 0x1000), Event(Op.RUN, 0)]
    assert vtls_enabled(events) == 1
    return compare_frame(events)


@pytest.mark.parametrize("design", PAGES_VTL0_ONLY)
def test_pages_per_vp_vtl0_only(vtl0_only: pd.DataFrame, design: str) -> None:
    assert vtl0_only.loc[design, "pages_per_vp"] == PAGES_VTL0_ONLY[design]


def test_bytes_copied(round_trip: pd.DataFrame) -> None:
    # bank: TdxPrivateRegs (BANK_BYTES of payload) is copied in before and out after every entry
    # (domain-facts 2.1, 3.4 steps 6 and 9): twice that per entry, nothing on a switch.
    assert round_trip.loc["bank", "bytes_per_entry"] == 2 * BANK_BYTES
    assert round_trip.loc["bank", "bytes_per_switch"] == 0
    # naive copies nothing at all (that is the bug).
    assert round_trip.loc["naive", ["bytes_per_entry", "bytes_per_switch"]].tolist() == [0, 0]
    # split: the 15 GPRs other than RSP must sit in each VTL's guest-state buffer and are copied
    # on every switch; nothing per entry.
    assert round_trip.loc["split", "bytes_per_entry"] == 0
    assert round_trip.loc["split", "bytes_per_switch"] == SPLIT_SWITCH_BYTES
    # snp copies the 15 GPRs, CR2, ST0-7 and XMM0-15 on every switch (domain-facts 2.2).
    assert round_trip.loc["snp", "bytes_per_entry"] == 0
    assert round_trip.loc["snp", "bytes_per_switch"] == SNP_SWITCH_BYTES


def test_switch_counts(round_trip: pd.DataFrame) -> None:
    # three runs (steps 14, 28, 30) and two switches (vtl_call, vtl_return), whatever the design
    assert set(round_trip["entries"]) == {3}
    assert set(round_trip["switches"]) == {2}
    # the runs at 28 and 30 follow a switch, the one at 14 does not
    assert switch_fraction(simulate("bank", load_scenario("secure_call_round_trip"))) == pytest.approx(2 / 3)
    # interrupt_to_vtl1: four runs (events 6, 10, 17, 19); the interrupt for VTL 1 (event 11)
    # switches up before the third, the vtl_return (event 18) back before the fourth; the
    # interrupts for VTL 0 (events 7, 12) switch nothing: 2 of 4 follow a switch
    assert switch_fraction(simulate("bank", load_scenario("interrupt_to_vtl1"))) == 0.5
    # intercept_in_vtl2 never leaves VTL 0
    assert switch_fraction(simulate("bank", load_scenario("intercept_in_vtl2"))) == 0.0


def test_time_per_entry_is_positive_and_bank_pays_for_its_copies(round_trip: pd.DataFrame) -> None:
    assert (round_trip["ns_per_entry"] > 0).all()
    assert round_trip.loc["bank", "ns_per_entry"] > round_trip.loc["naive", "ns_per_entry"]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_correct_designs_hold_on_every_scenario(scenario: str) -> None:
    frame = compare_frame(scenario)
    assert frame.loc[["bank", "split", "snp"], "violations"].tolist() == [0, 0, 0]


def test_intercepts_do_not_break_even_naive() -> None:
    # intercept_in_vtl2: VTL 0 only is ever entered, so nothing can cross between VTLs.
    assert compare_frame("intercept_in_vtl2").loc["naive", "violations"] == 0


def test_variant_rows() -> None:
    no_rsp = DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})
    comp = compare("secure_call_round_trip", variants=[no_rsp])
    frame = comp.frame
    assert list(frame.index) == [*DESIGN_KEYS, "bank-no-rsp"]
    assert bool(frame.loc["bank-no-rsp", "variant"]) is True
    assert not frame.loc[list(DESIGN_KEYS), "variant"].any()
    # pre-#1178: RSP left in the shared page -> VTL 1 gets VTL 0's stack at step 28 (integrity) and
    # VTL 0 gets VTL 1's back at step 30 (disclosure): one finding each
    assert frame.loc["bank-no-rsp", "registers"] == "rsp"
    assert frame.loc["bank-no-rsp", ["violations", "integrity", "disclosure", "lost", "stale"]].tolist() == [
        2, 1, 1, 0, 0]
    # and the bank is 8 B smaller each way
    assert frame.loc["bank-no-rsp", "bytes_per_entry"] == 2 * (BANK_BYTES - 8)
    first = comp.outcome("bank-no-rsp").first
    assert first is not None
    assert (first.step, first.vtl, first.reg, first.source_vtl) == (28, 1, "rsp", 0)
    assert first.kind.value == "integrity"


def test_verdicts_one_line_per_design() -> None:
    comp = compare("secure_call_round_trip", designs=["naive", "bank", "split", "snp"])
    lines = describe.verdicts(comp)
    assert len(lines) == 4
    assert all(isinstance(line, str) and line and "\n" not in line for line in lines)
    assert lines[0].startswith("naive: BREAKS isolation, 18 findings (9 integrity, 9 disclosure) in 9 "
                               "registers; worst: [high] step 28, VP 0, VTL 1: kernel_gs_base on entry: "
                               "integrity, ")
    # the worst finding: the most severe kind (integrity, high: the 9 at step 28), then the earliest
    # step, then the register name (kernel_gs_base sorts first of the 9); VTL 1 found VTL 0's value,
    # left by VTL 0's run at step 14 (line 25 of the scenario)
    assert "(expected 0x0, found 0xfffff80000b00000, VTL 0's value); value left by step 14 " in lines[0]
    for design, line in zip(["bank", "split", "snp"], lines[1:], strict=True):
        assert line.startswith(f"{design}: isolation holds on this trace; ")
    assert re.fullmatch(rf"bank: isolation holds on this trace; {2 * BANK_BYTES} B copied per entry, no copy "
                        r"per switch, 1 page per VP, [\d,]+ ns per entry modelled \([\d,]+ ns page work\)\.",
                        lines[1]), lines[1]
    assert f"no copy per entry, {SNP_SWITCH_BYTES} B copied per switch, 3 pages per VP" in lines[3]


def test_copied_text() -> None:
    assert describe.copied_text(0, "entry") == "no copy per entry"
    assert describe.copied_text(1234.4, "switch") == "1,234 B copied per switch"


def test_scenario_results_one_row_per_scenario() -> None:
    frame = scenario_results("naive", ["secure_call_round_trip", "intercept_in_vtl2"])
    assert list(frame.index) == ["secure_call_round_trip", "intercept_in_vtl2"]
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert frame["violations"].tolist() == [18, 0]  # 9 integrity + 9 disclosure (see NAIVE_REGS)
    assert frame["integrity"].tolist() == [9, 0]
    assert frame["disclosure"].tolist() == [9, 0]
    assert frame.attrs["design"] == "naive"


def test_trace_file(tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(dump_trace(load_scenario("secure_call_round_trip")), encoding="utf-8")
    comp = compare(path)
    assert comp.label == "t.jsonl"
    assert comp.frame.loc["naive", "violations"] == 18  # as the built-in scenario: 9 integrity, 9 disclosure
    assert comp.frame.loc["naive", ["integrity", "disclosure"]].tolist() == [9, 9]


@pytest.mark.parametrize(
    ("arg", "words"),
    [
        ("no_such_scenario", "neither a built-in scenario"),
        (["not an event"], "list of Event"),
        (42, "list of Event"),
    ],
)
def test_bad_trace(arg: object, words: str) -> None:
    with pytest.raises(CompareError, match=words):
        compare(arg)  # type: ignore[arg-type]


def test_bad_trace_file_names_line(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"op": "run", "vp": 0}\n{"op": "jump", "vp": 0}\n', encoding="utf-8")
    with pytest.raises(CompareError, match="line 2"):
        compare(path)


def test_bad_design() -> None:
    with pytest.raises(CompareError, match="unknown design 'bogus'"):
        compare("secure_call_round_trip", designs=["naive", "bogus"])
    with pytest.raises(CompareError, match="twice"):
        compare("secure_call_round_trip", designs=["naive", "naive"])


def test_impossible_event_is_one_line() -> None:
    with pytest.raises(CompareError, match="not enabled"):
        compare([Event(Op.VTL_CALL, 0)])
