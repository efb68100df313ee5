"""A seeded fuzz suite over every reader of traces (issue 13): mutated shipped scenarios and generated
lines must each end as a result or as one :class:`TraceError` of one bounded line, never anything else.

Mutations are drawn from a fixed seed, so a failure names a reproducible case; the case counts are
sized to run in well under a minute.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdxlab.commands import main
from tdxlab.sim.events import TraceError
from tdxlab.sim.fast import FastSimulation
from tdxlab.sim.machine import simulate
from tdxlab.sim.trace import load_trace, parse_trace

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "tdxlab" / "scenarios").glob("*.jsonl"))
#: Odd characters a mutation inserts: every line breaker str.splitlines knows, control characters,
#: a BOM, look-alike letters and digits.
ODD = ["\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\ufeff", "\u212a",
       "\u0661", "\r", "\t", "\x7f", "\u00e9"]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        kind = rng.randrange(9)
        line = lines[i]
        if kind == 0 and line:  # flip one character
            j = rng.randrange(len(line))
            lines[i] = line[:j] + chr(rng.randrange(32, 127)) + line[j + 1:]
        elif kind == 1:  # an odd character anywhere
            j = rng.randrange(len(line) + 1)
            lines[i] = line[:j] + rng.choice(ODD) + line[j:]
        elif kind == 2:  # duplicate, drop or swap lines
            lines.insert(i, line)
        elif kind == 3 and len(lines) > 1:
            del lines[i]
        elif kind == 4:
            k = rng.randrange(len(lines))
            lines[i], lines[k] = lines[k], lines[i]
        elif kind == 5 and line.startswith("{"):  # a key given twice, or a key deleted
            lines[i] = line[:-1] + ', "vp": 1}' if rng.random() < 0.5 else line.replace('"vp": 0, ', "", 1)
        elif kind == 6:  # numbers: huge, negative, non-ASCII, floats
            lines[i] = line.replace('"vp": 0', rng.choice(['"vp": ' + "9" * 60, '"vp": -1', '"vp": 1e3',
                                                          '"vp": "\u0660"', '"vp": 4096', '"vp": 0.0']))
        elif kind == 7:  # nesting and truncation
            lines[i] = rng.choice(["[" * 2000, line[: len(line) // 2], "{" + line, line + "]"])
        else:  # values: too wide, not numbers, look-alikes
            lines[i] = line.replace('"0x', rng.choice(['"0x' + "f" * 40, '"0xzz', '"\u0661\u0662', '" 0x',
                                                       '"0x_1', '"-0x']), 1)
    return "\n".join(lines)


def _judge(text: str) -> str:
    """'ok' or 'rejected': every outcome but these two fails the test (with its reproducer)."""
    try:
        events = parse_trace(text)
        simulate("bank", events)
        FastSimulation("naive", 4096, lower_vtls=events.lower_vtls).run(events)
    except TraceError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 600, message[:200]
        return "rejected"
    return "ok"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_mutated_scenarios_are_results_or_one_line_errors(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rng = random.Random(f"fuzz {path.stem}")
    outcomes = {"ok": 0, "rejected": 0}
    for case in range(300):
        mutated = _mutate(text, rng)
        try:
            outcomes[_judge(mutated)] += 1
        except AssertionError:
            raise
        except Exception as exc:  # anything else escaped the error handling
            pytest.fail(f"{path.stem} case {case}: {type(exc).__name__}: {exc!s:.200}\n{mutated[:2000]}")
    assert outcomes["rejected"] > 0  # the mutations do bite


_FRAGMENTS = st.sampled_from(['{', '}', '[', ']', '"op"', '"run"', '"set"', '"vp"', '"vtl"', '"reg"',
                              '"value"', '"rip"', ':', ',', '0', '1', '-1', '1e400', '"0x10"', 'null',
                              'true', ' ', '#', *ODD])


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(st.lists(_FRAGMENTS, max_size=24).map("".join), max_size=6).map("\n".join))
def test_generated_lines_never_escape(text: str) -> None:
    try:
        _judge(text)
    except AssertionError:
        raise
    except Exception as exc:
        pytest.fail(f"{type(exc).__name__}: {exc!s:.200} on {text!r:.300}")


def test_mutated_files_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random("fuzz cli")
    codes: dict[int, int] = {}
    for case in range(120):
        source = SCENARIOS[case % len(SCENARIOS)]
        path = tmp_path / f"case{case}.jsonl"
        path.write_text(_mutate(source.read_text(encoding="utf-8"), rng), encoding="utf-8", newline="")
        argv = ["simulate", "--design", rng.choice(["naive", "bank", "split", "snp"]), "--trace", str(path)]
        if case % 3 == 0:
            argv.append("--steps")
        code = main(argv)
        err = capsys.readouterr().err
        codes[code] = codes.get(code, 0) + 1
        assert code in (0, 1, 2), (case, code, err)
        if code == 2:
            assert err.count("\n") == 1 and "Traceback" not in err, (case, err)
            assert str(path) in err  # names the file
        # the file loader and the streaming reader apply one set of rules: a file the loader refuses,
        # the CLI refuses too, whichever reader it used
        try:
            load_trace(path)
        except TraceError:
            assert code == 2, case
    assert codes.get(2, 0) > 0 and codes.get(0, 0) + codes.get(1, 0) > 0
