"""Built-in scenarios: trace files shipped with the package, each with a title and a description.

A scenario is plain data (a JSON Lines trace with ``#`` comments explaining each
step, see ``docs/trace-format.md``), so a reader can open the file next to the
simulation and a reviewer can copy one as the start of their own trace.  The
registry below only adds the words shown by ``tdxlab scenarios`` and the notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from tdxlab.scenarios.access_paths import ACCESS_PATHS
from tdxlab.sim.events import TraceError
from tdxlab.sim.trace import Trace, parse_trace


@dataclass(frozen=True)
class Scenario:
    """One built-in trace: ``name`` is also the file stem (``<name>.jsonl`` in this package)."""

    name: str
    title: str
    description: str
    #: Where each part of the scenario comes from: (which steps, citation), for ``--long``.
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def filename(self) -> str:
        """The trace file's name inside the package."""
        return f"{self.name}.jsonl"

    def text(self) -> str:
        """The trace file, comments included."""
        return resources.files(__package__).joinpath(self.filename).read_text(encoding="utf-8")

    def events(self, lower_vtls: int | None = None) -> Trace:
        """The parsed events (line numbers refer to the shipped file).

        ``lower_vtls`` asks for a partition size (``--lower-vtls``); a scenario whose header
        says otherwise is a one-line error naming the scenario and the line.
        """
        try:
            return parse_trace(self.text(), lower_vtls)
        except TraceError as exc:
            raise TraceError(exc.reason, exc.line, f"scenario {self.name}") from None

    @property
    def vps(self) -> int:
        """How many VPs the trace uses."""
        return max((e.vp for e in self.events()), default=0) + 1

    @property
    def lower_vtls(self) -> int:
        """How many lower VTLs the trace's partition has (its header, else 2)."""
        return self.events().lower_vtls


_ALL = (
    Scenario(
        "secure_call_round_trip",
        "Secure-call round trip: VTL 0 -> VTL 1 -> VTL 0",
        "VTL 0 leaves its own RIP, RSP, RFLAGS and syscall MSRs (KERNEL_GS_BASE, STAR, LSTAR, "
        "SFMASK, TSC_AUX: TLFS private; XSS: OpenVMM private, the TLFS does not name it) and some "
        "shared registers, then calls VTL 1 with HvCallVtlCall. "
        "VTL 1 runs with different values for the same private registers and leaves results in "
        "shared ones (R8, CR2, XMM0), then returns with HvCallVtlReturn (not fast: VTL 0's RAX and RCX "
        "come back from VTL 1's VP VTL control page). When VTL 0 runs again "
        "it must find its own private values and VTL 1's shared ones: the round trip of openvmm "
        "#746, where one VTL-unaware page hands VTL 0 the secure kernel's registers.",
    ),
    Scenario(
        "interrupt_to_vtl1",
        "Interrupt for VTL 1 while VTL 0 runs",
        "An interrupt for VTL 0 is delivered without a switch; then an interrupt targeted at VTL 1 "
        "arrives while VTL 0 runs and forces an immediate switch (TLFS: regardless of RFLAGS.IF). "
        "While VTL 1 handles it, an interrupt for VTL 0 arrives and has to wait, because a lower "
        "VTL cannot preempt a higher one. VTL 1 returns and VTL 0 resumes where it was "
        "interrupted: the same isolation promise as a secure call, reached by another path.",
    ),
    Scenario(
        "intercept_in_vtl2",
        "Intercepts handled in VTL 2, VTL 0 resumed, no VTL switch",
        "VTL 0 exits to the paravisor three times (CPUID, an intercepted MSR write, an I/O port "
        "read) and is resumed each time; VTL 1 is enabled but never entered. No VTL switch "
        "happens, so no design may lose anything; the scenario shows the per-run work each "
        "design does anyway (the bank design copies its private registers out and back in on "
        "every exit), which is what the cost views count.",
    ),
    Scenario(
        "vtl1_enabled_late",
        "VTL 1 enabled late, on one VP only",
        "VTL 0 boots and runs on two VPs; only then is VTL 1 enabled, on VP 0 only "
        "(HvCallEnableVpVtl is per VP). Enabling must give VTL 1 its own reset state without "
        "touching what VTL 0 already left in the page, and VP 1, which never gets VTL 1, must be "
        "unaffected. VP 0 then makes its first secure call and returns.",
    ),
    Scenario(
        "many_vps_interleaved",
        "Eight VPs switching VTLs, interleaved",
        "Eight VPs of one partition switch between VTL 0 and VTL 1 at their own pace: VTL 1 is "
        "enabled early on the even VPs and late on the odd ones, the even VPs make secure calls "
        "while the odd ones take secure interrupts, and the events of different VPs are "
        "interleaved. Every VP has its own pages, so no value may cross from one VP to another; "
        "each VP's values contain its index to make a misplaced one easy to spot.",
    ),
    Scenario(
        "paravisor_access_paths",
        "The paravisor reads and writes a VTL that is not running",
        "OpenVMM's paravisor touches the registers of a VTL other than the one the run page holds "
        "(PR #778: banking 'allows userspace operations to operate on arbitrary VTLs, despite the "
        "kernel only holding one set of registers'). Each path it has gets a step: intercept "
        "message construction for VTL 1 reads VTL 0's RIP and RFLAGS; VTL 1's HvCallGetVpRegisters "
        "reads VTL 0's RIP and RSP while VTL 1 is current; translation registers read VTL 0's "
        "RFLAGS; VTL 1's HvCallSetVpRegisters advances VTL 0's RIP; interrupt readiness reads VTL 0's "
        "RFLAGS.IF; a non-fast VTL return restores RAX/RCX; instruction emulation for the current VTL "
        "reads and advances RIP and sets RAX; the cross-VTL interrupt check, the APIC poll and "
        "inspect read VTL 1's RVI, RFLAGS and RIP while VTL 0 is current. A design whose accessors "
        "reach one register set answers for the wrong VTL.",
        sources=tuple((f"{'steps' if len(p.steps) > 1 else 'step'} {', '.join(map(str, p.steps))}: {p.name}",
                       p.source.cite())
                      for p in ACCESS_PATHS),
    ),
    Scenario(
        "three_lower_vtls",
        "Three lower VTLs: VTL 0 -> 1 -> 2 and back, and an interrupt straight to VTL 2",
        "A partition with three lower VTLs (TDX allows up to three L2 VMs below the paravisor, "
        "MAX_L2_VMS = 3; SNP has VMPL 1-3). VTL 1 and VTL 2 are enabled in order; VTL 0 calls VTL 1, "
        "which calls VTL 2 (a VTL call goes up one level); each returns one level down, the last "
        "return not fast (RAX/RCX from the control page). Then an interrupt for VTL 2 switches VTL 0 "
        "straight to VTL 2, which returns to VTL 1 and on to VTL 0. Each VTL must keep its own RIP, "
        "RSP and LSTAR and see the shared RDX, R8 and R9 others left: the 'more VTLs in future' "
        "problem of a VTL-unaware page, which naive fails and every fix must scale to.",
    ),
)

#: The built-in scenarios by name, in teaching order.
SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}


def get_scenario(name: str) -> Scenario:
    """A built-in scenario by name, with a one-line error listing the names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


def load_scenario(name: str) -> Trace:
    """The events of the built-in scenario ``name``."""
    return get_scenario(name).events()


__all__ = ["SCENARIOS", "Scenario", "get_scenario", "load_scenario"]
