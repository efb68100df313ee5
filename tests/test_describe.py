"""The description layer: owners, registers, citations and layout rows in words.

Expected words come from the reference sheet (domain-facts sections 1-2), not from the
code: RSP is private on both platforms (#1178), RAX shared, DR6 shared on TDX but
private on SNP, RIP sits at run-page offset 0x288, vm_index is bits 53:52 of the
entry RCX at 0x1f8.
"""

from __future__ import annotations

import ast
import dataclasses
from enum import Enum
from pathlib import Path

import pytest

from tdxlab import describe
from tdxlab.describe._tables import complete
from tdxlab.layout.catalog import get
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform, UnknownRegisterError
from tdxlab.scenarios import get_scenario
from tdxlab.sim.checker import AccessKind, Severity, Violation, ViolationKind
from tdxlab.sim.events import Event, Op, StepOutcome
from tdxlab.sim.search import SearchResult


# --- numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("offset", "text"), [(0x288, "0x288(648)"), (0, "0x0(0)"), (0x674, "0x674(1652)")])
def test_offset_text_is_hex_then_decimal(offset: int, text: str) -> None:
    assert describe.offset_text(offset) == text


def test_plural_and_cache_lines() -> None:
    assert describe.plural(1, "byte") == "1 byte"
    assert describe.plural(3, "byte") == "3 bytes"
    assert describe.cache_line_text(0x288, 8) == "cache line 10"
    assert describe.cache_line_text(0x110, 1024) == "cache lines 4-20"  # 0x110..0x50f


# --- owners ------------------------------------------------------------------------------------
@pytest.mark.parametrize("owner", list(Owner), ids=[o.value for o in Owner])
def test_every_owner_has_a_phrase_naming_it(owner: Owner) -> None:
    phrase = describe.owner_phrase(owner)
    assert phrase.startswith(f"{owner.value}: ")
    assert len(phrase) > len(owner.value) + 10


def test_private_and_shared_phrases_use_the_tlfs_terms() -> None:
    assert describe.owner_phrase(Owner.PRIVATE) == (
        "private: one value per VTL (TLFS Private State, or OpenVMM's where the TLFS is silent)")
    assert "TLFS Shared State" in describe.owner_phrase(Owner.SHARED)


def test_legend_covers_every_byte_class_private_first() -> None:
    legend = describe.owner_legend()
    owners = [o for o, _ in legend]
    assert owners[:2] == [Owner.PRIVATE, Owner.SHARED]
    assert Owner.MIXED not in owners  # only structure headers are mixed, never a byte
    assert set(owners) == set(Owner) - {Owner.MIXED}
    assert all(phrase == describe.owner_phrase(o) for o, phrase in legend)


# --- registers ---------------------------------------------------------------------------------
def test_rsp_summary_private_everywhere_with_its_sources() -> None:
    text = describe.register_summary("rsp")
    assert text.startswith("rsp (general purpose, 8 bytes): private on TDX and SNP; TLFS: private.")
    assert "#1178" in text  # banked since that PR (domain-facts 5.3)
    assert "TLFS vsm.md" in text and "OV@1488a37b7cfe" in text
    assert "UNVERIFIED" not in text


def test_rax_summary_is_shared() -> None:
    assert "shared on TDX and SNP; TLFS: shared" in describe.register_summary("RAX")


def test_dr6_summary_says_it_differs_by_platform() -> None:
    text = describe.register_summary("dr6")
    assert "shared on TDX, private on SNP (differs by platform)" in text
    assert describe.differs_by_platform(REGISTERS["dr6"])
    assert not describe.differs_by_platform(REGISTERS["rip"])
    assert describe.register_class_on("dr6", Platform.SNP) == "dr6 is private on SNP"


def test_unverified_source_is_said_in_the_summary() -> None:
    # pl0_ssp's TDX handling is not in the sheet: the catalogue cites an unverified source.
    text = describe.register_summary("pl0_ssp")
    assert "UNVERIFIED" in text and "[unverified]" in text


def test_register_without_tlfs_class_says_so() -> None:
    assert "TLFS: no class given" in describe.register_summary("ssp")


def test_unknown_register_is_one_line_error() -> None:
    with pytest.raises(UnknownRegisterError) as exc:
        describe.register_summary("rzz")
    assert "\n" not in str(exc.value) and "rzz" in str(exc.value)


# --- sources -----------------------------------------------------------------------------------
def test_cite_adds_confidence_but_not_twice_for_unverified() -> None:
    src = get("tdx_vp_context").decl.source
    assert describe.cite(src) == "OV@1488a37b7cfe openhcl/hcl/src/protocol.rs [asserted]"
    rsp = get("TdxPrivateRegs").row("rsp").source
    assert describe.cite(rsp).count("unverified") == 1
    assert describe.cite_all([src, src]) == describe.cite(src)


