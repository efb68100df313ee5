"""The fast engine (``tdxlab.sim.fast``) against the reference engine (``tdxlab.sim.machine``).

Both run the same random traces of every compilable design and variant, on 2 and 3 lower
VTLs; pages, truth, findings (all of them, and the counts when only some are kept), the
step history and the accepted or rejected events must be identical.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tdxlab.sim.design_file import load_design_file, shipped_design_files
from tdxlab.sim.designs import DESIGNS, VARIANTS, get_design
from tdxlab.sim.events import Event, Op, TraceError
from tdxlab.sim.fast import FastSimulation, NotCompilable, compile_design, fast_simulate
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import MODELLED
from tdxlab.sim.trace import TraceStream, dump_trace, load_trace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_simulator import random_trace

COMPILABLE = [k for k in (*DESIGNS, *VARIANTS) if k != "split-wrapping-counter"]
#: The shipped design files (docs/design-file.md): lazy bank, FX page, FX per VTL with block copies.
SHIPPED_FILES = list(shipped_design_files())


@pytest.mark.parametrize("lower", [2, 3])
@pytest.mark.parametrize("name", COMPILABLE + SHIPPED_FILES)
def test_both_engines_agree_on_pages_truth_and_findings(name: str, lower: int) -> None:
    files = shipped_design_files()
    design = load_design_file(files[name]) if name in files else get_design(name)
    events = random_trace(2_000, 4, seed=11 + lower, lower_vtls=lower)
    ref = Simulation(design, 4, record=False, lower_vtls=lower)
    ref.run(events)
    fast = FastSimulation(design, 4, lower_vtls=lower, keep=10**9)
    result = fast.run(events)
    assert result.violations == ref.violations and result.complete
    for vp in range(4):
        assert fast.pages(vp) == ref._snap(ref.vps[vp])
        assert fast.truth(vp) == ref.vps[vp].truth.snapshot()


@pytest.mark.parametrize("design", ["naive", "vtl-accessors", "bank-page-accessors", "split-two-vtl-copy"])
@pytest.mark.parametrize("keep", [0, 25])
def test_counted_findings_match_the_reference(design: str, keep: int) -> None:
    events = random_trace(3_000, 3, seed=5, lower_vtls=3)
    ref = Simulation(design, 3, record=False, lower_vtls=3)
    ref.run(events)
    assert ref.violations  # the designs are wrong: there is something to count
    result = FastSimulation(design, 3, lower_vtls=3, keep=keep).run(events)
    assert result.findings == len(ref.violations)
    assert {k: n for k, n in result.kinds.items() if n} == dict(Counter(v.kind for v in ref.violations))
    assert result.kept == ref.violations[:keep] and not result.complete
    assert sum(result.severity_counts().values()) == result.findings


@pytest.mark.parametrize("design", ["naive", "bank", "split", "snp"])
def test_the_step_history_matches_the_reference_records(design: str) -> None:
    events = random_trace(600, 3, seed=9)
    ref = Simulation(design, 3).run(events)
    fast = FastSimulation(design, 3, history=True, keep=10**9)
    fast.run(events)
    assert fast.steps is not None and len(fast.steps) == len(ref.steps)
    before = 0
    for rec, step in zip(ref.steps, fast.steps, strict=True):
        assert step.pages() == rec.pages and step.truth() == rec.truth
        assert fast.kept[before:step.found] == [replace(v, cause=None) for v in rec.violations]
        before = step.found


def _random_event(rng: random.Random, vps: int, lower: int) -> Event:
    op = rng.choice(list(Op))
    vtl = rng.randrange(lower + 1) if op.fields and "vtl" in op.fields else None
    reg = rng.choice(MODELLED) if op.has_register else None
    value = rng.getrandbits(8) if op in (Op.SET, Op.PV_SET) else None
    return Event(op, rng.randrange(vps + 1), vtl, reg, value, line=rng.randrange(1, 99),
                 fast=rng.choice([None, True]) if op is Op.VTL_RETURN else None)


@pytest.mark.parametrize("design", ["naive", "bank", "split", "snp"])
def test_both_engines_accept_and_reject_the_same_events(design: str) -> None:
    # Random events, most of them impossible: each engine must accept exactly the same ones,
    # reject the others with the same words, and be unchanged by a rejection.
    rng = random.Random(3)
    for lower in (2, 3):
        ref = Simulation(design, 2, record=False, lower_vtls=lower)
        fast = FastSimulation(design, 2, lower_vtls=lower, keep=10**9)
        accepted = 0
        for _ in range(3_000):
            event = _random_event(rng, 2, lower)
            want = got = None
            try:
                ref.apply(event)
            except TraceError as exc:
                want = str(exc)
            try:
                fast.apply(event)
            except TraceError as exc:
                got = str(exc)
            assert got == want, event
            accepted += want is None
        assert accepted > 300
        assert fast.result().violations == ref.violations
        assert all(fast.pages(v) == ref._snap(ref.vps[v]) for v in range(2))


def test_a_design_with_its_own_hooks_is_refused_with_a_reason() -> None:
    with pytest.raises(NotCompilable, match="overrides on_switch"):
        compile_design("split-wrapping-counter")


def test_compiled_plans_are_slices_not_register_loops() -> None:
    bank = compile_design("bank")
    assert bank.copies_per_run == (2, 2)  # banked registers in, and out, one slice each
    assert all(len(r) == 1 and r[0][2] > 1 for r in bank.entry)
    assert compile_design("split").copies_per_run == (0, 0)


def test_a_streamed_trace_runs_like_a_loaded_one(tmp_path: Path) -> None:
    events = random_trace(1_500, 4, seed=2, lower_vtls=3)
    path = tmp_path / "t.jsonl"
    path.write_text("# a comment\n" + dump_trace(events, 3), encoding="utf-8")
    stream = TraceStream(path)
    assert stream.lower_vtls == 3
    assert list(stream) == list(load_trace(path))
    streamed = FastSimulation("naive", 4, lower_vtls=3, keep=10**9).run(TraceStream(path))
    assert streamed.violations == fast_simulate("naive", load_trace(path), keep=10**9).violations


def test_a_bad_line_in_a_stream_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"op": "run", "vp": 0}\n{"op": "run", "vp": 0,\n', encoding="utf-8")
    with pytest.raises(TraceError, match=r"bad\.jsonl line 2: bad JSON"):
        list(TraceStream(path))
