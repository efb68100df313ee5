"""``tdxlab layout``, ``tdxlab registers`` and the layout table behind them.

Every expected offset below is written in hex from domain-facts 1.2-1.8 (offsets
inside ``tdx_vp_context``); with ``--within hcl_run`` they move by the context's
run-page offset 0x110 (1.1), e.g. gpr_list.rip = 0xf0 + 0x88 = 0x178 -> 0x288.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from facts import BANK_BYTES

import tdxlab.cli as cli
from tdxlab.layout.catalog import STRUCTS, get
from tdxlab.layout.table import layout_frame, layout_records
from tdxlab.owners import Owner

# (dotted name, offset in tdx_vp_context, size) for every leaf, domain-facts 1.2-1.8.
_EXIT = [(f"exit_info.{r}", 8 * i, 8) for i, r in enumerate(
    ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13"))]  # 1.3: @0, 8, ...
_GPRS = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
EXPECTED: list[tuple[str, int, int]] = [
    *_EXIT,
    ("pad1", 0x058, 48),
    ("vp_state.msr_kernel_gs_base", 0x088, 8),  # 1.4: vp_state @0x88
    ("vp_state.msr_star", 0x090, 8),
    ("vp_state.msr_lstar", 0x098, 8),
    ("vp_state.msr_sfmask", 0x0a0, 8),
    ("vp_state.msr_xss", 0x0a8, 8),
    ("vp_state.cr2", 0x0b0, 8),
    ("vp_state.msr_tsc_aux", 0x0b8, 8),
    ("vp_state.flags", 0x0c0, 8),
    ("pad2", 0x0c8, 32),
    ("entry_rcx", 0x0e8, 8),
    *[(f"gpr_list.gps.{r}", 0x0f0 + 8 * i, 8) for i, r in enumerate(_GPRS)],  # 1.5: gps @0xf0
    ("gpr_list.rflags", 0x170, 8),
    ("gpr_list.rip", 0x178, 8),
    ("gpr_list.ssp", 0x180, 8),
    ("gpr_list.rvi", 0x188, 1),
    ("gpr_list.svi", 0x189, 1),
    ("gpr_list.reserved", 0x18a, 6),
    ("l2_tsc_deadline.deadline", 0x190, 8),  # 1.6
    ("l2_tsc_deadline.update_deadline", 0x198, 1),
    ("l2_tsc_deadline.pad", 0x199, 7),
    ("pad3", 0x1a0, 80),
    ("fx_state.fcw", 0x1f0, 2),  # 1.8: fx_state @0x1f0
    ("fx_state.fsw", 0x1f2, 2),
    ("fx_state.ftw", 0x1f4, 1),
    ("fx_state.reserved", 0x1f5, 1),
    ("fx_state.fop", 0x1f6, 2),
    ("fx_state.fip", 0x1f8, 8),
    ("fx_state.fdp", 0x200, 8),
    ("fx_state.mxcsr", 0x208, 4),
    ("fx_state.mxcsr_mask", 0x20c, 4),
    *[(f"fx_state.st.st{i}", 0x210 + 16 * i, 16) for i in range(8)],  # st @32 in Fxsave
    *[(f"fx_state.xmm.xmm{i}", 0x290 + 16 * i, 16) for i in range(16)],  # xmm @160
    ("fx_state.reserved2", 0x390, 48),
    ("fx_state.unused", 0x3c0, 48),
    ("pad4", 0x3f0, 16),
]
CONTEXT_IN_RUN_PAGE = 0x110


@pytest.fixture(autouse=True)
def only_these_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other sub-command modules belong to other work; main() is exercised with these two.
    monkeypatch.setattr(cli, "SUBCOMMANDS", ("tdxlab.cli.layout_cmd", "tdxlab.cli.registers_cmd"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _csv(out: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(out), keep_default_na=False)


# --- csv -------------------------------------------------------------------------------------------
def test_expected_table_tiles_the_context() -> None:
    # guard on the literal table itself: it must cover 1024 bytes without gaps
    cursor = 0
    for name, offset, size in EXPECTED:
        assert offset == cursor, name
        cursor += size
    assert cursor == 0x400


@pytest.mark.parametrize(("within", "base"), [(None, 0), ("hcl_run", CONTEXT_IN_RUN_PAGE)],
                         ids=["relative", "within-hcl_run"])
def test_csv_has_every_leaf_at_its_offset(capsys: pytest.CaptureFixture[str], within: str | None,
                                          base: int) -> None:
    argv = ["layout", "tdx_vp_context", "--format", "csv"] + (["--within", within] if within else [])
    code, out, err = run(capsys, *argv)
    assert code == 0 and err == ""
    frame = _csv(out)
    assert list(frame.columns[:5]) == ["name", "offset", "offset_hex", "size", "type"]
    assert {"owner", "register", "cache_line", "source"} <= set(frame.columns)
    leaves = frame[frame["kind"] != "bits"]
    got = list(zip(leaves["name"], leaves["offset"], leaves["size"], strict=True))
    assert got == [(n, base + o, s) for n, o, s in EXPECTED]
    assert all(int(h, 16) == o for h, o in zip(frame["offset_hex"], frame["offset"], strict=True))


def test_csv_rip_offsets_relative_and_within(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "tdx_vp_context", "--format", "csv")
    rip = _csv(out).set_index("name").loc["gpr_list.rip"]
    assert rip["offset"] == 0x178 and rip["offset_hex"] == "0x178" and rip["owner"] == "private"
    _, out, _ = run(capsys, "layout", "tdx_vp_context", "--within", "hcl_run", "--format", "csv")
    rip = _csv(out).set_index("name").loc["gpr_list.rip"]
    assert rip["offset"] == 0x288 and rip["cache_line"] == 10


def test_csv_owners_and_registers(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "tdx_vp_context", "--format", "csv")
    f = _csv(out).set_index("name")
    assert f.loc["gpr_list.gps.rsp", "owner"] == "private" and f.loc["gpr_list.gps.rsp", "register"] == "rsp"
    assert f.loc["gpr_list.gps.rax", "owner"] == "shared"
    assert f.loc["vp_state.cr2", "owner"] == "shared"
    assert f.loc["exit_info.rax", "owner"] == "global"
    assert f.loc["pad3", "owner"] == "padding"
    assert f.loc["gpr_list.rip", "source"].startswith("OV@1488a37b7cfe vm/x86/x86defs/src/tdx.rs")


def test_csv_bitfield_rows_are_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "tdx_vp_context", "--format", "csv")
    f = _csv(out).set_index("name")
    vm = f.loc["entry_rcx.vm_index"]
    assert vm["kind"] == "bits" and vm["bits"] == "53:52" and vm["offset"] == 0xe8  # 1.7
    assert f.loc["entry_rcx.invd_translations", "bits"] == "1:0"
    assert f.loc["entry_rcx", "kind"] == "field" and f.loc["entry_rcx", "bits"] == ""


def test_csv_run_page_shows_the_hole_after_target_vtl(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "hcl_run", "--format", "csv")
    f = _csv(out)
    holes = f[f["owner"] == "hole"]
    assert list(zip(holes["offset"], holes["size"], strict=True)) == [(0x631, 3)]
    assert f.loc[f["kind"] != "bits", "size"].sum() == 1652


# --- json ------------------------------------------------------------------------------------------
def test_json_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "layout", "tdx_vp_context", "--within", "hcl_run", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["struct"] == "tdx_vp_context" and doc["size"] == 1024
    assert doc["base"] == CONTEXT_IN_RUN_PAGE and doc["snapshot"] == "1488a37b7cfe"
    assert doc["source"].startswith("OV@1488a37b7cfe openhcl/hcl/src/protocol.rs")
    by_name = {f["name"]: f for f in doc["fields"]}
    assert by_name["gpr_list.rip"]["offset"] == 0x288 and by_name["gpr_list.rip"]["owner"] == "private"
    assert {f["name"] for f in doc["fields"] if f["kind"] != "bits"} == {n for n, _, _ in EXPECTED}
    _, csv_out, _ = run(capsys, "layout", "tdx_vp_context", "--within", "hcl_run", "--format", "csv")
    assert len(_csv(csv_out)) == len(doc["fields"])


# --- text ------------------------------------------------------------------------------------------
def test_text_is_the_pahole_view(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "layout", "hcl_run")
    assert code == 0 and err == ""
    assert "struct hcl_run {" in out and "XXX 3 bytes hole, try to pack" in out
    assert "/* size: 1652, cachelines: 26, members: 14 */" in out


def test_text_within_uses_run_page_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "TdxL2EnterGuestState", "--within", "hcl_run")
    rsp = next(ln for ln in out.splitlines() if "gps[4];" in ln)
    assert "0x220(544)" in rsp and "private" in rsp  # RSP slot at run-page 0x220 (1.5)


# --- list ------------------------------------------------------------------------------------------
#: Sizes from the reference sheet: 1.1 (hcl_run), 1.2 (context union), 1.8 (Fxsave), 1.11 (VMSA).
LISTED_SIZES = {"hcl_run": 1652, "tdx_vp_context": 1024, "Fxsave": 512, "SevVmsa": 0x670,
                "sev_vmsa_page": 4096, "SevSelector": 16}


def test_list_names_every_structure_with_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "layout", "--list")
    assert code == 0
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines[:-1]] == list(STRUCTS)  # every structure, catalogue order
    for name, size in LISTED_SIZES.items():
        line = next(ln for ln in lines if ln.split()[0] == name)
        assert f" {size} B " in line
    assert lines[-1] == "(OpenVMM snapshot 1488a37b7cfe)"


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "layout", "--list", "--format", "json")
    doc = json.loads(out)
    assert [s["name"] for s in doc["structs"]] == list(STRUCTS)
    assert {s["name"]: s["size"] for s in doc["structs"]}["hcl_run"] == 1652


# --- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "words"), [
    (["layout", "no_such_struct"], "hcl_run"),  # the error lists the known names
    (["layout"], "--list"),
    (["layout", "hcl_run", "--within", "tdx_vp_context"], "not inside"),
    (["layout", "tdx_vp_context", "--within", "nope"], "unknown structure 'nope'"),
    (["layout", "hcl_run", "--format", "xml"], "--format"),
    (["layout", "hcl_run", "--list"], "--list"),
    (["registers", "--platform", "arm"], "--platform"),
    (["registers", "rzz"], "rzz"),
    (["registers", "--format", "yaml"], "--format"),
], ids=["unknown", "missing-name", "not-within", "unknown-within", "format", "list-and-name",
        "platform", "unknown-register", "registers-format"])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and words in lines[0], err


def test_unknown_structure_lists_every_known_name(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "layout", "no_such_struct")
    assert all(name in err for name in STRUCTS)


# --- the table API ---------------------------------------------------------------------------------
def test_layout_frame_tiles_so_owner_sums_are_bytes() -> None:
    frame = layout_frame("tdx_vp_context", within="hcl_run")
    assert frame["offset"].min() == CONTEXT_IN_RUN_PAGE
    sums = frame.groupby("owner")["size"].sum()
    assert sums.sum() == 1024 and sums["private"] == BANK_BYTES  # domain-facts 2.1
    assert "bits" not in set(frame["kind"])
    with_bits = layout_frame(get("tdx_vp_context"), bits=True)
    assert with_bits.set_index("name").loc["entry_rcx.vm_index", "bits"] == "53:52"


def test_layout_records_are_typed() -> None:
    recs = {r.name: r for r in layout_records(get("hcl_run"))}
    hole = recs["<hole@0x631>"]
    assert hole.owner is Owner.HOLE and hole.offset_hex == "0x631" and hole.size == 3
    rip = recs["context.gpr_list.rip"]
    assert rip.owner is Owner.PRIVATE and rip.register == "rip" and rip.cache_line == 10
    assert not rip.unverified
    rsp = {r.name: r for r in layout_records(get("TdxPrivateRegs"))}["rsp"]
    assert rsp.unverified and rsp.as_dict()["unverified"] is True


# --- registers -------------------------------------------------------------------------------------
def test_registers_csv_on_tdx(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "registers", "--platform", "tdx", "--format", "csv")
    assert code == 0
    f = _csv(out).set_index("name")
    assert "snp" not in f.columns
    assert f.loc["rsp", "tdx"] == "private" and f.loc["rax", "tdx"] == "shared"
    assert f.loc["rsp", "tlfs"] == "private"
    assert "#1178" in f.loc["rsp", "sources"]


def test_dr6_differs_by_platform(capsys: pytest.CaptureFixture[str]) -> None:
    classes = {}
    for plat in ("tdx", "snp"):
        _, out, _ = run(capsys, "registers", "--platform", plat, "--format", "json")
        doc = json.loads(out)
        assert doc["platform"] == plat
        classes[plat] = {r["name"]: r[plat] for r in doc["registers"]}["dr6"]
    assert classes == {"tdx": "shared", "snp": "private"}  # domain-facts 2.x: Dr6Shared on TDX only


def test_registers_text_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "registers")
    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
    assert rows["rsp"].split()[3:6] == ["private", "private", "private"]  # tdx snp tlfs
    assert "*" in rows["dr6"].split()
    assert len([ln for ln in out.splitlines() if ln.split() and ln.split()[0] in {
        "rax", "rsp", "rip", "xmm15", "dr6"}]) == 5


def test_registers_platform_ignores_case(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "registers", "--platform", "SNP", "--format", "json")
    assert json.loads(out)["platform"] == "snp"
    code, out, err = run(capsys, "registers", "--platform", "ARM")
    assert code == 2 and out == ""
    assert err == "tdxlab registers: error: --platform: 'ARM' is not one of tdx, snp\n"


def test_registers_text_legend(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "registers")
    lines = out.splitlines()
    assert lines[-2] == ""
    assert lines[-1].startswith("* class differs by platform; ? rests on an unverified source; ")
    assert lines[0].split() == ["name", "group", "tdx", "snp", "tlfs", "note"]


def test_registers_named_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "registers", "rsp")
    assert out.startswith("rsp (general purpose, 8 bytes): private on TDX and SNP")


# --- the real entry point --------------------------------------------------------------------------
def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "tdxlab", "layout", "tdx_vp_context", "--format", "csv"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    f = _csv(proc.stdout).set_index("name")
    assert f.loc["gpr_list.rip", "offset"] == 0x178
