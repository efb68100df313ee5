"""Cost charts: parts per entry, overhead vs switch fraction, memory, VTL count, sensitivity, model vs host.

Renderers follow the kit's pattern: ``draw_*(..., ax=None) -> Axes`` draws on the
given axes (or a fresh :class:`~matplotlib.figure.Figure`, never pyplot, so nothing
leaks).  The two charts the widget redraws are also small classes
(:class:`PartsChart`, :class:`OverheadChart`) that build their artists once and
update them in place, so a slider move costs a re-render, not a rebuild.

Style: the kit's (:mod:`tdxlab.render.style`).  Each design brings its own look, a
colour, a marker and a line style (:attr:`tdxlab.sim.designs.Design.style`, Okabe-Ito
colours, so the charts read in greyscale and for colour-blind readers); variants and
designs without one get a stable spare style.  The charts read the registry when they
are drawn and name no design.  Cost parts are told apart by colour *and* hatching.
:func:`save` writes PNG and SVG byte-stably through ``style.save``.

Every caption, title, axis title and legend key with words in it comes from :mod:`tdxlab.describe` (the words
layer, below this one).  Every chart that shows modelled time says that the fixed work (round
trip and kernel) rests on *unverified* stand-ins, and the host chart says it is a host
analogue, not TDX hardware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from tdxlab import describe
from tdxlab.cost import host as host_mod
from tdxlab.cost.accounting import VTL_COUNTS, DesignCosts, VtlCount, account, check_vtls
from tdxlab.cost.constants import CONSTANTS, DEFAULT, CostConstants
from tdxlab.cost.sensitivity import Sensitivity, sensitivity, sensitivity_questions
from tdxlab.cost.sweep import BreakEven, break_evens, curves, summary, sweep
from tdxlab.cost.timemodel import DEFAULT_EVICTED_KIB, EVICTED_AXIS, FIXED_PARTS, PARTS, Part
from tdxlab.files import check_dir, write_atomic
from tdxlab.layout.engine import PAGE
from tdxlab.palette import OKABE_ITO
from tdxlab.render import style
from tdxlab.sim.designs import DESIGNS, Design, DesignStyle, spare_style

# --- style ------------------------------------------------------------------------------------
#: Cost parts: colour and hatch (the fixed parts are neutral greys: every design on a platform pays
#: them), keyed by the closed set of parts and checked below to cover it.
PART_COLOURS: dict[Part, str] = {
    Part.ROUND_TRIP: "#BBBBBB",
    Part.KERNEL: "#888888",
    Part.COPY: OKABE_ITO["orange"],
    Part.CACHE: OKABE_ITO["sky_blue"],
    Part.TLB: OKABE_ITO["reddish_purple"],
}
PART_HATCHES: dict[Part, str] = {Part.ROUND_TRIP: "", Part.KERNEL: "\\\\", Part.COPY: "//", Part.CACHE: "..",
                                 Part.TLB: "xx"}
if set(PART_COLOURS) != set(Part) or set(PART_HATCHES) != set(Part):  # pragma: no cover
    raise ImportError("tdxlab.render.charts: every cost Part needs a colour and a hatch")
#: The kit's style (:mod:`tdxlab.render.style`) plus what these charts add: a light grid and no
#: top/right spines, so the eye reads values off the bars and lines.
RC: dict[RcKeyType, Any] = cast(dict[RcKeyType, Any], {
    **style.RC,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": False,
})


def design_style(design: str | DesignCosts) -> DesignStyle:
    """How a design is drawn: the registered design's own style, else a stable spare one.

    A :class:`~tdxlab.cost.accounting.DesignCosts` of a variant (``is_variant``) is drawn
    in the spare style of its key, as :attr:`tdxlab.sim.designs.Design.style` does, so it
    is told apart from its base; so is any key the registry does not hold.
    """
    key = design.design if isinstance(design, DesignCosts) else design
    variant = isinstance(design, DesignCosts) and design.is_variant
    if variant or key not in DESIGNS:
        return spare_style(key)
    return DESIGNS[key].style


def new_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    """A pyplot-free figure on an Agg canvas (:func:`tdxlab.render.style.new_figure`): no leaks."""
    with mpl.rc_context(RC):
        return style.new_figure(width, height, constrained=True)


def _axes(ax: Axes | None, width: float = 6.4, height: float = 3.6) -> Axes:
    if ax is not None:
        return ax
    fig = new_figure(width, height)
    with mpl.rc_context(RC):
        return fig.add_subplot()


def nice_limit(value: float) -> float:
    """The next 1-2-2.5-5 x 10^k step at or above ``value``.

    Axis limits snap to these steps so that small data changes keep the same
    limits, ticks and labels: the widget then redraws only the data artists.
    """
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exp = np.floor(np.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        limit = float(step * 10**exp)
        if limit >= value * (1 - 1e-12):
            return limit
    return float(10 ** (exp + 1))  # pragma: no cover - the loop always returns


def _costs(designs: Iterable[str | Design | DesignCosts] | None) -> list[DesignCosts]:
    """The costs of ``designs`` (default: every registered design, read now)."""
    chosen = list(DESIGNS) if designs is None else list(designs)
    return [d if isinstance(d, DesignCosts) else account(d) for d in chosen]


# --- chart 1: cost per entry, stacked by part -----------------------------------------------------
class PartsChart:
    """Stacked bars of ns per entry by part, one bar per design; :meth:`update` moves them in place."""

    def __init__(self, ax: Axes, designs: Sequence[str], *, include_fixed: bool = True) -> None:
        """Create one bar per (part, design) and the total labels."""
        self.ax = ax
        self.designs = list(designs)
        self.parts = [p for p in PARTS if include_fixed or p not in FIXED_PARTS]
        x = np.arange(len(self.designs))
        with mpl.rc_context(RC):
            self.bars = {
                p: ax.bar(x, np.zeros(len(x)), 0.6, label=describe.cost_part_label(p),
                          color=PART_COLOURS[Part(p)], hatch=PART_HATCHES[Part(p)], edgecolor="#333333",
                          linewidth=0.5)
                for p in self.parts
            }
            self.labels = [ax.text(float(i), 0.0, "", ha="center", va="bottom", fontsize=8) for i in x]
            ax.set_xticks(x, self.designs)
            ax.set_ylabel(describe.parts_axis_label(include_fixed=include_fixed))
            ax.legend(loc="upper left", frameon=False, ncols=2)
        self.include_fixed = include_fixed

    def update(self, frame: pd.DataFrame, top: float | None = None) -> None:
        """Set bar heights from a :func:`tdxlab.cost.sweep.summary` frame (one row per design).

        ``top`` fixes the value the y axis must reach (default: the tallest bar), so a
        caller can keep the axis still while the bars move.
        """
        rows = frame.set_index("design").loc[self.designs]
        bottom = np.zeros(len(self.designs))
        for p in self.parts:
            heights = rows[f"ns_{p}"].to_numpy(dtype=float)
            for rect, h, b in zip(self.bars[p], heights, bottom, strict=True):
                rect.set_height(h)
                rect.set_y(b)
            bottom = bottom + heights
        for text, height in zip(self.labels, bottom, strict=True):
            text.set_position((text.get_position()[0], height))
            text.set_text(describe.significant(float(height), ""))
        limit = nice_limit(max(float(bottom.max()), top or 0.0, 1.0) * 1.2)
        if self.ax.get_ylim() != (0.0, limit):
            self.ax.set_ylim(0.0, limit)

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes (for redrawing only them)."""
        return [r for bars in self.bars.values() for r in bars] + list(self.labels)


