"""Trace events: what happens to a VP, one JSON object per line (see docs/trace-format.md).

Parsing checks each event's *shape* (known op, integer VP, a lower VTL of the
partition, known register, value that fits).  Whether an event is *possible* in the current state
(a VTL call with VTL 1 not enabled, a ``set`` for a VTL not running) is checked by
the simulation, which reports it with the same line number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tdxlab.sim.model import DEFAULT_LOWER_VTLS, MAX_VPS, check_modelled, shown, width_of


class Op(Enum):
    """The operations a trace can contain, each with the JSON keys it takes besides ``op`` and ``vp``.

    This enum is the first of the three places an event kind is declared (its shape);
    the second is its rule and handler in :data:`tdxlab.sim.machine.OP_RULES` (when it is
    possible, what it does), the third its wording in :mod:`tdxlab.describe`.  Both
    tables are checked at import to cover every member, so a new kind cannot be half added.
    ``fields`` are required keys, ``optional`` keys may be left out; ``switches`` says
    whether the kind can change the VP's current VTL.
    """

    ENABLE_VTL = ("enable_vtl", ("vtl",), (), False)  # HvCallEnableVpVtl: a higher VTL becomes usable
    SET = ("set", ("vtl", "reg", "value"), (), False)  # the guest running in that VTL leaves `value` in `reg`
    RUN = ("run", (), (), False)  # one entry into the VP's current lower VTL and one exit back to VTL 2
    VTL_CALL = ("vtl_call", (), (), True)  # HvCallVtlCall (0x0011): up to the next higher VTL
    # HvCallVtlReturn (0x0012): down one VTL; not fast: RAX/RCX from the VTL control page
    VTL_RETURN = ("vtl_return", (), ("fast", "rax", "rcx"), True)
    INTERRUPT = ("interrupt", ("vtl",), (), True)  # an interrupt targeted at `vtl` (switches up if higher)
    PV_GET = ("pv_get", ("vtl", "reg"), (), False)  # the paravisor reads `reg` of `vtl`, current or not
    PV_SET = ("pv_set", ("vtl", "reg", "value"), (), False)  # the paravisor writes `reg` of `vtl`

    def __new__(cls, name: str, fields: tuple[str, ...], optional: tuple[str, ...],
                switches: bool) -> Op:
        """The value is the op's name in a trace; ``fields``, ``optional`` and ``switches`` ride along."""
        member = object.__new__(cls)
        member._value_ = name
        member.fields = fields
        member.optional = optional
        member.switches = switches
        return member

    fields: tuple[str, ...]
    optional: tuple[str, ...]
    switches: bool

    @property
    def has_register(self) -> bool:
        """True for the kinds that name a register (``set``, ``pv_get``, ``pv_set``)."""
        return "reg" in self.fields


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
    READ = "read"  # the paravisor read a register of some VTL
    WROTE = "wrote"  # the paravisor wrote a register of some VTL


#: The longest integer literal a trace may hold (a 64-bit value has 20 decimal digits; Python's own
#: limit, 4,300 digits, would be a ValueError naming neither file nor line).
MAX_INT_DIGITS = 40


