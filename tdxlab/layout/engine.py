"""Turn a :class:`~tdxlab.layout.declare.StructDecl` into offsets, owners and byte access.

Mechanism: the standard library's :mod:`ctypes` computes the C ABI layout (the
same rules ``#[repr(C)]`` follows on x86-64: natural alignment, tail padding to
the largest member alignment).  We build a ``ctypes.LittleEndianStructure`` from the
declaration and read each member's ``offset`` and ``size`` back, rather than
re-implementing alignment arithmetic by hand; a differential test compiles the
same declarations with gcc and compares against gdb's ``ptype /o``.

From those offsets we derive the flat row list every view uses: one row per leaf
member (array elements split when they hold different registers), bitfield
sub-rows, and ``HOLE`` rows for implicit padding, so that the leaves tile the
structure byte for byte.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
from dataclasses import dataclass
from enum import Enum

import numpy as np

from tdxlab.layout.declare import Blob, Field, Prim, StructDecl
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform
from tdxlab.sources import Confidence, Origin, Source

CACHE_LINE = 64
PAGE = 4096

_ABI_SOURCE = Source(Origin.TDXLAB, "C ABI padding computed by ctypes", Confidence.COMPUTED)


class RowKind(Enum):
    """What a layout row stands for."""

    STRUCT = "struct"  # header of a nested structure (spans its members)
    FIELD = "field"  # a leaf member (scalar or uniform array)
    ELEMENT = "element"  # one element of an array whose elements differ
    BITS = "bits"  # a bit range inside a FIELD (overlaps it)
    HOLE = "hole"  # implicit padding inserted by the ABI


@dataclass(frozen=True)
class Row:
    """One flattened row of a layout; offsets are relative to the laid-out root."""

    path: str
    offset: int
    size: int
    type: str
    owner: Owner
    kind: RowKind
    depth: int
    source: Source
    register: str | None = None
    bit_lsb: int | None = None
    bit_width: int | None = None
    note: str = ""

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.offset + self.size

    @property
    def is_leaf(self) -> bool:
        """True for rows that own bytes exclusively (they tile the structure)."""
        return self.kind in (RowKind.FIELD, RowKind.ELEMENT, RowKind.HOLE)

    @property
    def bit_range(self) -> str:
        """``53:52`` for a bitfield row (msb:lsb, inclusive, as sources and pahole write it), else ``""``."""
        if self.kind is not RowKind.BITS or self.bit_lsb is None or self.bit_width is None:
            return ""
        return f"{self.bit_lsb + self.bit_width - 1}:{self.bit_lsb}"

    def cache_lines(self) -> range:
        """Indices of the 64-byte cache lines this row touches."""
        return range(self.offset // CACHE_LINE, (self.end - 1) // CACHE_LINE + 1)


class LayoutError(ValueError):
    """A declaration contradicts a value its source asserts, or a lookup failed."""


def _ctype(f: Field) -> type[ctypes._CData]:
    base: type[ctypes._CData]
    if isinstance(f.type, StructDecl):
        inner = _compile(f.type)
        base = ctypes.c_uint8 * ctypes.sizeof(inner) if f.opaque else inner
    elif isinstance(f.type, Blob):
        base = ctypes.c_uint8 * f.type.size
    else:
        base = f.type.ctype
    return base * f.count if f.count > 1 else base


@functools.cache
def _compile(decl: StructDecl) -> type[ctypes.LittleEndianStructure]:
    attrs: dict[str, object] = {"_fields_": [(f.name, _ctype(f)) for f in decl.fields]}
    if decl.packed:
        attrs["_pack_"] = 1
        attrs["_layout_"] = "ms"
    return type(decl.name, (ctypes.LittleEndianStructure,), attrs)


def _field_owner(f: Field, reg: str | None, platform: Platform) -> Owner:
    if reg is not None:
        if reg not in REGISTERS:
            raise LayoutError(f"field {f.name}: register {reg!r} is not in the catalogue")
        return REGISTERS[reg].owner(platform)
    assert f.owner is not None
    return f.owner


def _bits_rows(
    f: Field, path: str, offset: int, depth: int, platform: Platform, source: Source
) -> list[Row]:
    rows = []
    width = f.type.size * 8 if isinstance(f.type, Prim) else 0
    for b in f.bits:
        if b.msb >= width:
            raise LayoutError(f"{path}.{b.name}: bits {b.msb}:{b.lsb} exceed {width}-bit field")
        owner = b.owner or (_field_owner(f, b.reg, platform) if b.reg else _field_owner(f, f.reg, platform))
        rows.append(Row(
            f"{path}.{b.name}", offset, f.type.size if isinstance(f.type, Prim) else 0,
            f"bits {b.msb}:{b.lsb}", owner, RowKind.BITS, depth + 1, source,
            b.reg, b.lsb, b.width, b.note,
        ))
    return rows


def _flatten(
    decl: StructDecl, prefix: str, base: int, depth: int, platform: Platform, src: Source
) -> list[Row]:
    cls = _compile(decl)
    rows: list[Row] = []
    cursor = base
    for f in decl.fields:
        member = getattr(cls, f.name)
        off, size = base + member.offset, member.size
        path = f"{prefix}{f.name}"
        source = f.source or src
        if off > cursor:
            rows.append(_hole(prefix, cursor, off, depth, f"before {f.name}"))
        if isinstance(f.type, StructDecl):
            rows.append(Row(path, off, size, f.type_label, Owner.MIXED, RowKind.STRUCT, depth,
                            f.type.source, note=f.note or f.type.doc))
            inner = ctypes.sizeof(_compile(f.type))
            for i in range(f.count):
                sub = f"{path}[{i}]." if f.count > 1 else f"{path}."
                rows += _flatten(f.type, sub, off + i * inner, depth + 1, platform, f.type.source)
        elif f.elements:
            esize = size // f.count
            rows.append(Row(path, off, size, f.type_label, Owner.MIXED, RowKind.STRUCT, depth,
                            source, note=f.note))
            base_label = f.type.label
            for i, reg in enumerate(f.elements):
                rows.append(Row(f"{path}.{reg}", off + i * esize, esize, base_label,
                                _field_owner(f, reg, platform), RowKind.ELEMENT, depth + 1,
                                source, register=reg))
        else:
            rows.append(Row(path, off, size, f.type_label, _field_owner(f, f.reg, platform),
                            RowKind.FIELD, depth, source, register=f.reg, note=f.note))
            rows += _bits_rows(f, path, off, depth, platform, source)
        cursor = off + size
    end = base + ctypes.sizeof(cls)
    if end > cursor:
        rows.append(_hole(prefix, cursor, end, depth, "tail padding"))
    return rows


def _hole(prefix: str, start: int, end: int, depth: int, where: str) -> Row:
    return Row(f"{prefix}<hole@{start:#x}>", start, end - start, f"u8[{end - start}]",
               Owner.HOLE, RowKind.HOLE, depth, _ABI_SOURCE, note=f"implicit padding {where}")


def _settle_headers(rows: list[Row]) -> tuple[Row, ...]:
    """Give each structure header the owner of its members when they all agree."""
    out = []
    for r in rows:
        if r.kind is RowKind.STRUCT:
            owners = {x.owner for x in rows if x.is_leaf and r.offset <= x.offset < r.end
                      and x.path.startswith(r.path + ".") and x.owner is not Owner.HOLE}
            if len(owners) == 1:
                r = dataclasses.replace(r, owner=owners.pop())
        out.append(r)
    return tuple(out)


class Layout:
    """The derived layout of one declaration: rows, owners per byte, and byte access."""

    def __init__(self, decl: StructDecl) -> None:
        """Lay ``decl`` out and check the values its source asserts."""
        self.decl = decl
        self.size = ctypes.sizeof(_compile(decl))
        self.rows: tuple[Row, ...] = _settle_headers(
            _flatten(decl, "", 0, 0, decl.platform, decl.source)
        )
        self._by_path = {r.path: r for r in self.rows}
        self._by_reg: dict[str, Row] = {}
        for r in self.rows:
            if r.register and r.kind is not RowKind.BITS:
                self._by_reg.setdefault(r.register, r)
        self._check_assertions()

    def _check_assertions(self) -> None:
        if self.decl.asserted_size is not None and self.size != self.decl.asserted_size:
            raise LayoutError(
                f"{self.decl.name}: size {self.size} but the source asserts {self.decl.asserted_size}"
            )
        for path, offset in self.decl.asserted_offsets:
            got = self.row(path).offset
            if got != offset:
                raise LayoutError(
                    f"{self.decl.name}.{path}: offset {got:#x} but the source asserts {offset:#x}"
                )

    @property
    def name(self) -> str:
        """The declared structure name."""
        return self.decl.name

    def leaves(self) -> list[Row]:
        """Rows that own bytes exclusively; they tile ``[0, size)`` in order."""
        return [r for r in self.rows if r.is_leaf]

    def row(self, path: str) -> Row:
        """Look a row up by dotted path, with a one-line error naming close matches."""
        try:
            return self._by_path[path]
        except KeyError:
            near = [p for p in self._by_path if path.split(".")[-1] in p][:5]
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise LayoutError(f"{self.name} has no field {path!r}{hint}") from None

    def has(self, path: str) -> bool:
        """True if ``path`` names a row of this layout."""
        return path in self._by_path

    def register_row(self, reg: str) -> Row | None:
        """The row holding register ``reg`` in this structure, if it carries it."""
        return self._by_reg.get(reg)

    def registers(self) -> list[str]:
        """Registers this structure carries, in layout order."""
        return list(self._by_reg)

    def base_of(self, struct_name: str) -> int:
        """Offset at which the first nested ``struct_name`` sits (for ``--within``)."""
        if struct_name == self.name:
            return 0
        for r in self.rows:
            if r.kind is RowKind.STRUCT and r.type == struct_name:
                return r.offset
        raise LayoutError(f"{struct_name} is not inside {self.name}")

    def row_at(self, offset: int) -> Row:
        """The leaf row owning byte ``offset``."""
        for r in self.leaves():
            if r.offset <= offset < r.end:
                return r
        raise LayoutError(f"offset {offset:#x} is outside {self.name} ({self.size} bytes)")

    @functools.cached_property
    def _leaf_map(self) -> tuple[tuple[Row, ...], np.ndarray]:
        leaves = tuple(self.leaves())
        index = np.zeros(self.size, dtype=np.int32)
        for i, r in enumerate(leaves):
            index[r.offset : r.end] = i
        return leaves, index

    def rows_in(self, start: int, end: int) -> list[Row]:
        """The leaf rows overlapping bytes ``[start, end)``, in order (for naming changed bytes)."""
        leaves, index = self._leaf_map
        if start >= end:
            return []
        ids = np.unique(index[max(start, 0) : min(end, self.size)])
        return [leaves[i] for i in ids]

    def owner_bytes(self) -> np.ndarray:
        """One owner code per byte (index into ``list(Owner)``), for byte grids."""
        codes = np.zeros(self.size, dtype=np.uint8)
        order = list(Owner)
        for r in self.leaves():
            codes[r.offset : r.end] = order.index(r.owner)
        return codes

    def dtype(self) -> np.dtype:
        """A numpy structured dtype over the leaves, for zero-copy field views."""
        leaves = [r for r in self.leaves() if r.kind is not RowKind.HOLE]
        fmts = [f"<u{r.size}" if r.size in (1, 2, 4, 8) and "[" not in r.type else f"V{r.size}"
                for r in leaves]
        return np.dtype({"names": [r.path for r in leaves], "formats": fmts,
                         "offsets": [r.offset for r in leaves], "itemsize": self.size})

    def read(self, buf: bytes | bytearray | memoryview, path: str, base: int = 0) -> int:
        """Read the little-endian value of field ``path`` from ``buf`` at ``base``."""
        r = self.row(path)
        raw = int.from_bytes(buf[base + r.offset : base + r.end], "little")
        if r.kind is RowKind.BITS:
            assert r.bit_lsb is not None and r.bit_width is not None
            return (raw >> r.bit_lsb) & ((1 << r.bit_width) - 1)
        return raw

    def write(self, buf: bytearray | memoryview, path: str, value: int, base: int = 0) -> None:
        """Write ``value`` into field ``path``; out-of-range values are an error, not truncated."""
        r = self.row(path)
        if r.kind is RowKind.BITS:
            assert r.bit_lsb is not None and r.bit_width is not None
            if not 0 <= value < (1 << r.bit_width):
                raise LayoutError(f"{path}: {value:#x} does not fit {r.bit_width} bits")
            raw = int.from_bytes(buf[base + r.offset : base + r.end], "little")
            mask = ((1 << r.bit_width) - 1) << r.bit_lsb
            value = (raw & ~mask) | (value << r.bit_lsb)
        elif not 0 <= value < (1 << (8 * r.size)):
            raise LayoutError(f"{path}: {value:#x} does not fit {r.size} bytes")
        buf[base + r.offset : base + r.end] = value.to_bytes(r.size, "little")


@functools.cache
def layout_of(decl: StructDecl) -> Layout:
    """The (cached) layout of a declaration."""
    return Layout(decl)


__all__ = ["CACHE_LINE", "PAGE", "Layout", "LayoutError", "Row", "RowKind", "layout_of"]
