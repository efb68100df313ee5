"""Words for trace events, isolation violations and simulation steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tdxlab.describe._tables import complete
from tdxlab.describe.basics import plural
from tdxlab.sim.checker import AccessKind, Severity, ViolationKind, by_severity, count_by_severity
from tdxlab.sim.events import Op, StepOutcome

if TYPE_CHECKING:
    from tdxlab.scenarios import Scenario
    from tdxlab.sim.checker import Violation
    from tdxlab.sim.designs import Design
    from tdxlab.sim.events import Event
    from tdxlab.sim.machine import SimResult, StepRecord
    from tdxlab.sim.search import SearchResult
    from tdxlab.sim.verify import VerifyResult


# --- simulation ------------------------------------------------------------------------------------
# The words for trace events, isolation violations and simulation steps, shared by
# ``tdxlab simulate``/``check``, the simulation notebooks, the Stepper and the comparison.

#: One phrase per event kind, keyed by the enum: a kind without a phrase fails at import.
EVENT_PHRASES: dict[Op, str] = {
    Op.ENABLE_VTL: "enable VTL {vtl} (HvCallEnableVpVtl)",
    Op.SET: "the VTL {vtl} guest leaves {reg} = {value:#x}",
    Op.RUN: "run the current VTL once (entry from the paravisor, exit back to it)",
    Op.VTL_CALL: "VTL call up to the next higher VTL (HvCallVtlCall 0x0011)",
    Op.VTL_RETURN: "VTL return down to the next lower VTL (HvCallVtlReturn 0x0012, {return_kind})",
    Op.INTERRUPT: "interrupt for VTL {vtl}",
    Op.PV_GET: "the paravisor reads VTL {vtl}'s {reg}",
    Op.PV_SET: "the paravisor sets VTL {vtl}'s {reg} = {value:#x}",
}

#: What one step did, keyed by :class:`~tdxlab.sim.events.StepOutcome` (fields: the event's
#: VP and VTL, the VTL entered, and the switch's source and target).
STEP_NOTES: dict[StepOutcome, str] = {
    StepOutcome.ENABLED: "VTL {vtl} enabled on VP {vp}: its private state starts at reset values",
    StepOutcome.QUEUED: "VTL {vtl} guest will leave {reg}={value:#x} in its next run",
    StepOutcome.RAN: "entered VTL {entered} on VP {vp} and exited back to the paravisor",
    StepOutcome.SWITCHED: "VP {vp} switched VTL {src} -> VTL {dst} ({op})",
    StepOutcome.DELIVERED: "interrupt for VTL {vtl} on VP {vp}: delivered to the running VTL",
    StepOutcome.WAITS: "interrupt for VTL {vtl} on VP {vp}: delivered to the lower VTL; it waits until "
    "VTL {vtl} runs again",
    StepOutcome.READ: "the paravisor read VTL {vtl}'s {reg} on VP {vp}: {got}",
    StepOutcome.WROTE: "the paravisor set VTL {vtl}'s {reg} = {value:#x} on VP {vp}; VTL {vtl} must "
    "see it when next entered",
}


complete(EVENT_PHRASES, Op, "EVENT_PHRASES")
complete(STEP_NOTES, StepOutcome, "STEP_NOTES")

#: What each violation kind means, in one clause.
VIOLATION_KINDS: dict[ViolationKind, str] = {
    ViolationKind.INTEGRITY: "a higher VTL holds a private value it did not choose (a lower VTL's, "
    "or nobody's): a lower VTL can steer it",
    ViolationKind.DISCLOSURE: "a VTL holds a higher VTL's private value: a secret leaks down",
    ViolationKind.LOST: "VTL 0 lost its own private value (to no higher VTL's)",
    ViolationKind.STALE: "a shared register did not get the value last left in it",
}
complete(VIOLATION_KINDS, ViolationKind, "VIOLATION_KINDS")


def return_kind(event: Event) -> str:
    """How a ``vtl_return`` treats RAX/RCX, in a few words (TLFS HvCallVtlReturn input bit 0)."""
    if event.is_fast:
        return "fast: RAX/RCX as the higher VTL left them"
    rax, rcx = event.restored
    return f"not fast: RAX={rax:#x}, RCX={rcx:#x} from the VP VTL control page"


def describe_event(event: Event) -> str:
    """One clause for a trace event, e.g. ``VP 0: interrupt for VTL 1``."""
    text = EVENT_PHRASES[event.op].format(vtl=event.vtl, reg=event.reg, value=event.value or 0,
                                          return_kind=return_kind(event))
    return f"VP {event.vp}: {text}"


def step_note(record: StepRecord) -> str:
    """What one step did, in one sentence (the Stepper's and ``tdxlab simulate``'s note)."""
    e = record.event
    src, dst = record.switched or (None, None)
    got = next(iter(record.observed.values())) if record.observed and e.reg else 0
    return STEP_NOTES[record.outcome].format(vtl=e.vtl, vp=e.vp, reg=e.reg, value=e.value or 0,
                                             entered=record.entered_vtl, src=src, dst=dst, op=e.op.value,
                                             got=f"{got:#x}")


def describe_violation(v: Violation) -> str:
    """One line: where, which register, what kind, expected versus found, and what left the value."""
    how = "read by the paravisor" if v.access is AccessKind.PV_GET else "on entry"
    whose = f", VTL {v.source_vtl}'s value" if v.source_vtl is not None else ""
    text = (f"[{v.severity.value}] step {v.step}, VP {v.vp}, VTL {v.vtl}: {v.reg} {how}: {v.kind.value}, "
            f"{VIOLATION_KINDS[v.kind]} (expected {v.expected:#x}, found {v.found:#x}{whose})")
    if v.cause_step is not None:
        text += f"; value left by step {v.cause_step}"
        if v.cause is not None:
            line = f", line {v.cause.line}" if v.cause.line is not None else ""
            text += f" ({v.cause}{line})"
    return text


def describe_step(record: StepRecord) -> str:
    """One line per simulation step: index, event, the VP's VTL after it, what happened, violations."""
    vtl = record.active_vtl[record.event.vp]
    n = len(record.violations)
    flag = f"  [{plural(n, 'finding')}]" if n else ""
    return f"{record.index:>4}  {record.event!s:<42} VTL {vtl}  {step_note(record)}{flag}"

