"""The one description layer: every sentence tdxlab shows a person is worded here.

The CLI, the notebooks, byte-grid tooltips, widget info lines and error messages
all call these functions instead of formatting their own text, so a register is
described the same way everywhere and a correction (a class, a citation, an
"unverified" mark) lands in every view at once.  This follows pyelftools'
``descriptions.py``: the structures know facts, this module knows words.

The module is organised by topic; add new wording under the matching heading:

* numbers — offsets and counts, in the one format the kit uses (``0x288(648)``);
* owners — the ownership classes of :mod:`tdxlab.owners`;
* sources — citations and the "unverified" marker;
* registers — the catalogue of :mod:`tdxlab.registers`;
* layouts — rows and structures of :mod:`tdxlab.layout`;
* simulation — trace events, isolation violations and simulation steps.

Nothing here imports a plotting or UI library; the simulation types are imported
for type checking only, so ``from tdxlab import describe`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any

from tdxlab.layout.engine import CACHE_LINE, Layout, Row, RowKind
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform, Register, register
from tdxlab.sim.events import Op, StepOutcome
from tdxlab.sources import OV_SNAPSHOT, Confidence, Source

if TYPE_CHECKING:
    from tdxlab.sim.checker import Violation
    from tdxlab.sim.events import Event
    from tdxlab.sim.machine import StepRecord


# --- numbers ---------------------------------------------------------------------------------------
def offset_text(offset: int) -> str:
    """An offset as hex with decimal in parentheses, e.g. ``0x288(648)``.

    Reviewers read hex (it matches the sources and ``gdb ptype /o``); students often
    need the decimal. One compact form, used by every view, avoids two conventions.
    """
    return f"{offset:#x}({offset})"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 byte``, ``3 bytes``: counts in prose without ``(s)``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def cache_line_text(start: int, size: int) -> str:
    """The 64-byte cache line(s) the bytes ``[start, start + size)`` touch, e.g. ``cache lines 4-8``."""
    first, last = start // CACHE_LINE, (start + max(size, 1) - 1) // CACHE_LINE
    return f"cache line {first}" if first == last else f"cache lines {first}-{last}"


# --- owners ----------------------------------------------------------------------------------------
#: One phrase per ownership class: the class name first, so a legend sorts and scans well,
#: then what it means for a VTL, with the TLFS term where the TLFS defines the class.
OWNER_PHRASES: dict[Owner, str] = {
    Owner.PRIVATE: "private: one value per VTL (TLFS Private State)",
    Owner.SHARED: "shared: one value seen by every VTL (TLFS Shared State)",
    Owner.GLOBAL: "global: VP-wide control or exit data, not guest register state",
    Owner.PADDING: "padding: explicit padding declared by the source",
    Owner.RESERVED: "reserved: reserved by the architecture or the source",
    Owner.HOLE: "hole: implicit C ABI padding, present but not declared",
    Owner.MIXED: "mixed: a structure whose members have different owners",
}

#: Legend order: the two classes the kit is about first, then the rest of the page.
_LEGEND_ORDER = (Owner.PRIVATE, Owner.SHARED, Owner.GLOBAL, Owner.PADDING, Owner.RESERVED, Owner.HOLE)


def owner_phrase(owner: Owner) -> str:
    """One phrase saying what an ownership class means, e.g. for a tooltip or legend entry."""
    return OWNER_PHRASES[owner]


def owner_legend() -> list[tuple[Owner, str]]:
    """The classes a byte can have, with their phrases, in the order legends show them.

    ``MIXED`` is left out: it only labels structure headers, never a byte.
    """
    return [(o, OWNER_PHRASES[o]) for o in _LEGEND_ORDER]


# --- sources ---------------------------------------------------------------------------------------
def cite(source: Source) -> str:
    """A citation with its confidence, e.g. ``OV@1488a37b7cfe openhcl/hcl/src/protocol.rs [computed]``.

    :meth:`Source.cite` already marks unverified facts; the other non-plain confidences
    (computed, asserted, derived ...) are added here so a reader knows how a number was
    obtained, not only where.
    """
    text = source.cite()
    if source.confidence not in (Confidence.SOURCED, Confidence.UNVERIFIED):
        text += f" [{source.confidence.value}]"
    return text


def cite_all(sources: Iterable[Source]) -> str:
    """Several citations on one line, separated by semicolons, duplicates dropped."""
    seen: list[str] = []
    for s in sources:
        text = cite(s)
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def unverified_note(sources: Iterable[Source]) -> str:
    """``""`` when every source is confirmed, else a sentence naming the unverified ones."""
    bad = [f"{s.origin.name} {s.where}" for s in sources if s.unverified]
    if not bad:
        return ""
    return f"UNVERIFIED: not confirmed by a retrievable public source ({'; '.join(bad)})."


def snapshot_line() -> str:
    """Which OpenVMM the kit models; every exported table says it."""
    return f"OpenVMM snapshot {OV_SNAPSHOT}"


# --- registers -------------------------------------------------------------------------------------
def differs_by_platform(reg: Register) -> bool:
    """True when OpenVMM classifies the register differently on TDX and SNP (DR6)."""
    return reg.tdx is not reg.snp


def register_classes(reg: Register) -> str:
    """The class on each platform and per the TLFS, e.g. ``private on TDX and SNP; TLFS: private``."""
    if differs_by_platform(reg):
        plat = f"{reg.tdx.value} on TDX, {reg.snp.value} on SNP (differs by platform)"
    else:
        plat = f"{reg.tdx.value} on TDX and SNP"
    tlfs = reg.tlfs.value if reg.tlfs is not None else "no class given (OpenVMM's choice is used)"
    return f"{plat}; TLFS: {tlfs}"


def register_class_on(name: str, platform: Platform) -> str:
    """One phrase for one register on one platform, e.g. ``rsp is private on TDX``."""
    reg = register(name)
    return f"{reg.name} is {reg.owner(platform).value} on {platform.name}"


def register_summary(name: str) -> str:
    """Everything the catalogue knows about one register, in one paragraph.

    Class on TDX and SNP, TLFS class, the catalogue's note and every source cited,
    with an ``UNVERIFIED`` sentence when any source could not be confirmed.  Raises
    :class:`~tdxlab.registers.UnknownRegisterError` (one line) for an unknown name.
    """
    reg = register(name)
    parts = [f"{reg.name} ({reg.group.value}, {plural(reg.width, 'byte')}): {register_classes(reg)}."]
    if reg.note:
        parts.append(f"{reg.note[0].upper()}{reg.note[1:]}.")
    parts.append(f"Sources: {cite_all(reg.sources)}.")
    warn = unverified_note(reg.sources)
    if warn:
        parts.append(warn)
    return " ".join(parts)


def register_line(name: str) -> str:
    """The short form for tooltips: ``register rsp: private on TDX and SNP; TLFS: private``."""
    reg = REGISTERS.get(name)
    if reg is None:  # element names such as a VBS "cr2" slot are still catalogue names
        return f"register {name}"
    return f"register {reg.name}: {register_classes(reg)}"


# --- layouts ---------------------------------------------------------------------------------------
def bits_text(row: Row) -> str:
    """``53:52`` for a bitfield row (msb:lsb, inclusive), ``""`` for any other row."""
    if row.kind is not RowKind.BITS or row.bit_lsb is None or row.bit_width is None:
        return ""
    return f"{row.bit_lsb + row.bit_width - 1}:{row.bit_lsb}"


def row_tooltip(row: Row, base: int = 0) -> str:
    """What one layout row is, for a byte-grid tooltip or a widget's info line (several lines).

    ``base`` is the absolute offset of the row's structure (e.g. 0x110 for the context
    inside the run page), so the offset shown is where the bytes really are.
    Lines: path; offset, size and type; the owner phrase; the register and its classes;
    the source's note; the citation; an ``UNVERIFIED`` line when the source is.
    """
    start = base + row.offset
    if row.kind is RowKind.BITS:
        where = f"bits {bits_text(row)} of the {plural(row.size, 'byte')} at {offset_text(start)}"
    else:
        where = f"offset {offset_text(start)}, {plural(row.size, 'byte')}, {row.type}"
    lines = [row.path, f"{where}, {cache_line_text(start, row.size)}", owner_phrase(row.owner)]
    if row.register:
        lines.append(register_line(row.register))
    if row.note:
        lines.append(row.note)
    lines.append(f"source: {cite(row.source)}")
    warn = unverified_note([row.source])
    if warn:
        lines.append(warn)
    return "\n".join(lines)


def structure_summary(layout: Layout) -> str:
    """One line per structure for listings: name, size and the declaration's doc."""
    return f"{layout.name} ({plural(layout.size, 'byte')}): {layout.decl.doc}"


