"""The quiz card: a generated problem, an answer box, Check, and the simulation behind the answer.

Plain-Python API first, widget second::

    card = QuizCard(seed=3)              # the kind comes from the seed, as in `tdxlab quiz`
    print(card.quiz.question)            # a tdxlab.teach.quiz.Quiz
    card.check("rip, rsp")               # -> Checked (right or not, and why); kept as card.checked
    card.reveal()                        # after checking: the explanation and the simulation
    card.new(seed=4, kind="bytes-copied")
    card.widget                          # seed, kind, New problem; question; answer input; Check; result

The answer input follows the kind: a multiple selection of registers for ``wrong-registers``,
a dropdown of the candidates for ``mystery-design``, a text box for the counts and values.
"Show the simulation" opens only once an answer has been checked, so the card can be handed
to a student.  Everything shown is :class:`~tdxlab.teach.quiz.Quiz`'s own text.
"""

from __future__ import annotations

from html import escape
from typing import Any

import traitlets

from tdxlab.render.css import FONT, MONO
from tdxlab.render.stepper_views import section_html
from tdxlab.sim.model import MODELLED
from tdxlab.teach.quiz import KINDS, VM_INDEX, Checked, MysteryProblem, Quiz, QuizError, check_seed, kind_of
from tdxlab.widgets._base import WidgetModel, WidgetUI

#: What the kind dropdown shows for "let the seed pick the kind".
FROM_SEED = "picked by the seed"


class QuizCard(WidgetModel["_QuizUI"]):
    """One generated problem at a time, the last answer checked, and whether the simulation is shown."""

    seed = traitlets.Int(0, min=0, read_only=True, help="the problem's seed")
    kind = traitlets.Unicode("", read_only=True, help="the kind asked for ('' = picked by the seed)")
    revealed = traitlets.Bool(False, read_only=True, help="the explanation and simulation are shown")

    def __init__(self, seed: int = 0, kind: str | None = None) -> None:
        """Draw the problem for ``seed`` and ``kind`` (a one-line QuizError for bad ones)."""
        super().__init__()
        self._quiz = Quiz(seed, kind)
        self._checked: Checked | None = None
        self.set_trait("seed", self._quiz.seed)
        self.set_trait("kind", kind or "")

    # --- state ----------------------------------------------------------------------------------
    @property
    def quiz(self) -> Quiz:
        """The problem shown."""
        return self._quiz

    @property
    def checked(self) -> Checked | None:
        """The verdict on the last answer checked (None before the first, or after a new problem)."""
        return self._checked

    # --- actions --------------------------------------------------------------------------------
    def new(self, seed: int | None = None, kind: str | None = None) -> Quiz:
        """Show another problem (``seed`` default: this one's plus one); the last verdict is dropped.

        ``kind`` ``None`` keeps the kind asked for before; ``""`` lets the seed pick it.
        """
        s = self.seed + 1 if seed is None else check_seed(seed)
        k = (self.kind or None) if kind is None else (kind or None)
        kind_of(s, k)  # a bad kind fails before anything changes
        quiz = Quiz(s, k)
        with self.hold_trait_notifications():
            self._quiz = quiz
            self._checked = None
            self.set_trait("seed", s)
            self.set_trait("kind", k or "")
            self.set_trait("revealed", False)
            self._changed()
        return quiz

    def check(self, given: object) -> Checked:
        """Judge ``given`` (any form :meth:`Quiz.check` reads) and keep the verdict."""
        checked = self._quiz.check(given)
        self._checked = checked
        self._changed()
        return checked

    def reveal(self, show: bool = True) -> str:
        """Show (or hide) the explanation and the simulation; only once an answer has been checked."""
        if show and self._checked is None:
            raise QuizError("check an answer first: the simulation gives the answer away")
        self.set_trait("revealed", bool(show))
        self._changed()
        return self.simulation_text if show else ""

    # --- views ----------------------------------------------------------------------------------
    @property
    def simulation_text(self) -> str:
        """The explanation, then the simulation behind the answer (what "Show the simulation" opens)."""
        return f"{self._quiz.explanation}\n\n{self._quiz.simulation}"

    @property
    def question_html(self) -> str:
        """The problem's question as HTML (kept as preformatted text: traces line up)."""
        q = self._quiz
        body = (f'<pre class="tdxlab-quiz-question" style="{MONO} white-space: pre-wrap;">'
                f"{escape(q.question)}</pre>")
        return section_html(f"Quiz: {q.kind}, seed {q.seed}", body, cls="tdxlab-quiz")

    @property
    def result_html(self) -> str:
        """The verdict on the last answer ('' before one is checked)."""
        c = self._checked
        if c is None:
            return ""
        mark = "✓" if c.right else "✗"
        return (f'<div class="tdxlab-quiz-result" style="{FONT} font-weight: 600;">{mark} '
                f"{escape(c.verdict)}</div>")

    @property
    def simulation_html(self) -> str:
        """The explanation and simulation as HTML ('' while hidden)."""
        if not self.revealed:
            return ""
        return (f'<pre class="tdxlab-quiz-simulation" style="{MONO} white-space: pre-wrap;">'
                f"{escape(self.simulation_text)}</pre>")

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _QuizUI:
        return _QuizUI(self)

    def __repr__(self) -> str:
        """Seed, kind and the last verdict."""
        verdict = "" if self._checked is None else (" right" if self._checked.right else " wrong")
        return f"<QuizCard seed={self.seed} kind={self._quiz.kind}{verdict}>"


