"""Scale: time and peak RSS of ``tdxlab simulate --trace F`` for 10^5, 10^6 and 10^7 events.

Each trace is written once (4 VPs each walking a round of sets, runs, VTL calls and returns and a
paravisor read, interleaved at random; cached in a temporary directory), then simulated in a
fresh process so its peak RSS (``ru_maxrss`` of the child) is the run's own.  The default run
streams (no ``--steps``): bounded memory whatever the length.  ``--steps`` adds the step view
for the smallest size, to show what recording every step costs.

Run: ``python benchmarks/bench_scale.py [--sizes 100000,1000000,10000000] [--design bank] [--steps]``.
The 10^7-event trace is about 400 MB on disk; writing it once takes under a minute.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VPS = 4


#: One VP's round of events, in order: a VTL call with sets, runs, a paravisor read of the
#: other VTL's RIP, and a fast return.  Every VP walks its own round; which VP moves next is random,
#: so VPs interleave like they do in ``many_vps_interleaved``.
ROUND: tuple[str, ...] = (
    '{{"op": "set", "vp": {vp}, "vtl": 0, "reg": "rip", "value": {value}}}',
    '{{"op": "run", "vp": {vp}}}',
    '{{"op": "vtl_call", "vp": {vp}}}',
    '{{"op": "set", "vp": {vp}, "vtl": 1, "reg": "rsp", "value": {value}}}',
    '{{"op": "run", "vp": {vp}}}',
    '{{"op": "pv_get", "vp": {vp}, "vtl": 0, "reg": "rip"}}',
    '{{"op": "vtl_return", "vp": {vp}, "fast": true}}',
    '{{"op": "run", "vp": {vp}}}',
)


def write_trace(path: Path, events: int, seed: int = 1) -> None:
    """A valid trace of about ``events`` events on :data:`VPS` VPs (each VP ends after a run).

    Written by formatting :data:`ROUND` (a valid walk by construction, checked by the run itself),
    so writing ten million events takes seconds, not the hour ``valid_events`` would.
    """
    rng = random.Random(seed)
    at = [0] * VPS
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as f:
        for vp in range(VPS):
            f.write(f'{{"op": "enable_vtl", "vp": {vp}, "vtl": 1}}\n')
        for _ in range(events - VPS - len(ROUND) * VPS):
            vp = rng.randrange(VPS)
            f.write(ROUND[at[vp]].format(vp=vp, value=rng.randrange(1 << 48)) + "\n")
            at[vp] = (at[vp] + 1) % len(ROUND)
        for vp in range(VPS):  # finish every VP's round, so no set is left waiting for a run
            while at[vp]:
                f.write(ROUND[at[vp]].format(vp=vp, value=rng.randrange(1 << 48)) + "\n")
                at[vp] = (at[vp] + 1) % len(ROUND)
    tmp.replace(path)


def run(path: Path, design: str, steps: bool) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB and exit code of one ``tdxlab simulate`` in a fresh process."""
    argv = [sys.executable, "-m", "tdxlab", "simulate", "--design", design, "--trace", str(path)]
    if steps:
        argv.append("--steps")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"simulate failed: {done.stderr.strip()}")
    # ru_maxrss of children is the largest any child reached: runs go smallest first, so it is this one's
    return seconds, max(peak, before) / 1024.0, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--design", default="bank")
    parser.add_argument("--steps", action="store_true", help="also run the smallest size with --steps")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "tdxlab-bench-scale"))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    where = Path(args.dir)
    where.mkdir(parents=True, exist_ok=True)
    print(f"tdxlab simulate --trace F --design {args.design} (streamed; a fresh process per run)")
    print(f"{'events':>12} {'file MB':>9} {'seconds':>9} {'events/s':>12} {'peak RSS MB':>12}")
    for n in sizes:
        path = where / f"trace-{n}.jsonl"
        if not path.exists():
            write_trace(path, n)
        seconds, rss, _ = run(path, args.design, steps=False)
        mb = path.stat().st_size / 1e6
        print(f"{n:>12,} {mb:>9.1f} {seconds:>9.1f} {n / seconds:>12,.0f} {rss:>12.0f}")
    if args.steps:
        path = where / f"trace-{sizes[0]}.jsonl"
        seconds, rss, _ = run(path, args.design, steps=True)
        print(f"with --steps: {sizes[0]:,} events {seconds:.1f} s, peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
