"""Words for the cost model: parts, constants, design costs, break-even findings and chart captions.

Pure: every function takes data the cost layer produced (a
:class:`~tdxlab.cost.accounting.DesignCosts`, a :class:`~tdxlab.cost.sweep.BreakEven`, a
frame) and returns text; none runs the model, so a view decides what to compute and
this module only says it.  The cost layer sits below this one and never imports it.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from tdxlab.cost.constants import CONSTANTS, unverified_names
from tdxlab.cost.fixed import FIXED, NOT_CHARGED, Kind
from tdxlab.cost.timemodel import Part
from tdxlab.describe._tables import complete
from tdxlab.describe.basics import cite, plural
from tdxlab.registers import Platform

if TYPE_CHECKING:
    import pandas as pd

    from tdxlab.cost.accounting import DesignCosts
    from tdxlab.cost.sensitivity import Sensitivity
    from tdxlab.cost.sweep import BreakEven

#: What each part of the cost of one entry is (legend labels of the parts chart).
PART_LABELS: dict[Part, str] = {
    Part.ROUND_TRIP: "entry round trip (unverified stand-ins)",
    Part.KERNEL: "kernel work around the entry (assumed cycles)",
    Part.COPY: "copies",
    Part.CACHE: "cache-line accesses",
    Part.TLB: "TLB misses",
}
complete(PART_LABELS, Part, "PART_LABELS")


def cost_part_label(part: str | Part) -> str:
    """What one part of the cost of an entry is (a :class:`~tdxlab.cost.timemodel.Part` or its name)."""
    try:
        return PART_LABELS[Part(part)]
    except ValueError:
        known = ", ".join(p.value for p in Part)
        raise ValueError(f"unknown cost part {part!r}; known: {known}") from None


def constant_line(name: str, value: float | None = None) -> str:
    """One cost constant in words: value, unit, confidence and source; unverified ones say so."""
    info = CONSTANTS.get(name)
    if info is None:
        raise ValueError(f"unknown cost constant {name!r}; known: {', '.join(CONSTANTS)}")
    shown = info.default if value is None else value
    flag = " — UNVERIFIED" if info.unverified else (" — assumption" if info.assumption else "")
    stand_in = f"; stand-in: {info.stand_in_for}" if info.stand_in_for else ""
    return f"{info.label}: {shown:g} {info.unit}{flag} ({cite(info.source)}{stand_in})"


def unverified_constants_note() -> str:
    """The sentence every cost view shows about the constants that could not be verified."""
    return ("Unverified cost constants (stand-ins or assumptions): " + ", ".join(unverified_names())
            + ". The TDG.VP.ENTER round trip stands in with a published VMX figure and the SEV-SNP world "
              "switch with a published SVM figure (not SEV); the kernel's per-instruction cycles are "
              "tdxlab's assumption.")


def significant(ns: float, unit: str = "ns", digits: int = 2) -> str:
    """A modelled figure to ``digits`` significant figures (``2,900 ns``): what its constants support.

    The model's constants are known to one or two figures at best (most are unverified), so
    no view prints ``2,963.4 ns``; below 0.05 ns a figure is below what any constant resolves
    and reads ``~0``.
    """
    if ns == 0 or ns != ns:  # zero, or NaN
        return f"{ns:g} {unit}".strip()
    if abs(ns) < 0.05:
        return f"~0 {unit}".strip()
    rounded = float(f"{ns:.{digits}g}")
    text = f"{rounded:,.0f}" if abs(rounded) >= 10 ** (digits - 1) else f"{rounded:g}"
    return f"{text} {unit}".strip()


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a cost frame with every modelled time (``ns_*`` columns) as two-significant-figure text.

    For tables a reader sees (notebook, CLI text); the frame itself keeps the full numbers.
    """
    out = frame.copy()
    for col in out.columns:
        if str(col).startswith("ns_"):
            out[col] = [significant(float(x), "") for x in out[col]]
    return out


def fixed_work_lines(platform: Platform) -> list[str]:
    """Each fixed step one entry pays on ``platform``, with count and constant, and what is left out."""
    lines = []
    for step in FIXED[platform]:
        info = CONSTANTS[step.cycles]
        flag = " (UNVERIFIED)" if info.unverified else (" (assumption)" if info.assumption else "")
        part = "round trip" if step.kind is Kind.ROUND_TRIP else "kernel"
        lines.append(f"{part}: {step.count:g} x {step.what} ({step.cycles}{flag}; {cite(step.source)})")
    lines.append(f"not charged: {NOT_CHARGED[platform]}")
    return lines


def evicted_words(evicted_kib: float) -> str:
    """The workload point in words: what the guest's own work evicts between two entries."""
    return "nothing evicted between entries" if evicted_kib == 0 else \
        f"{evicted_kib:,.0f} KiB evicted between entries"


