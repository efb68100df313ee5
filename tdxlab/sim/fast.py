"""The fast engine: each design compiled once into slice copies over one list per VP.

The reference engine (:mod:`tdxlab.sim.machine`) moves every register through
:class:`~tdxlab.sim.memory.Memory`, one slot at a time, so that the views can show and the
costs can count each access.  Long traces need none of that, only the outcome: the pages,
the truth and the findings.  This engine gets the same outcome by compiling the design's
*declared* work (:meth:`~tdxlab.sim.designs.Design.entry_copies`, ``exit_copies``,
``entry_writes``, ``flush_slot``, ``switch_copies``, ``pv_slot``) once per design and VTL
count:

* every slot of every page a VP can have gets an index in one Python list per VP (the
  value of the slot, as an int); registers the design treats alike get neighbouring
  indices in every page, so a copy of "all private registers" is one or two slice
  assignments (``m[d:d + n] = m[s:s + n]``) instead of a loop over forty registers;
* the truth each VTL must observe is kept in the order its registers sit in the VP's
  list, so the entry check is one list comparison (``m[a:b] == truth``) in C;
* findings are counted on the hot path; only the first ``keep`` become
  :class:`~tdxlab.sim.checker.Violation` objects, and the event that last wrote a slot
  (a finding's cause) is worked out only for those, from per-plan step stamps.

Page bytes are derived on demand from the list and the one layout declaration.
``tests/test_fast_engine.py`` runs both engines over random traces of every design and
requires identical pages, truth, findings and accepted/rejected events.  A design that
overrides the hooks themselves (``before_entry``, ``after_exit``, ``on_switch``) instead of
declaring its copies, such as the wrapping-counter variant whose copy depends on a value,
is refused with :class:`NotCompilable`; the reference engine runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from operator import ne
from typing import Any, cast

from tdxlab.owners import Owner
from tdxlab.sim.checker import AccessKind, Severity, Violation, ViolationKind, classify_private
from tdxlab.sim.designs import INVD_MASK, VM_INDEX_SHIFT, Design, entry_flags, get_design
from tdxlab.sim.events import Event, Op, TraceError, check_vtl
from tdxlab.sim.machine import OP_RULES, PageSnapshot, TruthSnapshot
from tdxlab.sim.memory import PageKind, Slot
from tdxlab.sim.model import (
    DEFAULT_LOWER_VTLS,
    MODELLED,
    arch_owner,
    check_lower_vtls,
    check_vps,
    reset_value,
)
from tdxlab.sim.trace import lower_vtls_of

#: Findings kept as objects unless asked otherwise; the rest are counted.
DEFAULT_KEEP = 1_000


class NotCompilable(ValueError):
    """The design does its work in overridden hooks, not as declared copies: use the reference engine."""


#: A compiled copy: (source start, destination start, length) over a VP's value list.
Run = tuple[int, int, int]
_HOOKS = ("before_entry", "after_exit", "on_switch")
#: Kinds whose trace shape has no VTL (a programmatic event may still carry one).
_NO_VTL = frozenset(op for op in Op if "vtl" not in op.fields)


def _merge(pairs: list[tuple[int, int]]) -> tuple[Run, ...]:
    """(src, dst) index pairs, in their declared order, as few contiguous runs.

    Pairs are cut into phases where order matters: a pair starts a new phase when it reads a
    slot the phase wrote, or writes one the phase read or wrote (a lazy bank's switch saves
    the run page, then loads it).  Within a phase the copies are independent, so they merge
    into runs sorted by destination; the phases run in order, as the reference engine runs
    the pairs.
    """
    phases: list[list[tuple[int, int]]] = []
    reads: set[int] = set()
    writes: set[int] = set()
    for s, d in pairs:
        if not phases or s in writes or d in writes or d in reads:
            phases.append([])
            reads, writes = set(), set()
        phases[-1].append((s, d))
        reads.add(s)
        writes.add(d)
    runs: list[list[int]] = []
    for phase in phases:
        first = len(runs)
        for s, d in sorted(phase, key=lambda p: p[1]):
            if len(runs) > first and runs[-1][0] + runs[-1][2] == s and runs[-1][1] + runs[-1][2] == d:
                runs[-1][2] += 1
            else:
                runs.append([s, d, 1])
    return tuple((s, d, n) for s, d, n in runs)


def _expand(pairs: list[tuple[Slot, Slot]]) -> list[tuple[Slot, Slot]]:
    """Copy pairs with each block copy (a row holding several registers) as its registers' pairs."""
    out = []
    for a, b in pairs:
        if a.row.register is not None:
            out.append((a, b))
            continue
        into = {r.register: r for r in b.page.layout.rows_in(b.start, b.end) if r.register is not None}
        out += [(Slot(a.page, r), Slot(b.page, into[r.register]))
                for r in a.page.layout.rows_in(a.start, a.end) if r.register is not None]
    return out


def _segments(indices: list[int]) -> tuple[tuple[int, int], ...]:
    """Sorted indices as (start, stop) runs of consecutive values."""
    out: list[list[int]] = []
    for i in sorted(indices):
        if out and out[-1][1] == i:
            out[-1][1] += 1
        else:
            out.append([i, i + 1])
    return tuple((a, b) for a, b in out)


@dataclass(frozen=True)
class PagePlan:
    """One page a VP can have: where its slots sit in the VP's list, and which VTL brings it."""

    role: str  # the page name without the VP (``run``, ``bank1``, ``vmsa0``)
    kind: PageKind
    layout_name: str
    vtl: int | None
    size: int
    since: int  # the VTL whose enabling allocates it (0: from the start)
    rows: tuple[tuple[int, int, int], ...]  # (list index, byte offset, byte size) of each slot


