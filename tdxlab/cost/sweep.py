"""Sweeps over designs x constants x VP counts x KiB evicted x entry rates x switch fractions.

:func:`sweep` evaluates the time model for the whole grid in one vectorised pass
(numpy broadcasting, no Python loop per row) and returns a tidy DataFrame, one row
per point.  :func:`break_even` finds the switch fractions at which one design
becomes cheaper than others; :func:`break_evens` asks the questions the registered
designs carry (:attr:`tdxlab.sim.designs.Design.break_even_against`) among the designs
shown.  The results are data (:class:`BreakEven`); the sentences a reviewer reads are
:func:`tdxlab.describe.break_even_sentence`, one layer up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from tdxlab.cost.accounting import DesignCosts, account, check_vtls
from tdxlab.cost.constants import DEFAULT, CostConstants
from tdxlab.cost.timemodel import (
    DEFAULT_EVICTED_KIB,
    EVICTED_AXIS,
    PARTS,
    breakdown,
    check_evicted,
    check_vps,
    model,
    platform_cycles,
)
from tdxlab.layout.engine import PAGE
from tdxlab.sim.designs import DESIGNS, Design

#: Default axes (designs: every registered one).  VP counts only scale memory per partition (each VP's
#: paravisor runs on its own vCPU, so VPs do not compete for one core's caches); KiB evicted between
#: two entries (:data:`~tdxlab.cost.timemodel.EVICTED_AXIS`) sets how hot the lines are.
DEFAULT_VPS: tuple[int, ...] = (1, 64, 4096)
DEFAULT_EVICTED: tuple[float, ...] = EVICTED_AXIS
DEFAULT_RATES: tuple[float, ...] = (1e4, 1e5)
#: The highest entry rate a sweep takes: one entry per nanosecond (above it ``cpu_share`` overflows
#: into meaninglessness long before a float does).
MAX_ENTRIES_PER_S = 1e9
DEFAULT_FRACTIONS: tuple[float, ...] = tuple(float(x) for x in np.round(np.linspace(0.0, 1.0, 11), 2))

#: Columns of :func:`sweep`, in order.
COLUMNS: tuple[str, ...] = (
    "design", "constants", "vps", "evicted_kib", "lower_vtls", "entries_per_s", "switch_fraction",
    "bytes_copied_per_entry", "bytes_copied_per_switch", "cache_lines_per_entry", "pages_touched_per_entry",
    "pages_per_vp", "heap_bytes_per_vp", "pages_per_partition", "kib_per_partition",
    *(f"ns_{p}" for p in PARTS), "ns_per_entry", "ns_design", "cpu_share",
)  # fmt: skip


def _designs(designs: Iterable[str | Design | DesignCosts] | None) -> list[DesignCosts]:
    if designs is None:
        return [account(d) for d in DESIGNS.values()]
    out = [d if isinstance(d, DesignCosts) else account(d) for d in designs]
    if not out:
        raise ValueError("no designs to sweep")
    return out


def _constants(
    constants: CostConstants | Mapping[str, CostConstants] | Sequence[CostConstants],
) -> tuple[list[str], list[CostConstants]]:
    if isinstance(constants, CostConstants):
        return ["default" if constants == DEFAULT else "custom"], [constants]
    if isinstance(constants, Mapping):
        return [str(k) for k in constants], list(constants.values())
    seq = list(constants)
    return [f"set{i}" for i in range(len(seq))], seq


def _axis(name: str, values: Iterable[float], lo: float, hi: float | None = None) -> np.ndarray:
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        raise ValueError(f"{name}: give at least one value")
    if not np.all(np.isfinite(arr)) or np.any(arr < lo) or (hi is not None and np.any(arr > hi)):
        bad = next(v for v in arr if not np.isfinite(v) or v < lo or (hi is not None and v > hi))
        rng = f"{lo:g}..{hi:g}" if hi is not None else f">= {lo:g}"
        raise ValueError(f"{name}: {bad:g} is outside {rng}")
    return arr


@dataclass(frozen=True)
class Grid:
    """The model evaluated on a (design, constants, vps, evicted, rate, fraction) grid, as arrays."""

    costs: list[DesignCosts]
    names: list[str]
    shape: tuple[int, int, int, int, int, int]
    axes: dict[str, np.ndarray]
    values: dict[str, np.ndarray]


def evaluate(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    vps: Iterable[int] = DEFAULT_VPS,
    entries_per_s: Iterable[float] = DEFAULT_RATES,
    switch_fraction: Iterable[float] = DEFAULT_FRACTIONS,
    constants: CostConstants | Mapping[str, CostConstants] | Sequence[CostConstants] = DEFAULT,
    *,
    vtls: int = 2,
    evicted_kib: Iterable[float] = (DEFAULT_EVICTED_KIB,),
) -> Grid:
    """The vectorised core of :func:`sweep`: every quantity as a broadcast 6-D array, no DataFrame.

    ``vtls`` (1..3) picks the VTL count of the memory columns and of the bytes copied per entry
    and per switch, each measured at that count (:meth:`DesignCosts.at_vtls`).  Cache lines and
    pages touched come from the 2-VTL micro-trace.  At 1 VTL (VTL 0 only) no switch exists:
    the time model and the bytes per entry are then the 2-VTL ones (read them at switch
    fraction 0, where they are the VTL-0-only entry's), and ``bytes_copied_per_switch`` is NaN.
    """
    vtls = check_vtls(vtls)
    costs = _designs(designs)
    names, consts = _constants(constants)
    if not consts:
        raise ValueError("constants: give at least one set")
    vp_arr = _axis("vps", [check_vps(v) for v in vps], 1)
    ev_arr = _axis("evicted_kib", [check_evicted(e) for e in evicted_kib], 0)
    rates = _axis("entries_per_s", entries_per_s, 0, MAX_ENTRIES_PER_S)
    fracs = _axis("switch_fraction", switch_fraction, 0, 1)
    nd, nc, nv, ne, nr, nf = len(costs), len(consts), len(vp_arr), len(ev_arr), len(rates), len(fracs)
    di = np.arange(nd).reshape(nd, 1, 1, 1, 1, 1)
    ci = np.arange(nc).reshape(1, nc, 1, 1, 1, 1)
    v = vp_arr.reshape(1, 1, nv, 1, 1, 1)
    e = ev_arr.reshape(1, 1, 1, ne, 1, 1)
    r = rates.reshape(1, 1, 1, 1, nr, 1)
    f = fracs.reshape(1, 1, 1, 1, 1, nf)
    plain = [c.per_entry(0.0) for c in costs]
    switched = [c.per_entry(1.0) for c in costs]

    def mixed(attr: str) -> np.ndarray:
        # Per-entry counts are linear in the switch fraction (see DesignCosts.per_entry).
        a0 = np.array([getattr(p, attr) for p in plain])[di]
        a1 = np.array([getattr(p, attr) for p in switched])[di]
        out: np.ndarray = a0 + f * (a1 - a0)
        return out

    k = {fld.name: np.array([getattr(c, fld.name) for c in consts], dtype=np.float64)[ci]
         for fld in fields(CostConstants)}
    # Each design's platform declares its fixed work (one row of constants per design).
    fixed = [platform_cycles(c.platform, k) for c in costs]
    round_trip = np.concatenate([np.broadcast_to(rt, (1, nc, 1, 1, 1, 1)) for rt, _ in fixed], axis=0)
    kernel = np.concatenate([np.broadcast_to(kc, (1, nc, 1, 1, 1, 1)) for _, kc in fixed], axis=0)
    copied, lines, pages = mixed("bytes_copied"), mixed("cache_lines"), mixed("pages_touched")
    at = [c.at_vtls(vtls) for c in costs]
    if vtls >= 2:
        # The bytes measured at this count, mixed as mixed() does (at 2 they are the same numbers).
        e0 = np.array([a.entry_copied for a in at], dtype=np.float64)[di]
        e1 = np.array([a.bytes_per_entry(1.0) for a in at], dtype=np.float64)[di]
        copied = e0 + f * (e1 - e0)
    per_switch = np.array([np.nan if a.switch_copied is None else a.switch_copied for a in at],
                          dtype=np.float64)[di]
    b = model(round_trip_cycles=round_trip, kernel_cycles=kernel, bytes_copied=copied, cache_lines=lines,
              pages_touched=pages, footprint_lines=mixed("footprint_lines"),
              footprint_pages=mixed("footprint_pages"), evicted_kib=e, k=k)
    ppv = np.array([c.pages_per_vp(vtls) for c in costs], dtype=np.int64)[di]
    heap = np.array([c.heap_bytes_per_vp(vtls) for c in costs], dtype=np.int64)[di]
    total = b.total
    values = {
        "bytes_copied_per_entry": copied, "bytes_copied_per_switch": per_switch,
        "cache_lines_per_entry": lines,
        "pages_touched_per_entry": pages, "pages_per_vp": ppv, "heap_bytes_per_vp": heap,
        "pages_per_partition": ppv * v, "kib_per_partition": (ppv * PAGE + heap) * v / 1024.0,
        **{f"ns_{p}": getattr(b, p) for p in PARTS},
        "ns_per_entry": total, "ns_design": b.design_dependent, "cpu_share": total * r / 1e9,
    }  # fmt: skip
    axes = {"design": di, "constants": ci, "vps": v, "evicted_kib": e, "entries_per_s": r,
            "switch_fraction": f}
    return Grid(costs, names, (nd, nc, nv, ne, nr, nf), axes, values)


def sweep(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    vps: Iterable[int] = DEFAULT_VPS,
    entries_per_s: Iterable[float] = DEFAULT_RATES,
    switch_fraction: Iterable[float] = DEFAULT_FRACTIONS,
    constants: CostConstants | Mapping[str, CostConstants] | Sequence[CostConstants] = DEFAULT,
    *,
    vtls: int | Iterable[int] = 2,
    evicted_kib: Iterable[float] = (DEFAULT_EVICTED_KIB,),
) -> pd.DataFrame:
    """One row per (design, constants, vps, KiB evicted, lower VTLs, entries/s, switch fraction).

    ``constants`` is one set, a sequence (named ``set0``, ``set1``, ...) or a mapping
    name -> set.  ``vtls`` is how many lower VTLs are enabled per VP (1 = VTL 0 only, up to
    3), or several counts: the frame then holds one block per count, in the order given
    (column ``lower_vtls``).  It sets the memory columns and the bytes copied per entry and
    per switch (see :func:`evaluate`); VTL switching needs 2 or more, the default is 2.
    ``vps`` scales only the per-partition memory columns; ``evicted_kib`` (what the guest's
    own work evicts between two entries) sets how hot the lines are.
    ``cpu_share`` is the fraction of one CPU a VP spends on entries at that rate.
    """
    if not isinstance(vtls, int):
        counts = list(dict.fromkeys(check_vtls(n) for n in vtls))
        if not counts:
            raise ValueError("vtls: give at least one VTL count")
        frames = [sweep(designs, vps, entries_per_s, switch_fraction, constants, vtls=n,
                        evicted_kib=evicted_kib) for n in counts]
        out = pd.concat(frames, ignore_index=True)
        out["design"] = out["design"].astype(frames[0]["design"].dtype)
        out["constants"] = out["constants"].astype(frames[0]["constants"].dtype)
        out.attrs["parts"] = PARTS
        out.attrs["vtls"] = tuple(counts)
        return out
    g = evaluate(designs, vps, entries_per_s, switch_fraction, constants, vtls=vtls, evicted_kib=evicted_kib)

    def flat(x: np.ndarray | float, dtype: type = np.float64) -> np.ndarray:
        out: np.ndarray = np.broadcast_to(np.asarray(x, dtype=dtype), g.shape).ravel()
        return out

    ints = {"vps", "pages_per_vp", "heap_bytes_per_vp", "pages_per_partition"}
    data: dict[str, object] = {
        "design": pd.Categorical.from_codes(flat(g.axes["design"], np.int64),
                                            pd.Index([c.design for c in g.costs])),
        "constants": pd.Categorical.from_codes(flat(g.axes["constants"], np.int64), pd.Index(g.names)),
    }
    for col in ("vps", "evicted_kib", "entries_per_s", "switch_fraction"):
        data[col] = flat(g.axes[col], np.int64 if col in ints else np.float64)
    for col, arr in g.values.items():
        data[col] = flat(arr, np.int64 if col in ints else np.float64)
    data["lower_vtls"] = np.full(flat(0.0).size, vtls, dtype=np.int64)
    frame = pd.DataFrame(data, columns=list(COLUMNS))
    frame.attrs["vtls"] = vtls
    frame.attrs["parts"] = PARTS
    return frame


def curves(
    designs: Iterable[str | Design | DesignCosts],
    constants: CostConstants,
    evicted_kib: float,
    fractions: np.ndarray,
    column: str = "ns_per_entry",
) -> np.ndarray:
    """``column`` for each design (rows) over ``fractions`` (columns) at one eviction; fast path."""
    g = evaluate(designs, [1], [0.0], fractions, constants, evicted_kib=[evicted_kib])
    out: np.ndarray = np.broadcast_to(g.values[column], g.shape)[:, 0, 0, 0, 0, :]
    return out


# --- break-even ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BreakEven:
    """Where ``design`` is cheaper than every design in ``others``, as switch-fraction intervals.

    ``crossings`` are the fractions where the cheaper design changes; ``cheaper`` the
    closed intervals of [0, 1] in which ``design`` wins (empty: never), with
    ``evicted_kib`` evicted by the guest between two entries.
    """

    design: str
    others: tuple[str, ...]
    evicted_kib: float
    crossings: tuple[float, ...]
    cheaper: tuple[tuple[float, float], ...]
    #: Closed intervals where the costs are equal (within float noise); a point is (x, x).
    ties: tuple[tuple[float, float], ...] = ()

    @property
    def always(self) -> bool:
        """True when ``design`` wins over the whole range."""
        return self.cheaper == ((0.0, 1.0),)

    @property
    def never(self) -> bool:
        """True when ``design`` never wins."""
        return not self.cheaper


def break_even(
    design: str | Design | DesignCosts,
    others: Iterable[str | Design | DesignCosts],
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    resolution: int = 4001,
) -> BreakEven:
    """Switch fractions where ``design`` is strictly cheaper than all ``others``.

    Evaluated on a grid of ``resolution`` points over [0, 1]; interval ends are
    refined by linear interpolation between grid points (the cost is close to
    linear in the switch fraction, so this is accurate well below the grid step).
    """
    me = design if isinstance(design, DesignCosts) else account(design)
    rivals = [o if isinstance(o, DesignCosts) else account(o) for o in others]
    if not rivals:
        raise ValueError("break_even needs at least one other design")
    ev = check_evicted(evicted_kib)
    grid = np.linspace(0.0, 1.0, resolution)
    totals = curves([me, *rivals], constants, ev, grid)
    mine, best_other = totals[0], np.min(totals[1:], axis=0)
    diff = mine - best_other  # < 0: design wins
    # Differences within float noise of zero count as a tie (not a win).
    tol = 1e-9 * np.maximum(1.0, np.abs(best_other))
    wins = diff < -tol
    crossings: list[float] = []
    intervals: list[tuple[float, float]] = []
    start = 0.0 if wins[0] else None
    for i in (np.flatnonzero(np.diff(wins.astype(np.int8))) + 1).tolist():
        d0, d1 = diff[i - 1], diff[i]
        x = grid[i - 1] + (grid[i] - grid[i - 1]) * (d0 / (d0 - d1) if d0 != d1 else 0.5)
        x = float(np.clip(x, 0.0, 1.0))
        crossings.append(x)
        if wins[i]:
            start = x
        elif start is not None:
            intervals.append((start, x))
            start = None
    if start is not None:
        intervals.append((start, 1.0))
    return BreakEven(me.design, tuple(o.design for o in rivals), ev, tuple(crossings), tuple(intervals),
                     _runs(grid, np.abs(diff) <= tol))


def _runs(grid: np.ndarray, mask: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Closed intervals of ``grid`` where ``mask`` holds."""
    out = []
    idx = np.flatnonzero(mask)
    if idx.size:
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.concatenate(([idx[0]], idx[breaks + 1]))
        ends = np.concatenate((idx[breaks], [idx[-1]]))
        out = [(float(grid[a]), float(grid[b])) for a, b in zip(starts, ends, strict=True)]
    return tuple(out)


def break_evens(designs_shown: Sequence[str], constants: CostConstants = DEFAULT, *,
                evicted_kib: float = DEFAULT_EVICTED_KIB) -> list[BreakEven]:
    """The break-even questions the shown designs ask, answered, in the order the designs are given.

    A registered design ``d`` asks, for each tuple of :attr:`~tdxlab.sim.designs.Design.break_even_against`,
    whether it is cheaper than those rivals that are shown too; a tuple none of whose
    rivals is shown asks nothing.  Keys not in the registry (a variant passed as
    :class:`~tdxlab.cost.accounting.DesignCosts`) ask nothing.
    """
    shown = list(designs_shown)
    out = []
    for key in shown:
        design = DESIGNS.get(key)
        if design is None:
            continue
        for rivals in design.break_even_against:
            present = [r for r in rivals if r in shown and r != key]
            if present:
                out.append(break_even(key, present, constants, evicted_kib=evicted_kib))
    return out


def verdicts(constants: CostConstants = DEFAULT, *,
             evicted_kib: float = DEFAULT_EVICTED_KIB) -> list[BreakEven]:
    """Every registered design's break-even questions, all designs shown (:func:`break_evens`)."""
    return break_evens(list(DESIGNS), constants, evicted_kib=evicted_kib)


#: Columns of :func:`break_even_frame`, in order.
BREAK_EVEN_COLUMNS: tuple[str, ...] = ("evicted_kib", "design", "against", "cheaper_for", "crossings",
                                       "break_even")


def break_even_frame(evicted_kib: Iterable[float] = DEFAULT_EVICTED,
                     constants: CostConstants = DEFAULT) -> pd.DataFrame:
    """:func:`verdicts` at each eviction point, one row per question (the notebook's table).

    ``cheaper_for`` lists the winning intervals (``lo..hi``, or ``never``), and
    ``break_even`` holds the :class:`BreakEven` itself, so the words layer can state the
    finding (:func:`tdxlab.describe.break_even_table` adds a ``finding`` column).
    """
    rows = []
    for ev in evicted_kib:
        for be in verdicts(constants, evicted_kib=ev):
            rows.append({
                "evicted_kib": be.evicted_kib,
                "design": be.design,
                "against": " and ".join(be.others),
                "cheaper_for": "; ".join(f"{lo:.3g}..{hi:.3g}" for lo, hi in be.cheaper) or "never",
                "crossings": ", ".join(f"{x:.3g}" for x in be.crossings),
                "break_even": be,
            })
    return pd.DataFrame(rows, columns=list(BREAK_EVEN_COLUMNS))


def summary(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
) -> pd.DataFrame:
    """One row per design at one workload point: counts, parts and total (the CLI's table)."""
    rows = []
    for c in _designs(designs):
        counts = c.per_entry(switch_fraction)
        b = breakdown(c, constants, evicted_kib=evicted_kib, switch_fraction=switch_fraction)
        rows.append({
            "design": c.design,
            "bytes_copied_per_entry": counts.bytes_copied,
            "cache_lines_per_entry": counts.cache_lines,
            "pages_touched_per_entry": counts.pages_touched,
            "pages_per_vp": c.pages_per_vp(2),
            **{f"ns_{p}": float(getattr(b, p)) for p in PARTS},
            "ns_per_entry": float(b.total),
            "ns_design": float(b.design_dependent),
        })
    return pd.DataFrame(rows)


__all__ = [
    "BREAK_EVEN_COLUMNS",
    "COLUMNS",
    "DEFAULT_EVICTED",
    "DEFAULT_FRACTIONS",
    "DEFAULT_RATES",
    "DEFAULT_VPS",
    "MAX_ENTRIES_PER_S",
    "BreakEven",
    "Grid",
    "break_even",
    "break_even_frame",
    "break_evens",
    "curves",
    "evaluate",
    "summary",
    "sweep",
    "verdicts",
]
