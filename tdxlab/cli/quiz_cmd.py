"""``tdxlab quiz``: a generated problem with its answer key, OSTEP-homework style.

``tdxlab quiz --seed N`` prints a problem (the kind picked by the seed unless ``--kind`` names
one); ``--answers`` adds the answer and why, so a student runs it once to work the problem and
once more to check it.  The same seed and kind print the same text in every run.  ``--list``
names the kinds.  Problems come from :mod:`tdxlab.teach.quiz`; arguments are checked with
:mod:`tdxlab.cli.args`, so a mistake is one line naming the option and the value (exit 2).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tdxlab import describe
from tdxlab.cli.args import int_at_least, one_of
from tdxlab.teach.quiz import KINDS, Quiz

FORMATS = ("text", "json")


def register(sub: Any) -> None:
    """Add ``quiz`` to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "quiz",
        help="a generated problem with its answer key (run again with --answers)",
        description="Print a problem drawn from a seed: a short random valid trace or a design variant, "
        "and a question with one checkable answer. --answers adds the answer and the explanation. The "
        f"same seed and kind print the same text every time. Kinds: {', '.join(KINDS)}.",
    )
    p.add_argument("--seed", default="0", help="the problem's seed, an integer >= 0 (default 0)")
    p.add_argument("--kind", default=None,
                   help=f"the kind of problem: {', '.join(KINDS)} (default: picked by the seed)")
    p.add_argument("--answers", action="store_true", help="also print the answer and why")
    p.add_argument("--format", default="text", help="text (default) or json")
    p.add_argument("--list", action="store_true", dest="list_kinds",
                   help="list the kinds and what each asks, and exit")
    p.set_defaults(func=_quiz)


def _quiz(args: argparse.Namespace) -> int:
    fmt = one_of("--format", args.format, FORMATS)
    if args.list_kinds:
        if fmt == "json":
            print(json.dumps([{"kind": k, "asks": describe.QUIZ_KINDS[k]} for k in KINDS], indent=1))
        else:
            width = max(map(len, KINDS))
            for k in KINDS:
                print(f"{k:<{width}}  {describe.QUIZ_KINDS[k]}")
        return 0
    seed = int_at_least("--seed", args.seed, 0)
    kind = None if args.kind is None else one_of("--kind", args.kind, KINDS)
    quiz = Quiz(seed, kind)
    if fmt == "json":
        print(json.dumps(quiz.to_json(answers=args.answers), indent=1))
    else:
        print(quiz.text(answers=args.answers))
    return 0