@dataclass(frozen=True)
class HotTables:
    """The compiled facts in the shape the hot loop reads them, made once per compiled design.

    ``single``: per VTL, its one observed run (``None`` when there are several); ``where``:
    per VTL and register, (list index, truth segment, position); ``sets``: per VTL and
    register, (list index, private?, every truth entry a write changes); ``others``: per VTL
    and register, the other VTLs' truth positions; ``kind_of``: per VTL, the kind (index into
    ``_KINDS``) of a wrong private value by the set of other VTLs holding it, as a bitmask;
    ``writes_regs``: per VTL, whether its entry writes reach a register; then plan ids.
    """

    single: tuple[tuple[int, int] | None, ...]
    where: tuple[dict[str, tuple[int, int, int]], ...]
    sets: tuple[dict[str, tuple[int, bool, tuple[tuple[int, int, int], ...]]], ...]
    others: tuple[dict[str, tuple[tuple[int, int, int], ...]], ...]
    kind_of: tuple[tuple[int, ...], ...]
    writes_regs: tuple[bool, ...]
    entry_id: tuple[int, ...]
    exit_id: tuple[int, ...]
    exit_copy_id: tuple[int, ...]
    entry_write_id: tuple[int, ...]
    switch_id: dict[tuple[int, int], int]


def _hot_tables(lower: int, private: frozenset[str], obs: list[dict[str, int]],
                truth_pos: list[dict[str, tuple[int, int]]], segs: list[tuple[tuple[int, int], ...]],
                entry_writes: tuple[tuple[tuple[int, int], ...], ...]) -> HotTables:
    vtls = range(lower)

    def targets(x: int, reg: str) -> tuple[tuple[int, int, int], ...]:
        return tuple((v, *truth_pos[v][reg]) for v in ((x,) if reg in private else vtls))
    def ids(kind: str) -> tuple[int, ...]:
        return tuple(plan_id(kind, x, lower) for x in vtls)
    observed = [frozenset(o.values()) for o in obs]
    return HotTables(
        tuple(s[0] if len(s) == 1 else None for s in segs),
        tuple({r: (obs[x][r], *truth_pos[x][r]) for r in MODELLED} for x in vtls),
        tuple({r: (obs[x][r], r in private, targets(x, r)) for r in MODELLED} for x in vtls),
        tuple({r: tuple((o, *truth_pos[o][r]) for o in vtls if o != x) for r in MODELLED} for x in vtls),
        tuple(tuple(_KIX[classify_private(x, [o for o in vtls if mask >> o & 1])[0]]
                    for mask in range(1 << lower)) for x in vtls),
        tuple(any(w in observed[x] for w, _ in entry_writes[x]) for x in vtls),
        ids("entry"), ids("exit"), ids("exit-copy"), ids("entry-write"),
        {(a, b): plan_id("switch", a * lower + b, lower) for a in vtls for b in vtls if a != b},
    )


@dataclass(frozen=True)
class CompiledDesign:
    """A design's work as index plans over one value list per VP (see the module docstring)."""

    design: Design
    lower_vtls: int
    size: int  # entries in a VP's list (slots of every page, then hidden values)
    pages: tuple[PagePlan, ...]
    private: frozenset[str]  # the architectural private set (what the truth keeps per VTL)
    slots: int  # list indices below this are page slots; the rest are values no page carries
    obs: tuple[dict[str, int], ...]  # per VTL: the list index each register is entered from
    segs: tuple[tuple[tuple[int, int], ...], ...]  # per VTL: the observed indices as runs
    seg_regs: tuple[tuple[tuple[str, ...], ...], ...]  # per VTL: the register at each position
    truth_pos: tuple[dict[str, tuple[int, int]], ...]  # per VTL: register -> (segment, position)
    entry: tuple[tuple[Run, ...], ...]
    entry_writes: tuple[tuple[tuple[int, int], ...], ...]
    exit: tuple[tuple[Run, ...], ...]
    flush: tuple[tuple[int, bool] | None, ...]
    switch: dict[tuple[int, int], tuple[Run, ...]]
    pv: tuple[tuple[dict[str, int], ...], ...]  # [current][vtl] -> register -> list index
    init: tuple[tuple[tuple[int, int], ...], ...]  # per VTL: (index, value) written when it is enabled
    init_hidden: tuple[tuple[tuple[int, int], ...], ...]  # per VTL: hidden values set (no page access)
    flags: tuple[int | None, ...]
    writers: dict[int, tuple[int, ...]]  # list index -> ids of the plans that write it (plan_id)
    bytes_per_run: tuple[int, ...]  # per VTL: bytes the paravisor copies and writes around one run
    bytes_per_switch: dict[tuple[int, int], int]
    entry_bytes: tuple[int, ...]  # per VTL: bytes the kernel/CPU loads on entry (and saves on exit)
    hot: HotTables  # the same facts, shaped for the hot loop

    @property
    def copies_per_run(self) -> tuple[int, ...]:
        """Slice copies around one run of each VTL (the per-entry work, in operations)."""
        return tuple(len(e) + len(x) for e, x in zip(self.entry, self.exit, strict=True))


_COMPILED: dict[tuple[int, int], CompiledDesign] = {}
_PLAN_KINDS = ("entry", "exit", "exit-copy", "entry-write", "switch")


def plan_id(kind: str, which: int, lower_vtls: int) -> int:
    """The stamp index of a plan: entry/exit/exit-copy/entry-write of VTL ``which``, or switch ``a * L + b``."""  # noqa: E501
    return _PLAN_KINDS.index(kind) * lower_vtls + which


def plan_count(lower_vtls: int) -> int:
    """Stamps a VP keeps (one per plan)."""
    return 4 * lower_vtls + lower_vtls * lower_vtls


def compile_design(design: str | Design, lower_vtls: int = DEFAULT_LOWER_VTLS) -> CompiledDesign:
    """Compile ``design`` for a ``lower_vtls``-VTL partition (cached per design object)."""
    d = get_design(design)
    lower_vtls = check_lower_vtls(lower_vtls)
    key = (id(d), lower_vtls)
    hit = _COMPILED.get(key)
    if hit is not None and hit.design is d:
        return hit
    compiled = _compile(d, lower_vtls)
    _COMPILED[key] = compiled
    return compiled


