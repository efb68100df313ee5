"""Turn per-entry counts into nanoseconds, split into parts.

``ns per entry = fixed + copy + cache + tlb`` where

* **fixed** = the entry round trip (TDG.VP.ENTER for designs on TDX, VMGEXIT for
  designs on SEV-SNP) in cycles / the core clock.  Both round trips are *unverified* stand-ins
  (see :mod:`tdxlab.cost.constants`); they are equal by default so that the
  comparison between designs is about the page protocol, not the platform;
* **copy** = bytes the paravisor copies per entry / copy bandwidth;
* **cache** = distinct cache lines touched per entry x the expected latency of a
  line, given how much of the working set fits each cache level;
* **tlb** = distinct pages touched per entry x the TLB-miss probability x the
  nested page-walk references x the cost of one reference.

Working-set assumption (the same as the host analogue in :mod:`tdxlab.cost.host`):
``vps`` VPs are entered in turn on one core, so their per-VP footprints compete
for that core's caches and TLB.  The fraction of lines found in L1 is
``min(1, L1 capacity / footprint)``, and so on down to DRAM; likewise for the
TLB.  Cache-set conflicts (page-aligned pages all map their line at offset 0x200
to the same set) and the guest's own evictions between entries are not modelled;
the host analogue shows the former.

Everything is written with numpy operations so the same function evaluates one
point (floats) or a 100,000-row sweep (arrays) — :mod:`tdxlab.cost.sweep` relies
on that.  The model is non-decreasing in every cost-raising constant and
non-increasing in clock, bandwidth and capacities (tests check this with
hypothesis); capacities only help when latencies are ordered L1 <= L2 <= L3 <= DRAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

import numpy as np

from tdxlab.cost.accounting import DesignCosts, TraceCosts, account
from tdxlab.cost.constants import DEFAULT, ENTRY_CYCLES, CostConstants
from tdxlab.layout.engine import CACHE_LINE
from tdxlab.sim.designs import Design
from tdxlab.sim.model import positive_count


class Part(Enum):
    """One part of the cost of an entry (a closed set: views word each one, see ``describe``)."""

    FIXED = "fixed"
    COPY = "copy"
    CACHE = "cache"
    TLB = "tlb"


#: The parts of the cost of one entry, in stacking order (the :class:`Breakdown` attributes and
#: the ``ns_<part>`` columns of the sweeps).
PARTS: tuple[str, ...] = tuple(p.value for p in Part)


@dataclass(frozen=True)
class Breakdown:
    """Nanoseconds per entry, by part (floats for one point, arrays for a sweep)."""

    fixed: Any
    copy: Any
    cache: Any
    tlb: Any

    @property
    def total(self) -> Any:
        """Nanoseconds per entry, all parts."""
        return self.fixed + self.copy + self.cache + self.tlb

    @property
    def design_dependent(self) -> Any:
        """The parts that differ between page designs (everything but the fixed round trip)."""
        return self.copy + self.cache + self.tlb

    def as_dict(self) -> dict[str, float]:
        """Parts and total as plain floats (one point only)."""
        out = {p: float(getattr(self, p)) for p in PARTS}
        out["total"] = float(self.total)
        return out


def line_latency(footprint_bytes: Any, k: Mapping[str, Any]) -> Any:
    """Expected latency of one line when ``footprint_bytes`` compete for the caches."""
    fp = np.maximum(np.asarray(footprint_bytes, dtype=np.float64), 1.0)
    h1 = np.minimum(1.0, k["l1_kib"] * 1024.0 / fp)
    h2 = np.maximum(h1, np.minimum(1.0, k["l2_kib"] * 1024.0 / fp))
    h3 = np.maximum(h2, np.minimum(1.0, k["l3_kib"] * 1024.0 / fp))
    return h1 * k["l1_ns"] + (h2 - h1) * k["l2_ns"] + (h3 - h2) * k["l3_ns"] + (1.0 - h3) * k["dram_ns"]


def tlb_miss_fraction(footprint_pages: Any, k: Mapping[str, Any]) -> Any:
    """Probability that a touched page is not in the TLB (footprint beyond capacity)."""
    fp = np.maximum(np.asarray(footprint_pages, dtype=np.float64), 1.0)
    return 1.0 - np.minimum(1.0, k["tlb_entries"] / fp)


def model(
    *,
    entry_cycles: Any,
    bytes_copied: Any,
    cache_lines: Any,
    pages_touched: Any,
    footprint_lines: Any,
    footprint_pages: Any,
    vps: Any,
    k: Mapping[str, Any],
) -> Breakdown:
    """The formula, on floats or broadcastable arrays (``k`` maps constant names to values)."""
    fixed = entry_cycles / k["cpu_ghz"]
    copy = bytes_copied / k["copy_gb_per_s"]  # GB/s == bytes per ns
    cache = cache_lines * line_latency(vps * footprint_lines * CACHE_LINE, k)
    tlb = pages_touched * tlb_miss_fraction(vps * footprint_pages, k) * k["walk_refs"] * k["walk_ref_ns"]
    return Breakdown(fixed, copy, cache, tlb)


def constants_map(constants: CostConstants) -> dict[str, float]:
    """The constants as a name -> value mapping (what :func:`model` reads)."""
    return {f.name: float(getattr(constants, f.name)) for f in fields(constants)}


def entry_cycles(costs: DesignCosts | TraceCosts, constants: CostConstants) -> float:
    """The round trip this design's platform pays per entry (:data:`ENTRY_CYCLES` names the constant)."""
    return float(getattr(constants, ENTRY_CYCLES[costs.platform]))


