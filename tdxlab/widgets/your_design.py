"""The "your design" widget: move registers between private and shared and see what breaks.

Plain-Python API first, widget second::

    yd = YourDesign(base="bank").drop_private("rsp")   # OpenVMM before #1178
    yd.design          # the variant, DESIGNS["bank"].variant(...)
    yd.results         # the checker and the costs on every built-in scenario (DataFrame)
    yd.counterexample  # a small-budget counterexample search (SearchResult)
    yd.costs           # base design and variant: pages, bytes copied, modelled ns per entry
    yd.preset("split with CR2 private")
    yd.widget          # base, presets, register pickers grouped by family, the three results

A variant is the base design with a different *private set* (the registers it keeps
per VTL); the checker compares against the architectural classes (TLFS + OpenVMM),
so a wrong choice shows up as violations, and the costs are counted from the
protocol's own memory log.  All of it is :mod:`tdxlab.compare`,
:mod:`tdxlab.sim.search` and :mod:`tdxlab.cost`; this module only keeps the choice.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
import traitlets

from tdxlab import describe
from tdxlab.compare import PRESETS, RESULT_COLUMNS, CompareError, Preset, get_preset, scenario_results
from tdxlab.cost.accounting import account
from tdxlab.cost.timemodel import ns_per_entry
from tdxlab.registers import REGISTERS, Group
from tdxlab.render.css import FONT
from tdxlab.render.stepper_views import section_html
from tdxlab.sim.designs import DESIGNS, PLACEABLE, Design, fix_designs
from tdxlab.sim.search import SearchResult, find_counterexample
from tdxlab.widgets._base import WidgetModel, WidgetUI
from tdxlab.widgets.compare import TABLE_COLUMNS, frame_table_html

#: Hypothesis examples of the quick search run on every change (the breadth-first part always runs).
QUICK_BUDGET = 20

#: Registers a variant may move, grouped by family, in catalogue order.
REGISTER_GROUPS: dict[Group, tuple[str, ...]] = {
    g: tuple(r for r in PLACEABLE if REGISTERS[r].group is g)
    for g in Group
    if any(REGISTERS[r].group is g for r in PLACEABLE)
}

#: Columns of the scenario table and of the cost table, with short headings.
RESULT_TABLE: dict[str, str] = {c: TABLE_COLUMNS[c] for c in RESULT_COLUMNS if c != "pages_per_vp"}
COST_TABLE: dict[str, str] = {
    "pages_per_vp": "pages / VP",
    "heap_bytes_per_vp": "bank bytes / VP",
    "bytes_per_entry": "bytes copied / entry",
    "bytes_per_switch": "bytes copied / switch",
    "ns_no_switch": "ns / entry, no switch",
    "ns_all_switch": "ns / entry, every entry after a switch",
}
COST_TIPS: dict[str, str] = {
    "pages_per_vp": "kernel-visible 4 KiB pages per VP with VTL 0 and VTL 1 enabled",
    "heap_bytes_per_vp": "paravisor heap bytes per VP (the private-register banks)",
    "bytes_per_entry": "bytes the paravisor copies around one entry without a VTL switch",
    "bytes_per_switch": "bytes copied by one VTL switch (mean of call and return)",
    "ns_no_switch": "modelled ns per entry when no entry follows a VTL switch (tdxlab.cost)",
    "ns_all_switch": "modelled ns per entry when every entry follows a VTL switch (tdxlab.cost)",
}


class YourDesignError(ValueError):
    """A register or base design that cannot be used: one line naming it."""


def bases() -> tuple[str, ...]:
    """Designs a variant can start from: the registry's fix designs, read now.

    Naive is the bug itself (it keeps nothing per VTL); a design registered later
    (``register_design``) is a base from then on.
    """
    return tuple(d.key for d in fix_designs())


def _check_base(base: str) -> str:
    keys = bases()
    if base not in keys:
        raise YourDesignError(f"base design must be one of {', '.join(keys)}, got {base!r}")
    return base


def _check_regs(regs: tuple[str, ...]) -> frozenset[str]:
    out = set()
    for reg in regs:
        name = reg.lower() if isinstance(reg, str) else reg
        if name not in PLACEABLE:
            known = "rip, rsp, rflags, cr2, rax, xmm0, vm_flags, ..."
            raise YourDesignError(f"register {reg!r} is not simulated, so it cannot be moved ({known})")
        out.add(name)
    return frozenset(out)


def _preset_private(p: Preset) -> frozenset[str]:
    """The private set a preset gives (computed without building the variant)."""
    return (DESIGNS[p.base].private | p.add_private) - p.drop_private


def cost_figures(design: Design) -> dict[str, float]:
    """The cost figures of one design, from its protocol's memory log and the time model."""
    c = account(design)
    return {
        "pages_per_vp": c.pages_per_vp(2),
        "heap_bytes_per_vp": c.heap_bytes_per_vp(2),
        "bytes_per_entry": c.per_entry(0.0).bytes_copied,
        "bytes_per_switch": c.switch_copy_bytes,
        "ns_no_switch": ns_per_entry(c, switch_fraction=0.0),
        "ns_all_switch": ns_per_entry(c, switch_fraction=1.0),
    }


