"""Isolation checker: what a VTL observes on entry versus what the architecture promises.

Kinds (the words used everywhere; see :mod:`tdxlab.describe`):

* ``clobber`` — a VTL's own private value is lost (it observes something else);
* ``leak`` — a VTL observes another VTL's private value (reported in addition to
  the clobber it implies);
* ``stale`` — a shared register does not hold the value last written by any VTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from tdxlab.sim.events import Event


class ViolationKind(Enum):
    """The three ways isolation can fail."""

    CLOBBER = "clobber"
    LEAK = "leak"
    STALE = "stale"


@dataclass(frozen=True)
class Violation:
    """One register a VTL observed wrongly at one entry, and the event that caused it."""

    step: int
    vp: int
    vtl: int
    reg: str
    expected: int
    found: int
    kind: ViolationKind
    cause: Event | None = None
    cause_step: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``tdxlab simulate --format json``."""
        return {
            "step": self.step,
            "vp": self.vp,
            "vtl": self.vtl,
            "reg": self.reg,
            "expected": hex(self.expected),
            "found": hex(self.found),
            "kind": self.kind.value,
            "cause": None if self.cause is None else self.cause.to_json(),
            "cause_step": self.cause_step,
            "line": None if self.cause is None else self.cause.line,
        }
