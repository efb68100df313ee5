"""Argument checks shared by every ``tdxlab`` sub-command.

Sub-commands take their options as plain strings (no ``argparse`` ``type``/``choices``)
and check them here, so that each mistake is reported the same way everywhere: one
line, ``OPTION: what is wrong with VALUE``, raised as :class:`~tdxlab.cli.UsageError`
(exit 2).  One helper per idiom, so ``--format``, a VP count or a comma-separated
list reads and fails alike in ``tdxlab layout``, ``simulate``, ``registers`` and ``cost``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tdxlab.cli import UsageError


def one_of(option: str, raw: str, choices: Sequence[str], *, fold_case: bool = False) -> str:
    """``raw`` when it is one of ``choices`` (``--format``, ``--platform``), else a one-line error.

    With ``fold_case`` the match ignores case and the lower-case choice is returned
    (``--platform SNP`` means ``snp``); the error still quotes what was typed.
    """
    value = raw.lower() if fold_case else raw
    if value not in choices:
        raise UsageError(f"{option}: {raw!r} is not one of {', '.join(choices)}")
    return value


def int_at_least(option: str, raw: str, low: int) -> int:
    """An integer option (decimal, or ``0x``/``0o``/``0b`` prefixed) that must be ``>= low``."""
    try:
        value = int(raw, 0)
    except ValueError:
        raise UsageError(f"{option}: {raw!r} is not an integer") from None
    if value < low:
        raise UsageError(f"{option}: {value} must be >= {low}")
    return value


def positive_int(option: str, raw: str) -> int:
    """A count that must be at least 1, such as a VP count (``--vps``)."""
    return int_at_least(option, raw, 1)


def lower_vtls_arg(raw: str | None) -> int | None:
    """``--lower-vtls N``: the partition's lower VTLs, 2 or 3 (``None`` when not given)."""
    if raw is None:
        return None
    from tdxlab.sim.model import check_lower_vtls

    value = int_at_least("--lower-vtls", raw, 0)
    try:
        return check_lower_vtls(value, "--lower-vtls")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def comma_list(option: str, raw: str, *, allow_empty: bool = False) -> list[str]:
    """The items of a comma-separated option, stripped.

    An empty item (``a,,b``) is an error; so is an empty list unless ``allow_empty``
    (options such as ``--add-private`` default to nothing).
    """
    if allow_empty and not raw.strip():
        return []
    items = [x.strip() for x in raw.split(",")]
    if not raw.strip() or any(not x for x in items):
        raise UsageError(f"{option}: expected a comma-separated list, got {raw!r}")
    return items


def int_list(option: str, raw: str, low: int = 1) -> list[int]:
    """A comma-separated list of integers, each ``>= low`` (``--vps 1,16,256``)."""
    return [int_at_least(option, item, low) for item in comma_list(option, raw)]


def float_list(option: str, raw: str, low: float, high: float | None = None) -> list[float]:
    """A comma-separated list of finite numbers in ``[low, high]`` (``high=None``: no upper bound)."""
    out = []
    for item in comma_list(option, raw):
        try:
            value = float(item)
        except ValueError:
            raise UsageError(f"{option}: {item!r} is not a number") from None
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            allowed = f"{low:g}..{high:g}" if high is not None else f">= {low:g}"
            raise UsageError(f"{option}: {item} is outside {allowed}")
        out.append(value)
    return out


__all__ = ["comma_list", "float_list", "int_at_least", "int_list", "lower_vtls_arg", "one_of", "positive_int"]
