"""A pahole-style text view of a layout, with one extra column: the owner of each member.

It lives in the words layer, not with the layouts: it is a description of a
:class:`~tdxlab.layout.engine.Layout` (pahole's own wording for holes and cache-line
boundaries, plus tdxlab's owners and citations), and the layouts below it know facts only.

Reviewers of kernel ABI structures read ``pahole`` (dwarves) output every day:
``/* offset size */`` per member, ``XXX N bytes hole, try to pack`` for ABI gaps,
``--- cacheline N boundary ---`` markers and a footer of totals.  This view speaks
that language so a reviewer can check tdxlab's layout against their own tools, and
adds what pahole cannot know: whether a member is private to a VTL, shared, global
control data, or padding, and where that fact comes from.

Differences from pahole, on purpose:

* offsets read ``0x288(648)`` (hex as in the sources and ``gdb ptype /o``, decimal
  for students), via :func:`tdxlab.describe.offset_text`;
* nested structures are always expanded, and offsets are absolute (moved by
  ``base``), so a context laid out within the run page shows run-page offsets and
  its cache-line markers fall where the hardware's do;
* arrays whose elements hold different registers (the GPR list) get one line per
  element, because RSP's element is private while its neighbours are shared;
* a bitfield member (a Rust ``bitfield`` newtype) is the integer line followed by
  ``name:width`` sub-lines giving the bit range;
* the footer's ``padding`` counts the source's explicit padding fields (ABI tail
  padding, which pahole calls padding, is listed separately), and adds per-owner
  byte totals, the unverified rows and the source with the OpenVMM snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tdxlab.describe.basics import cite, offset_text, plural, snapshot_line, structure_summary
from tdxlab.layout.engine import CACHE_LINE, Layout, LayoutError, Row, RowKind
from tdxlab.owners import Owner

_INDENT = "    "
#: Footer owner groups, in legend order; padding and reserved are both "no data" bytes.
_OWNER_GROUPS: tuple[tuple[str, frozenset[Owner]], ...] = (
    ("private", frozenset({Owner.PRIVATE})),
    ("shared", frozenset({Owner.SHARED})),
    ("global", frozenset({Owner.GLOBAL})),
    ("padding/reserved", frozenset({Owner.PADDING, Owner.RESERVED})),
    ("hole", frozenset({Owner.HOLE})),
)


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


@dataclass
class _Line:
    """One output line; members carry the comment and owner columns, others are plain text."""

    depth: int
    text: str  # without indentation; for members the name part after the type
    type: str = ""  # member type (padded into a column); "" for non-member lines
    offset: int | None = None
    size: str = ""
    owner: str = ""
    extra: str = ""


@dataclass
class _Frame:
    """An open nesting level while walking the rows."""

    row: Row
    mode: str  # "struct", "array" (per-element registers) or "structs" (array of structures)
    depth: int
    index: int = -1  # current element of an array of structures
    elements: int = 0  # elements printed so far of a per-element array
    count: int = 1
    lines: list[_Line] = field(default_factory=list)


def _inside(row: Row, frame: _Frame) -> bool:
    p = frame.row.path
    return row.path.startswith(p + ".") or row.path.startswith(p + "[")


def _leaf_name(row: Row) -> str:
    return row.path.rsplit(".", 1)[-1]


def _extra(row: Row, name: str) -> str:
    parts = []
    if row.register and row.register != name:
        parts.append(row.register)
    if row.source.unverified:
        parts.append("[unverified]")
    return " ".join(parts)


def _struct_count(row: Row) -> int:
    """Element count of an array-of-structures header, from its type label ``T[n]``."""
    try:
        return int(row.type.rsplit("[", 1)[1].rstrip("]"))
    except (IndexError, ValueError):
        raise LayoutError(f"{row.path}: cannot read the element count from type {row.type!r}") from None


class _Writer:
    """Walks a layout's rows in order and produces the body lines."""

    def __init__(self, layout: Layout, base: int) -> None:
        self.layout = layout
        self.base = base
        self.lines: list[_Line] = []
        self.stack: list[_Frame] = []
        self.last_line = base // CACHE_LINE
        self.arrays = {r.path.rsplit(".", 1)[0] for r in layout.rows if r.kind is RowKind.ELEMENT}

    @property
    def depth(self) -> int:
        """Indentation level of members at the current nesting (root members are at 1)."""
        return self.stack[-1].depth if self.stack else 1

    def member(self, row: Row, name: str, *, offset: int | None = None, size: int | None = None) -> None:
        start = self.base + (row.offset if offset is None else offset)
        self.lines.append(_Line(self.depth, f"{name};", row.type, start,
                                str(row.size if size is None else size), row.owner.value,
                                _extra(row, name)))

    def marker(self, row: Row) -> None:
        start = self.base + row.offset
        line = start // CACHE_LINE
        if line > self.last_line:
            text = cacheline_marker(line, start % CACHE_LINE)
            self.lines.append(_Line(self.depth, f"/* {text} */"))
            self.last_line = line

    def close(self) -> None:
        f = self.stack.pop()
        name = _leaf_name(f.row)
        if f.mode == "struct":
            self.lines.append(_Line(f.depth - 1, f"}} {name};", "", self.base + f.row.offset,
                                    str(f.row.size), f.row.owner.value, _extra(f.row, name)))
        elif f.mode == "structs" and f.index >= 0:
            self._close_element(f)

    def _close_element(self, f: _Frame) -> None:
        esize = f.row.size // f.count
        self.lines.append(_Line(f.depth - 1, f"}} {_leaf_name(f.row)}[{f.index}];", "",
                                self.base + f.row.offset + f.index * esize, str(esize),
                                f.row.owner.value))

    def _enter_element(self, f: _Frame, row: Row) -> None:
        """In an array of structures, open ``struct T {`` when ``row`` starts a new element."""
        rest = row.path[len(f.row.path) + 1 :]
        index = int(rest.split("]", 1)[0])
        if index != f.index:
            if f.index >= 0:
                self._close_element(f)
            f.index = index
            self.lines.append(_Line(f.depth - 1, f"struct {f.row.type.rsplit('[', 1)[0]} {{"))

    def row(self, r: Row) -> None:
        while self.stack and not _inside(r, self.stack[-1]):
            self.close()
        if r.kind is RowKind.BITS:
            # A bitfield sub-line: the integer type it lives in, ``name:width``, its bit range.
            self.lines.append(_Line(self.depth + 1, f"{_leaf_name(r)}:{r.bit_width};", f"u{8 * r.size}",
                                    self.base + r.offset, f"bits {r.bit_range}",
                                    r.owner.value, _extra(r, "")))
            return
        self.marker(r)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.mode == "structs":
            self._enter_element(top, r)
        if r.kind is RowKind.STRUCT:
            if r.path in self.arrays:
                self.stack.append(_Frame(r, "array", self.depth))
            elif r.type.endswith("]"):
                self.stack.append(_Frame(r, "structs", self.depth + 1, count=_struct_count(r)))
            else:
                self.lines.append(_Line(self.depth, f"struct {r.type} {{"))
                self.stack.append(_Frame(r, "struct", self.depth + 1))
        elif r.kind is RowKind.ELEMENT:
            assert top is not None and top.mode == "array"
            self.member(r, f"{_leaf_name(top.row)}[{top.elements}]")
            top.elements += 1
        elif r.kind is RowKind.HOLE:
            if top is None:
                parent_end = self.layout.size
            elif top.mode == "structs":  # the element's end, not the whole array's
                parent_end = top.row.offset + (top.index + 1) * (top.row.size // top.count)
            else:
                parent_end = top.row.end
            text = hole_phrase(r.size, tail=r.end == parent_end)
            self.lines.append(_Line(self.depth, f"/* {text} */", "", self.base + r.offset,
                                    str(r.size), r.owner.value))
        else:
            self.member(r, _leaf_name(r))

    def finish(self) -> list[_Line]:
        while self.stack:
            self.close()
        return self.lines


def _render(lines: list[_Line]) -> list[str]:
    """Align the type, comment and owner columns across all member lines."""
    members = [ln for ln in lines if ln.offset is not None]
    type_w = max((len(ln.type) for ln in members), default=0)
    off_w = max((len(offset_text(ln.offset)) for ln in members if ln.offset is not None), default=0)
    size_w = max((len(ln.size) for ln in members), default=0)
    owner_w = max((len(ln.owner) for ln in members), default=0)

    def left(ln: _Line) -> str:
        head = f"{ln.type:<{type_w}} " if ln.type else ""
        return f"{_INDENT * ln.depth}{head}{ln.text}"

    col = max((len(left(ln)) for ln in members), default=0) + 1
    out = []
    for ln in lines:
        if ln.offset is None:
            out.append(f"{_INDENT * ln.depth}{ln.text}")
            continue
        comment = f"/* {offset_text(ln.offset):>{off_w}} {ln.size:>{size_w}} */"
        tail = f"{ln.owner:<{owner_w}} {ln.extra}".rstrip()
        out.append(f"{left(ln):<{col}}{comment} {tail}")
    return out


def _footer(layout: Layout, base: int) -> list[str]:
    size = layout.size
    first, last = base // CACHE_LINE, (base + size - 1) // CACHE_LINE
    leaves = layout.leaves()
    holes = [r for r in leaves if r.kind is RowKind.HOLE]
    tail = [r for r in holes if r.end == size]
    inner = [r for r in holes if r.end != size]
    by_owner: dict[Owner, int] = {}
    for r in leaves:
        by_owner[r.owner] = by_owner.get(r.owner, 0) + r.size
    totals = [(label, sum(by_owner.get(o, 0) for o in owners)) for label, owners in _OWNER_GROUPS]
    if sum(n for _, n in totals) != size:  # the leaves tile the structure; anything else is a bug
        raise LayoutError(f"{layout.name}: owner totals {totals} do not add up to {size} bytes")
    hole_bytes = sum(r.size for r in holes)
    lines = [
        f"/* size: {size}, cachelines: {last - first + 1}, members: {len(layout.decl.fields)} */",
        f"/* sum members: {size - hole_bytes}, holes: {len(inner)}, "
        f"sum holes: {sum(r.size for r in inner)} */",
    ]
    pad = f"/* padding: {by_owner.get(Owner.PADDING, 0)} (explicit pad fields), " \
          f"reserved: {by_owner.get(Owner.RESERVED, 0)}"
    if tail:
        pad += f", tail padding: {sum(r.size for r in tail)}"
    lines.append(pad + " */")
    lines.append("/* " + ", ".join(f"{label}: {plural(n, 'byte')}" for label, n in totals) + " */")
    if (base + size) % CACHE_LINE:
        lines.append(f"/* last cacheline: {plural((base + size) % CACHE_LINE, 'byte')} */")
    unverified = [r.path for r in layout.rows if r.source.unverified]
    if unverified:
        lines.append(f"/* unverified: {', '.join(unverified)} (not confirmed by a public source; "
                     "marked [unverified] above) */")
    lines.append(f"/* source: {cite(layout.decl.source)}; {snapshot_line()}; "
                 "offsets computed from tdxlab's declarations */")
    return lines


def pahole(layout: Layout, base: int = 0, *, outer: str | None = None) -> str:
    """The pahole-style text of ``layout``, offsets moved by ``base``.

    ``outer`` names the structure ``base`` is measured in (only used in the heading,
    e.g. ``tdx_vp_context`` within ``hcl_run`` at 0x110).  Each member line reads
    ``TYPE NAME; /* OFFSET SIZE */ OWNER [REGISTER] [[unverified]]``.
    """
    if base < 0:
        raise LayoutError(f"base must be >= 0, got {base}")
    writer = _Writer(layout, base)
    for r in layout.rows:
        writer.row(r)
    head = [f"/* {structure_summary(layout)} */"]
    if outer is not None or base:
        where = f"{outer}" if outer is not None else "the enclosing structure"
        head.append(f"/* offsets are {where} offsets: {layout.name} starts at "
                    f"{offset_text(base)} */")
    body = _render([_Line(0, f"struct {layout.name} {{"), *writer.finish(), _Line(0, "};")])
    return "\n".join([*head, *body, "", *_footer(layout, base)]) + "\n"


__all__ = ["cacheline_marker", "hole_phrase", "pahole"]
