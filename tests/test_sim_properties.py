"""Property-based tests (hypothesis, deterministic, bounded): the designs on random valid traces.

* ``bank``, ``split`` and ``snp`` never violate, on 1-4 VPs;
* ``naive`` always violates once a VTL 1 run sits between two VTL 0 runs and the two
  VTLs hold different values in a private register: VTL 0's second entry finds VTL 1's
  value (one disclosure finding, with VTL 0's value expected, VTL 1's found and VTL 1 as
  its source).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdxlab.owners import Owner
from tdxlab.registers import Platform
from tdxlab.sim.checker import AccessKind, ViolationKind
from tdxlab.sim.designs import Design, fix_designs
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import Simulation, simulate
from tdxlab.sim.model import MODELLED, arch_owner, width_of

SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PRIVATE = [r for r in MODELLED if arch_owner(r, Platform.TDX) is Owner.PRIVATE]
#: The designs proposed as fixes: each must never violate (which designs are fixes is pinned in
#: test_sim_designs.py; a design registered as a fix is held to this too).
FIXES = [d.key for d in fix_designs()]


def values(reg: str) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 3), st.integers(0, (1 << (8 * width_of(reg))) - 1))


@dataclass
class Builder:
    """Emits only events the simulation says are valid now (``Simulation.valid_events``).

    The rules of the trace format live in the machine's rule table alone; the builder
    tracks state by applying each event to a simulation of its own.
    """

    vps: int
    events: list[Event] = field(default_factory=list)
    sim: Simulation = field(init=False)

    def __post_init__(self) -> None:
        self.sim = Simulation("naive", self.vps, record=False)

    @property
    def current(self) -> list[int]:
        return list(self.sim.active_vtls)

    @property
    def enabled(self) -> list[bool]:
        return [1 in vp.enabled for vp in self.sim.vps]

    @property
    def pending(self) -> list[int]:
        return [len(vp.pending) for vp in self.sim.vps]

    def add(self, event: Event) -> None:
        regs, vals = [event.reg or MODELLED[0]], [0 if event.value is None else event.value]
        assert event in self.sim.valid_events(event.vp, regs, vals), f"invalid event asked for: {event}"
        self.sim.apply(event)
        self.events.append(event)

    def random(self, draw: st.DrawFn, vps: list[int], avoid: str | None = None) -> None:
        vp = draw(st.sampled_from(vps))
        reg = draw(st.sampled_from([r for r in MODELLED if r != avoid]))
        events = self.sim.valid_events(vp, [reg], [draw(values(reg))])
        # A set twice as likely as any other kind: traces write registers more than they switch.
        self.add(draw(st.sampled_from(events + [e for e in events if e.op is Op.SET])))

    def flush(self) -> None:
        """Run every VP that still has sets waiting (a trace may not end with them)."""
        for vp in range(self.vps):
            if self.pending[vp]:
                self.add(Event(Op.RUN, vp))


@st.composite
def valid_traces(draw: st.DrawFn, max_vps: int = 4, max_events: int = 60) -> list[Event]:
    b = Builder(draw(st.integers(1, max_vps)))
    for _ in range(draw(st.integers(0, max_events))):
        b.random(draw, list(range(b.vps)))
    b.flush()
    return b.events


@pytest.mark.parametrize("design", FIXES, ids=FIXES)
@SETTINGS
@given(trace=valid_traces())
def test_correct_designs_never_violate(design: str, trace: list[Event]) -> None:
    assert simulate(design, trace, record=False).violations == []


@dataclass(frozen=True)
class Case:
    trace: list[Event]
    reg: str
    vtl0_value: int
    vtl1_value: int
    final: int  # index of VTL 0's second run


@st.composite
def round_trips(draw: st.DrawFn) -> Case:
    """Random prefix; VTL 0 leaves ``a`` in a private register and runs; VTL 1 leaves ``b != a``
    in it and runs; VTL 0 runs again.  Other VPs' events are interleaved throughout."""
    b = Builder(draw(st.integers(1, 4)))
    others = list(range(1, b.vps))
    for _ in range(draw(st.integers(0, 25))):
        b.random(draw, list(range(b.vps)))
    if b.pending[0]:
        b.add(Event(Op.RUN, 0))
    if b.current[0] == 1:
        b.add(Event(Op.VTL_RETURN, 0))
    reg = draw(st.sampled_from(PRIVATE))
    a = draw(values(reg))
    b_value = draw(values(reg).filter(lambda v: v != a))

    def noise(vp0_too: bool) -> None:
        for _ in range(draw(st.integers(0, 4))):
            vps = others + ([0] if vp0_too else [])
            if vps:
                b.random(draw, vps, avoid=reg)

    b.add(Event(Op.SET, 0, 0, reg, a))
    b.add(Event(Op.RUN, 0))  # VTL 0's first run: its truth now holds a
    noise(False)
    if not b.enabled[0]:
        b.add(Event(Op.ENABLE_VTL, 0, 1))
    b.add(draw(st.sampled_from([Event(Op.VTL_CALL, 0), Event(Op.INTERRUPT, 0, 1)])))
    noise(False)
    b.add(Event(Op.SET, 0, 1, reg, b_value))
    b.add(Event(Op.RUN, 0))  # VTL 1's run: leaves b
    for _ in range(draw(st.integers(0, 3))):  # VTL 1 may run on, never touching reg again
        vp0_set = draw(st.sampled_from([r for r in MODELLED if r != reg]))
        b.add(Event(Op.SET, 0, 1, vp0_set, draw(values(vp0_set))))
        b.add(Event(Op.RUN, 0))
    b.add(Event(Op.VTL_RETURN, 0))
    noise(False)
    final = len(b.events)
    b.add(Event(Op.RUN, 0))  # VTL 0's second run
    b.flush()
    return Case(b.events, reg, a, b_value, final)


@SETTINGS
@given(case=round_trips())
def test_naive_violates_after_a_round_trip(case: Case) -> None:
    vps = max(e.vp for e in case.trace) + 1
    result = Simulation("naive", vps, record=False).run(case.trace)
    at_final = [(v.kind, v.expected, v.found, v.source_vtl, v.access) for v in result.violations
                if v.step == case.final and v.vp == 0 and v.vtl == 0 and v.reg == case.reg]
    # exactly one finding for the register: VTL 0 holds VTL 1's (a higher VTL's) private value
    assert at_final == [(ViolationKind.DISCLOSURE, case.vtl0_value, case.vtl1_value, 1, AccessKind.ENTRY)]


@pytest.mark.parametrize("design", FIXES, ids=FIXES)
@settings(SETTINGS, max_examples=40)
@given(case=round_trips())
def test_correct_designs_survive_the_same_round_trips(design: str, case: Case) -> None:
    assert simulate(design, case.trace, record=False).violations == []


@settings(SETTINGS, max_examples=15,  # the design fixture is a constant: safe to share across examples
          suppress_health_check=[*SETTINGS.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(trace=valid_traces(max_vps=2, max_events=30))
def test_recording_does_not_change_the_outcome(design: Design, trace: list[Event]) -> None:
    def key(record: bool) -> list[tuple[object, ...]]:
        res = simulate(design, trace, record=record)
        return [(v.step, v.vp, v.vtl, v.reg, v.expected, v.found, v.kind, v.cause_step, v.source_vtl,
                 v.access) for v in res.violations]
    assert key(True) == key(False)
