"""The "your design" widget: move registers between private and shared and see what breaks.

Plain-Python API first, widget second::

    yd = YourDesign(base="bank").drop_private("rsp")   # OpenVMM before #1178
    yd.design          # the variant, DESIGNS["bank"].variant(...)
    yd.results         # the checker and the costs on every built-in scenario (DataFrame)
    yd.counterexample  # a small-budget counterexample search (SearchResult)
    yd.costs           # base design and variant: pages, bytes copied, modelled ns per entry
    yd.preset("split with CR2 private")
    yd.save("mine.toml")                              # a design file: tdxlab review --design-file mine.toml
    yd.load("tdxlab/designs/bank-lazy.toml")          # any design file, homes and copies included
    yd.widget          # base, presets, register pickers grouped by family, design file, the three results

A variant is the base design with a different *private set* (the registers it keeps
per VTL); the checker compares against the architectural classes (TLFS + OpenVMM),
so a wrong choice shows up as violations, and the costs are counted from the
protocol's own memory log.  All of it is :mod:`tdxlab.compare`,
:mod:`tdxlab.sim.search` and :mod:`tdxlab.cost`; this module only keeps the choice.

Design files (docs/design-file.md) are the same choice on disk, so a reviewer can hand what
the widget built to ``tdxlab review``.  :meth:`YourDesign.save` writes the current design:
its base and one ``[[registers]]`` rule per moved register group, with the home and copy
policy the variant was built with written out (a private register always gets its per-VTL
home).  :meth:`YourDesign.load` reads any design file.  A file that only changes classes
*is* a base and a private set, and becomes the pickers' state.  A file that also declares
homes, copies or an extra page (the shipped ``bank-lazy.toml``, ``split-fx-per-vtl.toml``,
``bank-fx-page.toml``) cannot be shown by the pickers, so the widget keeps the file's own
design for every result, and its view names the file and those declarations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import traitlets

from tdxlab import describe
from tdxlab.compare import PRESETS, RESULT_COLUMNS, CompareError, Preset, get_preset, scenario_results
from tdxlab.cost.accounting import account
from tdxlab.cost.timemodel import ns_per_entry
from tdxlab.files import OutputError, write_atomic
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Group
from tdxlab.render.css import FONT
from tdxlab.render.stepper_views import section_html
from tdxlab.sim.declared import (
    GROUP_NAMES,
    DeclaredSharedPage,
    DeclaredSnp,
    DeclaredSplit,
    DesignSpec,
    Placement,
    Rule,
    SpecError,
    base_placements,
    class_rules,
    resolve,
)
from tdxlab.sim.design_file import DesignFileError, dump_design_file, load_design_file, loads_design
from tdxlab.sim.designs import (
    DESIGNS,
    PLACEABLE,
    Design,
    NaiveDesign,
    SharedPageDesign,
    SnpDesign,
    SplitDesign,
    fix_designs,
)
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


#: The designs a design file builds: each carries its spec and its placements.
Declared = DeclaredSharedPage | DeclaredSplit | DeclaredSnp
_DECLARED = (DeclaredSharedPage, DeclaredSplit, DeclaredSnp)
#: Bases a saved file can name: their behaviour is their pages and private set, which a file
#: says completely.  A design registered later may add protocol of its own that no file can
#: say, and no other process (``tdxlab review``) knows its key.
FILE_BASES = (NaiveDesign, SharedPageDesign, SplitDesign, SnpDesign)


@dataclass(frozen=True)
class LoadedFile:
    """A design file the widget loaded: where from, what it says, and the design it builds.

    ``declarations``: what the file says that the register pickers cannot show (homes, copy
    policies, an extra page), one line each; empty when the file only changes classes.
    """

    path: Path
    spec: DesignSpec
    design: Declared
    declarations: tuple[str, ...]


def _moves(origin: frozenset[str], private: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(made shared, made private) going from ``origin`` to ``private``, in catalogue order."""
    return (tuple(r for r in PLACEABLE if r in origin - private),
            tuple(r for r in PLACEABLE if r in private - origin))


def _moves_key(origin: str, dropped: tuple[str, ...], added: tuple[str, ...]) -> str:
    moves = "".join(f"-{r}" for r in dropped) + "".join(f"+{r}" for r in added)
    return f"{origin}{moves}" if len(moves) <= 40 else f"{origin}-custom"


