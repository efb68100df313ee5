"""The ``tdxlab`` command line: one sub-command module per area, registered here.

Every user mistake ends as one line on stderr and exit code 2, never a traceback:
sub-commands raise :class:`UsageError` (or any ``ValueError``/``KeyError`` subclass
the core raises for bad input) and :func:`main` turns it into that line.  Shared
argument checks (``--format``, counts, comma lists) are in :mod:`tdxlab.cli.args`.

:data:`SUBCOMMANDS` is the CLI's plug-in point.  Modules are imported *by name*
(:func:`importlib.import_module`), so a sub-command may live in a layer above the CLI:
``tdxlab plot`` is :mod:`tdxlab.render.plot_cmd`, in the rendering layer, because it
draws charts.  The import-linter contract (``pyproject.toml``, ``docs/architecture.md``)
does not see these imports, which is the point: the CLI layer never imports rendering,
rendering imports the CLI (for :class:`UsageError` and :mod:`tdxlab.cli.args`).  Such a
module must keep matplotlib out of its import (load it inside the command), so that
building the parser stays free of plotting libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

#: Sub-command modules; each exposes ``register(subparsers) -> None`` and sets
#: ``func`` on its parser to a callable ``(args) -> int``.
SUBCOMMANDS: tuple[str, ...] = (
    "tdxlab.cli.layout_cmd",
    "tdxlab.cli.registers_cmd",
    "tdxlab.cli.cost_cmd",
    "tdxlab.cli.simulate_cmd",
    "tdxlab.render.plot_cmd",
)


class UsageError(Exception):
    """A user mistake on the command line or in an input file: reported as one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="tdxlab",
        description="Byte-exact views and simulations of TDX VP context pages across VTLs "
        "(OpenVMM snapshot 1488a37b7cfe).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 findings such as violations, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except BrokenPipeError:  # pragma: no cover - e.g. `tdxlab layout hcl_run | head`
        return 0
    except (UsageError, ValueError, KeyError, OSError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"tdxlab {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
