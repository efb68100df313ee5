"""Complete verification: explore every reachable state of a design, or find the shortest failure.

The counterexample search (:mod:`tdxlab.sim.search`) tries every trace up to a length; this
module explores the *whole* reachable state space breadth-first with a visited set, so its
answer is either **verified** (a fixpoint: no reachable state violates isolation) or the
**shortest counterexample**.  It runs the concrete simulator itself, not a second model of
each design, and makes the state space finite with three reductions, each argued in
``docs/verification.md`` and tested against the concrete checker:

1. **Values up to equality (data independence).** Designs only copy register values between
   slots of the same register and the checker only compares them for equality, so what
   matters of a state is which slots hold *equal* values, not the values.  A ``set`` or
   ``pv_set`` writes a *fresh* value (one no slot holds), and the state key renames each
   register's values in first-occurrence order (reset values, which designs write as
   constants, keep their identity).  Finitely many slots, so finitely many keys.
2. **One register group at a time.** No operation mixes two registers, so a violation in
   register ``r`` needs only events on ``r``: each group of registers the design treats
   identically (:func:`tdxlab.sim.search.register_groups`) is explored on its own, with one
   representative, and the entry flags (``vm_index``) are checked in every one of them.
3. **VPs are interchangeable.** The partition's key is the sorted tuple of its VPs' keys.

Queued ``set`` events are summarised by the last value per register (the last one wins at
the run), which keeps the queue finite.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tdxlab.owners import Owner
from tdxlab.sim.checker import Violation
from tdxlab.sim.designs import Design, get_design
from tdxlab.sim.events import Event
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import (
    DEFAULT_LOWER_VTLS,
    arch_owner,
    check_lower_vtls,
    positive_count,
    reset_value,
    width_of,
)
from tdxlab.sim.search import drop_unfinished, register_groups

#: Default bound on distinct states per register group before the answer is "incomplete".
DEFAULT_MAX_STATES = 5_000_000
#: VP counts ``tdxlab verify`` explores (one suffices, see the module docstring; two is shown).
VERIFY_VPS = (1, 2)


@dataclass(frozen=True)
class GroupResult:
    """The exploration of one register group: its representative, states, transitions, depth."""

    register: str
    states: int
    transitions: int
    depth: int
    complete: bool
    trace: tuple[Event, ...] | None = None


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`.

    ``verified`` is True only when every group reached its fixpoint with no violation
    (``complete`` and no counterexample).  ``counterexample`` is the shortest violating
    trace over all groups, concretised with register-like values, and ``violations`` what
    the concrete checker reports when it is replayed.
    """

    design: str
    vps: int
    lower_vtls: int
    verified: bool
    complete: bool
    states: int
    transitions: int
    seconds: float
    groups: tuple[GroupResult, ...]
    counterexample: list[Event] | None = None
    violations: list[Violation] = field(default_factory=list)

    @property
    def states_per_second(self) -> float:
        """Distinct states explored per second (TLC's unit of speed)."""
        return self.states / self.seconds if self.seconds > 0 else 0.0


# --- the state key ----------------------------------------------------------------------------------
def _register_values(sim: Simulation, vp_index: int, reg: str) -> list[int | None]:
    """Every place ``reg`` lives on one VP, in a fixed order: truth, pages, hidden, queued set."""
    vp = sim.vps[vp_index]
    out: list[int | None] = []
    private = arch_owner(reg, sim.design.platform) is Owner.PRIVATE
    if private:
        out += [vp.truth.private[v].get(reg) for v in sorted(vp.truth.private)]
    else:
        out.append(vp.truth.shared.get(reg))
    for page in vp.store.pages:
        row = page.layout.register_row(reg)
        if row is not None:
            out.append(int.from_bytes(page.data[row.offset: row.offset + row.size], "little"))
    for v in sorted(vp.hidden):
        out.append(vp.hidden[v].get(reg))
    out.append(vp.hidden_shared.get(reg))
    last = None
    for _, ev in vp.pending:
        if ev.reg == reg:
            last = ev.value
    out.append(last)
    return out


_ABSENT, _RESET = -2, -1  # codes for "no value here" and "the reset value" (names are 0, 1, ...)


def _canonical(values: Sequence[int | None], reset: int) -> tuple[int, ...]:
    """Values renamed by first occurrence; the reset value and absence keep their identity."""
    names: dict[int, int] = {}
    out: list[int] = []
    for v in values:
        if v is None:
            out.append(_ABSENT)
        elif v == reset:
            out.append(_RESET)
        else:
            out.append(names.setdefault(v, len(names)))
    return tuple(out)