def _moves_title(origin: str, dropped: tuple[str, ...], added: tuple[str, ...]) -> str:
    return f"{origin}, " + ", ".join([*(f"{r} shared" for r in dropped), *(f"{r} private" for r in added)])


def _names(regs: list[str]) -> str:
    """Registers in words, a whole group by its group name (``fpu``)."""
    out, rest = [], list(regs)
    for group, members in GROUP_NAMES.items():
        if len(members) > 1 and all(m in rest for m in members):
            out.append(f"{group} ({len(members)} registers)")
            rest = [r for r in rest if r not in members]
    return ", ".join(out + rest)


def _picker_placements(base: str, private: frozenset[str]) -> dict[str, Placement]:
    """Every register's handling when the pickers choose ``private`` on ``base`` (class changes only)."""
    b = DESIGNS[base]
    rules = class_rules(b, private - b.private, b.private - private)
    return resolve(DesignSpec("pickers", base, rules=rules), b)[1]


def _declarations(spec: DesignSpec, design: Declared) -> tuple[str, ...]:
    """What a file declares beyond a private set: each placement the pickers would build otherwise."""
    pickers = _picker_placements(spec.base, design.private)
    differ: dict[tuple[Placement, Placement], list[str]] = {}
    for reg, placed in design.placements.items():
        if placed != pickers[reg]:
            differ.setdefault((placed, pickers[reg]), []).append(reg)
    out = []
    if spec.extra_page is not None:
        per = "VTL" if spec.extra_page.per_vtl else "VP (shared by its VTLs)"
        why = f": {spec.extra_page.why}" if spec.extra_page.why else ""
        out.append(f"an extra page, one per {per}{why}")
    for (placed, picked), regs in differ.items():
        cls = "private" if placed.owner is Owner.PRIVATE else "shared"
        out.append(f"{_names(regs)}: {cls}, home {placed.home.word}, copy {placed.copy.word} "
                   f"(the pickers would give home {picked.home.word}, copy {picked.copy.word})")
    return tuple(out)


def _file_variant(f: LoadedFile, private: frozenset[str]) -> Design:
    """The file's design with the private set ``private``: the file's rules for every register not moved."""
    dropped, added = _moves(f.design.private, private)
    if not dropped and not added:
        return f.design
    try:
        return f.design.variant(_moves_key(f.spec.key, dropped, added),
                                _moves_title(f.design.title, dropped, added),
                                add_private=added, drop_private=dropped)
    except SpecError as exc:  # e.g. the file's extra page would be left holding nothing
        moved = ", ".join(describe.moves_words(dropped, added))
        raise YourDesignError(f"{f.path.name}: {moved}: {exc}") from None


def _placements(design: Design) -> dict[str, Placement]:
    """Every register's handling: a declared design's own, else read off the base's pages."""
    return design.placements if isinstance(design, _DECLARED) else base_placements(design)


def _why(placed: Placement, origin: str, count: int) -> str:
    """The ``why`` of a saved rule: where the move was made and what it moved away from."""
    was = "shared" if placed.owner is Owner.PRIVATE else "private"
    return f"moved with the YourDesign widget; {origin} keeps {'it' if count == 1 else 'them'} {was}"


