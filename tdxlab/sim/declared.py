"""Designs as data: a base design plus, per register, its class, its home and its copy policy.

The variant API of old tied three things together: moving a register into the private set
also decided where each VTL's copy lives and when it is copied.  A reviewer's proposal
needs them apart ("FX stays shared but lives in each VTL's page and is copied on a
switch", "the bank is copied only on a VTL switch").  A :class:`DesignSpec` says, for each
register it changes:

* its **class** (``Owner.PRIVATE``: one value per VTL; ``Owner.SHARED``: one value);
* its **home** (:class:`Home`): where each VTL's copy lives;
* its **copy** policy (:class:`Copy`): every entry, on a VTL switch, or never.

:class:`DeclaredDesign` builds a working design from that: the base family's pages, then
every register routed to its home, and the paravisor's copies *declared*
(``entry_copies``, ``exit_copies``, ``switch_copies``, ``pv_slot``), so the reference
engine, the fast engine, ``verify`` and the cost accounting all read one declaration.
:meth:`tdxlab.sim.designs.Design.variant` is this same mechanism with only the classes
changed, and design files (:mod:`tdxlab.sim.design_file`) are specs on disk.

Every combination a spec may name is checked against the base family's hardware facts
(reference sheet §1, §3.5-3.6): TDG.VP.ENTER reads the GPRs, RIP, RFLAGS, RSP, SSP and the
interrupt status from the entered VM's guest-state buffer, so those cannot move out of it;
a private register needs a per-VTL home; a shared one cannot live in a bank.  A spec that
breaks one gets :class:`SpecError` naming the register and the rule.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from tdxlab.layout.declare import Blob, Field, Prim, StructDecl
from tdxlab.layout.engine import PAGE, layout_of
from tdxlab.layout.split_structs import HCL_RUN_SPLIT
from tdxlab.layout.structs import FXSAVE, HCL_RUN
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Group
from tdxlab.sim.designs import (
    BUFFER_REGS,
    DESIGNS,
    PLACEABLE,
    Design,
    DesignStyle,
    NaiveDesign,
    SharedPageDesign,
    SnpDesign,
    SplitDesign,
    VpStore,
    spare_style,
)
from tdxlab.sim.memory import Page, PageKind, Slot
from tdxlab.sources import TDXLAB_DESIGN


class Home(Enum):
    """Where each VTL's copy of a register lives (``per_vtl``: one copy per VTL)."""

    RUN = ("run", False, "the run page (one copy; on split, its VTL-agnostic shared struct)")
    BANK = ("bank", True, "a per-VTL bank in paravisor memory, loaded into the run page")
    VTL_PAGE = ("vtl-page", True, "each VTL's own context page (split)")
    VMSA = ("vmsa", True, "each VTL's VMSA (SEV-SNP)")
    EXTRA = ("extra", None, "the design's extra page ([extra_page]; per VP or per VTL)")
    HARDWARE = ("hardware", True, "no page: the hardware keeps one copy per VTL")

    def __init__(self, word: str, per_vtl: bool | None, meaning: str) -> None:
        self.word = word
        self.per_vtl = per_vtl  # None: the design says (the extra page's ``per_vtl``)
        self.meaning = meaning


class Copy(Enum):
    """When the paravisor copies a register between its homes."""

    ENTRY = ("entry", "before every entry and after every exit")
    SWITCH = ("switch", "on every VTL switch")
    NEVER = ("never", "never")

    def __init__(self, word: str, meaning: str) -> None:
        self.word = word
        self.meaning = meaning


class Family(Enum):
    """The page structure a base design brings (the homes it can offer)."""

    SHARED_PAGE = ("one run page for every VTL", (Home.RUN, Home.BANK, Home.EXTRA))
    SPLIT = ("a context page per VTL and a shared struct", (Home.RUN, Home.VTL_PAGE, Home.EXTRA))
    SNP = ("a VMSA per VTL", (Home.VMSA, Home.HARDWARE))

    def __init__(self, label: str, homes: tuple[Home, ...]) -> None:
        self.label = label
        self.homes = homes


#: Register group names a spec may use for a whole family of registers (``fpu``: FXSAVE state).
GROUP_NAMES: dict[str, tuple[str, ...]] = {
    g.name.lower(): tuple(r for r in PLACEABLE if REGISTERS[r].group is g)
    for g in Group if any(REGISTERS[r].group is g for r in PLACEABLE)
}


