"""Complete verification (``tdxlab.sim.verify``) and the claims its abstraction rests on.

The claims of ``docs/verification.md`` are tested on the concrete simulator, not assumed:
values matter only up to equality, registers can be explored one group at a time, a group's
representative stands for every member, the two-VP product is the two-VP state space, and
the verdicts agree with the bounded breadth-first search wherever that search can decide.
"""

from __future__ import annotations

import json
import random

import pytest

from tdxlab.commands import main
from tdxlab.compare import PRESETS
from tdxlab.sim.designs import DESIGNS, VARIANTS, Design, fix_designs, get_design
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import width_of
from tdxlab.sim.search import DEFAULT_MAX_LENGTH, drop_unfinished, find_counterexample, register_groups
from tdxlab.sim.trace import dump_trace, parse_trace
from tdxlab.sim.verify import state_key, verify

FIXES = [d.key for d in fix_designs()]
BAD = ["naive", *(p.key for p in PRESETS.values() if p.key not in ("bank-no-flags",)), *VARIANTS]


def _get(name: str) -> Design:
    """A registered design, a named variant or a notebook-06 preset, by key."""
    presets = {p.key: p for p in PRESETS.values()}
    return presets[name].design() if name in presets else get_design(name)


def _designs() -> list[Design]:
    return [*DESIGNS.values(), *(p.design() for p in PRESETS.values()), *VARIANTS.values()]


@pytest.mark.parametrize("lower", [2, 3])
@pytest.mark.parametrize("design", FIXES)
def test_the_fixes_are_verified(design: str, lower: int) -> None:
    r = verify(design, 1, lower)
    assert (r.verified, r.complete, r.counterexample) == (True, True, None)
    assert r.states == sum(g.states for g in r.groups) > 0


