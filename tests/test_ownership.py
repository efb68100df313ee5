"""Ownership: every byte has a class and a source, and each rule of domain-facts 2.1-2.4 holds.

Expected classes are written here from the reference sheet, not read from the code:
2.1 (OpenVMM on TDX), 2.2 (OpenVMM SNP ``switch_vtl`` copy list), 2.3 (TLFS), 2.4.
"""

from __future__ import annotations

import pytest

from tdxlab.layout.catalog import STRUCTS, get
from tdxlab.layout.engine import RowKind
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform

P, S, G = Owner.PRIVATE, Owner.SHARED, Owner.GLOBAL
TDX, SNP = Platform.TDX, Platform.SNP
GPRS = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")  # fmt: skip


@pytest.mark.parametrize("struct", list(STRUCTS))
def test_every_leaf_has_an_owner_and_a_source(struct: str) -> None:
    for r in get(struct).leaves():
        assert r.owner is not Owner.MIXED, r.path
        assert r.source is not None and r.source.where, r.path
        assert r.source.cite()


@pytest.mark.parametrize("struct", list(STRUCTS))
def test_register_rows_take_the_catalogue_class(struct: str) -> None:
    layout = get(struct)
    for r in layout.rows:
        if r.register and r.kind is not RowKind.BITS:
            assert r.owner is REGISTERS[r.register].owner(layout.decl.platform), r.path


# --- 2.1 OpenVMM on TDX, in the run page ------------------------------------------------------------
RUN_PAGE_RULES = [
    *[(f"context.gpr_list.gps.{g}", P if g == "rsp" else S) for g in GPRS],
    ("context.gpr_list.rip", P), ("context.gpr_list.rflags", P), ("context.gpr_list.ssp", P),
    ("context.gpr_list.rvi", P), ("context.gpr_list.svi", P),
    ("context.vp_state.msr_kernel_gs_base", P), ("context.vp_state.msr_star", P),
    ("context.vp_state.msr_lstar", P), ("context.vp_state.msr_sfmask", P),
    ("context.vp_state.msr_xss", P), ("context.vp_state.msr_tsc_aux", P),
    ("context.vp_state.cr2", S),
    ("context.vp_state.flags", G),
    ("context.entry_rcx", P),
    ("context.exit_info", G),
    ("context.l2_tsc_deadline.deadline", G),
    ("context.pad1", Owner.PADDING), ("context.pad2", Owner.PADDING),
    ("context.pad3", Owner.PADDING), ("context.pad4", Owner.PADDING),
    ("pad", Owner.PADDING),
]  # fmt: skip


@pytest.mark.parametrize(("path", "owner"), RUN_PAGE_RULES, ids=[p for p, _ in RUN_PAGE_RULES])
def test_tdx_run_page_rule(path: str, owner: Owner) -> None:
    assert get("hcl_run").row(path).owner is owner


def test_exit_info_is_global_in_every_leaf() -> None:
    leaves = [r for r in get("hcl_run").leaves() if r.path.startswith("context.exit_info.")]
    assert len(leaves) == 11 and {r.owner for r in leaves} == {G}


def test_fx_state_registers_are_shared() -> None:
    leaves = [r for r in get("hcl_run").leaves() if r.path.startswith("context.fx_state.")]
    regs = [r for r in leaves if r.register]
    assert len(regs) == 8 + 8 + 16  # fcw..mxcsr_mask, st0-7, xmm0-15
    assert {r.owner for r in regs} == {S}
    assert {r.owner for r in leaves if not r.register} == {Owner.RESERVED}


def test_private_rows_of_the_run_page_are_exactly_the_banked_thirteen() -> None:
    """2.1: the 13 TdxPrivateRegs fields are the run page's only private state."""
    run = get("hcl_run")
    private = {r.register for r in run.leaves() if r.owner is P}
    assert private == set(get("TdxPrivateRegs").registers())
    assert len(private) == 13


def test_vbs_context_carries_only_shared_registers() -> None:
    """1.9: the VBS reading holds GPRs (CR2 in RSP's slot) and FP/SSE, all TLFS-shared."""
    ctx = get("hcl_cpu_context_x64")
    assert {r.owner for r in ctx.leaves() if r.register} == {S}
    assert ctx.row("gps_no_rsp.cr2").owner is S


def test_snp_context_page_carries_no_registers() -> None:
    """1.10: on SNP the register state is in the VMSAs, not the run page."""
    assert not get("snp_vp_context").registers()
    assert not get("hcl_run_snp").registers()


# --- 2.2 OpenVMM SNP: switch_vtl's copy list is the shared set of the VMSA ---------------------------
#: VMSA leaves written by OV SNP ``switch_vtl`` (2.2): GPRs but RSP, XCR0, CR2, DR0-3, the CET
#: SSPs and U_CET, the x87 register area, XMM0-15 and YMM-high 0-15.
SNP_COPIED = {
    "rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", *(f"r{i}" for i in range(8, 16)),
    "xcr0", "cr2", "dr0", "dr1", "dr2", "dr3",
    "pl0_ssp", "pl1_ssp", "pl2_ssp", "pl3_ssp", "u_cet",
    *(f"x87_registers.st{i}" for i in range(8)),
    *(f"xmm_registers.xmm{i}" for i in range(16)),
    *(f"ymm_registers.ymmh{i}" for i in range(16)),
}
#: The x87 control/status fields the VMSA also holds.  OV's switch_vtl calls only
#: ``set_x87_registers`` (ST0-7), so by the 2.2 rule these are private on SNP (sheet 2.2, 2.4).
X87_NOT_COPIED = {"x87dp", "mxcsr", "x87_ftw", "x87_fsw", "x87_fcw", "x87_op", "x87_rip"}
_VMSA_STATE = [r.path for r in get("SevVmsa").leaves() if r.owner in (P, S)]


