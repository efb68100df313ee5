"""Trace events: what happens to a VP, one JSON object per line (see docs/trace-format.md).

Parsing checks each event's *shape* (known op, integer VP, VTL 0 or 1, known
register, value that fits).  Whether an event is *possible* in the current state
(a VTL call with VTL 1 not enabled, a ``set`` for a VTL not running) is checked by
the simulation, which reports it with the same line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tdxlab.sim.model import LOWER_VTLS, check_modelled, width_of


class Op(Enum):
    """The operations a trace can contain, each with the JSON keys it takes besides ``op`` and ``vp``.

    This enum is the first of the three places an event kind is declared (its shape);
    the second is its rule and handler in :data:`tdxlab.sim.machine.OP_RULES` (when it is
    possible, what it does), the third its wording in :mod:`tdxlab.describe`.  Both
    tables are checked at import to cover every member, so a new kind cannot be half added.
    ``switches`` says whether the kind can change the VP's current VTL.
    """

    ENABLE_VTL = ("enable_vtl", ("vtl",), False)  # HvCallEnableVpVtl: VTL 1 becomes usable on this VP
    SET = ("set", ("vtl", "reg", "value"), False)  # the guest running in that VTL leaves `value` in `reg`
    RUN = ("run", (), False)  # one entry into the VP's current lower VTL and one exit back to VTL 2
    VTL_CALL = ("vtl_call", (), True)  # HvCallVtlCall (0x0011): VTL 0 -> VTL 1
    VTL_RETURN = ("vtl_return", (), True)  # HvCallVtlReturn (0x0012): VTL 1 -> VTL 0
    INTERRUPT = ("interrupt", ("vtl",), True)  # an interrupt targeted at `vtl` (switches up if higher)

    def __new__(cls, name: str, fields: tuple[str, ...], switches: bool) -> Op:
        """The value is the op's name in a trace; ``fields`` and ``switches`` ride along."""
        member = object.__new__(cls)
        member._value_ = name
        member.fields = fields
        member.switches = switches
        return member

    fields: tuple[str, ...]
    switches: bool


#: Each op by its name in a trace.
OPS_BY_NAME: dict[str, Op] = {o.value: o for o in Op}


class StepOutcome(Enum):
    """What one applied event did, as data; :func:`tdxlab.describe.step_note` words it."""

    ENABLED = "enabled"  # a VTL became usable; its private state starts at reset values
    QUEUED = "queued"  # a set waits for the VTL's next run
    RAN = "ran"  # one entry into the current VTL and the exit back to VTL 2
    SWITCHED = "switched"  # the VP's current VTL changed
    DELIVERED = "delivered"  # an interrupt for the running VTL: no switch
    WAITS = "waits"  # an interrupt for a lower VTL: it waits until that VTL runs again


class TraceError(ValueError):
    """A malformed or impossible trace event; its message names the line and the reason."""

    def __init__(self, reason: str, line: int | None = None, source: str | None = None) -> None:
        """Keep reason, line and file apart so callers can add the file name later."""
        self.reason = reason
        self.line = line
        self.source = source
        where = " ".join(x for x in (source, f"line {line}" if line is not None else None) if x)
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True)
class Event:
    """One trace event.  ``line`` is its 1-based line in the trace file, if it came from one."""

    op: Op
    vp: int
    vtl: int | None = None
    reg: str | None = None
    value: int | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as the JSON object of the trace format (values as hex strings)."""
        obj: dict[str, Any] = {"op": self.op.value, "vp": self.vp}
        if self.vtl is not None:
            obj["vtl"] = self.vtl
        if self.reg is not None:
            obj["reg"] = self.reg
        if self.value is not None:
            obj["value"] = hex(self.value)
        return obj

    def __str__(self) -> str:
        """Compact one-line form, e.g. ``set vp0 vtl0 rip=0x1000``."""
        text = f"{self.op.value} vp{self.vp}"
        if self.vtl is not None:
            text += f" vtl{self.vtl}"
        if self.reg is not None and self.value is not None:
            text += f" {self.reg}={self.value:#x}"
        return text


def _int(obj: dict[str, Any], key: str, line: int | None) -> int:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TraceError(f"{key!r} must be an integer, got {value!r}", line)
    return value


def _value(raw: Any, reg: str, line: int | None) -> int:
    if isinstance(raw, bool):
        raise TraceError(f"value for {reg} must be an integer or hex string, got {raw!r}", line)
    if isinstance(raw, str):
        try:
            value = int(raw, 0)
        except ValueError:
            raise TraceError(f"value {raw!r} for {reg} is not a number", line) from None
    elif isinstance(raw, int):
        value = raw
    else:
        raise TraceError(f"value for {reg} must be an integer or hex string, got {raw!r}", line)
    width = width_of(reg)
    if not 0 <= value < 1 << (8 * width):
        raise TraceError(f"value {raw!r} does not fit {reg} ({width} bytes)", line)
    return value


def event_from_json(obj: Any, line: int | None = None) -> Event:
    """Validate one decoded JSON object and build the :class:`Event` it describes."""
    if not isinstance(obj, dict):
        raise TraceError(f"expected a JSON object, got {type(obj).__name__}", line)
    if "op" not in obj:
        raise TraceError('missing "op"', line)
    op = OPS_BY_NAME.get(obj["op"]) if isinstance(obj["op"], str) else None
    if op is None:
        known = ", ".join(OPS_BY_NAME)
        raise TraceError(f"unknown op {obj['op']!r} (known: {known})", line)
    needed = ("vp", *op.fields)
    missing = [k for k in needed if k not in obj]
    if missing:
        raise TraceError(f"{op.value}: missing {', '.join(repr(m) for m in missing)}", line)
    extra = sorted(set(obj) - {"op", *needed})
    if extra:
        raise TraceError(f"{op.value}: unexpected key(s) {', '.join(repr(e) for e in extra)}", line)
    vp = _int(obj, "vp", line)
    if vp < 0:
        raise TraceError(f"vp must be >= 0, got {vp}", line)
    vtl = _int(obj, "vtl", line) if "vtl" in obj else None
    if vtl is not None and vtl not in LOWER_VTLS:
        why = "VTL 2 is the paravisor itself" if vtl == 2 else "only VTL 0 and 1 exist below VTL 2"
        raise TraceError(f"vtl must be 0 or 1, got {vtl} ({why})", line)
    if op is Op.ENABLE_VTL and vtl == 0:
        raise TraceError("enable_vtl: VTL 0 is always enabled; only VTL 1 can be enabled", line)
    reg = value = None
    if op is Op.SET:
        if not isinstance(obj["reg"], str):
            raise TraceError(f"'reg' must be a string, got {obj['reg']!r}", line)
        try:
            reg = check_modelled(obj["reg"])
        except KeyError as exc:
            raise TraceError(str(exc), line) from None
        value = _value(obj["value"], reg, line)
    return Event(op, vp, vtl, reg, value, line)


def event_from_line(text: str, line: int | None = None) -> Event:
    """Parse one line of a JSON Lines trace."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceError(f"bad JSON: {exc.msg} at column {exc.colno}", line) from None
    return event_from_json(obj, line)
