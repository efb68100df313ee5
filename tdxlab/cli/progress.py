"""A progress bar for long runs on a terminal (tqdm is not a dependency; this is its small equivalent).

Shown only when the stream is a terminal and the work is long (over
:data:`PROGRESS_THRESHOLD` items), so piped output, CI logs and JSON stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO, TypeVar

T = TypeVar("T")

#: Traces longer than this get a progress bar on a terminal.
PROGRESS_THRESHOLD = 100_000
_WIDTH = 30


def bar_line(done: int, total: int, seconds: float, what: str = "events") -> str:
    """One line of the bar, e.g. ``[#######.......]  45%  450,000/1,000,000 events  3 s``."""
    filled = _WIDTH * done // total if total else _WIDTH
    pct = 100 * done // total if total else 100
    return f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {pct:3d}%  {done:,}/{total:,} {what}  {seconds:.0f} s"


def progress(items: Sequence[T], stream: TextIO | None = None, threshold: int = PROGRESS_THRESHOLD,
             what: str = "events") -> Iterator[T]:
    """Yield ``items``; on a terminal, and for more than ``threshold`` of them, draw a bar on ``stream``."""
    out = sys.stderr if stream is None else stream
    total = len(items)
    if total <= threshold or not out.isatty():
        yield from items
        return
    start = time.perf_counter()
    step = max(1, total // 100)
    for i, item in enumerate(items):
        if i % step == 0:
            out.write("\r" + bar_line(i, total, time.perf_counter() - start, what))
            out.flush()
        yield item
    out.write("\r" + bar_line(total, total, time.perf_counter() - start, what) + "\n")
    out.flush()
