"""How fast the simulators step through long traces, per design: the fast engine against the reference.

Measured on seeded random *valid* traces (about 40 % ``set``, 45 % ``run``, the rest VTL
switches, interrupts, paravisor accesses and one ``enable_vtl`` per VP), drawn through the
one rule table (``OP_RULES``, via ``FastSimulation.valid_events``):

1. the fast engine (:mod:`tdxlab.sim.fast`) on ``--events`` (default 1,000,000) events on
   64 VPs, no step history, findings counted and the first 1,000 kept; its ratio to the
   reference engine (:mod:`tdxlab.sim.machine`, ``record=False``) measured in the same run on
   the trace's first ``--reference-events`` (default 50,000) events;
2. step history on 10,000 events: the fast engine's ``history=True`` (a ``FastStep`` per
   event, pages and truth made on demand) against the reference's ``record=True``;
3. the physical reference: this machine's memcpy bandwidth (numpy, 64 MiB and 1 KiB copies)
   and the bytes each design moves per event (from its compiled plans);
4. peak memory (``ru_maxrss``) after the long runs, and a ``--stream-events`` trace file
   (default 10,000,000) written to a temporary directory and streamed through the fast
   engine without being held in memory (each run in a fresh process, so the peak RSS it
   prints is the stream's own).

Run: ``python benchmarks/bench_simulator.py [--events N] [--designs naive,bank] [--stream-events N]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Event, Op
from tdxlab.sim.fast import FastResult, FastSimulation, compile_design
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import MODELLED, width_of
from tdxlab.sim.trace import TraceStream

#: How often each kind is asked for; a kind impossible on the VP at that moment runs instead.
WEIGHTS: dict[Op, float] = {Op.ENABLE_VTL: 0.05, Op.SET: 0.40, Op.RUN: 0.35, Op.VTL_CALL: 0.055,
                            Op.VTL_RETURN: 0.055, Op.INTERRUPT: 0.04, Op.PV_GET: 0.03, Op.PV_SET: 0.02}


def random_events(n: int, vps: int, seed: int = 0, lower_vtls: int = 2) -> Iterator[Event]:
    """``n`` valid events on ``vps`` VPs, one at a time (deterministic for a seed), ending with a run per VP."""  # noqa: E501
    rng = random.Random(seed)
    sim = FastSimulation("naive", vps, lower_vtls=lower_vtls, keep=0)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    for _ in range(n - vps):
        vp = rng.randrange(vps)
        kind = rng.choices(kinds, weights)[0]
        reg = rng.choice(MODELLED)
        valid = sim.valid_events(vp, [reg], [rng.getrandbits(8 * width_of(reg))], kind)
        event = rng.choice(valid) if valid else Event(Op.RUN, vp)
        sim.apply(event)
        yield event
    for vp in range(vps):
        yield Event(Op.RUN, vp)


def random_trace(n: int, vps: int, seed: int = 0, lower_vtls: int = 2) -> list[Event]:
    """:func:`random_events` as a list."""
    return list(random_events(n, vps, seed, lower_vtls))


def fast_rate(design: str, events: list[Event], vps: int, lower_vtls: int = 2) -> tuple[float, FastResult]:
    """Events per second of the fast engine (no history), and its result (findings, bytes moved)."""
    sim = FastSimulation(design, vps, lower_vtls=lower_vtls, keep=1_000)
    start = time.perf_counter()
    result = sim.run(events)
    return len(events) / (time.perf_counter() - start), result


def reference_rate(design: str, events: list[Event], vps: int, record: bool, lower_vtls: int = 2) -> float:
    """Events per second of the reference engine."""
    sim = Simulation(design, vps, record=record, lower_vtls=lower_vtls)
    start = time.perf_counter()
    for event in events:
        sim.apply(event)
    return len(events) / (time.perf_counter() - start)


def memcpy_bandwidth() -> tuple[float, float]:
    """GB/s of numpy copies: 64 MiB buffers (DRAM) and 1 KiB buffers (one vp context, cache-hot)."""
    big_src, big_dst = np.ones(64 << 20, np.uint8), np.zeros(64 << 20, np.uint8)
    np.copyto(big_dst, big_src)
    start = time.perf_counter()
    for _ in range(10):
        np.copyto(big_dst, big_src)
    big = 10 * big_src.nbytes / (time.perf_counter() - start) / 1e9
    small_src, small_dst = np.ones(1024, np.uint8), np.zeros(1024, np.uint8)
    start = time.perf_counter()
    for _ in range(100_000):
        np.copyto(small_dst, small_src)
    small = 100_000 * 1024 / (time.perf_counter() - start) / 1e9
    return big, small


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Print one row per design and measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reference-events", type=int, default=50_000)
    parser.add_argument("--recorded-events", type=int, default=10_000)
    parser.add_argument("--stream-events", type=int, default=10_000_000, help="0 skips the streamed file")
    parser.add_argument("--designs", default=",".join(DESIGNS))
    args = parser.parse_args()
    designs = [d for d in args.designs.split(",") if d]
    print(f"cores: {os.cpu_count()}")
    big, small = memcpy_bandwidth()
    print(f"memcpy (numpy): {big:.1f} GB/s on 64 MiB buffers, {small:.2f} GB/s on 1 KiB buffers "
          "(per-call overhead dominates small copies)")
    start = time.perf_counter()
    events = random_trace(args.events, 64, seed=1)
    print(f"trace: {len(events):,} events on 64 VPs, drawn in {time.perf_counter() - start:.1f} s; "
          f"peak RSS {peak_mb():.0f} MB")
    prefix = events[: args.reference_events]
    print(f"\n{'design':<7} {'fast ev/s':>12} {'reference ev/s':>15} {'ratio':>7} {'findings':>10} "
          f"{'B copied/ev':>12} {'B entered/ev':>13}")
    for design in designs:
        per_s, result = fast_rate(design, events, 64)
        ref = reference_rate(design, prefix, 64, record=False)
        print(f"{design:<7} {per_s:>12,.0f} {ref:>15,.0f} {per_s / ref:>6.0f}x {result.findings:>10,} "
              f"{result.bytes_copied() / len(events):>12.1f} {result.bytes_entered() / len(events):>13.1f}")
    print(f"peak RSS after the {len(events):,}-event runs: {peak_mb():.0f} MB")
    recorded = events[: args.recorded_events]
    print(f"\nstep history on {len(recorded):,} events (fast: a FastStep per event; reference: record=True):")
    for design in designs:
        sim = FastSimulation(design, 64, keep=1_000, history=True)
        start = time.perf_counter()
        sim.run_events(recorded)  # a prefix: its last sets need no run
        fast = len(recorded) / (time.perf_counter() - start)
        ref = reference_rate(design, recorded, 64, record=True)
        print(f"{design:<7} fast {fast:>10,.0f} events/s   reference {ref:>8,.0f} events/s   {fast / ref:>5.0f}x")  # noqa: E501
    print("\nthree lower VTLs (fast engine):")
    three = random_trace(min(args.events, 200_000), 64, seed=4, lower_vtls=3)
    for design in designs:
        per_s, result = fast_rate(design, three, 64, lower_vtls=3)
        print(f"{design:<7} {per_s:>12,.0f} events/s {result.findings:>10,} findings "
              f"({len(compile_design(design, 3).entry[0])} slice copies in per entry)")
    del events, prefix, recorded, three
    if args.stream_events:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "long.jsonl"
            start = time.perf_counter()
            with path.open("w", encoding="utf-8") as out:
                for event in random_events(args.stream_events, 64, seed=5):
                    out.write(json.dumps(event.to_json(), separators=(",", ":")) + "\n")
            size = path.stat().st_size
            print(f"\nstreamed file: {args.stream_events:,} events, {size / 1e6:.0f} MB, written in "
                  f"{time.perf_counter() - start:.0f} s")
            # Each run in a fresh process, so its peak RSS is the stream's own, not this
            # process's (the reference engine's step history above peaks far higher).
            with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
                for design in ("naive", "bank"):
                    events_run, findings, took, rss = pool.apply(stream_run, (design, str(path)))
                    print(f"{design:<7} {events_run:,} events parsed and run in {took:.0f} s "
                          f"({events_run / took:,.0f} events/s, parsing included), "
                          f"{findings:,} findings; peak RSS of that process {rss:.0f} MB")


def stream_run(design: str, path: str) -> tuple[int, int, float, float]:
    """Run a trace file streamed through the fast engine: events, findings, seconds, peak RSS (MB)."""
    start = time.perf_counter()
    result = FastSimulation(design, 64).run(TraceStream(path))
    return result.events, result.findings, time.perf_counter() - start, own_peak_mb()


def own_peak_mb() -> float:
    """Peak resident memory of this process image alone, in MB.

    ``VmHWM`` from ``/proc``: ``ru_maxrss`` carries a forking parent's peak over into the child.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_mb()

if __name__ == "__main__":
    main()