def _flags(sim: Simulation, vp_index: int) -> tuple[int, ...]:
    """The entry-flag bytes of every page that has them (design-written constants, kept as they are)."""
    out = []
    for page in sim.vps[vp_index].store.pages:
        row = page.layout.register_row("vm_flags")
        if row is not None:
            out.append(int.from_bytes(page.data[row.offset: row.offset + row.size], "little"))
    return tuple(out)


def state_key(sim: Simulation, reg: str) -> tuple[object, ...]:
    """The abstract state of the partition for register ``reg`` (see the module docstring)."""
    reset = reset_value(reg)
    per_vp = []
    for i, vp in enumerate(sim.vps):
        per_vp.append((vp.current, tuple(sorted(vp.enabled)), bool(vp.pending), _flags(sim, i),
                       sim.design.protocol_state(vp.store),
                       _canonical(_register_values(sim, i, reg), reset)))
    return tuple(sorted(per_vp))  # VPs are interchangeable


def _fresh(sim: Simulation, reg: str) -> int:
    """The smallest value of ``reg``'s width that no place holds (and not its reset value)."""
    used = {v for i in range(len(sim.vps)) for v in _register_values(sim, i, reg) if v is not None}
    used.add(reset_value(reg))
    value = 1
    limit = 1 << (8 * width_of(reg))
    while value in used:
        value += 1
    if value >= limit:  # pragma: no cover - more slots than values of a 1-byte register
        raise RuntimeError(f"no fresh value left for {reg}")
    return value


def _alphabet(sim: Simulation, reg: str) -> list[Event]:
    """Every possible event now: the control events on every VP, and set/pv_get/pv_set on ``reg``."""
    value = _fresh(sim, reg)
    return [e for e in sim.valid_events(None, (reg,), (value,)) if e.reg in (None, reg)]


# --- exploration ------------------------------------------------------------------------------------
#: An edge of the one-VP graph: the event, and the state it leads to (``None``: a violation).
_Edge = tuple[Event, int | None]


@dataclass
class _Graph:
    """The reachable abstract states of one VP for one register group, and their edges."""

    edges: list[list[_Edge]]
    complete: bool


def _one_vp_graph(design: Design, reg: str, lower_vtls: int, max_states: int) -> _Graph:
    """Every reachable abstract state of a one-VP partition, breadth-first, with its edges.

    A violating transition is an edge to ``None``: the state after it is not explored (a
    counterexample ends there).  Stops at ``max_states`` (``complete`` False).
    """
    sim = Simulation(design, 1, record=False, lower_vtls=lower_vtls)
    ids = {state_key(sim, reg): 0}
    checkpoints = [sim.checkpoint()]
    edges: list[list[_Edge]] = []
    k = 0
    while k < len(checkpoints):
        sim.restore(checkpoints[k])
        out: list[_Edge] = []
        for event in _alphabet(sim, reg):
            sim.restore(checkpoints[k])
            sim.apply(event)
            if sim.violations:
                out.append((event, None))
                continue
            key = state_key(sim, reg)
            target = ids.get(key)
            if target is None:
                if len(ids) >= max_states:
                    edges.append(out)
                    return _Graph(edges, False)
                target = ids[key] = len(checkpoints)
                checkpoints.append(sim.checkpoint())
            out.append((event, target))
        edges.append(out)
        k += 1
    return _Graph(edges, True)


def _shortest(graph: _Graph) -> tuple[tuple[Event, ...] | None, int, int, int]:
    """BFS of the one-VP graph: (shortest violating trace or None, states, transitions, depth)."""
    parent: dict[int, tuple[int, Event] | None] = {0: None}
    frontier = [0]
    transitions = depth = 0
    while frontier:
        depth += 1
        nxt = []
        for sid in frontier:
            if sid >= len(graph.edges):
                continue
            for event, target in graph.edges[sid]:
                transitions += 1
                if target is None:
                    path = [event]
                    step = parent[sid]
                    while step is not None:
                        path.append(step[1])
                        step = parent[step[0]]
                    return tuple(path[::-1]), len(parent), transitions, depth
                if target not in parent:
                    parent[target] = (sid, event)
                    nxt.append(target)
        frontier = nxt
    return None, len(parent), transitions, depth - 1


def _product(graph: _Graph, max_depth: int | None, max_states: int) -> tuple[int, int, int, bool]:
    """BFS of the two-VP state space as the product of the one-VP graph with itself.

    States are unordered pairs (VPs are interchangeable), kept as one int each; a move is
    one VP's edge (a VP equal to the other moves once, not twice).  Violating edges end
    there.  Returns (states, transitions, depth reached, fixpoint reached).
    """
    edges = graph.edges
    n = len(edges) + 1
    seen = {0}
    frontier = [0]
    transitions = depth = 0
    while frontier and (max_depth is None or depth < max_depth):
        depth += 1
        nxt = []
        for code in frontier:
            a, b = divmod(code, n)
            for mine, other in ((a, b), (b, a)) if a != b else ((a, b),):
                if mine >= len(edges):
                    continue
                for _, target in edges[mine]:
                    transitions += 1
                    if target is None:
                        continue
                    lo, hi = (target, other) if target <= other else (other, target)
                    succ = lo * n + hi
                    if succ not in seen:
                        if len(seen) >= max_states:
                            return len(seen), transitions, depth, False
                        seen.add(succ)
                        nxt.append(succ)
        frontier = nxt
    return len(seen), transitions, depth if frontier else depth - 1, not frontier


