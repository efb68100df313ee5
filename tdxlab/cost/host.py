"""A host analogue of each design: its real copies, on real pages, on this machine — *not* TDX hardware.

What it measures: the memory traffic the protocol logs (see :mod:`tdxlab.cost.accounting`),
replayed with ``ctypes.memmove`` (the C library's copy, no interpreter in the loop) over
real page-sized buffers laid out as the designs lay them out: one page-aligned 4 KiB page
per page role (``run``, ``vtl0``, ``vmsa1``, ...), the paravisor's banks on a page of
their own, every copy at the byte offsets the layout declares.  For example the bank design
moves its 90-byte private set into the run page before each entry and back out after it;
the split design copies the 15 shared GPRs (120 B) on a VTL switch; the SEV-SNP-style design
copies the shared set between VMSAs on a switch.  The kernel's and CPU's own loads and
stores (FXRSTOR, the guest-state buffer) are memmoves of the same bytes to and from a
scratch page, so they touch the same lines.  The plan is *derived from the access log*, so
a reviewer's variant is measured with no extra code.

Cache-hot and cache-cold: before each timed entry the guest's own work is stood in for by
reading ``evicted_kib`` KiB of another buffer (the time model's eviction axis,
:data:`tdxlab.cost.timemodel.EVICTED_AXIS`), so the lines are as hot or cold as the model
says they would be after that much guest work; 0 measures the cache-hot copy.

Honest limits:

* each memmove is one ctypes call, which costs far more interpreter time than a 90-byte
  copy takes; that is measured (the same calls with a length of 0, after the same
  eviction), reported as ``overhead_ns`` and subtracted in ``net_ns``; cache-hot, the net
  figure is a few nanoseconds inside a microsecond of overhead, so it is noisy (charts draw
  such points hollow);
* the kernel's per-instruction work (FXRSTOR, WRMSR, TDG.VP.ENTER) is not in it: only the
  lines those instructions touch;
* this machine may itself be a virtual machine, whose TLB misses are nested walks.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tdxlab.cost.accounting import DesignCosts, account
from tdxlab.cost.constants import DEFAULT, CostConstants
from tdxlab.cost.timemodel import check_evicted
from tdxlab.layout.engine import PAGE
from tdxlab.sim.designs import Design, fix_designs
from tdxlab.sim.memory import Access, Actor, PageRole
from tdxlab.sim.model import positive_count

#: The label every table and chart of this module carries.
LABEL = "host analogue, not TDX hardware"
#: KiB evicted before each timed entry: hot, past an L1, past an L2, and past most L3s.
DEFAULT_EVICTED: tuple[float, ...] = (0.0, 64.0, 1024.0, 16384.0)
#: The most KiB one eviction may touch (the eviction buffer is allocated once, this big at most).
MAX_HOST_EVICTED_KIB = 262144.0
#: Scenarios: an entry with no VTL switch, and an entry right after a VTL switch.
SCENARIOS: tuple[str, ...] = ("entry", "switch_entry")
#: Bytes of eviction traffic one measurement may spend in total (bounds the big eviction points).
_EVICTION_BUDGET = 1 << 31


@dataclass(frozen=True)
class MemOp:
    """One contiguous memory operation on one VP's copy of a page (typed roles)."""

    kind: str  # "copy", "read" or "write"
    page: PageRole
    offset: int
    size: int
    src_page: PageRole | None = None
    src_offset: int = 0


def _merge(ops: list[MemOp]) -> list[MemOp]:
    """Join operations on adjacent bytes (fewer numpy calls, same bytes touched)."""
    out: list[MemOp] = []
    for op in ops:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == op.kind
            and prev.page == op.page
            and prev.src_page == op.src_page
            and prev.offset + prev.size == op.offset
            and (op.kind != "copy" or prev.src_offset + prev.size == op.src_offset)
        ):
            out[-1] = MemOp(op.kind, op.page, prev.offset, prev.size + op.size, op.src_page, prev.src_offset)
        else:
            out.append(op)
    return out


