"""Cost accounting counted from the protocol itself, never typed in.

Every byte a design moves goes through :class:`tdxlab.sim.memory.Memory`, which logs
one :class:`~tdxlab.sim.memory.Access` per field touched (who, read or write, which
page, offset, size, and whether it was part of a copy).  This module runs a design
through :class:`tdxlab.sim.machine.Simulation` with ``record=True`` on three
canonical micro-traces and adds those records up:

* an **entry without a VTL switch** (one ``run`` in VTL 0);
* an **entry preceded by a VTL switch** (``vtl_call`` then ``run`` in VTL 1, and
  ``vtl_return`` then ``run`` in VTL 0; the two directions are averaged).  The return is
  a fast one: a non-fast return adds the same two register writes (RAX and RCX from the
  VP VTL control page) to every design, so it would not tell the designs apart;
* **VP creation and enabling VTL 1**, for memory per VP (the pages the design's
  ``create``/``add_vtl`` allocate).

The same counts are taken once per VTL count (:class:`VtlCount`, :meth:`DesignCosts.at_vtls`),
each on a simulation of that size, so that "the bytes per entry and per switch do not depend on
how many lower VTLs there are" is measured rather than assumed:

* **1** (VTL 0 only): a 2-VTL partition whose VTL 1 is never enabled, one warm-up ``run`` and one
  measured ``run``; there is no switch to count;
* **2**: the micro-traces above (the same steps, so the same numbers);
* **3**: a 3-VTL partition (``lower_vtls=3``), VTL 1 and VTL 2 enabled, each VTL run once as the
  warm-up, then a ``run`` in VTL 0 and every switch up (0 -> 1, 1 -> 2) and back down, each
  followed by a ``run``.

A warm-up first runs each VTL once so that one-time work (clearing the first
entry's TLB-flush request) is not charged to every entry.

Because the numbers come from the access log, a reviewer's variant
(``DESIGNS[key].variant(...)``) gets its costs with no extra code.

Conventions (stated once, used by every view):

* *cache lines* are distinct 64-byte lines per page, from each access's offset and
  size; page layouts start at page offset 0 for every page this model allocates
  (run page, per-VTL context page, VMSA), so layout offsets are page offsets.  The
  paravisor's private-register bank is a small struct in user memory; it is
  assumed to start on a 64-byte boundary.
* *pages touched* (TLB entries) are distinct pages named in the log, the bank
  counted as its own page: an upper bound, since OpenVMM keeps ``TdxPrivateRegs``
  inside per-VP user-mode state the run loop touches anyway.
* *kernel* bytes include the TDX module's and, for ``snp``, the CPU's own
  load/save of the guest state (:attr:`~tdxlab.sim.memory.Actor.CPU`).
* *memory per VP* counts kernel-visible pages (run page, per-VTL context pages,
  VMSAs) and, separately, paravisor heap bytes (the banks).  Pages that are the
  same in every TDX design are left out: the VTL 0 kernel APIC page and the VTL 1
  user-mode APIC page (one per VTL in all of them: openvmm #775, #985) and the TDX
  module's per-L2-VM TDVPS pages (domain-facts 3.6).  The ``snp`` design likewise
  leaves out its interrupt-state pages, which this model does not simulate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import overload

import pandas as pd

from tdxlab.layout.engine import CACHE_LINE, PAGE
from tdxlab.registers import Platform
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.events import Event, Op, StepOutcome
from tdxlab.sim.machine import SimResult, Simulation
from tdxlab.sim.memory import Access, Actor, PageKind, PageRole
from tdxlab.sim.model import MAX_LOWER_VTLS

#: Warm-up: enable VTL 1, then run VTL 0, VTL 1, VTL 0 once each (first-entry work done).
WARMUP: tuple[Event, ...] = (
    Event(Op.ENABLE_VTL, 0, 1),
    Event(Op.RUN, 0),
    Event(Op.VTL_CALL, 0),
    Event(Op.RUN, 0),
    Event(Op.VTL_RETURN, 0, fast=True),
    Event(Op.RUN, 0),
)


@dataclass(frozen=True)
class Tally:
    """What a list of logged accesses adds up to.

    Byte counts are sums of field sizes; ``copied`` counts the bytes *written* by
    copies (so a 90-byte copy adds 90, not 180); ``lines`` holds (page role name,
    line start offset) pairs and ``pages`` page role names (``str`` of the typed
    :class:`~tdxlab.sim.memory.PageRole` each access carries: ``run``, ``vtl1``, ``bank0``).
    """

    accesses: int = 0
    paravisor_read: int = 0
    paravisor_write: int = 0
    kernel_read: int = 0
    kernel_write: int = 0
    copied: int = 0
    copied_fields: int = 0
    lines: frozenset[tuple[str, int]] = frozenset()
    pages: frozenset[str] = frozenset()
    copied_what: tuple[str, ...] = ()

    @property
    def cache_lines(self) -> int:
        """Distinct 64-byte cache lines touched."""
        return len(self.lines)

    @property
    def pages_touched(self) -> int:
        """Distinct pages touched (TLB entries)."""
        return len(self.pages)

    def lines_on(self, role: str) -> list[int]:
        """Start offsets of the lines touched on page ``role``, ascending."""
        return sorted(off for page, off in self.lines if page == role)

    def __or__(self, other: Tally) -> Tally:
        """Two tallies back to back: sums add, distinct lines and pages unite."""
        return Tally(
            self.accesses + other.accesses,
            self.paravisor_read + other.paravisor_read,
            self.paravisor_write + other.paravisor_write,
            self.kernel_read + other.kernel_read,
            self.kernel_write + other.kernel_write,
            self.copied + other.copied,
            self.copied_fields + other.copied_fields,
            self.lines | other.lines,
            self.pages | other.pages,
            self.copied_what + other.copied_what,
        )


def tally(accesses: Iterable[Access]) -> Tally:
    """Add up logged accesses (see :class:`Tally` for what each number means)."""
    n = pr = pw = kr = kw = copied = copied_fields = 0
    lines: set[tuple[str, int]] = set()
    pages: set[str] = set()
    what: list[str] = []
    for a in accesses:
        n += 1
        role = str(a.role)
        if a.actor is Actor.PARAVISOR:
            if a.write:
                pw += a.size
            else:
                pr += a.size
        elif a.write:
            kw += a.size
        else:
            kr += a.size
        if a.copy and a.write:
            copied += a.size
            copied_fields += 1
            what.append(a.what)
        pages.add(role)
        first, last = a.offset // CACHE_LINE, (a.offset + a.size - 1) // CACHE_LINE
        lines.update((role, i * CACHE_LINE) for i in range(first, last + 1))
    return Tally(n, pr, pw, kr, kw, copied, copied_fields, frozenset(lines), frozenset(pages),
                 tuple(what))


def entry_phases(accesses: Sequence[Access]) -> tuple[list[Access], list[Access], list[Access]]:
    """Split one ``run`` step's log into paravisor-before, kernel/CPU, paravisor-after.

    The order of the log is the order of the protocol: the paravisor's work before
    the first kernel/CPU access is ``before_entry`` (e.g. ``write_private_regs``), the
    paravisor's work after the last one is ``after_exit`` (``read_private_regs``).
    """
    kernel = [i for i, a in enumerate(accesses) if a.actor is not Actor.PARAVISOR]
    if not kernel:
        return list(accesses), [], []
    lo, hi = kernel[0], kernel[-1] + 1
    return list(accesses[:lo]), list(accesses[lo:hi]), list(accesses[hi:])


@dataclass(frozen=True)
class PageInfo:
    """One page (or heap struct) a design allocates per VP."""

    role: PageRole
    layout: str
    used_bytes: int
    counts_as_page: bool

    @property
    def kind(self) -> PageKind:
        """What the page is for (from its role)."""
        return self.role.kind

    @property
    def vtl(self) -> int | None:
        """The VTL the page belongs to, if one (from its role)."""
        return self.role.vtl


@dataclass(frozen=True)
class DesignCosts:
    """The counts of one design, derived from its protocol's access log.

    Per-entry numbers at a VTL-switch fraction ``f`` mix the two entry kinds:
    ``(1 - f) * entry + f * switch_entry`` (see :meth:`per_entry`).
    """

    design: str
    title: str
    platform: Platform
    is_variant: bool
    private: frozenset[str]
    entry: Tally
    before_entry: Tally
    kernel: Tally
    after_exit: Tally
    switch_up: Tally
    switch_down: Tally
    switch_entry_up: Tally
    switch_entry_down: Tally
    cycle: Tally
    enable_vtl: Tally
    switch_copied_regs: tuple[str, ...]
    pages: tuple[PageInfo, ...]
    #: What one VP costs at each VTL count, ``by_vtls[n - 1]`` for ``n`` = 1..MAX_LOWER_VTLS
    #: (one entry per count, not one field per count, so a fourth VTL is one more row).
    by_vtls: tuple[VtlCount, ...]
    raw: dict[str, tuple[Access, ...]] = field(default_factory=dict, compare=False, repr=False)

    # --- per entry -------------------------------------------------------------------------
    @property
    def copy_in_bytes(self) -> int:
        """Bytes the paravisor copies into kernel-visible memory before an entry."""
        return self.before_entry.copied

    @property
    def copy_out_bytes(self) -> int:
        """Bytes the paravisor copies out after the exit."""
        return self.after_exit.copied

    @property
    def switch_copy_bytes(self) -> float:
        """Bytes copied by the VTL switch itself (mean of both directions)."""
        return (self.switch_up.copied + self.switch_down.copied) / 2

    def _mix(self, plain: float, up: float, down: float, f: float) -> float:
        return (1 - f) * plain + f * (up + down) / 2

    def per_entry(self, switch_fraction: float = 0.0) -> EntryCounts:
        """Expected counts per entry when a fraction of entries follow a VTL switch."""
        f = switch_fraction
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"switch fraction must be within 0..1, got {f!r}")
        e, u, d = self.entry, self.switch_entry_up, self.switch_entry_down
        return EntryCounts(
            bytes_copied=self._mix(e.copied, u.copied, d.copied, f),
            cache_lines=self._mix(e.cache_lines, u.cache_lines, d.cache_lines, f),
            pages_touched=self._mix(e.pages_touched, u.pages_touched, d.pages_touched, f),
            paravisor_bytes=self._mix(e.paravisor_read + e.paravisor_write,
                                      u.paravisor_read + u.paravisor_write,
                                      d.paravisor_read + d.paravisor_write, f),
            kernel_bytes=self._mix(e.kernel_read + e.kernel_write, u.kernel_read + u.kernel_write,
                                   d.kernel_read + d.kernel_write, f),
            footprint_lines=self._mix(e.cache_lines, self.cycle.cache_lines, self.cycle.cache_lines, f),
            footprint_pages=self._mix(e.pages_touched, self.cycle.pages_touched,
                                      self.cycle.pages_touched, f),
        )

    # --- by VTL count ----------------------------------------------------------------------
    def at_vtls(self, vtls: int = 2) -> VtlCount:
        """The counts of one VP with ``vtls`` lower VTLs enabled (1 = VTL 0 only .. MAX_LOWER_VTLS)."""
        return self.by_vtls[check_vtls(vtls) - 1]

    # --- memory ----------------------------------------------------------------------------
    def pages_per_vp(self, vtls: int = 2) -> int:
        """Kernel-visible 4 KiB pages per VP with ``vtls`` lower VTLs enabled (1..3)."""
        return self.at_vtls(vtls).pages_per_vp

    def heap_bytes_per_vp(self, vtls: int = 2) -> int:
        """Paravisor heap bytes per VP (the private-register banks) with ``vtls`` VTLs."""
        return self.at_vtls(vtls).heap_bytes_per_vp

    def bytes_per_vp(self, vtls: int = 2) -> int:
        """Memory per VP in bytes: whole pages plus heap bytes."""
        return self.at_vtls(vtls).bytes_per_vp


#: VTL counts the cost views know: 1 (VTL 0 only, VTL 1 never enabled) up to the most a
#: partition may declare (:data:`tdxlab.sim.model.MAX_LOWER_VTLS`).
VTL_COUNTS: tuple[int, ...] = tuple(range(1, MAX_LOWER_VTLS + 1))


def check_vtls(vtls: object) -> int:
    """A VTL count for memory and copy figures (1..MAX_LOWER_VTLS), or a one-line ``ValueError``.

    Unlike :func:`tdxlab.sim.model.check_lower_vtls` (a partition has 2 or 3 lower VTLs), 1 is
    allowed here: it is a partition whose VTL 1 is never enabled, the compatibility case.
    """
    if isinstance(vtls, bool) or not isinstance(vtls, int) or vtls not in VTL_COUNTS:
        raise ValueError(f"vtls must be 1 (VTL 0 only) to {MAX_LOWER_VTLS} enabled lower VTLs, "
                         f"got {vtls!r}")
    return vtls


@dataclass(frozen=True)
class SwitchCopy:
    """One measured VTL switch: from which VTL to which, and the bytes copied.

    ``copied`` is the switch step's own copies; ``with_entry`` adds the ``run`` that follows it
    (a switch is charged to the entry after it, as in :meth:`DesignCosts.per_entry`).
    """

    src: int
    dst: int
    copied: int
    with_entry: int


@dataclass(frozen=True)
class VtlCount:
    """What one VP of a design costs with ``vtls`` lower VTLs enabled, measured at that count.

    Memory comes from the pages the design allocates for that many VTLs; the copies from a
    simulation of that size (see the module docstring).  ``switches`` is empty at 1 VTL: a
    partition with only VTL 0 never switches.
    """

    vtls: int
    pages_per_vp: int
    heap_bytes_per_vp: int
    #: Bytes copied by an entry that follows no VTL switch.
    entry_copied: int
    switches: tuple[SwitchCopy, ...]

    @property
    def bytes_per_vp(self) -> int:
        """Memory per VP in bytes: whole pages plus heap bytes."""
        return self.pages_per_vp * PAGE + self.heap_bytes_per_vp

    @property
    def switch_copied(self) -> float | None:
        """Bytes copied per VTL switch, mean over the switches measured (``None``: no switch)."""
        if not self.switches:
            return None
        return sum(s.copied for s in self.switches) / len(self.switches)

    @property
    def switch_copied_varies(self) -> bool:
        """True when some pair of VTLs copies a different amount on a switch than another."""
        return len({s.copied for s in self.switches}) > 1

    def bytes_per_entry(self, switch_fraction: float = 0.0) -> float:
        """Bytes copied per entry when a fraction of entries follow a switch (switch charged to it).

        With no switch possible (1 VTL) every entry is a plain one, whatever the fraction.
        """
        f = switch_fraction
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"switch fraction must be within 0..1, got {f!r}")
        if not self.switches:
            return float(self.entry_copied)
        after = sum(s.with_entry for s in self.switches) / len(self.switches)
        return (1 - f) * self.entry_copied + f * after


@dataclass(frozen=True)
class EntryCounts:
    """Expected per-entry counts at one switch fraction (floats: they are averages)."""

    bytes_copied: float
    cache_lines: float
    pages_touched: float
    paravisor_bytes: float
    kernel_bytes: float
    #: Lines and pages one VP keeps live in the caches/TLB at this switch fraction.
    footprint_lines: float
    footprint_pages: float


def _pages(design: Design, vtls: int) -> list[PageInfo]:
    return [PageInfo(p.role, p.layout.name, p.layout.size, p.counts_as_page)
            for p in design.sample_store(vtls).pages]


def _step(sim: Simulation, event: Event) -> tuple[Access, ...]:
    rec = sim.apply(event)
    assert rec is not None  # record=True
    return rec.accesses


_CACHE: dict[tuple[type, str, frozenset[str]], DesignCosts] = {}


@overload
def account(design: SimResult) -> TraceCosts: ...
@overload
def account(design: str | Design) -> DesignCosts: ...
def account(design: str | Design | SimResult) -> DesignCosts | TraceCosts:
    """Count a design on the canonical micro-traces, or a recorded simulation of any trace.

    Given a design (key or object) this runs the micro-traces of the module
    docstring and returns :class:`DesignCosts` (cached per design and private set).
    Given a :class:`~tdxlab.sim.machine.SimResult` it counts that trace's own
    accesses and returns :class:`TraceCosts`.
    """
    if isinstance(design, SimResult):
        return trace_costs(design)
    d = get_design(design)
    key = (type(d), d.key, d.private)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    sim = Simulation(d, 1, record=True)
    enable = _step(sim, WARMUP[0])
    for ev in WARMUP[1:]:
        _step(sim, ev)
    run0 = _step(sim, Event(Op.RUN, 0))
    call = _step(sim, Event(Op.VTL_CALL, 0))
    run1 = _step(sim, Event(Op.RUN, 0))
    ret = _step(sim, Event(Op.VTL_RETURN, 0, fast=True))
    run0b = _step(sim, Event(Op.RUN, 0))
    before, kern, after = entry_phases(run0)
    two = _pages(d, 2)
    switches = (SwitchCopy(0, 1, tally(call).copied, (tally(call) | tally(run1)).copied),
                SwitchCopy(1, 0, tally(ret).copied, (tally(ret) | tally(run0b)).copied))
    by_vtls = tuple(_at_count(d, n, tally(run0).copied, switches) for n in VTL_COUNTS)
    costs = DesignCosts(
        design=d.key,
        title=d.title,
        platform=d.platform,
        is_variant=d.is_variant,
        private=d.private,
        entry=tally(run0),
        before_entry=tally(before),
        kernel=tally(kern),
        after_exit=tally(after),
        switch_up=tally(call),
        switch_down=tally(ret),
        switch_entry_up=tally(call) | tally(run1),
        switch_entry_down=tally(ret) | tally(run0b),
        cycle=tally(run0) | tally(call) | tally(run1) | tally(ret) | tally(run0b),
        enable_vtl=tally(enable),
        switch_copied_regs=tuple(d.switch_copied(sim.vps[0].store)),
        pages=tuple(two),
        by_vtls=by_vtls,
        raw={"run": run0, "vtl_call": call, "run_vtl1": run1, "vtl_return": ret, "run_after_return": run0b},
    )
    _CACHE[key] = costs
    return costs


def _at_count(d: Design, vtls: int, entry2: int, switches2: tuple[SwitchCopy, ...]) -> VtlCount:
    """The :class:`VtlCount` of ``d`` at ``vtls``; 2 reuses the micro-traces' own steps."""
    pages = _pages(d, vtls)
    if vtls == 2:
        entry, switches = entry2, switches2
    else:
        entry, switches = _measure(d, vtls)
    return VtlCount(vtls, sum(p.counts_as_page for p in pages),
                    sum(p.used_bytes for p in pages if not p.counts_as_page), entry, switches)


