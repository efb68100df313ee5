"""The register catalogue: every register the modelled structures carry, and its owner.

Classification follows two authorities and records both:

* the Hyper-V TLFS, Virtual Secure Mode chapter ("Private State" / "Shared State"),
  the architectural contract a VTL relies on;
* OpenVMM at the pinned snapshot, which is what the TDX paravisor actually does
  (``TdxPrivateRegs`` banks a register per VTL; anything left in the run page is shared)
  and what its SNP ``switch_vtl`` copies (copied = shared, not copied = private).

Where the TLFS is silent (SSP, IA32_XSS, the TDX entry flags, CET MSRs) OpenVMM's
choice is the classification and the TLFS column is ``None``.  Registers whose class
differs by platform: DR6 (TLFS: processor dependent; TDX kernel reports ``Dr6Shared``,
SNP does not), and the x87 control/status registers and MXCSR (FCW, FSW, FTW, FOP, FIP,
FDP, MXCSR): the TLFS calls x87 and XMM state shared and TDX leaves them in the shared
FX area, but OpenVMM's SNP ``switch_vtl`` copies only the ST0-7 block, so on SNP they are
OpenVMM-private — a departure from the TLFS the catalogue states, with the TLFS column
kept "shared".  Sources: reference sheet sections 2.1-2.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tdxlab.owners import Owner
from tdxlab.sources import (
    OV_IOCTL_TDX,
    OV_SNP_PROC,
    TLFS_PRIVATE,
    TLFS_SHARED,
    Confidence,
    Origin,
    Source,
)


class Platform(Enum):
    """Isolation platform whose OpenVMM backing decides a register's class."""

    TDX = "tdx"
    SNP = "snp"


class Group(Enum):
    """Register family, used to group rows in views."""

    GPR = "general purpose"
    CONTROL = "control"
    MSR = "MSR"
    FPU = "x87/SSE/AVX"
    SEGMENT = "segment/descriptor"
    DEBUG = "debug"
    APIC = "interrupt status"
    ENTRY = "entry control"


@dataclass(frozen=True)
class Register:
    """One architectural register and how each authority classifies it."""

    name: str
    group: Group
    tdx: Owner
    snp: Owner
    tlfs: Owner | None
    sources: tuple[Source, ...]
    width: int = 8
    note: str = ""

    def owner(self, platform: Platform) -> Owner:
        """Return the class OpenVMM gives this register on ``platform``."""
        return self.tdx if platform is Platform.TDX else self.snp


#: Canonical GPR order of ``TdxL2EnterGuestState.gps`` (``TdxGp`` constants, OV x86defs tdx.rs).
GPR_ORDER: tuple[str, ...] = (
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
)  # fmt: skip

