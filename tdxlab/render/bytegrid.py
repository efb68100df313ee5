"""The byte grid as a matplotlib figure: one row per 64-byte cache line, one cell per byte.

Why a grid of cache lines: the cost of OpenVMM's bank switching and the reach of a
stray write are both counted in cache lines, and "RIP and RSP share a line with
the shared GPRs" is something a reader should *see*.  Every byte is coloured by the
owner its layout row declares (:meth:`~tdxlab.layout.engine.Layout.owner_bytes`,
colours from :mod:`tdxlab.palette`), filler bytes are hatched, field boundaries are
thin white lines, and the y axis names the absolute offset of each line.

Mechanism, chosen for speed: the cells are ONE ``imshow`` of an RGB array (a 4 KiB
page is a 64 x 64 image, not 4096 rectangles); hatches, the selection outline and
the changed-byte markers are a handful of collections with one rectangle per run of
bytes per line.  :func:`draw_byte_grid` is a pure ``draw_*(..., ax=None) -> Axes``
function; :class:`ByteGrid` (from :func:`byte_grid_of`) updates the same artists in
place (``set_data`` on the image, new paths on the collections) so a widget never
rebuilds the figure.  Figures are made without pyplot (no global registry, no leaks)
inside :func:`tdxlab.render.style.style`, so output is deterministic.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.image import AxesImage
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from tdxlab import describe
from tdxlab.layout.engine import CACHE_LINE, Layout, LayoutError
from tdxlab.owners import Owner
from tdxlab.palette import (
    CHANGED,
    CHANGED_HALO,
    HIGHLIGHT,
    HIGHLIGHT_HALO,
    OUTSIDE,
    OWNER_SWATCHES,
    hex_to_rgb,
)
from tdxlab.render import style
from tdxlab.render.html_grid import (
    OUTSIDE_CODE,
    GridSpan,
    Marks,
    grid_codes,
    grid_span,
    leaf_index,
    legend_entries,
    mark_mask,
)

_OWNERS = list(Owner)
#: RGB lookup table indexed by owner code (``list(Owner)`` order, then OUTSIDE).
LUT = np.array([hex_to_rgb(OWNER_SWATCHES[o].fill) for o in _OWNERS] + [hex_to_rgb(OUTSIDE.fill)],
               dtype=np.uint8)
#: Byte values are printed in the cells when data is given and at most this many rows are drawn.
MAX_VALUE_ROWS = 16
#: Artist ids (``gid``), stable names for tests and for in-place updates.
GID_IMAGE = "tdxlab-bytegrid"
GID_HIGHLIGHT = "tdxlab-highlight"
GID_CHANGED = "tdxlab-changed"
_FILLERS = [o for o in _OWNERS if o.is_filler]


def grid_rgb(layout: Layout, *, base: int = 0, page_size: int | None = None) -> np.ndarray:
    """The ``(lines, 64, 3)`` uint8 image the grid shows: each byte in its owner's colour."""
    span = grid_span(layout, base, page_size)
    rgb: np.ndarray = LUT[grid_codes(layout, span)].reshape(span.lines, CACHE_LINE, 3)
    return rgb