def _compile(d: Design, lower_vtls: int) -> CompiledDesign:
    overridden = [h for h in _HOOKS if getattr(type(d), h) is not getattr(Design, h)]
    if overridden:
        raise NotCompilable(f"design {d.key} overrides {', '.join(overridden)} instead of declaring its "
                            "copies; run it with the reference engine (tdxlab.sim.machine)")
    vtls = range(lower_vtls)
    store = d.create(0)
    since = dict.fromkeys((p.name for p in store.pages), 0)
    for v in vtls[1:]:
        d.add_vtl(store, v)
        for p in store.pages:
            since.setdefault(p.name, v)
    private = frozenset(r for r in MODELLED if arch_owner(r, d.platform) is Owner.PRIVATE)

    declared_entry = {v: d.entry_copies(store, v) for v in vtls}
    declared_exit = {v: d.exit_copies(store, v) for v in vtls}
    declared_switch = {(a, b): d.switch_copies(store, a, b) for a in vtls for b in vtls if a != b}
    # A block copy (a whole FXSAVE image) is its registers' copies here; its bytes, below,
    # are the block's, as the reference engine's memory log counts them.
    entry = {v: _expand(p) for v, p in declared_entry.items()}
    exit_ = {v: _expand(p) for v, p in declared_exit.items()}
    switch = {k: _expand(p) for k, p in declared_switch.items()}
    # Registers the design treats alike sit next to each other in every page: order each
    # page's slots by the plans their register takes part in, so copies merge into runs.
    plans = [*entry.values(), *exit_.values(), *switch.values()]
    names = {reg: i for i, reg in enumerate(MODELLED)}

    def rank(slot: Slot) -> tuple[object, ...]:
        reg = slot.row.register or slot.row.path
        member = tuple(any(reg == (s.row.register or s.row.path) for s, _ in plan) for plan in plans)
        return (reg not in names, member, names.get(reg, len(names)), slot.row.offset)

    slots: dict[tuple[str, int], Slot] = {}

    def note(slot: Slot | None) -> None:
        if slot is not None:
            slots.setdefault((slot.page.name, slot.row.offset), slot)

    for v in vtls:
        for s in store.slots[v].values():
            note(s)
        for s in store.bank.get(v, {}).values():
            note(s)
        for a, b in (*entry[v], *exit_[v]):
            note(a)
            note(b)
        for s, _ in d.entry_writes(store, v):
            note(s)
        served = d.flush_slot(store, v)
        note(served[0] if served else None)
        for reg in (*MODELLED, "vm_flags"):
            note(d.paravisor_slot(store, v, reg))
            note(d.reset_slot(store, v, reg))
            for cur in vtls:
                note(d.pv_slot(store, cur, v, reg))
    for plan in switch.values():
        for a, b in plan:
            note(a)
            note(b)

    index: dict[tuple[str, int], int] = {}
    pages = []
    for page in store.pages:
        own = sorted((s for (name, _), s in slots.items() if name == page.name), key=rank)
        rows = []
        for s in own:
            index[(page.name, s.row.offset)] = len(index)
            rows.append((index[(page.name, s.row.offset)], s.row.offset, s.row.size))
        pages.append(PagePlan(page.name.split(".", 1)[1], page.kind, page.layout.name, page.vtl,
                              page.layout.size, since[page.name], tuple(rows)))
    size = len(index)
    hidden: dict[tuple[int | None, str], int] = {}  # registers no page carries: the hardware keeps them

    def hidden_index(vtl: int | None, reg: str) -> int:
        nonlocal size
        if (vtl, reg) not in hidden:
            hidden[(vtl, reg)] = size
            size += 1
        return hidden[(vtl, reg)]

    def at(slot: Slot) -> int:
        return index[(slot.page.name, slot.row.offset)]

    obs, backed, segs, seg_regs, truth_pos, init, init_hidden, flags = [], [], [], [], [], [], [], []
    for v in vtls:
        where: dict[str, int] = {}
        for reg in MODELLED:
            slot = store.slots[v].get(reg)
            pv_home = d.paravisor_slot(store, v, reg)
            if slot is None and pv_home is not None:
                raise NotCompilable(f"design {d.key}: VTL {v} enters {reg} from no page but the "
                                    "paravisor keeps it in one")
            where[reg] = at(slot) if slot is not None else hidden_index(v if reg in private else None, reg)
        obs.append(where)
        backed.append(frozenset(at(s) for r, s in store.slots[v].items() if r in names))
        runs = _segments(list(where.values()))
        by_index = {i: r for r, i in where.items()}
        segs.append(runs)
        seg_regs.append(tuple(tuple(by_index[i] for i in range(a, b)) for a, b in runs))
        truth_pos.append({r: (k, j) for k, regs in enumerate(seg_regs[-1]) for j, r in enumerate(regs)})
        writes, quiet = [], []
        for reg in MODELLED:  # Simulation._initialise_vtl: VTL 0 writes everything, a later VTL its private set  # noqa: E501
            if v > 0 and reg not in private:
                continue
            home = d.reset_slot(store, v, reg)
            if home is None:
                quiet.append((hidden_index(v if reg in private else None, reg), reset_value(reg)))
            else:
                writes.append((at(home), reset_value(reg)))
        home = d.reset_slot(store, v, "vm_flags")
        if home is not None:
            writes.append((at(home), entry_flags(v, True)))
        init.append(tuple(writes))
        init_hidden.append(tuple(quiet))
        fl = store.slots[v].get("vm_flags")
        flags.append(None if fl is None else at(fl))

    pv = tuple(tuple({reg: (at(ps) if (ps := d.pv_slot(store, cur, v, reg)) is not None
                            else hidden_index(v if reg in private else None, reg)) for reg in MODELLED}
                     for v in vtls) for cur in vtls)

    def runs_of(pairs: list[tuple[Slot, Slot]]) -> tuple[Run, ...]:
        return _merge([(at(a), at(b)) for a, b in pairs])

    entry_runs = tuple(runs_of(entry[v]) for v in vtls)
    exit_runs = tuple(runs_of(exit_[v]) for v in vtls)
    switch_runs = {k: runs_of(p) for k, p in switch.items()}
    writes_c = tuple(tuple((at(s), val) for s, val in d.entry_writes(store, v)) for v in vtls)
    flush = []
    for v in vtls:
        served = d.flush_slot(store, v)
        flush.append(None if served is None else (at(served[0]), served[1]))

    # Plan ids, for the step stamps a finding's cause is worked out from.
    L = lower_vtls
    writers: dict[int, list[int]] = {}
    for v in vtls:
        for i in backed[v]:
            writers.setdefault(i, []).append(plan_id("exit", v, L))
        for _, dst, n in entry_runs[v]:
            for i in range(dst, dst + n):
                writers.setdefault(i, []).append(plan_id("entry", v, L))
        for _, dst, n in exit_runs[v]:
            for i in range(dst, dst + n):
                writers.setdefault(i, []).append(plan_id("exit-copy", v, L))
        for i, _ in writes_c[v]:
            writers.setdefault(i, []).append(plan_id("entry-write", v, L))
    for (sa, sb), sruns in switch_runs.items():
        for _, dst, n in sruns:
            for i in range(dst, dst + n):
                writers.setdefault(i, []).append(plan_id("switch", sa * L + sb, L))

    width = {i: sz for p in pages for i, _, sz in p.rows}
    per_run = [sum(a.size for a, _ in (*declared_entry[v], *declared_exit[v]))
               + sum(width[i] for i, _ in writes_c[v]) for v in vtls]
    per_switch = {k: sum(a.size for a, _ in pairs) for k, pairs in declared_switch.items()}
    entry_bytes = tuple(sum(width[i] for i in backed[v]) for v in vtls)
    return CompiledDesign(
        d, lower_vtls, size, tuple(pages), private, len(index), tuple(obs), tuple(segs), tuple(seg_regs),
        tuple(truth_pos), entry_runs, writes_c, exit_runs, tuple(flush), switch_runs, pv,
        tuple(init), tuple(init_hidden), tuple(flags), {i: tuple(w) for i, w in writers.items()},
        tuple(per_run), per_switch, entry_bytes,
        _hot_tables(lower_vtls, private, obs, truth_pos, segs, writes_c),
    )


