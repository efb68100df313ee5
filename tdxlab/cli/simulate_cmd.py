"""``tdxlab simulate``, ``tdxlab check`` and ``tdxlab scenarios``: the simulation from the shell.

Exit codes follow the CLI convention: 0 when isolation holds (no finding, no
counterexample), 1 when it does not, 2 for bad input, 3 for an internal error.

``simulate`` keeps memory bounded on a trace of any length: unless the step view is asked
for (``--steps``, the default for a built-in scenario), it streams the trace file one line at
a time through the compiled engine (:class:`tdxlab.sim.fast.FastSimulation`), records no step,
counts every finding and keeps the first ``--max-findings`` of them as objects.  A design the
compiler cannot take runs on the reference engine without its step history.  Every argument is validated
here rather than by ``argparse`` ``choices``/``type`` so that a mistake is reported as
one line naming what and where, like every other error of the kit.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

from tdxlab import describe
from tdxlab.cli import UsageError
from tdxlab.cli.args import comma_list, int_at_least, lower_vtls_arg, one_of, positive_int
from tdxlab.cli.progress import progress
from tdxlab.scenarios import SCENARIOS, get_scenario
from tdxlab.sim.checker import Severity, by_severity, count_by_severity
from tdxlab.sim.design_file import load_design_file
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.events import Event, TraceError
from tdxlab.sim.fast import FastSimulation, NotCompilable
from tdxlab.sim.machine import SimResult, Simulation
from tdxlab.sim.model import MAX_VPS, check_modelled, check_vps
from tdxlab.sim.search import DEFAULT_BUDGET, SearchResult, find_counterexample
from tdxlab.sim.trace import TraceStream, dump_trace, load_trace, lower_vtls_of


def register(sub: Any) -> None:
    """Add the three sub-commands to the ``tdxlab`` parser."""
    designs = ", ".join(DESIGNS)
    p = sub.add_parser(
        "simulate",
        help="run a trace under one design and report isolation findings",
        description="Run a built-in scenario or a JSON Lines trace under one page design and print "
        "each step and every isolation finding, most severe first (integrity > disclosure > "
        "lost/stale). Exit 0 if none, 1 if any, 2 for bad input, 3 for an internal error.",
    )
    p.add_argument("--design", help=f"page design: {designs}")
    p.add_argument("--scenario", help="a built-in scenario (see `tdxlab scenarios`)")
    p.add_argument("--trace", help="a JSON Lines trace file (docs/trace-format.md)")
    p.add_argument("--vps", help="VPs in the partition (default: as many as the trace uses)")
    p.add_argument("--lower-vtls", help="lower VTLs in the partition, 2 or 3 (default: the trace's "
                   "header, else 2)")
    p.add_argument("--format", default="text", help="text (default) or json")
    p.add_argument("--steps", action=argparse.BooleanOptionalAction, default=None,
                   help="print every step (default for --scenario); without it a --trace file is "
                   "streamed in bounded memory and only the findings are reported")
    p.add_argument("--max-findings", default=str(DEFAULT_SHOWN),
                   help=f"findings kept and shown when not stepping (default {DEFAULT_SHOWN}; the rest are "
                   f"counted; at most {MAX_SHOWN:,})")
    variant_args(p)
    p.set_defaults(func=_simulate)

    c = sub.add_parser(
        "check",
        help="search for the shortest trace that breaks a design's isolation",
        description="Search event sequences for the shortest one under which the design violates "
        "isolation (bounded breadth-first search plus hypothesis stateful testing). Prints the "
        "trace found as JSON Lines (exit 1) or a comment saying none was found (exit 0).",
    )
    c.add_argument("--design", help=f"page design: {designs}")
    c.add_argument("--search", default=str(DEFAULT_BUDGET),
                   help=f"hypothesis example budget (default {DEFAULT_BUDGET}; 0 = breadth-first only; at "
                   "most 100,000)")
    c.add_argument("--seed", default="0", help="random seed (default 0); the search is deterministic")
    c.add_argument("--lower-vtls", help="lower VTLs in the partition searched, 2 (default) or 3")
    variant_args(c)
    c.set_defaults(func=_check)

    s = sub.add_parser("scenarios", help="list the built-in scenarios",
                       description="List the built-in scenarios with their titles.")
    s.add_argument("--long", action="store_true", help="also print each scenario's description")
    s.set_defaults(func=_scenarios)


def variant_args(p: argparse.ArgumentParser) -> None:
    """``--design-file``, ``--add-private`` and ``--drop-private`` (shared by simulate, check, verify)."""
    p.add_argument("--design-file", metavar="FILE",
                   help="a design file (TOML, docs/design-file.md) instead of --design")
    p.add_argument("--add-private", default="", metavar="REGS",
                   help="comma-separated registers the design should (also) keep per VTL")
    p.add_argument("--drop-private", default="", metavar="REGS",
                   help="comma-separated registers the design should stop keeping per VTL")


# --- argument checks ------------------------------------------------------------------------------
FORMATS = ("text", "json")


def _regs(raw: str, flag: str) -> set[str]:
    out = set()
    for name in comma_list(flag, raw, allow_empty=True):
        try:
            out.add(check_modelled(name))
        except KeyError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    return out


def design_of(args: argparse.Namespace) -> Design:
    """The design ``--design`` names or ``--design-file`` declares, with ``--add/--drop-private`` applied."""
    design_file = getattr(args, "design_file", None)
    if args.design and design_file is not None:
        raise UsageError("give one of --design NAME or --design-file FILE, not both")
    if design_file is not None:
        if not design_file.strip():
            raise UsageError("--design-file: empty path")
        design = load_design_file(design_file)
    elif not args.design:
        raise UsageError(f"--design or --design-file is required (designs: {', '.join(DESIGNS)})")
    else:
        design = get_design(args.design)
    add = _regs(args.add_private, "--add-private")
    drop = _regs(args.drop_private, "--drop-private")
    if add or drop:
        parts = [design.key, *(f"plus-{r}" for r in sorted(add)), *(f"minus-{r}" for r in sorted(drop))]
        key = "-".join(parts)
        design = design.variant(key, add_private=add, drop_private=drop)
    return design


# --- simulate -----------------------------------------------------------------------------------
def _events(args: argparse.Namespace) -> tuple[list[Event], str]:
    if (args.scenario is None) == (args.trace is None):
        raise UsageError("give exactly one of --scenario NAME or --trace FILE")
    lower = lower_vtls_arg(args.lower_vtls)
    if args.scenario is not None:
        return get_scenario(args.scenario).events(lower), f"scenario {args.scenario}"
    return load_trace(args.trace, lower), str(args.trace)


def run_trace(design: Design, events: list[Event], vps: int | None, source: str, *,
              record: bool = True) -> SimResult:
    """Simulate ``events``; impossible events raise a :class:`TraceError` naming ``source`` and the line.

    The partition has as many lower VTLs as the trace declares (header or ``--lower-vtls``).
    """
    needed = max((e.vp for e in events), default=0) + 1
    sim = Simulation(design, needed if vps is None else vps, lower_vtls=lower_vtls_of(events), record=record)
    try:
        return sim.run(progress(events))  # a bar on a terminal for traces over 100k events
    except TraceError as exc:
        raise TraceError(exc.reason, exc.line, source) from None


#: The largest hypothesis budget ``check --search`` takes (a bounded run; ``verify`` is complete).
MAX_SEARCH = 100_000
#: Findings kept and shown by default when not stepping, and the most ``--max-findings`` takes.
DEFAULT_SHOWN = 100
MAX_SHOWN = 1_000_000


def _vps(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return check_vps(positive_int("--vps", raw), "--vps")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _simulate(args: argparse.Namespace) -> int:
    fmt = one_of("--format", args.format, FORMATS)
    design = design_of(args)
    vps = _vps(args.vps)
    keep = int_at_least("--max-findings", args.max_findings, 0)
    if keep > MAX_SHOWN:
        raise UsageError(f"--max-findings: at most {MAX_SHOWN:,}, got {keep:,}")
    if (args.scenario is None) == (args.trace is None):
        raise UsageError("give exactly one of --scenario NAME or --trace FILE")
    steps = args.steps if args.steps is not None else args.scenario is not None
    if steps:
        events, source = _events(args)
        result = run_trace(design, events, vps, source)
        if fmt == "json":
            print(json.dumps(result_json(result, source), indent=1))
        else:
            print(describe.simulation_report(result, source))
        return 1 if result.violations else 0
    return _stream(args, design, vps, keep, fmt)


def _stream(args: argparse.Namespace, design: Design, vps: int | None, keep: int, fmt: str) -> int:
    """The bounded-memory run: no step recorded, every finding counted, the first ``keep`` kept."""
    lower = lower_vtls_arg(args.lower_vtls)
    if args.scenario is not None:
        scenario_events = get_scenario(args.scenario).events(lower)
        events: Iterable[Event] = scenario_events
        source, lower_vtls = f"scenario {args.scenario}", lower_vtls_of(scenario_events)
    else:
        stream = TraceStream(args.trace, lower)
        events, source, lower_vtls = stream, str(args.trace), stream.lower_vtls
    try:
        fast = FastSimulation(design, vps or MAX_VPS, lower_vtls=lower_vtls, keep=keep)
    except NotCompilable:
        listed = list(events)
        result = run_trace(design, listed, vps, source, record=False)
        counts = count_by_severity(result.violations)
        shown, total_events, used = result.violations[:keep], result.events, result.vps
    else:
        try:
            run = fast.run(events)
        except TraceError as exc:
            raise TraceError(exc.reason, exc.line, source) from None
        counts, shown, total_events = run.severity_counts(), run.kept, run.events
        used = vps if vps is not None else sum(v is not None for v in fast.vps)
    total = sum(counts.values())
    if fmt == "json":
        print(json.dumps({
            "design": design.key, "title": design.title, "source": source, "vps": used,
            "lower_vtls": lower_vtls, "events": total_events,
            "severity_counts": {s.value: counts[s] for s in Severity},
            "findings_total": total, "findings_not_shown": total - len(shown),
            "findings": [v.to_json() for v in by_severity(shown)],
        }, indent=1))
    else:
        print(describe.simulation_summary(design, source, total_events, used, lower_vtls, counts, shown))
    return 1 if total else 0


def result_json(result: SimResult, source: str) -> dict[str, Any]:
    """The ``--format json`` object: design, source, ``steps`` and ``violations``."""
    steps = []
    for rec in result.steps:
        steps.append({
            "step": rec.index,
            "line": rec.event.line,
            "event": rec.event.to_json(),
            "vp": rec.event.vp,
            "vtl": rec.active_vtl[rec.event.vp],
            "entered_vtl": rec.entered_vtl,
            "switched": None if rec.switched is None else list(rec.switched),
            "note": describe.step_note(rec),
            "findings": len(rec.violations),
        })
    return {
        "design": result.design.key,
        "title": result.design.title,
        "source": source,
        "vps": result.vps,
        "lower_vtls": result.lower_vtls,
        "steps": steps,
        "severity_counts": {s.value: n for s, n in count_by_severity(result.violations).items()},
        "findings": [v.to_json() for v in by_severity(result.violations)],
    }


# --- check ----------------------------------------------------------------------------------------
def _check(args: argparse.Namespace) -> int:
    design = design_of(args)
    budget = int_at_least("--search", args.search, 0)
    if budget > MAX_SEARCH:
        raise UsageError(f"--search: at most {MAX_SEARCH:,} examples (the breadth-first part is complete "
                         "to six events already; tdxlab verify proves a design for every length), "
                         f"got {budget:,}")
    seed = int_at_least("--seed", args.seed, 0)
    lower = lower_vtls_arg(args.lower_vtls)
    result = find_counterexample(design, budget=budget, seed=seed, lower_vtls=lower or 2)
    print(search_text(result))
    return 1 if result.found else 0


def search_text(result: SearchResult) -> str:
    """The counterexample as a loadable JSON Lines trace, with ``#`` comments around it."""
    comments = "".join(f"# {line}\n" for line in describe.search_summary(result))
    if result.trace is None:
        return comments.rstrip("\n")
    tail = [f"# {describe.describe_violation(v)}" for v in by_severity(result.violations)]
    return comments + dump_trace(result.trace, result.lower_vtls) + "\n".join(tail)


# --- scenarios ------------------------------------------------------------------------------------
def _scenarios(args: argparse.Namespace) -> int:
    width = max(len(n) for n in SCENARIOS)
    for sc in SCENARIOS.values():
        print(describe.scenario_line(sc, sc.events(), width))
        if args.long:
            print(f"{'':<{width}}  {sc.description}")
            for where, cite in sc.sources:
                print(f"{'':<{width}}    {where}: {cite}")
            print()
    return 0