def _measure(d: Design, vtls: int) -> tuple[int, tuple[SwitchCopy, ...]]:
    """Bytes copied per plain entry and per switch on a ``vtls``-VTL micro-trace (module docstring).

    VTL 0 only runs on the default 2-VTL partition with VTL 1 never enabled (a partition
    cannot declare fewer); more VTLs run on a partition of exactly that size.
    """
    sim = Simulation(d, 1, record=True, lower_vtls=max(vtls, 2))
    for vtl in range(1, vtls):
        _step(sim, Event(Op.ENABLE_VTL, 0, vtl))

    def climb() -> list[tuple[tuple[Access, ...], tuple[Access, ...], int, int]]:
        # up from VTL 0 to the top and back down, a run after every switch
        out = []
        for src in range(vtls - 1):
            out.append((_step(sim, Event(Op.VTL_CALL, 0)), _step(sim, Event(Op.RUN, 0)), src, src + 1))
        for src in range(vtls - 1, 0, -1):
            out.append((_step(sim, Event(Op.VTL_RETURN, 0, fast=True)), _step(sim, Event(Op.RUN, 0)),
                        src, src - 1))
        return out

    _step(sim, Event(Op.RUN, 0))  # warm-up: every VTL entered once
    climb()
    entry = tally(_step(sim, Event(Op.RUN, 0))).copied
    switches = tuple(SwitchCopy(src, dst, tally(sw).copied, (tally(sw) | tally(run)).copied)
                     for sw, run, src, dst in climb())
    return entry, switches


