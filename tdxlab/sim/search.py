"""Counterexample search: the shortest trace that makes a design violate isolation.

Two searches run and the shorter counterexample wins (the breadth-first one on a tie,
because its result is canonical):

1. **Bounded breadth-first search** over a small alphabet, on one VP.  It tries every
   valid trace up to ``max_length`` events, so what it finds is a *shortest*
   counterexample and, when it finds none, no counterexample of that length exists
   over the alphabet.  The alphabet in each state is what ``Simulation.valid_events``
   offers there (the machine's rule table decides, nothing here restates it), kept
   small without losing generality:

   * one VP: VPs share nothing in any design (each has its own pages and truth), so a
     violation never needs a second VP;
   * registers are grouped by how the design treats them (architectural class, whether
     the design keeps it per VTL, which page each VTL loads it from, whether it is
     banked, whether it is copied on a VTL switch); registers in one group move
     identically, so one representative per group stands for all of them;
   * values come from ``values`` (default ``(1,)``: one value that differs from every
     reset value, so a VTL that writes it always differs from a VTL that did not);
   * a switching ``interrupt`` reaches the same state as ``vtl_call`` and a non-switching
     one changes nothing, so both end in states already seen and cost one try each;
   * states already reached by a shorter trace are not expanded again.

2. **Hypothesis stateful testing** (``RuleBasedStateMachine``) on ``vps`` VPs with every
   simulated register and wide values; its one rule picks among
   ``Simulation.valid_events`` in the current state; the invariant is "no violation".
   ``budget`` is its number of examples; it is deterministic for a given ``seed``
   (``@seed`` overrides ``derandomize``; no example database).  Hypothesis shrinks a
   failing sequence itself; a final deterministic pass then drops single events while
   the trace still violates (stateful shrinking can leave a few), and sets that never
   took effect are dropped so the result is a valid trace.

The breadth-first search proves minimality for short traces; hypothesis reaches longer,
multi-VP traces with arbitrary values that the bounded search cannot afford.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tdxlab.owners import Owner
from tdxlab.sim.checker import Violation
from tdxlab.sim.designs import Design, get_design
from tdxlab.sim.events import Event, TraceError
from tdxlab.sim.machine import Checkpoint, Simulation
from tdxlab.sim.model import DEFAULT_LOWER_VTLS, MODELLED, arch_owner, check_lower_vtls, reset_value

if TYPE_CHECKING:
    from hypothesis.stateful import RuleBasedStateMachine

#: Default number of hypothesis examples.
DEFAULT_BUDGET = 200
#: Default length bound of the breadth-first search.
DEFAULT_MAX_LENGTH = 6


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`find_counterexample`.

    ``trace`` is ``None`` when neither search found a violation; ``exhaustive_length``
    says how far that absence is proven (every trace of at most that many events over
    ``alphabet`` was tried), ``examples_tried`` counts breadth-first traces plus
    hypothesis examples (shrinking included).
    """

    trace: list[Event] | None
    violations: list[Violation]
    examples_tried: int
    seconds: float
    design: str = ""
    method: str | None = None
    exhaustive_length: int = 0
    alphabet: tuple[str, ...] = ()
    bfs_tried: int = 0
    hypothesis_examples: int = 0
    notes: tuple[str, ...] = ()
    lower_vtls: int = DEFAULT_LOWER_VTLS

    @property
    def found(self) -> bool:
        """True when a counterexample was found."""
        return self.trace is not None


# --- register groups ---------------------------------------------------------------------------
def register_groups(design: str | Design, lower_vtls: int = DEFAULT_LOWER_VTLS) -> list[tuple[str, ...]]:
    """Simulated registers grouped by how ``design`` treats them.

    The first register of each group represents it in the breadth-first search
    (a familiar one such as RIP when the group has it).
    """
    d = get_design(design)
    store = d.sample_store(lower_vtls)
    copied = set(d.switch_copied(store))
    groups: dict[tuple[object, ...], list[str]] = {}
    for reg in MODELLED:
        # A register whose reset value is not zero (RFLAGS, FCW, MXCSR) differs from one whose is:
        # a page the design never initialised holds zero, which is its reset value only for the latter.
        sig: list[object] = [arch_owner(reg, d.platform) is Owner.PRIVATE, reg in d.private, reg in copied,
                             reset_value(reg) == 0]
        for vtl in range(lower_vtls):
            slot = store.slots[vtl].get(reg)
            bank = store.bank.get(vtl, {}).get(reg)
            pv = d.pv_slot(store, 0, vtl, reg)
            sig += [slot.page.name if slot else None, bank.page.name if bank else None,
                    pv.page.name if pv else None]
        groups.setdefault(tuple(sig), []).append(reg)
    return [tuple(sorted(regs, key=_teaching_order)) for regs in groups.values()]