@pytest.mark.parametrize("design", FIXES)
def test_the_fixes_are_verified_on_two_vps(design: str) -> None:
    one, two = verify(design, 1), verify(design, 2)
    assert two.verified and two.complete
    # Unordered pairs of one-VP states: n(n+1)/2 per group when every state is reachable on both.
    assert two.states == sum(g.states * (g.states + 1) // 2 for g in one.groups)


def _key(v: object) -> tuple[object, ...]:
    return (v.step, v.vp, v.vtl, v.reg, v.kind, v.source_vtl, v.access)  # type: ignore[attr-defined]


@pytest.mark.parametrize("design", _designs(), ids=lambda d: d.key)
def test_verdict_agrees_with_the_bounded_search(design: Design) -> None:
    # Where a counterexample has at most six events the bounded search is exhaustive too:
    # both must find one of the same (shortest) length, or neither.
    # A longer one is beyond the bounded search: it must then report none.
    v = verify(design, 1, 2)
    b = find_counterexample(design, budget=0)
    assert v.complete
    if v.counterexample is None or len(v.counterexample) > DEFAULT_MAX_LENGTH:
        assert b.trace is None
    else:
        assert b.trace is not None and len(b.trace) == len(v.counterexample)


@pytest.mark.parametrize("lower", [2, 3])
def test_the_wrapping_counter_fails_only_beyond_the_bounded_search(lower: int) -> None:
    # The built variant of notebook 05: every fourth switch skips the copy, so it needs
    # an enable, four switches, a write and an observation, seven events, on any VTL count.
    v = verify("split-wrapping-counter", 1, lower)
    assert v.counterexample is not None and len(v.counterexample) == 7
    ops = [e.op for e in v.counterexample]
    assert sum(op.switches for op in ops) == 4 and ops[-1] in (Op.RUN, Op.PV_GET)
    assert find_counterexample("split-wrapping-counter", budget=0, lower_vtls=lower).trace is None
    # Without the wrap the same design is the split design, which is verified.
    assert verify("split", 1, lower).verified


@pytest.mark.parametrize("design", BAD)
def test_a_counterexample_replays_with_the_same_findings(design: str) -> None:
    r = verify(_get(design), 1, 3 if design == "split-two-vtl-copy" else 2)
    assert r.counterexample is not None and r.violations
    replay = parse_trace(dump_trace(r.counterexample, r.lower_vtls))
    sim = Simulation(_get(design), 1, lower_vtls=replay.lower_vtls)
    assert [_key(v) for v in sim.run(replay).violations] == [_key(v) for v in r.violations]
    # Concretised values are register-like but keep the trace's equalities.
    written = [(e.reg, e.value) for e in r.counterexample if e.value is not None]
    assert all(value != 0 for _, value in written)


def test_a_variant_that_only_three_vtls_break() -> None:
    # The split copy written for two VTLs is verified for two and broken for three.
    assert verify("split-two-vtl-copy", 1, 2).verified
    three = verify("split-two-vtl-copy", 1, 3)
    assert three.counterexample is not None
    assert any(e.vtl == 2 for e in three.counterexample if e.vtl is not None)


# --- the abstraction's claims, on concrete traces ------------------------------------------------
#: Registers the random traces write: a few of each kind, so traces of tens of events break
#: the bad designs (with all 60 registers, a random trace rarely writes one twice).
POOL = ("rip", "rsp", "rflags", "lstar", "tsc_aux", "rvi", "rax", "rdx", "cr2", "xmm0", "mxcsr")


def _random_trace(design: Design, seed: int, n: int = 60, vps: int = 1, lower: int = 2,
                  distinct: bool = True, pool: tuple[str, ...] = POOL) -> list[Event]:
    """A random valid trace; with ``distinct`` every written value is new for its register."""
    rng = random.Random(seed)
    sim = Simulation(design, vps, record=False, lower_vtls=lower)
    used: dict[str, set[int]] = {}
    out: list[Event] = []
    while len(out) < n:
        reg = rng.choice(pool)
        limit = 1 << (8 * width_of(reg))
        value = rng.randrange(1, limit)
        while distinct and (value in used.setdefault(reg, set()) or value in (0x2, 0x37F, 0x1F80)):
            value = rng.randrange(1, limit)
        used.setdefault(reg, set()).add(value)
        options = sim.valid_events(None, (reg,), (value,))
        event = rng.choice(options)
        sim.apply(event)
        out.append(event)
    out += [Event(Op.RUN, vp) for vp in range(vps)]
    return drop_unfinished(design, out, lower)


def _findings(design: Design, trace: list[Event], vps: int = 1, lower: int = 2) -> list[tuple[object, ...]]:
    sim = Simulation(design, vps, record=False, lower_vtls=lower)
    for e in trace:
        sim.apply(e)
    return [_key(v) for v in sim.violations]


def _renamed(trace: list[Event]) -> list[Event]:
    """The same trace with each register's values renamed to 1, 2, ... (first occurrence)."""
    names: dict[tuple[str, int], int] = {}
    out = []
    for e in trace:
        if e.value is not None and e.reg is not None:
            count = sum(1 for r, _ in names if r == e.reg)
            value = names.setdefault((e.reg, e.value), 0x10 + count)
            e = Event(e.op, e.vp, e.vtl, e.reg, value, e.line, e.fast, e.control)
        out.append(e)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_values_matter_only_up_to_equality(design: Design, seed: int) -> None:
    lower = 3 if seed % 2 else 2
    trace = _random_trace(design, seed, vps=2, lower=lower)
    found = _findings(design, trace, 2, lower)
    assert found == _findings(design, _renamed(trace), 2, lower)
    if not design.is_fix:  # not vacuous: naive breaks in these traces
        assert found


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["naive", "bank-no-rsp", "split-cr2-private", "vtl-accessors"])
def test_one_register_at_a_time(name: str, seed: int) -> None:
    # A register's findings in a full trace are its findings in the trace of its own events.
    d = _get(name)
    trace = _random_trace(d, seed)
    full = _findings(d, trace)
    for reg in {e.reg for e in trace if e.reg is not None}:
        kept = [i for i, e in enumerate(trace) if e.reg in (None, reg)]
        sub = _findings(d, [trace[i] for i in kept])
        mapped = [(kept[f[0]], *f[1:]) for f in sub]  # type: ignore[index]
        assert mapped == [f for f in full if f[3] == reg]


