"""``tdxlab registers``: the register catalogue, with each authority's class and sources.

``tdxlab registers`` lists every register with its class on TDX and on SNP (what
OpenVMM does at the pinned snapshot), its TLFS class, group and note;
``--platform tdx|snp`` shows one platform's class; ``--format csv|json`` exports
the same rows with every source cited.  ``tdxlab registers NAME...`` prints the
full summary of the named registers (the same words as the notebooks' tooltips).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tdxlab import describe
from tdxlab.cli.args import one_of

# ``register`` is the name the CLI skeleton calls, so the catalogue lookup is imported as ``lookup``.
from tdxlab.registers import REGISTERS, Platform, Register
from tdxlab.registers import register as lookup

FORMATS = ("text", "csv", "json")
PLATFORMS = tuple(p.value for p in Platform)


def register(sub: Any) -> None:
    """Add ``registers`` to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "registers",
        help="the register catalogue: private/shared on TDX, SNP and per the TLFS",
        description="Every register tdxlab models, with the class OpenVMM gives it on TDX and on "
        "SNP, the TLFS class, group, note and sources. Registers whose class differs by platform "
        "are marked '*', those resting on an unverified source '?'.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="registers to describe in full (default: all)")
    p.add_argument("--format", default="text", help="text (default), csv or json")
    p.add_argument("--platform", help="show only this platform's class: tdx or snp")
    p.set_defaults(func=run)


def _platform(value: str | None) -> Platform | None:
    return None if value is None else Platform(one_of("--platform", value, PLATFORMS, fold_case=True))


def _row(reg: Register, platform: Platform | None) -> dict[str, Any]:
    classes: dict[str, Any] = (
        {"tdx": reg.tdx.value, "snp": reg.snp.value} if platform is None
        else {platform.value: reg.owner(platform).value}
    )
    return {
        "name": reg.name,
        "group": reg.group.value,
        **classes,
        "tlfs": reg.tlfs.value if reg.tlfs is not None else "",
        "differs_by_platform": describe.differs_by_platform(reg),
        "width": reg.width,
        "note": reg.note,
        "sources": describe.cite_all(reg.sources),
        "unverified": any(s.unverified for s in reg.sources),
    }


def run(args: argparse.Namespace) -> int:
    """Print the catalogue (or the named registers) in the format asked for."""
    one_of("--format", args.format, FORMATS)
    platform = _platform(args.platform)
    regs = [lookup(n) for n in args.names] if args.names else list(REGISTERS.values())
    rows = [_row(r, platform) for r in regs]
    if args.format == "json":
        print(json.dumps({"platform": None if platform is None else platform.value,
                          "snapshot": describe.snapshot_line(), "registers": rows}, indent=2))
    elif args.format == "csv":
        import pandas as pd

        print(pd.DataFrame(rows).to_csv(index=False, lineterminator="\n"), end="")
    elif args.names:
        print("\n\n".join(describe.register_summary(r.name) for r in regs))
    else:
        print(_table(regs, rows, platform))
    return 0


def _table(regs: list[Register], rows: list[dict[str, Any]], platform: Platform | None) -> str:
    class_cols = ["tdx", "snp"] if platform is None else [platform.value]
    head = ["name", "group", *class_cols, "tlfs", "", "note"]
    body = []
    for reg, r in zip(regs, rows, strict=True):
        body.append([r["name"], r["group"], *(r[c] for c in class_cols), r["tlfs"] or "-",
                     describe.register_marks(reg), r["note"]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(f"{x!s:<{w}}" for x, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *body]]
    return "\n".join([*lines, "", describe.register_table_legend()])


__all__ = ["FORMATS", "register", "run"]