@dataclass(frozen=True)
class TraceCosts:
    """The counts of one recorded simulation of any trace (what ``compare`` shows per design).

    Per-entry figures divide by the trace's ``run`` events.  A VTL switch is charged
    to the entry that follows it on the same VP (their lines and pages are united,
    as in :class:`DesignCosts`).  ``footprint_*`` are the most lines/pages any one
    VP touched over the whole trace: what it keeps live in the caches and TLB.
    """

    design: str
    platform: Platform
    vps: int
    entries: int
    switches: int
    bytes_copied_entries: int
    bytes_copied_switches: int
    cache_lines_total: int
    pages_touched_total: int
    footprint_lines: int
    footprint_pages: int
    events: pd.DataFrame = field(compare=False, repr=False)

    @property
    def bytes_per_entry(self) -> float:
        """Bytes the paravisor copied per entry (run steps only)."""
        return self.bytes_copied_entries / self.entries if self.entries else 0.0

    @property
    def bytes_per_switch(self) -> float:
        """Bytes copied per VTL switch (switch steps only)."""
        return self.bytes_copied_switches / self.switches if self.switches else 0.0

    @property
    def switch_fraction(self) -> float:
        """Switches per entry, capped at 1."""
        return min(1.0, self.switches / self.entries) if self.entries else 0.0

    def per_entry(self) -> EntryCounts:
        """Per-entry averages over the trace, in the form the time model reads."""
        n = max(self.entries, 1)
        return EntryCounts(
            bytes_copied=(self.bytes_copied_entries + self.bytes_copied_switches) / n,
            cache_lines=self.cache_lines_total / n,
            pages_touched=self.pages_touched_total / n,
            paravisor_bytes=float(self.events["paravisor_read_bytes"].sum()
                                  + self.events["paravisor_write_bytes"].sum()) / n,
            kernel_bytes=float(self.events["kernel_read_bytes"].sum()
                               + self.events["kernel_write_bytes"].sum()) / n,
            footprint_lines=float(self.footprint_lines),
            footprint_pages=float(self.footprint_pages),
        )


