"""How long one Stepper step takes on a 64-VP trace: the responsiveness target is < 100 ms.

One step = moving to the next event *and* rebuilding every view (event line, banner,
VTL chips, byte grids and hex dumps of the shown VP's pages, truth-versus-observed
table), i.e. everything the widget sends to the browser.  The trace interleaves the
64 VPs round-robin, so in the default "follow the event's VP" mode every step shows
a different VP's pages: the worst case for any caching.

Run: ``python benchmarks/bench_stepper.py [--vps 64] [--steps 200] [--design all]``.
Exit status 1 when the median misses the target (so CI can use it as a check).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from tdxlab.sim.events import Event, Op
from tdxlab.widgets.stepper import Stepper, clear_view_caches

TARGET_MS = 100.0


def round_trip_trace(vps: int) -> list[Event]:
    """Every VP makes one secure-call round trip; the VPs' events are interleaved round-robin.

    Same shape as the built-in ``many_vps_interleaved`` (values carry the VP index so a
    misplaced value is easy to spot), scaled to ``vps`` VPs.
    """
    phases: list[list[Event]] = []
    for vp in range(vps):
        tag = vp << 8
        phases.append([
            Event(Op.ENABLE_VTL, vp, vtl=1),
            Event(Op.SET, vp, 0, "rip", 0xFFFFF80000401000 + tag),
            Event(Op.SET, vp, 0, "rsp", 0xFFFFF80000A0FF80 - tag),
            Event(Op.SET, vp, 0, "rax", 0x1000 + vp),
            Event(Op.RUN, vp),
            Event(Op.VTL_CALL, vp),
            Event(Op.SET, vp, 1, "rip", 0xFFFFF80040801000 + tag),
            Event(Op.SET, vp, 1, "lstar", 0xFFFFF80040802000 + tag),
            Event(Op.SET, vp, 1, "cr2", 0x7FF600000000 + tag),
            Event(Op.RUN, vp),
            Event(Op.VTL_RETURN, vp),
            Event(Op.RUN, vp),
        ])
    return [events[i] for i in range(len(phases[0])) for events in phases]


def time_steps(
    events: list[Event], design: str, steps: int, widget: bool, cold: bool
) -> tuple[float, list[float], float]:
    """Load the trace, then time ``steps`` steps; return (load ms, per-step ms, design-switch ms).

    ``cold`` empties the page-view memo before every step, so every byte grid and hex dump
    is rebuilt: the worst case, as if every step changed every page shown.
    """
    start = time.perf_counter()
    stepper = Stepper(trace=events, design=design)
    load_ms = (time.perf_counter() - start) * 1e3
    if widget:
        stepper.widget  # noqa: B018 - build the UI: every step then also sets each panel's value
    times = []
    for _ in range(min(steps, stepper.last + 1)):
        if cold:
            clear_view_caches()
        t0 = time.perf_counter()
        stepper.step()
        stepper.html  # noqa: B018 - the point: build every view
        times.append((time.perf_counter() - t0) * 1e3)
    start = time.perf_counter()
    stepper.set_design("naive" if design != "naive" else "split")
    stepper.html  # noqa: B018
    return load_ms, times, (time.perf_counter() - start) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--vps", type=int, default=64)
    parser.add_argument("--steps", type=int, default=0,
                        help="steps to time per design (at least 50; default: the whole trace)")
    parser.add_argument("--design", default="all", help="naive, bank, split, snp or all (default)")
    parser.add_argument("--no-widget", action="store_true",
                        help="time the HTML only, without pushing it into the ipywidgets UI")
    args = parser.parse_args(argv)
    if 0 < args.steps < 50:
        parser.error("--steps must be at least 50")
    designs = ["naive", "bank", "split", "snp"] if args.design == "all" else [args.design]
    events = round_trip_trace(args.vps)
    steps = args.steps or len(events)
    print(f"trace: {len(events)} events on {args.vps} VPs, VPs interleaved round-robin; "
          f"UI {'off' if args.no_widget else 'on (no browser attached)'}")
    worst_median = 0.0
    for cold in (False, True):
        print("memoised page views (what a user gets)" if not cold else
              "cold: every page view rebuilt at every step (worst case)")
        for design in designs:
            load_ms, times, switch_ms = time_steps(events, design, steps, not args.no_widget, cold)
            median, worst = statistics.median(times), max(times)
            worst_median = max(worst_median, median)
            print(f"  {design:>6}: one step (next event + every view) over {len(times)} steps: "
                  f"median {median:6.2f} ms, p90 {statistics.quantiles(times, n=10)[-1]:6.2f} ms, "
                  f"max {worst:6.2f} ms | load+simulate {load_ms:4.0f} ms, design switch {switch_ms:4.0f} ms")
    ok = worst_median < TARGET_MS
    print(f"target: median < {TARGET_MS:.0f} ms per step: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
