"""Turn per-entry counts into nanoseconds, split into parts.

``ns per entry = round trip + kernel + copy + cache + tlb`` where

* **round trip** and **kernel** are the platform's fixed work, declared step by step in
  :mod:`tdxlab.cost.fixed`: on TDX the trip to VTL2 user mode and TDG.VP.ENTER, and the
  kernel's FXRSTOR/FXSAVE, MSR and CR2 accesses around it (reference sheet §3.5); on
  SEV-SNP two world switches and two hypervisor relays (the VMPL-0 paravisor cannot VMRUN a
  lower VMPL itself).  Every design on a platform pays them, so a proposal that only moves
  bytes is measured against them; most of their constants are *unverified*;
* **copy** = bytes the paravisor copies per entry, at the L1 copy bandwidth for the
  fraction of lines still in L1 and the DRAM stream bandwidth for the rest;
* **cache** = distinct cache lines touched per entry x the expected latency of a line;
* **tlb** = distinct pages touched per entry x the chance the translation was evicted x
  the nested page-walk references x the cost of one reference.

How hot the lines are: in OpenHCL on TDX the paravisor runs on each VP's own vCPU, so one
VP's run page is touched only by its own vCPU, and what evicts it between two entries is
the **guest's own work** in between.  The workload axis is therefore ``evicted_kib``: how
many KiB of other data the guest touches between two entries of this VP (0: everything is
still hot).  With random replacement, a line survives ``X`` bytes of other traffic in a
cache of ``C`` bytes with probability ``exp(-X / C)`` (:func:`still_cached`); the caches
are inclusive, so a line in L1 is also in L2 and L3.  ``X`` is the evicted bytes plus the
VP's own footprint between two entries (the other VTL's lines after a switch).  The same
for the TLB, in pages.  Cache-set conflicts are not modelled; the host analogue
(:mod:`tdxlab.cost.host`) measures real copies on real page-aligned buffers.

Everything is written with numpy operations so the same function evaluates one
point (floats) or a 100,000-row sweep (arrays) — :mod:`tdxlab.cost.sweep` relies
on that.  The model is non-decreasing in every cost-raising constant and in
``evicted_kib``, and non-increasing in clock, bandwidths and capacities (tests check this
with hypothesis); capacities and bandwidths only help when latencies are ordered
L1 <= L2 <= L3 <= DRAM and the L1 copy bandwidth is at least the DRAM one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

import numpy as np

from tdxlab.cost.accounting import DesignCosts, TraceCosts, account
from tdxlab.cost.constants import DEFAULT, CostConstants
from tdxlab.cost.fixed import Kind, fixed_cycles
from tdxlab.layout.engine import CACHE_LINE, PAGE
from tdxlab.registers import Platform
from tdxlab.sim.designs import Design
from tdxlab.sim.model import positive_count


class Part(Enum):
    """One part of the cost of an entry (a closed set: views word each one, see ``describe``)."""

    ROUND_TRIP = "round_trip"
    KERNEL = "kernel"
    COPY = "copy"
    CACHE = "cache"
    TLB = "tlb"


#: The parts of the cost of one entry, in stacking order (the :class:`Breakdown` attributes and
#: the ``ns_<part>`` columns of the sweeps).
PARTS: tuple[str, ...] = tuple(p.value for p in Part)
#: The parts every design on a platform pays (the rest differ between page designs).
FIXED_PARTS: tuple[str, ...] = (Part.ROUND_TRIP.value, Part.KERNEL.value)

#: The default workload point: KiB the guest's own work touches between two entries of a VP.
#: An assumption (more than an L1, less than an L2); every view that uses it says so, and the
#: sweeps and charts run over :data:`EVICTED_AXIS`.
DEFAULT_EVICTED_KIB = 256.0
#: The eviction axis of the charts and sweeps, KiB: from everything hot to well past an L3.
EVICTED_AXIS: tuple[float, ...] = (0.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0)
#: The most KiB a workload point may evict (1 TiB): beyond that every line is long gone.
MAX_EVICTED_KIB = float(2**30)


@dataclass(frozen=True)
class Breakdown:
    """Nanoseconds per entry, by part (floats for one point, arrays for a sweep)."""

    round_trip: Any
    kernel: Any
    copy: Any
    cache: Any
    tlb: Any

    @property
    def fixed(self) -> Any:
        """The platform's fixed work: round trip plus the kernel's work around it."""
        return self.round_trip + self.kernel

    @property
    def total(self) -> Any:
        """Nanoseconds per entry, all parts."""
        return self.fixed + self.design_dependent

    @property
    def design_dependent(self) -> Any:
        """The parts that differ between page designs (everything but the fixed work)."""
        return self.copy + self.cache + self.tlb

    def as_dict(self) -> dict[str, float]:
        """Parts and total as plain floats (one point only)."""
        out = {p: float(getattr(self, p)) for p in PARTS}
        out["total"] = float(self.total)
        return out


def still_cached(other_bytes: Any, capacity_bytes: Any) -> Any:
    """Chance a line survives ``other_bytes`` of other traffic in a cache of ``capacity_bytes``.

    Random replacement: each new line evicts a given line with probability 1 / lines, so
    after ``n`` new lines it survives with ``(1 - 1/N)^n``, about ``exp(-n / N)``.
    """
    return np.exp(-np.maximum(np.asarray(other_bytes, dtype=np.float64), 0.0) / capacity_bytes)


def hit_levels(other_bytes: Any, k: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Chances a line is still in L1, in L2 (or L1), in L3 (or above): inclusive caches."""
    h1 = still_cached(other_bytes, k["l1_kib"] * 1024.0)
    h2 = np.maximum(h1, still_cached(other_bytes, k["l2_kib"] * 1024.0))
    h3 = np.maximum(h2, still_cached(other_bytes, k["l3_kib"] * 1024.0))
    return h1, h2, h3


