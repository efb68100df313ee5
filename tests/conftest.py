"""Shared fixtures.

``design`` runs a test once per registered design (the registry is the one list of
designs; test modules never re-declare it).  Expected outcomes that differ per design
are stated in the test itself, keyed by the design's key.
"""

from __future__ import annotations

import pytest

from tdxlab.sim.designs import DESIGNS, Design

#: The registered design keys, for ``pytest.mark.parametrize`` where a fixture does not fit.
DESIGN_KEYS: tuple[str, ...] = tuple(DESIGNS)


@pytest.fixture(params=DESIGN_KEYS, ids=DESIGN_KEYS)
def design(request: pytest.FixtureRequest) -> Design:
    """Each registered design in turn."""
    return DESIGNS[request.param]


@pytest.fixture(params=DESIGN_KEYS, ids=DESIGN_KEYS)
def design_key(request: pytest.FixtureRequest) -> str:
    """Each registered design's key in turn."""
    return str(request.param)
