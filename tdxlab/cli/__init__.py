"""The ``tdxlab`` command line: one sub-command module per area, registered here.

Every sub-command follows one exit-code contract (:data:`EXIT_CODES`): 0 no finding,
1 findings, 2 bad input or usage, 3 internal error, 130 interrupted.  So a CI job never
reads a crash as a finding.  Every error ends as one line on stderr, never a traceback
unless ``--debug`` is given (before or after the sub-command).

Bad input is what the kit raises for a user mistake: :class:`UsageError`, and any
``ValueError`` (``TraceError``, ``SpecError``, ``DesignFileError``, ``OutputError``,
``QuizError``...), ``KeyError`` (``UnknownRegisterError``) or ``OSError`` (a file that
cannot be read or written).  The core's convention is to raise ``ValueError`` for bad
input, so a bare ``ValueError``/``KeyError`` counts as bad input too: an internal bug of
that type is reported as exit 2, and ``--debug`` shows where it came from.  Everything
else — ``MemoryError``, ``RecursionError``, ``ZeroDivisionError``, any unexpected
exception — is an internal error, exit 3.  Shared argument checks (``--format``,
counts, comma lists) are in :mod:`tdxlab.cli.args`.

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


#: The exit-code contract of every ``tdxlab`` sub-command, in order: (code, name, what it
#: means).  The ``--help`` texts are built from it and a test checks the README's table.
EXIT_CODES: tuple[tuple[int, str, str], ...] = (
    (0, "no finding", "isolation holds, the design is verified, or the output was written"),
    (1, "findings", "violations, a counterexample, or not verified (--expect safe)"),
    (2, "bad input or usage", "one line on stderr naming the option, file or line"),
    (3, "internal error", "a bug in tdxlab; one line on stderr (--debug: the traceback)"),
    (130, "interrupted", "Ctrl-C; one line on stderr"),
)
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = (c for c, _, _ in EXIT_CODES)

#: Exceptions that mean bad input (exit 2); see the module docstring for why bare
#: ``ValueError``/``KeyError``/``OSError`` are among them.
BAD_INPUT: tuple[type[Exception], ...] = (UsageError, ValueError, KeyError, OSError)

#: An internal error's message is cut to this many characters (it stays one readable line).
MAX_INTERNAL_MESSAGE = 200

_DEBUG_HELP = "on an error, show the Python traceback (for a bug report); the exit code is unchanged"
_EXIT_EPILOG = ("Exit codes: " + ", ".join(f"{code} {name}" for code, name, _ in EXIT_CODES)
                + "; --debug shows the traceback of an error (see tdxlab --help).")


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception that ended a sub-command (:data:`EXIT_CODES`)."""
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK  # the reader went away (`tdxlab layout hcl_run | head`): not an error
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, BAD_INPUT):
        return EXIT_BAD_INPUT
    return EXIT_INTERNAL


def _internal_message(exc: BaseException) -> str:
    """``Type: message`` on one line, cut to :data:`MAX_INTERNAL_MESSAGE` characters."""
    try:
        text = " ".join(str(exc).split())
    except Exception:  # an exception whose __str__ fails must not hide the original one
        text = "<unprintable message>"
    if len(text) > MAX_INTERNAL_MESSAGE:
        text = f"{text[:MAX_INTERNAL_MESSAGE]}... ({len(text)} characters)"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def error_line(command: str | None, exc: BaseException) -> str:
    """The one stderr line for an exception that ended ``tdxlab command`` (no newline)."""
    prog = f"tdxlab {command}" if command else "tdxlab"
    code = exit_code(exc)
    if code == EXIT_INTERRUPTED:
        return f"{prog}: interrupted"
    if code == EXIT_BAD_INPUT:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return f"{prog}: error: {msg}"
    return f"{prog}: internal error: {_internal_message(exc)} (rerun with --debug for the traceback)"


def build_parser(extra: Sequence[Subcommand] = ()) -> argparse.ArgumentParser:
    """The argument parser with this layer's sub-commands and the ``extra`` ones.

    ``--debug`` is added to the top parser and to every sub-command's parser, so it works
    before and after the sub-command's name.  On the sub-parsers its default is
    ``SUPPRESS``: a sub-parser then sets it only when given, and never resets a
    ``tdxlab --debug ...`` given before the name.
    """
    width = max(len(str(code)) for code, _, _ in EXIT_CODES)
    parser = argparse.ArgumentParser(
        prog="tdxlab",
        description="Byte-exact views and simulations of TDX VP context pages across VTLs\n"
        "(OpenVMM snapshot 1488a37b7cfe).",
        epilog="exit codes (every sub-command):\n"
        + "".join(f"  {code:<{width}}  {name}: {what}\n" for code, name, what in EXIT_CODES)
        + "--debug, before or after the sub-command, shows the traceback of an error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", default=False, help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    for module in extra:
        module.register(sub)
    seen: set[int] = set()
    for child in sub.choices.values():
        if id(child) in seen:  # an alias names the same parser twice
            continue
        seen.add(id(child))
        child.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
        child.epilog = _EXIT_EPILOG if not child.epilog else f"{child.epilog} {_EXIT_EPILOG}"
    return parser


def main(argv: Sequence[str] | None = None, extra: Sequence[Subcommand] = ()) -> int:
    """Run the CLI; return the exit code of :data:`EXIT_CODES`.

    Every error becomes one line on stderr and its exit code (:func:`exit_code`).  With
    ``--debug`` the exception propagates instead, so a caller (pytest, pdb) sees it where it
    was raised; the process entry point :func:`tdxlab.commands.main` then prints the
    traceback and still returns the contract's code.  Argparse's own usage errors exit 2
    through ``SystemExit``, which passes through untouched.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments  # until the parser has run (an error may come first)
    command: str | None = None
    try:
        args = build_parser(extra).parse_args(arguments)
        debug, command = bool(args.debug), args.command
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except BrokenPipeError:  # pragma: no cover - e.g. `tdxlab layout hcl_run | head`
        return EXIT_OK
    except (Exception, KeyboardInterrupt) as exc:
        if debug:
            raise
        print(error_line(command, exc), file=sys.stderr)
        return exit_code(exc)
