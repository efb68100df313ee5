"""The pahole-style text view: member lines, holes, cache-line markers, footer totals.

Expected offsets and sizes are pinned from domain-facts 1.1-1.8 (hcl_run is 1652 bytes,
target_vtl at 0x630 then 3 bytes of implicit padding, the guest-state list at 0x200,
fx_state at 0x300, RIP at 0x288, 13 private fields = 90 bytes).
"""

from __future__ import annotations

import re

import pytest
from facts import BANK_BYTES

from tdxlab.describe.pahole import pahole
from tdxlab.layout.catalog import STRUCTS, get
from tdxlab.layout.declare import Field, Prim, StructDecl
from tdxlab.layout.engine import Layout, LayoutError
from tdxlab.owners import Owner
from tdxlab.sources import Origin, Source

_TOTALS = re.compile(r"^/\* private: .* \*/$")


@pytest.fixture(scope="module")
def run_page() -> list[str]:
    return pahole(get("hcl_run")).splitlines()


def _index(lines: list[str], needle: str) -> int:
    hits = [i for i, ln in enumerate(lines) if needle in ln]
    assert len(hits) == 1, f"{needle!r} found {len(hits)} times"
    return hits[0]


def _owner_totals(lines: list[str]) -> dict[str, int]:
    line = next(ln for ln in lines if _TOTALS.match(ln))
    return {k: int(v) for k, v in re.findall(r"([\w/]+): (\d+) bytes?", line)}


def test_opens_and_closes_like_pahole(run_page: list[str]) -> None:
    assert "struct hcl_run {" in run_page
    assert "};" in run_page
    assert run_page[0].startswith("/* hcl_run (1652 bytes): ")


def test_member_line_has_offset_size_and_owner(run_page: list[str]) -> None:
    rip = run_page[_index(run_page, " rip;")]
    assert re.search(r"u64\s+rip;\s+/\*\s*0x288\(648\)\s+8 \*/ private$", rip), rip
    cancel = run_page[_index(run_page, " cancel;")]
    assert re.search(r"/\*\s*0x0\(0\)\s+4 \*/ global$", cancel), cancel


def test_rsp_element_is_private_among_shared_gprs(run_page: list[str]) -> None:
    rsp = run_page[_index(run_page, "gps[4];")]
    assert re.search(r"0x220\(544\)\s+8 \*/ private\s+rsp$", rsp), rsp
    rbx = run_page[_index(run_page, "gps[3];")]
    assert re.search(r"0x218\(536\)\s+8 \*/ shared\s+rbx$", rbx), rbx


def test_nested_structs_are_indented_and_closed_with_their_size(run_page: list[str]) -> None:
    opened = _index(run_page, "struct TdxL2EnterGuestState {")
    closed = _index(run_page, "} gpr_list;")
    assert opened < _index(run_page, " rip;") < closed
    assert re.search(r"\} gpr_list;\s+/\*\s*0x200\(512\)\s+160 \*/ mixed$", run_page[closed])
    outer = _index(run_page, "struct tdx_vp_context {")
    indent = len(run_page[outer]) - len(run_page[outer].lstrip())
    assert len(run_page[opened]) - len(run_page[opened].lstrip()) > indent
    context = run_page[_index(run_page, "} context;")]
    assert re.search(r"\} context;\s+/\*\s*0x110\(272\)\s+1024 \*/ mixed$", context)


def test_bitfield_sub_lines_give_name_width_and_bit_range(run_page: list[str]) -> None:
    vm_index = run_page[_index(run_page, "vm_index:2;")]
    assert re.search(r"/\*\s*0x1f8\(504\)\s+bits 53:52 \*/ private$", vm_index), vm_index
    assert _index(run_page, " entry_rcx;") < _index(run_page, "vm_index:2;") < _index(
        run_page, "struct TdxL2EnterGuestState {")
    use_target = run_page[_index(run_page, "use_target_vtl:1;")]
    assert "bits 4:4" in use_target


def test_three_byte_hole_after_target_vtl(run_page: list[str]) -> None:
    hole = _index(run_page, "XXX 3 bytes hole, try to pack")
    assert _index(run_page, " target_vtl;") < hole < _index(run_page, " proxy_irr_blocked;")
    assert re.search(r"0x631\(1585\)\s+3 \*/ hole$", run_page[hole]), run_page[hole]
    assert sum("bytes hole" in ln for ln in run_page) == 1


@pytest.mark.parametrize(("before", "marker"), [
    ("struct TdxL2EnterGuestState {", "/* --- cacheline 8 boundary (512 bytes) --- */"),  # 0x200
    ("struct Fxsave {", "/* --- cacheline 12 boundary (768 bytes) --- */"),  # 0x300
    (" gps[8];", "/* --- cacheline 9 boundary (576 bytes) --- */"),  # r8 at 0x240
    ("struct tdx_vp_context {", "/* --- cacheline 4 boundary (256 bytes) was 16 bytes ago --- */"),  # 0x110
])
def test_cache_line_markers_in_the_run_page(run_page: list[str], before: str, marker: str) -> None:
    i = _index(run_page, before)
    assert run_page[i - 1].strip() == marker


