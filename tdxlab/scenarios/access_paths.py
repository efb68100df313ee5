"""OpenVMM's paths by which the paravisor reads or writes a lower VTL's registers, with sources.

PR #778 banked the private registers per VTL because the paravisor operates "on arbitrary
VTLs, despite the kernel only holding one set of registers" (its commit message).  Each
path below is one way OpenVMM at the pinned snapshot does so on TDX, cited to the file,
function and lines; the built-in scenario ``paravisor_access_paths`` exercises each of
them at the steps listed, as ``pv_get``/``pv_set`` events (or a non-fast ``vtl_return``).
``cross_vtl`` marks the paths whose target VTL is not the one the run page holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from tdxlab.sources import Confidence, Origin, Source

_TDX = "openhcl/virt_mshv_vtl/src/processor/tdx/mod.rs"
_HCVM = "openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs"


@dataclass(frozen=True)
class AccessPath:
    """One OpenVMM access path: what it touches, for whom, where in the source, and its steps."""

    name: str
    what: str
    registers: tuple[str, ...]
    cross_vtl: bool
    source: Source
    steps: tuple[int, ...]


def _ov(where: str, confidence: Confidence = Confidence.SOURCED) -> Source:
    return Source(Origin.OV, where, confidence)


#: The access paths, in the order the scenario takes them (steps are 0-based event indices).
ACCESS_PATHS: tuple[AccessPath, ...] = (
    AccessPath("intercept message", "builds the intercept message posted to VTL 1 from VTL 0's RIP and "
               "RFLAGS (protected register, MSR, I/O port and memory intercepts)", ("rip", "rflags"), False,
               _ov(f"{_TDX} intercept_message_state 694-724; callers {_HCVM} 2555, 2618, 2676, 2987"),
               (5, 6)),
    AccessPath("HvCallGetVpRegisters", "VTL 1 reads VTL 0's registers while VTL 1 is current",
               ("rip", "rsp"), True,
               _ov(f"{_HCVM} get_vp_registers 1438, get_vp_register 410-761; {_TDX} registers 3769-3832"),
               (12, 13)),
    AccessPath("translation registers", "VTL 1 translates a VTL 0 address (HvCallTranslateVirtualAddress): "
               "VTL 0's RFLAGS among the translation registers", ("rflags",), True,
               _ov(f"{_TDX} translation_registers 624-648 (RFLAGS 634); {_HCVM} translate_virtual_address "
                   "1977-2048"), (14,)),
    AccessPath("HvCallSetVpRegisters", "VTL 1 sets VTL 0's RIP (past the instruction it intercepted)",
               ("rip",), True, _ov(f"{_HCVM} set_vp_registers 1507-1531, set_vp_register 852-1105"), (15,)),
    AccessPath("interrupt readiness", "is VTL 0 ready for an interrupt (RFLAGS.IF) while VTL 1 is current",
               ("rflags",), True,
               _ov(f"{_TDX} is_interrupt_pending 821-876 (IF 862); {_HCVM} cvm_handle_cross_vtl_interrupts "
                   "2308-2342"), (16,)),
    AccessPath("non-fast VTL return", "restores VTL 0's RAX and RCX from VTL 1's VP VTL control page",
               ("rax", "rcx"), True, _ov(f"{_HCVM} vtl_return 1579-1601 (RAX/RCX 1592-1600)"), (17,)),
    AccessPath("RIP advance", "moves the intercepted VTL's RIP past the emulated instruction",
               ("rip",), False, _ov(f"{_TDX} advance_to_next_instruction 2612-2616"), (19, 20)),
    AccessPath("emulation result", "the emulated instruction's result lands in a shared GPR (run page)",
               ("rax",), False, _ov(f"{_TDX} X86EmulatorSupport gp/set_gp 2989-2995"), (21,)),
    AccessPath("cross-VTL interrupt check", "VTL 1's RVI/SVI are read while VTL 0 is current (VTL "
               "preemption ignores RFLAGS.IF)", ("rvi",), True,
               _ov(f"{_HCVM} cvm_handle_cross_vtl_interrupts 2317-2318; {_TDX} is_interrupt_pending 835-837"),
               (22,)),
    AccessPath("APIC poll", "each VTL is polled on every pass, VTL 1's RFLAGS read while VTL 0 is current",
               ("rflags",), True, _ov(f"{_TDX} TdxApicScanner::handle_interrupt 1544-1591 (RFLAGS 1569); "
                                      f"{_HCVM} 2851-2856"), (23,)),
    AccessPath("inspect", "diagnostics read every banked register of both VTLs",
               ("rip",), True, _ov(f"{_TDX} TdxBacked.vtls 507-510, TdxVtl.private_regs 548-549"), (24,)),
)

__all__ = ["ACCESS_PATHS", "AccessPath"]