class YourDesign(WidgetModel["_YourDesignUI"]):
    """A reviewer's variant of one base design, and what the checker, search and costs say of it."""

    base = traitlets.Unicode(read_only=True, help="the base design's key")
    private: traitlets.Instance[frozenset[str]] = traitlets.Instance(
        frozenset, read_only=True, help="registers the variant keeps per VTL")
    budget = traitlets.Int(QUICK_BUDGET, min=0, help="hypothesis examples of the quick search")
    seed = traitlets.Int(0, help="the quick search's seed")

    def __init__(self, base: str = "bank", *, budget: int = QUICK_BUDGET, seed: int = 0) -> None:
        """Start from ``base`` with its catalogue private set (no register moved yet)."""
        super().__init__()
        b = _check_base(base)
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise YourDesignError(f"budget must be an integer >= 0, got {budget!r}")
        self.set_trait("base", b)
        self.set_trait("private", DESIGNS[b].private)
        self._preset: Preset | None = None
        self.budget = budget
        self.seed = seed
        self._cache: dict[str, Any] = {}

    # --- the choice -----------------------------------------------------------------------------
    @property
    def added(self) -> tuple[str, ...]:
        """Registers made private that the base keeps shared."""
        return tuple(r for r in PLACEABLE if r in self.private - DESIGNS[self.base].private)

    @property
    def dropped(self) -> tuple[str, ...]:
        """Registers the base keeps private that the variant treats as shared."""
        return tuple(r for r in PLACEABLE if r in DESIGNS[self.base].private - self.private)

    @property
    def preset_name(self) -> str | None:
        """The preset the current choice equals (the one last loaded first), else None."""
        candidates = [self._preset] if self._preset is not None else []
        candidates += list(PRESETS.values())
        for p in candidates:
            if p.base == self.base and _preset_private(p) == self.private:
                return p.name
        return None

    @property
    def key(self) -> str:
        """A short key naming the change: ``bank-rsp`` (RSP dropped), ``split+cr2`` (CR2 added)."""
        name = self.preset_name
        if name is not None:
            return PRESETS[name].key
        if not self.added and not self.dropped:
            return self.base
        moves = "".join(f"-{r}" for r in self.dropped) + "".join(f"+{r}" for r in self.added)
        return f"{self.base}{moves}" if len(moves) <= 40 else f"{self.base}-custom"

    @property
    def design(self) -> Design:
        """The variant as a Design (``DESIGNS[base].variant``); the base itself when nothing moved."""
        if "design" not in self._cache:
            base = DESIGNS[self.base]
            if not self.added and not self.dropped:
                self._cache["design"] = base
            else:
                title = self.preset_name or f"{base.title}, " + ", ".join(
                    [*(f"{r} shared" for r in self.dropped), *(f"{r} private" for r in self.added)])
                self._cache["design"] = base.variant(self.key, title, add_private=self.added,
                                                     drop_private=self.dropped)
        design: Design = self._cache["design"]
        return design

    def _choose(self, base: str, private: frozenset[str], preset: Preset | None = None) -> YourDesign:
        with self.hold_trait_notifications():
            self.set_trait("base", base)
            self.set_trait("private", private)
            self._preset = preset
            self._cache.clear()
            self._changed()
        return self

    def drop_private(self, *regs: str) -> YourDesign:
        """Treat ``regs`` as shared (no per-VTL copy): e.g. ``drop_private("rsp")``."""
        return self._choose(self.base, self.private - _check_regs(regs), self._preset)

    def add_private(self, *regs: str) -> YourDesign:
        """Keep ``regs`` per VTL: e.g. ``add_private("cr2")``."""
        return self._choose(self.base, self.private | _check_regs(regs), self._preset)

    def set_private(self, regs: tuple[str, ...] | list[str] | frozenset[str]) -> YourDesign:
        """Replace the whole private set."""
        return self._choose(self.base, _check_regs(tuple(regs)), self._preset)

    def set_base(self, base: str) -> YourDesign:
        """Start again from another base design (its catalogue private set)."""
        b = _check_base(base)
        return self._choose(b, DESIGNS[b].private)

    def reset(self) -> YourDesign:
        """Back to the base design's catalogue private set."""
        return self._choose(self.base, DESIGNS[self.base].private)

    def preset(self, name: str) -> YourDesign:
        """Load a preset by name or key (see :data:`tdxlab.compare.PRESETS`)."""
        try:
            p = get_preset(name)
        except CompareError as exc:
            raise YourDesignError(str(exc)) from None
        return self._choose(p.base, _preset_private(p), p)

    @property
    def story(self) -> str:
        """What the current preset retells (empty for a hand-made variant)."""
        name = self.preset_name
        return PRESETS[name].story if name is not None else ""

    # --- what the tools say ---------------------------------------------------------------------
    @property
    def results(self) -> pd.DataFrame:
        """The checker and costs on every built-in scenario (one row per scenario)."""
        if "results" not in self._cache:
            self._cache["results"] = scenario_results(self.design)
        frame: pd.DataFrame = self._cache["results"]
        return frame

    @property
    def counterexample(self) -> SearchResult:
        """A quick search: breadth-first, then ``budget`` hypothesis examples if that found none."""
        if "search" not in self._cache:
            # Breadth-first first: what it finds is already a shortest counterexample, so the
            # hypothesis examples (and their shrinking) are only spent when it finds none.
            found = find_counterexample(self.design, budget=0, seed=self.seed)
            if not found.found and self.budget:
                found = find_counterexample(self.design, budget=self.budget, seed=self.seed)
            self._cache["search"] = found
        result: SearchResult = self._cache["search"]
        return result

    @property
    def costs(self) -> pd.DataFrame:
        """Cost figures of the base design and the variant (index: design key)."""
        if "costs" not in self._cache:
            rows = {self.base: cost_figures(DESIGNS[self.base])}
            if self.design is not DESIGNS[self.base]:
                rows[self.design.key] = cost_figures(self.design)
            self._cache["costs"] = pd.DataFrame.from_dict(rows, orient="index")[list(COST_TABLE)]
        frame: pd.DataFrame = self._cache["costs"]
        return frame

    @property
    def holds(self) -> bool:
        """True when no scenario and no search found a violation."""
        return int(self.results["violations"].sum()) == 0 and not self.counterexample.found

    @property
    def verdict(self) -> str:
        """One line: does the variant keep isolation, and where does it first fail."""
        broken = int((self.results["violations"] > 0).sum())
        return describe.variant_verdict(self.design.key, self.dropped_added_words(), len(self.results),
                                        broken, self.counterexample)

    def dropped_added_words(self) -> list[str]:
        """The moves in words: ``rsp made shared``, ``cr2 made private`` (counted when there are many)."""
        return describe.moves_words(self.dropped, self.added)

    # --- views ----------------------------------------------------------------------------------
    @property
    def html(self) -> str:
        """Verdict, scenario table, search outcome and costs as one HTML string."""
        story = f'<div style="{FONT} font-style: italic;">{escape(self.story)}</div>' if self.story else ""
        verdict = (f'<div class="tdxlab-your-verdict" style="{FONT} font-weight: 600;">'
                   f"{escape(self.verdict)}</div>")
        table = frame_table_html(self.results, RESULT_TABLE, index_title="scenario",
                                 caption=describe.SCENARIO_TABLE_CAPTION)
        s = self.counterexample
        if s.found and s.trace is not None:
            events = "".join(f"<li>{escape(describe.describe_event(e))}</li>" for e in s.trace)
            search = (f'<div style="{FONT}">{escape(describe.counterexample_heading(s))}'
                      f'</div><ol start="0" style="{FONT} margin: 2px 0;">{events}</ol>')
        else:
            search = f'<div style="{FONT}">{escape(describe.no_counterexample_line(s))}</div>'
        costs = frame_table_html(self.costs, COST_TABLE, tooltips=COST_TIPS,
                                 caption=describe.COST_TABLE_CAPTION)
        body = story + verdict + table + search + costs
        return section_html(f"Your design: {self.design.key}", body, self.design.title,
                            cls="tdxlab-your-design-section")

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _YourDesignUI:
        return _YourDesignUI(self)

    def __repr__(self) -> str:
        """The variant in one line."""
        return describe.variant_repr(self.key, self.base, self.dropped_added_words())


