"""``tdxlab cost`` and ``tdxlab plot cost``: the cost model from the shell.

``tdxlab cost`` prints the modelled cost per entry of each design over the VP
counts and switch fractions asked for (text, csv or json), the break-even switch
fractions, and which constants are unverified.  ``tdxlab plot cost --out DIR``
writes the cost charts as PNG and SVG.

Arguments are validated here, not by ``argparse`` ``type``/``choices``, so that a
mistake is one line naming the option and the value (exit 2), like every error of
the kit.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from tdxlab import describe
from tdxlab.cli import UsageError
from tdxlab.cost.constants import (
    CONSTANTS,
    PRESETS,
    CostConstants,
    constants_rows,
    parse_overrides,
    unverified_names,
    with_overrides,
)
from tdxlab.cost.sweep import break_even, sweep
from tdxlab.sim.designs import DESIGNS

#: CSV/JSON columns, the issue's required ones first.
CSV_COLUMNS: tuple[str, ...] = (
    "design", "vps", "switch_fraction", "bytes_copied_per_entry", "cache_lines_per_entry",
    "pages_per_vp", "ns_per_entry",
    "entries_per_s", "pages_touched_per_entry", "pages_per_partition", "kib_per_partition",
    "ns_fixed", "ns_copy", "ns_cache", "ns_tlb", "ns_design", "cpu_share",
)  # fmt: skip
FORMATS = ("text", "csv", "json")


def register(sub: Any) -> None:
    """Add ``cost`` and ``plot`` (target ``cost``) to the ``tdxlab`` parser."""
    p = sub.add_parser(
        "cost",
        help="modelled cost per entry of each page design",
        description="Modelled nanoseconds per entry (fixed round trip + copies + cache + TLB) of each "
        "design, from counts derived from the simulator's memory log. The entry round trips are "
        "UNVERIFIED stand-ins (VMX figures); see --constants.",
    )
    p.add_argument("--designs", default=",".join(DESIGNS), help=f"comma-separated ({', '.join(DESIGNS)})")
    p.add_argument("--vps", default="1", help="comma-separated VP counts (default 1)")
    p.add_argument("--switch-fraction", default="0,0.5,1",
                   help="comma-separated fractions of entries preceded by a VTL switch (default 0,0.5,1)")
    p.add_argument("--entries-per-s", default="10000",
                   help="comma-separated entry rates per VP, for cpu_share (default 10000)")
    _constant_args(p)
    p.add_argument("--format", default="text", help="text (default), csv or json")
    p.add_argument("--constants", action="store_true", dest="show_constants",
                   help="list the constants with unit, source and confidence, and exit")
    p.set_defaults(func=_cost)

    plot = sub.add_parser("plot", help="write charts (target: cost)",
                          description="Write charts as PNG and SVG. Targets: cost.")
    plot.add_argument("target", help="what to plot: cost")
    plot.add_argument("--out", required=True, help="directory to write into (created if missing)")
    plot.add_argument("--vps", default="1", help="VP count for the per-entry charts (default 1)")
    plot.add_argument("--switch-fraction", default="0", help="switch fraction for the parts chart")
    plot.add_argument("--no-host", action="store_true",
                      help="skip the host measurement (no modelled-vs-measured chart)")
    plot.add_argument("--host-vps", default="1,16,256,1024,4096",
                      help="VP counts of the host analogue (default 1,16,256,1024,4096)")
    _constant_args(plot)
    plot.set_defaults(func=_plot)


def _constant_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="default", help=f"constant set: {', '.join(PRESETS)}")
    p.add_argument("--constant", action="append", default=[], metavar="NAME=VALUE",
                   help="override one constant (repeatable), e.g. tdx_entry_cycles=1291")


# --- argument checks ------------------------------------------------------------------------------
def _list(option: str, raw: str) -> list[str]:
    items = [x.strip() for x in raw.split(",")]
    if not raw.strip() or any(not x for x in items):
        raise UsageError(f"{option}: expected a comma-separated list, got {raw!r}")
    return items


def _ints(option: str, raw: str) -> list[int]:
    out = []
    for item in _list(option, raw):
        try:
            value = int(item, 0)
        except ValueError:
            raise UsageError(f"{option}: {item!r} is not an integer") from None
        if value < 1:
            raise UsageError(f"{option}: {value} must be >= 1")
        out.append(value)
    return out


def _floats(option: str, raw: str, lo: float, hi: float | None = None) -> list[float]:
    out = []
    for item in _list(option, raw):
        try:
            value = float(item)
        except ValueError:
            raise UsageError(f"{option}: {item!r} is not a number") from None
        if not math.isfinite(value) or value < lo or (hi is not None and value > hi):
            rng = f"{lo:g}..{hi:g}" if hi is not None else f">= {lo:g}"
            raise UsageError(f"{option}: {item} is outside {rng}")
        out.append(value)
    return out


def _designs(raw: str) -> list[str]:
    out = []
    for name in _list("--designs", raw):
        if name not in DESIGNS:
            raise UsageError(f"--designs: unknown design {name!r}; known: {', '.join(DESIGNS)}")
        if name not in out:
            out.append(name)
    return out


def _constants(args: argparse.Namespace) -> CostConstants:
    if args.preset not in PRESETS:
        raise UsageError(f"--preset: unknown preset {args.preset!r}; known: {', '.join(PRESETS)}")
    try:
        return with_overrides(PRESETS[args.preset], parse_overrides(args.constant))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _format(raw: str) -> str:
    if raw not in FORMATS:
        raise UsageError(f"--format: {raw!r} is not one of {', '.join(FORMATS)}")
    return raw


# --- tdxlab cost ---------------------------------------------------------------------------------
def constants_table(constants: CostConstants) -> pd.DataFrame:
    """Every constant with its value, unit, confidence and source (``--constants``)."""
    return pd.DataFrame(constants_rows(constants))


def _cost(args: argparse.Namespace) -> int:
    fmt = _format(args.format)
    constants = _constants(args)
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
    designs = _designs(args.designs)
    vps = _ints("--vps", args.vps)
    fractions = _floats("--switch-fraction", args.switch_fraction, 0.0, 1.0)
    rates = _floats("--entries-per-s", args.entries_per_s, 0.0)
    frame = sweep(designs, vps, rates, fractions, constants)
    frame = frame.sort_values(["vps", "switch_fraction", "entries_per_s"], kind="stable")
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
        _text(out, verdicts)
    return 0


def _verdicts(designs: Sequence[str], constants: CostConstants, vps: Sequence[int]) -> list[str]:
    out = []
    for n in vps:
        if "split" in designs and "bank" in designs:
            out.append(break_even("split", ["bank"], constants, vps=n).sentence())
        rivals = [d for d in ("bank", "split") if d in designs]
        if "snp" in designs and rivals:
            out.append(break_even("snp", rivals, constants, vps=n).sentence())
    return out


def _text(frame: pd.DataFrame, verdicts: Sequence[str]) -> None:
    cols = ["design", "bytes_copied_per_entry", "cache_lines_per_entry", "pages_per_vp", "ns_copy",
            "ns_cache", "ns_tlb", "ns_design", "ns_per_entry"]
    for (vps, f), part in frame.groupby(["vps", "switch_fraction"], sort=False):
        rates = sorted(set(part["entries_per_s"]))
        rows = part[part["entries_per_s"] == rates[0]][cols]
        print(f"vps={vps} switch_fraction={f:g}")
        print(rows.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
        print()
    for v in verdicts:
        print(v)
    print(describe.unverified_constants_note())


# --- tdxlab plot cost ----------------------------------------------------------------------------
def _plot(args: argparse.Namespace) -> int:
    if args.target != "cost":
        raise UsageError(f"unknown plot target {args.target!r}; known: cost")
    constants = _constants(args)
    vps = _ints("--vps", args.vps)
    if len(vps) != 1:
        raise UsageError(f"--vps: give one VP count for the charts, got {args.vps!r}")
    fraction = _floats("--switch-fraction", args.switch_fraction, 0.0, 1.0)
    if len(fraction) != 1:
        raise UsageError(f"--switch-fraction: give one value for the charts, got {args.switch_fraction!r}")
    host = None
    if not args.no_host:
        from tdxlab.cost.host import measure

        host = measure(("bank", "split", "snp"), _ints("--host-vps", args.host_vps), repeats=3,
                       min_time_ns=500_000.0)
    from tdxlab.render.charts import write_cost_charts

    for path in write_cost_charts(args.out, constants, vps=vps[0], switch_fraction=fraction[0], host=host):
        print(path)
    return 0
