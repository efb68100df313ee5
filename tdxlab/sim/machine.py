"""The simulation: a partition of VPs stepping through a trace under one design.

The *architectural truth* (what each VTL must observe, per the TLFS) is kept
apart from the design's bytes.  One ``run`` event is:

1. the design's paravisor work before entry (e.g. ``write_private_regs``);
2. the entry: each register is loaded from the design's slot for the entered VTL,
   and the checker compares what the VTL observes with the truth;
3. the guest runs: the ``set`` events queued for this VTL take effect;
4. the exit: the kernel/CPU saves every register back to the same slots;
5. the design's paravisor work after exit (e.g. ``read_private_regs``).

With ``record=True`` every step keeps the bytes of the touched VP's pages, the
changed byte ranges with their field names, the truth and the observation, and
the logged memory accesses: what the views draw and the costs count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from tdxlab.owners import Owner
from tdxlab.sim.checker import AccessKind, Violation, ViolationKind, classify_private
from tdxlab.sim.designs import VM_INDEX_SHIFT, Design, VpStore, entry_flags, get_design
from tdxlab.sim.events import Event, Op, StepOutcome, TraceError, check_vtl
from tdxlab.sim.memory import Access, Actor, Memory, Page, PageKind, Slot
from tdxlab.sim.model import (
    DEFAULT_LOWER_VTLS,
    MODELLED,
    arch_owner,
    check_lower_vtls,
    check_vps,
    reset_value,
    width_of,
)
from tdxlab.sim.trace import lower_vtls_of


@dataclass
class Truth:
    """What each VTL of one VP must observe: one shared set, one private set per VTL."""

    shared: dict[str, int]
    private: dict[int, dict[str, int]]

    def expected(self, vtl: int, reg: str, private: bool) -> int:
        """The value ``vtl`` must observe in ``reg``."""
        return self.private[vtl][reg] if private else self.shared[reg]

    def snapshot(self) -> TruthSnapshot:
        """An immutable copy for the step history."""
        return TruthSnapshot(dict(self.shared), {v: dict(p) for v, p in self.private.items()})


@dataclass(frozen=True)
class TruthSnapshot:
    """Frozen truth of one VP at one step."""

    shared: dict[str, int]
    private: dict[int, dict[str, int]]


@dataclass(frozen=True)
class PageSnapshot:
    """The bytes of one page after a step."""

    name: str
    kind: PageKind
    layout: str
    vtl: int | None
    data: bytes


@dataclass(frozen=True)
class Change:
    """A run of changed bytes in one page, with the fields it belongs to."""

    page: str
    start: int
    end: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class StepRecord:
    """Everything one step did, for the views and the cost accounting."""

    index: int
    event: Event
    active_vtl: tuple[int, ...]
    enabled_vtls: tuple[tuple[int, ...], ...]
    pages: tuple[PageSnapshot, ...]
    changes: tuple[Change, ...]
    violations: tuple[Violation, ...]
    truth: TruthSnapshot
    observed: dict[str, int] | None
    entered_vtl: int | None
    switched: tuple[int, int] | None
    accesses: tuple[Access, ...]
    outcome: StepOutcome

    @property
    def vtl1_enabled(self) -> tuple[bool, ...]:
        """Per VP: has any VTL above VTL 0 been enabled (what the VP strip marks)."""
        return tuple(len(e) > 1 for e in self.enabled_vtls)


@dataclass(frozen=True)
class _Plan:
    """Per-VTL register routing, cached until the VTL's slot map is replaced."""

    slots: dict[str, Slot]
    entries: tuple[tuple[str, Slot], ...]
    keys: tuple[tuple[str, int], ...]
    hidden: tuple[str, ...]  # private registers no page carries: the hardware keeps them per VTL
    hidden_shared: tuple[str, ...]  # shared registers no page carries: the hardware keeps one copy


@dataclass
class _Vp:
    index: int
    store: VpStore
    truth: Truth
    hidden: dict[int, dict[str, int]]
    lower_vtls: int = DEFAULT_LOWER_VTLS
    hidden_shared: dict[str, int] = field(default_factory=dict)
    current: int = 0
    enabled: set[int] = field(default_factory=lambda: {0})
    pending: list[tuple[int, Event]] = field(default_factory=list)
    truth_writer: dict[tuple[int | None, str], int] = field(default_factory=dict)
    plans: dict[int, _Plan] = field(default_factory=dict)


