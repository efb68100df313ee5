"""Figures against their committed golden PNGs (tests/golden/), compared by decoded pixels.

The figures are drawn from the fixed inputs of ``tests/golden/regen.py``; after a deliberate
change to a chart run ``python3 dev.py regen`` and review the new PNGs.  A failure names the
figure and how far it moved.
"""

from __future__ import annotations

import pytest
from golden.regen import (
    FIGURES,
    GOLDEN_DESIGNS,
    GOLDEN_EVICTED_KIB,
    TOLERANCE,
    golden_path,
    pixel_rms,
    render,
)


@pytest.mark.parametrize("name", FIGURES)
def test_figure_matches_its_golden_file(name: str) -> None:
    path = golden_path(name)
    assert path.is_file(), f"{path.name} is missing: run python3 dev.py regen"
    rms = pixel_rms(render(name), path.read_bytes())
    assert rms <= TOLERANCE, f"{name} differs from {path.name} by RMS {rms:.2f} (> {TOLERANCE}): regen?"


def test_the_comparison_sees_a_changed_figure() -> None:
    # The check must fail for a real change: the same chart at another switch fraction moves
    # bars and labels; a different chart has another shape.
    from tdxlab.render import style
    from tdxlab.render.charts import cost_figures

    moved = cost_figures(designs=GOLDEN_DESIGNS, evicted_kib=GOLDEN_EVICTED_KIB, switch_fraction=0.0,
                         only=["cost_parts"])
    assert pixel_rms(style.to_bytes(moved["cost_parts"]), golden_path("cost_parts").read_bytes()) > TOLERANCE
    with pytest.raises(AssertionError, match="shape"):
        pixel_rms(render("overhead_vs_switch"), golden_path("memory").read_bytes())
