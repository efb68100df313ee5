"""Sentences only the views show: the Stepper's banner and info lines, widget summaries and captions.

The widgets (:mod:`tdxlab.widgets`) and the Stepper's HTML panels
(:mod:`tdxlab.render.stepper_views`) lay text out; the text itself is worded here, from
the data the views already hold (a step record, a search result, counts), so the same
step reads the same in the Stepper, in ``print(stepper.text)`` and in a test.  Nothing
here runs the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from tdxlab.describe.basics import plural
from tdxlab.describe.simulation import describe_event, describe_step, describe_violation, severity_counts
from tdxlab.sim.checker import Severity

if TYPE_CHECKING:
    from tdxlab.sim.checker import Violation
    from tdxlab.sim.events import Event
    from tdxlab.sim.machine import StepRecord
    from tdxlab.sim.search import SearchResult


# --- the Stepper -------------------------------------------------------------------------------
def stepper_position(index: int, last: int, key: str, title: str, source: str, vps: int,
                     violations_so_far: int) -> str:
    """Where the Stepper is, e.g. ``Step 14 of 0–30 · design naive: ... · scenario X · 1 VP · ...``."""
    where = "Before step 0" if index < 0 else f"Step {index} of 0–{last}"
    return (f"{where} · design {key}: {title} · {source} · {plural(vps, 'VP')} · "
            f"findings so far: {violations_so_far}")


def banner_title(record: StepRecord, violations: Sequence[Violation], design: str) -> str:
    """The violation banner's heading ('' when the step broke nothing)."""
    if not violations:
        return ""
    regs = {v.reg for v in violations}
    counts = severity_counts(violations)
    if record.entered_vtl is None:  # a paravisor read (pv_get)
        return (f"Isolation violated at step {record.index}: the paravisor read VTL {record.event.vtl}'s "
                f"{record.event.reg} on VP {record.event.vp} wrongly under design {design} ({counts})")
    return (f"Isolation violated at step {record.index}: VP {record.event.vp} entered VTL "
            f"{record.entered_vtl} and observed {plural(len(regs), 'register')} "
            f"wrongly under design {design} ({counts})")


def banner_lines(violations: Iterable[Violation]) -> list[str]:
    """One banner line per finding, in the order given (severity, register, kind, expected/found, cause)."""
    return [describe_violation(v) for v in violations]


def banner_groups(violations: Iterable[Violation]) -> list[str]:
    """The banner's findings grouped by severity, most severe first: one line per severity.

    ``high (integrity): rip, rsp, lstar`` — the point of a step, visible without scrolling;
    the per-finding lines follow it.
    """
    found = list(violations)
    out = []
    for sev in Severity:
        mine = [v for v in found if v.severity is sev]
        if mine:
            kinds = ", ".join(dict.fromkeys(v.kind.value for v in mine))
            regs = ", ".join(dict.fromkeys(v.reg for v in mine))
            out.append(f"{sev.value} ({kinds}): {regs}")
    return out


def banner_text(title: str, lines: Sequence[str]) -> str:
    """The banner as plain text: the heading, then one indented line per violation ('' for none)."""
    if not lines:
        return ""
    return "\n".join([title, *(f"  - {line}" for line in lines)])


def step_summary(record: StepRecord | None) -> str:
    """The current step in one line (before the first event: says so)."""
    return "before step 0: nothing applied yet" if record is None else describe_step(record)


def step_text(position: str, record: StepRecord | None, next_index: int, next_event: Event | None,
              banner: str) -> str:
    """The Stepper's plain-text view: position, step, next event, banner (for ``print``)."""
    lines = [position, "Nothing applied yet." if record is None else describe_step(record)]
    if next_event is not None:
        lines.append(f"Next: step {next_index}: {describe_event(next_event)}")
    if banner:
        lines.append(banner)
    return "\n".join(lines)


#: The event panel before the first event: what is shown and what to do.
BEFORE_FIRST_EVENT = "Nothing applied yet: every VP is at its reset state."
PRESS_STEP = "Press Step to apply the first event."


def next_event_line(next_index: int, next_event: Event | None) -> str:
    """The event panel's last line: the event the next Step applies, or the end of the trace."""
    if next_event is None:
        return "End of the trace."
    return f"Next (step {next_index}): {describe_event(next_event)}"


