"""``tdxlab plot cost --out DIR``: write the cost charts as PNG and SVG.

This sub-command lives in the rendering layer because it draws; the composition root
:mod:`tdxlab.commands` adds it to the CLI's own, so the CLI never imports rendering.
Building the parser must stay free of plotting libraries, so matplotlib (through
:mod:`tdxlab.render.charts`) and the host analogue are imported inside the handler.
The constant options and their checks are shared with ``tdxlab cost``.
"""

from __future__ import annotations

import argparse
from typing import Any

from tdxlab.cli import UsageError
from tdxlab.cli.args import float_list
from tdxlab.cli.cost_cmd import add_constant_args, add_design_args, constants_of, designs_of

#: What ``tdxlab plot`` can draw.
TARGETS: tuple[str, ...] = ("cost",)


def register(sub: Any) -> None:
    """Add ``plot`` (target ``cost``) to the ``tdxlab`` parser."""
    plot = sub.add_parser("plot", help="write charts (target: cost)",
                          description=f"Write charts as PNG and SVG. Targets: {', '.join(TARGETS)}.")
    plot.add_argument("target", help=f"what to plot: {', '.join(TARGETS)}")
    plot.add_argument("--out", required=True, help="directory to write into (created if missing)")
    plot.add_argument("--evicted-kib", default="256",
                      help="KiB the guest evicts between two entries, for the per-entry charts (default 256)")
    plot.add_argument("--switch-fraction", default="0", help="switch fraction for the parts chart")
    plot.add_argument("--no-host", action="store_true",
                      help="skip the host measurement (no modelled-vs-measured chart)")
    plot.add_argument("--host-evicted", default="0,64,1024,16384",
                      help="KiB evicted before each timed entry of the host analogue "
                      "(default 0,64,1024,16384; at most 262144)")
    add_design_args(plot)
    add_constant_args(plot)
    plot.set_defaults(func=_plot)


def _one(option: str, values: list[Any], raw: str, what: str) -> Any:
    if len(values) != 1:
        raise UsageError(f"{option}: give one {what} for the charts, got {raw!r}")
    return values[0]


def _plot(args: argparse.Namespace) -> int:
    if args.target not in TARGETS:
        raise UsageError(f"unknown plot target {args.target!r}; known: {', '.join(TARGETS)}")
    if not args.out.strip():
        raise UsageError("--out: empty path")
    constants = constants_of(args)
    from tdxlab.cost.host import MAX_HOST_EVICTED_KIB
    from tdxlab.cost.timemodel import MAX_EVICTED_KIB

    evicted = _one("--evicted-kib", float_list("--evicted-kib", args.evicted_kib, 0.0, MAX_EVICTED_KIB),
                   args.evicted_kib, "value")
    host_points = float_list("--host-evicted", args.host_evicted, 0.0, MAX_HOST_EVICTED_KIB)
    fraction = _one("--switch-fraction", float_list("--switch-fraction", args.switch_fraction, 0.0, 1.0),
                    args.switch_fraction, "value")
    host = None
    if not args.no_host:
        from tdxlab.cost.host import measure

        # The host analogue's own default: every registered fix, read now.
        host = measure(None, host_points, rounds=500, repeats=3)
    from tdxlab.render.charts import write_cost_charts

    designs = designs_of(args)
    for path in write_cost_charts(args.out, constants, designs=designs, evicted_kib=evicted,
                                  switch_fraction=fraction, host=host):
        print(path)
    return 0


__all__ = ["TARGETS", "register"]