def test_markers_follow_absolute_offsets_when_based() -> None:
    # tdx_vp_context alone: gpr_list at 0xf0 is mid-line, so no marker precedes it ...
    alone = pahole(get("tdx_vp_context")).splitlines()
    assert "cacheline" not in alone[_index(alone, "struct TdxL2EnterGuestState {") - 1]
    # ... but placed in the run page at 0x110 it starts cache line 8 (0x200).
    based = pahole(get("tdx_vp_context"), 0x110, outer="hcl_run").splitlines()
    i = _index(based, "struct TdxL2EnterGuestState {")
    assert based[i - 1].strip() == "/* --- cacheline 8 boundary (512 bytes) --- */"
    assert "0x288(648)" in based[_index(based, " rip;")]
    assert "starts at 0x110(272)" in "\n".join(based[:3])


def test_footer_totals_of_the_run_page(run_page: list[str]) -> None:
    assert "/* size: 1652, cachelines: 26, members: 14 */" in run_page
    assert "/* sum members: 1649, holes: 1, sum holes: 3 */" in run_page
    # explicit pads: pad 1 + pad1 48 + pad2 32 + l2_tsc_deadline.pad 7 + pad3 80 + pad4 16
    assert any(ln.startswith("/* padding: 184 ") for ln in run_page)
    assert "/* last cacheline: 52 bytes */" in run_page  # 1652 - 25 * 64


def test_owner_totals_add_up_and_private_is_the_bank(run_page: list[str]) -> None:
    totals = _owner_totals(run_page)
    assert sum(totals.values()) == 1652
    assert totals["private"] == BANK_BYTES  # the 13 fields OV banks per VTL (domain-facts 2.1)
    assert totals["hole"] == 3


def test_footer_cites_source_and_snapshot(run_page: list[str]) -> None:
    src = run_page[-1]
    assert src.startswith("/* source: OV@1488a37b7cfe openhcl/hcl/src/protocol.rs")
    assert "OpenVMM snapshot 1488a37b7cfe" in src


def test_unverified_rows_are_marked_in_line_and_footer() -> None:
    lines = pahole(get("TdxPrivateRegs")).splitlines()
    assert lines[_index(lines, " rsp;")].endswith("[unverified]")
    assert any(ln.startswith("/* unverified: rsp ") for ln in lines)
    assert not any("unverified" in ln for ln in pahole(get("hcl_run")).splitlines())


@pytest.mark.parametrize("name", list(STRUCTS))
def test_every_structure_renders_with_consistent_totals(name: str) -> None:
    layout = get(name)
    lines = pahole(layout).splitlines()
    assert f"struct {layout.name} {{" in lines
    assert sum(_owner_totals(lines).values()) == layout.size
    assert any(ln.startswith(f"/* size: {layout.size}, ") for ln in lines)
    # every byte-owning leaf got one line with its offset
    members = [ln for ln in lines if re.search(r"/\*\s*0x[0-9a-f]+\(\d+\)\s+\d+ \*/", ln)]
    assert len(members) >= len([r for r in layout.leaves()])


_SRC = Source(Origin.TDXLAB, "tests/test_pahole.py")
_INNER = StructDecl("inner", (Field("a", Prim.U32, owner=Owner.GLOBAL),
                              Field("b", Prim.U8, owner=Owner.GLOBAL)), _SRC, "test inner")
_OUTER = StructDecl("outer", (Field("x", Prim.U8, owner=Owner.GLOBAL),
                              Field("arr", _INNER, 2),
                              Field("y", Prim.U64, reg="rip")), _SRC, "test outer")


def test_array_of_structures_and_tail_padding() -> None:
    # inner: a u32 @0, b u8 @4, 3 bytes tail padding -> 8; outer: x @0, hole 3, arr @4 (2 x 8),
    # hole 4, y @24 -> 32 bytes (C ABI, x86-64)
    lines = pahole(Layout(_OUTER)).splitlines()
    assert sum(ln.strip() == "struct inner {" for ln in lines) == 2
    assert re.search(r"\} arr\[0\];\s+/\*\s*0x4\(4\)\s+8 \*/", lines[_index(lines, "} arr[0];")])
    assert re.search(r"\} arr\[1\];\s+/\*\s*0xc\(12\)\s+8 \*/", lines[_index(lines, "} arr[1];")])
    assert sum("XXX 3 bytes tail padding" in ln for ln in lines) == 2
    assert any("XXX 3 bytes hole" in ln for ln in lines)
    assert any("XXX 4 bytes hole" in ln for ln in lines)
    assert "/* size: 32, cachelines: 1, members: 3 */" in lines
    assert "/* sum members: 19, holes: 4, sum holes: 13 */" in lines
    assert re.search(r"0x18\(24\)\s+8 \*/ private\s+rip$", lines[_index(lines, " y;")])


def test_negative_base_is_refused() -> None:
    with pytest.raises(LayoutError, match="base"):
        pahole(get("hcl_run"), -1)
