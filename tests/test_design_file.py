"""Design files (docs/design-file.md): the shipped proposals, every error class, round trips.

The figures are stated from the reference sheet, not read back from the code: the FXSAVE
image is 512 bytes (sheet §1.8), the 13 ``TdxPrivateRegs`` fields are 90 bytes each way
(sheet §4), split carries the 15 shared GPRs (all but RSP, 8 bytes each) on a switch.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from facts import BANK_BYTES

from tdxlab.cli import main
from tdxlab.owners import Owner
from tdxlab.sim import declared
from tdxlab.sim.declared import Copy, DesignSpec, Home, Rule, SpecError, base_placements, build
from tdxlab.sim.design_file import (
    DesignFileError,
    dump_design_file,
    key_lines,
    load_design_file,
    loads_design,
    shipped_design_files,
)
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.fast import compile_design
from tdxlab.sim.memory import PageKind
from tdxlab.sim.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

FXSAVE_BYTES = 512  # sheet §1.8: the 64-bit FXSAVE image
SPLIT_SWITCH_GPRS = 15 * 8  # the GPRs but RSP (shared, in TDG.VP.ENTER's buffer), 8 bytes each
SHIPPED = ("bank-fx-page", "bank-lazy", "split-fx-per-vtl")


def shipped(name: str) -> Path:
    return shipped_design_files()[name]


def test_the_three_proposals_are_shipped() -> None:
    assert tuple(shipped_design_files()) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_proposal_is_verified_on_one_and_two_vps(name: str) -> None:
    design = load_design_file(shipped(name))
    assert design.key == name
    for vps in (1, 2):
        result = verify(design, vps, 2)
        assert result.verified and result.complete, (name, vps, result.counterexample)


def test_split_with_fx_per_vtl_copies_the_fxsave_image_on_every_switch() -> None:
    design = load_design_file(shipped("split-fx-per-vtl"))
    ours = compile_design(design, 2).bytes_per_switch
    base = compile_design(DESIGNS["split"], 2).bytes_per_switch
    assert base == {(0, 1): SPLIT_SWITCH_GPRS, (1, 0): SPLIT_SWITCH_GPRS}
    assert ours == {(0, 1): SPLIT_SWITCH_GPRS + FXSAVE_BYTES, (1, 0): SPLIT_SWITCH_GPRS + FXSAVE_BYTES}
    assert compile_design(design, 2).bytes_per_run == (0, 0)  # still nothing per entry


def test_lazy_bank_moves_the_bank_on_a_switch_instead_of_every_run() -> None:
    lazy = compile_design(load_design_file(shipped("bank-lazy")), 2)
    bank = compile_design(DESIGNS["bank"], 2)
    assert bank.bytes_per_run == (2 * BANK_BYTES, 2 * BANK_BYTES)  # copied in, then out
    assert lazy.bytes_per_run == (0, 0)
    # A switch saves the leaving VTL's bank and loads the entered one's: the same two copies.
    assert lazy.bytes_per_switch == {(0, 1): 2 * BANK_BYTES, (1, 0): 2 * BANK_BYTES}


def test_fx_page_adds_one_page_and_moves_no_more_bytes() -> None:
    design = load_design_file(shipped("bank-fx-page"))
    bank = DESIGNS["bank"]
    assert design.pages_per_vp(2) == bank.pages_per_vp(2) + 1
    assert compile_design(design, 2).bytes_per_run == compile_design(bank, 2).bytes_per_run
    store = design.sample_store(2)
    extra = [p for p in store.pages if p.kind is PageKind.EXTRA]
    assert len(extra) == 1 and extra[0].vtl is None  # one VTL-agnostic page per VP
    assert extra[0].layout.size == FXSAVE_BYTES
    assert store.slots[0]["xmm0"].page is extra[0] and store.slots[1]["xmm0"].page is extra[0]


def test_a_variant_is_a_spec_with_only_classes_changed() -> None:
    variant = DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})
    assert isinstance(variant, declared.DeclaredSharedPage)
    assert variant.spec.rules == (Rule(("rsp",), Owner.SHARED, key="drop_private rsp"),)
    assert variant.placements["rsp"] == declared.Placement(Owner.SHARED, Home.RUN, Copy.NEVER)
    unchanged = {r: p for r, p in variant.placements.items() if r != "rsp"}
    assert unchanged == {r: p for r, p in base_placements(DESIGNS["bank"]).items() if r != "rsp"}


def test_dump_and_load_give_the_same_design(tmp_path: Path) -> None:
    for name in SHIPPED:
        design = load_design_file(shipped(name))
        again = loads_design(dump_design_file(design.spec))
        assert again.placements == design.placements
        assert compile_design(again, 2).bytes_per_switch == compile_design(design, 2).bytes_per_switch


@pytest.mark.parametrize("odd", ["tab\there", "del\x7fhere", 'quote " and \\ backslash', "line\nbreak",
                                 "u2028\u2028here", "é ü 漢"])
def test_dump_writes_any_title_so_that_it_loads_back(odd: str) -> None:
    # TOML basic strings forbid raw control characters and DEL; the dump must escape them all.
    spec = DesignSpec("odd", "bank", title=odd, summary=odd)
    again = loads_design(dump_design_file(spec))
    assert (again.title, again.summary) == (odd, odd)


def test_key_lines_point_at_tables_and_keys() -> None:
    text = '[design]\nkey = "x"\n\n[[registers]]\nnames = ["rip"]\n[[registers]]\n  home = "run"\n'
    lines = key_lines(text)
    assert lines["design"] == 1 and lines["design.key"] == 2
    assert lines["registers[0].names"] == 5 and lines["registers[1]"] == 6 and lines["registers[1].home"] == 7


GOOD = '[design]\nkey = "p"\nbase = "split"\n'


def rule(body: str, base: str = "split", extra: str = "") -> str:
    return f'[design]\nkey = "p"\nbase = "{base}"\n{extra}\n[[registers]]\n{body}\n'


# (file text, the line the error must name, words the error must contain)
BAD: dict[str, tuple[str, int | None, tuple[str, ...]]] = {
    "invalid TOML": ('[design\nkey = "p"\n', 1, ("invalid TOML",)),
    "no design table": ('[[registers]]\nnames = ["rip"]\nclass = "private"\n', 1, ("[design]",)),
    "missing base": ('[design]\nkey = "p"\n', 1, ("missing required key 'base'",)),
    "unknown top-level table": (GOOD + "[pages]\nx = 1\n", 4, ("unknown table 'pages'",)),
    "unknown key in design": ('[design]\nkey = "p"\nbase = "bank"\ncolour = "red"\n', 4,
                              ("unknown key(s) 'colour'",)),
    "unknown key in a rule": (rule('names = ["rip"]\nclass = "private"\nwhen = "entry"'), 8,
                              ("registers[0].when", "unknown key")),
    "unknown base": ('[design]\nkey = "p"\nbase = "paging"\n', 3, ("unknown base design 'paging'",)),
    "unknown register": (rule('names = ["rip", "cr9"]\nclass = "private"'), 6,
                         ("unknown register", "'cr9'")),
    "wrong type": (rule('names = "rip"\nclass = 1'), 7, ("registers[0].class", "expected a string")),
    "unknown class": (rule('names = ["rip"]\nclass = "secret"'), 7,
                      ("'secret' is not one of private, shared",)),
    "private with one home": (rule('names = ["cr2"]\nclass = "private"\nhome = "run"'), 8,
                              ("cr2 is private", "per-VTL home")),
    "shared in a bank": (rule('names = ["cr2"]\nclass = "shared"\nhome = "bank"', base="bank"), 8,
                         ("cr2 is shared", "bank")),
    "home not on base": (rule('names = ["fpu"]\nclass = "shared"\nhome = "vmsa"'), 8,
                         ("home 'vmsa' does not exist on base split",)),
    "buffer register out of its buffer": (rule('names = ["rip"]\nclass = "shared"\nhome = "run"'), 8,
                                          ("guest-state buffer",)),
    "extra home without the page": (rule('names = ["fpu"]\nclass = "shared"\nhome = "extra"'), 8,
                                    ("needs an [extra_page] table",)),
    "unsatisfiable copy": (rule('names = ["cr2"]\nclass = "shared"\nhome = "run"\ncopy = "switch"'), 9,
                           ("copy = 'switch' cannot be satisfied", "one copy")),
    "private copied": (rule('names = ["rip"]\nclass = "private"\ncopy = "entry"'), 8,
                       ("cannot be satisfied", "own copy")),
    "named twice": ('[design]\nkey = "p"\nbase = "bank"\n[[registers]]\nnames = ["rip"]\nclass = "private"\n'
                    '[[registers]]\nnames = ["control"]\nclass = "private"\n', 8, ("rip is named twice",)),
    "extra page nobody uses": (GOOD + "[extra_page]\nper_vtl = false\n", 4, ("no register lives in it",)),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_design_files_get_one_line_naming_file_key_and_line(case: str, tmp_path: Path) -> None:
    text, line, words = BAD[case]
    path = tmp_path / "proposal.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DesignFileError) as info:
        load_design_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path} line {line}:"), message
    for word in words:
        assert word in message, (word, message)


def test_a_page_that_does_not_fit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every placeable register fits one page, so the check is shown with a smaller page."""
    monkeypatch.setattr(declared, "PAGE", 256)
    text = rule('names = ["fpu"]\nclass = "shared"\nhome = "extra"', extra="[extra_page]\nper_vtl = false")
    with pytest.raises(DesignFileError, match="the extra page needs 512 bytes; a page holds 256"):
        loads_design(text)