def plan(accesses: Sequence[Access]) -> list[MemOp]:
    """The operations one step's access log stands for, adjacent bytes merged.

    Consecutive accesses of the same kind (paravisor copies, kernel/CPU reads,
    kernel/CPU writes) form a group whose order does not matter, so each group is
    sorted by address before merging.
    """
    groups: list[tuple[str, list[MemOp]]] = []
    i = 0
    while i < len(accesses):
        a = accesses[i]
        if a.copy:
            if i + 1 >= len(accesses) or not accesses[i + 1].copy or not accesses[i + 1].write:
                raise ValueError(f"copy read at {a.page}+{a.offset:#x} without its write")
            b = accesses[i + 1]
            op = MemOp("copy", b.role, b.offset, b.size, a.role, a.offset)
            i += 2
        else:
            op = MemOp("write" if a.write else "read", a.role, a.offset, a.size)
            i += 1
        kind = f"{op.kind}:{'p' if a.actor is Actor.PARAVISOR else 'k'}"
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(op)
        else:
            groups.append((kind, [op]))
    out: list[MemOp] = []
    for _, ops in groups:
        out += _merge(sorted(ops, key=lambda o: (str(o.src_page or ""), str(o.page), o.src_offset, o.offset)))
    return out


@dataclass(frozen=True)
class HostPlan:
    """The operations of one design: a plain entry and the two switch-then-entry directions."""

    design: str
    roles: tuple[PageRole, ...]
    entry: tuple[MemOp, ...]
    switch_up: tuple[MemOp, ...]
    switch_down: tuple[MemOp, ...]


def host_plan(design: str | Design | DesignCosts) -> HostPlan:
    """Derive the host plan from the design's logged micro-traces."""
    c = design if isinstance(design, DesignCosts) else account(design)
    raw = c.raw
    entry = plan(raw["run"])
    up = plan(raw["vtl_call"]) + plan(raw["run_vtl1"])
    down = plan(raw["vtl_return"]) + plan(raw["run_after_return"])
    ops = entry + up + down
    roles = sorted({o.page for o in ops} | {o.src_page for o in ops if o.src_page is not None}, key=str)
    return HostPlan(c.design, tuple(roles), tuple(entry), tuple(up), tuple(down))


class Arena:
    """One VP's pages of one design, each a page-aligned 4 KiB page, plus two scratch pages.

    Every role gets a page of its own (a bank too: it is a heap struct in OpenVMM, on some
    page of its own); ``scratch_in`` is where kernel/CPU reads land and ``scratch_out`` where
    its writes come from.  The buffer is one numpy allocation, so the addresses are stable
    and every page is touched once up front (no page faults while timing).
    """

    def __init__(self, p: HostPlan) -> None:
        """Lay out one page per role plus the two scratch pages."""
        names = [str(r) for r in p.roles] + ["scratch_in", "scratch_out"]
        self._raw = np.zeros((len(names) + 1) * PAGE, dtype=np.uint8)
        start = (-self._raw.ctypes.data) % PAGE
        self.pages = self._raw[start:start + len(names) * PAGE]
        self.pages[::64] = 1
        base = self.pages.ctypes.data
        self.address = {name: base + i * PAGE for i, name in enumerate(names)}

    def calls(self, ops: Iterable[MemOp]) -> list[tuple[int, int, int]]:
        """The ``memmove(dst, src, n)`` calls that stand for ``ops``, in protocol order."""
        out = []
        for op in ops:
            page = self.address[str(op.page)] + op.offset
            if op.kind == "copy":
                assert op.src_page is not None
                out.append((page, self.address[str(op.src_page)] + op.src_offset, op.size))
            elif op.kind == "read":
                out.append((self.address["scratch_in"] + op.offset, page, op.size))
            else:
                out.append((page, self.address["scratch_out"] + op.offset, op.size))
        return out

    def warm_scratch(self) -> None:
        """Touch the scratch pages, so only the design's own pages are as cold as the eviction made them."""
        lo = self.address["scratch_in"] - self.pages.ctypes.data
        int(self.pages[lo:lo + 2 * PAGE:64].sum())