def draw_cost_parts(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
    include_fixed: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Cost per entry by design, stacked by part (round trip, kernel work, copies, cache, TLB)."""
    costs = _costs(designs)
    ax = _axes(ax)
    chart = PartsChart(ax, [c.design for c in costs], include_fixed=include_fixed)
    chart.update(summary(costs, constants, evicted_kib=evicted_kib, switch_fraction=switch_fraction))
    ax.set_title(describe.parts_title(evicted_kib, switch_fraction, include_fixed=include_fixed), fontsize=9)
    if include_fixed:
        ax.annotate(describe.fixed_part_caption(), (0.0, -0.16), xycoords="axes fraction", fontsize=7,
                    color="#555555")
    return ax


# --- chart 2: overhead versus switch fraction ---------------------------------------------------
def overhead_curves(
    designs: Iterable[str | Design | DesignCosts] | None,
    constants: CostConstants,
    evicted_kib: float,
    fractions: np.ndarray,
) -> pd.DataFrame:
    """Design-dependent ns per entry over switch fractions (one column per design)."""
    costs = _costs(designs)
    values = curves(costs, constants, evicted_kib, fractions, "ns_design")
    return pd.DataFrame(values.T, index=pd.Index(fractions, name="switch_fraction"),
                        columns=[c.design for c in costs])


class OverheadChart:
    """Lines of design-dependent ns per entry against switch fraction, with break-even marks."""

    def __init__(self, ax: Axes, designs: Sequence[str | DesignCosts], fractions: np.ndarray, *,
                 note: bool = True) -> None:
        """Create one line per design, the break-even markers and the 'you are here' line.

        ``designs`` are keys or costs (a variant's costs draw it in its spare style).
        ``note=False`` leaves the break-even sentences out of the axes (the widget shows
        them as HTML: text is the slowest thing matplotlib draws).
        """
        self.ax = ax
        self.show_note = note
        self.designs = [d.design if isinstance(d, DesignCosts) else d for d in designs]
        self.fractions = fractions
        with mpl.rc_context(RC):
            self.lines = {}
            for item, d in zip(designs, self.designs, strict=True):
                look = design_style(item)
                self.lines[d] = ax.plot(fractions, np.zeros_like(fractions), linestyle=look.line,
                                        color=look.colour, marker=look.marker,
                                        markevery=max(1, len(fractions) // 10), markersize=4, label=d,
                                        linewidth=1.6)[0]
            self.marks = ax.plot([], [], "o", markersize=9, markerfacecolor="none",
                                 markeredgecolor="#000000", markeredgewidth=1.4,
                                 label=describe.BREAK_EVEN_KEY)[0]
            self.here = ax.axvline(0.0, color="#777777", linewidth=0.8, linestyle=":")
            self.note = ax.text(0.01, 0.80, "", transform=ax.transAxes, va="top", fontsize=7)
            ax.set_xlabel(describe.Axis.SWITCH_FRACTION.value)
            ax.set_ylabel(describe.Axis.NS_DESIGN.value)
            ax.set_xlim(0, 1)
            ax.legend(loc="upper right", frameon=False, ncols=3, fontsize=7)
        self.break_evens: list[BreakEven] = []

    def update(self, curves: pd.DataFrame, break_evens: Sequence[BreakEven],
               here: float | None = None) -> None:
        """Move the lines, markers and the sentence to new values."""
        top = 1.0
        for d, line in self.lines.items():
            y = curves[d].to_numpy(dtype=float)
            line.set_ydata(y)
            top = max(top, float(np.nanmax(y)))
        xs, ys, words = [], [], []
        for be in break_evens:
            words.append(describe.break_even_sentence(be))
            for x in be.crossings:
                xs.append(x)
                ys.append(float(np.interp(x, self.fractions, curves[be.design].to_numpy(dtype=float))))
        self.marks.set_data(xs, ys)
        self.note.set_text("\n".join(words) if self.show_note else "")
        if here is not None:
            self.here.set_xdata([here, here])
        limit = nice_limit(top * 1.45)
        if self.ax.get_ylim() != (0.0, limit):
            self.ax.set_ylim(0.0, limit)
        self.break_evens = list(break_evens)

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes (for redrawing only them)."""
        return [*self.lines.values(), self.marks, self.here, *([self.note] if self.show_note else [])]


def draw_overhead_vs_switch(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    points: int = 101,
    ax: Axes | None = None,
) -> Axes:
    """Design-dependent cost per entry versus VTL-switch fraction, break-even points marked."""
    costs = _costs(designs)
    keys = [c.design for c in costs]
    fractions = np.linspace(0.0, 1.0, points)
    ax = _axes(ax)
    chart = OverheadChart(ax, costs, fractions)
    chart.update(overhead_curves(costs, constants, evicted_kib, fractions),
                 break_evens(keys, constants, evicted_kib=evicted_kib))
    ax.set_title(describe.overhead_title(evicted_kib), fontsize=9)
    return ax


# --- chart 3: memory ----------------------------------------------------------------------------
def draw_memory_per_vp(designs: Iterable[str | Design | DesignCosts] | None = None, *,
                       ax: Axes | None = None) -> Axes:
    """Kernel-visible pages per VP with VTL 0 only and with VTL 1 enabled, per design."""
    costs = _costs(designs)
    ax = _axes(ax)
    x = np.arange(len(costs))
    with mpl.rc_context(RC):
        for i, (vtls, hatch) in enumerate(((1, ""), (2, "//"))):
            vals = [c.pages_per_vp(vtls) for c in costs]
            bars = ax.bar(x + (i - 0.5) * 0.38, vals, 0.36, color=[design_style(c).colour for c in costs],
                          hatch=hatch, edgecolor="#333333", linewidth=0.5,
                          label=describe.vtls_label(vtls))
            ax.bar_label(bars, fmt="%d", fontsize=8)
        ax.set_xticks(x, [c.design for c in costs])
        ax.set_ylabel(describe.Axis.PAGES_PER_VP.value)
        ax.set_ylim(0, max(c.pages_per_vp(2) for c in costs) + 1)
        ax.legend(frameon=False, loc="upper left")
        ax.set_title(describe.PAGES_TITLE)
    return ax


def draw_memory_per_partition(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    vps: Sequence[int] = (1, 4, 16, 64, 256, 1024, 4096),
    *,
    vtls: int = 2,
    ax: Axes | None = None,
) -> Axes:
    """Memory per partition (pages plus paravisor banks) versus VP count, log-log."""
    costs = _costs(designs)
    ax = _axes(ax)
    n = np.asarray(vps, dtype=float)
    with mpl.rc_context(RC):
        for c in costs:
            kib = n * c.bytes_per_vp(vtls) / 1024.0
            look = design_style(c)
            ax.plot(n, kib, linestyle=look.line, color=look.colour, marker=look.marker, markersize=4,
                    label=c.design)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=10)
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(describe.Axis.PARTITION_VPS.value)
        ax.set_ylabel(describe.Axis.PARTITION_KIB.value)
        ax.legend(frameon=False)
        ax.set_title(describe.partition_title(vtls))
    return ax


# --- chart 3b: cost against the number of lower VTLs --------------------------------------------
#: What :func:`draw_cost_vs_vtls` can plot against the VTL count, with its axis title.
VTL_COUNT_QUANTITIES: dict[str, describe.Axis] = {
    "memory": describe.Axis.KIB_PER_VP,
    "entry": describe.Axis.BYTES_PER_ENTRY,
    "switch": describe.Axis.BYTES_PER_SWITCH,
}


def _vtl_value(at: VtlCount, quantity: str, switch_fraction: float) -> float:
    if quantity == "memory":
        return at.bytes_per_vp / 1024.0
    if quantity == "entry":
        return at.bytes_per_entry(switch_fraction)
    return np.nan if at.switch_copied is None else at.switch_copied  # no switch with VTL 0 only


def draw_cost_vs_vtls(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    *,
    quantity: str = "memory",
    switch_fraction: float = 0.5,
    vtls: Sequence[int] = VTL_COUNTS,
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """One line per design of a cost against the number of lower VTLs (1 = VTL 0 only, 2, 3).

    ``quantity`` is ``memory`` (KiB per VP: pages x 4 KiB + paravisor heap), ``entry`` (bytes
    copied per entry at ``switch_fraction``) or ``switch`` (bytes copied per VTL switch, no point
    at 1 VTL).  Every value is the one measured at that count (:meth:`DesignCosts.at_vtls`), so
    a line that stays flat is a measurement, not an assumption.
    """
    if quantity not in VTL_COUNT_QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(VTL_COUNT_QUANTITIES)}")
    counts = [check_vtls(n) for n in vtls]
    costs = _costs(designs)
    ax = _axes(ax)
    top = 1.0
    with mpl.rc_context(RC):
        for c in costs:
            y = np.array([_vtl_value(c.at_vtls(n), quantity, switch_fraction) for n in counts])
            look = design_style(c)
            ax.plot(counts, y, linestyle=look.line, color=look.colour, marker=look.marker, markersize=5,
                    linewidth=1.6, label=c.design)
            top = max(top, float(np.nanmax(y)) if np.isfinite(y).any() else 0.0)
        ax.set_xticks(counts, [describe.vtl_count_tick(n) for n in counts], fontsize=7)
        ax.set_xlim(min(counts) - 0.25, max(counts) + 0.25)
        ax.set_ylim(0.0, nice_limit(top * 1.15))
        ax.set_xlabel(describe.Axis.LOWER_VTLS.value)
        ax.set_ylabel(VTL_COUNT_QUANTITIES[quantity].value)
        if legend:
            ax.legend(frameon=False, fontsize=7, loc="upper left")
    return ax


def draw_vtl_count(
    designs: Iterable[str | Design | DesignCosts] | None = None,
    *,
    switch_fraction: float = 0.5,
    vtls: Sequence[int] = VTL_COUNTS,
) -> Figure:
    """Memory per VP, bytes per entry and bytes per switch against the VTL count, side by side."""
    costs = _costs(designs)
    fig = new_figure(11.2, 3.8)
    panels = fig.subplots(1, len(VTL_COUNT_QUANTITIES))
    for i, (ax, quantity) in enumerate(zip(panels, VTL_COUNT_QUANTITIES, strict=True)):
        # one legend is enough: every panel draws the same designs in the same styles
        draw_cost_vs_vtls(costs, quantity=quantity, switch_fraction=switch_fraction, vtls=vtls,
                          legend=i == 0, ax=ax)
    fig.suptitle(describe.vtl_count_title(switch_fraction), fontsize=9)
    fig.supxlabel(describe.vtl_count_caption(switch_fraction), fontsize=7, color="#555555")
    return fig


# --- chart 4: sensitivity over the unverified constants -------------------------------------------
def draw_sensitivity(rows: Sequence[Sensitivity], *, ax: Axes | None = None, top: int | None = None) -> Axes:
    """A tornado chart: per constant, the difference in ns per entry over its range; flips marked.

    One bar per constant from its value at the low end of its range to the high end (the
    others at their values), the widest on top; a dot marks the constant's current value.
    A bar that crosses 0 flips the conclusion: it is drawn yellow and hatched, and the
    value where it flips is written beside it.  ``top`` keeps only the widest bars.
    """
    if not rows:
        raise ValueError("no sensitivity rows to draw")
    chosen = sorted(rows, key=lambda r: r.span)
    if top is not None:
        chosen = chosen[-top:]
    ax = _axes(ax, 6.4, 0.9 + 0.28 * len(chosen))
    with mpl.rc_context(RC):
        for i, r in enumerate(chosen):
            lo, hi = r.diffs[0], r.diffs[-1]
            # yellow + hatch: a flip (not vermillion/blue, which mean private/shared in this kit)
            colour = OKABE_ITO["yellow"] if r.flips else OKABE_ITO["bluish_green"]
            ax.barh(i, hi - lo, left=lo, height=0.6, color=colour, hatch="//" if r.flips else "",
                    edgecolor="#333333", linewidth=0.4)
            ax.plot([r.diff_default], [i], "o", color="#000000", markersize=3)
            if r.flips:
                unit = CONSTANTS[r.constant].unit
                ax.text(max(lo, hi), i, "  flips at " + ", ".join(f"{v:,.0f}" if v >= 100 else f"{v:.3g}"
                                                                   for v in r.flips) + f" {unit}",
                        va="center", fontsize=6)
        ax.axvline(0.0, color="#000000", linewidth=0.8)
        ax.set_yticks(range(len(chosen)),
                      [f"{r.constant} ({r.low:,.6g}..{r.high:,.6g})" for r in chosen], fontsize=7)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5))
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel(describe.Axis.SENSITIVITY.value, fontsize=8)
        ax.grid(axis="y", visible=False)
    return ax


