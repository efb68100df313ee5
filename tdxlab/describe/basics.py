"""Words for numbers, owners, sources, registers and layouts."""


from __future__ import annotations

from collections.abc import Iterable

from tdxlab.describe._tables import complete
from tdxlab.layout.engine import CACHE_LINE, Layout, Row, RowKind
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform, Register, register
from tdxlab.sources import OV_SNAPSHOT, Source


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
    Owner.PRIVATE: "private: one value per VTL (TLFS Private State, or OpenVMM's where the TLFS is silent)",
    Owner.SHARED: "shared: one value seen by every VTL (TLFS Shared State)",
    Owner.GLOBAL: "global: VP-wide control or exit data, not guest register state",
    Owner.PADDING: "padding: explicit padding declared by the source",
    Owner.RESERVED: "reserved: reserved by the architecture or the source",
    Owner.HOLE: "hole: implicit C ABI padding, present but not declared",
    Owner.MIXED: "mixed: a structure whose members have different owners",
}

complete(OWNER_PHRASES, Owner, "OWNER_PHRASES")

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

    Every view cites this way (``Source.cite(confidence=True)``, the form the layout
    exports use too): unverified facts are marked, and so are the other non-plain
    confidences (computed, asserted, derived ...), so a reader knows how a number was
    obtained, not only where.
    """
    return source.cite(confidence=True)


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


def register_marks(reg: Register) -> str:
    """The marks a register table puts after a register: ``*`` class differs by platform, ``?`` unverified.

    :func:`register_table_legend` says what they mean; the two are kept side by side so a
    new mark cannot appear in a table without its legend.
    """
    return ("*" if differs_by_platform(reg) else "") + ("?" if any(s.unverified for s in reg.sources) else "")


def register_table_legend() -> str:
    """The line under ``tdxlab registers``'s table: the marks, the ``-`` TLFS column, the snapshot."""
    return ("* class differs by platform; ? rests on an unverified source; tlfs '-' = no TLFS "
            "class, OpenVMM's choice is used. `tdxlab registers NAME` cites the sources. "
            f"({snapshot_line()})")


# --- layouts ---------------------------------------------------------------------------------------
def row_tooltip(row: Row, base: int = 0) -> str:
    """What one layout row is, for a byte-grid tooltip or a widget's info line (several lines).

    ``base`` is the absolute offset of the row's structure (e.g. 0x110 for the context
    inside the run page), so the offset shown is where the bytes really are.
    Lines: path; offset, size and type; the owner phrase; the register and its classes;
    the source's note; the citation; an ``UNVERIFIED`` line when the source is.
    """
    start = base + row.offset
    if row.kind is RowKind.BITS:
        where = f"bits {row.bit_range} of the {plural(row.size, 'byte')} at {offset_text(start)}"
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


def structure_listing(layouts: Iterable[Layout]) -> str:
    """The structures as aligned lines (name, size, purpose) and the snapshot (``tdxlab layout --list``)."""
    shown = list(layouts)
    width = max((len(lay.name) for lay in shown), default=0)
    lines = [f"{lay.name:<{width}}  {lay.size:>5} B  {lay.decl.doc}" for lay in shown]
    return "\n".join([*lines, f"({snapshot_line()})"]) + "\n"


__all__ = [
    "OWNER_PHRASES",
    "cache_line_text",
    "cite",
    "cite_all",
    "differs_by_platform",
    "offset_text",
    "owner_legend",
    "owner_phrase",
    "plural",
    "register_class_on",
    "register_classes",
    "register_line",
    "register_marks",
    "register_summary",
    "register_table_legend",
    "row_tooltip",
    "snapshot_line",
    "structure_listing",
    "structure_summary",
    "unverified_note",
]
