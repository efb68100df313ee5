"""``python -m tdxlab`` runs the ``tdxlab`` command."""

import sys

from tdxlab.commands import main

sys.exit(main())
