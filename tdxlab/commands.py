"""The ``tdxlab`` command: the composition root that puts every layer's sub-commands together.

The CLI layer (:mod:`tdxlab.cli`) holds the sub-commands of the model; ``tdxlab plot``
draws, so it lives in the rendering layer (:mod:`tdxlab.render.plot_cmd`), above the
CLI.  This module sits above every layer and hands the higher sub-commands to the CLI,
so no layer imports one above it and the import-linter contract sees every import.
The ``tdxlab`` script and ``python -m tdxlab`` run :func:`main`.
"""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Sequence

from tdxlab import cli
from tdxlab.render import plot_cmd, review_cmd

#: Sub-commands from layers above the CLI, added to the CLI's own (:data:`tdxlab.cli.SUBCOMMANDS`).
HIGHER: tuple[cli.Subcommand, ...] = (plot_cmd, review_cmd)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``tdxlab`` command, with every sub-command."""
    return cli.build_parser(HIGHER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tdxlab``; the exit code follows :func:`tdxlab.cli.main` (:data:`tdxlab.cli.EXIT_CODES`).

    This is the process entry point (the ``tdxlab`` script, ``python -m tdxlab``).  Under
    ``--debug`` :func:`tdxlab.cli.main` lets the exception propagate; here its traceback is
    printed and the contract's code returned, where Python itself would exit 1 — the code
    for findings — so even a debug run in CI never reads a crash as a finding.
    """
    try:
        return cli.main(argv, HIGHER)
    except (Exception, KeyboardInterrupt) as exc:  # only under --debug: cli.main handles the rest
        traceback.print_exc()
        return cli.exit_code(exc)
