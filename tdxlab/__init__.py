"""tdxlab: see, byte by byte, why one VTL-unaware TDX context page is a problem, and weigh the fixes.

The core (this package without :mod:`tdxlab.render` and :mod:`tdxlab.widgets`) imports
no plotting or UI library, so it runs in plain Python and from the ``tdxlab`` CLI.
"""

from tdxlab.sources import OV_SNAPSHOT

__version__ = "0.1.0"
__all__ = ["OV_SNAPSHOT", "__version__"]
