"""The four page designs, each a small object implementing one protocol.

A design answers, per VP:

* which pages exist (:meth:`Design.create`, :meth:`Design.add_vtl`);
* where the kernel/CPU loads each register from when entering a VTL and saves it
  to on exit (``store.slots[vtl][reg]``);
* what the paravisor does before an entry and after an exit (:meth:`before_entry`,
  :meth:`after_exit`) and on a VTL switch (:meth:`on_switch`).

Every design is parameterised by ``private``: the set of registers it keeps per
VTL.  The default comes from the register catalogue (TLFS + OpenVMM), and
:meth:`Design.variant` derives a reviewer's variant in one line, e.g. a bank
design that forgets RSP (OpenVMM before #1178) or a split design that wrongly
makes CR2 private.  The checker compares against the *architectural* classes, not
the design's, which is how a wrong variant shows up as violations.

The registry (:data:`DESIGNS`, :func:`register_design`) is the kit's one extension point
for designs: a design object carries everything that is *about* it — key, title,
platform, chart style, the break-even questions it asks, whether it is a fix or the bug
— and every view, sweep and command reads the registry instead of naming a design key.
Adding a design is one class here (or in the caller's own module) and one
:func:`register_design` call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

from tdxlab.layout.declare import Blob, Field, Prim, StructDecl
from tdxlab.layout.engine import layout_of
from tdxlab.layout.split_structs import HCL_RUN_SPLIT, TDX_VTL_PAGE
from tdxlab.layout.structs import HCL_RUN, HCL_RUN_SNP, TDX_L2_ENTER_GUEST_STATE, TDX_PRIVATE_REGS
from tdxlab.owners import Owner
from tdxlab.palette import OKABE_ITO
from tdxlab.registers import REGISTERS, Platform
from tdxlab.sim.memory import Actor, Memory, Page, PageKind, Slot
from tdxlab.sim.model import MODELLED
from tdxlab.sources import TDXLAB_DESIGN

#: Registers plus the entry flags: everything a design may place per VTL.
PLACEABLE: tuple[str, ...] = (*MODELLED, "vm_flags")
#: Registers TDG.VP.ENTER must find in the entered VM's own guest-state buffer.
BUFFER_REGS = frozenset(layout_of(TDX_L2_ENTER_GUEST_STATE).registers())
VM_INDEX_SHIFT = 52
INVD_MASK = 0x3


def entry_flags(vtl: int, invalidate: bool) -> int:
    """TdxVmFlags for entering ``vtl``: vm_index = VTL + 1 (OV), optional INVEPT flush request."""
    return ((vtl + 1) << VM_INDEX_SHIFT) | (1 if invalidate else 0)


@dataclass(frozen=True)
class DesignStyle:
    """How charts draw a design: colour (``#RRGGBB``), matplotlib marker and line style.

    Kept with the design (not in the renderer) so a new design brings its own look and
    every chart shows it the same way; colour *and* marker *and* dash tell designs apart,
    so charts read in greyscale and for colour-blind readers (Okabe-Ito colours).
    """

    colour: str
    marker: str
    line: str | tuple[int, tuple[int, ...]]


#: The style a variant or a design without its own style is drawn with (dash-dot-dot, diamond).
VARIANT_LINE: tuple[int, tuple[int, ...]] = (0, (3, 1, 1, 1))
_SPARE_COLOURS = (OKABE_ITO["reddish_purple"], OKABE_ITO["sky_blue"], OKABE_ITO["black"],
                  OKABE_ITO["yellow"])


def spare_style(key: str) -> DesignStyle:
    """A stable style for a design or variant that brings none (same key, same colour)."""
    return DesignStyle(_SPARE_COLOURS[sum(map(ord, key)) % len(_SPARE_COLOURS)], "D", VARIANT_LINE)


@dataclass
class VpStore:
    """One VP's pages and where each VTL's registers live."""

    vp: int
    pages: list[Page] = field(default_factory=list)
    slots: dict[int, dict[str, Slot]] = field(default_factory=dict)
    bank: dict[int, dict[str, Slot]] = field(default_factory=dict)

    def page(self, name: str) -> Page:
        """The page called ``name``."""
        for p in self.pages:
            if p.name == name:
                return p
        raise KeyError(name)


def _slot_map(page: Page, prefix: str, regs: Iterable[str]) -> dict[str, Slot]:
    out = {}
    for reg in regs:
        row = page.layout.register_row(reg)
        if row is not None and row.path.startswith(prefix):
            out[reg] = Slot(page, row)
    return out


class Design(ABC):
    """A page design: the protocol the paravisor, kernel and CPU follow around entries."""

    key: str = ""
    title: str = ""
    summary: str = ""
    platform: Platform = Platform.TDX
    #: Who loads and saves the guest registers on entry and exit (the TDX module via the
    #: kernel, or the CPU itself into a VMSA).
    entry_actor: Actor = Actor.KERNEL
    #: How charts draw it; ``None``: a stable spare style (:func:`spare_style`).
    style_of: DesignStyle | None = None
    #: Break-even questions this design asks: each tuple names the rivals it must beat
    #: (those of them shown); e.g. split asks ``("bank",)``.
    break_even_against: tuple[tuple[str, ...], ...] = ()
    #: True for a design proposed as a fix (a base for variants, measured by the host
    #: analogue); False for the bug itself.
    is_fix: bool = True

    def __init__(
        self, private: Iterable[str] | None = None, key: str | None = None, title: str | None = None
    ) -> None:
        """Use the catalogue's private set unless ``private`` is given."""
        chosen = frozenset(private) if private is not None else self.default_private()
        unknown = sorted(chosen - set(PLACEABLE))
        if unknown:
            raise ValueError(f"design {key or self.key}: cannot place {', '.join(unknown)} per VTL "
                             "(not a simulated register)")
        self.private = chosen
        if key is not None:
            self.key = key
        if title is not None:
            self.title = title

    def default_private(self) -> frozenset[str]:
        """Registers the TLFS/OpenVMM classify as per-VTL on this design's platform."""
        return frozenset(r for r in PLACEABLE if REGISTERS[r].owner(self.platform) is Owner.PRIVATE)

    def variant(
        self,
        key: str,
        title: str | None = None,
        *,
        add_private: Iterable[str] = (),
        drop_private: Iterable[str] = (),
    ) -> Design:
        """A copy of this design with registers moved between per-VTL and shared handling.

        A design spec that changes only classes (:func:`tdxlab.sim.declared.variant_of`): each
        moved register gets its class's default home and copy on this design's pages, the
        same mechanism as a design file.
        """
        from tdxlab.sim.declared import variant_of  # declared builds on this module's bases

        return variant_of(self, key, title, add_private, drop_private)

    @property
    def is_variant(self) -> bool:
        """True when the private set differs from the catalogue's."""
        return self.private != self.default_private()

    @property
    def style(self) -> DesignStyle:
        """The chart style: the design's own, or a spare one for variants (told apart from the base)."""
        if self.style_of is not None and not self.is_variant:
            return self.style_of
        return spare_style(self.key)

    # --- protocol -----------------------------------------------------------------------------
    @abstractmethod
    def create(self, vp: int) -> VpStore:
        """Allocate a VP's pages with VTL 0 usable."""

    @abstractmethod
    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """Make ``vtl`` usable on a VP (allocate its pages, fill ``slots[vtl]``)."""

    def paravisor_slot(self, store: VpStore, vtl: int, reg: str) -> Slot | None:
        """Where the paravisor keeps ``vtl``'s value of ``reg`` while that VTL is not running."""
        return store.bank.get(vtl, {}).get(reg) or store.slots[vtl].get(reg)

    def reset_slot(self, store: VpStore, vtl: int, reg: str) -> Slot | None:
        """Where ``vtl``'s reset value of ``reg`` is written when the VTL is enabled.

        Where the paravisor keeps it (:meth:`paravisor_slot`), unless the design keeps the
        running VTL's value elsewhere (a lazily switched bank: VTL 0 runs from the start).
        """
        return self.paravisor_slot(store, vtl, reg)

    def pv_slot(self, store: VpStore, current: int, vtl: int, reg: str) -> Slot | None:
        """Where the paravisor's accessor for ``vtl``'s ``reg`` reads and writes (``pv_get``/``pv_set``).

        The accessors take a VTL (OpenVMM's ``vp.backing.vtls[vtl]`` and
        ``runner.vmsa(vtl)``): a register the design keeps per VTL is read from that VTL's
        home (its bank, page or VMSA); a register it shares lives where the VP's *current*
        VTL keeps it (the one shared copy, or the per-VTL copy that the next switch
        carries across).  ``None``: no page holds it (the hardware keeps it).
        """
        return self.paravisor_slot(store, vtl if reg in self.private else current, reg)

    # --- the paravisor's work, declared as data ------------------------------------------------
    # A design says *which* slots the paravisor copies and writes around an entry and on a
    # switch; the three hooks below carry that out one slot at a time through Memory (the
    # reference engine, which logs every access), and tdxlab.sim.fast compiles the same lists
    # into merged slice copies.  One declaration, two engines.
    def entry_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """(source, destination) slots the paravisor copies before entering ``vtl`` (default: none)."""
        return []

    def entry_writes(self, store: VpStore, vtl: int) -> list[tuple[Slot, int]]:
        """Constant values the paravisor writes before entering ``vtl``, after the copies (default: none)."""
        return []

    def exit_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """(source, destination) slots the paravisor copies after ``vtl`` exits (default: none)."""
        return []

    def flush_slot(self, store: VpStore, vtl: int) -> tuple[Slot, bool] | None:
        """The entry flags whose served TLB-flush request is cleared after an exit (default: none).

        The entry flags whose served TLB-flush request is cleared after an exit, and whether
        that write goes to a page (logged) or to paravisor memory (not a page access).
        """
        return None

    def switch_copies(self, store: VpStore, src: int, dst: int) -> list[tuple[Slot, Slot]]:
        """(source, destination) slots the paravisor copies on a switch from ``src`` to ``dst``."""
        return [(store.slots[src][reg], store.slots[dst][reg]) for reg in self.switch_copied(store)]

    def before_entry(self, store: VpStore, vtl: int, mem: Memory) -> None:
        """Paravisor work before ``runner.run()``: :meth:`entry_copies`, then :meth:`entry_writes`."""
        for src, dst in self.entry_copies(store, vtl):
            mem.copy(Actor.PARAVISOR, src, dst)
        for slot, value in self.entry_writes(store, vtl):
            mem.write(Actor.PARAVISOR, slot, value)

    def after_exit(self, store: VpStore, vtl: int, mem: Memory) -> None:
        """Paravisor work after the exit: :meth:`exit_copies`, then clear a served flush request."""
        for src, dst in self.exit_copies(store, vtl):
            mem.copy(Actor.PARAVISOR, src, dst)
        served = self.flush_slot(store, vtl)
        if served is not None:
            slot, logged = served
            value = slot.read()
            if value & INVD_MASK:
                if logged:
                    mem.write(Actor.PARAVISOR, slot, value & ~INVD_MASK)
                else:
                    slot.write(value & ~INVD_MASK)  # user memory, not a page access

    def on_switch(self, store: VpStore, src: int, dst: int, mem: Memory) -> None:
        """Paravisor work on a VTL switch: :meth:`switch_copies` (TDX ``switch_vtl`` alone only sets exit_vtl)."""  # noqa: E501
        for s, d in self.switch_copies(store, src, dst):
            mem.copy(Actor.PARAVISOR, s, d)

    def protocol_state(self, store: VpStore) -> tuple[object, ...]:
        """State of the design's own protocol beyond registers and entry flags (default: none).

        Part of :func:`tdxlab.sim.verify.state_key`: a design that keeps, say, a counter must
        name it here, or two states with different futures would look the same.
        """
        return ()

    def switch_copied(self, store: VpStore) -> list[str]:
        """Registers this design copies on a VTL switch."""
        return []

    def sample_store(self, vtls: int = 2) -> VpStore:
        """VP 0's pages with the first ``vtls`` lower VTLs enabled, for views that show the layout."""
        store = self.create(0)
        for vtl in range(1, vtls):
            self.add_vtl(store, vtl)
        return store

    def pages_per_vp(self, vtls: int = 2) -> int:
        """Kernel-visible pages per VP with ``vtls`` lower VTLs enabled."""
        return sum(p.counts_as_page for p in self.sample_store(vtls).pages)


class SharedPageDesign(Design):
    """One run page for all VTLs; the ``private`` registers are banked in paravisor memory.

    With an empty private set this is the *naive* design (the #746 bug); with the
    catalogue's set it is OpenVMM's ``write_private_regs``/``read_private_regs``.
    """

    key = "bank"
    title = "shared page + bank switching (OpenVMM today)"
    summary = ("One run page means 'the current VTL'; before every entry the paravisor copies the "
               "entered VTL's private registers in, and after every exit copies them out (#778).")
    style_of = DesignStyle(OKABE_ITO["blue"], "o", "-")  # OpenVMM today: the calm reference colour

    def banked(self) -> frozenset[str]:
        """Registers with a per-VTL bank in paravisor memory (the private set; a design file may differ)."""
        return self.private

    def _bank_decl(self) -> StructDecl:
        banked = [r for r in PLACEABLE if r in self.banked()]
        base = layout_of(TDX_PRIVATE_REGS)
        if set(banked) <= set(base.registers()):
            return TDX_PRIVATE_REGS
        run = layout_of(HCL_RUN)
        extra = []
        for reg in banked:
            if base.register_row(reg) is None:
                row = run.register_row(reg)
                assert row is not None
                size = row.size
                prims = {1: Prim.U8, 2: Prim.U16, 4: Prim.U32, 8: Prim.U64}
                ptype: Prim | Blob = prims.get(size) or Blob(size)
                extra.append(Field(reg, ptype, reg=reg, source=TDXLAB_DESIGN))
        return StructDecl("TdxPrivateRegs+variant", (*TDX_PRIVATE_REGS.fields, *extra),
                          TDXLAB_DESIGN, "variant bank with extra registers")

    def create(self, vp: int) -> VpStore:
        """The VP's one run page (and VTL 0's bank)."""
        run = Page.new(vp, PageKind.RUN, layout_of(HCL_RUN))
        store = VpStore(vp, [run])
        self.add_vtl(store, 0)
        return store

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """Both VTLs use the run page's slots; each VTL gets its own bank."""
        run = store.pages[0]
        store.slots[vtl] = _slot_map(run, "context.", PLACEABLE)
        banked = self.banked()
        if banked:
            bank = Page.new(store.vp, PageKind.BANK, layout_of(self._bank_decl()), vtl, counts_as_page=False)
            store.pages.append(bank)
            slots = _slot_map(bank, "", PLACEABLE)
            store.bank[vtl] = {r: s for r, s in slots.items() if r in banked}

    def entry_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """``write_private_regs``: the entered VTL's bank -> the run page."""
        return [(src, store.slots[vtl][reg]) for reg, src in store.bank.get(vtl, {}).items()]

    def entry_writes(self, store: VpStore, vtl: int) -> list[tuple[Slot, int]]:
        """Naive (flags not banked) names the VM to enter in the run page's flags."""
        if "vm_flags" in self.banked():
            return []
        return [(store.slots[vtl]["vm_flags"], entry_flags(vtl, False))]

    def exit_copies(self, store: VpStore, vtl: int) -> list[tuple[Slot, Slot]]:
        """``read_private_regs``: the run page -> the exited VTL's bank."""
        return [(store.slots[vtl][reg], dst) for reg, dst in store.bank.get(vtl, {}).items()]

    def flush_slot(self, store: VpStore, vtl: int) -> tuple[Slot, bool] | None:
        """The banked flags: a served TLB-flush request is cleared in paravisor memory."""
        flags = store.bank.get(vtl, {}).get("vm_flags")
        return None if flags is None else (flags, False)


class NaiveDesign(SharedPageDesign):
    """The bug: one run page, no notion of VTL, nothing banked (openvmm #746)."""

    key = "naive"
    title = "naive shared page (the #746 bug)"
    summary = ("One run page and no notion of VTL: whatever the last VTL left in RIP, RSP, RFLAGS "
               "and the private MSRs is what the next VTL is entered with.")
    style_of = DesignStyle(OKABE_ITO["vermillion"], "X", ":")  # the bug: the palette's alarm colour
    is_fix = False

    def default_private(self) -> frozenset[str]:
        """Nothing is kept per VTL: that is the bug."""
        return frozenset()


class SplitDesign(Design):
    """One context page per VTL plus a VTL-agnostic shared struct (#746's proposal).

    Layout: :mod:`tdxlab.layout.split_structs`.  Private registers and the whole
    guest-state buffer live in the VTL's own page; shared registers with a slot in
    the shared struct (CR2, FX) live there once; shared registers that TDG.VP.ENTER
    reads from the per-VTL buffer (the GPRs but RSP) are copied on each VTL switch.
    """

    key = "split"
    title = "split pages (page per VTL + shared struct)"
    summary = ("Each VTL has its own context page and the run page holds only VTL-agnostic state; "
               "nothing is copied per entry, but shared GPRs are copied on every VTL switch.")
    style_of = DesignStyle(OKABE_ITO["bluish_green"], "s", "--")  # the proposal
    break_even_against = (("bank",),)  # #746's question: is the split page cheaper than banking?

    def create(self, vp: int) -> VpStore:
        """Run page with the shared struct, and VTL 0's context page."""
        store = VpStore(vp, [Page.new(vp, PageKind.RUN, layout_of(HCL_RUN_SPLIT))])
        self.add_vtl(store, 0)
        return store

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """Allocate the VTL's page; route each register to its page or the shared struct."""
        page = Page.new(store.vp, PageKind.VTL_CONTEXT, layout_of(TDX_VTL_PAGE), vtl)
        store.pages.append(page)
        own = _slot_map(page, "context.", PLACEABLE)
        shared = _slot_map(store.pages[0], "context.", PLACEABLE)
        store.slots[vtl] = {reg: own[reg] if self.in_own_page(reg, shared) else shared[reg]
                            for reg in PLACEABLE}

    def in_own_page(self, reg: str, shared: dict[str, Slot]) -> bool:
        """True when ``reg`` lives in each VTL's page: private, in the entry buffer, or not shared."""
        return reg in self.private or reg in BUFFER_REGS or reg == "vm_flags" or reg not in shared

    def switch_copied(self, store: VpStore) -> list[str]:
        """Shared registers that live in per-VTL pages (by the buffer constraint or by variant).

        Every VTL's page has the same layout, so any two enabled VTLs give the same list.
        """
        vtls = sorted(store.slots)
        if len(vtls) < 2:
            return []
        a, b = (store.slots[v] for v in vtls[:2])
        return [r for r in MODELLED if r not in self.private and a[r].page is not b[r].page]

    def flush_slot(self, store: VpStore, vtl: int) -> tuple[Slot, bool] | None:
        """The VTL's own entry flags (in its page): a served TLB-flush request is cleared there."""
        return store.slots[vtl]["vm_flags"], True


class SnpDesign(Design):
    """One VMSA per VTL (VMPL); the shared set is copied between VMSAs on each VTL switch.

    Mirrors OpenVMM's SNP ``switch_vtl`` (domain facts 2.2): private state is isolated
    by construction, shared registers are propagated by copying.  Registers the VMSA
    does not carry (RVI/SVI: interrupt state is handled by the AVIC, not this model)
    are kept per VTL by the hardware model.
    """

    key = "snp"
    title = "SEV-SNP style (VMSA per VTL, copy shared on switch)"
    summary = ("Each VTL has a full VMSA; nothing is copied per entry, but every VTL switch copies "
               "the shared registers (GPRs but RSP, CR2, ST0-7, XMM; not the x87 control fields or "
               "MXCSR) from one VMSA to the other.")
    platform = Platform.SNP
    entry_actor = Actor.CPU  # VMRUN/#VMEXIT load and save the VMSA
    style_of = DesignStyle(OKABE_ITO["orange"], "^", "-.")  # the contrast case
    break_even_against = (("bank", "split"),)  # is copying on every switch cheaper than both?

    def create(self, vp: int) -> VpStore:
        """Run page (SNP reading, no registers) and VTL 0's VMSA."""
        store = VpStore(vp, [Page.new(vp, PageKind.RUN, layout_of(HCL_RUN_SNP))])
        self.add_vtl(store, 0)
        return store

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """Allocate the VTL's VMSA page (OV: VTL0 = VMPL2, VTL1 = VMPL1).

        With three lower VTLs the mapping would have to shift to VTL 0..2 = VMPL 3..1 below the
        paravisor at VMPL 0 (our inference; OV maps two).  The model only needs one VMSA per VTL.
        """
        from tdxlab.layout.vmsa import SEV_VMSA_PAGE

        page = Page.new(store.vp, PageKind.VMSA, layout_of(SEV_VMSA_PAGE), vtl)
        store.pages.append(page)
        store.slots[vtl] = _slot_map(page, "", MODELLED)

    def switch_copied(self, store: VpStore) -> list[str]:
        """The shared registers the VMSA carries: OV SNP ``switch_vtl`` copies them VMSA to VMSA."""
        return [r for r in MODELLED if r not in self.private and r in store.slots[0]]



class NamedVariant(Design):
    """A variant that changes a design's protocol, not its private set (listed in :data:`VARIANTS`).

    ``Design.is_variant`` compares private sets, which these keep; they are variants all the
    same, so charts give them a spare style and tables mark them.
    """

    @property
    def is_variant(self) -> bool:
        """Always a variant of its base design."""
        return True


class AccessorDesign(NamedVariant, SharedPageDesign):
    """#747's idea without a bank: accessors take a VTL, but the page still holds one set.

    PR #747 ("Make sure we don't access kernel-shared state for the wrong VTL") gave the
    run-page accessors a VTL argument; the private registers are named as such (the
    catalogue's set), but nothing stores a second copy, so every accessor, whatever VTL it
    names, reaches the one page, and every entry loads whatever the last VTL left there.
    Its bytes move exactly as naive's: the lesson is that a VTL argument is a promise the
    storage must keep (Starks, #747: VTL parameters mislead when the kernel interface holds
    one set).  A named variant, not a registered design: it is not shown in every table.
    """

    key = "vtl-accessors"
    title = "VTL-typed accessors, one register set (#747 without a bank)"
    summary = ("Run-page accessors take a VTL, but the page still holds one register set: typed "
               "accessors without a second copy change no byte.")
    is_fix = False

    def add_vtl(self, store: VpStore, vtl: int) -> None:
        """Every VTL's accessors reach the run page's one set; no bank is allocated."""
        store.slots[vtl] = _slot_map(store.pages[0], "context.", PLACEABLE)

    def entry_writes(self, store: VpStore, vtl: int) -> list[tuple[Slot, int]]:
        """Name the VM to enter (the accessors know the VTL); nothing is copied in or out."""
        return [(store.slots[vtl]["vm_flags"], entry_flags(vtl, False))]


class PageAccessorDesign(NamedVariant, SharedPageDesign):
    """Bank switching at every entry, but the accessors read the run page (raw accessors).

    Entries are as safe as ``bank``'s; what breaks is the paravisor touching a VTL that is
    not running (``pv_get``/``pv_set``), because the page holds the current VTL's set.
    #778 made the raw private accessors non-public for exactly this: banking "allows
    userspace operations to operate on arbitrary VTLs, despite the kernel only holding
    one set of registers".
    """

    key = "bank-page-accessors"
    title = "bank switching, accessors read the page (raw accessors before #778)"
    summary = ("Private registers are banked around every run, but the paravisor's accessors read "
               "and write the run page, which holds only the current VTL's set.")

    def pv_slot(self, store: VpStore, current: int, vtl: int, reg: str) -> Slot | None:
        """The run page's slot, whichever VTL is asked for."""
        return store.slots[vtl].get(reg)


class TwoVtlSplitDesign(NamedVariant, SplitDesign):
    """A split design written for two lower VTLs: the switch copy runs only between VTL 0 and 1.

    A plausible bug when a third VTL arrives ("hard to support more VTLs in future", #746's
    seed): the shared GPRs are carried across 0 <-> 1 but not 1 <-> 2.  It passes every trace
    of a 2-VTL partition, and in a 3-VTL one it needs two calls up before anything goes
    wrong, so its shortest counterexample is longer than the bounded search's six events:
    the variant notebook 05 uses to show what complete verification adds.
    """

    key = "split-two-vtl-copy"
    title = "split pages, switch copy only between VTL 0 and VTL 1"
    summary = ("The split design with its switch copy written for two VTLs: shared GPRs are not "
               "carried across a switch that involves VTL 2.")
    is_fix = False

    def switch_copies(self, store: VpStore, src: int, dst: int) -> list[tuple[Slot, Slot]]:
        """The shared GPRs, but only for a switch between VTL 0 and VTL 1."""
        return super().switch_copies(store, src, dst) if {src, dst} == {0, 1} else []


#: The wrapping variant's one byte of paravisor memory: a per-VP switch counter.
SWITCH_COUNTER = StructDecl(
    "SwitchCounter", (Field("switch_count", Prim.U8, owner=Owner.GLOBAL, source=TDXLAB_DESIGN,
                            note="2-bit switch number; 0 is taken to mean 'nothing to copy'"),),
    TDXLAB_DESIGN, "a per-VP 2-bit switch counter (the wrapping-counter variant's bug)")


class WrappingCounterSplitDesign(NamedVariant, SplitDesign):
    """A split design whose switch copy is skipped whenever a 2-bit switch counter wraps to 0.

    A built bug of a well-known class (a sequence number that wraps, the ABA problem): the
    paravisor numbers each VP's VTL switches in a 2-bit field and reads 0 as "no copy
    pending", so every fourth switch skips the copy of the shared GPRs.  Its shortest
    counterexample has seven events (enable, three switches that copy, a write, the fourth
    switch, an observation), so a bounded search to length six reports nothing, and only
    complete verification (notebook 05) finds it.  The counter is per VP, in paravisor
    memory, and part of the verified state (:meth:`protocol_state`).
    """

    key = "split-wrapping-counter"
    title = "split pages, switch copy skipped when a 2-bit counter wraps"
    summary = ("The split design with a 2-bit switch counter that reads 0 as 'nothing to copy': "
               "every fourth VTL switch leaves the shared GPRs behind.")
    is_fix = False

    def create(self, vp: int) -> VpStore:
        """The split pages plus one byte of paravisor memory for the counter."""
        store = super().create(vp)
        store.pages.append(Page.new(vp, PageKind.BANK, layout_of(SWITCH_COUNTER), counts_as_page=False))
        return store

    def _counter(self, store: VpStore) -> Slot:
        page = next(p for p in store.pages if p.layout.name == SWITCH_COUNTER.name)
        return Slot(page, page.layout.row("switch_count"))

    def on_switch(self, store: VpStore, src: int, dst: int, mem: Memory) -> None:
        """Count the switch (mod 4); copy unless the count wrapped to 0 (the bug)."""
        counter = self._counter(store)
        count = (counter.read() + 1) & 0x3
        counter.write(count)  # paravisor memory, not a page access
        if count != 0:
            super().on_switch(store, src, dst, mem)

    def protocol_state(self, store: VpStore) -> tuple[object, ...]:
        """The counter: two states with different counts have different futures."""
        return (self._counter(store).read(),)


#: Named variants the commands accept by key (``--design vtl-accessors``) but that the
#: tables and charts of the registry do not show: each teaches one lesson (notebooks 03, 05).
VARIANTS: dict[str, Design] = {
    d.key: d for d in (AccessorDesign(), PageAccessorDesign(), TwoVtlSplitDesign(),
                        WrappingCounterSplitDesign())
}


#: The registry: every design the kit shows, by key, in the order every table and chart
#: shows them.  Read it at call time (never copy it at import), so a design registered
#: later appears in every view and command.
DESIGNS: dict[str, Design] = {}


def register_design(design: Design, *, replace: bool = False) -> Design:
    """Add ``design`` to the registry (the one extension point); returns it.

    A key already taken is an error unless ``replace``: two designs with one key would
    make every table ambiguous.
    """
    if not isinstance(design, Design):
        raise TypeError(f"register_design expects a Design, got {type(design).__name__}")
    if not design.key:
        raise ValueError("a design needs a non-empty key")
    if design.key in DESIGNS and not replace:
        raise ValueError(f"design key {design.key!r} is already registered")
    if not isinstance(design.platform, Platform):
        raise ValueError(f"design {design.key}: platform must be a Platform, got {design.platform!r}")
    unknown = sorted({r for rivals in design.break_even_against for r in rivals} - {*DESIGNS, design.key})
    if unknown:  # a typo would silently ask no question
        raise ValueError(f"design {design.key}: break_even_against names unregistered design(s) "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(DESIGNS)}")
    DESIGNS[design.key] = design
    return design


def unregister_design(key: str) -> None:
    """Remove a design from the registry (for tests and notebooks that add throw-away designs)."""
    if key not in DESIGNS:
        raise ValueError(f"design {key!r} is not registered; known: {', '.join(DESIGNS)}")
    del DESIGNS[key]


def fix_designs() -> list[Design]:
    """The registered designs proposed as fixes (variant bases; measured by the host analogue)."""
    return [d for d in DESIGNS.values() if d.is_fix]


for _design in (NaiveDesign(), SharedPageDesign(), SplitDesign(), SnpDesign()):
    register_design(_design)


def get_design(name: str | Design) -> Design:
    """A design by key (or the design itself), with a one-line error listing the keys."""
    if isinstance(name, Design):
        return name
    try:
        return DESIGNS[name]
    except (KeyError, TypeError):
        pass
    try:
        return VARIANTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown design {name!r}; known: {', '.join(DESIGNS)} "
                         f"(variants: {', '.join(VARIANTS)})") from None