def _num(value: float) -> str:
    """A constant's value as a reader writes it: ``131,072``, ``3,538``, ``1.5``."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def sensitivity_sentence(s: Sensitivity) -> str:
    """One constant's effect on one conclusion ("split stays cheaper than bank from 1.5 to 46 ns")."""
    info = CONSTANTS[s.constant]
    who = " and ".join(s.against)
    cheaper = s.diff_default < 0
    claim = f"{s.design} {'cheaper' if cheaper else 'dearer'} than {who}"
    rng = f"{_num(s.low)} to {_num(s.high)} {info.unit}"
    if s.holds:
        moved = f"the difference moves from {significant(s.diffs[0])} to {significant(s.diffs[-1])}"
        return f"{s.constant} over {rng}: {claim} holds ({moved})"
    at = ", ".join(f"{_num(v)} {info.unit}" for v in s.flips)
    return f"{s.constant} over {rng}: {claim} FLIPS at {at}"


def design_cost_summary(costs: DesignCosts) -> str:
    """What a design copies and when, and how many pages it needs per VP, in one sentence."""
    c = costs
    per_entry = (f"copies {c.copy_in_bytes} B in before and {c.copy_out_bytes} B out after every entry"
                 if c.copy_in_bytes or c.copy_out_bytes else "copies nothing per entry")
    per_switch = (f"{c.switch_copy_bytes:g} B ({plural(len(c.switch_copied_regs), 'register')}) on every "
                  "VTL switch" if c.switch_copy_bytes else "nothing on a VTL switch")
    heap = f" plus {c.heap_bytes_per_vp(2)} B of paravisor heap" if c.heap_bytes_per_vp(2) else ""
    pages = plural(c.pages_per_vp(2), "kernel-visible page")
    return f"{c.design} {per_entry} and {per_switch}; it needs {pages} per VP with VTL 1 enabled{heap}."


def vtl0_only_line(costs: DesignCosts) -> str:
    """The compatibility figure of one design: what a VP costs when only VTL 0 is ever enabled.

    A guest that never enables VTL 1 must pay nothing for VTL support it does not use; this
    line states what it does pay (pages, heap, bytes copied per entry), measured on a
    partition whose VTL 1 stays disabled (:meth:`DesignCosts.at_vtls` with 1).
    """
    one = costs.at_vtls(1)
    heap = f" plus {one.heap_bytes_per_vp} B of paravisor heap" if one.heap_bytes_per_vp else ""
    return (f"VTL 0 only: {costs.design} needs {plural(one.pages_per_vp, 'page')} per VP{heap}, "
            f"{one.bytes_per_entry(0.0):g} bytes copied per entry")


# --- break-even findings ------------------------------------------------------------------------
def _tie_words(be: BreakEven) -> str:
    spans = [f"{lo:.3g}" if hi - lo < 1e-9 else f"{lo:.3g} to {hi:.3g}" for lo, hi in be.ties]
    return f"; it costs the same at switch fraction {', '.join(spans)}" if spans else ""


def break_even_sentence(be: BreakEven) -> str:
    """A break-even finding in one sentence ("split is cheaper than bank for switch fraction below 0.6")."""
    who = " and ".join(be.others)
    where = f"with {evicted_words(be.evicted_kib)}"
    if be.never:
        return f"{be.design} is never cheaper than {who} (any switch fraction, {where}){_tie_words(be)}"
    if be.always:
        return f"{be.design} is cheaper than {who} at every switch fraction ({where})"
    parts = []
    for lo, hi in be.cheaper:
        if lo <= 0.0:
            parts.append(f"below {hi:.3g}")
        elif hi >= 1.0:
            parts.append(f"above {lo:.3g}")
        else:
            parts.append(f"between {lo:.3g} and {hi:.3g}")
    return (f"{be.design} is cheaper than {who} for switch fraction {' or '.join(parts)} "
            f"({where}){_tie_words(be)}")