@dataclass(frozen=True)
class _VpCheckpoint:
    pages: tuple[Page, ...]
    data: tuple[bytes, ...]
    slots: dict[int, dict[str, Slot]]
    bank: dict[int, dict[str, Slot]]
    shared: dict[str, int]
    private: dict[int, dict[str, int]]
    hidden: dict[int, dict[str, int]]
    hidden_shared: dict[str, int]
    current: int
    enabled: frozenset[int]
    pending: tuple[tuple[int, Event], ...]
    truth_writer: dict[tuple[int | None, str], int]


@dataclass(frozen=True)
class Checkpoint:
    """A saved simulation state; :meth:`Simulation.restore` rewinds to it.

    The counterexample search explores many branches from one prefix; copying the
    whole simulation per branch would cost milliseconds, a checkpoint tens of microseconds.
    """

    vps: tuple[_VpCheckpoint, ...]
    events: int
    violations: int
    steps: int
    last_writer: dict[tuple[str, int], int]

    def state_key(self) -> tuple[object, ...]:
        """A hashable key equal for two checkpoints whose futures are identical (bytes, truth, VTLs)."""
        return tuple(
            (v.data, v.current, v.enabled, tuple((e.reg, e.value) for _, e in v.pending),
             tuple(v.shared.values()), tuple((k, tuple(p.values())) for k, p in sorted(v.private.items())),
             tuple((k, tuple(h.values())) for k, h in sorted(v.hidden.items())),
             tuple(v.hidden_shared.values()))
            for v in self.vps
        )


@dataclass
class SimResult:
    """Outcome of running a trace: the steps (if recorded), violations, and initial pages."""

    design: Design
    vps: int
    steps: list[StepRecord]
    violations: list[Violation]
    initial: dict[int, tuple[PageSnapshot, ...]]
    initial_truth: dict[int, TruthSnapshot]
    events: int = 0
    lower_vtls: int = DEFAULT_LOWER_VTLS

    def pages_at(self, step: int, vp: int) -> tuple[PageSnapshot, ...]:
        """Pages of ``vp`` after step ``step`` (``-1`` = before the first event)."""
        for rec in reversed(self.steps[: step + 1]):
            if rec.event.vp == vp:
                return rec.pages
        return self.initial[vp]

    def truth_at(self, step: int, vp: int) -> TruthSnapshot:
        """Truth of ``vp`` after step ``step``."""
        for rec in reversed(self.steps[: step + 1]):
            if rec.event.vp == vp:
                return rec.truth
        return self.initial_truth[vp]


@dataclass(frozen=True)
class _Outcome:
    """What a handler reports back to :meth:`Simulation.apply`."""

    outcome: StepOutcome
    observed: dict[str, int] | None = None
    entered: int | None = None
    switched: tuple[int, int] | None = None
    found: list[Violation] = field(default_factory=list)


#: The most steps a recording simulation keeps (the Stepper, the comparison, ``simulate --steps``):
#: each step's record holds page snapshots, about 18 KB, so 100,000 steps already take 1.8 GB.
MAX_RECORDED_STEPS = 100_000