#: Registers a reader recognises first; they represent their group when present in it.
_PREFERRED = ("rip", "rsp", "rflags", "lstar", "rax", "cr2", "xmm0")


def _teaching_order(reg: str) -> int:
    return _PREFERRED.index(reg) if reg in _PREFERRED else len(_PREFERRED) + MODELLED.index(reg)


# --- breadth-first search ----------------------------------------------------------------------
def _bfs(
    design: Design, max_length: int, regs: Sequence[str], values: Sequence[int], lower_vtls: int
) -> tuple[list[Event] | None, int, int]:
    """Shortest violating trace up to ``max_length``; returns (trace, lengths fully tried, traces tried)."""
    sim = Simulation(design, 1, record=False, lower_vtls=lower_vtls)
    root = sim.checkpoint()
    frontier: list[tuple[Checkpoint, tuple[Event, ...]]] = [(root, ())]
    seen = {root.state_key()}
    tried = 0
    for depth in range(1, max_length + 1):
        nxt: list[tuple[Checkpoint, tuple[Event, ...]]] = []
        for state, path in frontier:
            sim.restore(state)
            for event in sim.valid_events(0, regs, values):
                sim.restore(state)
                sim.apply(event)
                tried += 1
                if sim.violations:
                    return [*path, event], depth - 1, tried
                after = sim.checkpoint()
                key = after.state_key()
                if key not in seen:
                    seen.add(key)
                    nxt.append((after, (*path, event)))
        frontier = nxt
        if not frontier:  # every reachable state explored: no counterexample of any length
            return None, max_length, tried
    return None, max_length, tried


# --- hypothesis stateful search ----------------------------------------------------------------
class _Found(Exception):
    """Raised by the invariant; carries the trace that violated."""

    def __init__(self, trace: list[Event]) -> None:
        super().__init__(f"violation after {len(trace)} events")
        self.trace = trace


class _Disagreement(Exception):
    """The rules produced an event the simulation rejects: a bug in this module or the core."""


def _machine(sim: Simulation, counter: list[int]) -> type[RuleBasedStateMachine]:
    """A state machine over ``sim``'s VPs whose one rule applies a valid event.

    Every example starts from ``sim``'s initial state (restored from a checkpoint, which
    is cheaper than building a partition per example).  The rule takes plain arguments
    (a VP, an index, a register, a value) rather than drawing inside, which keeps
    hypothesis's per-step cost low; the index picks among ``sim.valid_events`` for that VP.
    """
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

    vps = len(sim.vps)
    initial = sim.checkpoint()
    # Values a ``set`` draws before being reduced to the register's width: small ones often.
    values = st.one_of(st.integers(0, 3), st.integers(0, (1 << 128) - 1))

    class TraceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            counter[0] += 1
            sim.restore(initial)
            self.trace: list[Event] = []

        # One rule: pick among the events the simulation itself says are possible now
        # (Simulation.valid_events), so the rules of the trace format live in one place.
        @rule(vp=st.integers(0, vps - 1), pick=st.integers(0, 63), reg=st.sampled_from(MODELLED),
              value=values)
        def step(self, vp: int, pick: int, reg: str, value: int) -> None:
            events = sim.valid_events(vp, (reg,), (value,))
            event = events[pick % len(events)]
            self.trace.append(event)
            try:
                sim.apply(event)
            except TraceError as exc:  # pragma: no cover - would be a bug
                raise _Disagreement(f"{event}: {exc}") from exc

        @invariant()
        def isolated(self) -> None:
            if sim.violations:
                raise _Found(list(self.trace))

    return TraceMachine


def _hypothesis(
    design: Design, budget: int, seed: int, vps: int, steps: int, lower_vtls: int
) -> tuple[list[Event] | None, int]:
    """Run the stateful search (trace, examples); hypothesis is a test extra, checked by the caller."""
    try:
        from hypothesis import HealthCheck, Phase, Verbosity, settings
        from hypothesis import seed as hypothesis_seed
        from hypothesis.stateful import get_state_machine_test
    except ImportError:  # pragma: no cover - find_counterexample checks first
        return None, 0
    counter = [0]
    machine = _machine(Simulation(design, vps, record=False, lower_vtls=lower_vtls), counter)
    config = settings(
        max_examples=budget,
        stateful_step_count=steps,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )
    test = hypothesis_seed(seed)(get_state_machine_test(machine, settings=config))
    try:
        test()
    except _Found as found:
        return _minimise(design, drop_unfinished(design, found.trace, lower_vtls), lower_vtls), counter[0]
    return None, counter[0]


