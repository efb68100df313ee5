"""Every notebook is a lesson: goals and time first, a summary and checked exercises last, a glossary.

The structure is read from the stored notebooks (tests/lessons.py states what it is); the answer
keys of the checked exercises are run with the right answer, stated here from the reference sheet
or computed by another path than the notebook's, and must say "Right".
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from facts import BANK_BYTES, BANK_LINES, SPLIT_SWITCH_BYTES
from lessons import (
    GLOSSARY,
    NOTEBOOKS,
    START,
    first_use,
    glossary_cell,
    links_to_definition,
    load,
    markdown_cells,
)

from tdxlab.describe import exercise_feedback
from tdxlab.scenarios import get_scenario
from tdxlab.sim.machine import simulate

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def _cells(name: str) -> list[dict[str, object]]:
    cells = load(name)["cells"]
    assert isinstance(cells, list)
    return cells


def _text(cell: dict[str, object]) -> str:
    source = cell["source"]
    assert isinstance(source, list)
    return "".join(source)


def test_there_are_seven_lessons() -> None:
    assert [n[:2] for n in NAMES] == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("name", NAMES)
def test_opens_with_learning_goals_and_a_time_estimate(name: str) -> None:
    first = _text(_cells(name)[0])
    assert first.startswith("# ")
    assert "**Learning goals**" in first
    time = r"\*\*Time:\*\* about (\d+) minutes to read and run, and (\d+) more for the exercises"
    m = re.search(time, first)
    assert m and 10 <= int(m.group(1)) <= 90 and 5 <= int(m.group(2)) <= 45


@pytest.mark.parametrize("name", NAMES)
def test_ends_with_a_summary_and_two_to_four_exercises(name: str) -> None:
    cells = _cells(name)
    heads = [i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and _text(c).startswith("## Summary")]
    assert len(heads) == 1
    summary = heads[0]
    assert _text(cells[summary + 1]).startswith("## Exercises")
    tail = [_text(c) for c in cells[summary + 1:]]
    exercises = [t for t in tail if re.match(r"(## Exercises\s+)?\*\*Exercise \d", t)]
    assert 2 <= len(exercises) <= 4
    assert any("(checked)" in t for t in exercises)
    assert any("(discuss)" in t or "(write)" in t for t in exercises)
    # a checked exercise is followed by the cell that checks it, answered with None
    for i, c in enumerate(cells[summary + 1:], start=summary + 1):
        if c["cell_type"] == "markdown" and "(checked)" in _text(c):
            check = cells[i + 1]
            assert check["cell_type"] == "code" and "my_answer = None" in _text(check)
            assert "exercise_feedback(" in _text(check)
    # answers that are not checked hide behind a click
    for t in tail:
        assert t.count("<details>") == t.count("</details>")


def test_every_exercise_is_checked_open_or_has_its_answer_behind_a_click() -> None:
    for name in NAMES:
        for _, text in markdown_cells(load(name)):
            if re.search(r"\*\*Exercise \d+\.\*\*", text):  # neither (checked), (discuss) nor (write)
                assert "<details><summary>Answer</summary>" in text, (name, text[:60])


# --- the glossary -----------------------------------------------------------------------------------
def test_notebook_00_defines_every_term_before_the_lessons_use_it() -> None:
    nb = load(START)
    cell = glossary_cell(nb)
    assert cell == 1  # right after the goals: the first thing after what you will learn
    text = _text(_cells(START)[cell])
    for term in GLOSSARY:
        assert f'<a name="{term.anchor}"></a>' in text


@pytest.mark.parametrize("name", NAMES)
def test_every_term_links_to_its_definition_at_first_use(name: str) -> None:
    nb = load(name)
    for term in GLOSSARY:
        use = first_use(nb, term)
        if use is not None:
            cell, _, target = use
            assert links_to_definition(target, term, name), f"{name} cell {cell}: {term.slug!r} unlinked"


# --- attribution (reference sheet §2.3, §2.4) --------------------------------------------------------
def test_openvmm_private_is_not_credited_to_the_tlfs() -> None:
    first = _text(_cells("01_anatomy_of_the_vp_context_page.ipynb")[0])
    assert "SSP, IA32_XSS and the entry flags are **OpenVMM private**" in first
    assert "RVI/SVI is private **by inference**" in first
    for name in NAMES:
        for _, text in markdown_cells(load(name)):
            assert not re.search(r"TLFS says must be \*\*private\*\*[^.]*SSP", text)


# --- the answer keys --------------------------------------------------------------------------------
def _wrong_at_vtl1_first_entry() -> set[str]:
    events = get_scenario("secure_call_round_trip").events(2)
    return {v.reg for v in simulate("naive", events).violations if v.step == 28}


#: The right answer of each notebook's checked exercise, stated from the sheet or computed another way.
ANSWERS: dict[str, object] = {
    "00_start_here.ipynb": BANK_BYTES,  # §2.1: 13 fields, 90 B
    "01_anatomy_of_the_vp_context_page.ipynb": list(BANK_LINES),  # §2.1: four lines
    "02_stepping_through_vtl_switches.ipynb": None,  # computed below by simulate(), not the Stepper
    "03_comparing_designs.ipynb": SPLIT_SWITCH_BYTES,  # §1.5: 15 GPRs x 8 B
    "04_what_does_the_split_page_cost.ipynb": 1 + 3,  # the run page + one context page per VTL
    "05_finding_counterexamples.ipynb": 3,  # docs/verification.md: bank-no-rsp breaks in 3 events
    "06_review_your_own_design.ipynb": 2,  # CR2 stale at both entries after a switch
}


@pytest.mark.parametrize("name", NAMES)
def test_the_checked_answer_key_says_right_for_the_right_answer(name: str) -> None:
    cells = _cells(name)
    code = next(_text(cells[i + 1]) for i, c in enumerate(cells)
                if c["cell_type"] == "markdown" and "(checked)" in _text(c))
    answer = ANSWERS[name]
    if name == "02_stepping_through_vtl_switches.ipynb":
        answer = sorted(_wrong_at_vtl1_first_entry())
    namespace: dict[str, object] = {}
    exec("from tdxlab.widgets.stepper import Stepper", namespace)  # what notebook 02 imported earlier
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace("my_answer = None", f"my_answer = {answer!r}", 1), namespace)
    assert out.getvalue().startswith("Right"), out.getvalue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace("my_answer = None", "my_answer = 'no such answer'", 1), namespace)
    assert out.getvalue().startswith("Not quite")


def test_feedback_accepts_what_a_student_types_and_never_gives_the_answer_away() -> None:
    assert exercise_feedback(None, 90).startswith("Not answered yet")
    assert exercise_feedback("90", 90).startswith("Right") and exercise_feedback(90.0, 90).startswith("Right")
    assert exercise_feedback("0x180, 0x1c0 0x200,0x280", [384, 448, 512, 640]).startswith("Right")
    assert exercise_feedback(["RIP", "Rsp"], {"rip", "rsp"}).startswith("Right")
    wrong = exercise_feedback(91, 90, "bytes")
    assert wrong.startswith("Not quite") and "90" not in wrong.replace("91", "")
    assert exercise_feedback("rip", {"rip", "rsp"}).startswith("Not quite")
