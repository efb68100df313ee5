"""The cost explorer: sliders for the workload and the constants, two charts redrawn in place.

Plain-Python API first, widget second::

    ex = CostExplorer().set(switch_fraction=0.3, tdx_entry_cycles=1291)
    ex.frame          # one row per design: counts, ns by part, total, cpu share
    ex.figure         # the matplotlib Figure (parts chart + overhead-vs-switch chart)
    ex.sentences()    # the break-even findings in words
    ex.widget         # the ipywidgets UI (built on first use)

The figure is built once; :meth:`CostExplorer.set` recomputes the model (a
few-row sweep) and moves the existing bars, lines and markers, then renders the
figure into one ``widgets.Image`` — no ``clear_output`` flicker and no new figure
per change (the figure is not registered with pyplot, so nothing leaks).  Sliders
use ``continuous_update=False``: a redraw happens when a slider is released.
"""

from __future__ import annotations

import io
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tdxlab import describe
from tdxlab.cost.accounting import DesignCosts, account
from tdxlab.cost.constants import CONSTANTS, DEFAULT, CostConstants, with_overrides
from tdxlab.cost.sweep import BreakEven, summary
from tdxlab.render import charts

#: Workload settings :meth:`CostExplorer.set` accepts besides the constants.
WORKLOAD = ("vps", "switch_fraction", "entries_per_s")
#: VP counts offered by the slider (powers of two, crossing the cache sizes).
VP_CHOICES: tuple[int, ...] = tuple(2**i for i in range(13))
#: Resolution of the widget's image: enough for a notebook cell, cheap to re-render.
DPI = 80
#: Rendered backgrounds kept, one per combination of axis limits seen.
BACKGROUNDS = 16
#: Constants that get a slider, with (min, max, step).
SLIDERS: dict[str, tuple[float, float, float]] = {
    "tdx_entry_cycles": (500.0, 20000.0, 100.0),
    "snp_entry_cycles": (500.0, 20000.0, 100.0),
    "cpu_ghz": (1.0, 5.0, 0.1),
    "copy_gb_per_s": (1.0, 200.0, 1.0),
    "l1_ns": (0.5, 5.0, 0.1),
    "l2_ns": (1.0, 20.0, 0.5),
    "l3_ns": (5.0, 60.0, 1.0),
    "dram_ns": (30.0, 150.0, 1.0),
    "walk_ref_ns": (0.5, 50.0, 0.5),
}