class _FastVp:
    """One VP's state of the fast engine.

    One VP's state.  The attribute names are the reference ``_Vp``'s, so the reference
    rules (``OP_RULES[op].reject``) word this engine's errors exactly as they word their own.
    """

    __slots__ = (
        "current",
        "enabled",
        "index",
        "log",
        "lower_vtls",
        "m",
        "pending",
        "stamps",
        "truth",
        "twriter",
        "wrong",
        "wstep",
    )

    def __init__(self, c: CompiledDesign, index: int) -> None:
        self.index = index
        self.lower_vtls = c.lower_vtls
        self.m: list[int] = [0] * c.size
        self.current = 0
        self.enabled = {0}
        self.pending: list[tuple[int, Event]] = []
        self.truth: list[list[list[int]]] = []  # [vtl][segment] -> values, in list order
        for v in range(c.lower_vtls):
            self.truth.append([[reset_value(r) for r in regs] for regs in c.seg_regs[v]])
        self.twriter: dict[str, int] = {}  # shared register -> step of its last legitimate write
        self.stamps: list[int | None] = [None] * plan_count(c.lower_vtls)  # plan id -> last step it ran
        self.wstep: dict[int, int] = {}  # list index -> last step a single write reached it
        # Counting past ``keep``: per VTL, its wrong registers (register -> kind index), the
        # count per kind, and how far into ``log`` (registers written since) it has looked.
        # A copy or an enable forgets them all: any register may have changed.
        self.wrong: dict[int, list[Any]] = {}
        self.log: list[str] = []
        self.enable(c, 0, -1)

    def enable(self, c: CompiledDesign, vtl: int, step: int) -> None:
        """Write a VTL's reset state where the design keeps it (Simulation._initialise_vtl)."""
        m, wstep = self.m, self.wstep
        for i, value in c.init[vtl]:
            m[i] = value
            wstep[i] = step
        for i, value in c.init_hidden[vtl]:
            m[i] = value
        for reg in c.private:  # the enabled VTL's private truth starts at reset
            k, j = c.truth_pos[vtl][reg]
            self.truth[vtl][k][j] = reset_value(reg)

    def forget(self, sim: FastSimulation) -> None:
        """Drop the counted wrong sets, their counts added to the totals first.

        Drop the counted wrong sets, their counts added to ``sim``'s totals first (after a
        copy or an enable any register may have changed).
        """
        if self.wrong:
            for known in self.wrong.values():
                _flush(sim, known)
            self.wrong.clear()
            self.log.clear()


@dataclass(slots=True)  # not frozen: a frozen init costs a Python call per field, per event
class FastStep:
    """One step of a fast run with history: the touched VP's values and truth after it.

    Pages and truth are made from them on demand (:meth:`pages`, :meth:`truth`), equal to
    the reference :class:`~tdxlab.sim.machine.StepRecord`'s; ``found`` is how many findings
    had been kept once the step was done (the step's own are ``kept[previous:found]``).
    """

    index: int
    event: Event
    current: int
    enabled: tuple[int, ...]
    values: list[int]
    truth_values: list[list[list[int]]]
    found: int
    engine: FastSimulation = field(repr=False, compare=False)

    def pages(self) -> tuple[PageSnapshot, ...]:
        """The touched VP's pages after this step."""
        return self.engine._pages_of(self.event.vp, self.values, max(self.enabled))

    def truth(self) -> TruthSnapshot:
        """The touched VP's truth after this step."""
        return self.engine._truth_of(self.truth_values, self.enabled)


