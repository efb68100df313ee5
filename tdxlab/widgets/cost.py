"""The cost explorer: sliders for the workload and the constants, two charts redrawn in place.

Plain-Python API first, widget second::

    ex = CostExplorer().set(switch_fraction=0.3, evicted_kib=1024, user_mode_cycles=0)
    ex.frame          # one row per design: counts, ns by part, total, cpu share
    ex.figure         # the matplotlib Figure (parts chart + overhead-vs-switch chart)
    ex.sentences()    # the break-even findings in words
    ex.png()          # the figure as PNG bytes (what the widget shows)
    ex.widget         # the ipywidgets UI (built on first use)

The figure is built once; :meth:`CostExplorer.set` recomputes the model (a
few-row sweep) and moves the existing bars, lines and markers; the UI then renders
the figure into one ``widgets.Image`` — no ``clear_output`` flicker and no new figure
per change (the figure is not registered with pyplot, so nothing leaks).  Sliders
use ``continuous_update=False``: a redraw happens when a slider is released.
ipywidgets is imported only when the UI is built and matplotlib only when an explorer
is made; the PNG is written by matplotlib.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import traitlets

from tdxlab import describe
from tdxlab.cost.accounting import DesignCosts, account
from tdxlab.cost.constants import CONSTANTS, DEFAULT, CostConstants, with_overrides
from tdxlab.cost.sweep import BreakEven, break_evens, summary
from tdxlab.cost.timemodel import DEFAULT_EVICTED_KIB, EVICTED_AXIS, check_evicted
from tdxlab.widgets._base import WidgetModel, WidgetUI

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Workload settings :meth:`CostExplorer.set` accepts besides the constants.
WORKLOAD = ("evicted_kib", "switch_fraction", "entries_per_s")
#: KiB-evicted points offered by the slider (the model's eviction axis, crossing the cache sizes).
EVICTED_CHOICES: tuple[float, ...] = EVICTED_AXIS
#: Resolution of the widget's image: enough for a notebook cell, cheap to re-render.
DPI = 80
#: Rendered backgrounds kept, one per combination of axis limits seen.
BACKGROUNDS = 16
#: Constants that get a slider, with (min, max, step).
SLIDERS: dict[str, tuple[float, float, float]] = {
    "tdx_entry_cycles": (500.0, 20000.0, 100.0),
    "user_mode_cycles": (0.0, 10000.0, 100.0),
    "wrmsr_cycles": (10.0, 1000.0, 10.0),
    "snp_world_switch_cycles": (500.0, 10000.0, 100.0),
    "snp_host_cycles": (0.0, 10000.0, 100.0),
    "cpu_ghz": (1.0, 5.0, 0.1),
    "hot_copy_gb_per_s": (10.0, 400.0, 5.0),
    "copy_gb_per_s": (1.0, 200.0, 1.0),
    "l1_ns": (0.5, 5.0, 0.1),
    "l2_ns": (1.0, 20.0, 0.5),
    "l3_ns": (5.0, 60.0, 1.0),
    "dram_ns": (30.0, 150.0, 1.0),
    "walk_ref_ns": (0.5, 50.0, 0.5),
}


def _workload(changes: dict[str, float], evicted_kib: float, switch_fraction: float,
              entries_per_s: float) -> tuple[float, float, float]:
    """The workload after ``changes``, checked: one-line errors naming the setting."""
    evicted = check_evicted(changes.get("evicted_kib", evicted_kib))
    f = float(changes.get("switch_fraction", switch_fraction))
    if not 0.0 <= f <= 1.0:
        raise ValueError(f"switch_fraction must be within 0..1, got {f!r}")
    rate = float(changes.get("entries_per_s", entries_per_s))
    if not np.isfinite(rate) or rate < 0:
        raise ValueError(f"entries_per_s must be a number >= 0, got {rate!r}")
    return evicted, f, rate


class CostExplorer(WidgetModel["_CostUI"]):
    """The cost model at one workload point, as numbers, a figure and (optionally) a widget."""

    evicted_kib = traitlets.Float(DEFAULT_EVICTED_KIB, min=0.0, read_only=True,
                                  help="KiB the guest's own work evicts between two entries of a VP")
    switch_fraction = traitlets.Float(0.0, min=0.0, max=1.0, read_only=True,
                                      help="fraction of entries preceded by a VTL switch")
    entries_per_s = traitlets.Float(1e4, min=0.0, read_only=True, help="entries per second per VP")
    constants: traitlets.Instance[CostConstants] = traitlets.Instance(
        CostConstants, read_only=True, help="the cost model's constants")

    def __init__(
        self,
        designs: Iterable[str | DesignCosts] | None = None,
        constants: CostConstants = DEFAULT,
        *,
        evicted_kib: float = DEFAULT_EVICTED_KIB,
        switch_fraction: float = 0.0,
        entries_per_s: float = 1e4,
        points: int = 101,
    ) -> None:
        """Build the figure once; later changes go through :meth:`set`.

        matplotlib (and the Pillow it brings) is imported here, not when the module is:
        importing :mod:`tdxlab.widgets` loads no plotting or imaging library.
        """
        super().__init__()
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from tdxlab.render import charts
        from tdxlab.sim.designs import DESIGNS

        n, f, rate = _workload({}, evicted_kib, switch_fraction, entries_per_s)
        chosen = list(DESIGNS) if designs is None else list(designs)
        self.costs = [d if isinstance(d, DesignCosts) else account(d) for d in chosen]
        self.designs = [c.design for c in self.costs]
        self._commit(constants, n, f, rate)
        self.fractions = np.linspace(0.0, 1.0, points)
        self.figure: Figure = charts.new_figure(10.0, 4.2)
        with mpl.rc_context(charts.RC):
            left, right = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.4)})
        self._parts = charts.PartsChart(left, self.designs, include_fixed=False)
        self._overhead = charts.OverheadChart(right, self.costs, self.fractions, note=False)
        left.set_title("design-dependent parts at this point")
        right.set_title("versus the VTL-switch fraction")
        self.figure.set_dpi(DPI)
        self._canvas: Any = FigureCanvasAgg(self.figure)  # Any: the Agg canvas methods are untyped
        self._backgrounds: OrderedDict[tuple[tuple[float, float], ...], Any] = OrderedDict()
        self.frame = pd.DataFrame()
        self.break_evens: list[BreakEven] = []
        self._recompute()

    def _commit(self, constants: CostConstants, evicted_kib: float, switch_fraction: float,
                rate: float) -> None:
        self.set_trait("constants", constants)
        self.set_trait("evicted_kib", evicted_kib)
        self.set_trait("switch_fraction", switch_fraction)
        self.set_trait("entries_per_s", rate)

    # --- plain-Python API -------------------------------------------------------------------
    def set(self, **changes: float) -> CostExplorer:
        """Change workload settings (``evicted_kib``, ``switch_fraction``, ``entries_per_s``) or constants.

        Unknown names and out-of-range values are one-line errors and change nothing.
        """
        workload = {k: v for k, v in changes.items() if k in WORKLOAD}
        consts = {k: v for k, v in changes.items() if k not in WORKLOAD}
        new_constants = with_overrides(self.constants, consts) if consts else self.constants
        evicted, f, rate = _workload(workload, self.evicted_kib, self.switch_fraction, self.entries_per_s)
        with self.hold_trait_notifications():
            self._commit(new_constants, evicted, f, rate)
            self._recompute()
            self._changed()
        return self

    def sentences(self) -> list[str]:
        """The break-even findings at the current settings, in words."""
        return [describe.break_even_sentence(be) for be in self.break_evens]

    def png(self) -> bytes:
        """The figure as PNG bytes (what the widget shows), redrawing as little as possible.

        The first render lays the figure out (constrained layout) and keeps that
        layout.  The axes, ticks, labels and legends are rendered once into a
        background; a change then repaints only the data artists (bars, lines,
        markers) over a copy of it.  Only when an axis limit steps (limits snap to
        1-2-2.5-5 steps) is the whole figure drawn again.  The pixels are encoded by
        :func:`matplotlib.image.imsave` (fast zlib level: the image is redrawn often).
        """
        import matplotlib as mpl
        import matplotlib.image

        from tdxlab.render import charts

        with mpl.rc_context(charts.RC):
            canvas = self._canvas
            limits = tuple((float(a), float(b)) for a, b in (ax.get_ylim() for ax in self.figure.axes))
            background = self._backgrounds.get(limits)
            if background is None:
                dynamic = self._dynamic()
                for a in dynamic:
                    a.set_animated(True)
                try:
                    canvas.draw()
                finally:
                    for a in dynamic:
                        a.set_animated(False)
                if self.figure.get_layout_engine() is not None:
                    self.figure.set_layout_engine(None)  # keep the layout found on the first draw
                self._backgrounds[limits] = canvas.copy_from_bbox(self.figure.bbox)
                while len(self._backgrounds) > BACKGROUNDS:
                    self._backgrounds.popitem(last=False)
            else:
                self._backgrounds.move_to_end(limits)
                canvas.restore_region(background)
            for a in self._dynamic():
                self.figure.draw_artist(a)
            buf = io.BytesIO()
            matplotlib.image.imsave(buf, canvas.buffer_rgba(), format="png",
                                    pil_kwargs={"compress_level": 1})
        return buf.getvalue()

    def _dynamic(self) -> list[Any]:
        return [*self._parts.artists(), *self._overhead.artists()]

    # --- model -> artists ------------------------------------------------------------------
    def _recompute(self) -> None:
        from tdxlab.render import charts

        frame = summary(self.costs, self.constants, evicted_kib=self.evicted_kib,
                        switch_fraction=self.switch_fraction)
        frame["cpu_share"] = frame["ns_per_entry"] * self.entries_per_s / 1e9
        self.frame = frame
        curves = charts.overhead_curves(self.costs, self.constants, self.evicted_kib, self.fractions)
        self.break_evens = break_evens(self.designs, self.constants, evicted_kib=self.evicted_kib)
        # Both y axes reach the highest cost over every switch fraction, so moving the switch
        # fraction never changes an axis (and never forces a full redraw).
        self._parts.update(frame, top=float(np.nanmax(curves.to_numpy())))
        self._overhead.update(curves, self.break_evens, here=self.switch_fraction)

    @property
    def html(self) -> str:
        """The workload point, the totals, the break-even findings and the CPU share, as HTML."""
        rows = self.frame.to_dict(orient="records")
        fixed = describe.per_design(
            (str(r["design"]), describe.significant(float(r["ns_round_trip"]) + float(r["ns_kernel"])))
            for r in rows)
        total = describe.per_design((str(r["design"]), describe.significant(float(r["ns_per_entry"])))
                                    for r in rows)
        share = describe.per_design((str(r["design"]), f"{100 * float(r['cpu_share']):.2f}%") for r in rows)
        items = "".join(f"<li>{escape(s)}</li>" for s in self.sentences())
        return (f"<div><b>{escape(describe.workload_line(self.evicted_kib, self.switch_fraction))}</b> "
                f"{escape(describe.entry_costs_line(fixed, total))}</div>"
                f"<ul>{items}</ul><div>{escape(describe.cpu_share_line(self.entries_per_s, share))}</div>"
                f"<div style='color:#8a4b00'>{escape(describe.unverified_constants_note())}</div>")

    def control_values(self) -> dict[str, float]:
        """What each slider shows: the workload and the constants that have a slider."""
        values: dict[str, float] = {"switch_fraction": self.switch_fraction, "evicted_kib": self.evicted_kib,
                                    "entries_per_s": self.entries_per_s}
        values.update({k: float(getattr(self.constants, k)) for k in SLIDERS})
        return values

    # --- widget -------------------------------------------------------------------------------
    def _build_ui(self) -> _CostUI:
        return _CostUI(self)

    def __repr__(self) -> str:
        """The workload point in one line."""
        point = describe.workload_line(self.evicted_kib, self.switch_fraction)
        return f"<CostExplorer {', '.join(self.designs)}: {point}>"


class _CostUI(WidgetUI):
    """Workload and constant sliders, the figure as one Image, the findings as HTML."""

    def __init__(self, ex: CostExplorer) -> None:
        import ipywidgets as w

        super().__init__(ex)
        self.ex = ex
        style = {"description_width": "170px"}
        layout = w.Layout(width="430px")
        c: dict[str, Any] = {
            "switch_fraction": w.FloatSlider(
                value=ex.switch_fraction, min=0.0, max=1.0, step=0.01, description="switch fraction",
                continuous_update=False, style=style, layout=layout, readout_format=".2f"),
            "evicted_kib": w.SelectionSlider(
                options=[(f"{v:,.0f}", v) for v in EVICTED_CHOICES],
                value=ex.evicted_kib if ex.evicted_kib in EVICTED_CHOICES else DEFAULT_EVICTED_KIB,
                description="KiB evicted between entries", continuous_update=False, style=style,
                layout=layout),
            "entries_per_s": w.FloatLogSlider(
                value=max(ex.entries_per_s, 100.0), base=10, min=2, max=6, step=0.1,
                description="entries/s per VP", continuous_update=False, style=style, layout=layout),
        }
        for name, (lo, hi, step) in SLIDERS.items():
            info = CONSTANTS[name]
            flag = " ⚠" if info.unverified else ""
            c[name] = w.FloatSlider(
                value=float(getattr(ex.constants, name)), min=lo, max=hi, step=step,
                description=f"{name}{flag}", continuous_update=False, style=style, layout=layout,
                tooltip=f"{info.label} [{info.unit}] — {info.source.cite()}")
        for name, control in c.items():
            self.on_value(control, self._setter(name))
        self.controls = c
        self.image = w.Image(format="png")
        self.text = w.HTML()
        workload = w.VBox([c[k] for k in WORKLOAD])
        consts = w.VBox([c[k] for k in SLIDERS])
        self.root = w.VBox([
            self.image,
            w.HBox([w.VBox([w.HTML("<b>Workload</b>"), workload]),
                    w.VBox([w.HTML("<b>Constants</b> (⚠ unverified)"), consts])]),
            self.error,
            self.text,
        ])
        self.root.add_class("tdxlab-cost")
        self.refresh()

    def _setter(self, name: str) -> Callable[[float], object]:
        return lambda value: self.ex.set(**{name: value})

    def sync(self) -> None:
        """Every slider shows the explorer's value (an eviction off the slider's steps is left)."""
        for name, value in self.ex.control_values().items():
            if name == "evicted_kib" and value not in EVICTED_CHOICES:
                continue
            control = self.controls[name]
            if control.value != value:
                control.value = value

    def redraw(self) -> None:
        """The figure (only its data artists, over a kept background) and the findings."""
        self.image.value = self.ex.png()
        self.text.value = self.ex.html


def explore(**settings: Any) -> CostExplorer:
    """A :class:`CostExplorer` with some settings applied (``explore(switch_fraction=0.3)``)."""
    return CostExplorer().set(**settings) if settings else CostExplorer()


__all__ = ["EVICTED_CHOICES", "SLIDERS", "WORKLOAD", "CostExplorer", "explore"]