_OV_GPR_SHARED = Source(
    Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", note='"shared between VTLs except for RSP"'
)
_OV_RSP = Source(Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", note="RSP banked since #1178")
_OV_SWITCH_TDX = Source(
    Origin.OV,
    "openhcl/virt_mshv_vtl/src/processor/tdx/mod.rs (switch_vtl)",
    note="debug registers and XFEM shared architecturally",
)
_OV_CR2 = Source(Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", note='CR2 "shared between VTLs"')
_OV_VTL_SW = Source(
    Origin.OV, "openhcl/virt_mshv_vtl/src/processor/tdx/mod.rs (TdxVtl)", note="kept per VTL"
)
_OV_VMCS = Source(
    Origin.OV,
    "openhcl/virt_mshv_vtl/src/processor/tdx/mod.rs",
    note="per-L2-VM VMCS, class 36 (VTL0) / 44 (VTL1)",
)
_OV_ENTRY = Source(Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", note="vp_entry_flags since #793")
_TLFS_DR6 = Source(
    Origin.TLFS, "vsm.md, VSM Capability Detection (Dr6Shared)", note="processor dependent"
)
_K_DR6 = Source(Origin.K, "drivers/hv/mshv_vtl_main.c (mshv_vtl_get_vsm_regs)")
_OV_SNP_CET = Source(
    Origin.OV, "openhcl/virt_mshv_vtl/src/processor/snp/mod.rs", note="copied on VTL switch"
)
_UNVERIFIED_TDX = Source(
    Origin.SHEET,
    "domain-facts 2.1: not carried in the TDX run page",
    Confidence.UNVERIFIED,
    note="TDX handling of this register not in the sheet; TLFS class assumed",
)

P, S = Owner.PRIVATE, Owner.SHARED


def _gpr(name: str) -> Register:
    if name == "rsp":
        return Register(name, Group.GPR, P, P, P, (TLFS_PRIVATE, _OV_RSP, OV_SNP_PROC))
    return Register(name, Group.GPR, S, S, S, (TLFS_SHARED, _OV_GPR_SHARED, OV_SNP_PROC))


def _tlfs_private(name: str, group: Group, tdx_source: Source, width: int = 8) -> Register:
    return Register(name, group, P, P, P, (TLFS_PRIVATE, tdx_source, OV_SNP_PROC), width)


def _tlfs_shared(name: str, group: Group, tdx_source: Source, width: int = 8) -> Register:
    return Register(name, group, S, S, S, (TLFS_SHARED, tdx_source, OV_SNP_PROC), width)


_REGISTERS: list[Register] = [_gpr(n) for n in GPR_ORDER]
_REGISTERS += [
    _tlfs_private("rip", Group.CONTROL, OV_IOCTL_TDX),
    _tlfs_private("rflags", Group.CONTROL, OV_IOCTL_TDX),
    Register("ssp", Group.CONTROL, P, P, None, (OV_IOCTL_TDX, OV_SNP_PROC),
             note="CET shadow-stack pointer; TLFS silent, OV banks it"),
    Register("rvi", Group.APIC, P, P, P, (TLFS_PRIVATE, OV_IOCTL_TDX), width=1,
             note="requesting virtual interrupt; private by inference: the TLFS lists local APIC "
                  "registers as private, and RVI is the virtual APIC's interrupt status"),
    Register("svi", Group.APIC, P, P, P, (TLFS_PRIVATE, OV_IOCTL_TDX), width=1,
             note="servicing virtual interrupt; private by inference: the TLFS lists local APIC "
                  "registers as private, and SVI is the virtual APIC's interrupt status"),
    _tlfs_private("kernel_gs_base", Group.MSR, OV_IOCTL_TDX),
    _tlfs_private("star", Group.MSR, OV_IOCTL_TDX),
    _tlfs_private("lstar", Group.MSR, OV_IOCTL_TDX),
    _tlfs_private("sfmask", Group.MSR, OV_IOCTL_TDX),
    _tlfs_private("tsc_aux", Group.MSR, OV_IOCTL_TDX),
    Register("xss", Group.MSR, P, P, None, (OV_IOCTL_TDX, OV_SNP_PROC),
             note="IA32_XSS; TLFS silent, OV banks it"),
    Register("cstar", Group.MSR, P, P, P, (TLFS_PRIVATE, _OV_VTL_SW),
             note="no CSTAR on TDX hardware; OV keeps a per-VTL software value (#1279)"),
    _tlfs_shared("cr2", Group.CONTROL, _OV_CR2),
    Register("vm_flags", Group.ENTRY, P, P, None, (_OV_ENTRY,),
             note="TDG.VP.ENTER RCX: vm_index = VTL + 1 and invd_translations; not guest state"),
    _tlfs_private("efer", Group.MSR, _OV_VTL_SW),
    _tlfs_private("cr0", Group.CONTROL, _OV_VTL_SW),
    _tlfs_private("cr3", Group.CONTROL, _OV_VMCS),
    _tlfs_private("cr4", Group.CONTROL, _OV_VTL_SW),
    _tlfs_private("dr7", Group.DEBUG, _OV_VMCS),
    _tlfs_private("pat", Group.MSR, _OV_VMCS),
    _tlfs_private("sysenter_cs", Group.MSR, _OV_VMCS),
    _tlfs_private("sysenter_esp", Group.MSR, _OV_VMCS),
    _tlfs_private("sysenter_eip", Group.MSR, _OV_VMCS),
    _tlfs_shared("xcr0", Group.FPU, _OV_SWITCH_TDX),
    Register("dr6", Group.DEBUG, S, P, None, (_TLFS_DR6, _K_DR6, OV_SNP_PROC),
             note="TDX kernel reports Dr6Shared=1, SNP kernel 0"),
]  # fmt: skip
_REGISTERS += [
    _tlfs_private(seg, Group.SEGMENT, _OV_VMCS, width=16)
    for seg in ("es", "cs", "ss", "ds", "fs", "gs", "gdtr", "ldtr", "idtr", "tr")
]
_REGISTERS += [_tlfs_shared(f"dr{i}", Group.DEBUG, _OV_SWITCH_TDX) for i in range(4)]
# SNP-only CET registers: OV copies them on a VTL switch, so they are shared there.
_REGISTERS += [
    Register(n, Group.MSR, S, S, None, (_OV_SNP_CET, _UNVERIFIED_TDX),
             note="TLFS silent; OV SNP copies it on VTL switch")
    for n in ("pl0_ssp", "pl1_ssp", "pl2_ssp", "pl3_ssp", "u_cet")
]  # fmt: skip
_REGISTERS += [
    Register("s_cet", Group.MSR, P, P, None, (OV_SNP_PROC, _UNVERIFIED_TDX),
             note="not in OV SNP's copy list, hence private"),
]
# x87 / SSE state: shared per TLFS; lives in the run page's fx_state on TDX.
_FX_SOURCE = Source(Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs", note="FX state left in shared page")
#: Reference sheet 2.2/2.4: OV SNP ``switch_vtl`` calls ``set_x87_registers``, which writes only
#: ``x87_registers`` (ST0-7); the control/status fields and MXCSR are never copied between VMSAs.
_OV_SNP_X87 = Source(
    Origin.OV,
    "openhcl/virt_mshv_vtl/src/processor/snp/mod.rs (switch_vtl, lines 297-345)",
    note="not copied on VTL switch: OpenVMM-private on SNP, departing from the TLFS",
)
_OV_SET_X87 = Source(Origin.OV, "openhcl/hcl/src/vmsa.rs (set_x87_registers)",
                     note="writes only x87_registers, the ST0-7 block")
_REGISTERS += [
    Register(name, Group.FPU, S, P, S, (TLFS_SHARED, _FX_SOURCE, _OV_SNP_X87, _OV_SET_X87), width,
             note="of the x87 state, OpenVMM's SNP switch_vtl copies only ST0-7, so this is per-VTL "
             "on SNP: OpenVMM private there, a departure from the TLFS, which lists x87/SSE state "
             "as shared")
    for name, width in (("fcw", 2), ("fsw", 2), ("ftw", 1), ("fop", 2), ("fip", 8), ("fdp", 8),
                        ("mxcsr", 4))
]  # fmt: skip
_REGISTERS += [_tlfs_shared("mxcsr_mask", Group.FPU, _FX_SOURCE, 4)]
_REGISTERS += [_tlfs_shared(f"st{i}", Group.FPU, _FX_SOURCE, 16) for i in range(8)]
_REGISTERS += [_tlfs_shared(f"xmm{i}", Group.FPU, _FX_SOURCE, 16) for i in range(16)]
_REGISTERS += [_tlfs_shared(f"ymmh{i}", Group.FPU, _OV_SNP_CET, 16) for i in range(16)]

#: Every register, by lower-case name.
REGISTERS: dict[str, Register] = {r.name: r for r in _REGISTERS}
assert len(REGISTERS) == len(_REGISTERS), "duplicate register name"


class UnknownRegisterError(KeyError):
    """Raised for a register name the catalogue does not know."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown register"


def register(name: str) -> Register:
    """Look a register up by name (case-insensitive), with a one-line error if unknown."""
    try:
        return REGISTERS[name.lower()]
    except KeyError:
        raise UnknownRegisterError(
            f"unknown register {name!r}; see `tdxlab registers` for the catalogue"
        ) from None
