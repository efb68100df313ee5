"""A layout as a flat table: one record per byte-owning row, for CSV, JSON and pandas.

The records are the leaves of :meth:`Layout.leaves` (fields, array elements and the
ABI holes between them, which tile the structure byte for byte) plus, on request,
the bitfield rows, flagged ``kind == "bits"`` because they overlap the integer that
holds them.  Offsets are taken from the layout engine and moved by ``base`` only,
so a table never states an offset the declarations did not produce.

``within`` places a structure inside the one that contains it (``tdx_vp_context``
within ``hcl_run`` starts at 0x110), which is how the run-page offsets used by
reviewers are obtained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tdxlab.layout.catalog import get
from tdxlab.layout.engine import CACHE_LINE, Layout, Row, RowKind
from tdxlab.owners import Owner
from tdxlab.sources import Source

#: Column order of :func:`layout_frame` and of ``tdxlab layout --format csv``:
#: the columns every consumer relies on first, then the detail.
COLUMNS: tuple[str, ...] = (
    "name", "offset", "offset_hex", "size", "type", "owner", "register", "cache_line",
    "cache_line_last", "kind", "bits", "source", "unverified", "note",
)  # fmt: skip


@dataclass(frozen=True)
class LayoutRecord:
    """One row of a layout table; ``offset`` is already moved by the table's base."""

    name: str  # dotted path, e.g. "gpr_list.gps.rsp"
    offset: int
    size: int
    type: str
    owner: Owner
    register: str | None
    cache_line: int  # first 64-byte line touched, counting from offset 0 of the table
    source: Source
    note: str
    kind: RowKind
    bits: str | None  # "53:52" on bitfield rows

    @property
    def offset_hex(self) -> str:
        """The offset in hex, the form the sources and gdb use."""
        return f"{self.offset:#x}"

    @property
    def cache_line_last(self) -> int:
        """Last 64-byte line touched (equal to :attr:`cache_line` for small fields)."""
        return (self.offset + max(self.size, 1) - 1) // CACHE_LINE

    @property
    def unverified(self) -> bool:
        """True when the row's source could not be confirmed; exports carry the flag."""
        return self.source.unverified

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values keyed by :data:`COLUMNS` (enums as their values, source cited)."""
        return {
            "name": self.name,
            "offset": self.offset,
            "offset_hex": self.offset_hex,
            "size": self.size,
            "type": self.type,
            "owner": self.owner.value,
            "register": self.register or "",
            "cache_line": self.cache_line,
            "cache_line_last": self.cache_line_last,
            "kind": self.kind.value,
            "bits": self.bits or "",
            "source": self.source.cite(confidence=True),
            "unverified": self.unverified,
            "note": self.note,
        }


def _record(row: Row, base: int) -> LayoutRecord:
    offset = base + row.offset
    return LayoutRecord(
        name=row.path, offset=offset, size=row.size, type=row.type, owner=row.owner,
        register=row.register, cache_line=offset // CACHE_LINE, source=row.source, note=row.note,
        kind=row.kind, bits=row.bit_range or None,
    )


def layout_records(layout: Layout, base: int = 0, *, bits: bool = True) -> list[LayoutRecord]:
    """The leaf rows (holes included, owner ``hole``) and, if ``bits``, the bitfield rows.

    Records are in layout order; a bitfield row follows the integer field it lives in.
    Without ``bits`` the records tile ``[base, base + size)`` exactly, so summing
    ``size`` per owner gives byte counts.
    """
    if base < 0:
        raise ValueError(f"base must be >= 0, got {base}")
    keep = {RowKind.FIELD, RowKind.ELEMENT, RowKind.HOLE} | ({RowKind.BITS} if bits else set())
    return [_record(r, base) for r in layout.rows if r.kind in keep]


def resolve(name_or_layout: str | Layout, within: str | None = None) -> tuple[Layout, int]:
    """The layout named (or given) and its base offset inside ``within`` (0 without it).

    Raises :class:`~tdxlab.layout.engine.LayoutError` (one line) for an unknown name or
    when ``within`` does not contain the structure.
    """
    layout = get(name_or_layout) if isinstance(name_or_layout, str) else name_or_layout
    if within is None:
        return layout, 0
    return layout, get(within).base_of(layout.name)


def layout_frame(name_or_layout: str | Layout, within: str | None = None, *,
                 bits: bool = False) -> pd.DataFrame:
    """The layout as a DataFrame with the columns of :data:`COLUMNS`, one row per record.

    Offsets are integers relative to the structure, or to ``within`` when given
    (``layout_frame("tdx_vp_context", within="hcl_run")`` shows run-page offsets);
    ``offset_hex`` is the same number formatted.  Bitfield rows are left out by
    default so that the rows tile the structure and ``groupby("owner")["size"].sum()``
    counts bytes; pass ``bits=True`` to include them (``kind == "bits"``).
    """
    layout, base = resolve(name_or_layout, within)
    rows = [r.as_dict() for r in layout_records(layout, base, bits=bits)]
    return pd.DataFrame(rows, columns=list(COLUMNS))


__all__ = ["COLUMNS", "LayoutRecord", "layout_frame", "layout_records", "resolve"]