def simulation_report(result: SimResult, source: str) -> str:
    """``tdxlab simulate``'s text: the design and trace, one line per step, then the violations.

    ``source`` names where the events came from (``scenario NAME`` or a file path).
    """
    d = result.design
    lines = [f"design {d.key}: {d.title}",
             f"trace: {source} ({result.events} events, {plural(result.vps, 'VP')}, "
             f"{result.lower_vtls} lower VTLs)", ""]
    lines += [describe_step(rec) for rec in result.steps]
    lines.append("")
    if result.violations:
        lines.append(f"== {plural(len(result.violations), 'isolation finding')}: "
                     f"{severity_counts(result.violations)}; most severe first ==")
        lines += [f"  {describe_violation(v)}" for v in by_severity(result.violations)]
    else:
        lines.append("== no isolation finding: every entered VTL and every paravisor read observed what "
                     "the TLFS promises, as "
                     f"OpenVMM classifies each register on {d.platform.name} ==")
    return "\n".join(lines)


def simulation_summary(design: Design, source: str, events: int, vps: int, lower_vtls: int,
                       counts: dict[Severity, int], shown: Sequence[Violation]) -> str:
    """``tdxlab simulate``'s text without the step view: the run in two lines, then the findings.

    ``counts`` holds every finding by severity; ``shown`` the first ones kept (most severe first
    here), so a run of ten million events reports its totals and a readable sample.
    """
    total = sum(counts.values())
    lines = [f"design {design.key}: {design.title}",
             f"trace: {source} ({events:,} events, {plural(vps, 'VP')}, {lower_vtls} lower VTLs)", ""]
    if total:
        counted = ", ".join(f"{n:,} {s.value}" for s, n in counts.items() if n)
        lines.append(f"== {plural(total, 'isolation finding')}: {counted}; most severe first ==")
        lines += [f"  {describe_violation(v)}" for v in by_severity(list(shown))]
        if total > len(shown):
            lines.append(f"  ... and {total - len(shown):,} more not shown (the first {len(shown):,} "
                         "found are; --max-findings N shows more, --steps shows every step)")
    else:
        lines.append("== no isolation finding: every entered VTL and every paravisor read observed what "
                     "the TLFS promises, as "
                     f"OpenVMM classifies each register on {design.platform.name} ==")
    return "\n".join(lines)


