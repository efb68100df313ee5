"""The real structures, declared once, in source order, with their sources.

Each declaration below re-states one struct of OpenVMM at snapshot
:data:`~tdxlab.sources.OV_SNAPSHOT` (or of the Intel/AMD architecture it mirrors),
with the explicit padding fields of the source.  Offsets are *not* written here:
they are computed by :mod:`tdxlab.layout.engine` and pinned by the tests against
the reference sheet (``shared/reference/domain-facts.md``, section 1).

The design-only structures of the ``split`` proposal live in
:mod:`tdxlab.layout.split_structs` so that nothing here is an invention.
"""

from __future__ import annotations

from tdxlab.layout.declare import Bits, Blob, Field, Prim, StructDecl, pad, reserved
from tdxlab.owners import Owner
from tdxlab.registers import GPR_ORDER, Platform
from tdxlab.sources import (
    OV_IOCTL_TDX,
    OV_PROTOCOL,
    OV_X86_TDX,
    OV_XSAVE,
    Confidence,
    Origin,
    Source,
)

U8, U16, U32, U64 = Prim.U8, Prim.U16, Prim.U32, Prim.U64
G = Owner.GLOBAL

# --- 1.3 tdx_tdg_vp_enter_exit_info: TDG.VP.ENTER outputs (exit data, VP-global) -------------
EXIT_INFO_REGS = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13")
_EXIT_MEANING = {
    "rax": "status: exit class 63:32, VMX basic exit reason 31:0",
    "rcx": "exit qualification",
    "rdx": "guest linear address (EPT violations)",
    "rsi": "CS selector 15:0, access rights 31:16, limit 63:32",
    "rdi": "CS base",
    "r8": "guest physical address (EPT violations)",
    "r9": "VM-exit interruption info 31:0, error code 63:32",
    "r10": "IDT-vectoring info 31:0, error code 63:32",
    "r11": "instruction info 31:0, length 63:32",
    "r12": "extra info; bits 1:0 = guest CPL",
    "r13": "extended exit qualification (type 3:0)",
}
TDX_EXIT_INFO = StructDecl(
    "tdx_tdg_vp_enter_exit_info",
    tuple(Field(r, U64, owner=G, note=_EXIT_MEANING[r]) for r in EXIT_INFO_REGS),
    OV_PROTOCOL,
    "Registers TDG.VP.ENTER returns on an L2-to-L1 exit: describes the VTL that just exited.",
    asserted_size=88,
)

#: The syscall MSRs, in the order both tdx_vp_state (1.4) and TdxPrivateRegs (2.1) declare them.
_SYSCALL_MSRS = ("kernel_gs_base", "star", "lstar", "sfmask", "xss")


def _msr(reg: str) -> Field:
    """An MSR field as OpenVMM names it: ``msr_<register>``, a u64 holding that register."""
    return Field(f"msr_{reg}", U64, reg=reg)


# --- 1.4 tdx_vp_state: MSRs and CR2 the kernel loads/saves around TDG.VP.ENTER --------------
TDX_VP_STATE = StructDecl(
    "tdx_vp_state",
    (
        *(_msr(r) for r in _SYSCALL_MSRS),
        Field("cr2", U64, reg="cr2"),
        _msr("tsc_aux"),
        Field("flags", U64, owner=G, note="ask the kernel for a cache flush before VP.ENTER",
              bits=(Bits("wbinvd", 0, 1), Bits("wbnoinvd", 1, 1),
                    Bits("reserved", 2, 62, owner=Owner.RESERVED))),
    ),
    OV_PROTOCOL,
    "MSRs and CR2 the kernel sets before entering a lower VTL and reads back after.",
)

# --- 1.7 TdxVmFlags: the RCX input of TDG.VP.ENTER ------------------------------------------
TDX_VM_FLAGS_BITS = (
    Bits("invd_translations", 0, 2, note="0 none, 1 INVEPT, 2 INVVPID, 3 INVVPID non-global"),
    Bits("reserved0", 2, 50, owner=Owner.RESERVED),
    Bits("vm_index", 52, 2, note="L2 VM number, starts at 1; OV sets VTL + 1"),
    Bits("reserved1", 54, 10, owner=Owner.RESERVED),
)