@pytest.mark.parametrize("path", _VMSA_STATE)
def test_snp_vmsa_shared_iff_switch_vtl_copies_it(path: str) -> None:
    owner = get("SevVmsa").row(path).owner
    assert owner is (S if path in SNP_COPIED else P)


@pytest.mark.parametrize("path", sorted(X87_NOT_COPIED))
def test_snp_x87_control_is_openvmm_private_while_the_tlfs_says_shared(path: str) -> None:
    row = get("SevVmsa").row(path)
    assert row.owner is P
    reg = REGISTERS[row.register]
    assert (reg.tdx, reg.snp, reg.tlfs) == (S, P, S)
    assert "departure from the TLFS" in reg.note


def test_snp_copy_list_is_all_in_the_vmsa_and_shared() -> None:
    vmsa = get("SevVmsa")
    assert all(vmsa.row(p).owner is S for p in SNP_COPIED)
    assert len(SNP_COPIED) == 15 + 1 + 1 + 4 + 5 + 8 + 16 + 16


@pytest.mark.parametrize(("path", "owner"), [
    ("rsp", P), ("rip", P), ("rflags", P), ("dr6", P), ("dr7", P), ("tsc_aux", P),
    ("cs", P), ("cr0", P), ("efer", P),
    ("vmpl", G), ("sev_features", G), ("exit_info1", G), ("event_inject", G),
    ("vmsa_reserved1", Owner.RESERVED), ("vmsa_reserved9", Owner.RESERVED),
])  # fmt: skip
def test_snp_vmsa_rule(path: str, owner: Owner) -> None:
    assert get("SevVmsa").row(path).owner is owner


def test_secure_avic_control_is_flagged_unverified() -> None:
    """1.11 names it at the pinned commit; the retrievable OV copy has vmsa_reserved8 there."""
    row = get("SevVmsa").row("secure_avic_control")
    assert row.source.unverified
    assert [r.path for r in get("SevVmsa").leaves() if r.source.unverified] == ["secure_avic_control"]


def test_sev_selector_members_take_the_segment_class() -> None:
    assert {r.owner for r in get("SevSelector").leaves()} == {REGISTERS["cs"].owner(SNP)} == {P}


def test_vmsa_page_tail_is_reserved() -> None:
    assert get("sev_vmsa_page").row("reserved").owner is Owner.RESERVED


# --- 2.4: platform differences -----------------------------------------------------------------------
def test_dr6_shared_on_tdx_private_on_snp() -> None:
    assert REGISTERS["dr6"].owner(TDX) is S
    assert REGISTERS["dr6"].owner(SNP) is P
    assert get("SevVmsa").row("dr6").owner is P


def test_tsc_aux_private_everywhere() -> None:
    assert get("hcl_run").row("context.vp_state.msr_tsc_aux").owner is P
    assert get("SevVmsa").row("tsc_aux").owner is P
    assert REGISTERS["tsc_aux"].tlfs is P


@pytest.mark.parametrize("reg", ["xss", "ssp"])
def test_registers_ov_banks_that_the_tlfs_does_not_name(reg: str) -> None:
    r = REGISTERS[reg]
    assert r.tlfs is None and r.tdx is P


@pytest.mark.parametrize("reg", ["pl0_ssp", "pl1_ssp", "pl2_ssp", "pl3_ssp", "u_cet"])
def test_cet_ssps_copied_on_snp_are_shared(reg: str) -> None:
    assert REGISTERS[reg].snp is S and REGISTERS[reg].tlfs is None


# --- 2.3: the TLFS column of the catalogue --------------------------------------------------------
TLFS: dict[str, Owner | None] = {
    **{r: P for r in ("rip", "rsp", "rflags", "cr0", "cr3", "cr4", "dr7", "idtr", "gdtr",
                      "cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr",
                      "sysenter_cs", "sysenter_esp", "sysenter_eip",
                      "star", "lstar", "cstar", "sfmask",
                      "efer", "pat", "kernel_gs_base", "tsc_aux")},
    **{r: P for r in ("rvi", "svi")},  # local APIC state (interrupt status) is private
    **{r: S for r in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
                      *(f"r{i}" for i in range(8, 16)), "cr2", "dr0", "dr1", "dr2", "dr3",
                      "xcr0")},
    **{r: S for r in ("fcw", "fsw", "ftw", "fop", "fip", "fdp", *(f"st{i}" for i in range(8)))},
    **{r: S for r in ("mxcsr", "mxcsr_mask", *(f"xmm{i}" for i in range(16)))},
    **{f"ymmh{i}": S for i in range(16)},  # AVX state
    "dr6": None,  # processor dependent (Dr6Shared)
}


@pytest.mark.parametrize(("reg", "tlfs"), list(TLFS.items()), ids=list(TLFS))
def test_catalogue_tlfs_column_matches_the_tlfs_table(reg: str, tlfs: Owner | None) -> None:
    assert reg in REGISTERS
    assert REGISTERS[reg].tlfs is tlfs


@pytest.mark.parametrize("reg", [r for r, t in TLFS.items() if t is not None])
def test_tdx_class_follows_the_tlfs_for_every_register_it_names(reg: str) -> None:
    """On TDX, OV's classification agrees with the TLFS wherever the TLFS is explicit."""
    assert REGISTERS[reg].tdx is TLFS[reg]
