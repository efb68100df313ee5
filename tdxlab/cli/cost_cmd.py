"""``tdxlab cost``: the cost model from the shell.

``tdxlab cost`` prints the modelled cost per entry of each design over the eviction
points (KiB the guest's own work evicts between two entries) and switch fractions asked
for (text, csv or json), the break-even switch fractions, and which constants are
unverified; ``--sensitivity`` adds which conclusions flip over their ranges.  The text
output rounds every modelled time to two significant figures (the precision the
constants support); csv and json keep the full numbers for further computation.  The
designs are the registry's (:data:`tdxlab.sim.designs.DESIGNS`, read when the parser is
built and when the command runs); the break-even questions are the ones the designs
carry.  ``tdxlab plot cost`` lives in the rendering layer (:mod:`tdxlab.render.plot_cmd`)
and shares the constant options defined here (:func:`add_constant_args`,
:func:`constants_of`).

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
from tdxlab.cost.sensitivity import sensitivity, sensitivity_questions
from tdxlab.cost.sweep import MAX_ENTRIES_PER_S, break_evens, sweep
from tdxlab.cost.timemodel import DEFAULT_EVICTED_KIB, MAX_EVICTED_KIB
from tdxlab.sim.design_file import load_design_file
from tdxlab.sim.designs import DESIGNS, Design, get_design

#: CSV/JSON columns, the issue's required ones first (``lower_vtls`` names the partition the
#: memory and copy columns are for; ``bytes_copied_per_switch`` came later, so it is last and
#: every older column keeps its place).
CSV_COLUMNS: tuple[str, ...] = (
    "design", "vps", "lower_vtls", "switch_fraction", "bytes_copied_per_entry", "cache_lines_per_entry",
    "pages_per_vp", "ns_per_entry",
    "entries_per_s", "pages_touched_per_entry", "pages_per_partition", "kib_per_partition",
    "ns_round_trip", "ns_kernel", "ns_copy", "ns_cache", "ns_tlb", "ns_design", "cpu_share",
    "bytes_copied_per_switch", "evicted_kib",
)  # fmt: skip
FORMATS = ("text", "csv", "json")


def register(sub: Any) -> None:
    """Add ``cost`` to the ``tdxlab`` parser (its ``--designs`` default: every registered design)."""
    p = sub.add_parser(
        "cost",
        help="modelled cost per entry of each page design",
        description="Modelled nanoseconds per entry (round trip + kernel work + copies + cache + TLB) of "
        "each design, from counts derived from the simulator's memory log. The round trips are "
        "UNVERIFIED stand-ins (VMX and SVM figures) and the kernel's per-instruction cycles are "
        "assumptions; see --constants and --sensitivity.",
    )
    add_design_args(p)
    p.add_argument("--vps", default="1",
                   help="comma-separated VP counts, for the memory per partition (default 1)")
    p.add_argument("--evicted-kib", default=f"{DEFAULT_EVICTED_KIB:g}",
                   help="comma-separated KiB the guest's own work evicts between two entries of a VP "
                   f"(default {DEFAULT_EVICTED_KIB:g}; 0 = everything still cached)")
    p.add_argument("--lower-vtls", default="2",
                   help="comma-separated lower-VTL counts of the partition, 2 or 3 (default 2)")
    p.add_argument("--switch-fraction", default="0,0.5,1",
                   help="comma-separated fractions of entries preceded by a VTL switch (default 0,0.5,1)")
    p.add_argument("--entries-per-s", default="10000",
                   help="comma-separated entry rates per VP, for cpu_share (default 10000; at most 1e9)")
    add_constant_args(p)
    p.add_argument("--format", default="text", help="text (default), csv or json")
    p.add_argument("--constants", action="store_true", dest="show_constants",
                   help="list the constants with unit, source, confidence and range, and exit")
    p.add_argument("--sensitivity", action="store_true",
                   help="also say, for each unverified or assumed constant, whether each comparison "
                   "holds over its range or where it flips")
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
                   help="override one constant (repeatable), e.g. user_mode_cycles=0")


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
                print(f"{r.name:24} {r.value:>10g} {r.unit:8} {r.confidence:26} {r.range:>16} {r.source}")
        return 0
    designs = designs_of(args)
    vps = int_list("--vps", args.vps)
    evicted = float_list("--evicted-kib", args.evicted_kib, 0.0, MAX_EVICTED_KIB)
    lower = _lower_vtls(args.lower_vtls)
    fractions = float_list("--switch-fraction", args.switch_fraction, 0.0, 1.0)
    rates = float_list("--entries-per-s", args.entries_per_s, 0.0, MAX_ENTRIES_PER_S)
    frame = sweep(designs, vps, rates, fractions, constants, vtls=lower, evicted_kib=evicted)
    frame = frame.sort_values(["lower_vtls", "evicted_kib", "vps", "switch_fraction", "entries_per_s"],
                              kind="stable")
    out = frame[list(CSV_COLUMNS)]
    verdicts = _verdicts(designs, constants, evicted)
    unverified = unverified_names()
    flips = _sensitivity(designs, constants, evicted[0], fractions) if args.sensitivity else []
    if fmt == "csv":
        print(out.to_csv(index=False), end="")
    elif fmt == "json":
        print(json.dumps({
            "rows": json.loads(out.to_json(orient="records")),
            "break_even": verdicts,
            "sensitivity": flips,
            "unverified_constants": unverified,
            "constants": {n: float(getattr(constants, n)) for n in CONSTANTS},
        }, indent=2))
    else:
        _text(out, verdicts, designs, flips)
    return 0


def _verdicts(designs: Sequence[Design], constants: CostConstants, evicted: Sequence[float]) -> list[str]:
    """The break-even findings of the registered designs shown, at each eviction point, in words."""
    keys = [d.key for d in designs if DESIGNS.get(d.key) is d]  # a file's design asks no question
    return [describe.break_even_sentence(be) for e in evicted
            for be in break_evens(keys, constants, evicted_kib=e)]


def _sensitivity(designs: Sequence[Design], constants: CostConstants, evicted: float,
                 fractions: Sequence[float]) -> list[str]:
    """Each comparison the charts ask, at each switch fraction, against every uncertain constant."""
    costs = [account(d) for d in designs]
    out = []
    for f in fractions:
        for me, rivals in sensitivity_questions(costs):
            for s in sensitivity(me, rivals, constants, evicted_kib=evicted, switch_fraction=f):
                out.append(f"switch fraction {f:g}: {describe.sensitivity_sentence(s)}")
    return out


#: Columns of the text tables whose values are modelled times (rounded to two figures).
_NS_COLUMNS = ("ns_round_trip", "ns_kernel", "ns_copy", "ns_cache", "ns_tlb", "ns_design", "ns_per_entry")


def _text(frame: pd.DataFrame, verdicts: Sequence[str], designs: Sequence[Design],
          flips: Sequence[str]) -> None:
    """One table per (VTL count, eviction, switch fraction), the VTL-0-only figures, the verdicts."""
    cols = ["design", "bytes_copied_per_entry", "bytes_copied_per_switch", "cache_lines_per_entry",
            "pages_per_vp", *_NS_COLUMNS]
    for (lower, _, f), part in frame.groupby(["lower_vtls", "evicted_kib", "switch_fraction"], sort=False):
        first = describe.rounded(part[(part["entries_per_s"] == part["entries_per_s"].min())
                                      & (part["vps"] == part["vps"].min())][cols])
        for col in ("bytes_copied_per_entry", "bytes_copied_per_switch", "cache_lines_per_entry"):
            first[col] = [f"{x:g}" for x in first[col]]
        evicted = describe.evicted_words(float(part["evicted_kib"].iloc[0]))
        print(f"lower_vtls={lower} {evicted} switch_fraction={f:g} "
              "(ns to two significant figures)")
        print(first.to_string(index=False))
        print()
    # The compatibility figure: a partition that never enables VTL 1 (it is the same whatever
    # --lower-vtls says, since only VTL 0 ever exists in it).
    for design in designs:
        print(describe.vtl0_only_line(account(design)))
    print()
    for v in verdicts:
        print(v)
    for line in flips:
        print(line)
    print(describe.unverified_constants_note())