# --- 1.5 TdxL2EnterGuestState: the TDG.VP.ENTER guest-state buffer ---------------------------
TDX_L2_ENTER_GUEST_STATE = StructDecl(
    "TdxL2EnterGuestState",
    (
        Field("gps", U64, 16, elements=GPR_ORDER, note="canonical order; RSP at index 4"),
        Field("rflags", U64, reg="rflags"),
        Field("rip", U64, reg="rip"),
        Field("ssp", U64, reg="ssp"),
        Field("rvi", U8, reg="rvi", note="low byte of VMCS GUEST_INTERRUPT_STATUS"),
        Field("svi", U8, reg="svi", note="high byte of GUEST_INTERRUPT_STATUS"),
        reserved("reserved", 6),
    ),
    OV_X86_TDX,
    "The L2 guest-state buffer TDG.VP.ENTER loads into the entered VM and writes back on exit.",
    asserted_size=160,
)

# --- 1.6 tdx_l2_tsc_deadline_state ------------------------------------------------------------
TDX_L2_TSC_DEADLINE = StructDecl(
    "tdx_l2_tsc_deadline_state",
    (
        Field("deadline", U64, owner=G, note="absolute virtual-TSC deadline for this VP"),
        Field("update_deadline", U8, owner=G, note="1 = kernel writes the deadline on next entry"),
        pad("pad", 7),
    ),
    OV_PROTOCOL,
    "L2 TSC-deadline timer state (#2483), written per run.",
    asserted_size=16,
)

# --- 1.8 Fxsave: the 512-byte FXSAVE image ----------------------------------------------------
FXSAVE = StructDecl(
    "Fxsave",
    (
        Field("fcw", U16, reg="fcw", note="reset 0x37f"),
        Field("fsw", U16, reg="fsw"),
        Field("ftw", U8, reg="ftw", note="abridged tag word"),
        reserved("reserved", 1),
        Field("fop", U16, reg="fop"),
        Field("fip", U64, reg="fip"),
        Field("fdp", U64, reg="fdp"),
        Field("mxcsr", U32, reg="mxcsr", note="reset 0x1f80"),
        Field("mxcsr_mask", U32, reg="mxcsr_mask"),
        Field("st", Blob(16), 8, elements=tuple(f"st{i}" for i in range(8))),
        Field("xmm", Blob(16), 16, elements=tuple(f"xmm{i}" for i in range(16))),
        reserved("reserved2", 48),
        reserved("unused", 48, note="software-available in FXSAVE"),
    ),
    OV_XSAVE,
    "x87 and XMM0-15 state, the only FP state the TDX context page exchanges.",
    asserted_size=512,
)

# --- 1.2 tdx_vp_context: the 1024-byte TDX reading of the run page's context union ----------
TDX_VP_CONTEXT = StructDecl(
    "tdx_vp_context",
    (
        Field("exit_info", TDX_EXIT_INFO),
        pad("pad1", 48),
        Field("vp_state", TDX_VP_STATE),
        pad("pad2", 32),
        Field("entry_rcx", U64, reg="vm_flags", bits=TDX_VM_FLAGS_BITS,
              source=OV_X86_TDX, note="TdxVmFlags: TDG.VP.ENTER RCX"),
        Field("gpr_list", TDX_L2_ENTER_GUEST_STATE),
        Field("l2_tsc_deadline", TDX_L2_TSC_DEADLINE),
        pad("pad3", 80),
        Field("fx_state", FXSAVE),
        pad("pad4", 16),
    ),
    Source(Origin.OV, "openhcl/hcl/src/protocol.rs", Confidence.ASSERTED),
    "Per-VP TDX context in the run page: one set of L2 state with no notion of VTL (#746).",
    asserted_size=1024,
)

# --- 1.10 snp_vp_context -------------------------------------------------------------------------
_STIMER_NOTE = "paravisor-managed STIMER0 state; which VTL it serves is not in the sheet"
SNP_VP_CONTEXT = StructDecl(
    "snp_vp_context",
    (
        Field("vmsa_tweak_bitmap", U8, 64, owner=G),
        Field("stimer0_config", U64, owner=G, note=_STIMER_NOTE),
        Field("stimer0_count", U64, owner=G, note=_STIMER_NOTE),
        Field("stimer0_programmed_ref_time", U64, owner=G),
        Field("stimer0_flags", U32, owner=G,
              bits=(Bits("config_valid", 0, 1), Bits("kernel_update", 1, 1), Bits("expired", 2, 1))),
        reserved("reserved", 932),
    ),
    Source(Origin.OV, "openhcl/hcl/src/protocol.rs", Confidence.ASSERTED),
    "SNP reading of the context union: no registers; they live in one VMSA per VTL.",
    platform=Platform.SNP,
    asserted_size=1024,
    asserted_offsets=(("stimer0_config", 64), ("stimer0_flags", 88)),
)

