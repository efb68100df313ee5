"""``tdxlab cost``: the cost model from the shell.

``tdxlab cost`` prints the modelled cost per entry of each design over the VP
counts and switch fractions asked for (text, csv or json), the break-even switch
fractions, and which constants are unverified.  The designs are the registry's
(:data:`tdxlab.sim.designs.DESIGNS`, read when the parser is built and when the command
runs); the break-even questions are the ones the designs carry.  ``tdxlab plot cost``
lives in the rendering layer (:mod:`tdxlab.render.plot_cmd`) and shares the constant
options defined here (:func:`add_constant_args`, :func:`constants_of`).

``--lower-vtls 2,3`` gives one block of rows per partition size (column ``lower_vtls``): memory
and the bytes copied per entry and per switch are those measured at that count
(:meth:`tdxlab.cost.accounting.DesignCosts.at_vtls`).  The break-even findings come from the
2-VTL micro-trace; the copies they rest on are measured to be the same at 3 VTLs.  The text
output also states each design's VTL-0-only cost (a partition that never enables VTL 1), the
compatibility figure.

Arguments are validated with :mod:`tdxlab.cli.args`, not by ``argparse``
``type``/``choices``, so that a mistake is one line naming the option and the value
(exit 2), like every error of the kit.  Sentences come from :mod:`tdxlab.describe`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from tdxlab import describe
from tdxlab.cli import UsageError
from tdxlab.cli.args import comma_list, float_list, int_list, lower_vtls_arg, one_of
from tdxlab.cost.accounting import account
from tdxlab.cost.constants import (
    CONSTANTS,
    PRESETS,
    CostConstants,
    constants_rows,
    from_preset,
    unverified_names,
)
from tdxlab.cost.sweep import break_evens, sweep
from tdxlab.sim.design_file import load_design_file
from tdxlab.sim.designs import DESIGNS, Design, get_design

#: CSV/JSON columns, the issue's required ones first (``lower_vtls`` names the partition the
#: memory and copy columns are for; ``bytes_copied_per_switch`` came later, so it is last and
#: every older column keeps its place).
CSV_COLUMNS: tuple[str, ...] = (
    "design", "vps", "lower_vtls", "switch_fraction", "bytes_copied_per_entry", "cache_lines_per_entry",
    "pages_per_vp", "ns_per_entry",
    "entries_per_s", "pages_touched_per_entry", "pages_per_partition", "kib_per_partition",
    "ns_fixed", "ns_copy", "ns_cache", "ns_tlb", "ns_design", "cpu_share", "bytes_copied_per_switch",
)  # fmt: skip
FORMATS = ("text", "csv", "json")


def register(sub: Any) -> None:
    """Add ``cost`` to the ``tdxlab`` parser (its ``--designs`` default: every registered design)."""
    p = sub.add_parser(
        "cost",
        help="modelled cost per entry of each page design",
        description="Modelled nanoseconds per entry (fixed round trip + copies + cache + TLB) of each "
        "design, from counts derived from the simulator's memory log. The entry round trips are "
        "UNVERIFIED stand-ins (VMX figures); see --constants.",
    )
    add_design_args(p)
    p.add_argument("--vps", default="1", help="comma-separated VP counts (default 1)")
    p.add_argument("--lower-vtls", default="2",
                   help="comma-separated lower-VTL counts of the partition, 2 or 3 (default 2)")
    p.add_argument("--switch-fraction", default="0,0.5,1",
                   help="comma-separated fractions of entries preceded by a VTL switch (default 0,0.5,1)")
    p.add_argument("--entries-per-s", default="10000",
                   help="comma-separated entry rates per VP, for cpu_share (default 10000)")
    add_constant_args(p)
    p.add_argument("--format", default="text", help="text (default), csv or json")
    p.add_argument("--constants", action="store_true", dest="show_constants",
                   help="list the constants with unit, source and confidence, and exit")
    p.set_defaults(func=_cost)


def add_design_args(p: argparse.ArgumentParser) -> None:
    """``--designs`` and ``--design-file F`` (repeatable; shared with ``tdxlab plot cost``)."""
    p.add_argument("--designs", default=None,
                   help="comma-separated designs or named variants; default every registered one "
                   f"({', '.join(DESIGNS)}), or none when --design-file is given")
    p.add_argument("--design-file", action="append", default=[], metavar="FILE",
                   help="add the design a design file declares (TOML, docs/design-file.md); repeatable")


def designs_of(args: argparse.Namespace) -> list[Design]:
    """The designs ``--designs`` names (registered or named variants), then each ``--design-file``'s.

    Design objects, not keys: a file's design may share a key with a registered one, and it
    is the object whose placements are costed.  Without ``--designs``, every registered
    design is shown unless design files are given (then the files and nothing else).
    """
    raw = args.designs if args.designs is not None else ("" if args.design_file else ",".join(DESIGNS))
    out: list[Design] = []
    for name in comma_list("--designs", raw, allow_empty=bool(args.design_file)):
        try:
            design = get_design(name)
        except ValueError as exc:
            raise UsageError(f"--designs: {exc}") from None
        if design not in out:
            out.append(design)
    for path in args.design_file:
        if not path.strip():
            raise UsageError("--design-file: empty path")
        design = load_design_file(path)
        if any(d.key == design.key for d in out):
            raise UsageError(f"--design-file {path}: key {design.key!r} is already shown; give the "
                             "file's design its own key")
        out.append(design)
    return out


def add_constant_args(p: argparse.ArgumentParser) -> None:
    """``--preset`` and ``--constant NAME=VALUE`` (shared with ``tdxlab plot cost``)."""
    p.add_argument("--preset", default="default", help=f"constant set: {', '.join(PRESETS)}")
    p.add_argument("--constant", action="append", default=[], metavar="NAME=VALUE",
                   help="override one constant (repeatable), e.g. tdx_entry_cycles=1291")


# --- argument checks ------------------------------------------------------------------------------
def _lower_vtls(raw: str) -> list[int]:
    """``--lower-vtls 2,3``: each item checked as ``--lower-vtls N`` is everywhere (2 or 3)."""
    out: list[int] = []
    for item in comma_list("--lower-vtls", raw):
        n = lower_vtls_arg(item)
        if n is not None and n not in out:
            out.append(n)
    return out


def constants_of(args: argparse.Namespace) -> CostConstants:
    """The constant set ``--preset`` and ``--constant`` ask for (a one-line error otherwise)."""
    try:
        return from_preset(args.preset, args.constant)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# --- tdxlab cost ---------------------------------------------------------------------------------
def constants_table(constants: CostConstants) -> pd.DataFrame:
    """Every constant with its value, unit, confidence and source (``--constants``)."""
    return pd.DataFrame(constants_rows(constants))


def _cost(args: argparse.Namespace) -> int:
    fmt = one_of("--format", args.format, FORMATS)
    constants = constants_of(args)
    if args.show_constants:
        table = constants_table(constants)
        if fmt == "json":
            print(json.dumps(table.to_dict(orient="records"), indent=2))
        elif fmt == "csv":
            print(table.to_csv(index=False), end="")
        else:
            for r in table.itertuples():
                print(f"{r.name:18} {r.value:>10g} {r.unit:8} {r.confidence:26} {r.source}")
        return 0
    designs = designs_of(args)
    vps = int_list("--vps", args.vps)
    lower = _lower_vtls(args.lower_vtls)
    fractions = float_list("--switch-fraction", args.switch_fraction, 0.0, 1.0)
    rates = float_list("--entries-per-s", args.entries_per_s, 0.0)
    frame = sweep(designs, vps, rates, fractions, constants, vtls=lower)
    frame = frame.sort_values(["lower_vtls", "vps", "switch_fraction", "entries_per_s"], kind="stable")
    out = frame[list(CSV_COLUMNS)]
    verdicts = _verdicts(designs, constants, vps)
    unverified = unverified_names()
    if fmt == "csv":
        print(out.to_csv(index=False), end="")
    elif fmt == "json":
        print(json.dumps({
            "rows": json.loads(out.to_json(orient="records")),
            "break_even": verdicts,
            "unverified_constants": unverified,
            "constants": {n: float(getattr(constants, n)) for n in CONSTANTS},
        }, indent=2))
    else:
        _text(out, verdicts, designs)
    return 0


def _verdicts(designs: Sequence[Design], constants: CostConstants, vps: Sequence[int]) -> list[str]:
    """The break-even findings of the registered designs shown, at each VP count, in words."""
    keys = [d.key for d in designs if DESIGNS.get(d.key) is d]  # a file's design asks no question
    return [describe.break_even_sentence(be) for n in vps for be in break_evens(keys, constants, vps=n)]


def _text(frame: pd.DataFrame, verdicts: Sequence[str], designs: Sequence[Design]) -> None:
    """One table per (VTL count, VP count, switch fraction), the VTL-0-only figures, the verdicts."""
    cols = ["design", "bytes_copied_per_entry", "bytes_copied_per_switch", "cache_lines_per_entry",
            "pages_per_vp", "ns_copy", "ns_cache", "ns_tlb", "ns_design", "ns_per_entry"]
    for (lower, vps, f), part in frame.groupby(["lower_vtls", "vps", "switch_fraction"], sort=False):
        rates = sorted(set(part["entries_per_s"]))
        rows = part[part["entries_per_s"] == rates[0]][cols]
        print(f"lower_vtls={lower} vps={vps} switch_fraction={f:g}")
        print(rows.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
        print()
    # The compatibility figure: a partition that never enables VTL 1 (it is the same whatever
    # --lower-vtls says, since only VTL 0 ever exists in it).
    for design in designs:
        print(describe.vtl0_only_line(account(design)))
    print()
    for v in verdicts:
        print(v)
    print(describe.unverified_constants_note())
