"""The quiz card through its Python API, and its widget driven programmatically.

The right answers come from the model (a fresh simulation of the card's problem), not from the
card, so the card's verdicts are checked against something it did not compute.
"""

from __future__ import annotations

import pytest
from widget_tree import find, imported_by

from tdxlab.sim.machine import simulate
from tdxlab.sim.model import MODELLED
from tdxlab.teach.quiz import KINDS, VM_INDEX, MysteryProblem, Quiz, QuizError, TraceProblem
from tdxlab.widgets.quiz import FROM_SEED, QuizCard, answer_options


def _entry_regs(q: Quiz) -> set[str]:
    p = q.problem
    assert isinstance(p, TraceProblem) and p.step is not None
    return {v.reg for v in simulate(p.design, p.trace).steps[p.step].violations}


def test_plain_api_check_and_reveal() -> None:
    card = QuizCard(seed=0)
    assert card.quiz.kind == KINDS[0] and card.seed == 0 and card.kind == ""
    assert card.checked is None and not card.revealed
    with pytest.raises(QuizError, match="check an answer first"):
        card.reveal()
    right = sorted(_entry_regs(card.quiz))
    checked = card.check(right)
    assert checked.right and card.checked is checked
    text = card.reveal()
    assert card.revealed and card.quiz.explanation in text and card.quiz.simulation in text
    assert card.reveal(False) == "" and not card.revealed
    wrong = card.check([*right, "rax"] if "rax" not in right else ["rip"])
    assert not wrong.right and "Not right" in wrong.verdict


def test_new_problem_drops_the_verdict() -> None:
    card = QuizCard(seed=3, kind="bytes-copied")
    card.check("0")
    card.reveal()
    q = card.new()
    assert card.seed == 4 and q.kind == "bytes-copied" and card.kind == "bytes-copied"
    assert card.checked is None and not card.revealed
    assert q.question == Quiz(4, "bytes-copied").question
    q = card.new(seed=9, kind="")  # let the seed pick the kind
    assert q.kind == KINDS[9 % len(KINDS)] and card.kind == ""


@pytest.mark.parametrize(("kwargs", "words"),
                         [({"seed": -1}, "seed must be"), ({"kind": "nope"}, "unknown quiz kind")])
def test_bad_input(kwargs: dict, words: str) -> None:
    with pytest.raises(QuizError, match=words):
        QuizCard(**kwargs)


def test_bad_new_keeps_the_problem() -> None:
    card = QuizCard(seed=2)
    before = card.quiz
    with pytest.raises(QuizError, match="unknown quiz kind"):
        card.new(kind="nope")
    with pytest.raises(QuizError, match="seed must be"):
        card.new(seed=-3)
    assert card.quiz is before and card.seed == 2


def test_answer_input_follows_the_kind() -> None:
    regs = QuizCard(0, "wrong-registers")
    assert answer_options(regs.quiz) == [*MODELLED, VM_INDEX]
    assert find(regs.widget, "SelectMultiple", "Registers").options == tuple(answer_options(regs.quiz))
    mystery = QuizCard(0, "mystery-design")
    assert isinstance(mystery.quiz.problem, MysteryProblem)
    assert answer_options(mystery.quiz) == [d.key for d in mystery.quiz.problem.candidates]
    assert find(mystery.widget, "Dropdown", "Design").options == tuple(answer_options(mystery.quiz))
    count = QuizCard(0, "cache-lines")
    assert answer_options(count.quiz) == []
    assert find(count.widget, "Text", "Answer").value == ""


def test_widget_check_then_show_the_simulation() -> None:
    card = QuizCard(seed=0, kind="wrong-registers")
    root = card.widget
    select = find(root, "SelectMultiple", "Registers")
    check = find(root, "Button", "Check")
    show = find(root, "ToggleButton", "Show the simulation")
    result = find(root, "HTML", cls="tdxlab-quiz-result")
    simulation = find(root, "HTML", cls="tdxlab-quiz-simulation")
    assert card.quiz.question.splitlines()[0] in find(root, "HTML", cls="tdxlab-quiz-question").value
    assert show.disabled and result.value == "" and simulation.value == ""
    select.value = tuple(r for r in MODELLED if r in _entry_regs(card.quiz))
    check.click()
    assert card.checked is not None and card.checked.right and "✓ Right" in result.value
    assert not show.disabled and simulation.value == ""
    show.value = True
    assert card.revealed and "What the Stepper shows" in simulation.value


def test_widget_wrong_answer_and_a_typed_mistake() -> None:
    card = QuizCard(seed=1, kind="bytes-copied")
    root = card.widget
    box = find(root, "Text", "Answer")
    check = find(root, "Button", "Check")
    box.value = "twelve"
    check.click()
    assert card.checked is None and "is not a whole number" in card._ui.error.value
    box.value = str(int(card.quiz.answer) + 1)  # type: ignore[call-overload]
    check.click()
    assert card.checked is not None and not card.checked.right and "✗ Not right" in card.result_html
    assert card._ui.error.value == ""


def test_widget_new_problem_rebuilds_the_input() -> None:
    card = QuizCard(seed=0)
    root = card.widget
    find(root, "Dropdown", "Kind").value = "mystery-design"
    find(root, "IntText", "Seed").value = 5
    find(root, "Button", "New problem").click()
    assert card.quiz.kind == "mystery-design" and card.seed == 5
    design = find(root, "Dropdown", "Design")
    design.value = card.quiz.answer
    find(root, "Button", "Check").click()
    assert card.checked is not None and card.checked.right
    find(root, "Dropdown", "Kind").value = ""
    find(root, "Button", "New problem").click()
    assert card.quiz.kind == KINDS[5 % len(KINDS)] and find(root, "Dropdown", "Kind").label == FROM_SEED
    find(root, "IntText", "Seed").value = -2  # a typed mistake: one line in the error box, problem kept
    before = card.quiz
    find(root, "Button", "New problem").click()
    assert card.quiz is before and "seed must be a non-negative integer" in card._ui.error.value
    assert find(root, "IntText", "Seed").value == card.seed


def test_the_card_without_its_ui_imports_no_ipywidgets() -> None:
    code = "from tdxlab.widgets.quiz import QuizCard\nc = QuizCard(1)\nc.check(c.quiz.answer)"
    assert imported_by(code, ["ipywidgets", "matplotlib"]) == []