def break_even_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`tdxlab.cost.sweep.break_even_frame` with each finding in words (``finding``).

    The ``break_even`` column of objects is replaced by the sentence, so the table shows.
    """
    out = frame.drop(columns=["break_even"])
    out["finding"] = [break_even_sentence(be) for be in frame["break_even"]]
    return out


# --- chart captions -------------------------------------------------------------------------------
def unverified_constants_caption() -> str:
    """The short note above every chart of modelled time: how many constants are unverified, where listed."""
    return (f"{len(unverified_names())} constants unverified (round trips, kernel cycles, capacities): "
            "tdxlab cost --constants lists them")


def fixed_part_caption() -> str:
    """Under the parts chart: what the fixed parts are, and that they are unverified."""
    return "fixed parts = round trip (VMX/SVM stand-ins) + kernel work (assumed cycles): unverified"


def parts_title(evicted_kib: float, switch_fraction: float, *, include_fixed: bool) -> str:
    """Title of one parts chart: which parts, the eviction point and the switch fraction."""
    what = "all parts" if include_fixed else "design-dependent parts"
    return f"{what}\n{evicted_words(evicted_kib)} · switch fraction {switch_fraction:g}"


def parts_axis_label(*, include_fixed: bool) -> str:
    """The y-axis label of the parts chart."""
    return "ns per entry" if include_fixed else "ns per entry, design-dependent parts"


def overhead_title(evicted_kib: float) -> str:
    """Title of the overhead-versus-switch-fraction chart."""
    return f"cost above the fixed work · {evicted_words(evicted_kib)}"


def sensitivity_title(design: str, against: tuple[str, ...], switch_fraction: float,
                      evicted_kib: float) -> str:
    """Title of the sensitivity (tornado) chart: which question, at which workload point."""
    return (f"{design} minus {' / '.join(against)} · switch fraction {switch_fraction:g} · "
            f"{evicted_words(evicted_kib)}")


def sensitivity_caption() -> str:
    """Under the sensitivity chart: what a bar is and what a flip means."""
    return ("each bar: one unverified or assumed constant moved across its range, the others at their "
            "values; left of 0 = cheaper; a bar crossing 0 flips the conclusion")


def memory_caption(page_bytes: int) -> str:
    """Under the memory charts: what a page is, what heap bytes are, which pages are left out."""
    return (f"one page = {page_bytes} B; private-register banks are paravisor heap bytes; APIC and "
            "TDVPS pages are the same in every TDX design and not shown")


def partition_title(vtls: int) -> str:
    """Title of the memory-per-partition chart (which VTLs are enabled)."""
    return f"memory per partition ({'VTL 0 + VTL 1' if vtls == 2 else 'VTL 0 only'} enabled)"


def model_vs_host_title(label: str) -> str:
    """Title of the modelled-versus-host chart; ``label`` is the host analogue's own label."""
    return f"model vs {label}"


def host_noise_caption() -> str:
    """Under the host chart: what a hollow marker means."""
    return "hollow: Python call overhead > half the time (unreliable)"


class Axis(Enum):
    """The axis titles of the cost charts, named once so every chart and caption says the same."""

    SWITCH_FRACTION = "fraction of entries preceded by a VTL switch"
    NS_DESIGN = "ns per entry, design-dependent parts"
    PAGES_PER_VP = "4 KiB pages per VP (kernel-visible)"
    PARTITION_VPS = "VPs in the partition"
    PARTITION_KIB = "KiB per partition"
    EVICTED = "KiB the guest evicts between two entries (log scale)"
    SENSITIVITY = "ns per entry, difference (negative: cheaper)"
    HOST_NS = "ns per entry (design-dependent)"
    LOWER_VTLS = "lower VTLs enabled per VP"
    KIB_PER_VP = "KiB per VP"
    BYTES_PER_ENTRY = "bytes copied per entry"
    BYTES_PER_SWITCH = "bytes copied per VTL switch"


#: Legend key of the break-even markers.
BREAK_EVEN_KEY = "break-even"
#: Title of the pages-per-VP chart.
PAGES_TITLE = "pages per VP"


def vtl_count_title(switch_fraction: float) -> str:
    """Title of the cost-against-VTL-count chart (the switch fraction its copy panel is read at)."""
    return f"cost against the number of lower VTLs · switch fraction {switch_fraction:g}"


def vtl_count_caption(switch_fraction: float) -> str:
    """Under the VTL-count chart: what each panel counts, and why 1 VTL ignores the switch fraction."""
    return (f"memory: pages x 4 KiB + paravisor heap; copies: bytes per entry with {switch_fraction:g} of "
            "entries after a VTL switch (1 = VTL 0 only: no switch exists, every entry is a plain one)")


def vtl_count_tick(vtls: int) -> str:
    """One x tick of the VTL-count chart: the count, and which VTLs that is (short: ticks are narrow)."""
    which = "VTL 0 only" if vtls == 1 else "VTL " + ", ".join(str(v) for v in range(vtls))
    return f"{vtls}\n{which}"


def vtls_label(vtls: int) -> str:
    """Legend key of a memory bar: which lower VTLs are enabled (1: VTL 0 only; 2: VTL 0 + VTL 1)."""
    return "VTL 0 only" if vtls == 1 else " + ".join(f"VTL {v}" for v in range(vtls))


def series_label(design: str, source: str) -> str:
    """Legend key of one design's modelled or measured series, e.g. ``bank model``."""
    return f"{design} {source}"


__all__ = [
    "BREAK_EVEN_KEY",
    "PAGES_TITLE",
    "PART_LABELS",
    "Axis",
    "break_even_sentence",
    "break_even_table",
    "constant_line",
    "cost_part_label",
    "design_cost_summary",
    "evicted_words",
    "fixed_part_caption",
    "fixed_work_lines",
    "host_noise_caption",
    "memory_caption",
    "model_vs_host_title",
    "overhead_title",
    "partition_title",
    "parts_axis_label",
    "parts_title",
    "rounded",
    "sensitivity_caption",
    "sensitivity_sentence",
    "sensitivity_title",
    "series_label",
    "significant",
    "unverified_constants_caption",
    "unverified_constants_note",
    "vtl0_only_line",
    "vtl_count_caption",
    "vtl_count_tick",
    "vtl_count_title",
    "vtls_label",
]
