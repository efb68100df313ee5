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

#: How often each kind is asked for (about half ``set``, a third ``run``, the rest switches).
WEIGHTS: dict[Op, float] = {Op.ENABLE_VTL: 0.05, Op.SET: 0.40, Op.RUN: 0.35, Op.VTL_CALL: 0.055,
                            Op.VTL_RETURN: 0.055, Op.INTERRUPT: 0.04, Op.PV_GET: 0.03, Op.PV_SET: 0.02}


def random_trace(n: int, vps: int, seed: int = 0, lower_vtls: int = 2) -> list[Event]:
    """``n`` valid events on ``vps`` VPs (deterministic for a seed).

    Validity is the simulator's own (``Simulation.valid_events``): a kind is drawn by
    :data:`WEIGHTS`, and when no event of that kind is possible on the VP it runs instead.
    """
    rng = random.Random(seed)
    sim = Simulation("naive", vps, record=False, lower_vtls=lower_vtls)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    events: list[Event] = []
    while len(events) < n - vps:
        vp = rng.randrange(vps)
        kind = rng.choices(kinds, weights)[0]
        reg = rng.choice(MODELLED)
        valid = [e for e in sim.valid_events(vp, [reg], [rng.getrandbits(8 * width_of(reg))])
                 if e.op is kind]
        event = rng.choice(valid) if valid else Event(Op.RUN, vp)
        sim.apply(event)
        events.append(event)
    events += [Event(Op.RUN, vp) for vp in range(vps)]
    return events


def rate(design: str, events: list[Event], vps: int, record: bool, lower_vtls: int = 2) -> tuple[float, int]:
    """Events per second for one run (best of one; traces are long enough), and findings."""
    sim = Simulation(design, vps, record=record, lower_vtls=lower_vtls)
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
    three = (f"{args.events:,} events, 64 VPs, 3 VTLs, record=False",
             random_trace(args.events, 64, seed=4, lower_vtls=3), 64, False)
    print(f"{'design':<7} {'trace':<40} {'events/s':>12} {'findings':>11}")
    for design in designs:
        for label, events, vps, record in runs:
            per_s, found = rate(design, events, vps, record)
            print(f"{design:<7} {label:<40} {per_s:>12,.0f} {found:>11,}")
        label, events, vps, record = three
        per_s, found = rate(design, events, vps, record, lower_vtls=3)
        print(f"{design:<7} {label:<40} {per_s:>12,.0f} {found:>11,}")
    if args.profile:
        import cProfile
        import pstats

        label, events, vps, _ = runs[0]
        cProfile.runctx("rate(designs[0], events, vps, False)", globals(), locals(), "/tmp/bench.prof")
        pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
