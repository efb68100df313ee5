"""The SEV-SNP VMSA, OpenVMM's ``SevVmsa``: one full register file per VTL (VMPL).

Why it is here: SNP is the contrast case of #746.  Each VTL has its own VMSA page, so
private state is isolated by construction, and OpenVMM's SNP ``switch_vtl`` copies the
*shared* registers from one VMSA to the other on every VTL switch (domain-facts 2.2).
Ownership therefore follows one rule, applied with :attr:`Platform.SNP`: what
``switch_vtl`` copies is shared, what it does not copy is private.  Registers in the
catalogue get their class from it (``reg=``); guest state the catalogue does not list
(LBR MSRs, SPEC_CTRL, PKRU, the x87 selectors ...) is classified by that same rule
and cites it; VMSA control and exit fields are :attr:`Owner.GLOBAL` (not guest
register state); ``vmsa_reservedN`` are :attr:`Owner.RESERVED`.

Declared in source order from OV ``vm/x86/x86defs/src/snp.rs``.  Offsets are computed
by the engine and pinned by the tests against domain-facts 1.11 (size 1648 = 0x670).

Three representation choices, all layout-neutral at the offsets where they occur:

* The ten segment and descriptor-table fields are declared as 16 opaque bytes each,
  linked to their register (``reg="cs"`` ...), rather than as nested ``SevSelector``
  structures: a nested structure's members cannot carry a register name in the
  declaration vocabulary, and what views, the byte grid and the simulator need is
  "these 16 bytes are CS".  ``SevSelector``'s own layout (selector, attrib, limit,
  base) is declared separately as :data:`SEV_SELECTOR` so that it is still pinned and
  compiled by gcc.  Each selector starts on a 16-byte boundary, so the alignment of
  the opaque form (1) and of the structure (8) give the same offsets.
* ``x87_registers`` is ``[u64; 10]`` in the source, whose own comment says it "should
  be 80 bytes": it holds the eight 80-bit x87 registers.  It is declared as 8 x 10
  bytes linked to ``st0`` .. ``st7`` (same offset 0x420, same 80 bytes).
* ``xmm_registers`` / ``ymm_registers`` are arrays of ``SevXmmRegister`` {low u64,
  high u64} in the source, declared as 16 x 16 bytes linked to ``xmm0..15`` /
  ``ymmh0..15`` (both arrays start 16-byte aligned).
"""

from __future__ import annotations

from tdxlab.layout.declare import Blob, Field, Prim, StructDecl, reserved
from tdxlab.layout.engine import PAGE, layout_of
from tdxlab.owners import Owner
from tdxlab.registers import GPR_ORDER, REGISTERS, Platform
from tdxlab.sources import OV_SNP_DEFS, Confidence, Origin, Source

U8, U16, U32, U64 = Prim.U8, Prim.U16, Prim.U32, Prim.U64

#: Segment and descriptor-table registers in VMSA order (OV snp.rs).
SEGMENTS: tuple[str, ...] = ("es", "cs", "ss", "ds", "fs", "gs", "gdtr", "ldtr", "idtr", "tr")

_SWITCH_VTL = "openhcl/virt_mshv_vtl/src/processor/snp/mod.rs (switch_vtl)"
#: Guest state the catalogue does not list, classified by the domain-facts 2.2 rule.
_NOT_COPIED = Source(
    Origin.OV, _SWITCH_VTL, Confidence.SOURCED,
    note="not in switch_vtl's copy list, so private by the domain-facts 2.2 rule",
)
_CONTROL = Source(
    Origin.OV, "vm/x86/x86defs/src/snp.rs", Confidence.COMPUTED,
    note="VMSA control/exit data, not guest register state",
)
_SECURE_AVIC = Source(
    Origin.OV, "vm/x86/x86defs/src/snp.rs", Confidence.UNVERIFIED,
    note="named secure_avic_control at the pinned commit per domain-facts 1.11; the retrievable "
    "copy (c5a5035) declares vmsa_reserved8 (MBZ) here, and Linux keeps 0x320 reserved; "
    "private by the 2.2 rule (not copied)",
)


def _segment_owner() -> Owner:
    """The one SNP class every segment register has; SevSelector's members inherit it."""
    owners = {REGISTERS[s].owner(Platform.SNP) for s in SEGMENTS}
    if len(owners) != 1:
        raise ValueError(f"segment registers disagree on their SNP class: {owners}")
    return owners.pop()


