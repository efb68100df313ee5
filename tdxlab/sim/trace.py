"""Load and save traces (JSON Lines, one event per line; see docs/trace-format.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tdxlab.sim.events import Event, TraceError, event_from_line


def parse_trace(text: str) -> list[Event]:
    """Parse a whole trace; blank lines and lines starting with ``#`` are ignored."""
    events = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        events.append(event_from_line(stripped, number))
    return events


def load_trace(path: str | Path) -> list[Event]:
    """Read a trace file; errors name the file and the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraceError(f"cannot read trace {p}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TraceError(f"trace {p} is not UTF-8 text") from None
    try:
        return parse_trace(text)
    except TraceError as exc:
        raise TraceError(exc.reason, exc.line, str(p)) from None


def dump_trace(events: Iterable[Event]) -> str:
    """Serialise events as JSON Lines (stable key order, hex values)."""
    return "".join(json.dumps(e.to_json()) + "\n" for e in events)


def save_trace(events: Iterable[Event], path: str | Path) -> None:
    """Write events to ``path`` as JSON Lines."""
    Path(path).write_text(dump_trace(events), encoding="utf-8")