# --- 1.9 hcl_cpu_context_x64 (non-isolated / VBS reading) ------------------------------------
_GPS_NO_RSP = tuple("cr2" if r == "rsp" else r for r in GPR_ORDER)
HCL_CPU_CONTEXT_X64 = StructDecl(
    "hcl_cpu_context_x64",
    (
        Field("gps_no_rsp", U64, 16, elements=_GPS_NO_RSP, note="slot 4 holds CR2, not RSP"),
        Field("fx_state", FXSAVE),
        reserved("reserved", 384),
    ),
    Source(Origin.OV, "openhcl/hcl/src/protocol.rs", Confidence.ASSERTED),
    "VBS reading of the context union: only TLFS-shared registers (jstarks's model in #746).",
    asserted_size=1024,
)


# --- 1.1 hcl_run: the per-VP run page -----------------------------------------------------------
def hcl_run(context: StructDecl = TDX_VP_CONTEXT, name: str = "hcl_run") -> StructDecl:
    """Declare ``hcl_run`` with its 1024-byte ``context`` union read as ``context``.

    The source types ``context`` as ``[u8; 1024]`` and casts it per isolation type;
    choosing the reading here lets one declaration serve TDX, SNP, VBS and the
    ``split`` design's shared struct.
    """
    if context.asserted_size != 1024:
        raise ValueError(f"{context.name} cannot be the 1024-byte context union")
    irr = "256-bit vector bitmap"
    return StructDecl(
        name,
        (
            Field("cancel", U32, owner=G, note="set to abort the run loop"),
            Field("vtl_ret_action_size", U32, owner=G),
            Field("flags", U32, owner=G, bits=(Bits("halted", 0, 1),)),
            Field("scan_proxy_irr", U8, owner=G),
            Field("offload_flags", U8, owner=G, bits=(
                Bits("offload_intr_inject", 0, 1), Bits("offload_x2apic", 1, 1),
                Bits("reserved", 2, 3, owner=Owner.RESERVED), Bits("halted_other", 5, 1),
                Bits("halted_hlt", 6, 1), Bits("halted_idle", 7, 1))),
            pad("pad", 1),
            Field("mode", U8, owner=G, bits=(Bits("first", 0, 4), Bits("second", 4, 4))),
            Field("exit_message", U8, 256, owner=G, note="HV_MESSAGE_SIZE"),
            Field("context", context, opaque=True,
                  note=f"1024-byte union [u8; 1024], read as {context.name}"),
            Field("vtl_ret_actions", U8, 256, owner=G),
            Field("proxy_irr", U32, 8, owner=G, note=irr),
            Field("target_vtl", U8, owner=G, bits=(
                Bits("target_vtl_value", 0, 4), Bits("use_target_vtl", 4, 1),
                Bits("reserved", 5, 3, owner=Owner.RESERVED))),
            Field("proxy_irr_blocked", U32, 8, owner=G, note=irr),
            Field("proxy_irr_exit", U32, 8, owner=G, note=irr),
        ),
        OV_PROTOCOL,
        "Per-VP run page shared by the mshv_vtl kernel driver and the paravisor (one 4 KiB page).",
        platform=context.platform,
        # The source asserts the guest-state list lands at run-page byte 512 (256-aligned).
        asserted_offsets=(("context.gpr_list", 0x200),) if context is TDX_VP_CONTEXT else (),
    )


HCL_RUN = hcl_run()
HCL_RUN_SNP = hcl_run(SNP_VP_CONTEXT, "hcl_run_snp")

# --- 2.1 TdxPrivateRegs: OV's per-VTL bank in user memory --------------------------------------
TDX_PRIVATE_REGS = StructDecl(
    "TdxPrivateRegs",
    (
        Field("rflags", U64, reg="rflags"),
        Field("rip", U64, reg="rip"),
        Field("rsp", U64, reg="rsp", source=Source(
            Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", Confidence.UNVERIFIED,
            note="RSP added by #1178; its position in the struct is not in the sheet")),
        Field("ssp", U64, reg="ssp"),
        Field("rvi", U8, reg="rvi"),
        Field("svi", U8, reg="svi"),
        *(_msr(r) for r in _SYSCALL_MSRS),
        _msr("tsc_aux"),
        Field("vp_entry_flags", U64, reg="vm_flags", bits=TDX_VM_FLAGS_BITS),
    ),
    OV_IOCTL_TDX,
    "The 13 per-VTL registers OV copies into the run page before each entry and out after "
    "(a plain Rust struct in user memory; laid out here as repr(C) for illustration).",
)