def event_line(event: Event) -> str:
    """The event panel's main line: the event in words, with its trace-file line when it has one."""
    line = f" (trace line {event.line})" if event.line is not None else ""
    return f"{describe_event(event)}{line}"


def page_subtitle(kind_label: str, layout_name: str, size: int, changed: Sequence[str]) -> str:
    """Under a page's title: its kind, its layout and size, and the fields this step changed."""
    fields = f"; this step changed: {', '.join(changed)}" if changed else ""
    return f"{kind_label}; {layout_name}, {size} bytes{fields}"


def vtl_column_heading(vtl: int, vp: int, *, enabled: bool, last_entry: int | None) -> str:
    """A register-table column heading: when the VTL's truth and observation were taken."""
    if not enabled:
        return f"VTL {vtl}: not enabled on VP {vp}"
    if last_entry is None:
        return f"VTL {vtl}: not entered yet; must observe at its next entry"
    return f"VTL {vtl}: at its last entry (step {last_entry})"


def register_table_caption(vp: int) -> str:
    """The caption of the truth-versus-observed table."""
    return (f"VP {vp}: what each VTL had to observe at its last entry (TLFS: its own private "
            "registers, everyone's last shared values) and what it did observe; private first")


def mismatch_tooltip(reg: str, expected: str, observed: str) -> str:
    """The tooltip of a wrongly observed register cell (so the colour is not the only signal)."""
    return f"{reg}: expected {expected}, observed {observed}"


def vp_chip_title(vp: int, vtl: int, *, enabled: bool, shown: bool, touched: bool) -> str:
    """A VP chip's tooltip: its running VTL, whether VTL 1 is enabled, and its role in the view."""
    vtls = "VTL 0 and 1 enabled" if enabled else "only VTL 0 enabled"
    roles = [r for r, on in (("shown below", shown), ("this step's VP", touched)) if on]
    return f"VP {vp}: running VTL {vtl}; {vtls}" + (f" ({', '.join(roles)})" if roles else "")


#: The legend above the VP chips.
VP_CHIPS_LEGEND = ("Active VTL per VP (VP:VTL; · = VTL 1 not enabled; bold border = this step's VP; "
                   "filled = pages shown below)")


# --- the byte grids (HTML and matplotlib) ---------------------------------------------------------
#: The legend keys of the two marks a byte grid draws (the same words in both renderers).
HIGHLIGHT_KEY = "selected field"
CHANGED_KEY = "changed byte"


def byte_grid_title(name: str, size: int, base: int, page_size: int | None, line: int) -> str:
    """A byte grid figure's default title: the structure, where it sits, and what a row is."""
    where = f" at {base:#x}" if base else ""
    page = f" in a {page_size}-byte page" if page_size is not None else ""
    return f"{name}: {size} bytes{where}{page}, one row per {line}-byte cache line"


def outside_label(*, page_tail: bool) -> str:
    """What the grid's bytes beyond the structure are: the rest of its page, or just not part of it."""
    return "unused page tail" if page_tail else "outside the structure"


def byte_value_note(offset: int, raw: bytes, *, as_integer: bool) -> str:
    """A field's value for its tooltip: the little-endian integer, or its leading bytes (16 at most)."""
    if as_integer:
        return f"value = 0x{int.from_bytes(raw, 'little'):0{2 * len(raw)}x}"
    more = " …" if len(raw) > 16 else ""
    return f"bytes at {offset:#x}: {raw[:16].hex(' ')}{more}"


# --- the counterexample finder -----------------------------------------------------------------
def numbered_events(events: Iterable[Event]) -> list[str]:
    """A trace in words, one line per step, numbered like the Stepper (``step 0: VP 0: ...``)."""
    return [f"step {i}: {describe_event(e)}" for i, e in enumerate(events)]


#: The finder's headings: before a search, above the violations, above the trace file.
FINDER_PROMPT = "Press Search."
FINDER_VIOLATIONS = "Findings, most severe first"
FINDER_JSONL = "As a trace file (JSON Lines)"


