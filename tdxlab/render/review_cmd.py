"""``tdxlab review``: a proposal's verdict, findings and costs as a report to attach to a pull request.

Lives in the rendering layer because the report draws its charts; the composition root
:mod:`tdxlab.commands` adds it to the CLI.  Matplotlib and the model are imported inside the
handler, so building the parser stays free of plotting libraries.  Exit codes: 0 report
written (whatever the verdict), 1 with ``--expect safe`` when the proposal is not verified,
2 bad input, 3 internal error (docs/review.md; the contract is :data:`tdxlab.cli.EXIT_CODES`).
"""

from __future__ import annotations

import argparse
from typing import Any

from tdxlab.cli import UsageError
from tdxlab.cli.args import comma_list, int_at_least, lower_vtls_arg, one_of
from tdxlab.cli.simulate_cmd import design_of, variant_args

EXPECTATIONS = ("safe",)


def register(sub: Any) -> None:
    """Add ``review`` to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "review", help="write a design-review report (HTML and Markdown) for a proposal",
        description="Verify a design completely, replay its counterexample, cost it against baselines "
        "and write DIR/report.html (self-contained), DIR/report.md with SVG charts, DIR/costs.csv and, "
        "when one exists, DIR/counterexample.jsonl. Exit 0 written, 1 with --expect safe when not "
        "verified, 2 bad input, 3 internal error.")
    p.add_argument("--design", help="a registered design or named variant (or use --design-file)")
    variant_args(p)
    p.add_argument("--against", default="bank", help="comma-separated baseline designs (default bank)")
    p.add_argument("--out", required=True, help="directory to write the report into (created if missing)")
    p.add_argument("--expect", help="'safe': exit 1 unless the proposal is verified (for CI)")
    p.add_argument("--lower-vtls", default="2", help="lower VTLs of the partition verified: 2 or 3")
    p.add_argument("--seed", default="0", help="recorded in the provenance (the verdict is exhaustive)")
    p.set_defaults(func=_review)


def _review(args: argparse.Namespace) -> int:
    from tdxlab.render import report
    from tdxlab.sim.designs import get_design

    if not args.out.strip():
        raise UsageError("--out: empty path")
    expect = None if args.expect is None else one_of("--expect", args.expect, EXPECTATIONS)
    design = design_of(args)
    against = []
    for name in comma_list("--against", args.against):
        try:
            against.append(get_design(name))
        except ValueError as exc:
            raise UsageError(f"--against: {exc}") from None
    lower = lower_vtls_arg(args.lower_vtls) or 2
    seed = int_at_least("--seed", args.seed, 0)
    result = report.gather(design, against, lower_vtls=lower, seed=seed)
    for path in report.write(result, args.out):
        print(path)
    print(f"# {'verified' if result.verified else 'NOT verified'}: {design.key}")
    return 1 if expect == "safe" and not result.verified else 0


__all__ = ["register"]