def trace_costs(result: SimResult) -> TraceCosts:
    """Count a recorded simulation (``record=True``); see :class:`TraceCosts`."""
    frame = event_costs(result)
    entries = switches = copied_e = copied_s = lines = pages = 0
    pending: dict[int, Tally] = {}
    seen_lines: dict[int, set[tuple[str, int]]] = {}
    seen_pages: dict[int, set[str]] = {}
    for rec in result.steps:
        t = tally(rec.accesses)
        vp = rec.event.vp
        seen_lines.setdefault(vp, set()).update(t.lines)
        seen_pages.setdefault(vp, set()).update(t.pages)
        if rec.switched is not None:
            switches += 1
            copied_s += t.copied
            pending[vp] = pending.get(vp, Tally()) | t
        elif rec.outcome is StepOutcome.RAN:
            entries += 1
            copied_e += t.copied
            joined = pending.pop(vp, Tally()) | t
            lines += joined.cache_lines
            pages += joined.pages_touched
    for t in pending.values():  # a switch with no entry after it still touched memory
        lines += t.cache_lines
        pages += t.pages_touched
    return TraceCosts(
        design=result.design.key,
        platform=result.design.platform,
        vps=result.vps,
        entries=entries,
        switches=switches,
        bytes_copied_entries=copied_e,
        bytes_copied_switches=copied_s,
        cache_lines_total=lines,
        pages_touched_total=pages,
        footprint_lines=max((len(v) for v in seen_lines.values()), default=0),
        footprint_pages=max((len(v) for v in seen_pages.values()), default=0),
        events=frame,
    )


