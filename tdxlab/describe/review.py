"""Sentences of the design-review report (``tdxlab review``); figures in, words out, no model calls."""

from __future__ import annotations

from collections.abc import Sequence


def two_significant(ns: float) -> str:
    """A modelled time to two significant figures (``2,300 ns``): the precision its constants support."""
    if ns == 0:
        return "0 ns"
    rounded = float(f"{ns:.2g}")
    return f"{rounded:,.0f} ns" if rounded >= 10 else f"{rounded:g} ns"


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


def review_cost_note(unverified: Sequence[str]) -> str:
    """How to read the cost table, and what is unverified in it."""
    return ("Bytes and pages are exact counts from the simulator's memory log. The nanoseconds are the "
            "time model's (tdxlab.cost.timemodel, notebook 04), to two significant figures; the "
            "design-dependent part (copy + cache + TLB) is what differs between designs. UNVERIFIED: "
            f"{', '.join(unverified)} have no published source, so every total is unverified; the range "
            "re-evaluates the model with each of them at half and at twice its value. The model leaves "
            "out the fixed kernel work around TDG.VP.ENTER (FXRSTOR/FXSAVE, the MSR accesses of sheet "
            "§3.5), which every TDX design pays alike.")


def review_provenance(version: str, snapshot: str, seed: int, lower_vtls: int) -> str:
    """Where the report's facts come from."""
    return (f"tdxlab {version}, modelling OpenVMM at snapshot {snapshot}; register classes from the "
            f"Hyper-V TLFS and OpenVMM (tdxlab registers); {lower_vtls} lower VTLs; seed {seed}. The "
            "cost constants used, with their sources and confidence:")


__all__ = ["placement_note", "review_cost_note", "review_findings_note", "review_provenance",
           "review_verdict", "two_significant"]
