"""A host analogue of each design, measured on the machine this runs on — *not* TDX hardware.

What it measures: the same memory traffic the protocol logs (see
:mod:`tdxlab.cost.accounting`), replayed with numpy on real buffers laid out like
the real pages, for 1 to 4096 VPs entered in turn on one core, for every registered
fix (:func:`tdxlab.sim.designs.fix_designs`) unless told otherwise.  For example the
bank design copies its private set into the shared run page before each entry and
back out after it; the split design copies nothing per entry but the 15 shared GPRs
(120 B) on a VTL switch; the SEV-SNP-style design lets the CPU load and save the
entered VTL's VMSA and copies the shared set between VMSAs on a switch.

Every VP's copy of every page role (``run``, ``vtl0``, ``vmsa1``, ``bank0``, ...)
lives in one page-aligned arena, pages 4 KiB apart like real pages, so the working
set crosses L1, L2 and L3 as ``vps`` grows and lines at the same page offset compete
for the same cache sets, as they do on real hardware.  The plan of copies, reads
and writes is *derived from the access log*, so a reviewer's variant is measured
with no extra code.

Honest limits:

* a round (every VP entered once) is two numpy calls: a gather and a scatter of
  8-byte words over all VPs, in protocol order VP after VP.  numpy spends one to
  two nanoseconds per word moved, which is of the order of an L1 hit, so at small
  VP counts the numbers mostly count words moved, not cache behaviour;
* each call also costs microseconds of interpreter time; that is measured (the same
  calls on empty index arrays), reported as ``overhead_ns`` and subtracted in
  ``net_ns``; below about a hundred VPs it dominates and ``net_ns`` is noisy;
* the kernel's and CPU's own work (FXRSTOR, WRMSR, TDG.VP.ENTER) is represented
  only by touching the same cache lines (one word per line);
* this machine may itself be a virtual machine, whose TLB misses are nested walks.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tdxlab.cost.accounting import DesignCosts, account
from tdxlab.layout.engine import CACHE_LINE, PAGE
from tdxlab.sim.designs import Design, fix_designs
from tdxlab.sim.memory import Access, Actor, PageKind, PageRole
from tdxlab.sim.model import positive_count

#: The label every table and chart of this module carries.
LABEL = "host analogue, not TDX hardware"
DEFAULT_VPS: tuple[int, ...] = (1, 4, 16, 64, 256, 1024, 4096)
#: Scenarios: an entry with no VTL switch, and an entry right after a VTL switch.
SCENARIOS: tuple[str, ...] = ("entry", "switch_entry")


@dataclass(frozen=True)
class MemOp:
    """One contiguous memory operation, applied to every VP's copy of a page (typed roles)."""

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


@dataclass(frozen=True)
class Template:
    """One entry's word moves for one VP: ``arena[dst] = arena[src]``, in protocol order.

    Indices are (role name, word offset within that VP's copy of the page); the role name
    is ``str`` of the :class:`~tdxlab.sim.memory.PageRole`, or the shared sink/source line.  A copy moves
    every 8-byte word it covers; a kernel/CPU *read* moves one word per touched line
    into a sink line, and a *write* moves one word per touched line from a source
    line: it is the line traffic that differs between designs, not the kernel's
    per-byte work, which is the same in all of them.
    """

    src_role: tuple[str, ...]
    src_word: tuple[int, ...]
    dst_role: tuple[str, ...]
    dst_word: tuple[int, ...]


_SINK, _SOURCE = "_sink", "_source"
_WORD = 8