class SpecError(ValueError):
    """A spec that cannot be built: one line naming the register (or key) and the rule broken."""

    def __init__(self, reason: str, key: str | None = None, line: int | None = None) -> None:
        """``key``: the spec key at fault (``registers[2].home``); ``line``: its line in a file."""
        self.reason, self.key, self.line = reason, key, line
        super().__init__(f"{key}: {reason}" if key else reason)


@dataclass(frozen=True)
class Placement:
    """One register's resolved handling: class, home and copy policy."""

    owner: Owner
    home: Home
    copy: Copy


@dataclass(frozen=True)
class Rule:
    """One ``[[registers]]`` entry: registers (or group names) and what the spec says of them.

    ``home`` or ``copy`` left ``None`` take the default for the class on the base family
    (:func:`default_home`, :func:`default_copy`).  ``key`` and ``line`` locate the rule in
    its file for errors.
    """

    names: tuple[str, ...]
    owner: Owner
    home: Home | None = None
    copy: Copy | None = None
    why: str = ""
    key: str = "registers"
    line: int | None = None

    def registers(self) -> tuple[str, ...]:
        """The registers named, group names expanded, in catalogue order."""
        out: list[str] = []
        for name in self.names:
            if name in GROUP_NAMES:
                out += GROUP_NAMES[name]
            elif name in PLACEABLE:
                out.append(name)
            else:
                raise SpecError(f"unknown register or group {name!r} (groups: {', '.join(GROUP_NAMES)}; "
                                "registers: tdxlab registers)", f"{self.key}.names", self.line)
        return tuple(r for r in PLACEABLE if r in out)


@dataclass(frozen=True)
class ExtraPage:
    """A page the design adds for registers moved out of the base's pages (#1104's FX page)."""

    per_vtl: bool = False
    why: str = ""


@dataclass(frozen=True)
class DesignSpec:
    """A proposal: a base design and the rules that change it (a design file holds exactly this)."""

    key: str
    base: str
    title: str = ""
    summary: str = ""
    rules: tuple[Rule, ...] = ()
    extra_page: ExtraPage | None = None
    source: str | None = None  # the file it came from, if any


def family_of(base: Design) -> Family:
    """The page structure of a base design, or a one-line error for one that has none."""
    if isinstance(base, SnpDesign):
        return Family.SNP
    if isinstance(base, SplitDesign):
        return Family.SPLIT
    if isinstance(base, SharedPageDesign):
        return Family.SHARED_PAGE
    raise SpecError(f"design {base.key!r} has no page structure a spec can start from "
                    "(bases: naive, bank, split, snp)", "design.base")


def base_placements(base: Design) -> dict[str, Placement]:
    """Each register's handling in ``base`` as built, read off its pages: the spec's starting point."""
    store = base.sample_store(2)
    copied = set(base.switch_copied(store))
    out = {}
    for reg in PLACEABLE:
        owner = Owner.PRIVATE if reg in base.private else Owner.SHARED
        slot = store.slots[0].get(reg)
        if reg in store.bank.get(0, {}):
            home, copy = Home.BANK, Copy.ENTRY
        elif slot is None:
            home, copy = Home.HARDWARE, Copy.NEVER
        else:
            home = {PageKind.RUN: Home.RUN, PageKind.VTL_CONTEXT: Home.VTL_PAGE,
                    PageKind.VMSA: Home.VMSA}[slot.page.kind]
            copy = Copy.SWITCH if reg in copied else Copy.NEVER
        out[reg] = Placement(owner, home, copy)
    return out


def default_home(family: Family, reg: str, owner: Owner, base: Mapping[str, Placement]) -> Home:
    """Where a register of ``owner``'s class lives when the spec names no home."""
    if base[reg].home is Home.HARDWARE:
        return Home.HARDWARE
    if family is Family.SNP:
        return Home.VMSA
    if family is Family.SPLIT:
        if owner is Owner.PRIVATE or _split_run_refusal(reg) is not None:
            return Home.VTL_PAGE
        return Home.RUN
    return Home.BANK if owner is Owner.PRIVATE else Home.RUN