def line_latency(other_bytes: Any, k: Mapping[str, Any]) -> Any:
    """Expected latency of one line after ``other_bytes`` of other traffic since it was touched."""
    h1, h2, h3 = hit_levels(other_bytes, k)
    return h1 * k["l1_ns"] + (h2 - h1) * k["l2_ns"] + (h3 - h2) * k["l3_ns"] + (1.0 - h3) * k["dram_ns"]


def tlb_miss_fraction(other_pages: Any, k: Mapping[str, Any]) -> Any:
    """Chance a touched page's translation was evicted by ``other_pages`` other pages."""
    return 1.0 - still_cached(other_pages, k["tlb_entries"])


def model(
    *,
    round_trip_cycles: Any,
    kernel_cycles: Any,
    bytes_copied: Any,
    cache_lines: Any,
    pages_touched: Any,
    footprint_lines: Any,
    footprint_pages: Any,
    evicted_kib: Any,
    k: Mapping[str, Any],
) -> Breakdown:
    """The formula, on floats or broadcastable arrays (``k`` maps constant names to values)."""
    evicted = np.asarray(evicted_kib, dtype=np.float64) * 1024.0
    other_bytes = evicted + footprint_lines * CACHE_LINE
    other_pages = evicted / PAGE + footprint_pages
    h1 = hit_levels(other_bytes, k)[0]
    # GB/s == bytes per ns
    copy = bytes_copied * (h1 / k["hot_copy_gb_per_s"] + (1.0 - h1) / k["copy_gb_per_s"])
    cache = cache_lines * line_latency(other_bytes, k)
    tlb = pages_touched * tlb_miss_fraction(other_pages, k) * k["walk_refs"] * k["walk_ref_ns"]
    return Breakdown(round_trip_cycles / k["cpu_ghz"], kernel_cycles / k["cpu_ghz"], copy, cache, tlb)


def constants_map(constants: CostConstants) -> dict[str, float]:
    """The constants as a name -> value mapping (what :func:`model` reads)."""
    return {f.name: float(getattr(constants, f.name)) for f in fields(constants)}


def platform_cycles(platform: Platform, k: Mapping[str, Any]) -> tuple[Any, Any]:
    """Round-trip and kernel cycles per entry on ``platform`` (:mod:`tdxlab.cost.fixed`)."""
    return fixed_cycles(platform, k, Kind.ROUND_TRIP), fixed_cycles(platform, k, Kind.KERNEL)


def check_vps(vps: object) -> int:
    """A VP count from user input, or a one-line error (:func:`tdxlab.sim.model.positive_count`)."""
    return positive_count(vps, "vps")


def check_evicted(evicted_kib: object, where: str = "evicted_kib") -> float:
    """KiB evicted between two entries from user input (0..1 TiB), or a one-line ``ValueError``."""
    if isinstance(evicted_kib, bool) or not isinstance(evicted_kib, int | float):
        raise ValueError(f"{where}: expected a number of KiB, got {evicted_kib!r}")
    value = float(evicted_kib)
    if not math.isfinite(value) or not 0.0 <= value <= MAX_EVICTED_KIB:
        raise ValueError(f"{where}: {evicted_kib!r} is outside 0..{MAX_EVICTED_KIB:.0f} KiB")
    return value


def breakdown(
    design: str | Design | DesignCosts | TraceCosts,
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
) -> Breakdown:
    """Nanoseconds per entry of one design, by part, at one workload point.

    For a design the counts come from its micro-traces at ``switch_fraction``; for a
    :class:`~tdxlab.cost.accounting.TraceCosts` they are that trace's own averages (the
    switch fraction is the trace's, so passing one is an error).  ``evicted_kib`` is what
    the guest's own work evicts between two entries of a VP (module docstring).
    """
    if isinstance(design, TraceCosts):
        if switch_fraction:
            raise ValueError("a trace has its own switch fraction; do not pass switch_fraction")
        costs: DesignCosts | TraceCosts = design
        counts = design.per_entry()
    else:
        costs = design if isinstance(design, DesignCosts) else account(design)
        counts = costs.per_entry(switch_fraction)
    k = constants_map(constants)
    round_trip, kernel = platform_cycles(costs.platform, k)
    result = model(
        round_trip_cycles=round_trip,
        kernel_cycles=kernel,
        bytes_copied=counts.bytes_copied,
        cache_lines=counts.cache_lines,
        pages_touched=counts.pages_touched,
        footprint_lines=counts.footprint_lines,
        footprint_pages=counts.footprint_pages,
        evicted_kib=check_evicted(evicted_kib),
        k=k,
    )
    return Breakdown(*(float(getattr(result, p)) for p in PARTS))


def ns_per_entry(design: str | Design | DesignCosts | TraceCosts, constants: CostConstants = DEFAULT, *,
                 evicted_kib: float = DEFAULT_EVICTED_KIB, switch_fraction: float = 0.0) -> float:
    """Total nanoseconds per entry (see :func:`breakdown` for the parts)."""
    return float(breakdown(design, constants, evicted_kib=evicted_kib, switch_fraction=switch_fraction).total)


__all__ = [
    "DEFAULT_EVICTED_KIB",
    "EVICTED_AXIS",
    "FIXED_PARTS",
    "MAX_EVICTED_KIB",
    "PARTS",
    "Breakdown",
    "Part",
    "breakdown",
    "check_evicted",
    "check_vps",
    "constants_map",
    "hit_levels",
    "line_latency",
    "model",
    "ns_per_entry",
    "platform_cycles",
    "still_cached",
    "tlb_miss_fraction",
]
