"""Load and save traces (JSON Lines, one event per line; see docs/trace-format.md).

A trace may open with a header object, before its first event, that declares partition
properties; today one: ``{"lower_vtls": 3}`` (2 or 3, default 2).  The parsed trace is a
:class:`Trace`, a list of events that also remembers the partition's VTL count, so
:func:`tdxlab.sim.machine.simulate` builds the partition the trace was written for.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from tdxlab.files import write_atomic
from tdxlab.sim.events import Event, TraceError, decode_line, event_from_json
from tdxlab.sim.model import DEFAULT_LOWER_VTLS, check_lower_vtls

#: Keys a header object may hold.
HEADER_KEYS = ("lower_vtls",)
#: Why a trace with nothing to run is rejected: the same answer from every reader (the CLI, the
#: Stepper, the comparison), rather than "nothing found" from one and an error from another.
NO_EVENTS = "the trace has no events (only blank lines, comments or a header)"


class Trace(list[Event]):
    """The events of a trace, with the number of lower VTLs of the partition it runs on."""

    def __init__(self, events: Iterable[Event] = (), lower_vtls: int = DEFAULT_LOWER_VTLS,
                 declared: bool = False) -> None:
        """``declared``: the trace's own header named ``lower_vtls`` (``dump_trace`` writes it back)."""
        super().__init__(events)
        self.lower_vtls = lower_vtls
        self.declared = declared


def lower_vtls_of(events: Iterable[Event], default: int | None = None) -> int:
    """The VTL count ``events`` were written for: a :class:`Trace`'s own, else ``default`` (or 2)."""
    if isinstance(events, Trace):
        return events.lower_vtls
    return DEFAULT_LOWER_VTLS if default is None else default


def _header(obj: Any, line: int, asked: int | None) -> int | None:
    """The ``lower_vtls`` of a header object, or ``None`` when ``obj`` is not a header.

    ``asked`` (from ``--lower-vtls`` or the API) must agree with the header, so one trace
    never means two partitions.
    """
    if not isinstance(obj, dict) or "op" in obj or "lower_vtls" not in obj:
        return None
    extra = sorted(set(obj) - set(HEADER_KEYS))
    if extra:
        raise TraceError(f"header: unexpected key(s) {', '.join(map(repr, extra))} "
                         f"(known: {', '.join(HEADER_KEYS)})", line)
    try:
        count = check_lower_vtls(obj["lower_vtls"], "header: lower_vtls")
    except ValueError as exc:
        raise TraceError(str(exc), line) from None
    if asked is not None and count != asked:
        raise TraceError(f"header declares lower_vtls {count} but {asked} was asked for", line)
    return count


#: The longest line a trace may have: an event is a small flat object; a longer line (``/dev/zero``
#: has no line end at all) is refused before it is held in memory.
MAX_LINE_BYTES = 1 << 20
#: The largest trace :func:`load_trace` reads whole (the Stepper and the comparison keep every step);
#: ``tdxlab simulate`` streams a file of any size one line at a time.
MAX_LOAD_BYTES = 64 << 20


def regular_file(path: Path) -> os.stat_result:
    """``path``'s status if it is a regular file; a FIFO, device or directory could block or never end."""
    try:
        info = path.stat()
    except OSError as exc:
        raise TraceError(f"cannot read trace {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TraceError(f"cannot read trace {path}: not a regular file (a FIFO, device or directory "
                         "could block or never end)")
    return info


def _too_long(number: int) -> TraceError:
    return TraceError(f"line longer than {MAX_LINE_BYTES // (1 << 20)} MiB (an event is one small object)",
                      number)


def _bounded_lines(f: BinaryIO) -> Iterator[bytes]:
    """A binary file's lines, each refused once it passes :data:`MAX_LINE_BYTES` (never held whole)."""
    number = 0
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line.removesuffix(b"\n")) > MAX_LINE_BYTES:
            raise _too_long(number)
        yield line


#: JSON's own whitespace: what may surround an event on its line (``str.strip`` would also take
#: form feeds, U+0085, U+2028 and friends, which JSON does not allow).
_JSON_SPACE = " \t\r\n"


def _line_end(text: str) -> str:
    r"""One line without its end: ``\n``, or ``\r\n`` (JSON Lines allows both)."""
    return text.removesuffix("\n").removesuffix("\r")


def split_lines(text: str) -> list[str]:
    r"""The lines of JSON Lines text: ended by ``\n`` (or ``\r\n``) only.

    ``str.splitlines`` also splits at \x0b, \x0c, \x1c-\x1e, \x85, U+2028 and U+2029, which would
    shift every later line number, break a U+2028 inside a string, and make one line two events.
    """
    return [_line_end(line) for line in text.split("\n")]


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    """Each line of a file's bytes as text without its line end; invalid UTF-8 names its line."""
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TraceError(f"not UTF-8 text (byte {exc.start + 1} of the line)", number) from None
        yield _line_end(text)


def _objects(lines: Iterable[str]) -> Generator[tuple[int, Any], None, None]:
    """(line number, decoded JSON) of every line that is neither blank nor a ``#`` comment.

    The one line loop both readers share: :func:`parse_trace` over a string's lines and
    :class:`TraceStream` over a file's, so both number lines and skip comments alike.
    """
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip(_JSON_SPACE)
        if stripped and not stripped.startswith("#"):
            yield number, decode_line(stripped, number)