def default_copy(owner: Owner, home: Home, per_vtl: bool) -> Copy:
    """The copy that keeps a register right: a bank every entry, a shared per-VTL copy on a switch."""
    if home is Home.BANK:
        return Copy.ENTRY
    if owner is Owner.SHARED and per_vtl and home is not Home.HARDWARE:
        return Copy.SWITCH
    return Copy.NEVER


_SPLIT_SHARED = layout_of(HCL_RUN_SPLIT)


def _split_run_refusal(reg: str) -> str | None:
    """Why ``reg`` cannot live in split's shared struct (``None``: it can)."""
    if reg in BUFFER_REGS:
        return "TDG.VP.ENTER reads it from the entered VTL's guest-state buffer"
    if reg == "vm_flags":
        return "the entry flags are TDG.VP.ENTER's per-VTL RCX input"
    row = _SPLIT_SHARED.register_row(reg)
    if row is None or not row.path.startswith("context."):
        return "the run page's shared struct has no slot for it"
    return None


def _extra_refusal(reg: str) -> str | None:
    """Why ``reg`` cannot move to an extra page (``None``: the kernel could load it from one)."""
    if reg in BUFFER_REGS:
        return "TDG.VP.ENTER reads it from the entered VTL's guest-state buffer, not another page"
    if reg == "vm_flags":
        return "the entry flags are TDG.VP.ENTER's RCX input, read from the context page"
    return None


def resolve(spec: DesignSpec, base: Design | None = None) -> tuple[Design, dict[str, Placement]]:
    """The base design and every register's placement under ``spec``, checked rule by rule.

    ``base``: the base design object (default: ``DESIGNS[spec.base]``).
    """
    if base is None:
        if spec.base not in DESIGNS:
            raise SpecError(f"unknown base design {spec.base!r}; bases: {', '.join(DESIGNS)}", "design.base")
        base = DESIGNS[spec.base]
    family = family_of(base)
    placements = base_placements(base)
    named: dict[str, str] = {}
    for rule in spec.rules:
        for reg in rule.registers():
            if reg in named:
                raise SpecError(f"{reg} is named twice ({named[reg]} and {rule.key})", f"{rule.key}.names",
                                rule.line)
            named[reg] = rule.key
            placements[reg] = _place(spec, family, rule, reg, placements)
    if spec.extra_page is not None and not any(p.home is Home.EXTRA for p in placements.values()):
        raise SpecError("an extra page is declared but no register lives in it (home = \"extra\")",
                        "extra_page")
    return base, placements


def _place(spec: DesignSpec, family: Family, rule: Rule, reg: str,
           base: Mapping[str, Placement]) -> Placement:
    owner = rule.owner
    home = rule.home or default_home(family, reg, owner, base)
    where = f"{rule.key}.home"
    if home not in family.homes:
        raise SpecError(f"{reg}: home {home.word!r} does not exist on base {spec.base} ({family.label}; "
                        f"homes: {', '.join(h.word for h in family.homes)})", where, rule.line)
    if home is Home.HARDWARE and base[reg].home is not Home.HARDWARE:
        raise SpecError(f"{reg}: home 'hardware' is only for registers no page of {spec.base} carries",
                        where, rule.line)
    if home is not Home.HARDWARE and base[reg].home is Home.HARDWARE:
        raise SpecError(f"{reg}: no page of {spec.base} carries it; only 'hardware' is possible",
                        where, rule.line)
    if home is Home.RUN and family is Family.SPLIT and (why := _split_run_refusal(reg)):
        raise SpecError(f"{reg}: cannot live in the run page on split: {why}", where, rule.line)
    if home is Home.EXTRA:
        if spec.extra_page is None:
            raise SpecError(f"{reg}: home 'extra' needs an [extra_page] table", where, rule.line)
        if why := _extra_refusal(reg):
            raise SpecError(f"{reg}: cannot move to the extra page: {why}", where, rule.line)
    per_vtl = spec.extra_page.per_vtl if home is Home.EXTRA and spec.extra_page else bool(home.per_vtl)
    if owner is Owner.PRIVATE and not per_vtl:
        raise SpecError(f"{reg} is private but home {home.word!r} holds one copy for every VTL: a private "
                        "register needs a per-VTL home (bank, vtl-page, vmsa, or a per-VTL extra page)",
                        where, rule.line)
    if owner is Owner.SHARED and home is Home.BANK:
        raise SpecError(f"{reg} is shared but home 'bank' keeps one copy per VTL for private registers",
                        where, rule.line)
    copy = rule.copy or default_copy(owner, home, per_vtl)
    why_not = _copy_refusal(owner, home, per_vtl, copy)
    if why_not:
        raise SpecError(f"{reg}: copy = {copy.word!r} cannot be satisfied: {why_not}", f"{rule.key}.copy",
                        rule.line)
    return Placement(owner, home, copy)