def account_all(designs: Iterable[str | Design] | None = None) -> dict[str, DesignCosts]:
    """:func:`account` for several designs (default: every registered one), keyed by design key."""
    chosen = list(DESIGNS.values()) if designs is None else [get_design(d) for d in designs]
    return {d.key: account(d) for d in chosen}


def counts_frame(designs: Iterable[str | Design] | None = None) -> pd.DataFrame:
    """One row per design: what it copies, touches and allocates (the notebook's count table)."""
    rows = []
    for key, c in account_all(designs).items():
        rows.append({
            "design": key,
            "copy_in_bytes": c.copy_in_bytes,
            "copy_out_bytes": c.copy_out_bytes,
            "switch_copy_bytes": c.switch_copy_bytes,
            "switch_copied_registers": len(c.switch_copied_regs),
            "cache_lines_per_entry": c.entry.cache_lines,
            "cache_lines_after_switch": (c.switch_entry_up.cache_lines + c.switch_entry_down.cache_lines) / 2,
            "pages_touched_per_entry": c.entry.pages_touched,
            "kernel_bytes_per_entry": c.kernel.kernel_read + c.kernel.kernel_write,
            "pages_per_vp_vtl0": c.pages_per_vp(1),
            "pages_per_vp_vtl0_vtl1": c.pages_per_vp(2),
            "heap_bytes_per_vp": c.heap_bytes_per_vp(2),
        })
    return pd.DataFrame(rows).set_index("design")


