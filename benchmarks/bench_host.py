"""Host analogue of each page design on this machine: ns per entry, cache-hot to cache-cold.

This is a host analogue, NOT a TDX (or SEV-SNP) measurement: the memory traffic each design's
protocol logs (copies, and the lines the kernel/CPU load and save) is replayed with
``ctypes.memmove`` on real page-aligned 4 KiB buffers laid out as the designs lay them out,
each timed entry after the guest's own work is stood in for by reading ``--evicted`` KiB of
another buffer.  Beside it, the time model's design-dependent ns with this machine's cache
sizes, so the two can be read together (the chart is ``tdxlab plot cost``'s model_vs_host).
See tdxlab/cost/host.py for what it does and does not show.

Run: ``python benchmarks/bench_host.py [--evicted 0,64,1024,16384,65536] [--rounds 2000]
[--repeats 3] [--csv FILE]``.  The default run takes about half a minute.
"""

from __future__ import annotations

import argparse
import sys
import time

from tdxlab.cost import host
from tdxlab.cost.sweep import sweep
from tdxlab.sim.designs import fix_designs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evicted", default="0,64,1024,16384,65536",
                        help="comma-separated KiB evicted before each timed entry")
    parser.add_argument("--designs", default=",".join(d.key for d in fix_designs()),
                        help="comma-separated design keys (default: the registered fixes)")
    parser.add_argument("--rounds", type=int, default=2000, help="timed entries per repeat (fewer when "
                        "the eviction is big)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", help="also write the full table to this CSV file")
    args = parser.parse_args()
    t0 = time.perf_counter()
    designs = args.designs.split(",")
    points = [float(v) for v in args.evicted.split(",")]
    frame = host.measure(designs, points, rounds=args.rounds, repeats=args.repeats)
    print(host.table(frame))
    print()
    model = sweep(designs, [1], [0.0], [0.0, 1.0], host.host_constants(frame), evicted_kib=points)
    print("time model, design-dependent ns per entry with this machine's cache sizes "
          "(switch fraction 0 = entry, 1 = switch_entry):")
    print(model.pivot_table(index=["switch_fraction", "evicted_kib"], columns="design", values="ns_design")
          .round(0).to_string())
    print()
    cols = ["design", "evicted_kib", "scenario", "min_ns", "median_ns", "overhead_ns", "net_ns",
            "net_median_ns", "bytes_moved", "calls", "rounds"]
    print(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(f"\n({host.LABEL}; measured in {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
