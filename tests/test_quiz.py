"""``tdxlab quiz`` and ``Quiz``: every generated answer recomputed from the model, checked, reproduced.

The answer key is never compared with text copied from the generator: for every kind and 200
seeds the test takes the problem's data (design, trace, step, variant, candidates) and asks the
simulator, the access-log accounting or complete verification itself, then checks that
``Quiz.check`` accepts that answer and rejects a wrong one.  Determinism is checked across
processes with different hash seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tdxlab import describe
from tdxlab.commands import main
from tdxlab.cost.accounting import account, event_costs, tally
from tdxlab.layout.engine import CACHE_LINE
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.events import Op, StepOutcome
from tdxlab.sim.machine import simulate
from tdxlab.sim.model import MODELLED
from tdxlab.sim.trace import parse_trace
from tdxlab.sim.verify import VerifyResult, verify
from tdxlab.teach.quiz import (
    KINDS,
    MysteryProblem,
    Quiz,
    QuizError,
    TraceProblem,
    VariantProblem,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(200)


@cache
def quiz(seed: int, kind: str) -> Quiz:
    """One problem, made once for the whole file (problems are immutable; making them is the cost)."""
    return Quiz(seed, kind)


# --- every kind, 200 seeds, answers recomputed ---------------------------------------------------
def _trace(q: Quiz) -> TraceProblem:
    assert isinstance(q.problem, TraceProblem)
    p = q.problem
    # the trace is valid: it replays through the trace parser and the simulator as it is
    assert [e.to_json() for e in parse_trace("".join(json.dumps(e.to_json()) + "\n" for e in p.trace))] \
        == [e.to_json() for e in p.trace]
    assert {e.vp for e in p.trace} == {0} and p.trace.lower_vtls == 2
    return p


def _entry(q: Quiz):  # the step asked about, from a fresh simulation
    p = _trace(q)
    result = simulate(p.design, p.trace)
    assert p.step is not None
    rec = result.steps[p.step]
    assert rec.event.op is Op.RUN and rec.outcome is StepOutcome.RAN and rec.entered_vtl == p.vtl
    return p, rec


def _wrong_registers(q: Quiz) -> str:
    _, rec = _entry(q)
    expected = frozenset(v.reg for v in rec.violations)
    assert q.answer == expected
    names = sorted(expected)
    if names:  # the natural forms: upper case, a comma string, a list, a set
        assert q.check(", ".join(n.upper() for n in names)).right
        assert q.check(list(names)).right and q.check(set(names)).right
    else:
        assert q.check("none").right and q.check([]).right and q.check("").right
    other = "rip" if "rip" not in expected else "rax"
    return ",".join(sorted(expected ^ {other}))


def _observed_value(q: Quiz) -> str:
    p, rec = _entry(q)
    assert p.reg in MODELLED and rec.observed is not None
    assert q.answer == rec.observed[p.reg]
    assert q.check(hex(rec.observed[p.reg])).right and q.check(str(rec.observed[p.reg])).right
    return hex(rec.observed[p.reg] + 1)


def _bytes_copied(q: Quiz) -> int:
    p = _trace(q)
    result = simulate(p.design, p.trace, record=True)
    costs = account(result)
    expected = costs.bytes_copied_entries + costs.bytes_copied_switches
    assert q.answer == expected == int(event_costs(result)["bytes_copied"].sum())
    assert q.check(str(expected)).right and q.check(f" {expected} ").right
    return expected + 1


def _cache_lines(q: Quiz) -> int:
    p = _trace(q)
    assert p.step is not None
    rec = simulate(p.design, p.trace).steps[p.step]
    by_hand = {(str(a.role), line * CACHE_LINE) for a in rec.accesses
               for line in range(a.offset // CACHE_LINE, (a.offset + a.size - 1) // CACHE_LINE + 1)}
    assert q.answer == len(by_hand) == tally(rec.accesses).cache_lines > 0
    return len(by_hand) + 1


@cache
def _verify(base: str, key: str, dropped: tuple[str, ...], added: tuple[str, ...]) -> VerifyResult:
    return verify(DESIGNS[base].variant(key, drop_private=dropped, add_private=added), 1, 2)


def _shortest_break(q: Quiz) -> str:
    p = q.problem
    assert isinstance(p, VariantProblem)
    base = DESIGNS[p.base.key]
    assert len(p.dropped) + len(p.added) == 1  # one register moved
    assert set(p.dropped) <= base.private and not set(p.added) & base.private
    assert p.variant.private == (base.private - set(p.dropped)) | set(p.added)
    result = _verify(p.base.key, p.variant.key, p.dropped, p.added)
    assert result.complete
    expected = 0 if result.verified else len(result.counterexample or ())
    assert q.answer == expected
    if expected == 0:
        assert q.check("safe").right and q.check("Verified").right and q.check(0).right
        return "3"
    assert q.check(str(expected)).right
    return "safe"


def _signature(design, trace) -> tuple:
    result = simulate(design, trace)
    return tuple((sum(a.size for a in r.accesses if a.copy and a.write),
                  frozenset((v.vtl, v.reg, v.kind.value) for v in r.violations)) for r in result.steps)


def _mystery_design(q: Quiz) -> str:
    p = q.problem
    assert isinstance(p, MysteryProblem)
    keys = [d.key for d in p.candidates]
    assert len(keys) == len(set(keys)) >= 2
    signatures = {d.key: _signature(d, p.trace) for d in p.candidates}
    assert len(set(signatures.values())) == len(keys), "two candidates look the same on this trace"
    shown = tuple((o.copied, frozenset(o.findings)) for o in p.observations)
    assert [k for k, sig in signatures.items() if sig == shown] == [q.answer]
    assert q.check(str(q.answer).upper()).right
    return next(k for k in keys if k != q.answer)


RECOMPUTE = {
    "wrong-registers": _wrong_registers,
    "observed-value": _observed_value,
    "bytes-copied": _bytes_copied,
    "cache-lines": _cache_lines,
    "shortest-break": _shortest_break,
    "mystery-design": _mystery_design,
}


def test_every_kind_is_recomputed_here() -> None:
    assert tuple(RECOMPUTE) == KINDS
    assert len(KINDS) >= 5 and all(k == k.lower() and " " not in k for k in KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_answers_agree_with_the_model(kind: str) -> None:
    for seed in SEEDS:
        q = quiz(seed, kind)
        assert q.kind == kind and q.seed == seed
        wrong = RECOMPUTE[kind](q)
        right = q.check(q.answer)
        assert right.right and bool(right) and right.explanation == q.explanation
        assert right.verdict.startswith("Right")
        checked = q.check(wrong)
        assert not checked.right and not checked, (seed, wrong)
        assert checked.verdict.startswith("Not right") and q.answer_text in checked.verdict
        assert checked.explanation == q.explanation and q.explanation.strip()


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_give_different_problems(kind: str) -> None:
    assert len({quiz(seed, kind).question for seed in range(50)}) >= 20


def test_some_problems_of_each_answer_shape() -> None:
    # Not always the same answer: a key that says "none" or "3" every time teaches nothing.
    regs = [quiz(s, "wrong-registers").answer for s in SEEDS]
    assert sum(map(bool, regs)) >= len(regs) // 5 and not all(regs)
    lengths = {quiz(s, "shortest-break").answer for s in SEEDS}
    assert 0 in lengths and len(lengths) >= 3
    assert {quiz(s, "mystery-design").answer for s in SEEDS} >= {"naive", "bank", "split", "snp"}


def test_the_seed_picks_the_kind() -> None:
    for seed in range(2 * len(KINDS)):
        q = Quiz(seed)
        assert q.kind == KINDS[seed % len(KINDS)]
        assert q.question == quiz(seed, q.kind).question
    assert Quiz().seed == 0


def test_same_seed_same_problem_in_process() -> None:
    for kind in KINDS:
        a, b = Quiz(7, kind), Quiz(7, kind)
        assert a.text(answers=True) == b.text(answers=True) and a.answer == b.answer
        assert a.to_json(answers=True) == b.to_json(answers=True)


# --- what is shown --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_text_without_and_with_answers(kind: str) -> None:
    q = quiz(1, kind)
    plain, full = q.text(), q.text(answers=True)
    head = f"tdxlab quiz --seed 1 --kind {kind}"
    assert plain.startswith(head) and full.startswith(head)
    assert q.question in plain and q.question in full
    assert "Answer:" not in plain and describe.ANSWERS_HINT in plain
    assert f"Answer: {q.answer_text}" in full and describe.ANSWERS_HINT not in full
    assert describe.ANSWER_FORMS[kind] in q.question
    # --answers adds exactly the answer block after the question
    assert plain.removesuffix(describe.ANSWERS_HINT) == full.split("Answer: ", 1)[0]


def test_wrong_registers_explains_with_the_stepper_words() -> None:
    q = next(q for s in SEEDS if (q := quiz(s, "wrong-registers")).answer)
    p = q.problem
    assert isinstance(p, TraceProblem) and p.step is not None
    rec = simulate(p.design, p.trace).steps[p.step]
    assert f"Isolation violated at step {p.step}" in q.explanation
    for v in rec.violations:
        assert describe.describe_violation(v) in q.explanation


def test_shortest_break_explains_with_the_counterexample() -> None:
    q = next(q for s in SEEDS if (q := quiz(s, "shortest-break")).answer)
    p = q.problem
    assert isinstance(p, VariantProblem)
    result = _verify(p.base.key, p.variant.key, p.dropped, p.added)
    assert result.counterexample is not None
    for line in describe.numbered_events(result.counterexample):
        assert line in q.explanation
    safe = next(q for s in SEEDS if (q := quiz(s, "shortest-break")).answer == 0)
    assert "VERIFIED" in safe.explanation and safe.answer_text.startswith("safe")


def test_json_output_holds_the_problem_and_only_then_the_answer() -> None:
    for kind in KINDS:
        q = quiz(2, kind)
        plain, full = q.to_json(), q.to_json(answers=True)
        assert json.loads(json.dumps(full)) == full
        assert "answer" not in plain and "explanation" not in plain
        assert plain["problem"] == full["problem"] and plain["question"] == q.question
        assert q.check(full["answer"]).right  # the JSON answer is itself a valid answer
        if kind == "mystery-design":  # the design is the answer: the problem names only candidates
            assert set(plain["problem"]) == {"candidates", "lower_vtls", "trace", "observations"}


# --- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"seed": -1}, "seed must be a non-negative integer, got -1"),
     ({"seed": 1.5}, "got 1.5"), ({"seed": True}, "got True"), ({"seed": "3"}, "got '3'"),
     ({"kind": "nope"}, "unknown quiz kind 'nope'"), ({"kind": 3}, "unknown quiz kind 3")],
)
def test_bad_quiz_arguments_are_one_line(kwargs: dict, words: str) -> None:
    with pytest.raises(QuizError, match=words) as info:
        Quiz(**kwargs)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kind", "given", "words"),
    [("wrong-registers", 3, "expected register names"), ("wrong-registers", "rip, rxx", "'rxx'"),
     ("wrong-registers", [1], "must be a string"), ("wrong-registers", "cr3", "not simulated"),
     ("observed-value", "zz", "'zz' is not a register value"), ("bytes-copied", -1, "negative"),
     ("bytes-copied", 1.5, "expected a whole number of bytes"), ("bytes-copied", True, "got True"),
     ("cache-lines", "12 lines", "is not a whole number"), ("shortest-break", "maybe", "'maybe'"),
     ("mystery-design", "nope", "'nope' is not one of the candidates"), ("mystery-design", 5, "got 5")],
)
def test_answers_of_the_wrong_type_are_one_line(kind: str, given: object, words: str) -> None:
    q = quiz(0, kind)
    with pytest.raises(QuizError, match=words) as info:
        q.check(given)
    assert str(info.value).startswith(f"{kind}: ") and "\n" not in str(info.value)


# --- the command ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_cli_with_and_without_answers(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    q = quiz(1, kind)
    assert main(["quiz", "--seed", "1", "--kind", kind]) == 0
    assert capsys.readouterr().out == q.text() + "\n"
    assert main(["quiz", "--seed", "1", "--kind", kind, "--answers"]) == 0
    assert capsys.readouterr().out == q.text(answers=True) + "\n"
    assert main(["quiz", "--seed", "1", "--kind", kind, "--answers", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == q.to_json(answers=True)


def test_cli_seed_alone_and_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quiz", "--seed", "1"]) == 0
    assert capsys.readouterr().out == Quiz(1).text() + "\n"
    assert main(["quiz", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(KINDS)
    assert main(["quiz", "--list", "--format", "json"]) == 0
    assert [k["kind"] for k in json.loads(capsys.readouterr().out)] == list(KINDS)


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--seed", "-1"], "--seed: -1 must be >= 0"), (["--seed", "x"], "--seed: 'x' is not an integer"),
     (["--seed", "1.5"], "--seed: '1.5' is not an integer"),
     (["--kind", "nope"], "--kind: 'nope' is not one of wrong-registers"),
     (["--format", "xml"], "--format: 'xml' is not one of text, json")],
)
def test_cli_errors_are_one_line_exit_2(args: list[str], words: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quiz", *args]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == f"tdxlab quiz: error: {out.err.split('error: ', 1)[1]}" and out.err.count("\n") == 1
    assert words in out.err


_EVERY_KIND = """
import contextlib, io, json, sys
from tdxlab.commands import main
from tdxlab.teach.quiz import KINDS
out = {}
for kind in KINDS:
    for extra in ([], ["--answers"], ["--format", "json", "--answers"]):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["quiz", "--seed", "1", "--kind", kind, *extra]) == 0
        out[" ".join([kind, *extra])] = buf.getvalue()