def hole_phrase(size: int, tail: bool = False) -> str:
    """The pahole wording of an implicit-padding gap."""
    gap = plural(size, "byte")
    return f"XXX {gap} tail padding" if tail else f"XXX {gap} hole, try to pack"


def cacheline_marker(line: int, ago: int = 0) -> str:
    """The pahole marker for a 64-byte boundary; ``ago`` > 0 when a member crossed it."""
    text = f"--- cacheline {line} boundary ({line * CACHE_LINE} bytes)"
    if ago:
        text += f" was {plural(ago, 'byte')} ago"
    return text + " ---"


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
    "OWNER_PHRASES",
    "VIOLATION_KINDS",
    "bits_text",
    "cache_line_text",
    "cacheline_marker",
    "cite",
    "cite_all",
    "describe_event",
    "describe_step",
    "describe_violation",
    "differs_by_platform",
    "hole_phrase",
    "offset_text",
    "owner_legend",
    "owner_phrase",
    "plural",
    "register_class_on",
    "register_classes",
    "register_line",
    "register_summary",
    "row_tooltip",
    "snapshot_line",
    "step_note",
    "structure_summary",
    "unverified_note",
]


# --- cost wording ---------------------------------------------------------------------------------
# Words for the cost model (tdxlab.cost), used by the CLI, the cost explorer and notebook 04.
# Imports are local: importing describe must not pull in the cost model and its micro-traces.
def cost_part_label(part: str) -> str:
    """What one part of the cost of an entry is ("fixed", "copy", "cache" or "tlb")."""
    from tdxlab.cost.timemodel import PART_LABELS

    try:
        return PART_LABELS[part]
    except KeyError:
        raise ValueError(f"unknown cost part {part!r}; known: {', '.join(PART_LABELS)}") from None