def _explore(design: Design, reg: str, vps: int, lower_vtls: int, max_states: int) -> GroupResult:
    """Breadth-first search of one register group's abstract state space on ``vps`` VPs.

    One VP: the graph itself.  Two VPs: the product of the one-VP graph with itself.  That
    *is* the two-VP state space, because a VP's next states depend only on its own state
    (VPs share no page, truth or register); ``tests/test_verify.py`` checks it against a
    direct two-VP exploration of the simulator.  A shortest two-VP counterexample never
    needs the second VP, so it is the one-VP one.
    """
    graph = _one_vp_graph(design, reg, lower_vtls, max_states)
    trace, states, transitions, depth = _shortest(graph)
    if vps == 2:
        states, transitions, depth, fixpoint = _product(graph, len(trace) if trace else None, max_states)
        complete = graph.complete and (fixpoint or trace is not None)
        return GroupResult(reg, states, transitions, depth, complete, trace)
    return GroupResult(reg, states, transitions, depth, graph.complete or bool(trace), trace)


def concretise(trace: Sequence[Event]) -> list[Event]:
    """Give a counterexample register-like values, numbered lines; equal values stay equal.

    The exploration writes the smallest fresh values (1, 2, ...); a reader recognises
    ``0xfffff80100401000`` (a VTL 1 kernel address) faster.  Each distinct (register, value)
    becomes a value that names the writing VTL (``0x...v...``) and fits the register.
    """
    mapping: dict[tuple[str, int], int] = {}
    out = []
    for i, e in enumerate(trace, start=1):
        if e.reg is not None and e.value is not None:
            key = (e.reg, e.value)
            if key not in mapping:
                width = width_of(e.reg)
                n = len(mapping) + 1
                vtl = e.vtl or 0
                nice = (0xFFFFF80000000000 | ((vtl + 1) << 32) | (n << 12)) if width >= 8 else (
                    ((vtl + 1) << 4 | n) & ((1 << (8 * width)) - 1))
                if nice == reset_value(e.reg) or nice in {v for (r, _), v in mapping.items() if r == e.reg}:
                    nice = e.value
                mapping[key] = nice
            e = replace(e, value=mapping[key])
        out.append(replace(e, line=i))
    return out


def verify(design: str | Design, vps: int = 1, lower_vtls: int = DEFAULT_LOWER_VTLS,
           max_states: int = DEFAULT_MAX_STATES) -> VerifyResult:
    """Verify ``design`` for every trace on ``vps`` VPs and ``lower_vtls`` lower VTLs.

    Explores each register group to its fixpoint (or until ``max_states`` distinct states,
    then ``complete`` is False).  The shortest counterexample over all groups, if any, is
    concretised and replayed by the concrete simulator, whose findings are returned.
    """
    d = get_design(design)
    positive_count(vps, "vps")
    if vps not in VERIFY_VPS:
        raise ValueError(f"vps must be 1 or 2 (one suffices: VPs share nothing), got {vps!r}")
    lower_vtls = check_lower_vtls(lower_vtls)
    positive_count(max_states, "max_states")
    start = time.perf_counter()
    groups = []
    for group in register_groups(d, lower_vtls):
        groups.append(_explore(d, group[0], vps, lower_vtls, max_states))
    found = [g for g in groups if g.trace is not None]
    trace = violations = None
    if found:
        shortest = min(found, key=lambda g: (len(g.trace or ()), g.register))
        assert shortest.trace is not None
        trace = concretise(drop_unfinished(d, shortest.trace, lower_vtls))
        replay = Simulation(d, vps, lower_vtls=lower_vtls)
        violations = replay.run(trace).violations
    complete = all(g.complete for g in groups)
    return VerifyResult(
        d.key, vps, lower_vtls, verified=complete and not found, complete=complete or bool(found),
        states=sum(g.states for g in groups), transitions=sum(g.transitions for g in groups),
        seconds=time.perf_counter() - start, groups=tuple(groups), counterexample=trace,
        violations=violations or [],
    )


__all__ = ["DEFAULT_MAX_STATES", "GroupResult", "VerifyResult", "concretise", "state_key", "verify"]
