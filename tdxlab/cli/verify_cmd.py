"""``tdxlab verify``: complete verification of one design from the shell.

Exit codes: 0 verified (every reachable state explored, none violates), 1 a counterexample
was found (printed as a replayable JSON Lines trace), 2 bad input, 3 an internal error, and 1
as well when the state budget ran out before the fixpoint (the answer is then not a proof;
``complete`` is false and the text says so).  Arguments are checked with :mod:`tdxlab.cli.args`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tdxlab import describe
from tdxlab.cli import UsageError
from tdxlab.cli.args import int_at_least, lower_vtls_arg, one_of
from tdxlab.cli.simulate_cmd import design_of, variant_args
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.trace import dump_trace
from tdxlab.sim.verify import DEFAULT_MAX_STATES, VERIFY_VPS, VerifyResult, verify

FORMATS = ("text", "json")


def register(sub: Any) -> None:
    """Add ``verify`` to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "verify",
        help="prove a design isolates every VTL on every trace, or print its shortest counterexample",
        description="Explore the whole reachable state space of a design (values up to equality, one "
        "register group at a time, VPs interchangeable: docs/verification.md) breadth-first to its "
        "fixpoint. Exit 0 verified, 1 counterexample found (or state budget exhausted), 2 bad input, "
        "3 internal error.",
    )
    p.add_argument("--design", help=f"page design: {', '.join(DESIGNS)}, or a named variant")
    p.add_argument("--vps", default="1", help="VPs in the partition: 1 (default) or 2")
    p.add_argument("--lower-vtls", default="2", help="lower VTLs: 2 (default) or 3")
    p.add_argument("--max-states", default=str(DEFAULT_MAX_STATES),
                   help=f"distinct states per register group before giving up "
                   f"(default {DEFAULT_MAX_STATES:,})")
    p.add_argument("--format", default="text", help="text (default) or json")
    variant_args(p)
    p.set_defaults(func=_verify)


def result_json(r: VerifyResult) -> dict[str, Any]:
    """The ``--format json`` object."""
    return {
        "design": r.design,
        "vps": r.vps,
        "lower_vtls": r.lower_vtls,
        "verified": r.verified,
        "complete": r.complete,
        "states": r.states,
        "transitions": r.transitions,
        "seconds": round(r.seconds, 3),
        "states_per_second": round(r.states_per_second),
        "groups": [{"register": g.register, "states": g.states, "transitions": g.transitions,
                    "depth": g.depth, "complete": g.complete,
                    "counterexample_length": None if g.trace is None else len(g.trace)} for g in r.groups],
        "counterexample": None if r.counterexample is None else [e.to_json() for e in r.counterexample],
        "findings": [v.to_json() for v in r.violations],
    }


def _verify(args: argparse.Namespace) -> int:
    fmt = one_of("--format", args.format, FORMATS)
    design = design_of(args)
    vps = int_at_least("--vps", args.vps, 1)
    if vps not in VERIFY_VPS:
        raise UsageError(f"--vps: {vps} is not one of {', '.join(map(str, VERIFY_VPS))} (VPs share nothing, "
                         "so one suffices; two is explored to show it)")
    lower = lower_vtls_arg(args.lower_vtls)
    budget = int_at_least("--max-states", args.max_states, 1)
    result = verify(design, vps, lower or 2, budget)
    if fmt == "json":
        print(json.dumps(result_json(result), indent=1))
    else:
        print("\n".join(f"# {line}" for line in describe.verify_summary(result)))
        if result.counterexample is not None:
            print(dump_trace(result.counterexample, result.lower_vtls), end="")
            for v in result.violations:
                print(f"# {describe.describe_violation(v)}")
    return 0 if result.verified else 1
