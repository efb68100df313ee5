"""Words for the design comparison (:mod:`tdxlab.compare`): column meanings and verdict lines.

:mod:`tdxlab.compare` computes the figures (violations, pages, bytes copied, modelled
time) and sits below this layer, so the comparison's sentences are worded here:
the meaning of each column of :attr:`~tdxlab.compare.Comparison.frame` (the widget's
heading tooltips, notebook 03's legend) and one verdict line per design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tdxlab.compare import COLUMNS
from tdxlab.describe.basics import plural
from tdxlab.describe.costs import significant
from tdxlab.describe.simulation import VIOLATION_KINDS, describe_violation
from tdxlab.sim.checker import ViolationKind

if TYPE_CHECKING:
    from tdxlab.compare import Comparison, DesignOutcome

#: What each column of :attr:`tdxlab.compare.Comparison.frame` means, in the frame's column order
#: (a test checks that the keys are exactly :data:`tdxlab.compare.COLUMNS`).
COMPARISON_COLUMNS: dict[str, str] = {
    "title": "the design's name",
    "variant": "True when the private-register set differs from the catalogue's (a reviewer's variant)",
    "violations": "isolation findings on this trace, one per wrong register per entry or paravisor "
    "read (all kinds)",
    **{k.value: VIOLATION_KINDS[k] for k in ViolationKind},
    "registers": "registers named in the violations",
    "first_step": "step (0-based event index) of the first finding",
    "pages_per_vp": "kernel-visible pages per VP with the VTLs this trace enables",
    "entries": "lower-VTL entries (run events) in the trace",
    "switches": "VTL switches (vtl_call, vtl_return, interrupts that switch up) in the trace",
    "bytes_per_entry": "bytes the paravisor copies per entry (bank switching), averaged over entries",
    "bytes_per_switch": "bytes copied per VTL switch (split/SNP), averaged over switches",
    "ns_per_entry": "modelled time per entry, ns (tdxlab.cost time model at its default eviction point; "
    "its round trip and kernel work rest on unverified stand-ins, the same for every TDX design)",
    "ns_page_work": "the part of ns_per_entry that depends on the page design: copies, cache lines, TLB",
}
if tuple(COMPARISON_COLUMNS) != COLUMNS:  # pragma: no cover - a column added without its meaning
    raise ImportError("tdxlab.describe.COMPARISON_COLUMNS must name exactly tdxlab.compare.COLUMNS, in order")


def copied_text(nbytes: float, per: str) -> str:
    """Bytes copied per event in words: ``180 B copied per entry`` or ``no copy per switch``."""
    return f"no copy per {per}" if nbytes == 0 else f"{nbytes:,.0f} B copied per {per}"


def verdict(outcome: DesignOutcome) -> str:
    """One line on one design's outcome: does isolation hold, what breaks first, what it costs.

    The violation is worded by :func:`~tdxlab.describe.describe_violation`, so it reads
    the same as the Stepper's banner and ``tdxlab simulate``.
    """
    o = outcome
    pages = f"{plural(o.pages_per_vp, 'page')} per VP"
    cost = (f"{copied_text(o.bytes_per_entry, 'entry')}, {copied_text(o.bytes_per_switch, 'switch')}, "
            f"{pages}, {significant(o.ns_per_entry)} per entry modelled ({significant(o.ns_page_work)} "
            "page work)")
    first = o.worst
    if first is None:
        return f"{o.design.key}: isolation holds on this trace; {cost}."
    kinds = ", ".join(f"{o.count(k)} {k.value}" for k in ViolationKind if o.count(k))
    return (f"{o.design.key}: BREAKS isolation, {plural(len(o.violations), 'finding')} "
            f"({kinds}) in {plural(len(o.registers), 'register')}; worst: "
            f"{describe_violation(first)}; {cost}.")


def verdicts(comparison: Comparison) -> list[str]:
    """One verdict line per design of a comparison, in the comparison's row order."""
    return [verdict(o) for o in comparison.outcomes]


__all__ = ["COMPARISON_COLUMNS", "copied_text", "verdict", "verdicts"]