def template(ops: Iterable[MemOp]) -> Template:
    """The word moves standing for ``ops`` (see :class:`Template`)."""
    sr: list[str] = []
    sw: list[int] = []
    dr: list[str] = []
    dw: list[int] = []
    for op in ops:
        if op.kind == "copy":
            first, last = op.offset // _WORD, (op.offset + op.size - 1) // _WORD
            sfirst = op.src_offset // _WORD
            src = str(op.src_page)
            for j in range(last - first + 1):
                sr.append(src)
                sw.append(sfirst + j)
                dr.append(str(op.page))
                dw.append(first + j)
            continue
        words_per_line = CACHE_LINE // _WORD
        first, last = op.offset // CACHE_LINE, (op.offset + op.size - 1) // CACHE_LINE
        for line in range(first, last + 1):
            if op.kind == "read":
                sr.append(str(op.page))
                sw.append(line * words_per_line)
                dr.append(_SINK)
                dw.append(0)
            else:
                sr.append(_SOURCE)
                sw.append(0)
                dr.append(str(op.page))
                dw.append(line * words_per_line)
    return Template(tuple(sr), tuple(sw), tuple(dr), tuple(dw))


def _stride(p: HostPlan, role: PageRole) -> int:
    """Bytes between two VPs' copies: a page, or a 64-byte-rounded struct for the paravisor's banks."""
    ops = [*p.entry, *p.switch_up, *p.switch_down]
    end = max([o.offset + o.size for o in ops if o.page == role]
              + [o.src_offset + o.size for o in ops if o.src_page == role])
    if role.kind is PageKind.BANK:  # heap structs, not pages
        return -(-end // CACHE_LINE) * CACHE_LINE
    return PAGE


class Arena:
    """All VPs' copies of every page role of one design in one page-aligned uint64 array."""

    def __init__(self, p: HostPlan, vps: int) -> None:
        """Lay out ``vps`` copies of each role 4 KiB apart (banks 64 B apart), plus sink/source lines."""
        self.vps = vps
        self.base: dict[str, int] = {}
        self.stride: dict[str, int] = {}
        cursor = 0
        for role in p.roles:
            stride = _stride(p, role)
            self.base[str(role)] = cursor // _WORD
            self.stride[str(role)] = stride // _WORD
            cursor += -(-(vps * stride) // PAGE) * PAGE
        for line in (_SINK, _SOURCE):  # one shared line each: stays in L1
            self.base[line] = cursor // _WORD
            self.stride[line] = 0
            cursor += PAGE
        raw = np.zeros(cursor + PAGE, dtype=np.uint8)
        start = (-raw.ctypes.data) % PAGE
        self.words = raw[start : start + cursor].view(np.uint64)
        self.words[:: CACHE_LINE // _WORD] = 1  # touch every line: no page faults while timing

    def indices(self, t: Template) -> tuple[np.ndarray, np.ndarray]:
        """Flat (src, dst) word indices for every VP, VP after VP, each in protocol order."""
        v = np.arange(self.vps, dtype=np.intp)[:, None]

        def flat(roles: tuple[str, ...], words: tuple[int, ...]) -> np.ndarray:
            base = np.array([self.base[r] for r in roles], dtype=np.intp)
            stride = np.array([self.stride[r] for r in roles], dtype=np.intp)
            return (base + v * stride + np.array(words, dtype=np.intp)).ravel()

        return flat(t.src_role, t.src_word), flat(t.dst_role, t.dst_word)


def _round(arena: Arena, moves: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    for src, dst, tmp in moves:
        np.take(arena.words, src, out=tmp, mode="wrap")  # indices are in range; "wrap" skips checks
        arena.words[dst] = tmp


def _time(arena: Arena, moves: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], inner: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(inner):
        _round(arena, moves)
    return (time.perf_counter_ns() - t0) / inner


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


#: Columns of :func:`measure`.
COLUMNS: tuple[str, ...] = (
    "design", "vps", "scenario", "min_ns", "median_ns", "overhead_ns", "net_ns", "net_median_ns",
    "words_moved", "repeats", "working_set_kib", "label",
)  # fmt: skip


def measure(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    vps: Iterable[int] = DEFAULT_VPS,
    *,
    repeats: int = 7,
    min_time_ns: float = 2_000_000.0,
) -> pd.DataFrame:
    """Measure ns per entry of each design's host analogue; min and median of ``repeats``.

    ``designs`` defaults to the registered fixes (:func:`~tdxlab.sim.designs.fix_designs`,
    read when called): the bug itself is not worth timing.

    One *round* enters every VP once (``entry``), or switches every VP's VTL and
    enters (``switch_entry``: a round up to VTL 1 and one back down, averaged).
    Each round is two numpy calls (a gather and a scatter over all VPs' word
    moves).  A timing repeats the round until it lasts ``min_time_ns``.
    ``overhead_ns`` is the same calls on empty index arrays, per entry; ``net_ns``
    = ``min_ns`` - ``overhead_ns``.  ``working_set_kib``: distinct lines one round
    touches across all VPs.
    """
    positive_count(repeats, "repeats")
    vp_list = [positive_count(n, "vps") for n in vps]
    plans = [host_plan(d) for d in (fix_designs() if designs is None else designs)]
    rows: list[tuple[object, ...]] = []
    empty_idx = np.zeros(0, dtype=np.intp)
    for p in plans:
        for n in vp_list:
            arena = Arena(p, n)
            for scenario in SCENARIOS:
                groups = [p.entry] if scenario == "entry" else [p.switch_up, p.switch_down]
                moves = []
                lines: set[int] = set()
                for g in groups:
                    src, dst = arena.indices(template(g))
                    moves.append((src, dst, np.empty(src.size, dtype=np.uint64)))
                    for idx in (src, dst):  # sink and source lines sit above every page
                        real = idx[(idx < arena.base[_SINK])]
                        lines.update(np.unique(real // (CACHE_LINE // _WORD)).tolist())
                empty = [(empty_idx, empty_idx, np.empty(0, dtype=np.uint64)) for _ in groups]
                entries = n * len(groups)
                _time(arena, moves, 1)  # warm: first touches, index arrays into cache
                once = max(_time(arena, moves, 3), 1.0)
                inner = max(1, int(min_time_ns // once))
                gc.disable()
                try:
                    samples = np.array([_time(arena, moves, inner) for _ in range(repeats)]) / entries
                    over = np.array([_time(arena, empty, inner) for _ in range(repeats)]) / entries
                finally:
                    gc.enable()
                overhead = float(np.min(over))
                words = sum(m[0].size for m in moves) / entries
                rows.append((p.design, n, scenario, float(samples.min()), float(np.median(samples)),
                             overhead, max(float(samples.min()) - overhead, 0.0),
                             max(float(np.median(samples)) - float(np.median(over)), 0.0),
                             words, repeats, len(lines) * CACHE_LINE / 1024.0, LABEL))
            del arena
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs["label"] = LABEL
    frame.attrs["cache_sizes"] = cache_sizes()
    frame.attrs["cpu"] = _cpu_name()
    return frame


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


def table(frame: pd.DataFrame) -> str:
    """A plain-text summary (median net ns per entry, designs x VPs, per scenario)."""
    lines = [f"{LABEL} — {frame.attrs.get('cpu', '?')}; caches: "
             + ", ".join(f"{k} {v // 1024} KiB" for k, v in frame.attrs.get("cache_sizes", {}).items())]
    for scenario in SCENARIOS:
        part = frame[frame["scenario"] == scenario]
        if part.empty:
            continue
        pivot = part.pivot_table(index="vps", columns="design", values="net_ns", aggfunc="min")
        lines.append(f"\n{scenario}: min net ns per entry (raw min minus numpy call overhead)")
        lines.append(pivot.round(1).to_string())
    return "\n".join(lines)


__all__ = [
    "COLUMNS",
    "DEFAULT_VPS",
    "LABEL",
    "SCENARIOS",
    "HostPlan",
    "MemOp",
    "cache_sizes",
    "host_plan",
    "measure",
    "plan",
    "table",
]