def draw_sensitivities(
    questions: Sequence[tuple[str | Design | DesignCosts, Sequence[str | Design | DesignCosts]]],
    constants: CostConstants = DEFAULT,
    *,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.1,
    top: int | None = 10,
) -> Figure:
    """One tornado panel per (design, against) question, side by side."""
    if not questions:
        raise ValueError("no sensitivity questions to draw")
    fig = new_figure(7.2 * len(questions), 4.6)
    panels = np.atleast_1d(fig.subplots(1, len(questions)))
    for ax, (design, against) in zip(panels, questions, strict=True):
        rows = sensitivity(design, against, constants, evicted_kib=evicted_kib,
                           switch_fraction=switch_fraction)
        draw_sensitivity(rows, ax=ax, top=top)
        ax.set_title(describe.sensitivity_title(rows[0].design, rows[0].against, switch_fraction,
                                                evicted_kib), fontsize=8)
    fig.supxlabel(describe.sensitivity_caption(), fontsize=7, color="#555555")
    return fig


# --- chart 5: modelled versus host-measured ----------------------------------------------------
def draw_model_vs_host(
    host: pd.DataFrame,
    constants: CostConstants = DEFAULT,
    *,
    scenario: str = "entry",
    ax: Axes | None = None,
) -> Axes:
    """Modelled design-dependent ns per entry (lines) and the host analogue's net ns (markers), by eviction.

    The model is drawn with this machine's cache capacities (:func:`tdxlab.cost.host.host_constants`),
    so the two differ only where the model's assumptions do.  Host points where the call
    overhead is more than half the raw time are drawn hollow: there the measurement is mostly
    interpreter time.  Points whose net time is not positive (the overhead ate it) are left out.
    """
    part = host[host["scenario"] == scenario]
    if part.empty:
        raise ValueError(f"no host measurements for scenario {scenario!r}")
    keys = list(dict.fromkeys(part["design"]))
    f = 0.0 if scenario == "entry" else 1.0
    points = sorted({*EVICTED_AXIS, *(float(e) for e in part["evicted_kib"])})
    axis_top = max(points)
    dense = sorted({0.0, *np.geomspace(1.0, max(axis_top, 2.0), 60).tolist()})
    model = sweep(_costs(keys), [1], [0.0], [f], host_mod.host_constants(host, constants), evicted_kib=dense)
    ax = _axes(ax)
    with mpl.rc_context(RC):
        for d in keys:
            look = design_style(d)
            colour = look.colour
            m = model[model["design"] == d]
            ax.plot(m["evicted_kib"], m["ns_design"], linestyle=look.line, color=colour, linewidth=1.6,
                    label=describe.series_label(d, "model"))
            h = part[part["design"] == d]
            h = h[h["net_ns"] > 0]  # a log axis cannot show a net time lost in the noise
            noisy = (h["overhead_ns"] > 0.5 * h["min_ns"]).to_numpy()
            y = h["net_ns"].to_numpy(dtype=float)
            x = h["evicted_kib"].to_numpy(dtype=float)
            ax.plot(x[~noisy], y[~noisy], linestyle="none", marker=look.marker, color=colour,
                    markersize=5, label=describe.series_label(d, "host"))
            ax.plot(x[noisy], y[noisy], linestyle="none", marker=look.marker, color=colour,
                    markerfacecolor="none", markersize=5, label=describe.series_label(d, "host (noisy)"))
        ax.set_xscale("symlog", linthresh=16.0, base=4)
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(describe.Axis.EVICTED.value)
        ax.set_ylabel(describe.Axis.HOST_NS.value)
        ax.legend(frameon=False, ncols=3, fontsize=6)
        ax.set_title(describe.model_vs_host_title(host_mod.LABEL), fontsize=9)
        ax.annotate(describe.host_noise_caption(), (0.0, -0.2), xycoords="axes fraction", fontsize=7,
                    color="#555555")
    return ax


