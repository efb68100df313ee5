"""The vocabulary for declaring a C structure once, as data.

A declaration is an ordered tuple of :class:`Field` rows, in source order and with
the source's explicit padding fields, exactly as the Rust ``#[repr(C)]`` struct (or
the C struct of the kernel) declares them.  Nothing here computes an offset: that
is :mod:`tdxlab.layout.engine`'s job, which hands the declaration to ``ctypes``.

Bitfield newtypes (``TdxVmFlags``, ``EnterModes`` ...) are declared as the integer
they wrap plus :class:`Bits` sub-rows.  That mirrors how the reference sheet
computed its offsets ("replacing each bitfield newtype by an integer of the same
width") and keeps the byte layout independent of a compiler's bitfield packing.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from enum import Enum

from tdxlab.owners import Owner
from tdxlab.registers import Platform
from tdxlab.sources import Source


class Prim(Enum):
    """Little-endian unsigned integer primitives (the only scalars the sources use)."""

    U8 = ("u8", ctypes.c_uint8, 1)
    U16 = ("u16", ctypes.c_uint16, 2)
    U32 = ("u32", ctypes.c_uint32, 4)
    U64 = ("u64", ctypes.c_uint64, 8)

    def __init__(self, label: str, ctype: type[ctypes._SimpleCData[int]], size: int) -> None:
        self.label = label
        self.ctype = ctype
        self.size = size


@dataclass(frozen=True)
class Blob:
    """An opaque byte string of ``size`` bytes with byte alignment (``[u8; N]`` in Rust).

    Used for 128-bit registers (XMM, ST) that the sources declare as byte arrays.
    """

    size: int

    @property
    def label(self) -> str:
        """C-ish name shown in layout views."""
        return f"u8[{self.size}]"


@dataclass(frozen=True)
class Bits:
    """A named bit range inside an integer field (a Rust ``bitfield`` member)."""

    name: str
    lsb: int
    width: int
    owner: Owner | None = None
    reg: str | None = None
    note: str = ""

    @property
    def msb(self) -> int:
        """Highest bit of the range, inclusive."""
        return self.lsb + self.width - 1


@dataclass(frozen=True)
class Field:
    """One member of a structure, in declaration order.

    Ownership comes from exactly one of: ``reg`` (a register in the catalogue, whose
    class is looked up for the platform), ``elements`` (one register name per array
    element, for arrays whose elements differ, such as the GPR array where RSP is
    private), or an explicit ``owner`` (control, exit and padding data).  A nested
    structure field takes its owners from the inner declaration.
    """

    name: str
    type: Prim | Blob | StructDecl
    count: int = 1
    reg: str | None = None
    owner: Owner | None = None
    elements: tuple[str, ...] = ()
    bits: tuple[Bits, ...] = ()
    source: Source | None = None
    note: str = ""
    #: The source declares this member as ``[u8; N]`` (byte alignment) and casts it to
    #: ``type`` at run time, as ``hcl_run.context`` is cast to ``tdx_vp_context``.
    opaque: bool = False

    def __post_init__(self) -> None:
        """Reject declarations that could not be laid out or classified."""
        if self.count < 1:
            raise ValueError(f"field {self.name}: count must be >= 1")
        if self.elements and len(self.elements) != self.count:
            raise ValueError(f"field {self.name}: {len(self.elements)} element names, count {self.count}")
        if self.opaque and not isinstance(self.type, StructDecl):
            raise ValueError(f"field {self.name}: only a structure can be read from opaque bytes")
        if self.bits and not isinstance(self.type, Prim):
            raise ValueError(f"field {self.name}: bits need an integer field")
        if not isinstance(self.type, StructDecl):
            given = sum(x is not None and x != () for x in (self.reg, self.owner, self.elements or None))
            if given != 1:
                raise ValueError(f"field {self.name}: give exactly one of reg, owner, elements")

    @property
    def type_label(self) -> str:
        """The declared type as shown in layout views, e.g. ``u64[16]``."""
        base = self.type.name if isinstance(self.type, StructDecl) else self.type.label
        return base if self.count == 1 else f"{base}[{self.count}]"


def pad(name: str, size: int, source: Source | None = None, note: str = "") -> Field:
    """An explicit padding field of the source (``padN: [u8; size]``)."""
    return Field(name, Prim.U8, size, owner=Owner.PADDING, source=source, note=note)


def reserved(name: str, size: int, source: Source | None = None, note: str = "") -> Field:
    """A reserved field of the source (architecturally reserved bytes)."""
    return Field(name, Prim.U8, size, owner=Owner.RESERVED, source=source, note=note)


@dataclass(frozen=True)
class StructDecl:
    """A structure declared once, as data.

    ``asserted_size`` and ``asserted_offsets`` hold the values the *source itself*
    asserts at compile time; building the layout checks them, as the Rust ``const``
    assertions do.  ``packed`` mirrors ``#[repr(C, packed)]``.
    """

    name: str
    fields: tuple[Field, ...]
    source: Source
    doc: str
    platform: Platform = Platform.TDX
    packed: bool = False
    asserted_size: int | None = None
    asserted_offsets: tuple[tuple[str, int], ...] = field(default_factory=tuple)
