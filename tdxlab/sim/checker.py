"""Isolation findings: what a VTL observes versus what the architecture promises, ranked.

A finding is one wrong value: one (step, VTL, register, access) — a register observed
wrongly on entry, or read wrongly by the paravisor on a VTL's behalf (``pv_get``).  Its
*kind* says whose value turned up, its *severity* ranks it by the trust model
(``docs/trace-format.md``, notebook 00):

* the host is untrusted; the TDX module / SNP firmware and the paravisor are trusted;
* VTL 1 defends itself against VTL 0 (a higher VTL against every lower one), but not
  the other way round: a higher VTL may already read and set a lower VTL's registers
  (HvCallGetVpRegisters / HvCallSetVpRegisters).

Kinds, most severe first:

* ``integrity`` (high) — a VTL above VTL 0 holds a private value it did not choose (one a
  lower VTL chose, or none at all): a lower VTL can steer it (RIP, RSP, LSTAR);
* ``disclosure`` (medium) — a VTL holds a higher VTL's private value: a secret leaks down;
* ``lost`` (low) — VTL 0 holds a private value that is not its own and no higher VTL's;
* ``stale`` (low) — a shared register does not hold the value last written to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tdxlab.sim.events import Event


class Severity(Enum):
    """How much a finding matters under the trust model; ``rank`` sorts (0 = most severe)."""

    HIGH = ("high", 0)
    MEDIUM = ("medium", 1)
    LOW = ("low", 2)

    def __new__(cls, name: str, rank: int) -> Severity:
        """The value is the word the CLI and JSON print; ``rank`` rides along."""
        member = object.__new__(cls)
        member._value_ = name
        member.rank = rank
        return member

    rank: int


class ViolationKind(Enum):
    """Whose value a VTL found instead of the right one; each kind has one severity."""

    INTEGRITY = ("integrity", Severity.HIGH)
    DISCLOSURE = ("disclosure", Severity.MEDIUM)
    LOST = ("lost", Severity.LOW)
    STALE = ("stale", Severity.LOW)

    def __new__(cls, name: str, severity: Severity) -> ViolationKind:
        """The value is the kind's name in every output; ``severity`` rides along."""
        member = object.__new__(cls)
        member._value_ = name
        member.severity = severity
        return member

    severity: Severity


class AccessKind(Enum):
    """How the wrong value was observed."""

    ENTRY = "entry"  # the VTL was entered with it
    PV_GET = "pv_get"  # the paravisor read it on the VTL's behalf


def classify_private(vtl: int, owners: Sequence[int]) -> tuple[ViolationKind, int | None]:
    """Kind and source of a wrong private value observed by ``vtl``.

    ``owners`` are the other enabled VTLs whose current private value equals the one found
    (a reset value counts as the VTL's own: enabling VTL 1 on the naive page writes VTL 1's
    reset state where VTL 0's was, and VTL 0 then holds VTL 1's state, a disclosure even
    though a reset value is no secret).  The most severe reading wins: a value a lower VTL
    holds, found in a higher VTL, is integrity even if a higher VTL happens to hold it too.
    A value no other VTL holds now is integrity above VTL 0 (the VTL did not choose it) and
    lost in VTL 0.
    """
    lower = [o for o in owners if o < vtl]
    higher = [o for o in owners if o > vtl]
    if vtl > 0 and (lower or not higher):
        return ViolationKind.INTEGRITY, (max(lower) if lower else None)
    if higher:
        return ViolationKind.DISCLOSURE, min(higher)
    return ViolationKind.LOST, None


@dataclass(frozen=True)
class Violation:
    """One register a VTL observed wrongly at one step, and the event that caused it.

    ``source_vtl`` is the VTL whose private value was found (``None``: nobody's, or a
    shared register); ``access`` says whether it was an entry or a paravisor read.
    """

    step: int
    vp: int
    vtl: int
    reg: str
    expected: int
    found: int
    kind: ViolationKind
    cause: Event | None = None
    cause_step: int | None = None
    source_vtl: int | None = None
    access: AccessKind = AccessKind.ENTRY

    @property
    def severity(self) -> Severity:
        """The finding's rank under the trust model (from its kind)."""
        return self.kind.severity

    def sort_key(self) -> tuple[int, int, int, int, str]:
        """Most severe first, then in trace order."""
        return (self.kind.severity.rank, self.step, self.vp, self.vtl, self.reg)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``tdxlab simulate --format json``."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "step": self.step,
            "vp": self.vp,
            "vtl": self.vtl,
            "reg": self.reg,
            "access": self.access.value,
            "expected": hex(self.expected),
            "found": hex(self.found),
            "source_vtl": self.source_vtl,
            "cause": None if self.cause is None else self.cause.to_json(),
            "cause_step": self.cause_step,
            "line": None if self.cause is None else self.cause.line,
        }


def count_by_severity(found: Iterable[Violation]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present (most severe first)."""
    counts = dict.fromkeys(Severity, 0)
    for v in found:
        counts[v.severity] += 1
    return counts


def by_severity(found: list[Violation]) -> list[Violation]:
    """Findings sorted most severe first, then in trace order (a stable, total order)."""
    return sorted(found, key=Violation.sort_key)
