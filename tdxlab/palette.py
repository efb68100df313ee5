"""The kit's colours: one per owner class, plus selection and change markers, as plain hex strings.

Why a palette module in the core: the byte grid exists twice (a matplotlib image in
:mod:`tdxlab.render.bytegrid` and an HTML string in :mod:`tdxlab.render.html_grid`),
and a reader who learns "vermillion = private" from one must see the same colour in
the other, in the CLI's HTML report and in the docs.  So every colour is decided
once, here, as a ``#RRGGBB`` string, and this module imports neither matplotlib nor
ipywidgets.

Choices, and why:

* **Okabe & Ito (2008)** colours for the two classes the kit is about.  About 1 in 12
  men have a red-green colour-vision deficiency, and the usual red/green pair would
  make "private" and "shared" indistinguishable for them.  Vermillion and blue differ
  in hue *and* lightness for deuteranopes and protanopes (:func:`simulate_cvd` and the
  tests check the simulated distance).
* **private = vermillion** ``#D55E00``: the warm, alarming colour goes to the bytes
  that are wrong to share between VTLs (openvmm #746).
* **shared = blue** ``#0072B2``: calm, the TLFS says one copy is correct.
* **global = mid grey** ``#999999``: VP-wide control and exit data is neither guest
  register state nor a problem, so it gets no hue at all.
* **padding / reserved / hole = light greys** told apart by *pattern*, not colour
  (matplotlib hatches ``//``, ``xx``, ``..``; in HTML the same stripes, crosses and dots
  as CSS gradients), because three more hues would drown the two that matter.
* **mixed = reddish purple** ``#CC79A7``: only structure headers whose members differ
  are mixed; they never colour a byte, but a table row may.
* **outside = white**: bytes of the drawn area that belong to no structure (the unused
  tail of a 4 KiB page, or the part of a cache line before a structure starts).
* **selection = black outline with a white halo**, and **changed byte = Okabe-Ito
  yellow** ``#F0E442`` outline with a black halo.  Outlines, not fills, so the owner
  colour stays visible under them; the halos keep each outline visible on every fill
  (yellow alone vanishes on light grey for everyone, black alone is weak on blue).

Label colours (byte values printed on a cell) are chosen per fill for a WCAG contrast
of at least 4.5:1; :func:`contrast_ratio` computes it and the tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tdxlab.owners import Owner

#: Okabe & Ito (2008), "Color Universal Design": the eight colours, by their usual names.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

_BLACK = "#000000"
_WHITE = "#FFFFFF"


class Pattern(Enum):
    """How a filler class is told apart without colour: a matplotlib hatch and a CSS pattern."""

    SOLID = ("", "")
    STRIPES = ("////", "repeating-linear-gradient(135deg, {ink} 0 1px, transparent 1px 4px)")
    CROSSES = ("xxxx", "repeating-linear-gradient(45deg, {ink} 0 1px, transparent 1px 4px), "
               "repeating-linear-gradient(135deg, {ink} 0 1px, transparent 1px 4px)")
    DOTS = ("....", "radial-gradient({ink} 0.8px, transparent 1.2px) 0 0 / 4px 4px")

    def __init__(self, hatch: str, css: str) -> None:
        self.hatch = hatch
        self.css = css


@dataclass(frozen=True)
class Swatch:
    """Everything a view needs to paint one class: fill, label colour, pattern and its ink."""

    fill: str
    label: str
    pattern: Pattern = Pattern.SOLID
    ink: str = "#6E6E6E"
    why: str = ""

    def css(self) -> str:
        """Inline CSS (``background...; color...``) painting this swatch, pattern included."""
        text = f"background-color:{self.fill};color:{self.label};"
        if self.pattern is not Pattern.SOLID:
            text += f"background:{self.pattern.css.format(ink=self.ink)}, {self.fill};"
        return text


#: One swatch per owner class.  Every :class:`~tdxlab.owners.Owner` has one (tested).
OWNER_SWATCHES: dict[Owner, Swatch] = {
    Owner.PRIVATE: Swatch(OKABE_ITO["vermillion"], _BLACK,
                          why="per-VTL state: the bytes #746 is about (warm, alarming)"),
    Owner.SHARED: Swatch(OKABE_ITO["blue"], _WHITE,
                         why="one copy for all VTLs is correct per the TLFS (calm)"),
    Owner.GLOBAL: Swatch("#999999", _BLACK,
                         why="VP-wide control/exit data: not guest state, so no hue"),
    Owner.PADDING: Swatch("#E4E4E4", _BLACK, Pattern.STRIPES,
                          why="explicit padding: filler, pattern instead of a hue"),
    Owner.RESERVED: Swatch("#D4D4D4", _BLACK, Pattern.CROSSES,
                           why="reserved bytes: filler, crossed to read as 'do not use'"),
    Owner.HOLE: Swatch("#F4F4F4", _BLACK, Pattern.DOTS,
                       why="implicit ABI padding: filler the source never declared"),
    Owner.MIXED: Swatch(OKABE_ITO["reddish_purple"], _BLACK,
                        why="header rows whose members differ; never a single byte"),
}

#: Bytes in the drawn area that belong to no structure (unused page tail).
OUTSIDE = Swatch(_WHITE, _BLACK, why="not part of the structure")

#: Selection outline (the field a reader picked) and the halo that keeps it visible on dark fills.
HIGHLIGHT = _BLACK
HIGHLIGHT_HALO = _WHITE
#: Changed-byte outline (Okabe-Ito yellow) and its halo, visible on light fills.
CHANGED = OKABE_ITO["yellow"]
CHANGED_HALO = _BLACK


def swatch(owner: Owner) -> Swatch:
    """The swatch of ``owner`` (a function so callers need not know the table's name)."""
    return OWNER_SWATCHES[owner]


def owner_colour(owner: Owner) -> str:
    """The fill colour of ``owner`` as ``#RRGGBB``."""
    return OWNER_SWATCHES[owner].fill


def label_colour(owner: Owner) -> str:
    """The colour of text drawn on ``owner``'s fill (contrast >= 4.5:1)."""
    return OWNER_SWATCHES[owner].label


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` -> ``(r, g, b)`` bytes; one-line error on anything else."""
    text = colour.removeprefix("#")
    if len(text) != 6:
        raise ValueError(f"colour {colour!r} is not #RRGGBB")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        raise ValueError(f"colour {colour!r} is not #RRGGBB") from None


def _linear(c8: float) -> float:
    """SRGB byte -> linear light (IEC 61966-2-1)."""
    c = c8 / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0 black .. 1 white)."""
    r, g, b = (_linear(c) for c in hex_to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio between two colours (1..21; text wants >= 4.5)."""
    hi, lo = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class Deficiency(Enum):
    """Colour-vision deficiencies we check the palette against (Machado et al. 2009, severity 1)."""

    PROTANOPIA = ((0.152286, 1.052583, -0.204868),
                  (0.114503, 0.786281, 0.099216),
                  (-0.003882, -0.048116, 1.051998))
    DEUTERANOPIA = ((0.367322, 0.860646, -0.227968),
                    (0.280085, 0.672501, 0.047413),
                    (-0.011820, 0.042940, 0.968881))
    TRITANOPIA = ((1.255528, -0.076749, -0.178779),
                  (-0.078411, 0.930809, 0.147602),
                  (0.004733, 0.691367, 0.303900))


def simulate_cvd(colour: str, deficiency: Deficiency) -> tuple[float, float, float]:
    """Linear-RGB colour as seen with ``deficiency`` (Machado 2009 matrix, clipped to [0, 1])."""
    rgb = [_linear(c) for c in hex_to_rgb(colour)]
    m = deficiency.value
    return tuple(min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3))  # type: ignore[return-value]


def lab(linear_rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a linear-RGB colour, for perceptual distances."""
    r, g, b = linear_rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(a: str, b: str, deficiency: Deficiency | None = None) -> float:
    """CIE76 distance between two colours, optionally as seen with ``deficiency``."""
    def seen(c: str) -> tuple[float, float, float]:
        if deficiency is None:
            r, g, bl = (_linear(x) for x in hex_to_rgb(c))
            return r, g, bl
        return simulate_cvd(c, deficiency)

    la, lb = lab(seen(a)), lab(seen(b))
    return float(sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5)


__all__ = [
    "CHANGED",
    "CHANGED_HALO",
    "HIGHLIGHT",
    "HIGHLIGHT_HALO",
    "OKABE_ITO",
    "OUTSIDE",
    "OWNER_SWATCHES",
    "Deficiency",
    "Pattern",
    "Swatch",
    "contrast_ratio",
    "delta_e",
    "hex_to_rgb",
    "label_colour",
    "owner_colour",
    "relative_luminance",
    "simulate_cvd",
    "swatch",
]
