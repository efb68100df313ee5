"""Every registered design side by side on one trace: what breaks, what it costs.

A reviewer weighing #746's options needs two answers at once, per design: does
isolation hold on this trace (violations by kind, which registers, the first step
where it fails) and what does it cost (pages per VP, bytes copied per entry and per
VTL switch, modelled time per entry).  :func:`compare` runs one trace under every
design (and any variants) and returns a :class:`Comparison` whose
:attr:`~Comparison.frame` is a pandas DataFrame with one row per design.

Nothing here is measured: violations come from the isolation checker
(:mod:`tdxlab.sim.checker`), byte counts from the protocol's own memory log and
times from the cost model (:mod:`tdxlab.cost`), so a variant gets its row for free.
This module holds figures only: the words about them (column meanings, one verdict
line per design) are :mod:`tdxlab.describe.compare`'s, one layer up
(``describe.verdicts(comparison)``, ``describe.COMPARISON_COLUMNS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from tdxlab.cost.accounting import tally
from tdxlab.cost.timemodel import breakdown
from tdxlab.sim.checker import Violation, ViolationKind, by_severity
from tdxlab.sim.designs import DESIGNS, Design, get_design
from tdxlab.sim.events import Event, Op, StepOutcome, TraceError
from tdxlab.sim.machine import SimResult, simulate
from tdxlab.sim.trace import Trace, load_trace

#: Violation kinds, in column order.
KINDS: tuple[ViolationKind, ...] = tuple(ViolationKind)

#: Columns of :attr:`Comparison.frame`, in order (what each means: ``describe.COMPARISON_COLUMNS``).
COLUMNS: tuple[str, ...] = (
    "title", "variant", "violations", *(k.value for k in KINDS), "registers", "first_step",
    "pages_per_vp", "entries", "switches", "bytes_per_entry", "bytes_per_switch", "ns_per_entry",
    "ns_page_work",
)  # fmt: skip


class CompareError(ValueError):
    """Bad input to a comparison (unknown design or scenario, unreadable trace): one line."""


def _events_of(trace: str | Path | Sequence[Event]) -> tuple[str, list[Event]]:
    """Resolve a scenario name, a trace file or a list of events to (label, events)."""
    if isinstance(trace, (str, Path)):
        from tdxlab.scenarios import SCENARIOS, load_scenario

        name = str(trace)
        if isinstance(trace, str) and name in SCENARIOS:
            return name, load_scenario(name)
        path = Path(trace)
        if path.suffix == ".jsonl" or path.exists():
            try:
                return path.name, load_trace(path)
            except TraceError as exc:
                raise CompareError(str(exc)) from None
        raise CompareError(
            f"{name!r} is neither a built-in scenario ({', '.join(SCENARIOS)}) nor a trace file"
        )
    if isinstance(trace, Trace):  # keeps the partition's VTL count
        return "trace", trace
    try:
        events = list(trace)
    except TypeError:
        events = [trace]  # type: ignore[list-item]  # reported just below
    if not all(isinstance(e, Event) for e in events):
        raise CompareError("a trace must be a scenario name, a .jsonl path or a list of Event objects")
    return "trace", events


def vtls_enabled(events: Iterable[Event]) -> int:
    """Lower VTLs the trace uses (1 + the highest VTL it enables on any VP): what pages are counted for."""
    return 1 + max((e.vtl or 0 for e in events if e.op is Op.ENABLE_VTL), default=0)


@dataclass(frozen=True)
class DesignOutcome:
    """One design's run of the trace, with the figures the table shows."""

    design: Design
    result: SimResult
    pages_per_vp: int
    entries: int
    switches: int
    bytes_per_entry: float
    bytes_per_switch: float
    ns_per_entry: float
    ns_page_work: float

    @property
    def violations(self) -> list[Violation]:
        """Every violation the checker found, in step order."""
        return self.result.violations

    def count(self, kind: ViolationKind) -> int:
        """Violations of one kind."""
        return sum(v.kind is kind for v in self.violations)

    @property
    def registers(self) -> tuple[str, ...]:
        """Registers named in the violations, sorted."""
        return tuple(sorted({v.reg for v in self.violations}))

    @property
    def first(self) -> Violation | None:
        """The first finding (lowest step)."""
        return self.violations[0] if self.violations else None

    @property
    def worst(self) -> Violation | None:
        """The most severe finding (the first of the highest severity)."""
        return by_severity(self.violations)[0] if self.violations else None