class TraceError(ValueError):
    """A malformed or impossible trace event; its message names the line and the reason."""

    def __init__(self, reason: str, line: int | None = None, source: str | None = None) -> None:
        """Keep reason, line and file apart so callers can add the file name later."""
        self.reason = reason
        self.line = line
        self.source = source
        where = " ".join(x for x in (source, f"line {line}" if line is not None else None) if x)
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True, slots=True)  # slots: a million events fit in memory, and read faster
class Event:
    """One trace event.  ``line`` is its 1-based line in the trace file, if it came from one."""

    op: Op
    vp: int
    vtl: int | None = None
    reg: str | None = None
    value: int | None = None
    line: int | None = None
    #: ``vtl_return`` only: a fast return (TLFS input bit 0) leaves RAX/RCX alone; ``None``
    #: in a trace means not fast, the TLFS default.
    fast: bool | None = None
    #: ``vtl_return`` only, not fast: the RAX and RCX the higher VTL left in its VP VTL
    #: control page (``HV_VP_VTL_CONTROL``), which the lower VTL gets back; ``None`` = (0, 0).
    control: tuple[int, int] | None = None

    @property
    def is_fast(self) -> bool:
        """True for a fast ``vtl_return`` (RAX/RCX not restored)."""
        return bool(self.fast)

    @property
    def restored(self) -> tuple[int, int]:
        """RAX, RCX a non-fast ``vtl_return`` hands the lower VTL (the control page's values)."""
        return self.control if self.control is not None else (0, 0)

    def to_json(self) -> dict[str, Any]:
        """The event as the JSON object of the trace format (values as hex strings)."""
        obj: dict[str, Any] = {"op": self.op.value, "vp": self.vp}
        if self.vtl is not None:
            obj["vtl"] = self.vtl
        if self.reg is not None:
            obj["reg"] = self.reg
        if self.value is not None:
            obj["value"] = hex(self.value)
        if self.fast is not None:
            obj["fast"] = self.fast
        if self.control is not None:
            obj["rax"], obj["rcx"] = hex(self.control[0]), hex(self.control[1])
        return obj

    def __str__(self) -> str:
        """Compact one-line form, e.g. ``set vp0 vtl0 rip=0x1000``."""
        text = f"{self.op.value} vp{self.vp}"
        if self.vtl is not None:
            text += f" vtl{self.vtl}"
        if self.reg is not None and self.value is not None:
            text += f" {self.reg}={self.value:#x}"
        elif self.reg is not None:
            text += f" {self.reg}"
        if self.fast:
            text += " fast"
        elif self.control is not None:
            text += f" rax={self.control[0]:#x} rcx={self.control[1]:#x}"
        return text


def _int(obj: dict[str, Any], key: str, line: int | None) -> int:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TraceError(f"{key!r} must be an integer, got {shown(value)}", line)
    return value


#: A value written as text: a hex (``0x...``) or decimal number in ASCII digits, nothing else.
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")


def _value(raw: Any, reg: str, line: int | None) -> int:
    if isinstance(raw, bool):
        raise TraceError(f"value for {reg} must be an integer or hex string, got {shown(raw)}", line)
    if isinstance(raw, str):
        # int(text, 0) would also take non-ASCII digits ("١٢"), underscores and spaces
        if len(raw) > MAX_INT_DIGITS + 2 or not _NUMBER.fullmatch(raw):
            raise TraceError(f"value {shown(raw)} for {reg} is not a number (hex 0x... or decimal, "
                             "ASCII digits)", line)
        value = int(raw, 0)
    elif isinstance(raw, int):
        value = raw
    else:
        raise TraceError(f"value for {reg} must be an integer or hex string, got {shown(raw)}", line)
    width = width_of(reg)
    if not 0 <= value < 1 << (8 * width):
        raise TraceError(f"value {shown(raw)} does not fit {reg} ({width} bytes)", line)
    return value


def check_vtl(vtl: int, lower_vtls: int, line: int | None) -> int:
    """``vtl`` if it is a lower VTL of a ``lower_vtls``-VTL partition, else a one-line TraceError."""
    if not 0 <= vtl < lower_vtls:
        top = lower_vtls - 1
        why = (f"VTL {lower_vtls} is the paravisor itself" if vtl == lower_vtls
               else f"a {lower_vtls}-VTL partition has VTL 0..{top} below the paravisor")
        hint = "; declare {\"lower_vtls\": 3} or pass --lower-vtls 3" if lower_vtls == 2 and vtl == 2 else ""
        raise TraceError(f"vtl must be 0..{top}, got {vtl} ({why}{hint})", line)
    return vtl