def parse_trace(text: str, lower_vtls: int | None = None) -> Trace:
    """Parse a whole trace; blank lines and lines starting with ``#`` are ignored.

    ``lower_vtls`` (from ``--lower-vtls`` or the API) applies when the trace has no header;
    a header that says otherwise is an error.
    """
    return _parse(split_lines(text), lower_vtls)


def _parse(lines: Iterable[str], lower_vtls: int | None) -> Trace:
    """A whole trace from its lines (no line ends): :func:`parse_trace` and :func:`load_trace`."""
    asked = None if lower_vtls is None else check_lower_vtls(lower_vtls)
    count = asked if asked is not None else DEFAULT_LOWER_VTLS
    declared = asked is not None
    events: list[Event] = []
    objects = _objects(lines)
    for number, obj in objects:  # the first object: a header, or the first event
        header = _header(obj, number, asked)
        if header is None:
            events.append(event_from_json(obj, number, count))
        else:
            count, declared = header, True
        break
    events.extend(event_from_json(obj, number, count) for number, obj in objects)
    if not events:
        raise TraceError(NO_EVENTS)
    return Trace(events, count, declared)


class TraceStream:
    """A trace file read one line at a time: iterating yields its events, never holding the file.

    For traces too long to load (``tdxlab simulate`` on ten million events): the header, if
    any, is read when the stream is made, so :attr:`lower_vtls` is known before the first
    event.  Errors name the file and the line, as :func:`load_trace`'s do.
    """

    def __init__(self, path: str | Path, lower_vtls: int | None = None) -> None:
        """Open ``path`` and read its header (``lower_vtls`` as in :func:`parse_trace`)."""
        self.path = Path(path)
        self.asked = None if lower_vtls is None else check_lower_vtls(lower_vtls)
        self.lower_vtls = self.asked if self.asked is not None else DEFAULT_LOWER_VTLS
        self._header_line: int | None = None
        with self._naming():
            objects = _objects(self._lines())
            try:
                first = next(objects, None)
                if first is not None:
                    header = _header(first[1], first[0], self.asked)
                    if header is not None:
                        self.lower_vtls, self._header_line = header, first[0]
                        first = next(objects, None)
            finally:
                objects.close()  # the file: iterating opens it again
            if first is None:
                raise TraceError(NO_EVENTS, source=str(self.path))

    def _lines(self) -> Iterator[str]:
        try:
            regular_file(self.path)
            with self.path.open("rb") as f:  # binary: lines end at b"\n" only
                yield from _decoded(_bounded_lines(f))
        except OSError as exc:
            raise TraceError(f"cannot read trace {self.path}: {exc.strerror}") from None

    @contextmanager
    def _naming(self) -> Iterator[None]:
        """Errors on a line of the file name the file too."""
        try:
            yield
        except TraceError as exc:
            if exc.line is None:
                raise
            raise TraceError(exc.reason, exc.line, str(self.path)) from None

    def __iter__(self) -> Iterator[Event]:
        """The events, parsed as they are read."""
        with self._naming():
            for number, obj in _objects(self._lines()):
                if number != self._header_line:
                    yield event_from_json(obj, number, self.lower_vtls)


def load_trace(path: str | Path, lower_vtls: int | None = None) -> Trace:
    """Read a trace file; errors name the file and the line."""
    p = Path(path)
    size = regular_file(p).st_size
    if size > MAX_LOAD_BYTES:
        raise TraceError(f"trace {p} is {size / (1 << 20):,.0f} MiB; at most {MAX_LOAD_BYTES >> 20} MiB is "
                         "loaded whole (tdxlab simulate streams a trace of any size)")
    try:
        with p.open("rb") as f:
            data = f.read(MAX_LOAD_BYTES + 1)
    except OSError as exc:
        raise TraceError(f"cannot read trace {p}: {exc.strerror}") from None
    try:
        lines = data.split(b"\n")
        too_long = next((n for n, raw in enumerate(lines, start=1) if len(raw) > MAX_LINE_BYTES), None)
        if too_long is not None:
            raise _too_long(too_long)
        return _parse(_decoded(lines), lower_vtls)
    except TraceError as exc:
        raise TraceError(exc.reason, exc.line, str(p)) from None


def dump_trace(events: Iterable[Event], lower_vtls: int | None = None) -> str:
    """Serialise events as JSON Lines (stable key order, hex values).

    A header line is written when the partition is not the default one (``lower_vtls``,
    or the :class:`Trace`'s own count), so the file replays on the same partition.
    """
    count = lower_vtls if lower_vtls is not None else lower_vtls_of(events)
    head = json.dumps({"lower_vtls": count}) + "\n" if count != DEFAULT_LOWER_VTLS else ""
    return head + "".join(json.dumps(e.to_json()) + "\n" for e in events)


def save_trace(events: Iterable[Event], path: str | Path, lower_vtls: int | None = None) -> None:
    """Write events to ``path`` as JSON Lines."""
    write_atomic(path, dump_trace(events, lower_vtls))
