"""Pages as real bytes, and a log of who read or wrote which bytes.

Every byte a design moves goes through :class:`Memory`, so the cost accounting
(bytes copied, cache lines and pages touched) is *counted from the protocol
itself* rather than typed in, and a reviewer's variant gets its costs for free.
Logging is optional: long benchmark runs switch it off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from tdxlab.layout.engine import Layout, Row


class Actor(Enum):
    """Who touches the bytes."""

    PARAVISOR = "paravisor (VTL 2 user mode)"
    KERNEL = "kernel (mshv_vtl driver) / TDX module"
    CPU = "hardware on VM entry/exit"


class PageKind(Enum):
    """What a page is for; decides how it is counted in memory costs.

    ``short`` is the stem of the page's role name (``run``, ``vtl1``, ``vmsa0``, ``bank1``),
    the same for every VP, which the cost views and the host analogue group by.
    """

    RUN = ("run page (kernel-shared)", "run")
    VTL_CONTEXT = ("per-VTL context page (kernel-shared)", "vtl")
    VMSA = ("VMSA page", "vmsa")
    BANK = ("paravisor memory (private-register bank)", "bank")
    EXTRA = ("extra page a design file declares (kernel-shared)", "extra")

    def __init__(self, label: str, short: str) -> None:
        self.label = label
        self.short = short


@dataclass(frozen=True)
class PageRole:
    """What a page is, the same for every VP: its kind and, for a per-VTL page, its VTL.

    Typed so that views never parse it back out of a page name such as ``vp0.bank1``;
    ``str(role)`` is that name without the VP (``bank1``).
    """

    kind: PageKind
    vtl: int | None = None

    def __str__(self) -> str:
        """The role's short name, e.g. ``run`` or ``vmsa1``."""
        return self.kind.short + ("" if self.vtl is None else str(self.vtl))


@dataclass
class Page:
    """One page's bytes, read through ``layout`` placed at ``base`` within the page.

    ``data`` covers the layout only (``len == layout.size``); a real page is 4 KiB and
    the rest is unused.  ``vtl`` is set for pages that belong to one VTL.
    """

    name: str
    kind: PageKind
    layout: Layout
    vtl: int | None = None
    data: bytearray = field(default_factory=bytearray)
    counts_as_page: bool = True
    #: The page's role (kind and VTL), the same for every VP; made once, as every logged
    #: access carries it.
    role: PageRole = field(init=False, compare=False)

    def __post_init__(self) -> None:
        """Allocate zeroed bytes for the layout when none were given; fix the role."""
        if not self.data:
            self.data = bytearray(self.layout.size)
        self.role = PageRole(self.kind, self.vtl)

    @classmethod
    def new(cls, vp: int, kind: PageKind, layout: Layout, vtl: int | None = None,
            counts_as_page: bool = True) -> Page:
        """A page of VP ``vp`` named from its role (``vp3.bank1``): the one place names are made."""
        return cls(f"vp{vp}.{PageRole(kind, vtl)}", kind, layout, vtl, counts_as_page=counts_as_page)


@dataclass(frozen=True)
class Slot:
    """Where one register lives: a page and the layout row inside it."""

    page: Page
    row: Row
    # The row's byte range, copied once: reads and writes are the simulator's hot path.
    start: int = field(init=False, repr=False, compare=False)
    end: int = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Cache the row's offsets."""
        object.__setattr__(self, "start", self.row.offset)
        object.__setattr__(self, "end", self.row.offset + self.row.size)
        object.__setattr__(self, "size", self.row.size)

    def read(self) -> int:
        """Little-endian value of the slot."""
        return int.from_bytes(self.page.data[self.start : self.end], "little")

    def write(self, value: int) -> None:
        """Store ``value`` little-endian in the slot."""
        self.page.data[self.start : self.end] = value.to_bytes(self.size, "little")


@dataclass(frozen=True)
class Access:
    """One logged memory access (a read or write of one field)."""

    actor: Actor
    write: bool
    page: str
    role: PageRole
    offset: int
    size: int
    what: str
    copy: bool = False  # part of a copy between two places (a bank switch or VTL-switch copy)


class Memory:
    """Performs and (optionally) logs reads, writes and copies of register slots."""

    def __init__(self, log: bool = True) -> None:
        """``log=False`` skips the access log for speed (benchmarks)."""
        self.log: list[Access] | None = [] if log else None
        #: The step now being applied, remembered as the last writer of each slot so the
        #: checker can name the event that caused a violation.
        self.step = -1
        self.last_writer: dict[tuple[str, int], int] = {}

    def _note(self, actor: Actor, write: bool, slot: Slot, copy: bool) -> None:
        assert self.log is not None
        r = slot.row
        self.log.append(Access(actor, write, slot.page.name, slot.page.role, r.offset, r.size,
                               r.register or r.path, copy))

    def read(self, actor: Actor, slot: Slot) -> int:
        """Read a slot as ``actor``."""
        if self.log is not None:
            self._note(actor, False, slot, False)
        return slot.read()

    def write(self, actor: Actor, slot: Slot, value: int) -> None:
        """Write a slot as ``actor``."""
        if self.log is not None:
            self._note(actor, True, slot, False)
        self.last_writer[(slot.page.name, slot.start)] = self.step
        slot.write(value)

    def copy(self, actor: Actor, src: Slot, dst: Slot) -> None:
        """Copy one register, or one block of them, from ``src`` to ``dst`` (both logged as a copy)."""
        if self.log is not None:
            self._note(actor, False, src, True)
            self._note(actor, True, dst, True)
        self.last_writer[(dst.page.name, dst.start)] = self.step
        if dst.row.register is None:  # a block (an FXSAVE image): every register in it was written
            for row in dst.page.layout.rows_in(dst.start, dst.end):
                if row.register is not None:
                    self.last_writer[(dst.page.name, row.offset)] = self.step
        dst.page.data[dst.start : dst.end] = src.page.data[src.start : src.end]

    def take(self) -> list[Access]:
        """Return and clear the accesses logged so far."""
        if self.log is None:
            return []
        out, self.log = self.log, []
        return out
