"""The "Your design" widget through its Python API, and its widget driven programmatically.

Expected outcomes come from the TLFS classes and the scenario files (the derivation is next
to each assertion), not from the code under test.
"""

from __future__ import annotations

import pytest
from facts import BANK_BYTES
from widget_tree import find, walk

from tdxlab.compare import PRESETS, compare_frame
from tdxlab.registers import Group
from tdxlab.scenarios import SCENARIOS
from tdxlab.sim.designs import DESIGNS
from tdxlab.widgets.your_design import REGISTER_GROUPS, YourDesign, YourDesignError


@pytest.fixture(scope="module")
def no_rsp() -> YourDesign:
    return YourDesign(base="bank").drop_private("rsp")


def test_the_variant_is_a_design_variant(no_rsp: YourDesign) -> None:
    d = no_rsp.design
    assert d.is_variant
    assert d.private == DESIGNS["bank"].private - {"rsp"}
    assert no_rsp.dropped == ("rsp",) and no_rsp.added == ()
    assert no_rsp.key == "bank-no-rsp"  # it is exactly the pre-#1178 preset
    assert no_rsp.preset_name == "bank that forgets RSP (pre-#1178)"


def test_results_on_every_scenario(no_rsp: YourDesign) -> None:
    r = no_rsp.results
    assert list(r.index) == list(SCENARIOS)
    # secure_call_round_trip: VTL 1 entered at step 28 with VTL 0's RSP (integrity: a lower VTL's
    # value in a higher one), VTL 0 at 30 with VTL 1's (disclosure): one finding each
    row = r.loc["secure_call_round_trip"]
    got = (row["violations"], row["integrity"], row["disclosure"], row["lost"], row["stale"],
           row["registers"], row["first_step"])
    assert got == (2, 1, 1, 0, 0, "rsp", 28)
    # intercept_in_vtl2: VTL 1 never runs, so a missing RSP goes unnoticed there
    assert r.loc["intercept_in_vtl2", "violations"] == 0
    assert set(r["registers"]) <= {"rsp", ""}


def test_search_and_costs(no_rsp: YourDesign) -> None:
    s = no_rsp.counterexample
    assert s.found and {v.reg for v in s.violations} == {"rsp"}
    costs = no_rsp.costs
    assert list(costs.index) == ["bank", "bank-no-rsp"]
    # the bank (domain facts 2.1) is copied both ways around an entry; without RSP, 8 bytes fewer each way
    assert costs.loc["bank", "bytes_per_entry"] == 2 * BANK_BYTES
    assert costs.loc["bank-no-rsp", "bytes_per_entry"] == 2 * (BANK_BYTES - 8)
    assert costs.loc["bank-no-rsp", "pages_per_vp"] == 1
    assert not no_rsp.holds
    assert no_rsp.verdict.startswith("bank-no-rsp (rsp made shared): breaks on")


def test_base_design_holds() -> None:
    yd = YourDesign(base="bank")
    assert yd.design is DESIGNS["bank"]
    assert yd.key == "bank"
    assert yd.results["violations"].sum() == 0
    assert not yd.counterexample.found
    assert yd.holds and "isolation holds" in yd.verdict
    assert list(yd.costs.index) == ["bank"]


# Expected outcome per preset, from the TLFS class of the moved register:
# rsp is private (moving it to shared -> VTL 1 runs on VTL 0's stack pointer, integrity, and VTL 0 on
# VTL 1's, disclosure); cr2 is shared (making it private -> stale);
# vm_flags is rewritten before every entry when not banked (-> nothing to see).
@pytest.mark.parametrize(
    ("preset", "breaks", "kinds", "regs"),
    [
        ("bank that forgets RSP (pre-#1178)", True, {"integrity", "disclosure"}, {"rsp"}),
        ("bank without entry flags (pre-#793)", False, set(), set()),
        ("split with CR2 private", True, {"stale"}, {"cr2"}),
        ("snp that also copies RSP", True, {"integrity", "disclosure"}, {"rsp"}),
    ],
    ids=["bank-no-rsp", "bank-no-flags", "split-cr2-private", "snp-copies-rsp"],
)
def test_presets(preset: str, breaks: bool, kinds: set[str], regs: set[str]) -> None:
    yd = YourDesign().preset(preset)
    assert yd.preset_name == preset and yd.story
    assert yd.base == PRESETS[preset].base
    r = yd.results
    assert bool(r["violations"].sum()) is breaks
    seen = {k for k in ("integrity", "disclosure", "lost", "stale") if r[k].sum()}
    assert seen == kinds
    assert {x for cell in r["registers"] for x in cell.split(", ") if x} == regs