class _VpList(Sequence["_Vp"]):
    """The VPs of a partition, each made (pages allocated, reset state written) when first used.

    A VP costs about 37 KB; a trace that names only VP 4,095 must not pay for 4,096 of them up
    front.  Indexing makes the VP; iterating makes every VP (the few places that need them all:
    checkpoints, ``valid_events`` over every VP), and :meth:`made` gives only those made so far.
    """

    def __init__(self, count: int, make: Callable[[int], _Vp]) -> None:
        """``count`` VPs, VP ``i`` made by ``make(i)`` on first use."""
        self._count = count
        self._make = make
        self._made: dict[int, _Vp] = {}

    def __len__(self) -> int:
        """How many VPs the partition has (made or not)."""
        return self._count

    @overload
    def __getitem__(self, index: int) -> _Vp: ...
    @overload
    def __getitem__(self, index: slice) -> list[_Vp]: ...
    def __getitem__(self, index: int | slice) -> _Vp | list[_Vp]:
        """VP ``index``, made now if it was not yet."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"vp {index} out of range")
        vp = self._made.get(index)
        if vp is None:
            vp = self._made[index] = self._make(index)
        return vp

    def __iter__(self) -> Iterator[_Vp]:
        """Every VP, in index order (making those not made yet)."""
        return (self[i] for i in range(self._count))

    def made(self) -> list[_Vp]:
        """The VPs made so far, in index order."""
        return [self._made[i] for i in sorted(self._made)]


class _Initial(dict[int, Any]):
    """VP index -> what it held before the first event; a VP never made is made when asked for."""

    def __init__(self, vps: _VpList) -> None:
        super().__init__()
        self._vps = vps

    def __missing__(self, index: int) -> Any:
        self._vps[index]  # making the VP records its initial state here
        return dict.__getitem__(self, index)


class Simulation:
    """A partition of ``vps`` VPs, each with VTL 0 (and higher VTLs once enabled), under one design.

    ``lower_vtls`` (2 or 3) is how many VTLs the partition has below the paravisor.
    """

    def __init__(self, design: str | Design, vps: int = 1, *, record: bool = True,
                 lower_vtls: int = DEFAULT_LOWER_VTLS) -> None:
        """Create the VPs and write their reset state through the design."""
        check_vps(vps)
        self.lower_vtls = check_lower_vtls(lower_vtls)
        self.design = get_design(design)
        self.record = record
        self.mem = Memory(log=record)
        platform = self.design.platform
        self._private = frozenset(r for r in MODELLED if arch_owner(r, platform) is Owner.PRIVATE)
        self.vps = _VpList(vps, self._made_vp)
        self.steps: list[StepRecord] = []
        self.violations: list[Violation] = []
        self.events = 0
        self.initial: dict[int, tuple[PageSnapshot, ...]] = _Initial(self.vps) if record else {}
        self.initial_truth: dict[int, TruthSnapshot] = _Initial(self.vps) if record else {}

    def _made_vp(self, index: int) -> _Vp:
        """Make VP ``index`` at its reset state as if at the start: no step wrote it, nothing logged."""
        logged = self.mem.take() if self.record else []
        step, self.mem.step = self.mem.step, -1
        try:
            vp = self._new_vp(index)
        finally:
            self.mem.step = step
        if self.record:
            self.mem.take()  # the reset writes belong to no step
            assert self.mem.log is not None
            self.mem.log.extend(logged)
            dict.__setitem__(self.initial, index, self._snap(vp))
            dict.__setitem__(self.initial_truth, index, vp.truth.snapshot())
        return vp

    # --- set-up -------------------------------------------------------------------------------
    def _new_vp(self, index: int) -> _Vp:
        store = self.design.create(index)
        reset = {r: reset_value(r) for r in MODELLED}
        truth = Truth({r: v for r, v in reset.items() if r not in self._private},
                      {0: {r: v for r, v in reset.items() if r in self._private}})
        vp = _Vp(index, store, truth, {0: {}}, self.lower_vtls)
        self._initialise_vtl(vp, 0, shared_too=True)
        return vp

    def _initialise_vtl(self, vp: _Vp, vtl: int, shared_too: bool) -> None:
        """Write a VTL's reset values where the paravisor keeps them (HvCallEnableVpVtl context)."""
        hidden: dict[str, int] = {}
        for reg in MODELLED:
            private = reg in self._private
            if not private and not shared_too:
                continue
            value = vp.truth.expected(vtl, reg, private)
            slot = self.design.reset_slot(vp.store, vtl, reg)
            if slot is None and private:
                hidden[reg] = value
            elif slot is None:  # e.g. MXCSR_MASK on SNP: not in the VMSA, one value per VP
                vp.hidden_shared[reg] = value
            else:
                self.mem.write(Actor.PARAVISOR, slot, value)
        vp.hidden[vtl] = hidden
        flags = self.design.reset_slot(vp.store, vtl, "vm_flags")
        if flags is not None:  # OV TdxPrivateRegs::new: vm_index = VTL + 1, a TLB flush pending
            self.mem.write(Actor.PARAVISOR, flags, entry_flags(vtl, True))

    # --- stepping -----------------------------------------------------------------------------
    def _vp(self, index: object, line: int | None = None) -> _Vp:
        """VP ``index``, or a one-line TraceError (a ValueError) naming the partition's VPs."""
        if isinstance(index, bool) or not isinstance(index, int) or index not in range(len(self.vps)):
            raise TraceError(f"vp {index!r} does not exist (partition has {len(self.vps)} VPs: "
                             f"0..{len(self.vps) - 1})", line)
        return self.vps[index]

    def apply(self, event: Event) -> StepRecord | None:
        """Apply one event; return its record when recording.  Impossible events raise TraceError.

        A rejected event leaves the simulation exactly as it was: its kind's rule in
        :data:`OP_RULES` is checked before its handler changes anything.
        """
        if self.record and self.events >= MAX_RECORDED_STEPS:
            raise TraceError(f"the step view records every step, and stops at {MAX_RECORDED_STEPS:,} "
                             "(about 18 KB each); tdxlab simulate without --steps streams a trace of any "
                             "length", event.line)
        vp = self._vp(event.vp, event.line)
        if event.vtl is not None:
            check_vtl(event.vtl, self.lower_vtls, event.line)
        rule = OP_RULES[event.op]
        why = rule.reject(vp, event)
        if why is not None:
            raise TraceError(why, event.line)
        step = self.events
        self.mem.step = step
        before = self._snap(vp) if self.record else ()
        out = rule.handle(self, vp, event, step)
        self.events += 1
        self.violations += out.found
        if not self.record:
            return None
        after = self._snap(vp)
        rec = StepRecord(
            step, event, self.active_vtls, self._enabled_vtls(),
            after, tuple(_changes(before, after, vp.store)), tuple(out.found), vp.truth.snapshot(),
            out.observed, out.entered, out.switched, tuple(self.mem.take()), out.outcome,
        )
        self.steps.append(rec)
        return rec

    def valid_events(self, vp: int | None = None, regs: Sequence[str] = MODELLED,
                     values: Sequence[int] = (1,)) -> list[Event]:
        """Every event that is possible now (on ``vp``, or on every VP), in :class:`Op` order.

        The one answer to "what may happen next": the counterexample search, the property
        tests and the simulator benchmark draw their events from it, and :meth:`apply`
        accepts exactly these (both use :data:`OP_RULES`).  ``set`` events are offered for
        ``regs`` x ``values``.  A VP that does not exist is a one-line error.
        """
        chosen = self.vps if vp is None else [self._vp(vp)]
        out: list[Event] = []
        for v in chosen:
            for rule in OP_RULES.values():
                out += [e for e in rule.candidates(v, regs, values) if rule.reject(v, e) is None]
        return out

    # --- the handlers of OP_RULES ---------------------------------------------------------------
    def _enable(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        assert event.vtl is not None
        vp.enabled.add(event.vtl)
        vp.truth.private[event.vtl] = {r: reset_value(r) for r in self._private}
        self.design.add_vtl(vp.store, event.vtl)
        self._initialise_vtl(vp, event.vtl, shared_too=False)
        return _Outcome(StepOutcome.ENABLED)

    def _set(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        vp.pending.append((step, event))
        return _Outcome(StepOutcome.QUEUED)

    def _run_event(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        entered = vp.current
        observed, found = self._run(vp, step)
        return _Outcome(StepOutcome.RAN, observed, entered, None, found)

    def _switch(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        target = _target(vp, event)
        if not _switches(vp, event):  # an interrupt for the running or a lower VTL
            return _Outcome(StepOutcome.DELIVERED if event.vtl == vp.current else StepOutcome.WAITS)
        src = vp.current
        self.design.on_switch(vp.store, src, target, self.mem)
        vp.current = target
        if event.op is Op.VTL_RETURN and not event.is_fast:
            # TLFS HvCallVtlReturn: unless fast, the lower VTL's RAX and RCX are restored from
            # the VP VTL control page (OV hardware_cvm: after switch_vtl, from VTL 1's saved
            # return registers).  The paravisor writes them into the lower VTL's state.
            for reg, value in zip(("rax", "rcx"), event.restored, strict=True):
                self._pv_write(vp, target, reg, value, step)
        return _Outcome(StepOutcome.SWITCHED, switched=(src, target))

    def _write_truth(self, vp: _Vp, vtl: int, reg: str, value: int, step: int) -> bool:
        """``vtl`` legitimately gets ``value`` in ``reg`` at ``step`` (a guest set or the paravisor).

        Returns whether the register is private (the truth keeps it per VTL).
        """
        private = reg in self._private
        if private:
            vp.truth.private[vtl][reg] = value
        else:
            vp.truth.shared[reg] = value
        vp.truth_writer[(vtl if private else None, reg)] = step
        return private

    def _pv_write(self, vp: _Vp, vtl: int, reg: str, value: int, step: int) -> None:
        """The paravisor sets ``vtl``'s ``reg``: the truth changes, the design stores it its way."""
        private = self._write_truth(vp, vtl, reg, value, step)
        slot = self.design.pv_slot(vp.store, vp.current, vtl, reg)
        if slot is not None:
            self.mem.write(Actor.PARAVISOR, slot, value)
        elif private:  # no page carries it: the hardware keeps it per VTL
            vp.hidden[vtl][reg] = value
        else:
            vp.hidden_shared[reg] = value

    def _pv_get(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        assert event.vtl is not None and event.reg is not None
        vtl, reg = event.vtl, event.reg
        slot = self.design.pv_slot(vp.store, vp.current, vtl, reg)
        private = reg in self._private
        if slot is not None:
            got = self.mem.read(Actor.PARAVISOR, slot)
        else:
            got = vp.hidden[vtl][reg] if private else vp.hidden_shared[reg]
        found = []
        if got != vp.truth.expected(vtl, reg, private):
            found.append(self._finding(vp, vtl, reg, got, slot, step, AccessKind.PV_GET))
        return _Outcome(StepOutcome.READ, observed={reg: got}, found=found)

    def _pv_set(self, vp: _Vp, event: Event, step: int) -> _Outcome:
        assert event.vtl is not None and event.reg is not None and event.value is not None
        self._pv_write(vp, event.vtl, event.reg, event.value, step)
        return _Outcome(StepOutcome.WROTE)

    def _plan(self, vp: _Vp, vtl: int) -> _Plan:
        """Which registers ``vtl`` loads from slots and which the design keeps elsewhere (cached)."""
        slots = vp.store.slots[vtl]
        plan = vp.plans.get(vtl)
        if plan is None or plan.slots is not slots:  # add_vtl or restore() gave the VTL new slots
            entries = tuple((reg, slots[reg]) for reg in MODELLED if reg in slots)
            keys = tuple((slot.page.name, slot.row.offset) for _, slot in entries)
            missing = [r for r in MODELLED if r not in slots]
            plan = _Plan(slots, entries, keys, tuple(r for r in missing if r in self._private),
                         tuple(r for r in missing if r not in self._private))
            vp.plans[vtl] = plan
        return plan

    def _run(self, vp: _Vp, step: int) -> tuple[dict[str, int], list[Violation]]:
        vtl = vp.current
        design, mem, store = self.design, self.mem, vp.store
        design.before_entry(store, vtl, mem)
        slots = store.slots[vtl]
        plan = self._plan(vp, vtl)
        hidden = vp.hidden[vtl]
        actor = design.entry_actor
        logging = mem.log is not None
        if logging:
            observed = {reg: mem.read(actor, slot) for reg, slot in plan.entries}
        else:  # same values, without the per-access log calls
            frm = int.from_bytes
            observed = {reg: frm(s.page.data[s.start : s.end], "little") for reg, s in plan.entries}
        for reg in plan.hidden:
            observed[reg] = hidden[reg]
        for reg in plan.hidden_shared:
            observed[reg] = vp.hidden_shared[reg]
        if plan.hidden or plan.hidden_shared:  # keep the catalogue order for the views
            observed = {reg: observed[reg] for reg in MODELLED}
        found = self._check(vp, vtl, observed, step)
        flags = slots.get("vm_flags")
        if flags is not None:
            found += self._check_vm_index(vp, vtl, mem.read(Actor.KERNEL, flags), flags, step)
        # The guest runs: queued sets take effect, in the truth and in the live registers.
        live = dict(observed)
        for set_step, ev in vp.pending:
            assert ev.reg is not None and ev.value is not None
            self._write_truth(vp, vtl, ev.reg, ev.value, set_step)
            live[ev.reg] = ev.value
        vp.pending.clear()
        # The exit: the TDX module / kernel (or VMEXIT into the VMSA) saves every register.
        if logging:
            for reg, slot in plan.entries:
                mem.write(actor, slot, live[reg])
        else:  # only changed values alter bytes; every slot still counts as written by this step
            for reg, slot in plan.entries:
                if live[reg] != observed[reg]:
                    slot.write(live[reg])
            mem.last_writer.update(dict.fromkeys(plan.keys, step))
        for reg in plan.hidden:
            hidden[reg] = live[reg]
        for reg in plan.hidden_shared:
            vp.hidden_shared[reg] = live[reg]
        design.after_exit(store, vtl, mem)
        return observed, found

    def _cause(self, step: int | None) -> Event | None:
        if step is None or step < 0 or not self.record or step >= len(self.steps):
            return None
        return self.steps[step].event

    def _check(self, vp: _Vp, vtl: int, observed: dict[str, int], step: int) -> list[Violation]:
        truth = vp.truth
        if observed == truth.shared | truth.private[vtl]:  # the common case, compared in C
            return []
        slots = vp.store.slots[vtl]
        return [self._finding(vp, vtl, reg, observed[reg], slots.get(reg), step, AccessKind.ENTRY)
                for reg in MODELLED
                if observed[reg] != truth.expected(vtl, reg, reg in self._private)]

    def _finding(self, vp: _Vp, vtl: int, reg: str, got: int, slot: Slot | None, step: int,
                 access: AccessKind) -> Violation:
        """One finding for one wrong value: its kind from whose value it is (one per register)."""
        truth = vp.truth
        private = reg in self._private
        want = truth.expected(vtl, reg, private)
        if private:
            owners = [o for o in sorted(vp.enabled) if o != vtl and truth.private[o][reg] == got]
            kind, source = classify_private(vtl, owners)
            cause = self.mem.last_writer.get((slot.page.name, slot.row.offset)) if slot else None
        else:
            kind, source = ViolationKind.STALE, None
            cause = vp.truth_writer.get((None, reg))
        return Violation(step, vp.index, vtl, reg, want, got, kind, self._cause(cause), cause, source, access)

    def _check_vm_index(self, vp: _Vp, vtl: int, flags: int, slot: Slot, step: int) -> list[Violation]:
        index = (flags >> VM_INDEX_SHIFT) & 0x3
        if index == vtl + 1:
            return []
        cause = self.mem.last_writer.get((slot.page.name, slot.row.offset))
        entered = index - 1  # the L2 VM that gets this VTL's registers instead
        if entered in vp.enabled:  # that VTL observes this VTL's buffer: filed under it, from this VTL
            kind, _ = classify_private(entered, [vtl])
            return [Violation(step, vp.index, entered, "vm_flags.vm_index", vtl + 1, index, kind,
                              self._cause(cause), cause, vtl)]
        kind = ViolationKind.INTEGRITY if vtl > 0 else ViolationKind.LOST  # no such VM: this VTL's entry lost
        return [Violation(step, vp.index, vtl, "vm_flags.vm_index", vtl + 1, index, kind,
                          self._cause(cause), cause)]

    # --- checkpoints -------------------------------------------------------------------------
    def checkpoint(self) -> Checkpoint:
        """Save the whole state (pages, truth, VTLs, pending sets) to rewind to later."""
        vps = tuple(
            _VpCheckpoint(
                tuple(vp.store.pages), tuple(bytes(p.data) for p in vp.store.pages),
                dict(vp.store.slots), dict(vp.store.bank), dict(vp.truth.shared),
                {v: dict(p) for v, p in vp.truth.private.items()},
                {v: dict(h) for v, h in vp.hidden.items()}, dict(vp.hidden_shared), vp.current,
                frozenset(vp.enabled),
                tuple(vp.pending), dict(vp.truth_writer),
            )
            for vp in self.vps
        )
        return Checkpoint(vps, self.events, len(self.violations), len(self.steps),
                          dict(self.mem.last_writer))

    def restore(self, cp: Checkpoint) -> None:
        """Rewind to ``cp`` (taken from this simulation): later steps and violations are dropped."""
        for vp, saved in zip(self.vps, cp.vps, strict=True):
            store = vp.store
            store.pages[:] = saved.pages
            for page, data in zip(saved.pages, saved.data, strict=True):
                page.data[:] = data
            store.slots.clear()
            store.slots.update(saved.slots)
            store.bank.clear()
            store.bank.update(saved.bank)
            vp.truth.shared = dict(saved.shared)
            vp.truth.private = {v: dict(p) for v, p in saved.private.items()}
            vp.hidden = {v: dict(h) for v, h in saved.hidden.items()}
            vp.hidden_shared = dict(saved.hidden_shared)
            vp.current = saved.current
            vp.enabled = set(saved.enabled)
            vp.pending = list(saved.pending)
            vp.truth_writer = dict(saved.truth_writer)
        self.events = cp.events
        self.violations = self.violations[: cp.violations]  # new lists: results handed out stay intact
        self.steps = self.steps[: cp.steps]
        self.mem.last_writer = dict(cp.last_writer)
        self.mem.take()

    # --- whole traces ---------------------------------------------------------------------------
    def run(self, events: Iterable[Event]) -> SimResult:
        """Apply every event; pending ``set`` events at the end of the trace are an error."""
        for event in events:
            self.apply(event)
        self.finish()
        return self.result()

    def unfinished(self) -> list[int]:
        """Steps of the ``set`` events no run has carried out yet (a trace may not end with them)."""
        return sorted(step for vp in self.vps.made() for step, _ in vp.pending)

    def finish(self) -> None:
        """Reject a trace that ends with ``set`` events no run ever carried out."""
        for vp in self.vps.made():
            if vp.pending:
                ev = vp.pending[0][1]
                raise TraceError(f"set for VTL {ev.vtl} on VP {vp.index} never took effect: the trace "
                                 "ends before that VTL runs again", ev.line)

    def result(self) -> SimResult:
        """The result so far."""
        return SimResult(self.design, len(self.vps), self.steps, self.violations, self.initial,
                         self.initial_truth, self.events, self.lower_vtls)

    def _snap(self, vp: _Vp) -> tuple[PageSnapshot, ...]:
        pages = vp.store.pages
        return tuple(PageSnapshot(p.name, p.kind, p.layout.name, p.vtl, bytes(p.data)) for p in pages)

    @property
    def active_vtls(self) -> tuple[int, ...]:
        """Current lower VTL of each VP (VTL 0 for a VP no event has named yet)."""
        current = [0] * len(self.vps)
        for v in self.vps.made():
            current[v.index] = v.current
        return tuple(current)

    def _enabled_vtls(self) -> tuple[tuple[int, ...], ...]:
        """The enabled lower VTLs of each VP (VTL 0 only for a VP not made yet)."""
        enabled: list[tuple[int, ...]] = [(0,)] * len(self.vps)
        for v in self.vps.made():
            enabled[v.index] = tuple(sorted(v.enabled))
        return tuple(enabled)


def _changes(before: Sequence[PageSnapshot], after: Sequence[PageSnapshot], store: VpStore) -> list[Change]:
    prior = {p.name: p.data for p in before}
    out: list[Change] = []
    for snap in after:
        old = prior.get(snap.name)
        layout = store.page(snap.name).layout
        if old is None:
            if any(snap.data):
                out.append(Change(snap.name, 0, len(snap.data), ("<new page>",)))
            continue
        if old == snap.data:
            continue
        diff = np.frombuffer(old, np.uint8) != np.frombuffer(snap.data, np.uint8)
        idx = np.flatnonzero(diff)
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.concatenate(([idx[0]], idx[breaks + 1]))
        ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            names = tuple(r.path for r in layout.rows_in(s, e))
            out.append(Change(snap.name, s, e, names))
    return out


def simulate(design: str | Design, events: Sequence[Event], vps: int | None = None,
             record: bool = True, lower_vtls: int | None = None) -> SimResult:
    """Run ``events`` under ``design`` on enough VPs for the trace (or ``vps``).

    The partition has the trace's own VTL count (a parsed :class:`~tdxlab.sim.trace.Trace`
    remembers it), else ``lower_vtls``, else 2; a trace and an argument that disagree
    are an error.
    """
    needed = max((e.vp for e in events), default=0) + 1
    if vps is None:
        vps = needed
    elif isinstance(vps, int) and not isinstance(vps, bool) and 0 < vps < needed:
        raise ValueError(f"trace uses VP {needed - 1} but --vps is {vps}")
    count = lower_vtls_of(events, lower_vtls)
    if lower_vtls is not None and count != lower_vtls:
        raise ValueError(f"the trace is for {count} lower VTLs but lower_vtls is {lower_vtls}")
    return Simulation(design, vps, record=record, lower_vtls=count).run(events)


# --- one rule per event kind ----------------------------------------------------------------------
@dataclass(frozen=True)
class OpRule:
    """Everything the machine knows about one event kind (its shape is :class:`~tdxlab.sim.events.Op`).

    ``reject`` says why the event is impossible in the VP's current state (``None``: it is
    possible); ``candidates`` lists the events of this kind worth trying on a VP (the
    search's alphabet, before ``reject`` filters it); ``handle`` applies a possible event.
    """

    reject: Callable[[_Vp, Event], str | None]
    candidates: Callable[[_Vp, Sequence[str], Sequence[int]], Iterator[Event]]
    handle: Callable[[Simulation, _Vp, Event, int], _Outcome]


def _target(vp: _Vp, event: Event) -> int:
    """The VTL the VP is in after a switching kind of event.

    TLFS (Virtual Secure Mode, "VTL call" / "VTL return"): a VTL call switches to the next
    higher VTL and a VTL return to the next lower one; an interrupt targeted at a higher
    VTL switches straight to it, and one for a lower VTL never lowers the current VTL.
    """
    if event.op is Op.VTL_CALL:
        return vp.current + 1
    if event.op is Op.VTL_RETURN:
        return vp.current - 1
    assert event.vtl is not None
    return max(vp.current, event.vtl)


def _switches(vp: _Vp, event: Event) -> bool:
    """True when the event changes the VP's VTL: a kind that can switch (``Op.switches``) to another VTL."""
    return event.op.switches and _target(vp, event) != vp.current


def _reject_enable(vp: _Vp, event: Event) -> str | None:
    assert event.vtl is not None
    if event.vtl in vp.enabled:
        return f"VTL {event.vtl} is already enabled on VP {vp.index}"
    if event.vtl - 1 not in vp.enabled:  # VTLs are enabled in order, each by the one above it
        return (f"enable_vtl: VTL {event.vtl} cannot be enabled on VP {vp.index} before VTL "
                f"{event.vtl - 1}")
    return None


def _reject_set(vp: _Vp, event: Event) -> str | None:
    if event.vtl not in vp.enabled:
        return f"set: VTL {event.vtl} is not enabled on VP {vp.index}"
    if event.vtl != vp.current:
        return f"set: VTL {event.vtl} is not running on VP {vp.index} (current VTL is {vp.current})"
    return None


def _reject_pv(vp: _Vp, event: Event) -> str | None:
    if event.vtl not in vp.enabled:
        return f"{event.op.value}: VTL {event.vtl} is not enabled on VP {vp.index}"
    return None


def _reject_switch(vp: _Vp, event: Event) -> str | None:
    if event.op is Op.VTL_CALL and vp.current + 1 >= vp.lower_vtls:
        return (f"vtl_call: VP {vp.index} is in VTL {vp.current}, the highest lower VTL of this "
                f"{vp.lower_vtls}-VTL partition; there is no lower VTL above it to call")
    if event.op is Op.VTL_RETURN and vp.current == 0:
        return f"vtl_return: VP {vp.index} is in VTL 0; there is no lower VTL to return to"
    target = _target(vp, event)
    if target not in vp.enabled:
        return f"{event.op.value}: VTL {target} is not enabled on VP {vp.index}"
    if _switches(vp, event) and vp.pending:
        first = vp.pending[0][1]
        return (f"{event.op.value}: the set at line {first.line} for VTL {vp.current} never took "
                "effect; a run must come before the VTL switch")
    return None


def _never(vp: _Vp, event: Event) -> str | None:
    return None


Candidates = Callable[[_Vp, Sequence[str], Sequence[int]], Iterator[Event]]


def _plain(op: Op) -> Candidates:
    def gen(vp: _Vp, regs: Sequence[str], values: Sequence[int]) -> Iterator[Event]:
        yield Event(op, vp.index)
    return gen


def _returns(vp: _Vp, regs: Sequence[str], values: Sequence[int]) -> Iterator[Event]:
    """Both return kinds: not fast (RAX/RCX from the control page, left zero) and fast."""
    yield Event(Op.VTL_RETURN, vp.index)
    yield Event(Op.VTL_RETURN, vp.index, fast=True)


def _per_vtl(op: Op, first: int = 0) -> Candidates:
    def gen(vp: _Vp, regs: Sequence[str], values: Sequence[int]) -> Iterator[Event]:
        for vtl in range(first, vp.lower_vtls):
            yield Event(op, vp.index, vtl)
    return gen


def _with_values(op: Op) -> Candidates:
    def gen(vp: _Vp, regs: Sequence[str], values: Sequence[int]) -> Iterator[Event]:
        for vtl in range(vp.lower_vtls):
            for reg in regs:
                for value in values:
                    yield Event(op, vp.index, vtl, reg, value % (1 << (8 * width_of(reg))))
    return gen


def _reads(vp: _Vp, regs: Sequence[str], values: Sequence[int]) -> Iterator[Event]:
    for vtl in range(vp.lower_vtls):
        for reg in regs:
            yield Event(Op.PV_GET, vp.index, vtl, reg)


#: The rule of every event kind, in :class:`Op` order (checked below to cover every member).
OP_RULES: dict[Op, OpRule] = {
    Op.ENABLE_VTL: OpRule(_reject_enable, _per_vtl(Op.ENABLE_VTL, 1), Simulation._enable),
    Op.SET: OpRule(_reject_set, _with_values(Op.SET), Simulation._set),
    Op.RUN: OpRule(_never, _plain(Op.RUN), Simulation._run_event),
    Op.VTL_CALL: OpRule(_reject_switch, _plain(Op.VTL_CALL), Simulation._switch),
    Op.VTL_RETURN: OpRule(_reject_switch, _returns, Simulation._switch),
    Op.INTERRUPT: OpRule(_reject_switch, _per_vtl(Op.INTERRUPT), Simulation._switch),
    Op.PV_GET: OpRule(_reject_pv, _reads, Simulation._pv_get),
    Op.PV_SET: OpRule(_reject_pv, _with_values(Op.PV_SET), Simulation._pv_set),
}
_missing_rules = [op.value for op in Op if op not in OP_RULES]
if _missing_rules:  # pragma: no cover - a new Op member without its rule
    raise ImportError(f"tdxlab.sim.machine.OP_RULES has no rule for {', '.join(_missing_rules)}")