def answer_options(quiz: Quiz) -> list[str]:
    """The choices of a kind answered by picking (registers, candidates); [] for a text answer."""
    if quiz.kind == "wrong-registers":
        return [*MODELLED, VM_INDEX]
    if isinstance(quiz.problem, MysteryProblem):
        return [d.key for d in quiz.problem.candidates]
    return []


class _QuizUI(WidgetUI):
    """The widgets of one card; every handler calls the card's public API."""

    def __init__(self, card: QuizCard) -> None:
        import ipywidgets as w

        super().__init__(card)
        self.card = card
        self.seed = w.IntText(value=card.seed, description="Seed", layout=w.Layout(width="180px"))
        self.kind = w.Dropdown(options=[(FROM_SEED, ""), *((k, k) for k in KINDS)], value=card.kind,
                               description="Kind", layout=w.Layout(width="300px"))
        self.new = w.Button(description="New problem", tooltip="draw the problem of this seed and kind")
        self.question = w.HTML()
        self.question.add_class("tdxlab-quiz-question")
        self.answer_box = w.HBox()
        self.answer_box.add_class("tdxlab-quiz-answer")
        self.check = w.Button(description="Check", button_style="primary", tooltip="judge the answer")
        self.result = w.HTML()
        self.result.add_class("tdxlab-quiz-result")
        self.show = w.ToggleButton(value=False, description="Show the simulation", disabled=True,
                                   tooltip="the explanation and the simulation behind the answer "
                                   "(after checking)")
        self.simulation = w.HTML()
        self.simulation.add_class("tdxlab-quiz-simulation")
        self._shown_for: Quiz | None = None
        self.input: Any = None
        self.on_click(self.new, lambda: card.new(self.seed.value, self.kind.value))
        self.on_click(self.check, self._do_check)
        self.on_value(self.show, card.reveal, lambda: card.revealed)
        controls = w.HBox([self.seed, self.kind, self.new])
        self.root = w.VBox([controls, self.error, self.question, w.HBox([self.answer_box, self.check]),
                            self.result, self.show, self.simulation])
        self.root.add_class("tdxlab-quiz-card")
        self.refresh()

    def _make_input(self) -> Any:
        """The answer input this kind needs: SelectMultiple, Dropdown or Text."""
        import ipywidgets as w

        from tdxlab import describe

        quiz = self.card.quiz
        options = answer_options(quiz)
        form = describe.ANSWER_FORMS[quiz.kind]
        if quiz.kind == "wrong-registers":
            return w.SelectMultiple(options=options, value=(), rows=8, description="Registers",
                                    tooltip=f"{form} (select none for none)")
        if options:
            return w.Dropdown(options=options, value=options[0], description="Design", tooltip=form)
        return w.Text(value="", placeholder=form, description="Answer", layout=w.Layout(width="420px"))

    def _do_check(self) -> None:
        value = self.input.value
        self.card.check(list(value) if isinstance(value, tuple) else value)

    def sync(self) -> None:
        """Seed, kind and the toggle show the card's state; the input is rebuilt for a new problem."""
        self.seed.value = self.card.seed
        self.kind.value = self.card.kind
        self.show.disabled = self.card.checked is None
        self.show.value = self.card.revealed
        if self._shown_for is not self.card.quiz:
            self._shown_for = self.card.quiz
            self.input = self._make_input()
            self.answer_box.children = (self.input,)

    def redraw(self) -> None:
        """Question, verdict and (when revealed) the simulation."""
        self.question.value = self.card.question_html
        self.result.value = self.card.result_html
        self.simulation.value = self.card.simulation_html


__all__ = ["FROM_SEED", "QuizCard", "answer_options"]