@dataclass(frozen=True)
class Comparison:
    """Every design's outcome on one trace; :attr:`frame` is the side-by-side table."""

    label: str
    events: tuple[Event, ...]
    outcomes: tuple[DesignOutcome, ...]

    @property
    def frame(self) -> pd.DataFrame:
        """One row per design (index = design key), columns as in :data:`COLUMNS` (a fresh copy)."""
        return self._frame.copy()

    @cached_property
    def _frame(self) -> pd.DataFrame:
        rows = []
        for o in self.outcomes:
            first = o.first
            row: dict[str, object] = {
                "design": o.design.key,
                "title": o.design.title,
                "variant": o.design.is_variant,
                "violations": len(o.violations),
            }
            row.update({k.value: o.count(k) for k in KINDS})
            row.update(
                registers=", ".join(o.registers),
                first_step=None if first is None else first.step,
                pages_per_vp=o.pages_per_vp,
                entries=o.entries,
                switches=o.switches,
                bytes_per_entry=o.bytes_per_entry,
                bytes_per_switch=o.bytes_per_switch,
                ns_per_entry=o.ns_per_entry,
                ns_page_work=o.ns_page_work,
            )
            rows.append(row)
        frame = pd.DataFrame(rows).set_index("design")
        frame["first_step"] = frame["first_step"].astype("Int64")
        return frame[list(COLUMNS)]

    def outcome(self, design: str) -> DesignOutcome:
        """The outcome of one design by key."""
        for o in self.outcomes:
            if o.design.key == design:
                return o
        raise CompareError(f"design {design!r} is not in this comparison "
                           f"({', '.join(o.design.key for o in self.outcomes)})")


def _design_list(designs: Iterable[str | Design] | None, variants: Iterable[Design]) -> list[Design]:
    chosen: list[Design] = []
    for d in (*(tuple(DESIGNS) if designs is None else designs), *variants):
        try:
            design = get_design(d)
        except ValueError as exc:
            raise CompareError(str(exc)) from None
        if any(c.key == design.key for c in chosen):
            raise CompareError(f"design key {design.key!r} appears twice; give the variant its own key")
        chosen.append(design)
    if not chosen:
        raise CompareError("nothing to compare: give at least one design")
    return chosen


def switch_fraction(result: SimResult) -> float:
    """Fraction of entries that follow a VTL switch on their VP (what the time model mixes).

    Read from the steps the machine recorded (``switched``, ``outcome``), not from the
    event kinds: which events switch VTL is the machine's rule (:data:`~tdxlab.sim.machine.OP_RULES`),
    stated once there.
    """
    pending: set[int] = set()  # VPs that switched since their last entry
    runs = after_switch = 0
    for rec in result.steps:
        if rec.switched is not None:
            pending.add(rec.event.vp)
        elif rec.outcome is StepOutcome.RAN:
            runs += 1
            if rec.event.vp in pending:
                pending.discard(rec.event.vp)
                after_switch += 1
    return after_switch / runs if runs else 0.0


def _copied(result: SimResult, steps: Iterable[int]) -> int:
    return sum(tally(result.steps[i].accesses).copied for i in steps)


def run_design(design: str | Design, events: Sequence[Event], vtls: int | None = None) -> DesignOutcome:
    """Run one design over ``events`` and gather its figures (violations, pages, copies, time).

    Bytes copied are counted from this trace's own memory log (``copy`` accesses,
    bytes written); the time per entry is the cost model's, at this trace's fraction of
    entries that follow a VTL switch and the model's default eviction point
    (:data:`tdxlab.cost.timemodel.DEFAULT_EVICTED_KIB`: a trace says nothing about the
    guest's own work between entries).
    """
    d = _design_list([design], ())[0]
    try:
        result = simulate(d, events)
    except TraceError as exc:
        raise CompareError(str(exc)) from None
    n_vtls = vtls_enabled(events) if vtls is None else vtls
    run_steps = [r.index for r in result.steps if r.outcome is StepOutcome.RAN]
    switch_steps = [r.index for r in result.steps if r.switched is not None]
    time = breakdown(d, switch_fraction=switch_fraction(result))
    return DesignOutcome(
        design=d,
        result=result,
        pages_per_vp=d.pages_per_vp(n_vtls),
        entries=len(run_steps),
        switches=len(switch_steps),
        bytes_per_entry=_copied(result, run_steps) / len(run_steps) if run_steps else 0.0,
        bytes_per_switch=_copied(result, switch_steps) / len(switch_steps) if switch_steps else 0.0,
        ns_per_entry=float(time.total),
        ns_page_work=float(time.design_dependent),
    )


def compare(
    trace: str | Path | Sequence[Event],
    designs: Iterable[str | Design] | None = None,
    variants: Iterable[Design] = (),
) -> Comparison:
    """Run one trace (scenario name, ``.jsonl`` path or events) under every design and variant.

    ``designs`` defaults to every registered design (read when called); ``variants`` adds reviewer variants
    (``DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})``) as extra rows.
    """
    label, events = _events_of(trace)
    chosen = _design_list(designs, variants)
    vtls = vtls_enabled(events)
    return Comparison(label, tuple(events), tuple(run_design(d, events, vtls) for d in chosen))


def compare_frame(
    trace: str | Path | Sequence[Event],
    designs: Iterable[str | Design] | None = None,
    variants: Iterable[Design] = (),
) -> pd.DataFrame:
    """Shortcut for ``compare(...).frame``."""
    return compare(trace, designs, variants).frame