class _YourDesignUI(WidgetUI):
    """The widgets of one YourDesign; every handler calls its public API."""

    def __init__(self, yd: YourDesign) -> None:
        import ipywidgets as w

        super().__init__(yd)
        self.yd = yd
        keys = bases()
        self.base = w.ToggleButtons(options=list(keys), value=yd.base, description="Base",
                                    tooltips=[DESIGNS[b].title for b in keys])
        self.presets = w.Dropdown(options=[("(choose a preset)", ""), *((n, n) for n in PRESETS)],
                                  value="", description="Preset", layout=w.Layout(width="420px"))
        self.reset = w.Button(description="Reset", tooltip="back to the base design's private set")
        self.pickers: dict[Group, Any] = {}
        for group, regs in REGISTER_GROUPS.items():
            pick = w.SelectMultiple(options=list(regs), value=tuple(r for r in regs if r in yd.private),
                                    rows=min(8, len(regs)), description="private",
                                    layout=w.Layout(width="260px"))
            self.on_value(pick, lambda _v: self._pick())
            self.pickers[group] = pick
        self.groups = w.Accordion(children=list(self.pickers.values()),
                                  titles=tuple(f"{g.value} ({len(r)})" for g, r in REGISTER_GROUPS.items()))
        help_text = w.HTML(f'<div style="{FONT}">{escape(describe.PICKER_HELP)}</div>')
        self.out = w.HTML()
        self.out.add_class("tdxlab-your-design-result")
        self.on_value(self.base, yd.set_base, lambda: yd.base)
        # "(choose a preset)" is the empty choice: picking it loads nothing
        self.on_value(self.presets, lambda name: name and yd.preset(name), lambda: yd.preset_name or "")
        self.on_click(self.reset, yd.reset)
        left = w.VBox([help_text, self.groups], layout=w.Layout(width="320px"))
        self.root = w.VBox([w.HBox([self.base, self.reset]), self.presets, self.error,
                            w.HBox([left, self.out], layout=w.Layout(align_items="flex-start"))])
        self.root.add_class("tdxlab-your-design")
        self.refresh()

    def _pick(self) -> None:
        self.yd.set_private(tuple(r for pick in self.pickers.values() for r in pick.value))

    def sync(self) -> None:
        """Base, preset and pickers show the current choice."""
        if self.yd.base not in self.base.options:  # a design registered after the UI was built
            self.base.options = (*self.base.options, self.yd.base)
        self.base.value = self.yd.base
        self.presets.value = self.yd.preset_name or ""
        for group, pick in self.pickers.items():
            pick.value = tuple(r for r in REGISTER_GROUPS[group] if r in self.yd.private)

    def redraw(self) -> None:
        """Verdict, tables and search outcome."""
        self.out.value = self.yd.html


__all__ = ["QUICK_BUDGET", "REGISTER_GROUPS", "YourDesign", "YourDesignError", "bases", "cost_figures"]
