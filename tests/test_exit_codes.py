"""The exit-code contract (issue 13, class 5): 0 no finding, 1 findings, 2 bad input, 3 internal error.

An internal error must never exit 1, the code CI reads as "violations found".  Internal
errors are injected through a fake sub-command (``main(argv, extra=[...])``) in-process,
and through ``sitecustomize`` in a real ``python -m tdxlab`` process.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tdxlab import cli, commands
from tdxlab.cli import EXIT_CODES, UsageError
from tdxlab.registers import UnknownRegisterError
from tdxlab.sim.events import TraceError

ROOT = Path(__file__).resolve().parents[1]
HINT = "(rerun with --debug for the traceback)"


class Fake:
    """A sub-command ``boom`` whose handler calls ``action`` (which raises, or returns a code)."""

    def __init__(self, action: Callable[[], int]) -> None:
        self.action = action

    def register(self, sub: Any) -> None:
        p = sub.add_parser("boom", help="raise on purpose (a test's fake sub-command)")
        p.add_argument("--flag", action="store_true")
        p.set_defaults(func=self._run)

    def _run(self, args: argparse.Namespace) -> int:
        return self.action()


def raising(exc: BaseException) -> Callable[[], int]:
    def action() -> int:
        raise exc

    return action


def divide_by_zero() -> int:
    return 1 // (len(sys.argv) - len(sys.argv))  # a real ZeroDivisionError from real code


def overflow_the_stack() -> int:
    def down(n: int) -> int:
        return down(n + 1) + 1

    return down(0)  # a real RecursionError


def run(capsys: pytest.CaptureFixture[str], action: Callable[[], int], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv) or ["boom"], extra=[Fake(action)])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- 3: internal error

INTERNAL: dict[str, tuple[Callable[[], int], str]] = {
    "ZeroDivisionError": (divide_by_zero, "ZeroDivisionError: integer division or modulo by zero"),
    "MemoryError": (raising(MemoryError()), "MemoryError"),
    "RecursionError": (overflow_the_stack, "RecursionError: maximum recursion depth exceeded"),
    "RuntimeError": (raising(RuntimeError("the engine lost a VP")), "RuntimeError: the engine lost a VP"),
    "TypeError": (raising(TypeError("unsupported operand")), "TypeError: unsupported operand"),
    "AttributeError": (raising(AttributeError("no attribute 'x'")), "AttributeError: no attribute 'x'"),
    "AssertionError": (raising(AssertionError()), "AssertionError"),
}


@pytest.mark.parametrize("kind", INTERNAL)
def test_an_internal_error_is_exit_3_and_one_line(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    action, message = INTERNAL[kind]
    code, out, err = run(capsys, action)
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"tdxlab boom: internal error: {message}") and err.endswith(f" {HINT}\n"), err


def test_the_internal_error_line_reads_as_in_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, raising(ZeroDivisionError("division by zero")))
    assert err == f"tdxlab boom: internal error: ZeroDivisionError: division by zero {HINT}\n"


def test_a_long_or_multi_line_internal_message_stays_one_bounded_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, raising(RuntimeError("first\nsecond\n" + "x" * 10_000)))
    assert code == 3 and err.count("\n") == 1
    assert "RuntimeError: first second xxx" in err and "(10013 characters)" in err
    assert len(err) < cli.MAX_INTERNAL_MESSAGE + 200


def test_an_error_while_building_the_parser_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        def register(self, sub: Any) -> None:
            raise ZeroDivisionError("division by zero")

    code = cli.main(["layout", "--list"], extra=[Broken()])
    _, err = capsys.readouterr()
    assert code == 3
    assert err == f"tdxlab: internal error: ZeroDivisionError: division by zero {HINT}\n"


@pytest.mark.parametrize("argv", [["--debug", "boom"], ["boom", "--debug"], ["boom", "--flag", "--debug"]],
                         ids=["before", "after", "after-options"])
@pytest.mark.parametrize("kind", ["ZeroDivisionError", "MemoryError", "RecursionError"])
def test_debug_lets_the_exception_propagate(capsys: pytest.CaptureFixture[str], argv: list[str],
                                            kind: str) -> None:
    action, _ = INTERNAL[kind]
    with pytest.raises(BaseException) as caught:
        cli.main(argv, extra=[Fake(action)])
    assert type(caught.value).__name__ == kind
    assert capsys.readouterr().err == ""  # nothing printed: the caller sees the exception itself


def test_debug_also_shows_where_a_bad_input_error_came_from() -> None:
    with pytest.raises(KeyError):
        cli.main(["--debug", "boom"], extra=[Fake(raising(KeyError("internal")))])


def test_debug_through_the_entry_point_prints_the_traceback_and_keeps_exit_3(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "HIGHER", (*commands.HIGHER, Fake(divide_by_zero)))
    assert commands.main(["boom", "--debug"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in divide_by_zero" in err
    assert err.endswith("ZeroDivisionError: integer division or modulo by zero\n")


def test_debug_is_accepted_without_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    clean = ["simulate", "--design", "bank", "--scenario", "secure_call_round_trip"]
    assert commands.main(["--debug", *clean]) == 0 and capsys.readouterr().err == ""
    assert commands.main([*clean, "--debug"]) == 0 and capsys.readouterr().err == ""


# --------------------------------------------------------------------------- 2: bad input or usage

BAD_INPUT: dict[str, tuple[BaseException, str]] = {
    "UsageError": (UsageError("--vps: 0 must be >= 1"), "--vps: 0 must be >= 1"),
    "TraceError": (TraceError("t.jsonl:3: bad JSON"), "t.jsonl:3: bad JSON"),
    "ValueError": (ValueError("unknown design 'x'"), "unknown design 'x'"),
    "KeyError": (KeyError("no such key"), "no such key"),  # its argument, not its repr
    "UnknownRegisterError": (UnknownRegisterError("unknown register 'rxp'"), "unknown register 'rxp'"),
    "OSError": (FileNotFoundError(2, "No such file or directory", "t.jsonl"),
                "[Errno 2] No such file or directory: 't.jsonl'"),
}


@pytest.mark.parametrize("kind", BAD_INPUT)
def test_bad_input_is_exit_2_and_one_line(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    exc, message = BAD_INPUT[kind]
    code, out, err = run(capsys, raising(exc))
    assert (code, out, err) == (2, "", f"tdxlab boom: error: {message}\n")


def test_a_real_bad_input_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = commands.main(["simulate", "--design", "nope", "--scenario", "secure_call_round_trip"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("tdxlab simulate: error: ")


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["simulate", "--no-such-option"], ["--debug"]],
                         ids=["no-command", "unknown-command", "unknown-option", "debug-alone"])
def test_argparse_usage_errors_are_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        commands.main(argv)
    assert exited.value.code == 2
    assert "usage: tdxlab" in capsys.readouterr().err


# --------------------------------------------------------------------------- 0, 1, 130, broken pipe


@pytest.mark.parametrize(("design", "expected"), [("naive", 1), ("bank", 0)])
def test_findings_are_exit_1_and_a_clean_run_exit_0(capsys: pytest.CaptureFixture[str], design: str,
                                                     expected: int) -> None:
    code = commands.main(["simulate", "--design", design, "--scenario", "secure_call_round_trip"])
    assert code == expected and capsys.readouterr().err == ""


def test_a_sub_command_code_passes_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, lambda: 1)[0] == 1
    assert run(capsys, lambda: 0) == (0, "", "")


def test_keyboard_interrupt_is_130_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, raising(KeyboardInterrupt()))
    assert (code, out, err) == (130, "", "tdxlab boom: interrupted\n")
    with pytest.raises(KeyboardInterrupt):
        cli.main(["--debug", "boom"], extra=[Fake(raising(KeyboardInterrupt()))])


def test_a_broken_pipe_is_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, raising(BrokenPipeError())) == (0, "", "")
    assert run(capsys, raising(BrokenPipeError()), "--debug", "boom") == (0, "", "")


def test_exit_code_classifies_every_kind() -> None:
    kinds = (BrokenPipeError(), KeyboardInterrupt(), TraceError("x"), OSError(),
             MemoryError(), RecursionError(), ZeroDivisionError())
    assert [cli.exit_code(e) for e in kinds] == [0, 130, 2, 2, 3, 3, 3]


# --------------------------------------------------------------------------- the documentation


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        commands.main(["--help"])
    out = capsys.readouterr().out
    for code, name, what in EXIT_CODES:
        assert re.search(rf"^  {code}\s+{re.escape(name)}: {re.escape(what)}$", out, re.MULTILINE), code
    assert "--debug" in out


@pytest.mark.parametrize("command", ["simulate", "verify", "review", "layout", "plot"])
def test_every_sub_command_help_names_exit_3_and_debug(capsys: pytest.CaptureFixture[str],
                                                       command: str) -> None:
    with pytest.raises(SystemExit):
        commands.main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "3 internal error" in out and "--debug" in out


def test_readme_table_agrees_with_the_contract() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|$", section, re.MULTILINE)
    assert [int(code) for code, _ in rows] == [code for code, _, _ in EXIT_CODES]
    for (_, meaning), (_, name, _) in zip(rows, EXIT_CODES, strict=True):
        assert meaning.startswith(name), (meaning, name)
    assert "--debug" in section


# --------------------------------------------------------------------------- a real process

_INJECT = """\
import tdxlab.cli.registers_cmd as registers_cmd