#: Columns of :func:`vtl_count_frame`, in order.
VTL_COUNT_COLUMNS: tuple[str, ...] = (
    "design", "lower_vtls", "pages_per_vp", "heap_bytes_per_vp", "kib_per_vp",
    "bytes_copied_per_entry", "bytes_copied_per_switch", "switch_bytes_vary",
)  # fmt: skip


def vtl_count_frame(
    designs: Iterable[str | Design] | None = None,
    vtls: Iterable[int] = VTL_COUNTS,
    *,
    switch_fraction: float = 0.0,
) -> pd.DataFrame:
    """One row per (design, VTL count): memory per VP and bytes copied, each measured at that count.

    ``bytes_copied_per_entry`` is at ``switch_fraction`` (a switch charged to the entry after
    it); ``bytes_copied_per_switch`` is the mean over every pair of VTLs that switched (NaN
    with VTL 0 only), and ``switch_bytes_vary`` says whether some pair copied another amount.
    """
    counts = [check_vtls(n) for n in vtls]
    rows = []
    for key, c in account_all(designs).items():
        for n in counts:
            at = c.at_vtls(n)
            rows.append((key, n, at.pages_per_vp, at.heap_bytes_per_vp, at.bytes_per_vp / 1024,
                         at.bytes_per_entry(switch_fraction),
                         float("nan") if at.switch_copied is None else at.switch_copied,
                         at.switch_copied_varies))
    return pd.DataFrame(rows, columns=list(VTL_COUNT_COLUMNS))