def _violates(design: Design, trace: Sequence[Event], lower_vtls: int) -> int | None:
    """Index of the first event at which ``trace`` violates, or None (also for an invalid trace)."""
    sim = Simulation(design, max((e.vp for e in trace), default=0) + 1, record=False, lower_vtls=lower_vtls)
    try:
        for i, event in enumerate(trace):
            sim.apply(event)
            if sim.violations:
                return i
        return None
    except TraceError:
        return None


def _minimise(design: Design, trace: list[Event], lower_vtls: int) -> list[Event]:
    """Drop events one at a time while the trace stays valid and still violates (1-minimal result).

    Hypothesis's stateful shrinking can leave events whose removal would change how
    later choices are drawn; this final deterministic pass removes them.
    """
    end = _violates(design, trace, lower_vtls)
    if end is None:  # pragma: no cover - hypothesis only reports violating traces
        return trace
    trace = trace[: end + 1]
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(trace))):
            candidate = trace[:i] + trace[i + 1 :]
            stop = _violates(design, candidate, lower_vtls) if candidate else None
            if stop is not None:
                trace = candidate[: stop + 1]
                changed = True
                break
    return drop_unfinished(design, trace, lower_vtls)


def drop_unfinished(design: Design, trace: Sequence[Event], lower_vtls: int) -> list[Event]:
    """Drop the ``set`` events the simulation says no run carried out (a trace must not end with them).

    The search and ``tdxlab verify`` both end their counterexamples this way.
    """
    sim = Simulation(design, max((e.vp for e in trace), default=0) + 1, record=False, lower_vtls=lower_vtls)
    for event in trace:
        sim.apply(event)
    drop = set(sim.unfinished())
    return [e for i, e in enumerate(trace) if i not in drop]


def _numbered(trace: Sequence[Event]) -> list[Event]:
    """Number events 1.. so violations name the line of the printed JSON Lines trace."""
    return [dataclasses.replace(e, line=i) for i, e in enumerate(trace, start=1)]


# --- entry point ------------------------------------------------------------------------------
def find_counterexample(
    design: str | Design,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    values: Sequence[int] = (1,),
    vps: int = 2,
    steps: int = 20,
    lower_vtls: int = DEFAULT_LOWER_VTLS,
) -> SearchResult:
    """Search for the shortest event sequence under which ``design`` violates isolation.

    ``budget`` is the number of hypothesis examples (0 runs the breadth-first search
    only); ``max_length`` bounds the breadth-first search; ``vps`` and ``steps`` size
    hypothesis's traces; ``lower_vtls`` (2 or 3) sizes the partition searched.  Every
    kind of event is tried, the paravisor's ``pv_get``/``pv_set`` and both return kinds
    included.  Deterministic for a given ``seed``.
    """
    d = get_design(design)
    lower_vtls = check_lower_vtls(lower_vtls)
    for name, number, low in (("budget", budget, 0), ("seed", seed, 0), ("max_length", max_length, 0),
                              ("vps", vps, 1), ("steps", steps, 1)):
        if isinstance(number, bool) or not isinstance(number, int) or number < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {number!r}")
    start = time.perf_counter()
    regs = tuple(group[0] for group in register_groups(d, lower_vtls))
    bfs_trace, exhaustive, bfs_tried = _bfs(d, max_length, regs, values, lower_vtls)
    hyp_trace: list[Event] | None = None
    hyp_examples = 0
    notes: tuple[str, ...] = ()
    if budget and importlib.util.find_spec("hypothesis") is None:  # pragma: no cover
        notes = ("hypothesis is not installed (it is in the 'test' extra): breadth-first search only",)
    elif budget:
        hyp_trace, hyp_examples = _hypothesis(d, budget, seed, vps, steps, lower_vtls)
    method: str | None = None
    trace: list[Event] | None = None
    if bfs_trace is not None and (hyp_trace is None or len(bfs_trace) <= len(hyp_trace)):
        trace, method = bfs_trace, "bfs"
    elif hyp_trace is not None:
        trace, method = hyp_trace, "hypothesis"
    violations: list[Violation] = []
    if trace is not None:
        trace = _numbered(trace)
        check = Simulation(d, max(e.vp for e in trace) + 1, lower_vtls=lower_vtls)
        violations = check.run(trace).violations
    return SearchResult(
        trace, violations, bfs_tried + hyp_examples, time.perf_counter() - start, d.key, method,
        exhaustive, regs, bfs_tried, hyp_examples, notes, lower_vtls,
    )


__all__ = ["DEFAULT_BUDGET", "DEFAULT_MAX_LENGTH", "SearchResult", "drop_unfinished", "find_counterexample",
           "register_groups"]
