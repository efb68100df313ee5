"""``tdxlab layout``: a structure's byte layout as pahole-style text, CSV or JSON.

``tdxlab layout NAME`` prints the pahole view (:mod:`tdxlab.describe.pahole`);
``--format csv|json`` prints the table of :mod:`tdxlab.layout.table` (leaves, holes
and bitfield rows, dotted names); ``--within OUTER`` measures offsets from the start
of the structure that contains NAME (``tdx_vp_context --within hcl_run`` gives
run-page offsets); ``--list`` names every structure with its size and purpose.

Arguments are checked here rather than by ``argparse`` ``choices`` so that each
mistake is one line on stderr naming the option and the value, exit 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tdxlab import describe
from tdxlab.cli import UsageError
from tdxlab.cli.args import one_of
from tdxlab.layout.catalog import STRUCTS, get
from tdxlab.layout.table import COLUMNS, layout_records, resolve
from tdxlab.sources import OV_SNAPSHOT

FORMATS = ("text", "csv", "json")


def register(sub: Any) -> None:
    """Add ``layout`` to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "layout",
        help="byte layout of a structure (pahole-style text, csv or json)",
        description="Byte layout of one structure, computed from tdxlab's declarations of "
        f"OpenVMM {OV_SNAPSHOT}: offset, size, type and owner (private/shared/global/padding) "
        "of every member. Use --list for the structure names.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="structure name (see --list)")
    p.add_argument("--format", default="text", help="text (pahole-style, default), csv or json")
    p.add_argument("--within", metavar="OUTER",
                   help="give offsets from the start of OUTER, a structure containing NAME "
                   "(e.g. tdx_vp_context --within hcl_run)")
    p.add_argument("--list", action="store_true", dest="list_structs",
                   help="list the structures with size and purpose, and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the layout (or the list) asked for; bad input raises a one-line error."""
    fmt = one_of("--format", args.format, FORMATS)
    if args.list_structs:
        if args.name is not None or args.within is not None:
            raise UsageError("--list takes no NAME and no --within")
        print(_listing(fmt), end="")
        return 0
    if args.name is None:
        raise UsageError(f"give a structure NAME or --list (known: {', '.join(STRUCTS)})")
    layout, base = resolve(args.name, args.within)
    if fmt == "text":
        print(describe.pahole(layout, base, outer=args.within), end="")
        return 0
    records = layout_records(layout, base)
    if fmt == "csv":
        import pandas as pd

        frame = pd.DataFrame([r.as_dict() for r in records], columns=list(COLUMNS))
        print(frame.to_csv(index=False, lineterminator="\n"), end="")
        return 0
    doc = {
        "struct": layout.name,
        "size": layout.size,
        "base": base,
        "within": args.within,
        "source": describe.cite(layout.decl.source),
        "snapshot": OV_SNAPSHOT,
        "doc": layout.decl.doc,
        "fields": [r.as_dict() for r in records],
    }
    print(json.dumps(doc, indent=2))
    return 0


def _listing(fmt: str) -> str:
    layouts = [get(name) for name in STRUCTS]
    rows: list[dict[str, Any]] = [
        {"name": lay.name, "size": lay.size, "doc": lay.decl.doc, "source": describe.cite(lay.decl.source)}
        for lay in layouts
    ]
    if fmt == "json":
        return json.dumps({"snapshot": OV_SNAPSHOT, "structs": rows}, indent=2) + "\n"
    if fmt == "csv":
        import pandas as pd

        return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")
    return describe.structure_listing(layouts)


__all__ = ["FORMATS", "register", "run"]
