"""``python -m tdxlab`` runs the CLI."""

import sys

from tdxlab.cli import main

sys.exit(main())
