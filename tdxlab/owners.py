"""Who owns a byte: the classes every field and register is sorted into.

The TLFS (Virtual Secure Mode) splits per-VP state into *private* (one value per
VTL) and *shared* (one value for all VTLs).  A run page also carries data that is
neither, such as exit information and kernel control flags: that is *global*.
Padding and reserved bytes get their own classes so that a byte grid accounts
for every byte of a page.
"""

from __future__ import annotations

from enum import Enum


class Owner(Enum):
    """Ownership class of a register or a byte range."""

    SHARED = "shared"  # one value seen by all VTLs (TLFS Shared State)
    PRIVATE = "private"  # one value per VTL (TLFS Private State)
    GLOBAL = "global"  # VP-wide control or exit data, not guest register state
    PADDING = "padding"  # explicit padding declared by the source
    RESERVED = "reserved"  # reserved by the architecture or the source
    HOLE = "hole"  # implicit C ABI padding (not declared, but present)
    MIXED = "mixed"  # only on structure header rows whose members differ in owner

    @property
    def is_filler(self) -> bool:
        """True for bytes that hold no data (padding, reserved, ABI holes)."""
        return self in (Owner.PADDING, Owner.RESERVED, Owner.HOLE)
