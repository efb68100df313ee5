"""The progress bar ``tdxlab simulate`` draws for long traces on a terminal."""

from __future__ import annotations

import io

from tdxlab.cli.progress import bar_line, progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_on_a_terminal_draws_a_bar_to_the_end() -> None:
    out = _Tty()
    items = list(range(1_000))
    assert list(progress(items, out, threshold=100)) == items
    text = out.getvalue()
    assert text.count("\r") >= 100  # redrawn once per per cent
    assert text.rstrip("\n").split("\r")[-1].startswith("[" + "#" * 30 + "] 100%  1,000/1,000 events")


def test_no_bar_when_piped_or_short() -> None:
    piped, short = io.StringIO(), _Tty()
    assert list(progress(list(range(1_000)), piped, threshold=100)) == list(range(1_000))
    assert list(progress([1, 2, 3], short, threshold=100)) == [1, 2, 3]
    assert piped.getvalue() == short.getvalue() == ""


def test_the_bar_line_counts_and_fills_in_proportion() -> None:
    assert bar_line(450_000, 1_000_000, 3.2) == "[" + "#" * 13 + "." * 17 + "]  45%  450,000/1,000,000 events  3 s"  # noqa: E501
