"""How fast the simulator steps through long traces, per design.

Three measurements per design, each on a seeded random *valid* trace (about half
``set``, a third ``run``, the rest VTL switches, interrupts and one ``enable_vtl`` per VP):

1. 100,000 events on 64 VPs with ``record=False`` (no step history, no access log);
2. 100,000 events on 1 VP with ``record=False``;
3. 10,000 events on 64 VPs with ``record=True`` (page snapshots, changed ranges, access log).

Run: ``python benchmarks/bench_simulator.py [--events N] [--designs naive,bank] [--profile]``.
"""

from __future__ import annotations

import argparse
import random
import time

from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import MODELLED, width_of


def random_trace(n: int, vps: int, seed: int = 0) -> list[Event]:
    """``n`` valid events on ``vps`` VPs (deterministic for a seed)."""
    rng = random.Random(seed)
    current, enabled, pending = [0] * vps, [False] * vps, [0] * vps
    events: list[Event] = []
    while len(events) < n - vps:
        vp = rng.randrange(vps)
        r = rng.random()
        if not enabled[vp] and r < 0.05:
            enabled[vp] = True
            events.append(Event(Op.ENABLE_VTL, vp, 1))
        elif r < 0.50:
            reg = rng.choice(MODELLED)
            value = rng.getrandbits(8 * width_of(reg))
            pending[vp] += 1
            events.append(Event(Op.SET, vp, current[vp], reg, value))
        elif r < 0.85 or pending[vp]:
            pending[vp] = 0
            events.append(Event(Op.RUN, vp))
        elif r < 0.96 and enabled[vp]:
            current[vp] = 1 - current[vp]
            events.append(Event(Op.VTL_CALL if current[vp] else Op.VTL_RETURN, vp))
        else:
            target = rng.choice([0, 1]) if enabled[vp] else 0
            current[vp] = max(current[vp], target)
            events.append(Event(Op.INTERRUPT, vp, target))
    for vp in range(vps):
        events.append(Event(Op.RUN, vp))
    return events


def rate(design: str, events: list[Event], vps: int, record: bool) -> tuple[float, int]:
    """Events per second for one run (best of one; traces are long enough), and violations."""
    sim = Simulation(design, vps, record=record)
    start = time.perf_counter()
    for event in events:
        sim.apply(event)
    sim.finish()
    return len(events) / (time.perf_counter() - start), len(sim.violations)


def main() -> None:
    """Print one table row per design and measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--recorded-events", type=int, default=10_000)
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--profile", action="store_true", help="profile the 64-VP run with cProfile")
    args = parser.parse_args()
    designs = [d for d in args.designs.split(",") if d]
    runs = [
        (f"{args.events:,} events, 64 VPs, record=False", random_trace(args.events, 64, seed=1), 64, False),
        (f"{args.events:,} events, 1 VP, record=False", random_trace(args.events, 1, seed=2), 1, False),
        (f"{args.recorded_events:,} events, 64 VPs, record=True",
         random_trace(args.recorded_events, 64, seed=3), 64, True),
    ]
    print(f"{'design':<7} {'trace':<40} {'events/s':>12} {'violations':>11}")
    for design in designs:
        for label, events, vps, record in runs:
            per_s, found = rate(design, events, vps, record)
            print(f"{design:<7} {label:<40} {per_s:>12,.0f} {found:>11,}")
    if args.profile:
        import cProfile
        import pstats

        label, events, vps, _ = runs[0]
        cProfile.runctx("rate(designs[0], events, vps, False)", globals(), locals(), "/tmp/bench.prof")
        pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
