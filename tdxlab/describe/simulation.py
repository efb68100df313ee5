"""Words for trace events, isolation violations and simulation steps."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from tdxlab.describe.basics import plural
from tdxlab.sim.events import Op, StepOutcome

if TYPE_CHECKING:
    from tdxlab.sim.checker import Violation
    from tdxlab.sim.events import Event
    from tdxlab.sim.machine import StepRecord


# --- simulation ------------------------------------------------------------------------------------
# The words for trace events, isolation violations and simulation steps, shared by
# ``tdxlab simulate``/``check``, the simulation notebooks, the Stepper and the comparison.
# (Wording drafted by the simulation work; kept here so every view uses the same sentences.)

#: One phrase per event kind, keyed by the enum: a kind without a phrase fails at import.
EVENT_PHRASES: dict[Op, str] = {
    Op.ENABLE_VTL: "enable VTL {vtl} (HvCallEnableVpVtl)",
    Op.SET: "the VTL {vtl} guest leaves {reg} = {value:#x}",
    Op.RUN: "run the current VTL once (entry from VTL 2, exit back to it)",
    Op.VTL_CALL: "VTL call, VTL 0 -> VTL 1 (HvCallVtlCall 0x0011)",
    Op.VTL_RETURN: "VTL return, VTL 1 -> VTL 0 (HvCallVtlReturn 0x0012)",
    Op.INTERRUPT: "interrupt for VTL {vtl}",
}

#: What one step did, keyed by :class:`~tdxlab.sim.events.StepOutcome` (fields: the event's
#: VP and VTL, the VTL entered, and the switch's source and target).
STEP_NOTES: dict[StepOutcome, str] = {
    StepOutcome.ENABLED: "VTL {vtl} enabled on VP {vp}: its private state starts at reset values",
    StepOutcome.QUEUED: "VTL {vtl} guest will leave {reg}={value:#x} in its next run",
    StepOutcome.RAN: "entered VTL {entered} on VP {vp} and exited back to VTL 2",
    StepOutcome.SWITCHED: "VP {vp} switched VTL {src} -> VTL {dst} ({op})",
    StepOutcome.DELIVERED: "interrupt for VTL {vtl} on VP {vp}: delivered to the running VTL",
    StepOutcome.WAITS: "interrupt for VTL {vtl} on VP {vp}: delivered to the lower VTL; it waits until "
    "VTL 0 runs again",
}


def _complete(table: dict[Any, str], enum: type[Enum], name: str) -> None:
    """Fail at import when a phrase table misses a member of its enum."""
    missing = [m.name for m in enum if m not in table]
    if missing:  # pragma: no cover - a new member without its words
        raise ImportError(f"tdxlab.describe.{name} has no phrase for {', '.join(missing)}")


_complete(EVENT_PHRASES, Op, "EVENT_PHRASES")
_complete(STEP_NOTES, StepOutcome, "STEP_NOTES")

#: What each violation kind means, in one clause (keys are ``ViolationKind`` values).
VIOLATION_KINDS = {
    "clobber": "its own private value was lost",
    "leak": "it sees another VTL's private value",
    "stale": "a shared register did not get the value last left in it",
}


def describe_event(event: Event) -> str:
    """One clause for a trace event, e.g. ``VP 0: VTL call, VTL 0 -> VTL 1 (HvCallVtlCall 0x0011)``."""
    text = EVENT_PHRASES[event.op].format(vtl=event.vtl, reg=event.reg, value=event.value or 0)
    return f"VP {event.vp}: {text}"


def step_note(record: StepRecord) -> str:
    """What one step did, in one sentence (the Stepper's and ``tdxlab simulate``'s note)."""
    e = record.event
    src, dst = record.switched or (None, None)
    return STEP_NOTES[record.outcome].format(vtl=e.vtl, vp=e.vp, reg=e.reg, value=e.value or 0,
                                             entered=record.entered_vtl, src=src, dst=dst, op=e.op.value)


def describe_violation(v: Violation) -> str:
    """One line: where, which register, what kind, expected versus found, and what left the value."""
    text = (f"step {v.step}, VP {v.vp}, VTL {v.vtl}: {v.reg} {v.kind.value}, "
            f"{VIOLATION_KINDS[v.kind.value]} (expected {v.expected:#x}, found {v.found:#x})")
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
    flag = f"  [{plural(n, 'violation')}]" if n else ""
    return f"{record.index:>4}  {record.event!s:<42} VTL {vtl}  {step_note(record)}{flag}"

__all__ = [
    "EVENT_PHRASES",
    "STEP_NOTES",
    "VIOLATION_KINDS",
    "describe_event",
    "describe_step",
    "describe_violation",
    "step_note",
]