# --- saving ------------------------------------------------------------------------------------
def save(fig: Figure, stem: str | Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` byte-stably, each through a renamed temporary file.

    :func:`tdxlab.files.write_atomic`: a symlink planted at ``stem.png`` is replaced, not followed.
    """
    stem = Path(stem)
    check_dir(stem.parent, "chart directory")
    out = []
    with mpl.rc_context(RC):
        for ext in ("png", "svg"):
            out.append(write_atomic(stem.with_suffix(f".{ext}"), style.to_bytes(fig, ext)))
    return out


#: The chart names :func:`cost_figures` knows, in order (``model_vs_host`` needs host data).
CHARTS: tuple[str, ...] = ("cost_parts", "overhead_vs_switch", "memory", "vtl_count", "sensitivity",
                           "model_vs_host")



def cost_figures(
    constants: CostConstants = DEFAULT,
    *,
    designs: Iterable[str | Design | DesignCosts] | None = None,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
    host: pd.DataFrame | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, Figure]:
    """The cost charts as figures, by file stem.

    ``only`` picks some of :data:`CHARTS`; ``model_vs_host`` is drawn only when ``host``
    (a :func:`tdxlab.cost.host.measure` frame) is given.
    """
    wanted = list(CHARTS) if only is None else list(only)
    unknown = [w for w in wanted if w not in CHARTS]
    if unknown:
        raise ValueError(f"unknown chart(s) {', '.join(unknown)}; known: {', '.join(CHARTS)}")
    costs = _costs(designs)
    figs: dict[str, Figure] = {}

    if "cost_parts" in wanted:
        fig = new_figure(9.6, 3.8)
        a1, a2 = fig.subplots(1, 2)
        draw_cost_parts(costs, constants, evicted_kib=evicted_kib, switch_fraction=switch_fraction, ax=a1)
        draw_cost_parts(costs, constants, evicted_kib=evicted_kib, switch_fraction=switch_fraction,
                        include_fixed=False, ax=a2)
        fig.suptitle(describe.unverified_constants_caption(), fontsize=7, color="#555555")
        figs["cost_parts"] = fig

    if "overhead_vs_switch" in wanted:
        fig = new_figure(6.4, 4.0)
        draw_overhead_vs_switch(costs, constants, evicted_kib=evicted_kib, ax=fig.add_subplot())
        fig.suptitle(describe.unverified_constants_caption(), fontsize=7, color="#555555")
        figs["overhead_vs_switch"] = fig

    if "memory" in wanted:
        fig = new_figure(9.6, 3.6)
        b1, b2 = fig.subplots(1, 2)
        draw_memory_per_vp(costs, ax=b1)
        draw_memory_per_partition(costs, ax=b2)
        fig.suptitle(describe.memory_caption(PAGE), fontsize=7, color="#555555")
        figs["memory"] = fig

    if "vtl_count" in wanted:
        figs["vtl_count"] = draw_vtl_count(costs, switch_fraction=switch_fraction)

    questions = sensitivity_questions(costs)
    if "sensitivity" in wanted and questions:
        # a switch fraction of 0 asks nothing a switch-based design could lose; 0.1 is a busy VTL 1
        figs["sensitivity"] = draw_sensitivities(questions, constants, evicted_kib=evicted_kib,
                                                 switch_fraction=switch_fraction or 0.1)

    if "model_vs_host" in wanted and host is not None:
        fig = new_figure(6.4, 4.0)
        draw_model_vs_host(host, constants, ax=fig.add_subplot())
        figs["model_vs_host"] = fig
    return figs


def write_cost_charts(
    out_dir: str | Path,
    constants: CostConstants = DEFAULT,
    *,
    designs: Iterable[str | Design | DesignCosts] | None = None,
    evicted_kib: float = DEFAULT_EVICTED_KIB,
    switch_fraction: float = 0.0,
    host: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every cost chart to ``out_dir`` as PNG and SVG; return the paths written."""
    out = Path(out_dir)
    paths: list[Path] = []
    for stem, fig in cost_figures(constants, designs=designs, evicted_kib=evicted_kib,
                                  switch_fraction=switch_fraction, host=host).items():
        paths += save(fig, out / stem)
    return paths


__all__ = [
    "CHARTS",
    "PART_COLOURS",
    "VTL_COUNT_QUANTITIES",
    "OverheadChart",
    "PartsChart",
    "cost_figures",
    "design_style",
    "draw_cost_parts",
    "draw_cost_vs_vtls",
    "draw_memory_per_partition",
    "draw_memory_per_vp",
    "draw_model_vs_host",
    "draw_overhead_vs_switch",
    "draw_sensitivities",
    "draw_sensitivity",
    "draw_vtl_count",
    "new_figure",
    "nice_limit",
    "overhead_curves",
    "save",
    "write_cost_charts",
]