def _file_path(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise YourDesignError(f"a design file path must be a string or a Path, got {path!r}")
    if not str(path).strip():
        raise DesignFileError("no design file path given")
    return Path(path).expanduser()


def _write_atomic(target: Path, data: bytes) -> None:
    """Write a design file through :func:`tdxlab.files.write_atomic`, its errors worded as a design file's.

    The file is renamed into place, and a symlink at ``target`` is replaced, not followed.
    """
    if target.is_dir():
        raise DesignFileError("is a directory, not a design file", str(target))
    if not target.parent.is_dir():
        raise DesignFileError(f"cannot write design file: no directory {str(target.parent)!r}", str(target))
    try:
        write_atomic(target, data)
    except OutputError as exc:
        raise DesignFileError(f"cannot write design file: {exc.reason}", str(target)) from None


def _check_text(what: str, value: object, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        need = "a non-empty string" if required else "a string"
        raise YourDesignError(f"{what} must be {need}, got {value!r}")
    return value


class YourDesign(WidgetModel["_YourDesignUI"]):
    """A reviewer's variant of one base design, and what the checker, search and costs say of it.

    After :meth:`load`, the widget holds the file's own design (``design`` is what
    ``load_design_file`` builds), and moving a register applies **on top of the file**: the
    file's rules stay for every register not moved, a moved register takes its new class's
    default home and copy on the base (as any move in the pickers does), and moving it back
    restores the file's own rule.  So ``load("bank-lazy.toml").drop_private("rsp")`` is the
    lazy bank with RSP shared, not the eager bank with RSP shared.  A file that only changes
    classes has nothing the pickers cannot show: after its first move the widget is plain
    base-and-private-set again.  :meth:`set_base`, :meth:`reset` and :meth:`preset` start
    again from a catalogue base and forget the file.
    """

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
        self._file: LoadedFile | None = None
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
        """The preset the current choice equals (the one last loaded first), else None.

        None while a design file is loaded: the file names the design.
        """
        if self._file is not None:
            return None
        candidates = [self._preset] if self._preset is not None else []
        candidates += list(PRESETS.values())
        for p in candidates:
            if p.base == self.base and _preset_private(p) == self.private:
                return p.name
        return None

    @property
    def key(self) -> str:
        """A short key naming the change: ``bank-rsp`` (RSP dropped), ``split+cr2`` (CR2 added).

        With a design file loaded: the file's key, and the moves made on top of it.
        """
        f = self._file
        if f is not None:
            return _moves_key(f.spec.key, *_moves(f.design.private, self.private))
        name = self.preset_name
        if name is not None:
            return PRESETS[name].key
        return _moves_key(self.base, self.dropped, self.added)

    @property
    def design(self) -> Design:
        """The variant as a Design (``DESIGNS[base].variant``); the base itself when nothing moved.

        With a design file loaded: the file's design, with the moves made since applied on top.
        """
        if "design" not in self._cache:
            base = DESIGNS[self.base]
            if self._file is not None:
                self._cache["design"] = _file_variant(self._file, self.private)
            elif not self.added and not self.dropped:
                self._cache["design"] = base
            else:
                title = self.preset_name or _moves_title(base.title, self.dropped, self.added)
                self._cache["design"] = base.variant(self.key, title, add_private=self.added,
                                                     drop_private=self.dropped)
        design: Design = self._cache["design"]
        return design

    def _choose(self, base: str, private: frozenset[str], preset: Preset | None = None,
                file: LoadedFile | None = None) -> YourDesign:
        design = None
        if file is not None and private != file.design.private:
            if file.declarations:
                design = _file_variant(file, private)  # a move the file's rules refuse fails here, unchanged
            else:
                file = None  # a file of class changes only: its moves are the pickers' own
        with self.hold_trait_notifications():
            self.set_trait("base", base)
            self.set_trait("private", private)
            self._preset = preset
            self._file = file
            self._cache.clear()
            if design is not None:
                self._cache["design"] = design
            self._changed()
        return self

    def drop_private(self, *regs: str) -> YourDesign:
        """Treat ``regs`` as shared (no per-VTL copy): e.g. ``drop_private("rsp")``."""
        return self._choose(self.base, self.private - _check_regs(regs), self._preset, self._file)

    def add_private(self, *regs: str) -> YourDesign:
        """Keep ``regs`` per VTL: e.g. ``add_private("cr2")``."""
        return self._choose(self.base, self.private | _check_regs(regs), self._preset, self._file)

    def set_private(self, regs: tuple[str, ...] | list[str] | frozenset[str]) -> YourDesign:
        """Replace the whole private set."""
        return self._choose(self.base, _check_regs(tuple(regs)), self._preset, self._file)

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

    # --- design files ---------------------------------------------------------------------------
    def load(self, path: str | os.PathLike[str]) -> YourDesign:
        """Hold the design a design file declares (docs/design-file.md); returns ``self``.

        The base and private set become the file's; anything else it declares (homes, copy
        policies, an extra page) is kept in :attr:`design` and listed in :attr:`declarations`
        and the view.  A file that cannot be used raises its :class:`DesignFileError` (one
        line: file, line, key, reason) and nothing changes.
        """
        target = _file_path(path)
        design = load_design_file(target)
        if not isinstance(design, _DECLARED):  # build() makes nothing else; a guard for mypy and readers
            raise YourDesignError(f"{target}: not a declared design ({type(design).__name__})")
        spec = design.spec
        return self._choose(spec.base, design.private, None,
                            LoadedFile(target, spec, design, _declarations(spec, design)))

    @property
    def source(self) -> str | None:
        """The design file the current design came from (None: built in the pickers)."""
        return None if self._file is None else str(self._file.path)

    @property
    def declarations(self) -> tuple[str, ...]:
        """What the loaded file declares that the pickers cannot show, one line each (empty if nothing)."""
        return () if self._file is None else self._file.declarations

    def to_spec(self, *, key: str | None = None, title: str | None = None) -> DesignSpec:
        """The current design as a design file holds it: what :meth:`save` writes.

        The base, then the loaded file's rules (for the registers not moved since), then one
        rule per group of moved registers with its home and copy written out: the ones the
        design was built with (a private register gets its base's per-VTL home).  ``key``
        and ``title`` default to the widget's own.
        """
        f = self._file
        unchanged = f is not None and self.private == f.design.private
        key = self.key if key is None else _check_text("key", key, required=True)
        if title is None:
            title = f.spec.title if f is not None and unchanged else self.design.title
        title = _check_text("title", title, required=False)
        if f is None:
            kind = type(DESIGNS[self.base])
            if kind not in FILE_BASES:
                raise YourDesignError(f"base {self.base!r} is a registered {kind.__name__}: "
                                      "a design file can only start from naive, bank, split or snp")
            origin, origin_private = self.base, DESIGNS[self.base].private
            rules: tuple[Rule, ...] = ()
            summary, extra = self.story, None
        else:
            origin, origin_private = f.path.name, f.design.private
            rules, summary, extra = f.spec.rules, f.spec.summary, f.spec.extra_page
        moved = self.private ^ origin_private
        kept = []
        for rule in rules:
            regs = rule.registers()
            if not moved.intersection(regs):
                kept.append(rule)  # as written (group names and all)
            elif rest := tuple(r for r in regs if r not in moved):
                kept.append(replace(rule, names=rest))
        owner = {r: Owner.PRIVATE if r in self.private else Owner.SHARED for r in moved}
        draft = tuple(Rule((r,), owner[r]) for r in PLACEABLE if r in moved)
        spec = DesignSpec(key, self.base, title, summary, (*kept, *draft), extra)
        try:
            placed = resolve(spec)[1]  # the defaults the design was built with, to write them out
        except SpecError as exc:
            raise YourDesignError(f"cannot write this design as a file: {exc}") from None
        groups: dict[Placement, list[str]] = {}
        for reg in PLACEABLE:
            if reg in moved:
                groups.setdefault(placed[reg], []).append(reg)
        moved_rules = tuple(Rule(tuple(regs), p.owner, p.home, p.copy, _why(p, origin, len(regs)))
                            for p, regs in groups.items())
        return replace(spec, rules=(*kept, *moved_rules))

    def save(self, path: str | os.PathLike[str], *, key: str | None = None, title: str | None = None) -> Path:
        """Write the current design as a design file (:meth:`to_spec`); returns the path written.

        ``tdxlab review --design-file PATH`` reads it, and :meth:`load` or
        ``load_design_file`` give the same design back.  The file is written whole to a
        temporary file beside ``path`` and renamed over it.  A path that cannot be written
        raises a one-line :class:`DesignFileError`.
        """
        target = _file_path(path)
        text = dump_design_file(self.to_spec(key=key, title=title))
        try:
            data = text.encode("utf-8")
            back = loads_design(text, str(target))  # what is written must load back, as this design
        except (UnicodeError, DesignFileError) as exc:
            raise YourDesignError(f"{target}: not saved: the file would not load back "
                                  f"({' '.join(str(exc).split())})") from None
        if _placements(back) != _placements(self.design):
            raise YourDesignError(f"{target}: not saved: the file would load back as another design")
        _write_atomic(target, data)
        return target

    @property
    def story(self) -> str:
        """What the current preset retells (empty for a hand-made variant); a loaded file's summary."""
        if self._file is not None:
            return self._file.spec.summary
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
        """The moves in words: ``rsp made shared``, ``cr2 made private`` (counted when there are many).

        With a design file loaded: the moves made on top of the file.
        """
        if self._file is not None:
            return describe.moves_words(*_moves(self._file.design.private, self.private))
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
        body = self._file_html() + story + verdict + table + search + costs
        return section_html(f"Your design: {self.design.key}", body, self.design.title,
                            cls="tdxlab-your-design-section")

    def _file_html(self) -> str:
        """Where a loaded design came from and what it declares beyond the pickers."""
        f = self._file
        if f is None:
            return ""
        items = "".join(f"<li>{escape(d)}</li>" for d in f.declarations)
        listed = f'<ul style="margin: 2px 0;">{items}</ul>' if items else ""
        after = ""
        if f.declarations and self.private != f.design.private:
            after = f'<div style="{FONT}">{escape(describe.DESIGN_FILE_MOVED)}</div>'
        head = describe.design_file_heading(str(f.path), bool(f.declarations))
        return (f'<div class="tdxlab-your-design-file" style="{FONT} margin: 2px 0 4px;">'
                f"{escape(head)}{listed}</div>{after}")

    # --- UI -------------------------------------------------------------------------------------
    def _build_ui(self) -> _YourDesignUI:
        return _YourDesignUI(self)

    def __repr__(self) -> str:
        """The variant in one line."""
        base = self.base if self._file is None else f"{self.base}, from {self._file.path.name}"
        return describe.variant_repr(self.key, base, self.dropped_added_words())


class _YourDesignUI(WidgetUI):
    """The widgets of one YourDesign; every handler calls its public API."""

    def __init__(self, yd: YourDesign) -> None:
        import ipywidgets as w

        super().__init__(yd)
        self.yd = yd
        keys = bases()
        if yd.base not in keys:  # a loaded design file's base that is not a fix (naive)
            keys = (*keys, yd.base)
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
        self.path = w.Text(placeholder="my-design.toml", description="Design file",
                           layout=w.Layout(width="360px"))
        self.save_button = w.Button(description="Save", tooltip="write the current design as a design "
                                    "file (tdxlab review reads it)")
        self.load_button = w.Button(description="Load",
                                    tooltip="read a design file: its homes and copy policies are kept")
        self.file_status = w.HTML()
        self.file_status.add_class("tdxlab-your-design-file-status")
        self.out = w.HTML()
        self.out.add_class("tdxlab-your-design-result")
        self.on_value(self.base, yd.set_base, lambda: yd.base)
        # "(choose a preset)" is the empty choice: picking it loads nothing
        self.on_value(self.presets, lambda name: name and yd.preset(name), lambda: yd.preset_name or "")
        self.on_click(self.reset, yd.reset)
        self.on_click(self.save_button, self._save)
        self.on_click(self.load_button, self._load)
        left = w.VBox([help_text, self.groups], layout=w.Layout(width="320px"))
        files = w.HBox([self.path, self.save_button, self.load_button, self.file_status])
        self.root = w.VBox([w.HBox([self.base, self.reset]), self.presets, files, self.error,
                            w.HBox([left, self.out], layout=w.Layout(align_items="flex-start"))])
        self.root.add_class("tdxlab-your-design")
        self.refresh()

    def _save(self) -> None:
        self.file_status.value = ""
        saved = self.yd.save(self.path.value)
        self.file_status.value = f'<span style="{FONT}">saved {escape(str(saved))}</span>'

    def _load(self) -> None:
        self.file_status.value = ""
        self.yd.load(self.path.value)
        self.file_status.value = f'<span style="{FONT}">loaded {escape(self.path.value)}</span>'

    def _pick(self) -> None:
        self.yd.set_private(tuple(r for pick in self.pickers.values() for r in pick.value))

    def sync(self) -> None:
        """Base, preset and pickers show the current choice."""
        if self.yd.base not in self.base.options:  # registered after the UI was built, or a file's base
            self.base.options = (*self.base.options, self.yd.base)
        self.base.value = self.yd.base
        self.presets.value = self.yd.preset_name or ""
        for group, pick in self.pickers.items():
            pick.value = tuple(r for r in REGISTER_GROUPS[group] if r in self.yd.private)

    def redraw(self) -> None:
        """Verdict, tables and search outcome."""
        self.out.value = self.yd.html


__all__ = ["FILE_BASES", "QUICK_BUDGET", "REGISTER_GROUPS", "Declared", "LoadedFile", "YourDesign",
           "YourDesignError", "bases", "cost_figures"]