def _copy_refusal(owner: Owner, home: Home, per_vtl: bool, copy: Copy) -> str | None:
    if home is Home.BANK:
        return "a bank is loaded and saved either every entry or on a switch" if copy is Copy.NEVER else None
    if not per_vtl:
        return None if copy is Copy.NEVER else f"home {home.word!r} holds one copy; there is nothing to copy"
    if owner is Owner.PRIVATE:
        return None if copy is Copy.NEVER else "each VTL has its own copy already; copying would share it"
    if home is Home.HARDWARE:
        return None if copy is Copy.NEVER else "the paravisor cannot copy what no page holds"
    return ("a shared register in per-VTL homes is carried on a switch ('switch'), or not at all ('never')"
            if copy is Copy.ENTRY else None)


def _extra_decl(regs: Iterable[str], key: str) -> StructDecl:
    """The extra page's layout: the FXSAVE image if every FX register moved, then a field per register."""
    regs = list(regs)
    fx = GROUP_NAMES["fpu"]
    fields: list[Field] = []
    if all(r in regs for r in fx):
        fields.append(Field("fx_state", FXSAVE, source=TDXLAB_DESIGN,
                            note="FXSAVE image (512 B, 16-B aligned)"))
        regs = [r for r in regs if r not in fx]
    run = layout_of(HCL_RUN)
    prims = {1: Prim.U8, 2: Prim.U16, 4: Prim.U32, 8: Prim.U64}
    for reg in regs:
        row = run.register_row(reg)
        assert row is not None  # every placeable register has a run-page row
        fields.append(Field(reg, prims.get(row.size) or Blob(row.size), reg=reg, source=TDXLAB_DESIGN))
    decl = StructDecl(f"{key}.extra", tuple(fields), TDXLAB_DESIGN, f"extra page declared by design {key}")
    if layout_of(decl).size > PAGE:
        raise SpecError(f"the extra page needs {layout_of(decl).size:,} bytes; a page holds {PAGE:,}",
                        "extra_page")
    return decl


def _fx_block(slot: Slot) -> Slot | None:
    """The FXSAVE image (a 512-byte row) around an FX register's slot, if the page has one."""
    for row in slot.page.layout.rows:
        if row.type == FXSAVE.name and row.offset <= slot.start < row.offset + row.size:
            return Slot(slot.page, row)
    return None


