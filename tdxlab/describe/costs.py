"""Words for the cost model: parts, constants, design costs and break-even findings."""

from __future__ import annotations

from collections.abc import Iterable

from tdxlab.describe.basics import cite, plural


# --- cost wording ---------------------------------------------------------------------------------
# Words for the cost model (tdxlab.cost), used by the CLI, the cost explorer and notebook 04.
# Imports are local: importing describe must not pull in the cost model and its micro-traces.
def cost_part_label(part: str) -> str:
    """What one part of the cost of an entry is ("fixed", "copy", "cache" or "tlb")."""
    from tdxlab.cost.timemodel import PART_LABELS

    try:
        return PART_LABELS[part]
    except KeyError:
        raise ValueError(f"unknown cost part {part!r}; known: {', '.join(PART_LABELS)}") from None


def constant_line(name: str, value: float | None = None) -> str:
    """One cost constant in words: value, unit, confidence and source; unverified ones say so."""
    from tdxlab.cost.constants import CONSTANTS

    info = CONSTANTS.get(name)
    if info is None:
        raise ValueError(f"unknown cost constant {name!r}; known: {', '.join(CONSTANTS)}")
    shown = info.default if value is None else value
    flag = " — UNVERIFIED" if info.unverified else (" — assumption" if info.assumption else "")
    stand_in = f"; stand-in: {info.stand_in_for}" if info.stand_in_for else ""
    return f"{info.label}: {shown:g} {info.unit}{flag} ({cite(info.source)}{stand_in})"


def unverified_constants_note() -> str:
    """The sentence every cost view shows about the constants that could not be verified."""
    from tdxlab.cost.constants import unverified_names

    return ("Unverified cost constants (stand-ins or assumptions): " + ", ".join(unverified_names())
            + ". The TDG.VP.ENTER and VMGEXIT round trips use a published VMX figure as a stand-in.")


def design_cost_summary(design: str) -> str:
    """What a design copies and when, and how many pages it needs per VP, in one sentence."""
    from tdxlab.cost.accounting import account

    c = account(design)
    per_entry = (f"copies {c.copy_in_bytes} B in before and {c.copy_out_bytes} B out after every entry"
                 if c.copy_in_bytes or c.copy_out_bytes else "copies nothing per entry")
    per_switch = (f"{c.switch_copy_bytes:g} B ({plural(len(c.switch_copied_regs), 'register')}) on every "
                  "VTL switch" if c.switch_copy_bytes else "nothing on a VTL switch")
    heap = f" plus {c.heap_bytes_per_vp(2)} B of paravisor heap" if c.heap_bytes_per_vp(2) else ""
    pages = plural(c.pages_per_vp(2), "kernel-visible page")
    return f"{c.design} {per_entry} and {per_switch}; it needs {pages} per VP with VTL 1 enabled{heap}."


def break_even_sentence(design: str, others: Iterable[str], vps: int = 1) -> str:
    """Where ``design`` is cheaper than all ``others`` over the VTL-switch fraction, as the model says."""
    from tdxlab.cost.sweep import break_even

    return break_even(design, list(others), vps=vps).sentence()

__all__ = [
    "break_even_sentence",
    "constant_line",
    "cost_part_label",
    "design_cost_summary",
    "unverified_constants_note",
]