def constant_line(name: str, value: float | None = None) -> str:
    """One cost constant in words: value, unit, confidence and source; unverified ones say so."""
    from tdxlab.cost.constants import CONSTANTS

    info = CONSTANTS.get(name)
    if info is None:
        raise ValueError(f"unknown cost constant {name!r}; known: {', '.join(CONSTANTS)}")
    shown = info.default if value is None else value
    flag = " — UNVERIFIED" if info.unverified else (" — assumption" if info.assumption else "")
    stand_in = f"; stand-in: {info.stand_in_for}" if info.stand_in_for else ""
    return f"{info.label}: {shown:g} {info.unit}{flag} ({cite(info.source)}{stand_in})"


def unverified_constants_note() -> str:
    """The sentence every cost view shows about the constants that could not be verified."""
    from tdxlab.cost.constants import unverified_names

    return ("Unverified cost constants (stand-ins or assumptions): " + ", ".join(unverified_names())
            + ". The TDG.VP.ENTER and VMGEXIT round trips use a published VMX figure as a stand-in.")


def design_cost_summary(design: str) -> str:
    """What a design copies and when, and how many pages it needs per VP, in one sentence."""
    from tdxlab.cost.accounting import account

    c = account(design)
    per_entry = (f"copies {c.copy_in_bytes} B in before and {c.copy_out_bytes} B out after every entry"
                 if c.copy_in_bytes or c.copy_out_bytes else "copies nothing per entry")
    per_switch = (f"{c.switch_copy_bytes:g} B ({plural(len(c.switch_copied_regs), 'register')}) on every "
                  "VTL switch" if c.switch_copy_bytes else "nothing on a VTL switch")
    heap = f" plus {c.heap_bytes_per_vp(2)} B of paravisor heap" if c.heap_bytes_per_vp(2) else ""
    pages = plural(c.pages_per_vp(2), "kernel-visible page")
    return f"{c.design} {per_entry} and {per_switch}; it needs {pages} per VP with VTL 1 enabled{heap}."


def break_even_sentence(design: str, others: Iterable[str], vps: int = 1) -> str:
    """Where ``design`` is cheaper than all ``others`` over the VTL-switch fraction, as the model says."""
    from tdxlab.cost.sweep import break_even

    return break_even(design, list(others), vps=vps).sentence()


__all__ += [
    "break_even_sentence",
    "constant_line",
    "cost_part_label",
    "design_cost_summary",
    "unverified_constants_note",
]