@dataclass
class FastResult:
    """What a fast run produced: counts of every finding, the first ``keep`` as objects, the state."""

    design: Design
    lower_vtls: int
    events: int
    findings: int
    kinds: dict[ViolationKind, int]
    kept: list[Violation]
    runs: tuple[int, ...]  # entries per VTL
    switches: dict[tuple[int, int], int]
    engine: FastSimulation = field(repr=False)

    @property
    def complete(self) -> bool:
        """True when every finding is kept as an object (none left out)."""
        return len(self.kept) == self.findings

    @property
    def violations(self) -> list[Violation]:
        """The findings kept, in the reference engine's order (all of them when :attr:`complete`)."""
        return self.kept

    def severity_counts(self) -> dict[Severity, int]:
        """Findings per severity, over all of them (kept or not)."""
        out = dict.fromkeys(Severity, 0)
        for kind, n in self.kinds.items():
            out[kind.severity] += n
        return out

    def bytes_copied(self) -> int:
        """Bytes the paravisor copied and wrote around entries and on switches (from the plans)."""
        c = self.engine.compiled
        return (sum(c.bytes_per_run[v] * n for v, n in enumerate(self.runs))
                + sum(c.bytes_per_switch[k] * n for k, n in self.switches.items()))

    def bytes_entered(self) -> int:
        """Bytes the kernel/CPU loaded on entries (and saved again on the exits)."""
        c = self.engine.compiled
        return sum(c.entry_bytes[v] * n for v, n in enumerate(self.runs))


