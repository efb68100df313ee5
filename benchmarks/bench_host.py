"""Host analogue of each page design on this machine: ns per entry for 1 to 4096 VPs.

This is a host analogue, NOT a TDX (or SEV-SNP) measurement: the memory traffic each design's
protocol logs (copies, and the lines the kernel/CPU load and save) is replayed with numpy on
buffers laid out like the real pages, VPs entered in turn on one core so the working set
crosses L1, L2 and L3.  See tdxlab/cost/host.py for what it does and does not show.

Run: ``python benchmarks/bench_host.py [--vps 1,4,16,64,256,1024,4096] [--repeats 7] [--csv FILE]``.
The default run takes well under 20 s.
"""

from __future__ import annotations

import argparse
import sys
import time

from tdxlab.cost import host
from tdxlab.sim.designs import fix_designs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vps", default=",".join(str(v) for v in host.DEFAULT_VPS))
    parser.add_argument("--designs", default=",".join(d.key for d in fix_designs()),
                        help="comma-separated design keys (default: the registered fixes)")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--min-time-ms", type=float, default=5.0, help="minimum length of one timing")
    parser.add_argument("--csv", help="also write the full table to this CSV file")
    args = parser.parse_args()
    t0 = time.perf_counter()
    frame = host.measure(args.designs.split(","), [int(v) for v in args.vps.split(",")],
                         repeats=args.repeats, min_time_ns=args.min_time_ms * 1e6)
    print(host.table(frame))
    print()
    cols = ["design", "vps", "scenario", "min_ns", "median_ns", "overhead_ns", "net_ns", "words_moved",
            "working_set_kib"]
    print(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(f"\n({host.LABEL}; measured in {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
