"""Which cost conclusions survive the constants nobody could verify, and where they flip.

Most constants that set the *scale* of the time model are unverified stand-ins or tdxlab's
assumptions (:func:`tdxlab.cost.constants.uncertain_names`).  A conclusion a reviewer may
draw ("the proposal is cheaper than OpenVMM's bank per entry", "it wins below a switch
fraction of 0.4") is only worth stating if it survives every plausible value of them.  So
for one question (``design`` against the cheapest of ``against``, at one workload point)
:func:`sensitivity` moves each uncertain constant alone across its declared range
(:attr:`~tdxlab.cost.constants.ConstantInfo.low` .. ``high``), the others at their values,
and records

* the difference in ns per entry at every value tried (negative: ``design`` is cheaper);
* the values at which its sign flips (the conclusion turns over), interpolated;
* the break-even switch fraction at each value (where ``design`` stops being cheaper).

Everything is one vectorised :func:`tdxlab.cost.sweep.evaluate` call per constant, over the
constants axis and a switch-fraction grid.  The words for a row are
:func:`tdxlab.describe.sensitivity_sentence`, one layer up; the chart is
:func:`tdxlab.render.charts.draw_sensitivity`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tdxlab.cost.accounting import DesignCosts, account
from tdxlab.cost.constants import CONSTANTS, DEFAULT, CostConstants, uncertain_names
from tdxlab.cost.sweep import evaluate
from tdxlab.cost.timemodel import DEFAULT_EVICTED_KIB, check_evicted
from tdxlab.sim.designs import DESIGNS, Design

#: Values tried per constant (log-spaced when the range is positive, so a factor reads evenly).
POINTS = 41
#: The switch-fraction grid the break-even columns are read from.
FRACTIONS = np.linspace(0.0, 1.0, 201)


@dataclass(frozen=True)
class Sensitivity:
    """One uncertain constant moved across its range, for one question at one workload point."""

    constant: str
    design: str
    against: tuple[str, ...]
    default: float
    values: tuple[float, ...]
    #: ns per entry of ``design`` minus the cheapest of ``against`` at each value (negative: cheaper).
    diffs: tuple[float, ...]
    #: The difference at the constant's current value.
    diff_default: float
    #: Constant values where the sign of the difference changes (interpolated).
    flips: tuple[float, ...]
    #: Break-even switch fraction at each value (``None``: no crossing in 0..1).
    break_evens: tuple[float | None, ...]

    @property
    def low(self) -> float:
        """The lowest value tried."""
        return self.values[0]

    @property
    def high(self) -> float:
        """The highest value tried."""
        return self.values[-1]

    @property
    def holds(self) -> bool:
        """True when the sign of the difference is the same over the whole range."""
        return not self.flips

    @property
    def span(self) -> float:
        """How far the difference moves over the range, ns (the tornado chart sorts by it)."""
        return max(self.diffs) - min(self.diffs)


def _values(name: str, current: float) -> np.ndarray:
    info = CONSTANTS[name]
    assert info.low is not None and info.high is not None  # uncertain constants have ranges
    lo, hi = min(info.low, current), max(info.high, current)
    grid = np.geomspace(lo, hi, POINTS) if lo > 0 else np.linspace(lo, hi, POINTS)
    return np.unique(np.append(grid, current))


def _flips(values: np.ndarray, diff: np.ndarray) -> tuple[float, ...]:
    """Where ``diff`` changes sign along ``values``, each crossing interpolated linearly."""
    out = []
    for i in np.flatnonzero(np.sign(diff[1:]) != np.sign(diff[:-1])).tolist():
        v0, v1, d0, d1 = values[i], values[i + 1], diff[i], diff[i + 1]
        out.append(float(v0 + (v1 - v0) * (d0 / (d0 - d1) if d0 != d1 else 0.5)))
    return tuple(out)


def _crossing(fracs: np.ndarray, diff: np.ndarray) -> float | None:
    """The first switch fraction where ``diff`` changes sign, or ``None``."""
    crossings = _flips(fracs, diff)
    return crossings[0] if crossings else None


def sensitivity(
    design: str | Design | DesignCosts,
    against: Iterable[str | Design | DesignCosts],
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
    names: Iterable[str] | None = None,
) -> list[Sensitivity]:
    """Each uncertain constant (or ``names``) moved alone across its range: see the module docstring."""
    me = design if isinstance(design, DesignCosts) else account(design)
    rivals = [o if isinstance(o, DesignCosts) else account(o) for o in against]
    if not rivals:
        raise ValueError("sensitivity needs at least one design to compare against")
    if not 0.0 <= switch_fraction <= 1.0:
        raise ValueError(f"switch fraction must be within 0..1, got {switch_fraction!r}")
    ev = check_evicted(evicted_kib)
    chosen = list(uncertain_names() if names is None else names)
    unknown = [n for n in chosen if n not in CONSTANTS or not CONSTANTS[n].uncertain]
    if unknown:
        raise ValueError(f"no sensitivity range for {', '.join(map(repr, unknown))}; "
                         f"uncertain constants: {', '.join(uncertain_names())}")
    fracs = np.unique(np.append(FRACTIONS, switch_fraction))
    at = int(np.searchsorted(fracs, switch_fraction))
    out = []
    for name in chosen:
        current = float(getattr(constants, name))
        values = _values(name, current)
        sets = [dataclasses.replace(constants, **{name: float(v)}) for v in values]
        g = evaluate([me, *rivals], [1], [0.0], fracs, sets, evicted_kib=[ev])
        ns = np.broadcast_to(g.values["ns_per_entry"], g.shape)[:, :, 0, 0, 0, :]  # design, value, frac
        diff = ns[0] - np.min(ns[1:], axis=0)  # value, frac
        point = diff[:, at]
        i_default = int(np.flatnonzero(values == current)[0])
        out.append(Sensitivity(
            constant=name, design=me.design, against=tuple(r.design for r in rivals), default=current,
            values=tuple(float(v) for v in values), diffs=tuple(float(d) for d in point),
            diff_default=float(point[i_default]), flips=_flips(values, point),
            break_evens=tuple(_crossing(fracs, row) for row in diff),
        ))
    return out


def sensitivity_questions(costs: Sequence[DesignCosts]) -> list[tuple[DesignCosts, list[DesignCosts]]]:
    """The questions the sensitivity chart asks: the registered break-even questions among ``costs``.

    A variant or design file has none of its own, so with no registered question the first
    design is asked against the rest.
    """
    by_key = {c.design: c for c in costs}
    out = []
    for c in costs:
        design = DESIGNS.get(c.design)
        if design is None or c.is_variant:
            continue
        for rivals in design.break_even_against:
            present = [by_key[r] for r in rivals if r in by_key and r != c.design]
            if present:
                out.append((c, present))
    if not out and len(costs) > 1:
        out.append((costs[0], list(costs[1:])))
    return out


#: Columns of :func:`sensitivity_frame`, in order.
COLUMNS: tuple[str, ...] = (
    "design", "against", "constant", "unit", "default", "low", "high", "diff_default_ns", "diff_low_ns",
    "diff_high_ns", "holds", "flips_at", "break_even_default", "break_even_low", "break_even_high",
)  # fmt: skip


def sensitivity_frame(rows: Iterable[Sensitivity]) -> pd.DataFrame:
    """One row per constant: the range, the difference at both ends, flips and break-evens."""
    data = []
    for s in rows:
        i_default = s.values.index(s.default)
        data.append((s.design, " and ".join(s.against), s.constant, CONSTANTS[s.constant].unit, s.default,
                     s.low, s.high, s.diff_default, s.diffs[0], s.diffs[-1], s.holds,
                     ", ".join(f"{v:.3g}" for v in s.flips), s.break_evens[i_default], s.break_evens[0],
                     s.break_evens[-1]))
    return pd.DataFrame(data, columns=list(COLUMNS))


__all__ = ["COLUMNS", "FRACTIONS", "POINTS", "Sensitivity", "sensitivity", "sensitivity_frame",
           "sensitivity_questions"]