def severity_counts(found: Sequence[Violation]) -> str:
    """Findings counted by severity, most severe first: ``9 high, 9 medium`` (or ``none``)."""
    parts = [f"{n} {s.value}" for s, n in count_by_severity(found).items() if n]
    return ", ".join(parts) or "none"


def search_summary(result: SearchResult) -> list[str]:
    """What a counterexample search found and how, one line each (``tdxlab check`` prints them as comments).

    The first line is the finding (``counterexample for naive: 4 events, found by
    breadth-first search`` or ``no counterexample for bank``); the others say how far
    each search went, then the search's own notes.
    """
    bfs = (f"breadth-first search: no trace of {result.exhaustive_length} events or fewer on one VP "
           f"with {result.lower_vtls} lower VTLs "
           f"violates (registers {', '.join(result.alphabet)} stand for their groups, "
           f"{result.bfs_tried} traces)")
    if result.trace is not None and result.method == "hypothesis":
        bfs = (f"breadth-first search: nothing up to {result.exhaustive_length} events "
               f"({result.bfs_tried} traces)")
    if result.trace is None:
        head = f"no counterexample for {result.design}"
    else:
        by = "breadth-first search" if result.method == "bfs" else "hypothesis"
        head = f"counterexample for {result.design}: {len(result.trace)} events, found by {by}"
    return [head, bfs, f"hypothesis: {result.hypothesis_examples} examples; {result.seconds:.1f} s in all",
            *(f"note: {n}" for n in result.notes)]


#: Published speed of TLA+'s explicit-state checker TLC, for comparison (issue anchor: 10^4-10^6
#: distinct states per second per core on models of this size; not measured here).
TLC_STATES_PER_S = (1e4, 1e6)


def verify_summary(result: VerifyResult) -> list[str]:
    """What ``tdxlab verify`` found, one line each: the verdict, the state space, the groups."""
    r = result
    where = f"{plural(r.vps, 'VP')}, {r.lower_vtls} lower VTLs"
    if r.counterexample is not None:
        head = (f"{r.design}: COUNTEREXAMPLE of {plural(len(r.counterexample), 'event')} ({where}); no "
                "shorter one exists (breadth-first)")
    elif r.verified:
        head = (f"{r.design}: VERIFIED for every trace ({where}): fixpoint reached, no reachable state "
                "violates isolation")
    else:
        head = (f"{r.design}: NOT VERIFIED: the state budget ran out before the fixpoint ({where}); "
                "no counterexample among the states explored")
    lo, hi = TLC_STATES_PER_S
    lines = [head,
             f"{r.states:,} distinct states, {r.transitions:,} transitions in {r.seconds:.2f} s "
             f"({r.states_per_second:,.0f} states/s; TLC explores {lo:,.0f}-{hi:,.0f}/s per core)",
             "register groups (one representative each): " + ", ".join(
                 f"{g.register} {g.states:,}{'' if g.complete else ' (incomplete)'}" for g in r.groups)]
    return lines


def scenario_line(scenario: Scenario, events: Sequence[Event], width: int = 0) -> str:
    """One built-in scenario in a listing: name (padded to ``width``), title, events and VPs."""
    vps = max((e.vp for e in events), default=0) + 1
    return f"{scenario.name:<{width}}  {scenario.title} ({plural(len(events), 'event')}, {plural(vps, 'VP')})"


__all__ = [
    "EVENT_PHRASES",
    "STEP_NOTES",
    "TLC_STATES_PER_S",
    "VIOLATION_KINDS",
    "describe_event",
    "describe_step",
    "describe_violation",
    "return_kind",
    "scenario_line",
    "search_summary",
    "severity_counts",
    "simulation_report",
    "simulation_summary",
    "step_note",
    "verify_summary",
]
