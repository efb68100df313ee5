"""Sentences of the design-review report (``tdxlab review``); figures in, words out, no model calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tdxlab.describe.costs import significant

if TYPE_CHECKING:
    from tdxlab.cost.sensitivity import Sensitivity


def review_verdict(vps: int, lower_vtls: int, verified: bool, complete: bool, states: int,
                   transitions: int, length: int | None) -> str:
    """The verdict of complete verification on one partition size."""
    where = f"{vps} VP{'s' if vps > 1 else ''}, {lower_vtls} lower VTLs"
    explored = f"{states:,} distinct states and {transitions:,} transitions explored"
    if verified and complete:
        return f"VERIFIED ({where}): complete verification reached its fixpoint; no reachable state " \
               f"violates isolation ({explored})."
    if length is not None:
        return f"COUNTEREXAMPLE ({where}): a trace of {length} events breaks isolation, and no shorter " \
               f"one exists ({explored})."
    return f"NOT VERIFIED ({where}): the state budget ran out before the fixpoint ({explored})."


def placement_note(private: Sequence[str]) -> str:
    """What the placement table shows, and the private set it yields."""
    return (f"Each register's class, home and copy policy as built (design file rules applied to the "
            f"base's defaults). The design keeps {len(private)} registers per VTL: {', '.join(private)}.")


def review_findings_note(count: int, has_counterexample: bool) -> str:
    """The findings section's lead sentence."""
    if not has_counterexample:
        return "No findings: no trace of any length breaks isolation in the explored model."
    return (f"Replaying the shortest counterexample gives {count} distinct finding(s), by register and "
            "where the wrong value was observed, most severe first within a step.")


def review_cost_note(unverified: Sequence[str], evicted_kib: float) -> str:
    """How to read the cost table, and what is unverified in it."""
    return ("Bytes and pages are exact counts from the simulator's memory log. The nanoseconds are the "
            "time model's (tdxlab.cost.timemodel, notebook 04), to two significant figures, with "
            f"{evicted_kib:,.0f} KiB evicted by the guest's own work between two entries of a VP. The "
            "totals include the fixed work every design on a platform pays: on TDX the trip to VTL2 "
            "user mode, TDG.VP.ENTER and the kernel's FXRSTOR/FXSAVE, MSR and CR2 accesses around it "
            "(sheet §3.5); on SEV-SNP two world switches and two hypervisor relays. The design-dependent "
            "part (copy + cache + TLB) is what differs between designs; 'per switch' is what one VTL "
            f"switch adds to it. UNVERIFIED: {', '.join(unverified)}; the total range moves each "
            "unverified or assumed constant to both ends of its declared range.")


def review_sensitivity_note(rows: Sequence[Sensitivity], switch_fraction: float, evicted_kib: float) -> str:
    """Which way the proposal's cost comparison goes and whether any uncertain constant flips it."""
    if not rows:
        return "No baseline to compare with."
    first = rows[0]
    who = " and ".join(first.against)
    side = "cheaper" if first.diff_default < 0 else "dearer"
    flips = [r for r in rows if not r.holds]
    head = (f"At switch fraction {switch_fraction:g} and {evicted_kib:,.0f} KiB evicted, {first.design} is "
            f"{side} per entry than the cheapest of {who} by {significant(abs(first.diff_default))}. ")
    if not flips:
        return head + (f"That holds over the whole range of every one of the {len(rows)} unverified or "
                       "assumed constants, each moved alone; the table lists those that move it most.")
    names = ", ".join(r.constant for r in flips)
    return head + (f"It FLIPS within the range of {names}: the comparison is only as good as those "
                   "constants, listed first below with the value where it turns over.")


def review_provenance(version: str, snapshot: str, seed: int, lower_vtls: int) -> str:
    """Where the report's facts come from."""
    return (f"tdxlab {version}, modelling OpenVMM at snapshot {snapshot}; register classes from the "
            f"Hyper-V TLFS and OpenVMM (tdxlab registers); {lower_vtls} lower VTLs; seed {seed}. The "
            "cost constants used, with their sources and confidence:")


__all__ = ["placement_note", "review_cost_note", "review_findings_note", "review_provenance",
           "review_sensitivity_note", "review_verdict"]