class FastSimulation:
    """A partition run by the compiled engine (no step history: the reference engine keeps that).

    ``vps`` bounds the VP indices; VPs are created when an event first names them.
    """

    def __init__(self, design: str | Design, vps: int = 1, *, lower_vtls: int = DEFAULT_LOWER_VTLS,
                 keep: int = DEFAULT_KEEP, history: bool = False) -> None:
        """Compile the design (once per design) and prepare ``vps`` VPs lazily.

        ``history``: keep a :class:`FastStep` per event (the touched VP's values and truth),
        from which each step's pages and truth are made on demand.
        """
        self.vp_count = check_vps(vps)
        self.compiled = compile_design(design, lower_vtls)
        self.design = self.compiled.design
        self.lower_vtls = self.compiled.lower_vtls
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError(f"keep must be an integer >= 0, got {keep!r}")
        self.keep = keep
        self.vps: list[_FastVp | None] = [None] * self.vp_count
        self.steps: list[FastStep] | None = [] if history else None
        self.events = 0
        self.findings = 0
        self.kind_counts = [0] * len(_KINDS)  # findings per kind, by position in _KINDS
        self.kept: list[Violation] = []
        self.runs = [0] * self.lower_vtls
        self.switches = [0] * (self.lower_vtls * self.lower_vtls)

    # --- state of one VP ------------------------------------------------------------------------
    def _pages_of(self, index: int, values: list[int], top: int) -> tuple[PageSnapshot, ...]:
        out = []
        for p in self.compiled.pages:
            if p.since > top:
                continue
            data = bytearray(p.size)
            for i, offset, size in p.rows:
                data[offset: offset + size] = values[i].to_bytes(size, "little")
            out.append(PageSnapshot(f"vp{index}.{p.role}", p.kind, p.layout_name, p.vtl, bytes(data)))
        return tuple(out)

    def _truth_of(self, truth: list[list[list[int]]], enabled: Iterable[int]) -> TruthSnapshot:
        c = self.compiled

        def at(vtl: int, reg: str) -> int:
            k, j = c.truth_pos[vtl][reg]
            return truth[vtl][k][j]
        shared = {r: at(0, r) for r in MODELLED if r not in c.private}
        private = {v: {r: at(v, r) for r in MODELLED if r in c.private} for v in sorted(enabled)}
        return TruthSnapshot(shared, private)

    def vp(self, index: int) -> _FastVp:
        """VP ``index`` (created at its reset state when first asked for)."""
        state = self.vps[index]
        if state is None:
            state = self.vps[index] = _FastVp(self.compiled, index)
        return state

    def pages(self, index: int) -> tuple[PageSnapshot, ...]:
        """The bytes of VP ``index``'s pages now, in the reference engine's order and naming."""
        state = self.vp(index)
        return self._pages_of(index, state.m, max(state.enabled))

    def truth(self, index: int) -> TruthSnapshot:
        """What each enabled VTL of VP ``index`` must observe now (the reference's truth)."""
        state = self.vp(index)
        return self._truth_of(state.truth, state.enabled)

    def _expected(self, state: _FastVp, vtl: int, reg: str) -> int:
        k, j = self.compiled.truth_pos[vtl][reg]
        return state.truth[vtl][k][j]

    # --- stepping -------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply one event (the same rules and errors as the reference engine)."""
        self.run_events((event,))

    def run(self, events: Iterable[Event]) -> FastResult:
        """Apply every event (any iterable: a file streams), then require no unfinished ``set``."""
        self.run_events(events)
        self.finish()
        return self.result()

    def finish(self) -> None:
        """Reject a trace that ends with ``set`` events no run carried out (the reference's words)."""
        for state in self.vps:
            if state is not None and state.pending:
                ev = state.pending[0][1]
                raise TraceError(f"set for VTL {ev.vtl} on VP {state.index} never took effect: the trace "
                                 "ends before that VTL runs again", ev.line)

    def result(self) -> FastResult:
        """The result so far."""
        self.settle()
        L = self.lower_vtls
        switches = {(a, b): self.switches[a * L + b] for a in range(L) for b in range(L) if a != b}
        kinds = dict(zip(_KINDS, self.kind_counts, strict=True))
        return FastResult(self.design, L, self.events, self.findings, kinds, self.kept,
                          tuple(self.runs), switches, self)

    def valid_events(self, vp: int, regs: Sequence[str] = MODELLED, values: Sequence[int] = (1,),
                     kind: Op | None = None) -> list[Event]:
        """Every event possible now on ``vp`` (of ``kind``, or of every kind), by the reference rules.

        :meth:`tdxlab.sim.machine.Simulation.valid_events` with the same answer (one rule
        table, ``OP_RULES``), here so that long random traces are drawn at this engine's speed.
        """
        state = self.vp(vp)
        rules = [OP_RULES[kind]] if kind is not None else list(OP_RULES.values())
        return [e for rule in rules for e in rule.candidates(state, regs, values)  # type: ignore[arg-type]
                if rule.reject(state, e) is None]  # type: ignore[arg-type]

    def _reject(self, state: _FastVp, event: Event) -> TraceError:
        """The reference rule's own words for an impossible event."""
        if event.vtl is not None:
            check_vtl(event.vtl, self.lower_vtls, event.line)
        why = OP_RULES[event.op].reject(state, event)  # type: ignore[arg-type]
        if why is None:  # pragma: no cover - the fast check and the rule disagree: a bug here
            raise AssertionError(f"fast engine rejected a possible event: {event}")
        return TraceError(why, event.line)

    def run_events(self, events: Iterable[Event]) -> None:
        """The hot loop: one branch per event kind, slice copies from the compiled plans.

        Every check is the reference rule's (``OP_RULES``) written inline; an event that fails
        one is handed to that rule for its words, so both engines reject with one message.
        """
        c = self.compiled
        vps, n_vps, lower = self.vps, self.vp_count, self.lower_vtls
        entry, exit_, writes, flush, switch = c.entry, c.exit, c.entry_writes, c.flush, c.switch
        segs, flags_at, pv_at, truth_pos = c.segs, c.flags, c.pv, c.truth_pos
        kept, keep, hot = self.kept, self.keep, c.hot
        single, where_all, sets, writes_regs = hot.single, hot.where, hot.sets, hot.writes_regs
        e_id, x_id, xc_id, ew_id, sw_id = (
            hot.entry_id, hot.exit_id, hot.exit_copy_id, hot.entry_write_id, hot.switch_id)
        history = self.steps
        last: dict[int, tuple[list[int], list[list[list[int]]], tuple[int, ...]]] = {}  # per VP: latest snapshot  # noqa: E501
        runs, switches = self.runs, self.switches
        RUN, SET, CALL, RET, INTR = Op.RUN, Op.SET, Op.VTL_CALL, Op.VTL_RETURN, Op.INTERRUPT
        PV_GET, PV_SET, ENABLE = Op.PV_GET, Op.PV_SET, Op.ENABLE_VTL
        shift = VM_INDEX_SHIFT
        step = self.events
        try:
            for event in events:
                i = event.vp
                if type(i) is not int or not 0 <= i < n_vps:
                    raise TraceError(f"vp {i!r} does not exist (partition has {n_vps} VPs: "
                                     f"0..{n_vps - 1})", event.line)
                vp = vps[i]
                if vp is None:
                    vp = vps[i] = _FastVp(c, i)
                op = event.op
                if op is SET:
                    if event.vtl != vp.current:
                        raise self._reject(vp, event)
                    vp.pending.append((step, event))
                elif op is RUN:
                    if event.vtl is not None:
                        check_vtl(event.vtl, lower, event.line)
                    x = vp.current
                    m = vp.m
                    plan = entry[x]
                    if plan:
                        if vp.wrong:
                            vp.forget(self)
                        for s, d, n in plan:
                            if n == 1:
                                m[d] = m[s]
                            else:
                                m[d:d + n] = m[s:s + n]
                        vp.stamps[e_id[x]] = step
                    if writes[x]:
                        for w, value in writes[x]:
                            m[w] = value
                        vp.stamps[ew_id[x]] = step
                        if writes_regs[x] and vp.wrong:
                            vp.forget(self)
                    one = single[x]
                    if one is not None:
                        ok = m[one[0]:one[1]] == vp.truth[x][0]
                    else:
                        ok = all(m[a:b] == t for (a, b), t in zip(segs[x], vp.truth[x], strict=True))
                    fl = flags_at[x]
                    flag_bad = fl is not None and (m[fl] >> shift) & 3 != x + 1
                    if not ok or flag_bad:
                        known = vp.wrong.get(x) if len(kept) >= keep else None
                        if known is None or len(vp.log) > _LOG_LIMIT:
                            self._entry_findings(vp, x, step)
                        else:  # counting: bring the VTL's wrong set up to date, count it once more
                            wrong, counts, seen, _ = known
                            log = vp.log
                            if seen != len(log):
                                truth, where = vp.truth[x], where_all[x]
                                for reg in log[seen:]:
                                    idx, k, j = where[reg]
                                    new = None if m[idx] == truth[k][j] else self._kind(vp, x, reg)
                                    old = wrong.get(reg)
                                    if new != old:
                                        _flush(self, known)
                                        if old is not None:
                                            del wrong[reg]
                                            counts[old] -= 1
                                        if new is not None:
                                            wrong[reg] = new
                                            counts[new] += 1
                                known[2] = len(log)
                            known[3] += 1
                            if flag_bad:
                                self._flag_finding(vp, x, step)
                    if vp.pending:
                        lands = sets[x]
                        all_truth = vp.truth
                        for set_step, ev in vp.pending:
                            sreg, svalue = cast(str, ev.reg), cast(int, ev.value)
                            sidx, is_private, targets = lands[sreg]
                            m[sidx] = svalue
                            for tv, tk, tj in targets:
                                all_truth[tv][tk][tj] = svalue
                            if not is_private:
                                vp.twriter[sreg] = set_step
                            if vp.wrong:
                                vp.log.append(sreg)
                        vp.pending.clear()
                    vp.stamps[x_id[x]] = step
                    plan = exit_[x]
                    if plan:
                        if vp.wrong:
                            vp.forget(self)
                        for s, d, n in plan:
                            if n == 1:
                                m[d] = m[s]
                            else:
                                m[d:d + n] = m[s:s + n]
                        vp.stamps[xc_id[x]] = step
                    served = flush[x]
                    if served is not None:
                        f, logged = served
                        value = m[f]
                        if value & INVD_MASK:
                            m[f] = value & ~INVD_MASK
                            if logged:
                                vp.wstep[f] = step
                    runs[x] += 1
                elif op is CALL or op is RET or op is INTR:
                    src = vp.current
                    if op is INTR:
                        v = event.vtl
                        if type(v) is not int or not 0 <= v < lower:
                            raise self._reject(vp, event)
                        dst = v if v > src else src
                        bad = dst not in vp.enabled
                    else:
                        if event.vtl is not None:
                            check_vtl(event.vtl, lower, event.line)
                        if op is CALL:
                            dst = src + 1
                            bad = dst >= lower or dst not in vp.enabled
                        else:
                            dst = src - 1
                            bad = src == 0
                    if bad or (dst != src and vp.pending):
                        raise self._reject(vp, event)
                    if dst != src:
                        m = vp.m
                        plan = switch[(src, dst)]
                        if plan:
                            if vp.wrong:
                                vp.forget(self)
                            for s, d, n in plan:
                                if n == 1:
                                    m[d] = m[s]
                                else:
                                    m[d:d + n] = m[s:s + n]
                            vp.stamps[sw_id[(src, dst)]] = step
                        vp.current = dst
                        switches[src * lower + dst] += 1
                        if op is RET and not event.fast:
                            rax, rcx = event.control if event.control is not None else (0, 0)
                            self._pv_write(vp, dst, "rax", rax, step)
                            self._pv_write(vp, dst, "rcx", rcx, step)
                elif op is PV_GET or op is PV_SET:
                    v = event.vtl
                    if type(v) is not int or not 0 <= v < lower or v not in vp.enabled:
                        raise self._reject(vp, event)
                    reg = cast(str, event.reg)
                    if op is PV_SET:
                        assert event.value is not None
                        self._pv_write(vp, v, reg, event.value, step)
                    else:
                        idx = pv_at[vp.current][v][reg]
                        k, j = truth_pos[v][reg]
                        if vp.m[idx] != vp.truth[v][k][j]:
                            self._finding(vp, v, reg, vp.m[idx], idx, idx < c.slots, step,
                                          AccessKind.PV_GET)
                elif op is ENABLE:
                    v = event.vtl
                    if type(v) is not int or not 0 <= v < lower or v in vp.enabled or v - 1 not in vp.enabled:
                        raise self._reject(vp, event)
                    vp.enabled.add(v)
                    vp.forget(self)
                    vp.enable(c, v, step)
                else:  # pragma: no cover - a new Op member: OP_RULES covers it, this loop must too
                    raise NotImplementedError(f"fast engine: no branch for {op}")
                if history is not None:
                    snap = last.get(i)
                    if snap is None or not (op is SET or op is PV_GET):  # those change no value or truth
                        snap = last[i] = (vp.m.copy(), [[t.copy() for t in segs_] for segs_ in vp.truth],
                                          tuple(sorted(vp.enabled)))
                    history.append(FastStep(step, event, vp.current, snap[2], snap[0], snap[1], len(kept),
                                            self))
                step += 1
        finally:
            self.events = step

    # --- the slow paths ---------------------------------------------------------------------------
    def _pv_write(self, vp: _FastVp, vtl: int, reg: str, value: int, step: int) -> None:
        """The paravisor sets ``vtl``'s ``reg`` (Simulation._pv_write): the truth, then its home."""
        _, is_private, targets = self.compiled.hot.sets[vtl][reg]
        for v, k, j in targets:
            vp.truth[v][k][j] = value
        if not is_private:
            vp.twriter[reg] = step
        if vp.wrong:
            vp.log.append(reg)
        idx = self.compiled.pv[vp.current][vtl][reg]
        vp.m[idx] = value
        if idx < self.compiled.slots:
            vp.wstep[idx] = step

    def _cause(self, vp: _FastVp, idx: int) -> int | None:
        """The step that last wrote list index ``idx`` (the reference's ``Memory.last_writer``)."""
        stamps = [vp.stamps[w] for w in self.compiled.writers.get(idx, ())]
        stamps.append(vp.wstep.get(idx))
        known = [s for s in stamps if s is not None]
        return max(known) if known else None

    def _finding(self, vp: _FastVp, vtl: int, reg: str, got: int, idx: int, is_slot: bool, step: int,
                 access: AccessKind) -> None:
        """Count one wrong value (Simulation._finding); make the object only while under ``keep``."""
        c = self.compiled
        if reg in c.private:
            owners = [o for o in sorted(vp.enabled) if o != vtl and self._expected(vp, o, reg) == got]
            kind, source = classify_private(vtl, owners)
        else:
            kind, source = ViolationKind.STALE, None
        self.findings += 1
        self.kind_counts[_KIX[kind]] += 1
        if len(self.kept) < self.keep:
            cause = (self._cause(vp, idx) if is_slot else None) if reg in c.private else vp.twriter.get(reg)
            self.kept.append(Violation(step, vp.index, vtl, reg, self._expected(vp, vtl, reg), got, kind,
                                       None, cause, source, access))

    def _entry_findings(self, vp: _FastVp, vtl: int, step: int) -> None:
        """Every wrong register of one entry, in catalogue order, then the entry flags (Simulation._check)."""
        c = self.compiled
        if len(self.kept) >= self.keep:
            self._count_entry(vp, vtl)
            fl = c.flags[vtl]
            if fl is not None and (vp.m[fl] >> VM_INDEX_SHIFT) & 0x3 != vtl + 1:
                self._flag_finding(vp, vtl, step)
            return
        m = vp.m
        wrong: list[tuple[int, str, int]] = []
        for (a, b), t, regs in zip(c.segs[vtl], vp.truth[vtl], c.seg_regs[vtl], strict=True):
            seen = m[a:b]
            if seen != t:
                wrong += [(_ORDER[regs[j]], regs[j], a + j) for j in compress(range(b - a), map(ne, seen, t))]
        if len(self.kept) < self.keep:
            wrong.sort()  # the reference's order (catalogue order), for the findings kept
        for _, reg, idx in wrong:
            self._finding(vp, vtl, reg, m[idx], idx, idx < c.slots, step, AccessKind.ENTRY)
        self._flag_finding(vp, vtl, step)

    def _kind(self, vp: _FastVp, vtl: int, reg: str) -> int | None:
        """The kind (index into ``_KINDS``) of ``vtl``'s finding in ``reg`` now; ``None``: right value."""
        c = self.compiled
        idx, k, j = c.hot.where[vtl][reg]
        got = vp.m[idx]
        if got == vp.truth[vtl][k][j]:
            return None
        if reg not in c.private:
            return _STALE
        mask = 0  # whose value it is: a bit per other enabled VTL holding it
        for o, ok, oj in c.hot.others[vtl][reg]:
            if o in vp.enabled and vp.truth[o][ok][oj] == got:
                mask |= 1 << o
        return c.hot.kind_of[vtl][mask]

    def _count_entry(self, vp: _FastVp, vtl: int) -> None:
        """Start counting one VTL's findings without making them.

        Start counting one VTL's findings without making them (``keep`` is used up): its
        wrong set, built from the state; later entries bring it up to date from ``vp.log``.
        """
        if vp.wrong.get(vtl) is not None:  # a long log: start again from the state itself
            vp.forget(self)
        wrong: dict[str, int] = {}
        counts = [0] * len(_KINDS)
        for reg in MODELLED:
            kind = self._kind(vp, vtl, reg)
            if kind is not None:
                wrong[reg] = kind
                counts[kind] += 1
        vp.wrong[vtl] = [wrong, counts, len(vp.log), 1]

    def settle(self) -> None:
        """Add the entries counted per VTL into the totals (before reading them)."""
        for state in self.vps:
            if state is not None:
                for known in state.wrong.values():
                    _flush(self, known)

    def _flag_finding(self, vp: _FastVp, vtl: int, step: int) -> None:
        """The entry-flags check of one entry (Simulation._check_vm_index)."""
        c, m = self.compiled, vp.m
        fl = c.flags[vtl]
        if fl is None:
            return
        index = (m[fl] >> VM_INDEX_SHIFT) & 0x3
        if index == vtl + 1:
            return
        entered = index - 1  # the L2 VM that gets this VTL's registers instead
        if entered in vp.enabled:  # filed under the VTL that observes this one's buffer
            kind, _ = classify_private(entered, [vtl])
            found = Violation(step, vp.index, entered, "vm_flags.vm_index", vtl + 1, index, kind, None,
                              None, vtl)
        else:
            kind = ViolationKind.INTEGRITY if vtl > 0 else ViolationKind.LOST
            found = Violation(step, vp.index, vtl, "vm_flags.vm_index", vtl + 1, index, kind)
        self.findings += 1
        self.kind_counts[_KIX[kind]] += 1
        if len(self.kept) < self.keep:
            self.kept.append(replace(found, cause_step=self._cause(vp, fl)))


