"""Sweep throughput: rows per second of the vectorised cost sweep (target: 100,000 rows < 0.2 s).

The grid is the registered designs (4 today) x 10 VP counts x 5 eviction points x 5 entry rates x 100
switch fractions = 100,000 rows, the whole time model plus building the tidy DataFrame.  A second run
adds a constants axis (10 sets, 1,000,000 rows) to show how it scales.

Run: ``python benchmarks/bench_sweep.py [--repeats 5]``.
Exit status 1 when the best 100,000-row time misses the target.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np

from tdxlab.cost.constants import DEFAULT
from tdxlab.cost.sweep import sweep
from tdxlab.sim.designs import DESIGNS

TARGET_S = 0.2


def timed(repeats: int, **axes: object) -> tuple[int, float, float]:
    """Rows, best and median seconds of ``sweep(**axes)`` over ``repeats`` runs."""
    sweep(**axes)  # type: ignore[arg-type]  # warm the per-design accounting cache
    times = []
    rows = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = len(sweep(**axes))  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
    return rows, min(times), float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    grid = {"designs": list(DESIGNS), "vps": range(1, 11),
            "evicted_kib": [0.0, 64.0, 1024.0, 16384.0, 65536.0],
            "entries_per_s": [1e3, 1e4, 1e5, 1e6, 1e7],
            "switch_fraction": np.linspace(0.0, 1.0, 100)}
    rows, best, median = timed(args.repeats, **grid)
    print(f"sweep: {rows:,} rows  best {best * 1000:.1f} ms  median {median * 1000:.1f} ms  "
          f"{rows / best:,.0f} rows/s (best)  target < {TARGET_S * 1000:.0f} ms")
    sets = {f"l1x{i}": dataclasses.replace(DEFAULT, l1_ns=DEFAULT.l1_ns * (1 + i / 10)) for i in range(10)}
    rows10, best10, median10 = timed(max(1, args.repeats // 2), **grid, constants=sets)
    print(f"sweep with 10 constant sets: {rows10:,} rows  best {best10 * 1000:.1f} ms  "
          f"median {median10 * 1000:.1f} ms  {rows10 / best10:,.0f} rows/s (best)")
    return 0 if best < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