class _Declared(Design):
    """What every declared design adds to its base family: homes, copies and accessors from placements."""

    spec: DesignSpec
    placements: dict[str, Placement]
    base_design: Design
    _extra: StructDecl | None

    def __init__(self, spec: DesignSpec, base: Design, placements: dict[str, Placement]) -> None:
        """``placements``: every register's handling, already checked (:func:`resolve`)."""
        self.spec, self.base_design, self.placements = spec, base, placements
        extra = [r for r, p in placements.items() if p.home is Home.EXTRA]
        self._extra = _extra_decl(extra, spec.key) if extra else None
        for attr in ("platform", "entry_actor", "break_even_against", "is_fix", "summary"):
            setattr(self, attr, getattr(base, attr))
        if spec.summary:
            self.summary = spec.summary
        private = [r for r, p in placements.items() if p.owner is Owner.PRIVATE]
        Design.__init__(self, private, spec.key, spec.title or f"{base.title} (proposal {spec.key})")

    def _with(self, home: Home, copy: Copy | None = None) -> list[str]:
        return [r for r, p in self.placements.items() if p.home is home and (copy is None or p.copy is copy)]

    def default_private(self) -> frozenset[str]:
        """The base's private set (``is_variant`` compares the placements instead)."""
        return self.base_design.default_private()

    @property
    def is_variant(self) -> bool:
        """True when any register is handled differently from the base."""
        return self.placements != base_placements(self.base_design)

    @property
    def style(self) -> DesignStyle:
        """The base's style when nothing changed, else a spare one (told apart from the base)."""
        return spare_style(self.key) if self.is_variant else self.base_design.style

    # --- homes ---------------------------------------------------------------------------------
    def _route_extra(self, store: VpStore, vtl: int) -> None:
        if self._extra is None:
            return
        assert self.spec.extra_page is not None
        per_vtl = self.spec.extra_page.per_vtl
        name = f"vp{store.vp}.{PageKind.EXTRA.short}{vtl if per_vtl else ''}"
        page = next((p for p in store.pages if p.name == name), None)
        if page is None:
            page = Page.new(store.vp, PageKind.EXTRA, layout_of(self._extra), vtl if per_vtl else None)
            store.pages.append(page)
        for reg in self._with(Home.EXTRA):
            row = page.layout.register_row(reg)
            assert row is not None
            store.slots[vtl][reg] = Slot(page, row)

    # --- the paravisor's work ------------------------------------------------------------------
    def entry_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """Banked registers copied every entry: the entered VTL's bank -> the run page."""
        return [(store.bank[vtl][r], store.slots[vtl][r]) for r in self._with(Home.BANK, Copy.ENTRY)]

    def exit_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """Banked registers copied every exit: the run page -> the exited VTL's bank."""
        return [(store.slots[vtl][r], store.bank[vtl][r]) for r in self._with(Home.BANK, Copy.ENTRY)]

    def switch_copies(self, store: VpStore, src: int, dst: int) -> list[tuple[Slot, Slot]]:
        """On a switch: a lazy bank saves and loads; shared per-VTL registers are carried across.

        A lazy bank saves the run page to ``src``'s bank, then loads ``dst``'s; shared
        registers with per-VTL homes are copied from ``src``'s home to ``dst``'s.
        """
        lazy = self._with(Home.BANK, Copy.SWITCH)
        out = [(store.slots[src][r], store.bank[src][r]) for r in lazy]
        out += [(store.bank[dst][r], store.slots[dst][r]) for r in lazy]
        carried = self.switch_copied(store)
        fx = GROUP_NAMES["fpu"]
        if all(r in carried for r in fx):  # the whole FXSAVE image moves as one 512-byte copy
            blocks = _fx_block(store.slots[src][fx[0]]), _fx_block(store.slots[dst][fx[0]])
            if blocks[0] is not None and blocks[1] is not None:
                out.append((blocks[0], blocks[1]))
                carried = [r for r in carried if r not in fx]
        out += [(store.slots[src][r], store.slots[dst][r]) for r in carried]
        return out

    def switch_copied(self, store: VpStore) -> list[str]:
        """Shared registers carried from one VTL's home to the other's on a switch."""
        return [r for r, p in self.placements.items()
                if p.owner is Owner.SHARED and p.copy is Copy.SWITCH and r in store.slots[0]]

    def _lazy(self, reg: str) -> bool:
        p = self.placements.get(reg)
        return p is not None and p.home is Home.BANK and p.copy is Copy.SWITCH

    def pv_slot(self, store: VpStore, current: int, vtl: int, reg: str) -> Slot | None:
        """A lazy bank holds a VTL's registers only while it is not running; else as the base."""
        if self._lazy(reg) and vtl == current:
            return store.slots[vtl].get(reg)
        return super().pv_slot(store, current, vtl, reg)

    def reset_slot(self, store: VpStore, vtl: int, reg: str) -> Slot | None:
        """VTL 0 runs from the VP's creation, so a lazy bank's VTL 0 values start in the run page."""
        if self._lazy(reg) and vtl == 0:
            return store.slots[vtl].get(reg)
        return super().reset_slot(store, vtl, reg)

    def flush_slot(self, store: VpStore, vtl: int) -> tuple[Slot, bool] | None:
        """Where the served flush request is cleared: a lazily banked flags word is in the run page."""
        if self._lazy("vm_flags"):
            return store.slots[vtl]["vm_flags"], True
        return super().flush_slot(store, vtl)