#: Finding kinds by position: the hot path counts in a list (hashing an Enum costs a Python call).
_KINDS = tuple(ViolationKind)
_KIX = {k: i for i, k in enumerate(_KINDS)}
_STALE = _KIX[ViolationKind.STALE]


def _flush(sim: FastSimulation, known: list[Any]) -> None:
    """Add ``hits`` entries' worth of a counted wrong set to the totals (before it changes)."""
    hits = known[3]
    if hits:
        wrong, counts = known[0], known[1]
        sim.findings += len(wrong) * hits
        total = sim.kind_counts
        for k, n in enumerate(counts):
            if n:
                total[k] += n * hits
        known[3] = 0
#: Registers written a VP's counted wrong sets may lag behind before they are rebuilt.
_LOG_LIMIT = 4096
#: Each register's place in the catalogue: the order the reference engine reports findings in.
_ORDER = {reg: i for i, reg in enumerate(MODELLED)}


def fast_simulate(design: str | Design, events: Iterable[Event], vps: int | None = None,
                  lower_vtls: int | None = None, keep: int = DEFAULT_KEEP) -> FastResult:
    """Run ``events`` on the fast engine (the analogue of :func:`tdxlab.sim.machine.simulate`).

    ``vps`` defaults to what a list of events uses; an iterator (a streamed file) needs it.
    """
    count = lower_vtls_of(events, lower_vtls) if not isinstance(events, Iterator) else (
        lower_vtls or DEFAULT_LOWER_VTLS)
    if lower_vtls is not None and count != lower_vtls:
        raise ValueError(f"the trace is for {count} lower VTLs but lower_vtls is {lower_vtls}")
    if vps is None:
        if isinstance(events, Iterator):
            raise ValueError("vps is needed when the events are streamed")
        events = list(events)
        vps = max((e.vp for e in events), default=0) + 1
    return FastSimulation(design, vps, lower_vtls=count, keep=keep).run(events)


__all__ = ["DEFAULT_KEEP", "CompiledDesign", "FastResult", "FastSimulation", "FastStep", "NotCompilable",
           "compile_design", "fast_simulate"]