_SEG_OWNER = _segment_owner()
_SEG_NOTE = "one of the ten segment/descriptor registers; they all share this class"

#: ``SevSelector`` (16 bytes), the form of each segment/descriptor field of the VMSA.
SEV_SELECTOR = StructDecl(
    "SevSelector",
    (
        Field("selector", U16, owner=_SEG_OWNER, note=_SEG_NOTE),
        Field("attrib", U16, owner=_SEG_OWNER, note="access rights, compressed AMD form"),
        Field("limit", U32, owner=_SEG_OWNER),
        Field("base", U64, owner=_SEG_OWNER),
    ),
    OV_SNP_DEFS,
    "A segment or descriptor-table register as the VMSA stores it (selector, attributes, "
    "limit, base).",
    platform=Platform.SNP,
)


def _reg(name: str, prim: Prim = U64, reg: str | None = None, note: str = "") -> Field:
    """A field holding catalogue register ``reg`` (default: the field's own name)."""
    return Field(name, prim, reg=reg or name, note=note)


def _private(name: str, prim: Prim = U64, note: str = "") -> Field:
    """Guest state missing from the register catalogue: private because not copied (2.2)."""
    return Field(name, prim, owner=Owner.PRIVATE, source=_NOT_COPIED, note=note)


def _control(name: str, prim: Prim = U64, note: str = "", count: int = 1) -> Field:
    """VMSA control or exit data: per-VMSA bookkeeping, not a guest register."""
    return Field(name, prim, count, owner=Owner.GLOBAL, source=_CONTROL, note=note)


def _rsvd(name: str, prim: Prim, count: int = 1) -> Field:
    """A ``vmsa_reservedN`` field with the source's element type (MBZ)."""
    return Field(name, prim, count, owner=Owner.RESERVED, note="must be zero (MBZ)")


_GPRS_AFTER_RBX = tuple(r for r in GPR_ORDER[5:])  # rbp, rsi, rdi, r8 .. r15