class DeclaredSharedPage(_Declared, SharedPageDesign):
    """A spec on naive or bank: one run page, banks for the registers whose home is ``bank``."""

    def banked(self) -> frozenset[str]:
        """Registers with a per-VTL bank."""
        return frozenset(self._with(Home.BANK))

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """The run page's slots and the banks, then the extra page."""
        super().add_vtl(store, vtl)
        self._route_extra(store, vtl)


class DeclaredSplit(_Declared, SplitDesign):
    """A spec on split: each register in its VTL's page, the shared struct, or the extra page."""

    def in_own_page(self, reg: str, shared: dict[str, Slot]) -> bool:
        """The spec's home decides (the extra page is routed after)."""
        return self.placements[reg].home is not Home.RUN

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """The VTL's page and shared-struct routing, then the extra page."""
        super().add_vtl(store, vtl)
        self._route_extra(store, vtl)


class DeclaredSnp(_Declared, SnpDesign):
    """A spec on snp: every register in each VTL's VMSA; the spec decides which are copied."""


_CLASSES: dict[Family, type[_Declared]] = {
    Family.SHARED_PAGE: DeclaredSharedPage, Family.SPLIT: DeclaredSplit, Family.SNP: DeclaredSnp,
}


def build(spec: DesignSpec, base: Design | None = None) -> Design:
    """The design ``spec`` describes (a :class:`SpecError` names what cannot be built)."""
    if not spec.key:
        raise SpecError("a design needs a non-empty key", "design.key")
    base, placements = resolve(spec, base)
    return _CLASSES[family_of(base)](spec, base, placements)


#: Base classes whose behaviour a spec captures completely (their subclasses may add protocol).
_PLAIN = (NaiveDesign, SharedPageDesign, SplitDesign, SnpDesign)


def variant_of(base: Design, key: str, title: str | None, add_private: Iterable[str],
               drop_private: Iterable[str]) -> Design:
    """:meth:`Design.variant`: a spec changing only classes, on a base a spec can describe.

    A variant of a declared design keeps that design's rules (the registers re-classed get
    new ones).  A base with protocol of its own (a named variant, a contributor's subclass)
    is copied with a new private set instead, as before specs existed.
    """
    title = title or f"{base.title} (variant {key})"
    if isinstance(base, _Declared):
        rules = class_rules(base, add_private, drop_private)
        changed = {r for rule in rules for r in rule.registers()}
        kept = tuple(Rule(tuple(r for r in rule.registers() if r not in changed), rule.owner, rule.home,
                          rule.copy, rule.why, rule.key, rule.line)
                     for rule in base.spec.rules if set(rule.registers()) - changed)
        spec = DesignSpec(key, base.spec.base, title, base.spec.summary, kept + rules, base.spec.extra_page)
        return build(spec, base.base_design)
    if type(base) in _PLAIN:
        rules = class_rules(base, add_private, drop_private)
        return build(DesignSpec(key, base.key, title, rules=rules), base)
    new = copy.copy(base)
    Design.__init__(new, (base.private | set(add_private)) - set(drop_private), key, title)
    return new


def class_rules(base: Design, add_private: Iterable[str], drop_private: Iterable[str]) -> tuple[Rule, ...]:
    """The rules of :meth:`Design.variant`: only classes change; homes and copies follow the defaults."""
    add, drop = set(add_private), set(drop_private)
    both = sorted(add & drop)
    if both:
        raise SpecError(f"{', '.join(both)} cannot be both added to and dropped from the private set")
    rules = []
    for reg in PLACEABLE:
        if reg in add and reg not in base.private:
            rules.append(Rule((reg,), Owner.PRIVATE, key=f"add_private {reg}"))
        elif reg in drop and reg in base.private:
            rules.append(Rule((reg,), Owner.SHARED, key=f"drop_private {reg}"))
    unknown = sorted((add | drop) - set(PLACEABLE))
    if unknown:
        raise SpecError(f"cannot place {', '.join(unknown)} per VTL (not a simulated register)")
    return tuple(rules)


__all__ = [
    "GROUP_NAMES", "Copy", "DeclaredSharedPage", "DeclaredSnp", "DeclaredSplit", "DesignSpec", "ExtraPage",
    "Family", "Home", "Placement", "Rule", "SpecError", "base_placements", "build", "class_rules",
    "default_copy", "default_home", "family_of", "resolve", "variant_of",
]
