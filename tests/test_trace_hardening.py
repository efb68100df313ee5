"""Issue 13's reproducers for the trace readers: each gives a one-line TraceError naming file and line.

Classes: inputs that escaped the error handling (deep nesting, huge integer literals), line numbers
that ``str.splitlines`` got wrong, silently accepted oddities (duplicate keys, Unicode case folding,
non-ASCII digits) and unbounded echoes of a bad value.  Every reader is tried: ``parse_trace``,
``load_trace``, ``TraceStream``, the CLI (exit 2), the Stepper and the design comparison.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tdxlab.cli import main
from tdxlab.sim.events import TraceError
from tdxlab.sim.model import SHOWN_CHARS
from tdxlab.sim.trace import TraceStream, load_trace, parse_trace

RUN = '{"op": "run", "vp": 0}'
SET = '{{"op": "set", "vp": 0, "vtl": 0, "reg": "{reg}", "value": {value}}}'

#: (id, the bad line, words of the reason); the bad line is line 3, after a comment and a good event.
BAD: list[tuple[str, str, str]] = [
    ("deep-nesting", "[" * 1000 + "]" * 1000, "nested too deeply"),
    ("huge-integer", '{"op": "run", "vp": ' + "9" * 5000 + "}", "integer literal of 5,000 characters"),
    ("duplicate-key", '{"op": "run", "vp": 0, "vp": 1}', "key 'vp' given twice"),
    ("kelvin-sign", SET.format(reg="\u212aernel_gs_base", value='"0x1"'), "register names are ASCII"),
    ("arabic-digits", SET.format(reg="rip", value='"\u0661\u0662"'), "not a number"),
    ("underscore-digits", SET.format(reg="rip", value='"1_000"'), "not a number"),
    ("record-separator", RUN + "\x1e" + RUN, "bad JSON: Extra data"),
    ("u2028-outside-a-string", RUN + "\u2028", "bad JSON"),
]


def _text(bad: str) -> str:
    return "# a trace\n" + RUN + "\n" + bad + "\n" + RUN + "\n"


@pytest.mark.parametrize(("case", "bad", "words"), BAD, ids=[b[0] for b in BAD])
def test_every_reader_names_the_line(tmp_path: Path, case: str, bad: str, words: str) -> None:
    with pytest.raises(TraceError) as info:
        parse_trace(_text(bad))
    assert info.value.line == 3 and words in info.value.reason and "\n" not in str(info.value)
    path = tmp_path / f"{case}.jsonl"
    path.write_text(_text(bad), encoding="utf-8")
    for read in (load_trace, lambda p: list(TraceStream(p))):
        with pytest.raises(TraceError) as info:
            read(path)
        assert str(info.value).startswith(f"{path} line 3: ") and words in str(info.value)


def test_the_cli_gives_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for case, bad, words in BAD:
        path = tmp_path / f"{case}.jsonl"
        path.write_text(_text(bad), encoding="utf-8")
        assert main(["simulate", "--design", "bank", "--trace", str(path)]) == 2, case
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "line 3: " in err and words in err and "Traceback" not in err


def test_the_widgets_raise_the_same_error(tmp_path: Path) -> None:
    from tdxlab.widgets.compare import DesignComparison
    from tdxlab.widgets.stepper import Stepper

    path = tmp_path / "huge.jsonl"
    path.write_text(_text(BAD[1][1]), encoding="utf-8")
    stepper = Stepper("secure_call_round_trip")
    before = stepper.result
    # each widget's own one-line error (a ValueError) carries the reader's words, file and line
    with pytest.raises(ValueError, match=f"{path} line 3: integer literal"):
        stepper.load_trace(str(path))
    assert stepper.result is before  # state kept
    with pytest.raises(ValueError, match="line 3: integer literal"):
        DesignComparison("secure_call_round_trip").load_trace(str(path))


def test_line_numbers_count_newlines_only() -> None:
    # a form feed and a U+2028 in comments, a \x0b in a comment: none of them starts a line
    text = ("# one\x0cstill one\n# two \u2028 still two\n# three\x0b\n" + RUN + "\n"
            + '{"op": "jump", "vp": 0}\n')
    with pytest.raises(TraceError) as info:
        parse_trace(text)
    assert info.value.line == 5
    # CRLF line ends are line ends
    assert len(parse_trace(RUN + "\r\n" + RUN + "\r\n")) == 2
    # a U+2028 inside a JSON string is part of that string, not a line break
    with pytest.raises(TraceError, match="unknown op") as info:
        parse_trace('{"op": "a\u2028b", "vp": 0}\n')
    assert info.value.line == 1 and "2028" in info.value.reason  # one op name, escaped in the message


def test_invalid_utf8_is_reported_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(RUN.encode() + b"\n" + RUN.encode() + b"\n# caf\xe9\n")
    for read in (load_trace, lambda p: list(TraceStream(p))):
        with pytest.raises(TraceError) as info:
            read(path)
        assert info.value.line == 3 and "not UTF-8" in info.value.reason


def test_a_huge_value_is_echoed_by_its_start_and_length() -> None:
    value = "x" * 10_000_000
    with pytest.raises(TraceError) as info:
        parse_trace(SET.format(reg="rip", value=f'"{value}"') + "\n")
    message = str(info.value)
    assert len(message) < 300 and "10,000,002 characters" in message
    assert "x" * (SHOWN_CHARS + 5) not in message


def test_an_empty_trace_is_the_same_error_everywhere(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from tdxlab.widgets.stepper import Stepper

    for text in ("", "\n\n", "# only a comment\n", '{"lower_vtls": 3}\n# and a comment\n'):
        path = tmp_path / "empty.jsonl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TraceError, match="the trace has no events"):
            parse_trace(text)
        with pytest.raises(TraceError, match="the trace has no events"):
            load_trace(path)
        with pytest.raises(TraceError, match="the trace has no events"):
            TraceStream(path)
        assert main(["simulate", "--design", "bank", "--trace", str(path)]) == 2
        assert "the trace has no events" in capsys.readouterr().err
        with pytest.raises(ValueError, match="no events"):
            Stepper("secure_call_round_trip").load_trace(str(path))


def test_an_absurd_entry_rate_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--entries-per-s", "1e308", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--entries-per-s: 1e308 is outside 0..1e+09" in err


def test_a_register_both_added_and_dropped_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--design", "bank", "--scenario", "secure_call_round_trip",
                 "--add-private", "rip", "--drop-private", "rip"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rip cannot be both added to and dropped from the private set" in err