def finder_summary(design: str, result: SearchResult | None) -> str:
    """One line: what was searched, how much, and what came out."""
    r = result
    if r is None:
        return f"{design}: not searched yet"
    tried = f"{r.examples_tried:,} traces tried in {r.seconds:.1f} s"
    if r.trace is not None:
        how = "breadth-first, so none shorter exists" if r.method == "bfs" else f"found by {r.method}"
        return (f"{r.design}: counterexample of {len(r.trace)} events ({how}); "
                f"{plural(len(r.violations), 'finding')} ({severity_counts(r.violations)}); {tried}")
    return (f"{r.design}: no counterexample within budget: every trace of up to "
            f"{r.exhaustive_length} events on one VP with {r.lower_vtls} lower VTLs over the alphabet "
            f"({', '.join(r.alphabet)}) holds, "
            f"and {r.hypothesis_examples} longer random multi-VP traces did too; {tried}")


# --- your design ----------------------------------------------------------------------------------
def moves_words(dropped: Sequence[str], added: Sequence[str]) -> list[str]:
    """A variant's moves in words: ``rsp made shared``, ``cr2 made private`` (counted when many)."""
    out = []
    for regs, what in ((dropped, "shared"), (added, "private")):
        if len(regs) > 4:
            out.append(f"{len(regs)} registers made {what}")
        else:
            out += [f"{r} made {what}" for r in regs]
    return out


def variant_verdict(key: str, moves: Sequence[str], scenarios: int, broken: int,
                    search: SearchResult) -> str:
    """One line: does the variant keep isolation on the scenarios and the search, where it first fails."""
    what = f"{key} ({', '.join(moves) or 'no register moved'})"
    if not broken and not search.found:
        return (f"{what}: isolation holds on all {scenarios} scenarios and no counterexample "
                f"was found (exhaustive up to {search.exhaustive_length} events).")
    parts = [f"{what}: breaks on {broken} of {scenarios} scenarios"]
    if search.found and search.trace is not None and search.violations:
        parts.append(f"shortest counterexample {len(search.trace)} events; first: "
                     f"{describe_violation(search.violations[0])}")
    return "; ".join(parts)


def counterexample_heading(search: SearchResult) -> str:
    """Above a found counterexample: how it was found and how much was tried."""
    return f"Counterexample ({search.method}, {search.examples_tried:,} traces tried):"


def no_counterexample_line(search: SearchResult) -> str:
    """When the quick search found nothing: how far the absence is proven."""
    return (f"No counterexample: every trace of up to {search.exhaustive_length} events holds, "
            f"and {search.hypothesis_examples} random longer traces did too.")


def variant_repr(key: str, base: str, moves: Sequence[str]) -> str:
    """A variant in one line (its ``repr``)."""
    return f"<YourDesign {key}: base {base}, {', '.join(moves) or 'no register moved'}>"


#: The help line next to the register pickers.
PICKER_HELP = ("Selected registers are private (kept per VTL); the rest are shared. "
               "Ctrl/Cmd-click to select several.")
#: Captions of the "your design" tables.
SCENARIO_TABLE_CAPTION = "The checker on every built-in scenario"
COST_TABLE_CAPTION = "What it costs (counted from the protocol; time from the model)"


# --- the design comparison ----------------------------------------------------------------------
def comparison_caption(label: str, events: int) -> str:
    """The comparison table's caption: what it is about and how long the trace is."""
    return f"{label}: {events} events"


def comparison_title(designs: int) -> str:
    """The comparison section's title (as many designs as the registry and the variants give)."""
    return f"{designs} designs, one trace"


#: Under the comparison's title: how to read the table.
COMPARISON_HINT = "hover a heading for what it counts; ✗ = isolation broken"


# --- the anatomy explorer --------------------------------------------------------------------------
def struct_intro(name: str, size: int) -> str:
    """The anatomy explorer's info line while no field is selected."""
    return f"{name}: {size} bytes. Pick a field to see its bytes, owner and source."


# --- the cost explorer ---------------------------------------------------------------------------
def workload_line(evicted_kib: float, switch_fraction: float) -> str:
    """The cost explorer's heading: the workload point shown."""
    evicted = "nothing evicted" if evicted_kib == 0 else f"{evicted_kib:,.0f} KiB evicted"
    return f"{evicted} by the guest between two entries, switch fraction {switch_fraction:g}."