#: Columns of :func:`event_costs`.
EVENT_COLUMNS: tuple[str, ...] = (
    "step", "vp", "event", "paravisor_read_bytes", "paravisor_write_bytes", "kernel_read_bytes",
    "kernel_write_bytes", "bytes_copied", "cache_lines", "pages_touched",
)  # fmt: skip


def event_costs(result: SimResult) -> pd.DataFrame:
    """The counts of every event of a recorded simulation, one row per step.

    Needs the step history (``simulate(..., record=True)``); without it the access
    log was never kept, which is an error rather than a table of zeros.
    """
    if result.events and not result.steps:
        raise ValueError("event costs need the step history: run the simulation with record=True")
    rows = []
    for rec in result.steps:
        t = tally(rec.accesses)
        rows.append((rec.index, rec.event.vp, str(rec.event), t.paravisor_read, t.paravisor_write,
                     t.kernel_read, t.kernel_write, t.copied, t.cache_lines, t.pages_touched))
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame.attrs["design"] = result.design.key
    return frame


__all__ = [
    "VTL_COUNTS",
    "WARMUP",
    "DesignCosts",
    "EntryCounts",
    "PageInfo",
    "SwitchCopy",
    "Tally",
    "TraceCosts",
    "VtlCount",
    "account",
    "account_all",
    "check_vtls",
    "counts_frame",
    "entry_phases",
    "event_costs",
    "tally",
    "trace_costs",
    "vtl_count_frame",
]
