"""Generated problems with answer keys, OSTEP-homework style: ``Quiz(seed=3)``, ``tdxlab quiz``.

A problem is drawn from a seed: a short random *valid* trace (every event possible when it
happens, drawn from :meth:`tdxlab.sim.machine.Simulation.valid_events`) under one design, or
a one-register variant of a design.  Its answer is never typed in: it is what the model says,

* the checker's findings at one step (``wrong-registers``) or the value a VTL observed
  (``observed-value``), from :func:`tdxlab.sim.machine.simulate`;
* the bytes copied over the trace (``bytes-copied``) or the cache lines one step touches
  (``cache-lines``), from the access log (:func:`tdxlab.cost.accounting.tally`);
* the length of the shortest trace that breaks a variant, or that none does
  (``shortest-break``), from complete verification (:func:`tdxlab.sim.verify.verify`);
* which design produced a picture of copies and findings (``mystery-design``), on a trace
  redrawn until every candidate gives a different picture.

``Quiz(seed, kind)`` holds the problem (:attr:`Quiz.problem`), the question, the answer and
its explanation (worded by :mod:`tdxlab.describe.quiz`, with the Stepper's own sentences), and
:meth:`Quiz.check` judges an answer given in any natural form.  A student runs the command
without ``--answers`` and then with it, as with OSTEP's ``-c``.

**Determinism.** Everything random comes from one ``random.Random`` per problem, seeded with
the *string* ``"tdxlab quiz KIND SEED"`` (a string seed goes through SHA-512, so it does not
depend on ``PYTHONHASHSEED``); nothing iterates over a set or dict whose order could vary
(registers are shown in catalogue order, pages sorted by name), and no timing is shown.  The
same seed and kind give byte-identical text in every process, for the same design registry
(the candidate designs are the registered ones, read when a problem is made, plus three of
the reviewers' presets of :data:`tdxlab.compare.PRESETS`).

Bad input (an unknown kind, a negative or non-integer seed, an answer of the wrong type or
naming an unknown register) is a one-line :class:`QuizError`, a ``ValueError``.
"""

from __future__ import annotations

import numbers
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from tdxlab import describe
from tdxlab.compare import PRESETS
from tdxlab.cost.accounting import tally
from tdxlab.registers import UnknownRegisterError
from tdxlab.sim.checker import by_severity
from tdxlab.sim.designs import DESIGNS, PLACEABLE, Design, NaiveDesign, fix_designs
from tdxlab.sim.events import Event, Op, StepOutcome
from tdxlab.sim.machine import SimResult, Simulation, StepRecord, simulate
from tdxlab.sim.model import DEFAULT_LOWER_VTLS, MODELLED, check_modelled
from tdxlab.sim.trace import Trace
from tdxlab.sim.verify import VerifyResult, verify

#: The kinds of problem, in the order ``seed % len(KINDS)`` picks them when no kind is given
#: (so seeds 0-5 cover every kind).  The names are stable: docs and course sheets cite them.
KINDS: tuple[str, ...] = (
    "wrong-registers",
    "observed-value",
    "bytes-copied",
    "cache-lines",
    "shortest-break",
    "mystery-design",
)

#: An answer: a set of register names, a count / length / value, or a design key.
Answer: TypeAlias = frozenset[str] | int | str

#: The name the checker gives a wrong ``vm_index`` in the entry flags (the wrong L2 VM entered);
#: a register answer may name it like a register.
VM_INDEX = "vm_flags.vm_index"

#: Registers the generated traces set and read, ones a student recognises, all at least 8 bytes
#: wide: each trace uses one private register, RSP or CR2 (what the presets get wrong), and one
#: shared register (:func:`trace_registers`).
PRIVATE_PICKS: tuple[str, ...] = ("rip", "rsp", "lstar")
PRESET_PICKS: tuple[str, ...] = ("rsp", "cr2")
SHARED_PICKS: tuple[str, ...] = ("rax", "rdx", "r8", "cr2", "xmm0")
#: How many traces a problem that wants a finding draws before it settles for one without.
FINDING_ATTEMPTS = 12

