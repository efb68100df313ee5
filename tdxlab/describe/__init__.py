"""The one description layer: every sentence tdxlab shows a person is worded here.

The CLI, the notebooks, byte-grid tooltips, widget info lines and error messages
all call these functions instead of formatting their own text, so a register is
described the same way everywhere and a correction (a class, a citation, an
"unverified" mark) lands in every view at once.  This follows pyelftools'
``descriptions.py``: the structures know facts, this module knows words.

The package is organised by topic, one module each; add new wording to the matching one
(every public name is re-exported here, so callers write ``describe.plural(...)``):

* :mod:`.basics` — numbers, owners, sources, registers and layouts;
* :mod:`.simulation` — trace events, isolation violations and simulation steps;
* :mod:`.costs` — the cost model's parts, constants, break-evens and captions;
* :mod:`.views` — sentences only the views show (banners, verdict lines).

Every function takes data objects and returns text: none of them runs the model.

Nothing here imports a plotting or UI library; the simulation types are imported
for type checking only, so ``from tdxlab import describe`` stays cheap.
"""

from tdxlab.describe.basics import *  # noqa: F403
from tdxlab.describe.basics import __all__ as _basics
from tdxlab.describe.costs import *  # noqa: F403
from tdxlab.describe.costs import __all__ as _costs
from tdxlab.describe.simulation import *  # noqa: F403
from tdxlab.describe.simulation import __all__ as _simulation
from tdxlab.describe.views import *  # noqa: F403
from tdxlab.describe.views import __all__ as _views

__all__ = [*_basics, *_simulation, *_costs, *_views]