class CostExplorer:
    """The cost model at one workload point, as numbers, a figure and (optionally) a widget."""

    def __init__(
        self,
        designs: Iterable[str | DesignCosts] | None = None,
        constants: CostConstants = DEFAULT,
        *,
        vps: int = 1,
        switch_fraction: float = 0.0,
        entries_per_s: float = 1e4,
        points: int = 101,
    ) -> None:
        """Build the figure once; later changes go through :meth:`set`."""
        from tdxlab.sim.designs import DESIGNS

        chosen = list(DESIGNS) if designs is None else list(designs)
        self.costs = [d if isinstance(d, DesignCosts) else account(d) for d in chosen]
        self.designs = [c.design for c in self.costs]
        self.constants = constants
        self.vps = vps
        self.switch_fraction = switch_fraction
        self.entries_per_s = entries_per_s
        self.fractions = np.linspace(0.0, 1.0, points)
        self.figure: Figure = charts.new_figure(10.0, 4.2)
        with mpl.rc_context(charts.RC):
            left, right = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.4)})
        self._parts = charts.PartsChart(left, self.designs, include_fixed=False)
        self._overhead = charts.OverheadChart(right, self.designs, self.fractions, note=False)
        left.set_title("design-dependent parts at this point")
        right.set_title("versus the VTL-switch fraction")
        self.figure.set_dpi(DPI)
        self._canvas: Any = FigureCanvasAgg(self.figure)  # Any: the Agg canvas methods are untyped
        self._backgrounds: OrderedDict[tuple[tuple[float, float], ...], Any] = OrderedDict()
        self.frame = pd.DataFrame()
        self.break_evens: list[BreakEven] = []
        self.last_redraw_ms = 0.0
        self._widget: widgets.VBox | None = None
        self._image: widgets.Image | None = None
        self._text: widgets.HTML | None = None
        self._controls: dict[str, widgets.Widget] = {}
        self._syncing = False
        self._recompute()

    # --- plain-Python API -------------------------------------------------------------------
    def set(self, **changes: float) -> CostExplorer:
        """Change workload settings (``vps``, ``switch_fraction``, ``entries_per_s``) or constants.

        Unknown names and out-of-range values are one-line errors and change nothing.
        """
        workload = {k: v for k, v in changes.items() if k in WORKLOAD}
        consts = {k: v for k, v in changes.items() if k not in WORKLOAD}
        new_constants = with_overrides(self.constants, consts) if consts else self.constants
        raw_vps = workload.get("vps", self.vps)
        if isinstance(raw_vps, bool) or not isinstance(raw_vps, int | np.integer) or raw_vps < 1:
            raise ValueError(f"vps must be a positive integer, got {raw_vps!r}")
        vps = int(raw_vps)
        f = float(workload.get("switch_fraction", self.switch_fraction))
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"switch_fraction must be within 0..1, got {f!r}")
        rate = float(workload.get("entries_per_s", self.entries_per_s))
        if not np.isfinite(rate) or rate < 0:
            raise ValueError(f"entries_per_s must be a number >= 0, got {rate!r}")
        self.constants, self.vps, self.switch_fraction, self.entries_per_s = new_constants, vps, f, rate
        self._recompute()
        self._sync_controls()
        return self

    def sentences(self) -> list[str]:
        """The break-even findings at the current settings, in words."""
        return [be.sentence() for be in self.break_evens]

    def png(self) -> bytes:
        """The figure as PNG bytes (what the widget shows), redrawing as little as possible.

        The first render lays the figure out (constrained layout) and keeps that
        layout.  The axes, ticks, labels and legends are rendered once into a
        background; a change then repaints only the data artists (bars, lines,
        markers, sentences) over a copy of it.  Only when an axis limit steps
        (limits snap to 1-2-2.5-5 steps) is the whole figure drawn again.
        """
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
            width, height = canvas.get_width_height()
            image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            buf = io.BytesIO()
            image.save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def _dynamic(self) -> list[Any]:
        return [*self._parts.artists(), *self._overhead.artists()]

    # --- model -> artists ------------------------------------------------------------------
    def _recompute(self) -> None:
        t0 = time.perf_counter()
        frame = summary(self.costs, self.constants, vps=self.vps, switch_fraction=self.switch_fraction)
        frame["cpu_share"] = frame["ns_per_entry"] * self.entries_per_s / 1e9
        self.frame = frame
        curves = charts.overhead_curves(self.costs, self.constants, self.vps, self.fractions)
        self.break_evens = charts.default_break_evens(self.designs, self.constants, self.vps)
        # Both y axes reach the highest cost over every switch fraction, so moving the switch
        # fraction never changes an axis (and never forces a full redraw).
        self._parts.update(frame, top=float(np.nanmax(curves.to_numpy())))
        self._overhead.update(curves, self.break_evens, here=self.switch_fraction)
        if self._image is not None:
            self._image.value = self.png()
        if self._text is not None:
            self._text.value = self._html()
        self.last_redraw_ms = (time.perf_counter() - t0) * 1000.0

    def _html(self) -> str:
        from html import escape

        items = "".join(f"<li>{escape(s)}</li>" for s in self.sentences())
        rows = self.frame.to_dict(orient="records")
        share = ", ".join(f"{r['design']} {100 * float(r['cpu_share']):.2f}%" for r in rows)
        fixed = ", ".join(f"{r['design']} {float(r['ns_fixed']):,.0f} ns" for r in rows)
        total = ", ".join(f"{r['design']} {float(r['ns_per_entry']):,.0f} ns" for r in rows)
        return (f"<div><b>{self.vps} VP{'s' if self.vps != 1 else ''} per core, switch fraction "
                f"{self.switch_fraction:g}.</b> Entry round trip (not drawn, unverified stand-in): "
                f"{escape(fixed)}. Total per entry: {escape(total)}.</div>"
                f"<ul>{items}</ul><div>Share of one CPU spent on entries at "
                f"{self.entries_per_s:,.0f} entries/s: {escape(share)}</div>"
                f"<div style='color:#8a4b00'>{escape(describe.unverified_constants_note())}</div>")

    # --- widget -------------------------------------------------------------------------------
    @property
    def widget(self) -> widgets.VBox:
        """The ipywidgets UI (built on first access)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _ipython_display_(self) -> None:  # pragma: no cover - exercised in notebooks
        from IPython import display as ipd

        show: Any = ipd.display
        show(self.widget)

    def _build(self) -> widgets.VBox:
        style = {"description_width": "170px"}
        layout = widgets.Layout(width="430px")
        c: dict[str, widgets.Widget] = {
            "switch_fraction": widgets.FloatSlider(
                value=self.switch_fraction, min=0.0, max=1.0, step=0.01, description="switch fraction",
                continuous_update=False, style=style, layout=layout, readout_format=".2f"),
            "vps": widgets.SelectionSlider(
                options=list(VP_CHOICES), value=self.vps if self.vps in VP_CHOICES else 1,
                description="VPs per core", continuous_update=False, style=style, layout=layout),
            "entries_per_s": widgets.FloatLogSlider(
                value=max(self.entries_per_s, 100.0), base=10, min=2, max=6, step=0.1,
                description="entries/s per VP", continuous_update=False, style=style, layout=layout),
        }
        for name, (lo, hi, step) in SLIDERS.items():
            info = CONSTANTS[name]
            flag = " ⚠" if info.unverified else ""
            c[name] = widgets.FloatSlider(
                value=float(getattr(self.constants, name)), min=lo, max=hi, step=step,
                description=f"{name}{flag}", continuous_update=False, style=style, layout=layout,
                tooltip=f"{info.label} [{info.unit}] — {info.source.cite()}")
        for name, w in c.items():
            w.observe(self._on_change(name), names="value")
        self._controls = c
        self._image = widgets.Image(value=self.png(), format="png")
        self._text = widgets.HTML(self._html())
        workload = widgets.VBox([c[k] for k in WORKLOAD])
        consts = widgets.VBox([c[k] for k in SLIDERS])
        return widgets.VBox([
            self._image,
            widgets.HBox([widgets.VBox([widgets.HTML("<b>Workload</b>"), workload]),
                          widgets.VBox([widgets.HTML("<b>Constants</b> (⚠ unverified)"), consts])]),
            self._text,
        ])

    def _on_change(self, name: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            try:
                self.set(**{name: change["new"]})
            except ValueError as exc:
                if self._text is not None:
                    self._text.value = f"<div style='color:#b3261e'>{exc}</div>"

        return handler

    def _sync_controls(self) -> None:
        if not self._controls:
            return
        self._syncing = True
        try:
            values: dict[str, Any] = {
                "switch_fraction": self.switch_fraction,
                "entries_per_s": self.entries_per_s,
                **{k: float(getattr(self.constants, k)) for k in SLIDERS},
            }
            if self.vps in VP_CHOICES:
                values["vps"] = self.vps
            for k, v in values.items():
                w = self._controls[k]
                if getattr(w, "value", None) != v:
                    w.value = v
        finally:
            self._syncing = False


def explore(**settings: Any) -> CostExplorer:
    """A :class:`CostExplorer` with some settings applied (``explore(switch_fraction=0.3)``)."""
    return CostExplorer().set(**settings) if settings else CostExplorer()


__all__ = ["SLIDERS", "VP_CHOICES", "WORKLOAD", "CostExplorer", "explore"]