SEV_VMSA = StructDecl(
    "SevVmsa",
    (
        *(Field(s, Blob(16), reg=s, note="SevSelector {selector u16, attrib u16, limit u32, base u64}")
          for s in SEGMENTS),
        _reg("pl0_ssp"), _reg("pl1_ssp"), _reg("pl2_ssp"), _reg("pl3_ssp"), _reg("u_cet"),
        _rsvd("vmsa_reserved1", U8, 2),
        _control("vmpl", U8, "VMPL this VMSA runs at (VTL0 = VMPL2, VTL1 = VMPL1); set by the "
                 "paravisor"),
        _private("cpl", U8, "current privilege level (mirrors SS.DPL); not copied"),
        _rsvd("vmsa_reserved2", U32),
        _reg("efer"),
        _rsvd("vmsa_reserved3", U32, 26),
        _reg("xss", note="source comment: offset 0x140"),
        _reg("cr4"), _reg("cr3"), _reg("cr0"),
        _reg("dr7"), _reg("dr6", note='"DR6 not shared on AMD" (switch_vtl comment)'),
        _reg("rflags"), _reg("rip"),
        _reg("dr0"), _reg("dr1"), _reg("dr2"), _reg("dr3"),
        *(_private(f"dr{i}_addr_mask", note="AMD debug address mask MSR") for i in range(4)),
        _rsvd("vmsa_reserved4", U64, 3),
        _reg("rsp"),
        _reg("s_cet"), _reg("ssp"),
        _private("interrupt_ssp_table_addr", note="IA32_INTERRUPT_SSP_TABLE_ADDR (CET)"),
        _reg("rax"),
        _reg("star"), _reg("lstar"), _reg("cstar"), _reg("sfmask"),
        _reg("kernel_gs_base"),
        _reg("sysenter_cs"), _reg("sysenter_esp"), _reg("sysenter_eip"),
        _reg("cr2"),
        _rsvd("vmsa_reserved5", U64, 4),
        _reg("pat"),
        _private("dbgctl", note="IA32_DEBUGCTL (LBR control)"),
        _private("last_branch_from_ip", note="LBR MSR"),
        _private("last_branch_to_ip", note="LBR MSR"),
        _private("last_excp_from_ip", note="LBR MSR"),
        _private("last_excp_to_ip", note="LBR MSR"),
        _rsvd("vmsa_reserved6", U64, 9),
        _private("spec_ctrl", note="IA32_SPEC_CTRL"),
        _private("pkru", U32, note="protection-key rights (an XSAVE component the TLFS list does "
                 "not name); not copied"),
        _reg("tsc_aux", U32, note="32 bits in the VMSA; #177: TSC_AUX is not shared across VTLs"),
        _rsvd("vmsa_reserved7", U32, 4),
        _control("register_protection_nonce", note="VMSA register protection (newer Linux has "
                 "tsc_scale/tsc_offset around here)"),
        _reg("rcx"), _reg("rdx"), _reg("rbx"),
        Field("secure_avic_control", U64, owner=Owner.PRIVATE, source=_SECURE_AVIC,
              note="Secure AVIC control MSR, in RSP's slot of the GPR block (RSP itself is at 0x1d8)"),
        *(_reg(r) for r in _GPRS_AFTER_RBX),
        _rsvd("vmsa_reserved9", U64, 2),
        _control("exit_info1", note="written by the CPU on #VMEXIT"),
        _control("exit_info2", note="written by the CPU on #VMEXIT"),
        _control("exit_int_info", note="event being delivered when the exit happened"),
        _control("next_rip", note="software scratch: RIP of the next instruction at an exit"),
        _control("sev_features", note="SevFeatures bitfield (SNP, vTOM, restricted injection ...)"),
        _control("v_intr_cntrl", note="SevVirtualInterruptControl: virtual TPR, pending IRQ, interrupt "
                 "shadow of this VMSA; maintained by the paravisor's APIC emulation, not copied"),
        _control("guest_error_code", note="error reported on a failed entry"),
        _control("virtual_tom", note="virtual top of memory (vTOM)"),
        _control("tlb_id", note="TLB control"),
        _control("pcpu_id", note="writing 0 forces a full TLB flush on the next entry"),
        _control("event_inject", note="SevEventInjectInfo: event to inject into this VMSA's VTL on "
                 "entry (per VMSA, set by the paravisor)"),
        _reg("xcr0"),
        _control("xsave_valid_bitmap", U8, "x87 state-save valid bitmap", count=16),
        _reg("x87dp", reg="fdp", note="x87 last data pointer"),
        _reg("mxcsr", U32),
        _reg("x87_ftw", U16, reg="ftw", note="full 16-bit tag word here (FXSAVE keeps an abridged byte)"),
        _reg("x87_fsw", U16, reg="fsw"),
        _reg("x87_fcw", U16, reg="fcw"),
        _reg("x87_op", U16, reg="fop"),
        _private("x87_ds", U16, note="x87 last data-pointer selector (FDS)"),
        _private("x87_cs", U16, note="x87 last instruction-pointer selector (FCS)"),
        _reg("x87_rip", reg="fip", note="x87 last instruction pointer"),
        Field("x87_registers", Blob(10), 8, elements=tuple(f"st{i}" for i in range(8)),
              note="source type [u64; 10] ('should be 80 bytes'): eight 80-bit registers; "
              "order ST0..ST7 assumed as in FXSAVE [unverified]; the one x87 field switch_vtl copies"),
        Field("xmm_registers", Blob(16), 16, elements=tuple(f"xmm{i}" for i in range(16)),
              note="SevXmmRegister {low u64, high u64} x 16"),
        Field("ymm_registers", Blob(16), 16, elements=tuple(f"ymmh{i}" for i in range(16)),
              note="upper 128 bits of YMM0-15, SevXmmRegister x 16"),
    ),
    OV_SNP_DEFS,
    "SEV-SNP save area: one per VTL/VMPL; the CPU loads it on entry and saves it on exit, "
    "and OV copies the shared registers between the two VMSAs on a VTL switch.",
    platform=Platform.SNP,
)

#: The VMSA page: ``SevVmsa`` at offset 0 and the bytes the OV struct does not define.
SEV_VMSA_PAGE = StructDecl(
    "sev_vmsa_page",
    (
        Field("vmsa", SEV_VMSA),
        reserved("reserved", PAGE - layout_of(SEV_VMSA).size,
                 note="rest of the 4 KiB VMSA page, not defined by OV's SevVmsa"),
    ),
    Source(Origin.OV, "openhcl/hcl/src/ioctl.rs (VMSA page per VTL)", Confidence.SOURCED),
    "One VMSA page per VTL: VTL0 at mmap offset (2 << 16) | vp, VTL1 at (4 << 16) | vp.",
    platform=Platform.SNP,
)

__all__ = ["SEGMENTS", "SEV_SELECTOR", "SEV_VMSA", "SEV_VMSA_PAGE"]