@pytest.mark.parametrize("design", _designs(), ids=lambda d: d.key)
def test_a_representative_stands_for_its_group(design: Design) -> None:
    # Renamed to small distinct values first, so every value fits every member's width.
    checked = 0
    for group in register_groups(design):
        rep = group[0]
        for other in group[1:]:
            trace = _renamed(_random_trace(design, 7, pool=(rep, other)))
            swap = {rep: other, other: rep}
            swapped = [Event(e.op, e.vp, e.vtl, swap.get(e.reg, e.reg) if e.reg else None, e.value, e.line,
                             e.fast, e.control) for e in trace]
            a = [(f[0], f[2], f[4].value, swap[f[3]]) for f in _findings(design, trace) if f[3] in swap]
            b = [(f[0], f[2], f[4].value, f[3]) for f in _findings(design, swapped) if f[3] in swap]
            assert sorted(a) == sorted(b), (design.key, rep, other)
            checked += len(a)
    if design.key in ("naive", "vtl-accessors"):  # not vacuous: their private group has many members
        assert checked > 0


@pytest.mark.parametrize("name", ["naive", "bank-no-rsp", "split-cr2-private", "vtl-accessors"])
def test_the_random_traces_do_break_the_bad_designs(name: str) -> None:
    # The agreement tests above would be vacuous on traces that break nothing.
    assert any(_findings(_get(name), _random_trace(_get(name), seed)) for seed in range(4))


def _direct(design: str, reg: str, vps: int) -> int:
    """Distinct abstract states of a direct BFS of the simulator on ``vps`` VPs (no product)."""
    sim = Simulation(design, vps, record=False)
    seen = {state_key(sim, reg)}
    frontier = [sim.checkpoint()]
    from tdxlab.sim.verify import _alphabet  # the same alphabet verify uses

    while frontier:
        nxt = []
        for cp in frontier:
            sim.restore(cp)
            for event in _alphabet(sim, reg):
                sim.restore(cp)
                sim.apply(event)
                if sim.violations:
                    continue
                key = state_key(sim, reg)
                if key not in seen:
                    seen.add(key)
                    nxt.append(sim.checkpoint())
        frontier = nxt
    return len(seen)


@pytest.mark.parametrize("design", ["snp", "split"])
def test_the_product_is_the_two_vp_state_space(design: str) -> None:
    two = verify(design, 2)
    for g in two.groups:
        assert g.states == _direct(design, g.register, 2)


# --- the command ---------------------------------------------------------------------------------
def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--design", "split", "--vps", "2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["verified"], out["complete"], out["counterexample"]) == (True, True, None)
    assert out["states"] > 0 and out["transitions"] >= out["states"] - 1 and out["seconds"] >= 0
    assert main(["verify", "--design", "bank", "--drop-private", "rsp", "--format", "json"]) == 1
    bad = json.loads(capsys.readouterr().out)
    assert bad["verified"] is False and bad["complete"] is True
    assert [e["op"] for e in bad["counterexample"]] == ["enable_vtl", "pv_set", "pv_get"]
    assert {f["reg"] for f in bad["findings"]} == {"rsp"}


@pytest.mark.parametrize(("args", "words"), [
    (["--vps", "3"], "--vps: 3 is not one of 1, 2"),
    (["--lower-vtls", "4"], "--lower-vtls must be 2 or 3"),
    (["--max-states", "0"], "--max-states: 0 must be >= 1"),
    (["--format", "xml"], "--format: 'xml' is not one of text, json"),
])
def test_cli_bad_input(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--design", "bank", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_cli_budget_exhausted_is_not_a_proof(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--design", "bank", "--max-states", "5"]) == 1
    assert "NOT VERIFIED" in capsys.readouterr().out