# --- layout rows -------------------------------------------------------------------------------
def test_tooltip_of_rip_in_the_run_page() -> None:
    tip = describe.row_tooltip(get("hcl_run").row("context.gpr_list.rip"))
    lines = tip.splitlines()
    assert lines[0] == "context.gpr_list.rip"
    assert lines[1] == "offset 0x288(648), 8 bytes, u64, cache line 10"
    assert describe.owner_phrase(Owner.PRIVATE) in lines
    assert "register rip: private on TDX and SNP; TLFS: private" in lines
    assert "source: OV@1488a37b7cfe vm/x86/x86defs/src/tdx.rs [computed]" in lines
    assert "UNVERIFIED" not in tip


def test_tooltip_base_gives_absolute_offsets() -> None:
    # the guest-state buffer sits at run-page 0x200; rip is +0x88 in it (1.5)
    row = get("TdxL2EnterGuestState").row("rip")
    assert "offset 0x88(136)" in describe.row_tooltip(row)
    assert "offset 0x288(648)" in describe.row_tooltip(row, base=0x200)


def test_tooltip_of_a_bitfield_names_the_bit_range() -> None:
    tip = describe.row_tooltip(get("tdx_vp_context").row("entry_rcx.vm_index"), base=0x110)
    assert "bits 53:52 of the 8 bytes at 0x1f8(504)" in tip


def test_tooltip_of_an_unverified_row_says_so() -> None:
    tip = describe.row_tooltip(get("TdxPrivateRegs").row("rsp"))
    assert tip.splitlines()[-1].startswith("UNVERIFIED: ")


def test_tooltip_of_the_hole_after_target_vtl() -> None:
    hole = get("hcl_run").row_at(0x631)
    tip = describe.row_tooltip(hole)
    assert "offset 0x631(1585), 3 bytes" in tip
    assert describe.owner_phrase(Owner.HOLE) in tip


def test_structure_summary() -> None:
    assert describe.structure_summary(get("hcl_run")).startswith("hcl_run (1652 bytes): ")


# --- simulation --------------------------------------------------------------------------------
def test_violation_and_event_wording() -> None:
    # VTL 0 entered with the RIP VTL 1 left (step 5): a higher VTL's private value leaks down
    cause = Event(Op.SET, 0, 1, "rip", 0x2000, line=7)
    v = Violation(step=9, vp=0, vtl=0, reg="rip", expected=0x1000, found=0x2000,
                  kind=ViolationKind.DISCLOSURE, cause=cause, cause_step=5, source_vtl=1)
    assert v.access is AccessKind.ENTRY and v.severity is Severity.MEDIUM
    text = describe.describe_violation(v)
    assert text.startswith("[medium] step 9, VP 0, VTL 0: rip on entry: disclosure")
    assert "expected 0x1000, found 0x2000, VTL 1's value" in text and "step 5" in text and "line 7" in text
    assert describe.describe_event(cause) == "VP 0: the VTL 1 guest leaves rip = 0x2000"
    assert text == ("[medium] step 9, VP 0, VTL 0: rip on entry: disclosure, a VTL holds a higher VTL's "
                    "private value: a secret leaks down (expected 0x1000, found 0x2000, VTL 1's value); "
                    "value left by step 5 (set vp0 vtl1 rip=0x2000, line 7)")
    # the paravisor reads VTL 1's RSP and finds a value no VTL holds: integrity (VTL 1 did not choose
    # it), no source VTL, and no cause step to name
    w = Violation(step=3, vp=1, vtl=1, reg="rsp", expected=0, found=0x42, kind=ViolationKind.INTEGRITY,
                  access=AccessKind.PV_GET)
    assert w.severity is Severity.HIGH and w.source_vtl is None
    assert describe.describe_violation(w) == (
        "[high] step 3, VP 1, VTL 1: rsp read by the paravisor: integrity, a higher VTL holds a private "
        "value it did not choose (a lower VTL's, or nobody's): a lower VTL can steer it (expected 0x0, "
        "found 0x42)")


# --- phrase tables -----------------------------------------------------------------------------
@pytest.mark.parametrize(("table", "enum"), [
    (describe.OWNER_PHRASES, Owner),
    (describe.EVENT_PHRASES, Op),
    (describe.STEP_NOTES, StepOutcome),
    (describe.VIOLATION_KINDS, ViolationKind),
], ids=["owners", "events", "steps", "violations"])
def test_phrase_tables_are_keyed_by_their_enum(table: dict[Enum, str], enum: type[Enum]) -> None:
    assert set(table) == set(enum)
    assert all(isinstance(k, enum) for k in table)
    assert all(phrase.strip() for phrase in table.values())


class _Colour(Enum):
    RED = 1
    GREEN = 2


