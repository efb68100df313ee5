"""The "Your design" widget through its Python API, and its widget driven programmatically.

Expected outcomes come from the TLFS classes and the scenario files (the derivation is next
to each assertion), not from the code under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from facts import BANK_BYTES, BANK_FIELDS
from widget_tree import find, walk

from tdxlab.compare import PRESETS, compare_frame
from tdxlab.owners import Owner
from tdxlab.registers import Group
from tdxlab.scenarios import SCENARIOS
from tdxlab.sim.declared import GROUP_NAMES, Copy, DesignSpec, Home
from tdxlab.sim.design_file import DesignFileError, load_design_file, parse_design_file, shipped_design_files
from tdxlab.sim.designs import DESIGNS, SplitDesign, register_design, unregister_design
from tdxlab.sim.verify import verify
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


# --- design files: save ------------------------------------------------------------------------
# Where a moved register lives, from docs/design-file.md's tables (homes per base, default copies):
# a private register gets the base's per-VTL home (bank: a bank copied every entry, as OpenVMM's
# write_private_regs/read_private_regs; split: each VTL's page; snp: each VTL's VMSA), nothing to
# copy outside a bank; a shared one lives once in the run page on bank, while on split RIP stays in
# each VTL's page (TDG.VP.ENTER reads it from the entered VM's buffer, sheet 3.6) and is carried on a
# switch, as is RSP between snp's VMSAs; RVI has no page on snp (the hardware keeps it), so no copy.
@pytest.mark.parametrize(
    ("base", "move", "reg", "cls", "home", "copy"),
    [
        ("bank", "add", "rax", "private", "bank", "entry"),
        ("bank", "drop", "rsp", "shared", "run", "never"),
        ("split", "add", "cr2", "private", "vtl-page", "never"),
        ("split", "drop", "rip", "shared", "vtl-page", "switch"),
        ("snp", "add", "cr2", "private", "vmsa", "never"),
        ("snp", "drop", "rsp", "shared", "vmsa", "switch"),
        ("snp", "drop", "rvi", "shared", "hardware", "never"),
    ],
    ids=["bank+rax", "bank-rsp", "split+cr2", "split-rip", "snp+cr2", "snp-rsp", "snp-rvi"],
)
def test_save_writes_each_move_with_its_home_and_copy(tmp_path: Path, base: str, move: str, reg: str,
                                                      cls: str, home: str, copy: str) -> None:
    yd = YourDesign(base=base, budget=0)
    (yd.add_private if move == "add" else yd.drop_private)(reg)
    saved = yd.save(tmp_path / "mine.toml")
    assert saved == tmp_path / "mine.toml"
    spec = parse_design_file(saved.read_text(encoding="utf-8"))
    assert (spec.key, spec.base, spec.extra_page) == (yd.key, base, None)
    assert [(r.names, r.owner.value, r.home and r.home.word, r.copy and r.copy.word) for r in spec.rules] \
        == [((reg,), cls, home, copy)]
    assert spec.rules[0].why  # the report shows why a rule is there
    assert load_design_file(saved).private == yd.design.private


def test_save_groups_moves_and_takes_a_key_and_title(tmp_path: Path) -> None:
    yd = YourDesign(base="bank", budget=0).drop_private("rsp", "rip").add_private("rax", "rbx")
    saved = yd.save(tmp_path / "p.toml", key="my-proposal", title="two GPRs banked, RSP and RIP not")
    spec = parse_design_file(saved.read_text(encoding="utf-8"))
    assert (spec.key, spec.title) == ("my-proposal", "two GPRs banked, RSP and RIP not")
    # one rule per class: the two made private in banks, the two made shared in the run page
    got = {(frozenset(r.names), r.owner, r.home, r.copy) for r in spec.rules}
    assert got == {(frozenset({"rax", "rbx"}), Owner.PRIVATE, Home.BANK, Copy.ENTRY),
                   (frozenset({"rip", "rsp"}), Owner.SHARED, Home.RUN, Copy.NEVER)}
    assert len(spec.rules) == 2


# Expected verdicts from the TLFS classes: the bank as catalogued holds; RSP is private (#1178),
# CR2 and RAX are shared, so each of those moves breaks isolation.
@pytest.mark.parametrize(
    ("make", "holds"),
    [
        (lambda yd: yd, True),
        (lambda yd: yd.preset("bank that forgets RSP (pre-#1178)"), False),
        (lambda yd: yd.preset("split with CR2 private"), False),
        (lambda yd: yd.add_private("rax").drop_private("rsp"), False),
    ],
    ids=["bank", "bank-no-rsp", "split-cr2-private", "bank+rax-rsp"],
)
def test_save_then_load_design_file_is_the_same_design(tmp_path: Path, make, holds: bool) -> None:
    yd = make(YourDesign(base="bank", budget=0))
    loaded = load_design_file(yd.save(tmp_path / "d.toml"))
    assert loaded.key == yd.key and loaded.private == yd.design.private
    assert loaded.placements == load_design_file(yd.save(tmp_path / "again.toml")).placements
    assert verify(loaded).verified is verify(yd.design).verified is holds
    again = YourDesign(budget=0).load(tmp_path / "d.toml")
    assert (again.base, again.private, again.key) == (yd.base, yd.private, yd.key)
    assert again.declarations == ()  # only classes changed: the pickers show all of it
    assert again.holds is holds


def test_a_file_of_class_changes_becomes_the_pickers_state(tmp_path: Path) -> None:
    saved = YourDesign(base="split", budget=0).add_private("cr2").save(tmp_path / "s.toml", key="mine")
    yd = YourDesign(budget=0).load(saved)
    assert yd.key == "mine" and yd.source == str(saved) and yd.preset_name is None
    yd.drop_private("rip")  # its first move: plain base-and-private-set again, named from the base
    assert yd.source is None and yd.key == "split-rip+cr2"
    catalogue = DESIGNS["split"].variant("x", add_private=["cr2"], drop_private=["rip"])
    assert yd.design.private == catalogue.private


# --- design files: the shipped proposals -------------------------------------------------------
SHIPPED = shipped_design_files()
# What each file declares that the pickers cannot show (docs/design-file.md, the shipped proposals):
# bank-lazy copies the bank on a switch, not every entry; split-fx-per-vtl keeps FX in each VTL's
# page, copied on a switch; bank-fx-page moves FX into an extra page, one per VP.
DECLARES = {
    "bank-lazy": ["copy switch"],
    "split-fx-per-vtl": ["fpu", "home vtl-page, copy switch"],
    "bank-fx-page": ["extra page, one per VP", "fpu", "home extra"],
}


@pytest.fixture(scope="module", params=sorted(SHIPPED), ids=sorted(SHIPPED))
def shipped(request: pytest.FixtureRequest) -> tuple[str, YourDesign]:
    name = str(request.param)
    return name, YourDesign(budget=0).load(SHIPPED[name])


def test_the_shipped_files_are_the_widgets_design(shipped: tuple[str, YourDesign]) -> None:
    name, yd = shipped
    from_file = load_design_file(SHIPPED[name])
    assert yd.design.key == yd.key == name and yd.source == str(SHIPPED[name])
    assert yd.design.placements == from_file.placements and yd.private == from_file.private
    assert yd.preset_name is None and yd.story == from_file.spec.summary
    words = " | ".join(yd.declarations)
    assert all(w in words for w in DECLARES[name]), words
    assert "From design file" in yd.html and str(SHIPPED[name]) in yd.html
    assert all(w in yd.html for w in DECLARES[name])
    assert name in repr(yd) and f"from {name}.toml" in repr(yd)


def test_the_shipped_files_verdict_is_verifys(shipped: tuple[str, YourDesign]) -> None:
    # docs/design-file.md: all three proposals are verified (tdxlab verify --design-file F)
    name, yd = shipped
    assert verify(load_design_file(SHIPPED[name])).verified is True
    assert yd.holds is True and yd.verdict.startswith(f"{name} (no register moved): isolation holds")


def test_the_lazy_banks_costs_are_its_own() -> None:
    # sheet 2.1/4: the bank moves 90 B each way around every entry; the lazy bank only on a switch
    yd = YourDesign(budget=0).load(SHIPPED["bank-lazy"])
    assert yd.costs.loc["bank", "bytes_per_entry"] == 2 * BANK_BYTES
    assert yd.costs.loc["bank-lazy", "bytes_per_entry"] == 0
    assert yd.costs.loc["bank-lazy", "bytes_per_switch"] == 2 * BANK_BYTES


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_load_save_load_is_the_same_spec(tmp_path: Path, name: str) -> None:
    original = load_design_file(SHIPPED[name])
    saved = load_design_file(YourDesign(budget=0).load(SHIPPED[name]).save(tmp_path / f"{name}.toml"))

    def fields(spec: DesignSpec) -> tuple[object, ...]:
        rules = [(r.names, r.owner, r.home, r.copy, r.why) for r in spec.rules]
        return spec.key, spec.base, spec.title, spec.summary, spec.extra_page, rules

    assert fields(saved.spec) == fields(original.spec)
    assert saved.placements == original.placements and saved.private == original.private
    again = YourDesign(budget=0).load(tmp_path / f"{name}.toml")
    assert again.declarations == YourDesign(budget=0).load(SHIPPED[name]).declarations


# A proposal written by hand that verify refutes (docs/design-file.md, Python): FX is shared (TLFS),
# kept in each VTL's page but never carried across a switch, so one VTL sees the other's stale FX.
FX_NEVER = """[design]
key = "fx-never"
base = "split"