def run(args):
    raise {exc}

registers_cmd.run = run
"""


def tdxlab_process(*argv: str, inject: str | None = None, tmp_path: Path | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """``python -m tdxlab ARGV``; with ``inject``, ``tdxlab registers`` raises it (via sitecustomize)."""
    env = dict(os.environ)
    if inject is not None:
        assert tmp_path is not None
        (tmp_path / "sitecustomize.py").write_text(_INJECT.format(exc=inject), encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "tdxlab", *argv], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=False)


@pytest.mark.parametrize(("argv", "code"), [
    (("simulate", "--design", "bank", "--scenario", "secure_call_round_trip"), 0),
    (("simulate", "--design", "naive", "--scenario", "secure_call_round_trip"), 1),
    (("simulate", "--design", "bank", "--scenario", "nope"), 2),
    (("simulate", "--no-such-option"), 2),
], ids=["clean-0", "findings-1", "bad-input-2", "usage-2"])
def test_process_exit_codes(argv: tuple[str, ...], code: int) -> None:
    done = tdxlab_process(*argv)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    if code == 2 and "--no-such-option" not in argv:
        assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(("inject", "code", "line"), [
    ("ZeroDivisionError('division by zero')", 3,
     f"tdxlab registers: internal error: ZeroDivisionError: division by zero {HINT}\n"),
    ("MemoryError()", 3, f"tdxlab registers: internal error: MemoryError {HINT}\n"),
    ("KeyboardInterrupt()", 130, "tdxlab registers: interrupted\n"),
], ids=["internal-3", "memory-3", "interrupted-130"])
def test_process_internal_error_and_interrupt(tmp_path: Path, inject: str, code: int, line: str) -> None:
    done = tdxlab_process("registers", inject=inject, tmp_path=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (code, "", line)


def test_process_debug_shows_the_traceback_and_keeps_exit_3(tmp_path: Path) -> None:
    done = tdxlab_process("--debug", "registers", inject="ZeroDivisionError('division by zero')",
                          tmp_path=tmp_path)
    assert done.returncode == 3
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.endswith("ZeroDivisionError: division by zero\n")