def event_from_json(obj: Any, line: int | None = None, lower_vtls: int = DEFAULT_LOWER_VTLS) -> Event:
    """Validate one decoded JSON object and build the :class:`Event` it describes.

    ``lower_vtls`` is the partition's number of lower VTLs (from the trace header or the
    caller): a VTL number outside ``0..lower_vtls-1`` is an error naming the line.
    """
    if not isinstance(obj, dict):
        raise TraceError(f"expected a JSON object, got {type(obj).__name__}", line)
    if "op" not in obj:
        hint = (" (a header such as {\"lower_vtls\": 3} may only be the first line)"
                if "lower_vtls" in obj else "")
        raise TraceError(f'missing "op"{hint}', line)
    op = OPS_BY_NAME.get(obj["op"]) if isinstance(obj["op"], str) else None
    if op is None:
        known = ", ".join(OPS_BY_NAME)
        raise TraceError(f"unknown op {shown(obj['op'])} (known: {known})", line)
    needed = ("vp", *op.fields)
    missing = [k for k in needed if k not in obj]
    if missing:
        raise TraceError(f"{op.value}: missing {', '.join(repr(m) for m in missing)}", line)
    extra = sorted(set(obj) - {"op", *needed, *op.optional})
    if extra:
        raise TraceError(f"{op.value}: unexpected key(s) {', '.join(shown(e) for e in extra)}", line)
    vp = _int(obj, "vp", line)
    if vp < 0:
        raise TraceError(f"vp must be >= 0, got {vp}", line)
    if vp >= MAX_VPS:
        raise TraceError(f"vp must be below {MAX_VPS:,} (the most VPs a partition may have), "
                         f"got {vp:,}", line)
    vtl = check_vtl(_int(obj, "vtl", line), lower_vtls, line) if "vtl" in obj else None
    if op is Op.ENABLE_VTL and vtl == 0:
        raise TraceError("enable_vtl: VTL 0 is always enabled; only a higher VTL can be enabled", line)
    reg = value = None
    if op.has_register:
        if not isinstance(obj["reg"], str):
            raise TraceError(f"'reg' must be a string, got {shown(obj['reg'])}", line)
        try:
            reg = check_modelled(obj["reg"])
        except KeyError as exc:
            raise TraceError(str(exc), line) from None
        if "value" in op.fields:
            value = _value(obj["value"], reg, line)
    fast = control = None
    if op is Op.VTL_RETURN:
        fast, control = _return_kind(obj, line)
    return Event(op, vp, vtl, reg, value, line, fast, control)


def _return_kind(obj: dict[str, Any], line: int | None) -> tuple[bool | None, tuple[int, int] | None]:
    """``fast`` and the control page's RAX/RCX of a ``vtl_return`` (TLFS HvCallVtlReturn)."""
    fast = obj.get("fast")
    if "fast" in obj and not isinstance(fast, bool):
        raise TraceError(f"vtl_return: 'fast' must be true or false, got {shown(fast)}", line)
    given = [k for k in ("rax", "rcx") if k in obj]
    if not given:
        return fast, None
    if fast:
        raise TraceError(f"vtl_return: a fast return does not restore RAX/RCX, so "
                         f"{' and '.join(repr(k) for k in given)} cannot be given", line)
    rax = _value(obj.get("rax", 0), "rax", line)
    rcx = _value(obj.get("rcx", 0), "rcx", line)
    return fast, (rax, rcx)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a key given twice is an error (JSON would keep the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


class _Duplicate(Exception):
    """A key given twice in one JSON object (raised inside the decoder, reported by decode_line)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooLong(len(text))
    return int(text)


class _TooLong(Exception):
    """An integer literal longer than :data:`MAX_INT_DIGITS` (raised inside the decoder)."""


def decode_line(text: str, line: int | None = None) -> Any:
    """One line of a JSON Lines trace, decoded; every way it can be bad is a one-line error naming the line.

    Beyond bad JSON: a key given twice in an object (JSON keeps the last, so ``"vp":0,"vp":1`` would run
    VP 1), an integer literal over :data:`MAX_INT_DIGITS` digits, and nesting too deep to decode.
    """
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise TraceError(f"bad JSON: {exc.msg} at column {exc.colno}", line) from None
    except _Duplicate as exc:
        raise TraceError(f"key {shown(exc.args[0])} given twice in one object", line) from None
    except _TooLong as exc:
        raise TraceError(f"integer literal of {exc.args[0]:,} characters: at most {MAX_INT_DIGITS} digits",
                         line) from None
    except RecursionError:
        raise TraceError("JSON nested too deeply to decode (an event is one flat object)", line) from None


def event_from_line(text: str, line: int | None = None, lower_vtls: int = DEFAULT_LOWER_VTLS) -> Event:
    """Parse one line of a JSON Lines trace."""
    return event_from_json(decode_line(text, line), line, lower_vtls)