[[registers]]
names = ["fpu"]
class = "shared"
home = "vtl-page"
copy = "never"
"""


def test_a_broken_files_verdict_is_verifys(tmp_path: Path) -> None:
    path = tmp_path / "fx-never.toml"
    path.write_text(FX_NEVER, encoding="utf-8")
    yd = YourDesign(budget=0).load(path)
    assert verify(load_design_file(path)).verified is False
    assert yd.holds is False and yd.counterexample.found
    assert {v.reg for v in yd.counterexample.violations} <= set(GROUP_NAMES["fpu"])
    assert any("copy never" in d for d in yd.declarations)


# --- moving registers after loading a file ----------------------------------------------------
def test_moving_after_loading_applies_on_top_of_the_file(tmp_path: Path) -> None:
    yd = YourDesign(budget=0).load(SHIPPED["bank-lazy"])
    lazy = yd.design
    yd.drop_private("rsp")
    # still the lazy bank: the other 12 fields are copied on a switch; RSP now lives once in the run page
    assert yd.source == str(SHIPPED["bank-lazy"]) and yd.key == "bank-lazy-rsp"
    placed = yd.design.placements
    rsp = placed["rsp"]
    assert (rsp.owner, rsp.home, rsp.copy) == (Owner.SHARED, Home.RUN, Copy.NEVER)
    assert all(placed[r].copy is Copy.SWITCH for r in yd.private)
    assert len(yd.private) == BANK_FIELDS - 1
    # not the eager pre-#1178 bank, which copies every entry
    eager = YourDesign(budget=0).preset("bank that forgets RSP (pre-#1178)").design
    assert yd.design.private == eager.private and placed["rip"] != eager.placements["rip"]
    assert yd.dropped_added_words() == ["rsp made shared"] and not yd.holds  # RSP is private (#1178)
    assert "apply on top of the file" in yd.html
    # saved and read back: the same on-top design
    back = load_design_file(yd.save(tmp_path / "lazy-rsp.toml"))
    assert back.placements == placed
    # moving it back restores the file's own rule (RSP banked, copied on a switch)
    yd.add_private("rsp")
    assert yd.design is lazy and yd.key == "bank-lazy"


def test_a_move_the_file_refuses_changes_nothing() -> None:
    yd = YourDesign(budget=0).load(SHIPPED["bank-fx-page"])
    before = (yd.private, yd.key, yd.source, yd.revision, yd.design)
    # every FX register private: bank-fx-page's extra page would hold nothing (an error in a file too)
    with pytest.raises(YourDesignError, match="extra page") as err:
        yd.add_private(*GROUP_NAMES["fpu"])
    assert "\n" not in str(err.value) and str(err.value).startswith("bank-fx-page.toml: ")
    assert (yd.private, yd.key, yd.source, yd.revision, yd.design) == before


def test_set_base_reset_and_preset_forget_the_file() -> None:
    for start_over in (lambda yd: yd.reset(), lambda yd: yd.set_base("split"),
                       lambda yd: yd.preset("bank that forgets RSP (pre-#1178)")):
        yd = YourDesign(budget=0).load(SHIPPED["bank-lazy"])
        start_over(yd)
        assert yd.source is None and yd.declarations == ()
        assert yd.design.key == yd.key != "bank-lazy"


def test_a_file_on_naive_loads_and_shows_its_base(tmp_path: Path) -> None:
    path = tmp_path / "naive.toml"
    path.write_text('[design]\nkey = "as-naive"\nbase = "naive"\n', encoding="utf-8")
    yd = YourDesign(budget=0).load(path)
    assert yd.base == "naive" and yd.private == frozenset()  # naive keeps nothing per VTL: the bug itself
    assert "naive" in find(yd.widget, "ToggleButtons", "Base").options


# --- design files: errors ---------------------------------------------------------------------
# Each bad file with the line and key its error must name (lines counted in the text).
BAD_FILES = {
    "private-in-run": ('[design]\nkey = "p"\nbase = "bank"\n\n[[registers]]\nnames = ["cr2"]\n'
                       'class = "private"\nhome = "run"\n', 8,
                       "registers[0].home: cr2 is private but home 'run'"),
    "unknown-key": ('[design]\nkey = "p"\nbase = "bank"\ncolour = "red"\n', 4, "design.colour: unknown key"),
    "bad-toml": ('[design]\nkey = "p"\nbase = = "bank"\n', 3, "invalid TOML"),
    "unknown-register": ('[design]\nkey = "p"\nbase = "bank"\n[[registers]]\nnames = ["cr3"]\n'
                         'class = "shared"\n', 5, "registers[0].names: unknown register or group 'cr3'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("start", ["pickers", "file"])
def test_a_bad_file_is_one_line_naming_file_and_line_and_changes_nothing(
        tmp_path: Path, case: str, start: str) -> None:
    text, line, words = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text, encoding="utf-8")
    yd = YourDesign(budget=0).drop_private("rsp") if start == "pickers" else YourDesign(budget=0).load(
        SHIPPED["bank-lazy"])
    before = (yd.base, yd.private, yd.key, yd.source, yd.revision, yd.design)
    with pytest.raises(DesignFileError) as err:
        yd.load(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path} line {line}: ") and words in message
    assert (yd.base, yd.private, yd.key, yd.source, yd.revision, yd.design) == before


def test_load_errors_for_paths(tmp_path: Path) -> None:
    yd = YourDesign(budget=0)
    for path, words in ((tmp_path / "missing.toml", "cannot read design file"), (tmp_path, "is a directory"),
                        ("", "no design file path given"), ("  ", "no design file path given")):
        with pytest.raises(DesignFileError, match=words):
            yd.load(path)
    with pytest.raises(YourDesignError, match="must be a string or a Path"):
        yd.load(3)  # type: ignore[arg-type]
    assert yd.revision == 0


def test_save_errors_are_one_line_and_leave_nothing_behind(tmp_path: Path) -> None:
    yd = YourDesign(budget=0).drop_private("rsp")
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    cases = [
        ("", DesignFileError, "no design file path given"),
        (tmp_path, DesignFileError, "is a directory"),
        (tmp_path / "no" / "such" / "dir.toml", DesignFileError, "no directory"),
        (blocker / "under-a-file.toml", DesignFileError, "no directory"),
    ]
    for path, kind, words in cases:
        with pytest.raises(kind, match=words) as err:
            yd.save(path)
        assert "\n" not in str(err.value)
    with pytest.raises(YourDesignError, match="key must be a non-empty string"):
        yd.save(tmp_path / "k.toml", key="")
    with pytest.raises(YourDesignError, match="title must be a string"):
        yd.save(tmp_path / "t.toml", title=3)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    # TOML refuses a raw DEL in a string; the dump escapes it, so the title comes back as written
    saved = yd.save(tmp_path / "del.toml", title="odd \x7f title")
    assert load_design_file(saved).title == "odd \x7f title"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_save_to_a_read_only_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(DesignFileError, match="cannot write design file"):
            YourDesign(budget=0).save(tmp_path / "x.toml")
    finally:
        tmp_path.chmod(0o700)


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "d.toml"
    target.write_text("old", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)  # what an unwritable directory does to the rename
    with pytest.raises(DesignFileError) as err:
        YourDesign(budget=0).save(target)
    assert str(err.value) == f"{target}: cannot write design file: Permission denied"
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["d.toml"]


def test_save_replaces_atomically_and_does_not_follow_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "d.toml"
    target.write_text("old", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(elsewhere)
    yd = YourDesign(budget=0).drop_private("rsp")
    yd.save(target)
    yd.save(link)
    assert load_design_file(target).private == load_design_file(link).private == yd.private
    assert not link.is_symlink() and elsewhere.read_text(encoding="utf-8") == "keep me"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.toml", "elsewhere.txt", "link.toml"]


class _ProtocolSplit(SplitDesign):
    """A registered design of its own class: a design file cannot say what its code adds."""

    key = "protocol-split-test"
    title = "split with protocol of its own (test only)"


@pytest.fixture
def protocol_split() -> Iterator[str]:
    register_design(_ProtocolSplit())
    try:
        yield _ProtocolSplit.key
    finally:
        unregister_design(_ProtocolSplit.key)


def test_a_base_with_protocol_of_its_own_is_not_saved(tmp_path: Path, protocol_split: str) -> None:
    yd = YourDesign(base=protocol_split, budget=0).add_private("cr2")
    with pytest.raises(YourDesignError, match="can only start from naive, bank, split or snp"):
        yd.save(tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


# --- tdxlab review reads what the widget saves ------------------------------------------------
# bank-no-rsp: RSP is private (TLFS), a 3-event counterexample (VTL 1 enabled, entered, exits
# with VTL 0's RSP); bank-lazy: verified (docs/design-file.md).
@pytest.mark.parametrize(
    ("make", "verdict", "line"),
    [
        (lambda: YourDesign(budget=0).preset("bank that forgets RSP (pre-#1178)"), "COUNTEREXAMPLE (1 VP",
         "# NOT verified: bank-no-rsp"),
        (lambda: YourDesign(budget=0).load(SHIPPED["bank-lazy"]), "VERIFIED (1 VP", "# verified: bank-lazy"),
    ],
    ids=["bank-no-rsp", "bank-lazy"],
)
def test_tdxlab_review_reads_a_saved_file(tmp_path: Path, make, verdict: str, line: str) -> None:
    saved = make().save(tmp_path / "saved.toml")
    out = tmp_path / "review"
    argv = [sys.executable, "-m", "tdxlab", "review", "--design-file", str(saved), "--out", str(out)]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert line in run.stdout.splitlines()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert verdict in report and f"Declared in `{saved}`" in report


# --- the Save and Load buttons ----------------------------------------------------------------
def _error_box(root: object) -> str:
    return " ".join(w.value for w in walk(root) if type(w).__name__ == "HTML" and "tdxlab-error" in w.value)


def test_widget_save_and_load_buttons(tmp_path: Path) -> None:
    yd = YourDesign(budget=0).preset("bank that forgets RSP (pre-#1178)")
    root = yd.widget
    box = find(root, "Text", "Design file")
    status = find(root, "HTML", cls="tdxlab-your-design-file-status")
    out = find(root, "HTML", cls="tdxlab-your-design-result")
    gpr = next(w for w in walk(root) if type(w).__name__ == "SelectMultiple" and "rsp" in w.options)
    # Save writes the current design where the box says
    box.value = str(tmp_path / "mine.toml")
    find(root, "Button", "Save").click()
    assert load_design_file(tmp_path / "mine.toml").private == yd.private
    assert "saved" in status.value and "mine.toml" in status.value and not _error_box(root)
    # a bad file: its one-line message in the error box, nothing changed
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_FILES["private-in-run"][0], encoding="utf-8")
    before = (yd.key, yd.revision, out.value)
    box.value = str(bad)
    find(root, "Button", "Load").click()
    assert f"{bad} line 8: registers[0].home" in _error_box(root) and status.value == ""
    assert (yd.key, yd.revision, out.value) == before
    # a shipped file: the widget holds it, the view says where it came from
    box.value = str(SHIPPED["bank-lazy"])
    find(root, "Button", "Load").click()
    assert yd.source == str(SHIPPED["bank-lazy"]) and not _error_box(root)
    assert "loaded" in status.value and "From design file" in out.value and "copy switch" in out.value
    assert "rsp" in gpr.value  # the lazy bank keeps RSP per VTL
    # a move in the pickers applies on top of the file
    gpr.value = tuple(r for r in gpr.value if r != "rsp")
    assert yd.key == "bank-lazy-rsp" and yd.design.placements["rip"].copy is Copy.SWITCH
    # an empty path: an error, no file
    box.value = ""
    find(root, "Button", "Save").click()
    assert "no design file path given" in _error_box(root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "mine.toml"]