#: How often each kind of event is drawn after the previous one (``None``: at the start), among
#: those possible at that point (a kind left out is drawn only when nothing else is possible).
#: The bias tells a guest's life: VTL 1 gets enabled early, a guest leaves values and then runs,
#: a run is followed by a VTL switch; the paravisor's reads and writes and interrupts are rarer.
OP_WEIGHTS: dict[Op | None, dict[Op, int]] = {
    None: {Op.ENABLE_VTL: 10, Op.SET: 3, Op.RUN: 2, Op.INTERRUPT: 1, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.ENABLE_VTL: {Op.SET: 6, Op.RUN: 3, Op.VTL_CALL: 2, Op.INTERRUPT: 1, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.SET: {Op.SET: 3, Op.RUN: 8, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.RUN: {Op.ENABLE_VTL: 4, Op.SET: 4, Op.RUN: 1, Op.VTL_CALL: 6, Op.VTL_RETURN: 6, Op.INTERRUPT: 2,
             Op.PV_GET: 1, Op.PV_SET: 1},
    Op.VTL_CALL: {Op.SET: 5, Op.RUN: 5, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.VTL_RETURN: {Op.SET: 5, Op.RUN: 5, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.INTERRUPT: {Op.SET: 5, Op.RUN: 5, Op.PV_GET: 1, Op.PV_SET: 1},
    Op.PV_GET: {Op.ENABLE_VTL: 3, Op.SET: 4, Op.RUN: 4, Op.VTL_CALL: 2, Op.VTL_RETURN: 2, Op.PV_GET: 1,
                Op.PV_SET: 1},
    Op.PV_SET: {Op.ENABLE_VTL: 3, Op.SET: 4, Op.RUN: 4, Op.VTL_CALL: 2, Op.VTL_RETURN: 2, Op.PV_GET: 1,
                Op.PV_SET: 1},
}

#: The reviewers' presets the quiz's designs include besides the registered designs: each one
#: tells a real or plausible mistake, and each looks different from its base on some trace.
PRESET_KEYS: tuple[str, ...] = ("bank-no-rsp", "split-cr2-private", "snp-copies-rsp")

#: ``shortest-break``'s moves, drawn one category at a time so a verified variant and a
#: two-event break come up often enough: the entry flags and interrupt state made shared;
#: a shared register (x87 control, MXCSR, a GPR, CR2, XMM) made private; a private one made shared.
BREAK_MOVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("drop", ("vm_flags", "rvi", "svi")),
    ("add", ("fcw", "mxcsr", "mxcsr_mask", "cr2", "rax", "rdx", "st0", "xmm0")),
    ("drop", ("rip", "rsp", "rflags", "ssp", "lstar", "star", "kernel_gs_base", "tsc_aux", "fcw", "mxcsr")),
)

#: How many traces ``mystery-design`` draws before it gives up telling its candidates apart.
MYSTERY_ATTEMPTS = 200
#: How many candidates ``mystery-design`` shows.
MYSTERY_CANDIDATES = 4


class QuizError(ValueError):
    """Bad input to the quiz (kind, seed, an answer), or a problem that cannot be made: one line."""


# --- the problems, as data -----------------------------------------------------------------------
def _trace_json(trace: Sequence[Event]) -> list[dict[str, Any]]:
    return [e.to_json() for e in trace]


@dataclass(frozen=True)
class TraceProblem:
    """A trace under one design, and the step (entered VTL, register) the question is about."""

    design: Design
    trace: Trace
    step: int | None = None
    vtl: int | None = None
    reg: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON (``tdxlab quiz --format json``)."""
        out: dict[str, Any] = {"design": self.design.key, "lower_vtls": self.trace.lower_vtls,
                               "trace": _trace_json(self.trace)}
        out.update({k: v for k, v in (("step", self.step), ("vtl", self.vtl), ("reg", self.reg))
                    if v is not None})
        return out


@dataclass(frozen=True)
class VariantProblem:
    """A variant of a registered design: ``base.variant(key, drop_private=..., add_private=...)``."""

    base: Design
    variant: Design
    dropped: tuple[str, ...]
    added: tuple[str, ...]
    lower_vtls: int = DEFAULT_LOWER_VTLS

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON."""
        return {"base": self.base.key, "variant": self.variant.key, "drop_private": list(self.dropped),
                "add_private": list(self.added), "vps": 1, "lower_vtls": self.lower_vtls}


@dataclass(frozen=True)
class Observation:
    """What one step of a trace showed: bytes the paravisor copied, findings as (VTL, register, kind)."""

    copied: int
    findings: tuple[tuple[int, str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """The observation as JSON."""
        return {"bytes_copied": self.copied,
                "findings": [{"vtl": vtl, "reg": reg, "kind": kind} for vtl, reg, kind in self.findings]}


@dataclass(frozen=True)
class MysteryProblem:
    """A trace, the candidate designs, and what the unnamed one showed at each step."""

    trace: Trace
    candidates: tuple[Design, ...]
    observations: tuple[Observation, ...]

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON (the design is the answer, so it is not here)."""
        return {"candidates": [d.key for d in self.candidates], "lower_vtls": self.trace.lower_vtls,
                "trace": _trace_json(self.trace), "observations": [o.to_json() for o in self.observations]}


Problem: TypeAlias = TraceProblem | VariantProblem | MysteryProblem


@dataclass(frozen=True)
class Checked:
    """The verdict on one answer: right or not, the answer as understood and the right one, and why.

    True in a boolean context when the answer is right.
    """

    right: bool
    given: Answer
    answer: Answer
    verdict: str
    explanation: str

    def __bool__(self) -> bool:
        """True when the answer is right."""
        return self.right

    @property
    def text(self) -> str:
        """The verdict, then the explanation."""
        return f"{self.verdict}\n{self.explanation}"


# --- random valid traces -------------------------------------------------------------------------
def _value(rng: random.Random, vtl: int) -> int:
    """A value a reader can trace back: ``0x1n00`` written for VTL 0, ``0x2n00`` for VTL 1."""
    return ((vtl + 1) << 16) | (rng.randrange(1, 16) << 8)


def random_trace(rng: random.Random, length: int, regs: Sequence[str],
                 lower_vtls: int = DEFAULT_LOWER_VTLS) -> Trace:
    """A valid one-VP trace of about ``length`` events on ``regs``, drawn with ``rng``.

    Each event is drawn from those possible at that point (``valid_events``; what is possible
    does not depend on the design), its kind weighted by :data:`OP_WEIGHTS` after the previous
    event's kind.  Runs are added
    at the end while a ``set`` waits (a trace may not end with one), and one run when the
    trace has none, so every trace has an entry to ask about.
    """
    sim = Simulation(NaiveDesign(), 1, record=False, lower_vtls=lower_vtls)
    out: list[Event] = []
    while len(out) < length or sim.unfinished() or not any(e.op is Op.RUN for e in out):
        candidates = sim.valid_events(0, regs, (1,))
        if len(out) >= length:  # only a run carries out the queued sets
            candidates = [e for e in candidates if e.op is Op.RUN]
        ops = list(dict.fromkeys(e.op for e in candidates))
        after = OP_WEIGHTS[out[-1].op if out else None]
        weights = [after.get(o, 0) for o in ops]
        op = rng.choices(ops, weights if any(weights) else None)[0]
        event = rng.choice([e for e in candidates if e.op is op])
        if event.value is not None and event.vtl is not None:
            event = replace(event, value=_value(rng, event.vtl))
        event = replace(event, line=len(out) + 1)
        sim.apply(event)
        out.append(event)
    return Trace(out, lower_vtls)


def trace_registers(rng: random.Random) -> list[str]:
    """The registers of one trace: a private one, RSP or CR2, a shared one (without repeats)."""
    picks = (rng.choice(PRIVATE_PICKS), rng.choice(PRESET_PICKS), rng.choice(SHARED_PICKS))
    return list(dict.fromkeys(picks))


def teaching_designs() -> list[Design]:
    """The designs problems are about: every registered design (read now), then :data:`PRESET_KEYS`."""
    presets = {p.key: p for p in PRESETS.values()}
    return [*DESIGNS.values(), *(presets[k].design() for k in PRESET_KEYS if k in presets)]


def _runs(result: SimResult) -> list[int]:
    """The steps of ``result`` that entered a VTL."""
    return [r.index for r in result.steps if r.outcome is StepOutcome.RAN]


def _order(reg: str) -> int:
    """Catalogue order for registers (the entry flags' ``vm_index`` last)."""
    return MODELLED.index(reg) if reg in MODELLED else len(MODELLED)


def ordered(regs: Iterable[str]) -> list[str]:
    """Registers in catalogue order: how every register answer is shown."""
    return sorted(regs, key=lambda r: (_order(r), r))


# --- reading answers -----------------------------------------------------------------------------
def _registers(kind: str, given: object) -> frozenset[str]:
    """A set of registers from a set, list, tuple or a comma/space separated string (any case)."""
    if isinstance(given, str):
        text = given.strip()
        items: list[object] = ([] if text.lower() in ("", "none", "-", "{}", "set()")
                               else [x for x in re.split(r"[\s,;]+", text) if x])
    elif isinstance(given, set | frozenset | list | tuple):
        items = list(given)
    else:
        raise QuizError(f"{kind}: expected register names (a set, a list or a comma-separated string), "
                        f"got {given!r}")
    out: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise QuizError(f"{kind}: a register name must be a string, got {item!r}")
        name = item.strip().lower()
        if name == VM_INDEX:
            out.add(name)
            continue
        try:
            out.add(check_modelled(name))
        except UnknownRegisterError as exc:
            raise QuizError(f"{kind}: {exc}") from None
    return frozenset(out)


def _whole(kind: str, given: object, what: str) -> int:
    """A non-negative whole number from an int or a numeric string (decimal, 0x.., 0o.., 0b..)."""
    if isinstance(given, bool):
        raise QuizError(f"{kind}: expected {what}, got {given!r}")
    if isinstance(given, numbers.Integral):
        value = int(given)
    elif isinstance(given, str):
        text = given.strip().replace("_", "")
        try:
            value = int(text, 0) if text.lower().startswith(("0x", "0o", "0b")) else int(text, 10)
        except ValueError:
            raise QuizError(f"{kind}: {given!r} is not {what}") from None
    else:
        raise QuizError(f"{kind}: expected {what}, got {given!r}")
    if value < 0:
        raise QuizError(f"{kind}: {value} is negative; expected {what}")
    return value


#: Words that answer ``shortest-break`` with "no trace breaks it".
SAFE_WORDS = ("safe", "verified", "none", "never")


# --- the kinds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Made:
    """One generated problem with everything the :class:`Quiz` shows about it."""

    problem: Problem
    answer: Answer
    question: str
    explanation: str
    simulation: str


class _Kind(ABC):
    """One kind of problem: how it is drawn and answered, and how an answer is read."""

    name: str

    @abstractmethod
    def make(self, rng: random.Random, source: str) -> _Made:
        """Draw a problem with ``rng``; ``source`` names the trace in the Stepper's words."""

    @abstractmethod
    def read(self, given: object, problem: Problem) -> Answer:
        """An answer in any natural form, as this kind's answer type (a one-line QuizError if not)."""

    @abstractmethod
    def words(self, answer: Answer) -> str:
        """An answer in words."""

    def to_json(self, answer: Answer) -> Any:
        """An answer as JSON."""
        return answer


def _draw_run(rng: random.Random, result: SimResult, findings: bool) -> StepRecord:
    """An entry of ``result``: one with findings when ``findings`` and there is one, else any."""
    runs = _runs(result)
    broken = [k for k in runs if result.steps[k].violations]
    return result.steps[rng.choice(broken if findings and broken else runs)]


def _trace_under_design(rng: random.Random, findings: bool = False,
                        length: tuple[int, int] = (7, 11)) -> tuple[Design, Trace, SimResult]:
    """A design and a random trace under it; with ``findings``, redrawn (a few times) until an entry breaks.

    A registered fix is not expected to break, so it is not redrawn for; any other design gets
    :data:`FINDING_ATTEMPTS` traces, and the last one is kept if none breaks.
    """
    design = rng.choice(teaching_designs())
    attempts = 1 if design.is_fix and not design.is_variant else FINDING_ATTEMPTS
    for _ in range(attempts):
        trace = random_trace(rng, rng.randint(*length), trace_registers(rng))
        result = simulate(design, trace)
        if not findings or any(result.steps[k].violations for k in _runs(result)):
            break
    return design, trace, result


class _WrongRegisters(_Kind):
    name = "wrong-registers"

    def make(self, rng: random.Random, source: str) -> _Made:
        findings = rng.random() < 0.7  # most problems ask about an entry that breaks (if it can)
        design, trace, result = _trace_under_design(rng, findings)
        rec = _draw_run(rng, result, findings)
        assert rec.entered_vtl is not None
        answer = frozenset(v.reg for v in rec.violations)
        return _Made(TraceProblem(design, trace, rec.index, rec.entered_vtl), answer,
                     describe.wrong_registers_question(design, trace, trace.lower_vtls, rec.index,
                                                       rec.entered_vtl),
                     describe.stepper_explanation(result, rec.index, source),
                     describe.simulation_report(result, source))

    def read(self, given: object, problem: Problem) -> Answer:
        return _registers(self.name, given)

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, frozenset)
        return describe.registers_answer(ordered(answer))

    def to_json(self, answer: Answer) -> Any:
        assert isinstance(answer, frozenset)
        return ordered(answer)


class _ObservedValue(_Kind):
    name = "observed-value"

    def make(self, rng: random.Random, source: str) -> _Made:
        findings = rng.random() < 0.5
        design, trace, result = _trace_under_design(rng, findings)
        rec = _draw_run(rng, result, findings)
        assert rec.entered_vtl is not None and rec.observed is not None
        # a register observed wrongly, else one the trace wrote before the entry, else one it names
        wrong = ordered([v.reg for v in rec.violations if v.reg in MODELLED])
        written = ordered({e.reg for e in trace[: rec.index] if e.reg is not None and e.value is not None})
        named = ordered({e.reg for e in trace if e.reg is not None}) or ["rip"]
        reg = rng.choice(wrong) if wrong and findings else rng.choice(written or named)
        found = rec.observed[reg]
        violation = next((v for v in rec.violations if v.reg == reg), None)
        expected = found if violation is None else violation.expected
        why = describe.observed_value_explanation(reg, rec.entered_vtl, found, expected, violation)
        return _Made(TraceProblem(design, trace, rec.index, rec.entered_vtl, reg), found,
                     describe.observed_value_question(design, trace, trace.lower_vtls, rec.index,
                                                      rec.entered_vtl, reg),
                     f"{why}\n{describe.stepper_explanation(result, rec.index, source)}",
                     describe.simulation_report(result, source))

    def read(self, given: object, problem: Problem) -> Answer:
        return _whole(self.name, given, "a register value (a whole number, hex or decimal)")

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, int)
        return describe.value_answer(answer)


class _BytesCopied(_Kind):
    name = "bytes-copied"

    def make(self, rng: random.Random, source: str) -> _Made:
        design, trace, result = _trace_under_design(rng)
        rows = []
        for rec in result.steps:
            t = tally(rec.accesses)
            if t.copied:
                rows.append((rec.index, rec.event, t.copied, t.copied_what))
        total = sum(r[2] for r in rows)
        return _Made(TraceProblem(design, trace), total,
                     describe.bytes_copied_question(design, trace, trace.lower_vtls),
                     describe.bytes_copied_explanation(rows, total, design.key),
                     describe.simulation_report(result, source))

    def read(self, given: object, problem: Problem) -> Answer:
        return _whole(self.name, given, "a whole number of bytes")

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, int)
        return describe.count_answer(answer, "byte")


#: How often ``cache-lines`` asks about each kind of step: entries and switches do the work.
_STEP_WEIGHTS: dict[StepOutcome, int] = {StepOutcome.RAN: 3, StepOutcome.SWITCHED: 2}


class _CacheLines(_Kind):
    name = "cache-lines"

    def make(self, rng: random.Random, source: str) -> _Made:
        design, trace, result = _trace_under_design(rng)
        touching = [r for r in result.steps if r.accesses]
        if not touching:  # pragma: no cover - every trace has a run, and every run touches memory
            raise QuizError(f"{self.name}: the trace touches no memory under {design.key}")
        rec = rng.choices(touching, [_STEP_WEIGHTS.get(r.outcome, 1) for r in touching])[0]
        t = tally(rec.accesses)
        lines = {role: t.lines_on(role) for role in sorted(t.pages)}
        return _Made(TraceProblem(design, trace, rec.index), t.cache_lines,
                     describe.cache_lines_question(design, trace, trace.lower_vtls, rec.index),
                     describe.cache_lines_explanation(rec.index, rec.event, lines, t.accesses),
                     describe.simulation_report(result, source))

    def read(self, given: object, problem: Problem) -> Answer:
        return _whole(self.name, given, "a whole number of cache lines")

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, int)
        return describe.count_answer(answer, "cache line")


#: Complete verification of each variant asked about, by (base, design class, private set, VTLs):
#: a variant takes 0.02-0.3 s to verify and the same few dozen come up again and again.
_VERIFIED: dict[tuple[str, type, frozenset[str], int], VerifyResult] = {}


def verified(variant: Design, base: Design, lower_vtls: int = DEFAULT_LOWER_VTLS) -> VerifyResult:
    """``verify(variant, 1, lower_vtls)``, cached per (base, private set)."""
    key = (base.key, type(variant), variant.private, lower_vtls)
    result = _VERIFIED.get(key)
    if result is None:
        result = _VERIFIED[key] = verify(variant, 1, lower_vtls)
    return result


def shortest_length(result: VerifyResult) -> int:
    """The answer of ``shortest-break``: the counterexample's length, 0 when verified."""
    if result.counterexample is not None:
        return len(result.counterexample)
    if not result.verified:  # pragma: no cover - the default budget reaches every variant's fixpoint
        raise QuizError(f"shortest-break: verification of {result.design} ran out of states")
    return 0


class _ShortestBreak(_Kind):
    name = "shortest-break"

    def make(self, rng: random.Random, source: str) -> _Made:
        bases = fix_designs()
        if not bases:  # pragma: no cover - the registry always has the fixes
            raise QuizError(f"{self.name}: no registered design is a fix to vary")
        base = rng.choice(bases)
        move, pool = rng.choice(BREAK_MOVES)
        regs = [r for r in pool if (r in base.private) == (move == "drop")]
        if not regs:  # a design of the caller's whose classes differ: any register of the right class
            regs = [r for r in PLACEABLE if (r in base.private) == (move == "drop")]
        reg = rng.choice(regs)
        dropped, added = ((reg,), ()) if move == "drop" else ((), (reg,))
        key = f"{base.key}-{'minus' if move == 'drop' else 'plus'}-{reg}"
        variant = base.variant(key, f"{base.key} with {describe.moves_text(dropped, added)}",
                               drop_private=dropped, add_private=added)
        result = verified(variant, base)
        answer = shortest_length(result)
        if result.counterexample is not None:
            replay = simulate(variant, Trace(result.counterexample, result.lower_vtls))
            simulation = describe.simulation_report(replay, f"shortest counterexample of {variant.key}")
        else:
            simulation = "\n".join(describe.verify_summary(result)[:1])
        problem = VariantProblem(base, variant, dropped, added, result.lower_vtls)
        return _Made(problem, answer,
                     describe.shortest_break_question(base, variant, dropped, added, result.lower_vtls),
                     describe.shortest_break_explanation(result), simulation)

    def read(self, given: object, problem: Problem) -> Answer:
        if isinstance(given, str) and given.strip().lower() in SAFE_WORDS:
            return 0
        return _whole(self.name, given, f'a number of events or "safe" ({", ".join(SAFE_WORDS)})')

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, int)
        return describe.length_answer(answer)

    def to_json(self, answer: Answer) -> Any:
        return "safe" if answer == 0 else answer


def observations(result: SimResult) -> tuple[Observation, ...]:
    """What each step of ``result`` showed: bytes copied and findings (most severe first)."""
    return tuple(Observation(tally(r.accesses).copied,
                             tuple((v.vtl, v.reg, v.kind.value) for v in by_severity(list(r.violations))))
                 for r in result.steps)


class _MysteryDesign(_Kind):
    name = "mystery-design"

    def make(self, rng: random.Random, source: str) -> _Made:
        pool = teaching_designs()
        chosen = rng.sample(pool, min(MYSTERY_CANDIDATES, len(pool)))
        candidates = tuple(d for d in pool if d in chosen)  # shown in the registry's order
        others = [r for r in (*PRIVATE_PICKS, *SHARED_PICKS) if r not in PRESET_PICKS]
        order = list(candidates)  # the pair that looked alike last time is simulated first next time
        for _ in range(MYSTERY_ATTEMPTS):
            # RSP and CR2 are what the presets get wrong, so every trace sets or reads them
            trace = random_trace(rng, rng.randint(8, 12), [*PRESET_PICKS, rng.choice(others)])
            seen: dict[tuple[Observation, ...], tuple[Design, SimResult]] = {}
            for d in order:
                result = simulate(d, trace)
                sig = observations(result)
                if sig in seen:
                    alike = (seen[sig][0], d)
                    order = [*alike, *(x for x in order if x not in alike)]
                    break
                seen[sig] = (d, result)
            else:
                break
        else:
            raise QuizError(f"{self.name}: none of {MYSTERY_ATTEMPTS} traces tells "
                            f"{', '.join(d.key for d in candidates)} apart")
        secret = rng.choice(candidates)
        by_design = {d.key: (sig, result) for sig, (d, result) in seen.items()}
        shown, secret_result = by_design[secret.key]
        differences = []
        for d in candidates:
            if d is secret:
                continue
            theirs = by_design[d.key][0]
            step = next(i for i, (a, b) in enumerate(zip(theirs, shown, strict=True)) if a != b)
            differences.append((d.key, step,
                                describe.observation_text(theirs[step].copied, theirs[step].findings),
                                describe.observation_text(shown[step].copied, shown[step].findings)))
        problem = MysteryProblem(trace, candidates, shown)
        return _Made(problem, secret.key,
                     describe.mystery_question(trace, trace.lower_vtls, candidates,
                                               [(o.copied, o.findings) for o in shown]),
                     describe.mystery_explanation(secret.key, differences),
                     describe.simulation_report(secret_result, source))

    def read(self, given: object, problem: Problem) -> Answer:
        assert isinstance(problem, MysteryProblem)
        keys = [d.key for d in problem.candidates]
        if not isinstance(given, str | Design):
            raise QuizError(f"{self.name}: expected a design key ({', '.join(keys)}), got {given!r}")
        name = given.key if isinstance(given, Design) else given.strip().lower()
        match = [k for k in keys if k.lower() == name]
        if not match:
            raise QuizError(f"{self.name}: {name!r} is not one of the candidates {', '.join(keys)}")
        return match[0]

    def words(self, answer: Answer) -> str:
        assert isinstance(answer, str)
        return answer


_KINDS: dict[str, _Kind] = {k.name: k for k in (_WrongRegisters(), _ObservedValue(), _BytesCopied(),
                                                _CacheLines(), _ShortestBreak(), _MysteryDesign())}
_unworded = [k for k in KINDS if k not in describe.QUIZ_KINDS or k not in describe.ANSWER_FORMS]
if tuple(_KINDS) != KINDS or _unworded:  # pragma: no cover - a kind added half-way
    raise ImportError(f"tdxlab.teach.quiz: kinds {KINDS} need a generator and words in "
                      f"tdxlab.describe.quiz (missing: {_unworded or sorted(set(KINDS) ^ set(_KINDS))})")


# --- the quiz ------------------------------------------------------------------------------------
def check_seed(seed: object) -> int:
    """A seed: a non-negative integer (not a bool), or a one-line QuizError."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise QuizError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def kind_of(seed: int, kind: str | None) -> str:
    """The kind asked for, or the one the seed picks (``KINDS[seed % len(KINDS)]``)."""
    if kind is None:
        return KINDS[seed % len(KINDS)]
    if not isinstance(kind, str) or kind not in _KINDS:
        raise QuizError(f"unknown quiz kind {kind!r}; known: {', '.join(KINDS)}")
    return kind


class Quiz:
    """One generated problem with its answer key.

    >>> q = Quiz(seed=3)                      # the kind comes from the seed
    >>> q = Quiz(seed=3, kind="bytes-copied")
    >>> print(q.question)                      # the problem in words
    >>> q.check("540").right                   # a str, int, list or set, as the kind needs
    >>> print(q.explanation)                   # why, in the Stepper's words
    """

    def __init__(self, seed: int = 0, kind: str | None = None) -> None:
        """Draw the problem of ``kind`` (default: picked by the seed) for ``seed``."""
        self.seed = check_seed(seed)
        self.kind = kind_of(self.seed, kind)
        self._kind = _KINDS[self.kind]
        source = describe.QUIZ_SOURCE.format(seed=self.seed)
        self._made = self._kind.make(random.Random(f"tdxlab quiz {self.kind} {self.seed}"), source)

    # --- the problem -------------------------------------------------------------------------------
    @property
    def problem(self) -> Problem:
        """The data of the problem: the design and trace, the variant, or the mystery's observations."""
        return self._made.problem

    @property
    def question(self) -> str:
        """The problem in words, ending with the question and how to answer it."""
        return self._made.question

    @property
    def answer(self) -> Answer:
        """The right answer: a frozenset of registers, an int (0 = safe for shortest-break) or a key."""
        return self._made.answer

    @property
    def answer_text(self) -> str:
        """The right answer in words."""
        return self._kind.words(self.answer)

    @property
    def explanation(self) -> str:
        """Why the answer is right, in the words the Stepper, ``simulate`` and ``verify`` use."""
        return self._made.explanation

    @property
    def simulation(self) -> str:
        """The simulation behind the answer, as ``tdxlab simulate`` prints it (or the verdict)."""
        return self._made.simulation

    # --- answering ---------------------------------------------------------------------------------
    def read(self, given: object) -> Answer:
        """``given`` as this kind's answer type (a one-line QuizError when it cannot be)."""
        return self._kind.read(given, self.problem)

    def check(self, given: object) -> Checked:
        """Judge an answer given in any natural form; the verdict comes with the explanation."""
        value = self.read(given)
        right = value == self.answer
        verdict = describe.checked_line(right, self._kind.words(value), self.answer_text)
        return Checked(right, value, self.answer, verdict, self.explanation)

    # --- output ------------------------------------------------------------------------------------
    def text(self, answers: bool = False) -> str:
        """What ``tdxlab quiz`` prints: the heading, the question, and the answer with why (or a hint)."""
        tail = (describe.answer_block(self.answer_text, self.explanation) if answers
                else describe.ANSWERS_HINT)
        return "\n".join([describe.quiz_heading(self.seed, self.kind), "", self.question, "", tail])

    def to_json(self, answers: bool = False) -> dict[str, Any]:
        """What ``tdxlab quiz --format json`` prints."""
        out: dict[str, Any] = {"seed": self.seed, "kind": self.kind, "question": self.question,
                               "answer_form": describe.ANSWER_FORMS[self.kind],
                               "problem": self.problem.to_json()}
        if answers:
            out.update({"answer": self._kind.to_json(self.answer), "answer_text": self.answer_text,
                        "explanation": self.explanation})
        return out

    def __repr__(self) -> str:
        """Seed and kind: enough to make the same problem again."""
        return f"Quiz(seed={self.seed}, kind={self.kind!r})"


__all__ = [
    "BREAK_MOVES",
    "FINDING_ATTEMPTS",
    "KINDS",
    "MYSTERY_ATTEMPTS",
    "OP_WEIGHTS",
    "PRESET_KEYS",
    "PRESET_PICKS",
    "PRIVATE_PICKS",
    "SAFE_WORDS",
    "SHARED_PICKS",
    "VM_INDEX",
    "Answer",
    "Checked",
    "MysteryProblem",
    "Observation",
    "Problem",
    "Quiz",
    "QuizError",
    "TraceProblem",
    "VariantProblem",
    "check_seed",
    "kind_of",
    "observations",
    "ordered",
    "random_trace",
    "shortest_length",
    "teaching_designs",
    "trace_registers",
    "verified",
]