def runs_to_cells(mask: np.ndarray) -> list[tuple[int, int, int]]:
    """``(row, first column, length)`` for each run of True in a flat per-byte mask, split per row."""
    out = []
    rows = mask.reshape(-1, CACHE_LINE)
    for r in np.flatnonzero(rows.any(axis=1)):
        line = np.concatenate(([False], rows[r], [False]))
        edges = np.flatnonzero(line[1:] != line[:-1])
        out += [(int(r), int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return out


def labelled_rows(span: GridSpan) -> list[int]:
    """Rows whose offset is written on the y axis.

    Every row holding structure bytes is labelled; in the rest of a page, one row per
    512 bytes and the last row.

    Why not every row of a page: each label is a text the renderer lays out on every
    draw, and the 40-odd empty rows of a run page's tail would double the draw time of
    the grid while telling the reader nothing a few landmarks do not.
    """
    first = (span.base - span.start) // CACHE_LINE
    last = (span.base - span.start + span.size - 1) // CACHE_LINE
    stride = 512 // CACHE_LINE
    keep = {r for r in range(span.lines)
            if first <= r <= last or (span.start // CACHE_LINE + r) % stride == 0}
    keep.add(span.lines - 1)
    return sorted(keep)


def _rects(cells: Sequence[tuple[int, int, int]], inset: float = 0.0) -> list[Rectangle]:
    return [Rectangle((c - 0.5 + inset, r - 0.5 + inset), n - 2 * inset, 1 - 2 * inset) for r, c, n in cells]


class ByteGrid:
    """The artists of one drawn byte grid, with in-place updates for widgets.

    Created by :func:`draw_byte_grid`; get it back with :func:`byte_grid_of`.  The
    rows are fixed; :meth:`update` changes the data shown, the selection and the
    changed bytes, and :meth:`set_layout` swaps in another layout that fits the same
    rows (e.g. the SNP reading of the run page) by ``set_data`` on the one image plus
    new hatches, field edges and legend -- never a new figure or a new image.
    """

    def __init__(self, ax: Axes, layout: Layout, span: GridSpan, image: AxesImage, legend: bool) -> None:
        """Keep the artists that updates touch (built by :func:`draw_byte_grid`)."""
        self.ax = ax
        self.layout = layout
        self.span = span
        self.image = image
        self._legend = legend
        self._lo = span.base - span.start
        self._layout_artists: list[PatchCollection | LineCollection] = []
        self._mark_artists: list[PatchCollection] = []
        self._texts: list[Text] = []
        self._has_marks = (False, False)

    # -- layout-dependent artists -------------------------------------------------------------
    def _draw_layout(self) -> None:
        for a in self._layout_artists:
            a.remove()
        codes = grid_codes(self.layout, self.span)
        self._layout_artists = [*_hatches(codes), _separators(self.layout, self.span)]
        for a in self._layout_artists:
            self.ax.add_collection(a, autolim=False)

    def _draw_legend(self) -> None:
        if not self._legend:
            return
        codes = grid_codes(self.layout, self.span)
        owners = {_OWNERS[c] for c in np.unique(codes) if c != OUTSIDE_CODE}
        handles = _legend_handles(owners, self.span, bool((codes == OUTSIDE_CODE).any()), *self._has_marks)
        self.ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=2,
                       handlelength=1.6, handleheight=1.1, borderaxespad=0.2, columnspacing=1.2)

    # -- marks ---------------------------------------------------------------------------------
    def _full_mask(self, marks: Marks | None, what: str) -> np.ndarray:
        mask = np.zeros(self.span.end - self.span.start, dtype=bool)
        mask[self._lo : self._lo + self.layout.size] = mark_mask(self.layout, marks, what)
        return mask

    def highlight_cells(self) -> list[tuple[int, int, int]]:
        """``(row, column, length)`` of each outlined run of the selection, read from the artist."""
        coll = next((a for a in self._mark_artists if a.get_gid() == GID_HIGHLIGHT), None)
        return [] if coll is None else _cells_of(coll)

    def changed_cells(self) -> list[tuple[int, int, int]]:
        """``(row, column, length)`` of each marked run of changed bytes, read from the artist."""
        coll = next((a for a in self._mark_artists if a.get_gid() == GID_CHANGED), None)
        return [] if coll is None else _cells_of(coll)

    def _draw_marks(self, highlight: Marks | None, changed: Marks | None) -> None:
        # Validate both before touching any artist, so a bad offset leaves the grid as it was.
        hl = runs_to_cells(self._full_mask(highlight, "highlight"))
        ch = runs_to_cells(self._full_mask(changed, "changed"))
        for a in self._mark_artists:
            a.remove()
        self._mark_artists = []
        # Halo first (wide), colour on top (narrow): each outline stays visible on any fill.
        layers = [
            (ch, CHANGED_HALO, 3.2, GID_CHANGED + "-halo", 0.12, 3.0),
            (ch, CHANGED, 1.6, GID_CHANGED, 0.12, 3.1),
            (hl, HIGHLIGHT_HALO, 3.4, GID_HIGHLIGHT + "-halo", 0.0, 4.0),
            (hl, HIGHLIGHT, 1.8, GID_HIGHLIGHT, 0.0, 4.1),
        ]
        for cells, colour, width, gid, inset, z in layers:
            if not cells:
                continue
            coll = PatchCollection(_rects(cells, inset), facecolor="none", edgecolor=colour,
                                   linewidth=width, zorder=z)
            coll.set_gid(gid)
            self.ax.add_collection(coll, autolim=False)
            self._mark_artists.append(coll)
        self._has_marks = (bool(hl), bool(ch))

    def _draw_values(self, data: bytes | bytearray | memoryview | None, show: bool) -> None:
        if not show or data is None:
            for t in self._texts:
                t.remove()
            self._texts = []
            return
        codes = grid_codes(self.layout, self.span)
        size, lo = self.layout.size, self._lo
        if len(self._texts) == size:  # same cells: change the strings, keep the artists
            for i, t in enumerate(self._texts):
                t.set_text(f"{data[i]:02x}")
                t.set_color(OWNER_SWATCHES[_OWNERS[codes[lo + i]]].label)
            return
        for t in self._texts:
            t.remove()
        self._texts = []
        for i in range(size):
            r, c = divmod(lo + i, CACHE_LINE)
            colour = OWNER_SWATCHES[_OWNERS[codes[lo + i]]].label
            self._texts.append(self.ax.text(c, r, f"{data[i]:02x}", ha="center", va="center",
                                            fontsize=5.2, family="monospace", color=colour, zorder=5))

    # -- public updates ------------------------------------------------------------------------
    def update(self, data: bytes | bytearray | memoryview | None = None, *,
               highlight: Marks | None = None, changed: Marks | None = None,
               values: bool | None = None) -> None:
        """Show new data, selection and changed bytes in place (no new figure, no new image)."""
        _check_data(self.layout, data)
        with style.style():
            had = self._has_marks
            self._draw_marks(highlight, changed)
            self._draw_values(data, _show_values(self.span, data, values))
            if self._has_marks != had:
                self._draw_legend()

    def set_layout(self, layout: Layout) -> None:
        """Show another layout that fits the same rows: recolour the image, redo hatches and edges.

        Marks and values are cleared (their offsets belonged to the old layout).
        """
        span = grid_span(layout, self.span.base, self.span.page_size)
        if span.lines != self.span.lines or span.start != self.span.start:
            raise LayoutError(f"{layout.name} needs {span.lines} rows; this grid has {self.span.lines}")
        with style.style():
            self.layout, self.span = layout, span
            self.image.set_data(grid_rgb(layout, base=span.base, page_size=span.page_size))
            self._draw_layout()
            self._draw_marks(None, None)
            self._draw_values(None, False)
            self._draw_legend()


def _check_data(layout: Layout, data: bytes | bytearray | memoryview | None) -> None:
    if data is not None and len(data) < layout.size:
        raise LayoutError(f"{layout.name}: {len(data)} bytes of data, the structure needs {layout.size}")


def _cells_of(coll: PatchCollection) -> list[tuple[int, int, int]]:
    out = []
    for path in coll.get_paths():
        v = np.asarray(path.vertices)
        (x0, y0), (x1, _) = v.min(axis=0), v.max(axis=0)
        col, row = int(np.ceil(x0)), int(np.ceil(y0))
        out.append((row, col, round(x1 - x0)))
    return out


_GRIDS: weakref.WeakKeyDictionary[Axes, ByteGrid] = weakref.WeakKeyDictionary()


def byte_grid_of(ax: Axes) -> ByteGrid:
    """The :class:`ByteGrid` drawn on ``ax`` by :func:`draw_byte_grid` (one-line error if none)."""
    try:
        return _GRIDS[ax]
    except KeyError:
        raise LayoutError("these axes hold no byte grid; draw one with draw_byte_grid") from None


def _legend_handles(owners: set[Owner], span: GridSpan, has_outside: bool, hl: bool, ch: bool) -> list[Patch]:
    handles = []
    for o, phrase in legend_entries(owners):
        sw = OWNER_SWATCHES[o]
        handles.append(Patch(facecolor=sw.fill, edgecolor="#777777", linewidth=0.4,
                             hatch=sw.pattern.hatch or None, hatchcolor=sw.ink, label=phrase))
    if has_outside:
        handles.append(Patch(facecolor=OUTSIDE.fill, edgecolor="#999999", linewidth=0.6,
                             label=span.outside_label))
    if hl:
        handles.append(Patch(facecolor="none", edgecolor=HIGHLIGHT, linewidth=1.8,
                             label=describe.HIGHLIGHT_KEY))
    if ch:
        handles.append(Patch(facecolor="none", edgecolor=CHANGED, linewidth=1.8, label=describe.CHANGED_KEY))
    return handles


def draw_byte_grid(
    layout: Layout,
    data: bytes | bytearray | memoryview | None = None,
    *,
    base: int = 0,
    page_size: int | None = None,
    highlight: Marks | None = None,
    changed: Marks | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    values: bool | None = None,
    legend: bool = True,
) -> Axes:
    """Draw ``layout``'s bytes coloured by owner, one row per cache line; return the Axes.

    ``base`` places the structure at that absolute offset (rows stay real cache
    lines, so ``tdx_vp_context`` at ``base=0x110`` starts 16 bytes into its first
    row); ``page_size`` draws the whole page, the rest as "unused page tail".
    ``highlight`` and ``changed`` are byte offsets relative to the structure (a
    ``range`` or any collection); ``data`` prints byte values in the cells when at
    most :data:`MAX_VALUE_ROWS` rows are drawn (``values`` forces it on or off).
    Without ``ax`` a fresh pyplot-free figure is made; with it, the caller's figure
    is used.  :func:`byte_grid_of` gives the artists for in-place updates.
    """
    span = grid_span(layout, base, page_size)
    _check_data(layout, data)
    with style.style():
        show_values = _show_values(span, data, values)
        if ax is None:
            ax = _new_axes(span.lines, legend, show_values)
        grid = ByteGrid(ax, layout, span, _image(ax, layout, span), legend)
        grid._draw_marks(highlight, changed)  # validates marks before the axes are dressed
        grid._draw_layout()
        grid._draw_values(data, show_values)
        grid._draw_legend()
        _dress(ax, span, title if title is not None else _default_title(layout, span))
        _GRIDS[ax] = grid
    return ax


#: Figure geometry in inches: margins around the grid and the height of one cache-line row
#: (taller when byte values are printed in the cells).
_WIDTH, _LEFT, _RIGHT, _TOP, _LEGEND, _ROW, _VALUE_ROW = 9.6, 0.85, 0.2, 0.62, 0.72, 0.14, 0.2


def _show_values(span: GridSpan, data: object, values: bool | None) -> bool:
    if data is None:
        return False
    return values if values is not None else span.lines <= MAX_VALUE_ROWS


def _new_axes(lines: int, legend: bool, values: bool) -> Axes:
    """A fresh figure sized for ``lines`` rows, the axes placed by fixed margins (fast, stable)."""
    bottom = _LEGEND if legend else 0.15
    row = _VALUE_ROW if values else _ROW
    height = _TOP + lines * row + bottom
    fig = style.new_figure(_WIDTH, height)
    return fig.add_axes((_LEFT / _WIDTH, bottom / height, 1 - (_LEFT + _RIGHT) / _WIDTH,
                         lines * row / height))


def _default_title(layout: Layout, span: GridSpan) -> str:
    return describe.byte_grid_title(layout.name, layout.size, span.base, span.page_size, CACHE_LINE)


def _image(ax: Axes, layout: Layout, span: GridSpan) -> AxesImage:
    """The one image of the grid: an RGB array, one pixel per byte, pixel edges on byte edges."""
    image = ax.imshow(grid_rgb(layout, base=span.base, page_size=span.page_size), aspect="auto",
                      interpolation="nearest", resample=False,
                      extent=(-0.5, CACHE_LINE - 0.5, span.lines - 0.5, -0.5))
    image.set_gid(GID_IMAGE)
    return image


def _dress(ax: Axes, span: GridSpan, title: str) -> None:
    """Limits, offset labels (absolute, hex), byte-column ruler on top, title."""
    ax.set_xlim(-0.5, CACHE_LINE - 0.5)
    ax.set_ylim(span.lines - 0.5, -0.5)
    rows = labelled_rows(span)
    offsets = span.line_offsets()
    ax.set_yticks(rows, [f"{offsets[r]:#05x}" for r in rows], family="monospace")
    ax.set_xticks(range(0, CACHE_LINE, 8), [f"+{c:#04x}" for c in range(0, CACHE_LINE, 8)],
                  family="monospace")
    ax.xaxis.tick_top()
    ax.tick_params(length=2, pad=1)
    for side in ax.spines.values():
        side.set_linewidth(0.5)
    ax.set_ylabel("cache line (absolute offset)" if span.lines >= 8 else "offset")
    ax.set_title(title, loc="left", pad=14)


def _hatches(codes: np.ndarray) -> list[PatchCollection]:
    """Hatch filler bytes: one collection per filler class, one rectangle per run per row."""
    out = []
    for owner in _FILLERS:
        cells = runs_to_cells(codes == _OWNERS.index(owner))
        if not cells:
            continue
        sw = OWNER_SWATCHES[owner]
        coll = PatchCollection(_rects(cells), facecolor="none", edgecolor="none", linewidth=0,
                               hatch=sw.pattern.hatch, zorder=2)
        coll.set_hatchcolor(sw.ink)
        coll.set_gid(f"tdxlab-hatch-{owner.value}")
        out.append(coll)
    return out


def _separators(layout: Layout, span: GridSpan) -> LineCollection:
    """Thin white lines between cache lines and at every field boundary inside a line."""
    lo = span.base - span.start
    _, index = leaf_index(layout)
    starts = np.flatnonzero(np.diff(index)) + 1 + lo
    edges = np.concatenate(([lo], starts, [lo + layout.size]))
    segs = [((-0.5, r + 0.5), (CACHE_LINE - 0.5, r + 0.5)) for r in range(span.lines - 1)]
    for e in edges.tolist():
        r, c = divmod(int(e), CACHE_LINE)
        if c and r < span.lines:
            segs.append(((c - 0.5, r - 0.5), (c - 0.5, r + 0.5)))
    lines = LineCollection(segs, colors="white", linewidths=0.7, zorder=2.5)
    lines.set_gid("tdxlab-separators")
    return lines


__all__ = [
    "GID_CHANGED",
    "GID_HIGHLIGHT",
    "GID_IMAGE",
    "LUT",
    "MAX_VALUE_ROWS",
    "ByteGrid",
    "byte_grid_of",
    "draw_byte_grid",
    "grid_rgb",
    "labelled_rows",
    "runs_to_cells",
]
