"""Teaching aids built on the model: generated problems with answer keys (``tdxlab quiz``).

:mod:`tdxlab.teach.quiz` draws a problem from a seed (a short random valid trace, or a
one-register variant of a design), answers it with the simulator, the access-log accounting
or complete verification, and words it through :mod:`tdxlab.describe`.  It imports no
plotting or UI library; the widget over it is :mod:`tdxlab.widgets.quiz`.

This is the teaching layer of ``docs/architecture.md``: above the words (it puts model
results and sentences together, as the CLI does), below the CLI, which prints it.
"""

from tdxlab.teach.quiz import KINDS, Checked, Quiz, QuizError

__all__ = ["KINDS", "Checked", "Quiz", "QuizError"]