class Evictor:
    """Stands in for the guest's own work between two entries: reads ``kib`` KiB of another buffer."""

    def __init__(self, kib: float) -> None:
        """Allocate (and touch) the buffer once."""
        n = int(kib * 1024) // 8
        self.words = np.ones(n, dtype=np.uint64) if n else np.zeros(0, dtype=np.uint64)

    def __call__(self) -> None:
        """Read every line of the buffer once (a sum the compiler cannot skip)."""
        if self.words.size:
            int(self.words[::8].sum())


#: The C library's memmove with its argument types declared (a faster call than ``ctypes.memmove``).
_MEMMOVE = ctypes.CDLL(None).memmove
_MEMMOVE.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_MEMMOVE.restype = ctypes.c_void_p


def _time(calls: Sequence[tuple[int, int, int]], evict: Evictor, arena: Arena,
          rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Ns of ``rounds`` entries and of the same calls with length 0, interleaved, each after an eviction.

    Interleaving pairs every measured entry with an overhead sample taken under the same
    conditions (clock drift, frequency, the eviction just done), so their difference is the
    memory time of that entry.
    """
    move = _MEMMOVE
    full = list(calls)
    empty = [(d, s, 0) for d, s, _ in calls]
    out = np.empty((2, rounds), dtype=np.float64)
    clock = time.perf_counter_ns
    for i in range(rounds):
        for row, todo in ((0, full), (1, empty)):
            evict()
            arena.warm_scratch()
            t0 = clock()
            for d, s, n in todo:
                move(d, s, n)
            out[row, i] = clock() - t0
    return out[0], out[1]


#: Columns of :func:`measure`.
COLUMNS: tuple[str, ...] = (
    "design", "evicted_kib", "scenario", "min_ns", "median_ns", "overhead_ns", "net_ns", "net_median_ns",
    "bytes_moved", "calls", "rounds", "label",
)  # fmt: skip


def _rounds(rounds: int, kib: float) -> int:
    """``rounds``, fewer when the eviction is big (the total eviction traffic is bounded)."""
    if kib <= 0:
        return rounds
    return max(16, min(rounds, int(_EVICTION_BUDGET // (kib * 1024))))


def measure(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    evicted_kib: Iterable[float] = DEFAULT_EVICTED,
    *,
    rounds: int = 2000,
    repeats: int = 3,
) -> pd.DataFrame:
    """Measure ns per entry of each design's host analogue after ``evicted_kib`` KiB of other reads.

    ``designs`` defaults to the registered fixes (:func:`~tdxlab.sim.designs.fix_designs`,
    read when called): the bug itself is not worth timing.  Each (design, eviction,
    scenario) is timed ``repeats`` times over ``rounds`` entries (fewer for big evictions,
    so the run stays bounded), each entry after its own eviction; the same calls with
    length 0, interleaved with them, give ``overhead_ns``.  ``min_ns``/``median_ns`` are the
    best and the median repeat of the per-entry median; ``net_ns`` is the smallest repeat's
    median of (entry - its paired overhead sample), the memory time, and ``net_median_ns``
    the median repeat's.  ``switch_entry`` is the mean of a
    switch up then entry, and a switch down then entry.
    """
    positive_count(rounds, "rounds")
    positive_count(repeats, "repeats")
    points = [check_evicted(e, "evicted_kib") for e in evicted_kib]
    too_big = [e for e in points if e > MAX_HOST_EVICTED_KIB]
    if too_big:
        raise ValueError(f"evicted_kib: {too_big[0]:g} KiB is above the host analogue's limit of "
                         f"{MAX_HOST_EVICTED_KIB:g} KiB")
    plans = [host_plan(d) for d in (fix_designs() if designs is None else designs)]
    rows: list[tuple[object, ...]] = []
    for kib in points:
        evict = Evictor(kib)
        n = _rounds(rounds, kib)
        for p in plans:
            arena = Arena(p)
            for scenario in SCENARIOS:
                groups = [p.entry] if scenario == "entry" else [p.switch_up, p.switch_down]
                calls = [arena.calls(g) for g in groups]
                gc.disable()
                try:
                    for c in calls:  # warm: first touches, the call path itself
                        _time(c, evict, arena, 4)
                    full, over, net = [], [], []
                    for _ in range(repeats):
                        pairs = [_time(c, evict, arena, n) for c in calls]
                        full.append(sum(float(np.median(f)) for f, _ in pairs) / len(calls))
                        over.append(sum(float(np.median(e)) for _, e in pairs) / len(calls))
                        net.append(sum(float(np.median(f - e)) for f, e in pairs) / len(calls))
                finally:
                    gc.enable()
                overhead = min(over)
                moved = sum(size for c in calls for _, _, size in c) / len(calls)
                ncalls = sum(len(c) for c in calls) / len(calls)
                rows.append((p.design, kib, scenario, min(full), float(np.median(full)), overhead,
                             max(min(net), 0.0), max(float(np.median(net)), 0.0), moved, ncalls, n, LABEL))
            del arena
        del evict
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs["label"] = LABEL
    frame.attrs["cache_sizes"] = cache_sizes()
    frame.attrs["cpu"] = _cpu_name()
    return frame


def host_constants(frame: pd.DataFrame | None = None, constants: CostConstants = DEFAULT) -> CostConstants:
    """``constants`` with this machine's cache capacities (sysfs), to set the model beside a measurement.

    The latencies stay the sourced ones (this machine's are not measured here); a level the
    machine does not report keeps its default.
    """
    sizes = frame.attrs.get("cache_sizes", {}) if frame is not None else cache_sizes()
    changes = {f"{level.lower()}_kib": size / 1024.0 for level, size in sizes.items()
               if f"{level.lower()}_kib" in {"l1_kib", "l2_kib", "l3_kib"} and size > 0}
    return dataclasses.replace(constants, **changes)


def cache_sizes() -> dict[str, int]:
    """Data/unified cache sizes of the running machine, bytes by level (Linux sysfs; else empty)."""
    out: dict[str, int] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(base.glob("index*")):
        try:
            level = (idx / "level").read_text().strip()
            kind = (idx / "type").read_text().strip()
            size = (idx / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction":
            continue
        mult = {"K": 1024, "M": 1024 * 1024}.get(size[-1:], 1)
        out[f"L{level}"] = int(size.rstrip("KM")) * mult
    return out


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


def table(frame: pd.DataFrame) -> str:
    """A plain-text summary (net ns per entry, eviction x designs, per scenario)."""
    lines = [f"{LABEL} — {frame.attrs.get('cpu', '?')}; caches: "
             + ", ".join(f"{k} {v // 1024} KiB" for k, v in frame.attrs.get("cache_sizes", {}).items())]
    for scenario in SCENARIOS:
        part = frame[frame["scenario"] == scenario]
        if part.empty:
            continue
        pivot = part.pivot_table(index="evicted_kib", columns="design", values="net_ns", aggfunc="min")
        over = part.pivot_table(index="evicted_kib", columns="design", values="overhead_ns", aggfunc="min")
        lines.append(f"\n{scenario}: net ns per entry (median minus the memmove call overhead), "
                     "by KiB evicted")
        lines.append(pivot.round(0).to_string())
        lines.append(f"{scenario}: the call overhead subtracted, ns")
        lines.append(over.round(0).to_string())
    return "\n".join(lines)


__all__ = [
    "COLUMNS",
    "DEFAULT_EVICTED",
    "LABEL",
    "MAX_HOST_EVICTED_KIB",
    "SCENARIOS",
    "Arena",
    "HostPlan",
    "MemOp",
    "cache_sizes",
    "host_constants",
    "host_plan",
    "measure",
    "plan",
    "table",
]