def test_unreadable_and_odd_files(tmp_path: Path) -> None:
    with pytest.raises(DesignFileError, match="cannot read design file"):
        load_design_file(tmp_path / "missing.toml")
    with pytest.raises(DesignFileError, match="is a directory"):
        load_design_file(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[design]\nkey = "p"\n# caf\xe9\nbase = "bank"\n')
    with pytest.raises(DesignFileError, match=r"line 3: not UTF-8 text"):
        load_design_file(bad)


def test_random_shapes_never_escape_as_anything_but_a_design_file_error() -> None:
    """Mutated shipped files: every one either builds or fails with one DesignFileError line."""
    rng = random.Random(5)
    texts = [shipped(n).read_text(encoding="utf-8") for n in SHIPPED]
    for _ in range(300):
        text = list(rng.choice(texts))
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text))
            text[i] = rng.choice('[]"=#\n ,{}x1')
        try:
            loads_design("".join(text), "mutated.toml")
        except DesignFileError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("mutated.toml")


def test_the_cli_reads_design_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--design-file", str(shipped("bank-lazy")), "--format", "json"]) == 0
    assert '"verified": true' in capsys.readouterr().out
    path = tmp_path / "bad.toml"
    path.write_text(rule('names = ["cr2"]\nclass = "private"\nhome = "run"'), encoding="utf-8")
    assert main(["verify", "--design-file", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"tdxlab verify: error: {path} line 8: registers[0].home: cr2 is private")
    assert main(["check", "--design", "bank", "--design-file", str(path)]) == 2
    assert "not both" in capsys.readouterr().err


def test_a_broken_proposal_gets_its_counterexample_from_a_file() -> None:
    """A reviewer's wrong proposal (FX per VTL but never copied) is caught."""
    spec = DesignSpec("fx-never", "split", rules=(Rule(("fpu",), Owner.SHARED, Home.VTL_PAGE, Copy.NEVER),))
    result = verify(build(spec), 1, 2)
    assert not result.verified and result.counterexample is not None
    assert {v.reg for v in result.violations} <= set(declared.GROUP_NAMES["fpu"])


def test_spec_errors_name_the_rule() -> None:
    with pytest.raises(SpecError, match=r"registers\.home: cr2 is private"):
        build(DesignSpec("x", "split", rules=(Rule(("cr2",), Owner.PRIVATE, Home.RUN),)))


def test_a_lazy_bank_is_safe_only_with_accessors_that_know_where_each_vtl_lives() -> None:
    """With accessors that always read the bank (OpenVMM's), the lazy bank fails at ``pv_get``."""
    lazy = load_design_file(shipped("bank-lazy"))
    assert isinstance(lazy, declared.DeclaredSharedPage)

    class BankAccessors(declared.DeclaredSharedPage):
        def pv_slot(self, store, current, vtl, reg):  # type: ignore[no-untyped-def]
            return DESIGNS["bank"].pv_slot(store, current, vtl, reg)

    raw = BankAccessors(lazy.spec, lazy.base_design, lazy.placements)
    result = verify(raw, 1, 2)
    assert not result.verified and result.counterexample is not None
    assert result.counterexample[-1].op.value == "pv_get"