def _normal(value: object, like: object) -> object:
    """``value`` in the form of ``like``, so that two ways of writing one answer compare equal.

    A set of items for collections (text split at commas and spaces), a number for numbers
    (``"0x180"`` and ``"90"`` read as written), folded text for text.
    """
    if isinstance(like, list | tuple | set | frozenset):
        if isinstance(value, str):
            items: list[object] = list(value.replace(",", " ").split())
        elif isinstance(value, list | tuple | set | frozenset):
            items = list(value)
        else:
            items = [value]
        sample = next(iter(like), "")
        return frozenset(_normal(i, sample) for i in items)
    if isinstance(like, int | float) and not isinstance(like, bool):
        if isinstance(value, str):
            try:
                return float(int(value, 0))
            except ValueError:
                try:
                    return float(value)
                except ValueError:
                    return value
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    return value.strip().casefold() if isinstance(value, str) else value


def exercise_feedback(answer: object, expected: object, what: str = "") -> str:
    """One line for a checked exercise: not answered yet, right, or not quite (never the answer itself).

    ``answer`` may be written the way a student would: ``"0x180, 0x1c0"`` or ``[384, 448]`` for a
    list of offsets (order does not matter), ``"90"`` or ``90`` for a count, any case for a name.
    """
    if answer is None:
        return "Not answered yet: replace None with your answer and run the cell again."
    like = _normal(expected, expected)
    if _normal(answer, expected) == like:
        return f"Right: {answer!r} is correct."
    kind = f" (answer in {what})" if what else ""
    return f"Not quite: {answer!r} is not it{kind}. Look again and try once more."


#: Above a widget's static snapshot (the static site, any viewer without a kernel).
SNAPSHOT_NOTE = "Static snapshot of the widget: open the notebook in JupyterLab to use its controls."
#: In a snapshot, where a part of the widget is only drawn once it is opened.
SNAPSHOT_EMPTY_PART = "Not drawn in this snapshot: the widget draws it when it is opened."

#: Under a design loaded from a file once registers were moved: how the moves combine with the file.
DESIGN_FILE_MOVED = ("Registers moved since loading apply on top of the file's rules; moving them back "
                     "restores the file's design.")


def design_file_heading(path: str, declares_more: bool) -> str:
    """Where the YourDesign widget's design came from, and whether the file says more than the pickers."""
    if declares_more:
        return (f"From design file {path}. It declares what the register pickers cannot show, and every "
                "result below is the file's design with these included:")
    return f"From design file {path}. Every declaration in it is a class change, shown in the pickers."


def per_design(values: Iterable[tuple[str, str]]) -> str:
    """``naive 1,000 ns, bank 1,100 ns``: one figure per design, in order."""
    return ", ".join(f"{key} {text}" for key, text in values)


def entry_costs_line(fixed: str, total: str) -> str:
    """The fixed work (round trip and kernel) and the total per entry, per design."""
    return (f"Fixed work per entry, round trip and kernel (not drawn; unverified stand-ins): {fixed}. "
            f"Total per entry: {total}.")


def cpu_share_line(entries_per_s: float, shares: str) -> str:
    """The share of one CPU spent on entries at the chosen rate, per design."""
    return f"Share of one CPU spent on entries at {entries_per_s:,.0f} entries/s: {shares}"


__all__ = [
    "BEFORE_FIRST_EVENT",
    "CHANGED_KEY",
    "COMPARISON_HINT",
    "COST_TABLE_CAPTION",
    "DESIGN_FILE_MOVED",
    "FINDER_JSONL",
    "FINDER_PROMPT",
    "FINDER_VIOLATIONS",
    "HIGHLIGHT_KEY",
    "PICKER_HELP",
    "PRESS_STEP",
    "SCENARIO_TABLE_CAPTION",
    "SNAPSHOT_EMPTY_PART",
    "SNAPSHOT_NOTE",
    "VP_CHIPS_LEGEND",
    "banner_groups",
    "banner_lines",
    "banner_text",
    "banner_title",
    "byte_grid_title",
    "byte_value_note",
    "comparison_caption",
    "comparison_title",
    "counterexample_heading",
    "cpu_share_line",
    "design_file_heading",
    "entry_costs_line",
    "event_line",
    "exercise_feedback",
    "finder_summary",
    "mismatch_tooltip",
    "moves_words",
    "next_event_line",
    "no_counterexample_line",
    "numbered_events",
    "outside_label",
    "page_subtitle",
    "per_design",
    "register_table_caption",
    "step_summary",
    "step_text",
    "stepper_position",
    "struct_intro",
    "variant_repr",
    "variant_verdict",
    "vp_chip_title",
    "vtl_column_heading",
    "workload_line",
]