def check_vps(vps: object) -> int:
    """A VP count from user input, or a one-line error (:func:`tdxlab.sim.model.positive_count`)."""
    return positive_count(vps, "vps")


def breakdown(
    design: str | Design | DesignCosts | TraceCosts,
    constants: CostConstants = DEFAULT,
    *,
    vps: int | None = None,
    switch_fraction: float = 0.0,
) -> Breakdown:
    """Nanoseconds per entry of one design, by part, at one workload point.

    For a design the counts come from its micro-traces at ``switch_fraction``
    (``vps`` defaults to 1); for a :class:`~tdxlab.cost.accounting.TraceCosts` they
    are that trace's own averages (``vps`` defaults to the trace's VP count, and
    the switch fraction is the trace's, so passing one is an error).
    """
    if isinstance(design, TraceCosts):
        if switch_fraction:
            raise ValueError("a trace has its own switch fraction; do not pass switch_fraction")
        costs: DesignCosts | TraceCosts = design
        counts = design.per_entry()
        n = check_vps(design.vps if vps is None else vps)
    else:
        costs = design if isinstance(design, DesignCosts) else account(design)
        counts = costs.per_entry(switch_fraction)
        n = check_vps(1 if vps is None else vps)
    result = model(
        entry_cycles=entry_cycles(costs, constants),
        bytes_copied=counts.bytes_copied,
        cache_lines=counts.cache_lines,
        pages_touched=counts.pages_touched,
        footprint_lines=counts.footprint_lines,
        footprint_pages=counts.footprint_pages,
        vps=n,
        k=constants_map(constants),
    )
    return Breakdown(*(float(getattr(result, p)) for p in PARTS))


def ns_per_entry(design: str | Design | DesignCosts | TraceCosts, constants: CostConstants = DEFAULT, *,
                 vps: int | None = None, switch_fraction: float = 0.0) -> float:
    """Total nanoseconds per entry (see :func:`breakdown` for the parts)."""
    return float(breakdown(design, constants, vps=vps, switch_fraction=switch_fraction).total)


__all__ = [
    "PARTS",
    "Breakdown",
    "Part",
    "breakdown",
    "check_vps",
    "constants_map",
    "entry_cycles",
    "line_latency",
    "model",
    "ns_per_entry",
    "tlb_miss_fraction",
]
