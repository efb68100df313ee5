"""Words for numbers, owners, sources, registers and layouts."""


from __future__ import annotations

from collections.abc import Iterable

from tdxlab.layout.engine import CACHE_LINE, Layout, Row, RowKind
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform, Register, register
from tdxlab.sources import OV_SNAPSHOT, Confidence, Source


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

__all__ = [
    "OWNER_PHRASES",
    "bits_text",
    "cache_line_text",
    "cacheline_marker",
    "cite",
    "cite_all",
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
    "structure_summary",
    "unverified_note",
]
