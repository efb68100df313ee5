"""The palette: every owner has a colour, colours are distinct (also for colour-blind readers),
labels are readable on their fills, and the palette stays a plain-string core module.

Expected colours are the published Okabe-Ito values, written here literally; the
contrast reference values are WCAG's own examples.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import pytest

from tdxlab import palette
from tdxlab.owners import Owner
from tdxlab.palette import (
    CHANGED,
    HIGHLIGHT,
    OUTSIDE,
    OWNER_SWATCHES,
    Deficiency,
    Pattern,
    contrast_ratio,
    delta_e,
    hex_to_rgb,
    label_colour,
    owner_colour,
)

HEX = re.compile(r"^#[0-9A-F]{6}$")
STATE = (Owner.PRIVATE, Owner.SHARED, Owner.GLOBAL)
FILLERS = (Owner.PADDING, Owner.RESERVED, Owner.HOLE)


def test_every_owner_has_a_swatch_with_valid_hex() -> None:
    assert set(OWNER_SWATCHES) == set(Owner)
    for owner in Owner:
        sw = OWNER_SWATCHES[owner]
        assert HEX.match(sw.fill), (owner, sw.fill)
        assert HEX.match(sw.label), (owner, sw.label)
        assert sw.why, f"{owner}: the choice is not explained"


def test_key_colours_are_the_okabe_ito_values() -> None:
    assert owner_colour(Owner.PRIVATE) == "#D55E00"  # vermillion
    assert owner_colour(Owner.SHARED) == "#0072B2"  # blue
    assert CHANGED == "#F0E442"  # yellow


def test_fills_are_distinct() -> None:
    fills = [owner_colour(o) for o in Owner] + [OUTSIDE.fill]
    assert len(set(fills)) == len(fills)
    assert HIGHLIGHT not in fills and CHANGED not in fills
    assert HIGHLIGHT != CHANGED


@pytest.mark.parametrize("owner", list(Owner), ids=lambda o: o.value)
def test_label_contrast_at_least_4_5(owner: Owner) -> None:
    assert contrast_ratio(label_colour(owner), owner_colour(owner)) >= 4.5


def test_label_contrast_on_outside() -> None:
    assert contrast_ratio(OUTSIDE.label, OUTSIDE.fill) >= 4.5


def test_contrast_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("deficiency", [None, *Deficiency], ids=lambda d: "normal" if d is None else d.name)
def test_state_colours_stay_apart_for_colour_blind_readers(deficiency: Deficiency | None) -> None:
    """Private/shared/global and the changed marker differ by at least 20 CIE76 units when simulated."""
    for a, b in itertools.combinations(STATE, 2):
        assert delta_e(owner_colour(a), owner_colour(b), deficiency) >= 20, (a, b)
    for o in STATE:
        assert delta_e(CHANGED, owner_colour(o), deficiency) >= 20, o
        assert delta_e(HIGHLIGHT, owner_colour(o), deficiency) >= 20, o


def test_fillers_differ_by_pattern() -> None:
    patterns = [OWNER_SWATCHES[o].pattern for o in FILLERS]
    assert Pattern.SOLID not in patterns
    assert len(set(patterns)) == len(patterns)
    assert len({p.hatch for p in patterns}) == len(patterns)
    for o in STATE:
        assert OWNER_SWATCHES[o].pattern is Pattern.SOLID


def test_css_paints_fill_and_pattern() -> None:
    css = OWNER_SWATCHES[Owner.PADDING].css()
    assert OWNER_SWATCHES[Owner.PADDING].fill in css and "gradient" in css
    assert "gradient" not in OWNER_SWATCHES[Owner.PRIVATE].css()


def test_hex_to_rgb() -> None:
    assert hex_to_rgb("#D55E00") == (0xD5, 0x5E, 0x00)
    with pytest.raises(ValueError, match="not #RRGGBB") as err:
        hex_to_rgb("red")
    assert "\n" not in str(err.value)


def test_palette_is_plain_core() -> None:
    code = ("import sys, tdxlab.palette; "
            "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert palette.__doc__ and "Okabe" in palette.__doc__
