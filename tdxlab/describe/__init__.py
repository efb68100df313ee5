"""The one description layer: every sentence tdxlab shows a person is worded here.

The CLI, the notebooks, byte-grid tooltips and widget info lines all call these
functions instead of formatting their own text, so a register is described the same
way everywhere and a correction (a class, a citation, an "unverified" mark) lands in
every view at once.  (Error messages are the one exception: each is worded where the
mistake is detected, so it can name what and where; they use these words for the
things they name.)  This follows pyelftools' ``descriptions.py``: the structures know
facts, this package knows words.

The package is organised by topic, one module each; add new wording to the matching one
(every public name is re-exported here, so callers write ``describe.plural(...)``):

* :mod:`.basics` — numbers, owners, sources, registers and layouts;
* :mod:`.simulation` — trace events, isolation violations, simulation steps, searches, scenarios;
* :mod:`.compare` — the design comparison's column meanings and verdict lines;
* :mod:`.pahole` — the pahole-style text view of a layout (``tdxlab layout NAME``);
* :mod:`.costs` — the cost model's parts, constants, break-evens and captions;
* :mod:`.views` — sentences only the views show (banners, captions);
* :mod:`.quiz` — the questions, answers and explanations of ``tdxlab quiz``.

Every function takes data objects and returns text: none of them runs the model.
Phrase tables are keyed by enums and checked for completeness when the package is
imported (:func:`tdxlab.describe._tables.complete`), so a member without its words fails
at import, not in a view.

This is the words layer of ``docs/architecture.md``: it may import the facts, layouts,
simulation, costs and comparison layers, and nothing below it imports it (the import-linter
contract in ``pyproject.toml`` enforces this).  Nothing here imports a plotting or UI
library; the heavier types (results, comparisons) are imported for type checking only.
"""

from tdxlab.describe.basics import *  # noqa: F403
from tdxlab.describe.basics import __all__ as _basics
from tdxlab.describe.compare import *  # noqa: F403
from tdxlab.describe.compare import __all__ as _compare
from tdxlab.describe.costs import *  # noqa: F403
from tdxlab.describe.costs import __all__ as _costs
from tdxlab.describe.pahole import *  # noqa: F403
from tdxlab.describe.pahole import __all__ as _pahole
from tdxlab.describe.quiz import *  # noqa: F403
from tdxlab.describe.quiz import __all__ as _quiz
from tdxlab.describe.review import *  # noqa: F403
from tdxlab.describe.review import __all__ as _review
from tdxlab.describe.simulation import *  # noqa: F403
from tdxlab.describe.simulation import __all__ as _simulation
from tdxlab.describe.views import *  # noqa: F403
from tdxlab.describe.views import __all__ as _views

__all__ = [*_basics, *_simulation, *_compare, *_pahole, *_costs, *_views, *_review, *_quiz]
