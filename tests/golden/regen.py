"""The golden figures: what each one is drawn from, how it is compared, and the script that rewrites them.

Run ``python3 dev.py regen`` (or ``python tests/golden/regen.py``) after a deliberate change
to a chart, review the PNG diff, and commit it.  Tests never write these files; they draw
the same figures from the same fixed inputs and compare the decoded pixels with
:func:`pixel_rms` (same shape, RMS difference at most :data:`TOLERANCE` on a 0-255 scale), so
a font-hinting difference between machines passes and a moved bar or a lost label fails.

Fixed inputs: the four designs of issue #746 (not the registry, so a design added later does
not change these figures), the default constants, and a workload that shows break-even
marks (4,096 KiB evicted by the guest between entries, switch fraction 0.5), and a sensitivity
chart of those designs' break-even questions.  The host chart depends on this machine's
timing and has no golden file; tests check its structure instead.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread

#: Where the golden PNGs live (next to this file).
GOLDEN_DIR = Path(__file__).resolve().parent
#: Largest RMS pixel difference (0-255 per channel) a figure may have from its golden file.
TOLERANCE = 2.0
#: The designs the cost goldens show, in order (fixed: the registry may grow).
GOLDEN_DESIGNS: tuple[str, ...] = ("naive", "bank", "split", "snp")
GOLDEN_EVICTED_KIB = 4096.0
GOLDEN_SWITCH_FRACTION = 0.5


def _cost(name: str) -> Callable[[], Figure]:
    def draw() -> Figure:
        from tdxlab.render.charts import cost_figures

        return cost_figures(designs=GOLDEN_DESIGNS, evicted_kib=GOLDEN_EVICTED_KIB,
                            switch_fraction=GOLDEN_SWITCH_FRACTION, only=[name])[name]

    return draw


def _byte_grid() -> Figure:
    from tdxlab.layout.catalog import get
    from tdxlab.render.bytegrid import draw_byte_grid

    ax = draw_byte_grid(get("hcl_run"), highlight=range(0x288, 0x290), changed={0x200})
    fig = ax.figure
    assert isinstance(fig, Figure)
    return fig


#: Golden figure name (file stem) -> how to draw it.
FIGURES: dict[str, Callable[[], Figure]] = {
    "cost_parts": _cost("cost_parts"),
    "overhead_vs_switch": _cost("overhead_vs_switch"),
    "memory": _cost("memory"),
    "sensitivity": _cost("sensitivity"),
    "byte_grid_hcl_run": _byte_grid,
}


def render(name: str) -> bytes:
    """The PNG bytes of golden figure ``name``, drawn now (byte-stable saving, :mod:`tdxlab.render.style`)."""
    from tdxlab.render import style

    fig = FIGURES[name]()
    try:
        return style.to_bytes(fig, "png")
    finally:
        fig.clear()


def golden_path(name: str) -> Path:
    """The committed PNG of figure ``name``."""
    return GOLDEN_DIR / f"{name}.png"


def pixels(png: bytes) -> np.ndarray:
    """Decoded RGB(A) pixels of a PNG on a 0-255 scale."""
    out: np.ndarray = imread(io.BytesIO(png), format="png").astype(np.float64) * 255.0
    return out


def pixel_rms(png: bytes, golden: bytes) -> float:
    """RMS difference of two PNGs' decoded pixels (0-255); a shape mismatch is an error."""
    a, b = pixels(png), pixels(golden)
    if a.shape != b.shape:
        raise AssertionError(f"image shape {a.shape} differs from the golden file's {b.shape}")
    return float(np.sqrt(np.mean((a - b) ** 2)))


def main(argv: list[str] | None = None) -> int:
    """Rewrite every golden PNG (or the names given) and print what was written."""
    names = list(argv if argv is not None else sys.argv[1:]) or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print(f"regen: unknown figure(s) {', '.join(unknown)}; known: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    for name in names:
        path = golden_path(name)
        data = render(name)
        changed = not path.exists() or path.read_bytes() != data
        path.write_bytes(data)
        print(f"{path.relative_to(GOLDEN_DIR.parent.parent)}: {'rewritten' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