# --- a reviewer's variant on every scenario --------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    """A ready-made variant that retells a real mistake or a plausible one.

    ``story`` says what the variant is and what the checker should make of it; it is
    shown next to the preset so a reader knows what to look for before looking.
    """

    name: str
    key: str
    base: str
    story: str
    add_private: frozenset[str] = frozenset()
    drop_private: frozenset[str] = frozenset()

    def design(self) -> Design:
        """The variant as a :class:`~tdxlab.sim.designs.Design` (``DESIGNS[base].variant``)."""
        return DESIGNS[self.base].variant(self.key, f"{self.name}", add_private=self.add_private,
                                          drop_private=self.drop_private)


#: Presets offered by the "Your design" widget and notebook 06, by name.
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "bank that forgets RSP (pre-#1178)", "bank-no-rsp", "bank",
            "OpenVMM's bank as merged in #778 (2025-02-05): RSP was left in the shared guest-state "
            "buffer until #1178 (2025-04-11) banked it. Each VTL then runs on the other's stack "
            "pointer: expect an integrity finding for rsp wherever VTL 1 runs on VTL 0's stack pointer "
            "and a disclosure wherever VTL 0 runs on VTL 1's.",
            drop_private=frozenset({"rsp"}),
        ),
        Preset(
            "bank without entry flags (pre-#793)", "bank-no-flags", "bank",
            "Before #793 (2025-02-07) the TDG.VP.ENTER flags were not in the bank; the run loop had "
            "to write vm_index = VTL + 1 before every entry, and this model does. The checker (which "
            "verifies only the vm_index bits) finds nothing: #793 made the code harder to use "
            "incorrectly rather than fixing a failure this model can show.",
            drop_private=frozenset({"vm_flags"}),
        ),
        Preset(
            "split with CR2 private", "split-cr2-private", "split",
            "The TLFS lists CR2 as shared; a split design that moves it into each VTL's own page "
            "gives each VTL its own CR2. Expect stale cr2 after a switch whenever the other VTL "
            "wrote it (secure_call_round_trip does).",
            add_private=frozenset({"cr2"}),
        ),
        Preset(
            "snp that also copies RSP", "snp-copies-rsp", "snp",
            "OpenVMM's SNP switch_vtl does not copy RSP (TLFS: private). A variant that treats it "
            "as shared copies it from one VMSA to the other on every switch: expect integrity "
            "and disclosure findings for rsp.",
            drop_private=frozenset({"rsp"}),
        ),
        Preset(
            "bank with nothing banked (the #746 bug)", "bank-empty", "bank",
            "Drop every private register from the bank and the bank design becomes the naive page "
            "of #746: expect the same violations as naive.",
            drop_private=frozenset(DESIGNS["bank"].private),
        ),
    )
}


def get_preset(name: str) -> Preset:
    """A preset by name (or key), with a one-line error listing the names."""
    for p in PRESETS.values():
        if name in (p.name, p.key):
            return p
    raise CompareError(f"unknown preset {name!r}; known: {'; '.join(PRESETS)}")


#: Columns of :func:`scenario_results`.
RESULT_COLUMNS: tuple[str, ...] = (
    "violations", *(k.value for k in KINDS), "registers", "first_step", "pages_per_vp",
    "bytes_per_entry", "bytes_per_switch", "ns_per_entry", "ns_page_work",
)  # fmt: skip


def scenario_results(design: str | Design, scenarios: Iterable[str] | None = None) -> pd.DataFrame:
    """One design on every built-in scenario: one row per scenario (index = scenario name).

    This is the checker-and-cost half of a design review; the counterexample search
    (:func:`tdxlab.sim.search.find_counterexample`) is the other half.
    """
    from tdxlab.scenarios import SCENARIOS

    d = _design_list([design], ())[0]
    names = list(SCENARIOS) if scenarios is None else list(scenarios)
    frames = []
    for name in names:
        if name not in SCENARIOS:
            raise CompareError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        frame = compare(name, designs=[d]).frame
        frames.append(frame.assign(scenario=name).set_index("scenario"))
    out = pd.concat(frames)[list(RESULT_COLUMNS)]
    out.attrs["design"] = d.key
    return out


def compare_scenarios(
    scenarios: Iterable[str] | None = None,
    designs: Iterable[str | Design] | None = None,
    variants: Iterable[Design] = (),
) -> pd.DataFrame:
    """:func:`compare` on several built-in scenarios (default: all), stacked.

    The index is (scenario, design), so ``frame.loc["interrupt_to_vtl1"]`` is one
    scenario's table and ``frame.xs("naive", level="design")`` one design across scenarios.
    """
    from tdxlab.scenarios import SCENARIOS

    names = list(SCENARIOS) if scenarios is None else list(scenarios)
    chosen = _design_list(designs, variants)
    frames = {}
    for name in names:
        if name not in SCENARIOS:
            raise CompareError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        frames[name] = compare(name, designs=chosen).frame
    return pd.concat(frames, names=["scenario", "design"])