def test_empty_bank_is_naive() -> None:
    yd = YourDesign().preset("bank-empty")
    assert yd.private == frozenset()
    for name in SCENARIOS:
        naive = compare_frame(name, designs=["naive"]).loc["naive", "violations"]
        assert yd.results.loc[name, "violations"] == naive


def test_moves_and_reset() -> None:
    yd = YourDesign(base="split").add_private("CR2")
    assert yd.added == ("cr2",) and yd.key == "split-cr2-private"
    yd.drop_private("rip")
    assert yd.key == "split-rip+cr2" and yd.preset_name is None
    yd.reset()
    assert yd.private == DESIGNS["split"].private and yd.design is DESIGNS["split"]
    yd.set_base("snp")
    assert yd.base == "snp" and yd.private == DESIGNS["snp"].private


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: YourDesign(base="naive"), "base design must be one of bank, split, snp"),
        (lambda: YourDesign().drop_private("cr3"), "register 'cr3' is not simulated"),
        (lambda: YourDesign().add_private("nonsense"), "register 'nonsense' is not simulated"),
        (lambda: YourDesign().preset("nope"), "unknown preset 'nope'"),
        (lambda: YourDesign(budget=-1), "budget must be"),
    ],
)
def test_bad_input(call, words: str) -> None:
    with pytest.raises(YourDesignError, match=words):
        call()


def test_bad_move_keeps_the_choice() -> None:
    yd = YourDesign().drop_private("rsp")
    with pytest.raises(YourDesignError):
        yd.drop_private("rip", "bogus")
    assert yd.dropped == ("rsp",)


def test_register_groups_cover_every_placeable_register() -> None:
    regs = [r for group in REGISTER_GROUPS.values() for r in group]
    assert len(regs) == len(set(regs))
    assert {"rip", "rsp", "cr2", "vm_flags", "xmm0", "lstar"} <= set(regs)
    assert "rsp" in REGISTER_GROUPS[Group.GPR] and "vm_flags" in REGISTER_GROUPS[Group.ENTRY]


def test_widget_preset_pickers_reset_and_base() -> None:
    yd = YourDesign(base="bank", budget=0)
    root = yd.widget
    out = find(root, "HTML", cls="tdxlab-your-design-result")
    gpr = next(w for w in walk(root) if type(w).__name__ == "SelectMultiple" and "rsp" in w.options)
    assert "rsp" in gpr.value and "rax" not in gpr.value  # bank keeps RSP private, RAX shared
    assert "isolation holds" in out.value
    # choose a preset from the dropdown: the pickers follow and the result shows the break
    find(root, "Dropdown", "Preset").value = "bank that forgets RSP (pre-#1178)"
    assert yd.key == "bank-no-rsp"
    assert "rsp" not in gpr.value
    assert "breaks on" in out.value
    # picking registers by hand: make RSP private again -> back to the base design
    gpr.value = (*gpr.value, "rsp")
    assert yd.design is DESIGNS["bank"]
    assert find(root, "Dropdown", "Preset").value == ""
    # move RAX to private by hand: a variant key names the move
    gpr.value = (*gpr.value, "rax")
    assert yd.added == ("rax",)
    find(root, "Button", "Reset").click()
    assert yd.private == DESIGNS["bank"].private and "rax" not in gpr.value
    find(root, "ToggleButtons", "Base").value = "split"
    assert yd.base == "split" and yd.design is DESIGNS["split"]
    assert "split" in out.value