print(json.dumps(out))
"""


def _run(args: list[str], hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


Outputs = tuple[dict[str, str], dict[str, str]]


@pytest.fixture(scope="module")
def two_processes() -> Outputs:
    return (json.loads(_run(["-c", _EVERY_KIND], "1")), json.loads(_run(["-c", _EVERY_KIND], "4242")))


def test_output_is_byte_identical_across_processes(two_processes: Outputs) -> None:
    first, second = two_processes
    assert len(first) == 3 * len(KINDS)
    assert first == second


@pytest.mark.parametrize("kind", KINDS)
def test_python_m_tdxlab_quiz_reproduces(kind: str, two_processes: Outputs) -> None:
    # `python -m tdxlab quiz --seed 1 --kind K` (a third process, another hash seed) prints the same
    out = _run(["-m", "tdxlab", "quiz", "--seed", "1", "--kind", kind, "--answers"], "99")
    assert out == two_processes[0][f"{kind} --answers"]
    assert out.startswith(two_processes[0][kind].removesuffix(describe.ANSWERS_HINT + "\n"))


# --- docs/quiz.md -----------------------------------------------------------------------------------
def test_docs_examples_are_the_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "quiz.md").read_text(encoding="utf-8")
    blocks = [b for b in text.split("```text\n")[1:] if b.startswith("$ tdxlab quiz ")]
    shown = {}
    for block in blocks:
        command, _, rest = block.partition("\n")
        shown[command] = rest.split("```", 1)[0]
    kinds = {c.split("--kind ")[1].split()[0] for c in shown}
    assert kinds == set(KINDS), "docs/quiz.md needs one worked example per kind"
    for command, output in shown.items():
        assert main(command.split()[2:]) == 0
        assert capsys.readouterr().out == output, f"docs/quiz.md is stale for `{command}`: paste its output"
