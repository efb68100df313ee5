"""One matplotlib style for every tdxlab figure, and byte-stable saving.

Why: figures end up in teaching slides, docs and reference files that tests compare
byte for byte, so two renders of the same figure must produce the same bytes on any
machine.  Three things break that by default, and this module pins each:

* fonts: the rc below names only fonts bundled with matplotlib (DejaVu), and SVG text
  is written as paths (``svg.fonttype = "path"``), so no system font is consulted;
* ids: SVG element ids are random unless ``svg.hashsalt`` is fixed;
* metadata: PNG carries a ``Software`` version and SVG/PDF a creation date; :func:`save`
  drops both (:data:`STABLE_METADATA`).

The style is applied with :func:`style` (a context manager around
:func:`matplotlib.rc_context`) rather than by mutating global ``rcParams`` at import,
so importing tdxlab never changes a user's other figures.  Everything here works
with the Agg backend; nothing needs a display.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Resolution used for on-screen figures and for saving; fixed so PNG sizes never drift.
DPI = 110

#: The kit's rc parameters.  Only keys that change output are set.
RC: dict[str, Any] = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.monospace": ["DejaVu Sans Mono"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "hatch.linewidth": 0.6,
    "image.interpolation": "nearest",
    "image.resample": False,
    "svg.hashsalt": "tdxlab",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "path.simplify": True,
    "text.hinting": "default",
    "text.antialiased": True,
}

#: ``savefig(metadata=...)`` per format: removes version strings and creation dates.
STABLE_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


@contextmanager
def style() -> Iterator[None]:
    """Apply :data:`RC` for the duration of a ``with`` block (draw *and* save inside it)."""
    with mpl.rc_context(cast(Any, RC)):  # matplotlib types rc keys as a Literal union
        yield


def new_figure(width: float, height: float, *, constrained: bool = False) -> Figure:
    """A pyplot-free :class:`Figure` on an Agg canvas.

    Not created through :mod:`matplotlib.pyplot`, so figures are never registered with
    a global figure manager and cannot leak (the widgets redraw many times); the Agg
    canvas makes ``fig.canvas.draw()`` work headless.  ``constrained`` layout is off by
    default: it measures every text twice per draw, which triples the cost of a
    64-row byte grid, so renderers that know their margins place axes themselves.
    """
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, target: str | Path | IO[bytes], fmt: str | None = None) -> None:
    """Write ``fig`` byte-stably as PNG, SVG or PDF (format from ``fmt`` or the file suffix)."""
    if fmt is None:
        if not isinstance(target, str | Path):
            raise ValueError("save: give fmt= when writing to a file object")
        fmt = Path(target).suffix.lstrip(".").lower()
    if fmt not in STABLE_METADATA:
        raise ValueError(f"save: format {fmt!r} not supported; use one of {', '.join(STABLE_METADATA)}")
    with style():
        fig.savefig(target, format=fmt, metadata=STABLE_METADATA[fmt])


def to_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The bytes :func:`save` would write (for tests, reports and ``IPython.display``)."""
    buf = io.BytesIO()
    save(fig, buf, fmt)
    return buf.getvalue()


__all__ = ["DPI", "RC", "STABLE_METADATA", "new_figure", "save", "style", "to_bytes"]
