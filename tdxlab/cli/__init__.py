"""The ``tdxlab`` command line: one sub-command module per area, registered here.

Every user mistake ends as one line on stderr and exit code 2, never a traceback:
sub-commands raise :class:`UsageError` (or any ``ValueError``/``KeyError`` subclass
the core raises for bad input) and :func:`main` turns it into that line.  Shared
argument checks (``--format``, counts, comma lists) are in :mod:`tdxlab.cli.args`.

:data:`SUBCOMMANDS` names this layer's own sub-command modules; they are imported by
name when the parser is built (each imports this package for :class:`UsageError`, so
they cannot be imported while it is).  A sub-command that lives in a higher layer —
``tdxlab plot`` is :mod:`tdxlab.render.plot_cmd`, because it draws — is handed in as
``extra`` by the composition root :mod:`tdxlab.commands`, which is what the ``tdxlab``
script and ``python -m tdxlab`` run.  So the CLI layer never imports rendering, and the
import-linter contract sees every import there is.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: This layer's sub-command modules; each exposes ``register(subparsers) -> None`` and sets
#: ``func`` on its parser to a callable ``(args) -> int``.
SUBCOMMANDS: tuple[str, ...] = (
    "tdxlab.cli.layout_cmd",
    "tdxlab.cli.registers_cmd",
    "tdxlab.cli.cost_cmd",
    "tdxlab.cli.simulate_cmd",
    "tdxlab.cli.verify_cmd",
    "tdxlab.cli.quiz_cmd",
)


class Subcommand(Protocol):
    """A sub-command module: it adds its parser (with ``func`` set) to the sub-parsers."""

    def register(self, sub: Any) -> None:
        """Add the sub-command's parser."""


class UsageError(Exception):
    """A user mistake on the command line or in an input file: reported as one line, exit 2."""


def build_parser(extra: Sequence[Subcommand] = ()) -> argparse.ArgumentParser:
    """The argument parser with this layer's sub-commands and the ``extra`` ones."""
    parser = argparse.ArgumentParser(
        prog="tdxlab",
        description="Byte-exact views and simulations of TDX VP context pages across VTLs "
        "(OpenVMM snapshot 1488a37b7cfe).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    for module in extra:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, extra: Sequence[Subcommand] = ()) -> int:
    """Run the CLI; return the exit code (0 ok, 1 findings such as violations, 2 bad input)."""
    parser = build_parser(extra)
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
