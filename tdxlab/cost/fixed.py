"""The fixed work of one entry, per platform: what every design on that platform pays, as data.

A proposal that only moves bytes must not look cheaper than the kernel would let it
be, so the time model charges, on top of the design's own copies and line accesses,
the work that surrounds every entry whatever the page design is.  That work differs
in *structure* between the platforms, so each platform declares its own steps here:

* **TDX** (reference sheet §3.4, §3.5): the paravisor's run loop is in VTL2 user mode,
  so every exit goes to user mode and back; the kernel wraps TDG.VP.ENTER in
  1 FXRSTOR + 1 FXSAVE, 1 RDMSR + 5 WRMSR before the TDCALL (a sixth WRMSR, of XSS,
  only when the value differs, so it is not charged), 6 RDMSR + 5 WRMSR after it, and
  2 CR2 accesses; the TDX module enters the L2 and returns to the L1 kernel.
* **SEV-SNP**: VMRUN is the host's instruction, so the VMPL-0 paravisor cannot run a
  lower VMPL itself.  It leaves by VMGEXIT (a world switch to the hypervisor), the
  hypervisor VMRUNs the lower VMPL's VMSA, and that VMPL's exit comes back the same
  way: two world switches and two relays by hypervisor software per entry, plus the
  same trip to VTL2 user mode.  This structure is not in the reference sheet (marked
  unverified), and the OpenHCL kernel's own work around a VMGEXIT is not in it either,
  so none is charged (:data:`NOT_CHARGED` says so in every view).

Each :class:`Step` names a count (how many per entry, from the source) and the
constant of :mod:`tdxlab.cost.constants` that prices one; :func:`fixed_cycles` adds
them up with numpy operations, so the vectorised sweep and one point share the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tdxlab.cost.constants import CONSTANTS
from tdxlab.registers import Platform
from tdxlab.sources import Confidence, Origin, Source


class Kind(Enum):
    """Which part of the cost a fixed step belongs to (the two fixed parts of the time model)."""

    ROUND_TRIP = "round_trip"
    KERNEL = "kernel"


@dataclass(frozen=True)
class Step:
    """One piece of fixed per-entry work: ``count`` times the constant ``cycles``."""

    what: str
    count: float
    cycles: str
    kind: Kind
    source: Source

    def __post_init__(self) -> None:
        """A step must price itself with a declared constant (checked when the table is built)."""
        if self.cycles not in CONSTANTS:
            raise ValueError(f"fixed step {self.what!r}: unknown constant {self.cycles!r}")


_RUN_LOOP = Source(Origin.SHEET, "domain-facts 3.4: run_vp_tdx, runner.run() is an ioctl from VTL2 user "
                   "mode", Confidence.SOURCED)
_KERNEL_TDX = Source(Origin.SHEET, "domain-facts 3.5: mshv_vtl_return_tdx, per entry 1 FXRSTOR + 1 FXSAVE, "
                     "1 RDMSR + 5-6 WRMSR before and 6 RDMSR + 5 WRMSR after the TDCALL, 2 CR2 accesses",
                     Confidence.DERIVED, note="counted from K mshv_vtl_main.c; the XSS write is conditional")
_MODULE = Source(Origin.SHEET, "domain-facts 3.6: TDG.VP.ENTER enters the selected L2 VM; an L2 exit "
                 "returns to the L1 after its TDCALL", Confidence.SOURCED)
_SNP_RELAY = Source(Origin.TDXLAB, "SEV-SNP: VMRUN is a host instruction; the VMPL-0 paravisor enters a "
                    "lower VMPL by VMGEXIT and the hypervisor runs that VMPL's VMSA", Confidence.UNVERIFIED,
                    note="not in the reference sheet (issue 11); two world switches per entry")

#: The fixed steps of one entry on each platform, in the order they happen.
FIXED: dict[Platform, tuple[Step, ...]] = {
    Platform.TDX: (
        Step("return to VTL2 user mode and back into the kernel", 1, "user_mode_cycles", Kind.ROUND_TRIP,
             _RUN_LOOP),
        Step("FXRSTOR of the page's fx_state", 1, "fxrstor_cycles", Kind.KERNEL, _KERNEL_TDX),
        Step("RDMSR (VTL2's TSC_AUX) before the TDCALL", 1, "rdmsr_cycles", Kind.KERNEL, _KERNEL_TDX),
        Step("WRMSR of the five syscall MSRs before the TDCALL", 5, "wrmsr_cycles", Kind.KERNEL, _KERNEL_TDX),
        Step("CR2 write before and read after the TDCALL", 2, "cr_cycles", Kind.KERNEL, _KERNEL_TDX),
        Step("TDG.VP.ENTER to the L2 and its exit back to the L1 kernel", 1, "tdx_entry_cycles",
             Kind.ROUND_TRIP, _MODULE),
        Step("RDMSR of the five syscall MSRs and XSS after the exit", 6, "rdmsr_cycles", Kind.KERNEL,
             _KERNEL_TDX),
        Step("WRMSR of VTL2's own five values back", 5, "wrmsr_cycles", Kind.KERNEL, _KERNEL_TDX),
        Step("FXSAVE into the page's fx_state", 1, "fxsave_cycles", Kind.KERNEL, _KERNEL_TDX),
    ),
    Platform.SNP: (
        Step("return to VTL2 user mode and back into the kernel", 1, "user_mode_cycles", Kind.ROUND_TRIP,
             _RUN_LOOP),
        Step("world switches: VMGEXIT out of VMPL 0, and the lower VMPL's #VMEXIT", 2,
             "snp_world_switch_cycles", Kind.ROUND_TRIP, _SNP_RELAY),
        Step("hypervisor relays: VMRUN of the lower VMPL's VMSA, then of VMPL 0's", 2, "snp_host_cycles",
             Kind.ROUND_TRIP, _SNP_RELAY),
    ),
}
assert set(FIXED) == set(Platform), "every platform declares its fixed work"

#: What each platform's fixed work leaves out, worded once for every view.
NOT_CHARGED: dict[Platform, str] = {
    Platform.TDX: "the XSS WRMSR the kernel skips when the value is unchanged; VMCS writes for a pending "
                  "event (§3.4 step 2)",
    Platform.SNP: "the OpenHCL kernel's own work around a VMGEXIT (not in the reference sheet)",
}
assert set(NOT_CHARGED) == set(Platform), "every platform says what it leaves out"


def fixed_cycles(platform: Platform, k: Mapping[str, Any], kind: Kind) -> Any:
    """Cycles of ``platform``'s fixed steps of ``kind`` per entry (floats or broadcast arrays)."""
    total: Any = 0.0
    for step in FIXED[platform]:
        if step.kind is kind:
            total = total + step.count * k[step.cycles]
    return total


def counts(platform: Platform, kind: Kind | None = None) -> dict[str, float]:
    """How many of each priced instruction or trip one entry makes (by constant name)."""
    out: dict[str, float] = {}
    for step in FIXED[platform]:
        if kind is None or step.kind is kind:
            out[step.cycles] = out.get(step.cycles, 0.0) + step.count
    return out


__all__ = ["FIXED", "NOT_CHARGED", "Kind", "Step", "counts", "fixed_cycles"]