def test_complete_names_what_a_table_misses() -> None:
    complete({_Colour.RED: "r", _Colour.GREEN: "g"}, _Colour, "T")  # complete: no error
    with pytest.raises(ImportError, match=r"tdxlab.describe.T has no phrase for _Colour GREEN$"):
        complete({_Colour.RED: "r"}, _Colour, "T")
    with pytest.raises(ImportError, match="RED, GREEN"):  # keyed by values, not members
        complete({1: "r", 2: "g"}, _Colour, "T")  # type: ignore[dict-item]


# --- views of data ---------------------------------------------------------------------------------
def test_pahole_wording() -> None:
    assert describe.hole_phrase(3) == "XXX 3 bytes hole, try to pack"
    assert describe.hole_phrase(1, tail=True) == "XXX 1 byte tail padding"
    assert describe.cacheline_marker(8) == "--- cacheline 8 boundary (512 bytes) ---"
    assert describe.cacheline_marker(4, 16) == "--- cacheline 4 boundary (256 bytes) was 16 bytes ago ---"


def test_structure_listing_aligns_name_size_and_purpose() -> None:
    lines = describe.structure_listing([get("hcl_run"), get("SevSelector")]).splitlines()
    assert lines[0].startswith("hcl_run       1652 B  Per-VP run page")
    assert lines[1].startswith("SevSelector     16 B  A segment or descriptor-table register")
    assert lines[2] == "(OpenVMM snapshot 1488a37b7cfe)"


def test_register_marks_and_their_legend() -> None:
    assert describe.register_marks(REGISTERS["dr6"]) == "*"  # Dr6Shared on TDX only
    assert describe.register_marks(REGISTERS["pl0_ssp"]) == "?"  # unverified TDX handling
    assert describe.register_marks(REGISTERS["rip"]) == ""
    legend = describe.register_table_legend()
    assert legend.startswith("* class differs by platform; ? rests on an unverified source; ")
    assert legend.endswith("(OpenVMM snapshot 1488a37b7cfe)")


def test_scenario_line() -> None:
    sc = get_scenario("vtl1_enabled_late")
    line = describe.scenario_line(sc, [Event(Op.RUN, 0), Event(Op.RUN, 1), Event(Op.RUN, 0)], width=20)
    assert line == "vtl1_enabled_late     VTL 1 enabled late, on one VP only (3 events, 2 VPs)"
    assert describe.scenario_line(sc, [Event(Op.RUN, 0)]).endswith("(1 event, 1 VP)")


def test_search_summary_without_and_with_a_counterexample() -> None:
    none = SearchResult(trace=None, violations=[], examples_tried=12, seconds=0.5, design="bank",
                        method=None, exhaustive_length=3, alphabet=("rip", "rax"), bfs_tried=10,
                        hypothesis_examples=2, notes=("a note",))
    assert describe.search_summary(none) == [
        "no counterexample for bank",
        "breadth-first search: no trace of 3 events or fewer on one VP with 2 lower VTLs violates "
        "(registers rip, rax stand for their groups, 10 traces)",
        "hypothesis: 2 examples; 0.5 s in all",
        "note: a note",
    ]
    three = dataclasses.replace(none, lower_vtls=3)  # the partition searched is named
    assert describe.search_summary(three)[1].startswith(
        "breadth-first search: no trace of 3 events or fewer on one VP with 3 lower VTLs violates ")
    trace = [Event(Op.RUN, 0), Event(Op.ENABLE_VTL, 0, 1), Event(Op.RUN, 0)]
    found = SearchResult(trace=trace, violations=[], examples_tried=40, seconds=1.0, design="naive",
                         method="hypothesis", exhaustive_length=3, alphabet=("rip",), bfs_tried=30,
                         hypothesis_examples=10)
    assert describe.search_summary(found)[:2] == [
        "counterexample for naive: 3 events, found by hypothesis",
        "breadth-first search: nothing up to 3 events (30 traces)",
    ]


# --- purity --------------------------------------------------------------------------------------
#: Entry points that run the model (simulate, account, compare, search, sweep, measure).
_RUNS_THE_MODEL = {"simulate", "Simulation", "account", "account_all", "event_costs", "compare",
                   "compare_frame", "run_design", "find_counterexample", "break_even", "sweep", "measure",
                   "break_evens", "breakdown", "summary", "curves", "evaluate", "tally", "trace_costs",
                   "host_plan", "valid_events", "apply", "run", "ns_per_entry"}


@pytest.mark.parametrize("module", sorted(p.name for p in Path(describe.__file__).parent.glob("*.py")))
def test_describe_never_runs_the_model(module: str) -> None:
    tree = ast.parse((Path(describe.__file__).parent / module).read_text(encoding="utf-8"))
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    called = {f.id for f in calls if isinstance(f, ast.Name)} | {
        f.attr for f in calls if isinstance(f, ast.Attribute)}
    runs = sorted(called & _RUNS_THE_MODEL)
    assert not runs, f"describe/{module} runs the model: {runs}"
