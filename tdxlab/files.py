"""Writing a file the kit creates: never half-written, never through a planted symlink.

Every file tdxlab writes for a user (charts, reports, traces, design files) goes through
:func:`write_atomic`: the bytes go to a temporary file in the target's own directory, which is
then renamed over the target.  A reader never sees a half-written file, a crash leaves the old
one, and a symlink planted at the target's name is *replaced* by the new file rather than
followed (``os.replace`` renames over the link itself), so ``--out DIR`` cannot be turned into a
way to overwrite some other file.  Bad targets are one-line errors (:class:`OutputError`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(ValueError):
    """A target the kit cannot write: one line naming it (the CLI reports it with exit code 2).

    ``reason`` is the part after the target's name, for a caller that words its own message.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        """Keep the whole line and, apart, the reason."""
        super().__init__(message)
        self.reason = message if reason is None else reason


def check_dir(path: str | Path, what: str = "--out") -> Path:
    """An output directory from user input: not empty, not a file; created if missing."""
    if not str(path).strip():
        raise OutputError(f"{what}: empty path")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{what} {out}: not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{what} {out}: cannot create it: {exc.strerror or exc}") from None
    return out


def write_atomic(path: str | Path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write ``data`` (text as UTF-8, as given) to ``path`` via a renamed temporary file."""
    if not str(path).strip():
        raise OutputError("empty output path")
    target = Path(path)
    if target.is_dir() and not target.is_symlink():
        raise OutputError(f"{target}: is a directory")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        why = str(exc.strerror or exc)
        raise OutputError(f"{target}: cannot write: {why}", why) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.chmod(tmp, mode)  # mkstemp makes it private; what the kit writes is for sharing
        os.replace(tmp, target)  # renames over a symlink at ``target``; never writes through it
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        why = str(exc.strerror or exc)
        raise OutputError(f"{target}: cannot write: {why}", why) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


__all__ = ["OutputError", "check_dir", "write_atomic"]
