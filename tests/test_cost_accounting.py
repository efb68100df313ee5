"""Cost accounting: counts derived from the simulator's memory log, pinned by hand arithmetic.

Every expected number below is worked out from the reference sheet
(shared/reference/domain-facts.md) or from the structure definitions, with the
arithmetic written next to it; none is copied from the code under test.
"""

from __future__ import annotations

import pytest
from conftest import DESIGN_KEYS
from facts import (
    BANK_BYTES,
    BANK_FIELDS,
    BANK_LINES,
    SNP_SWITCH_BYTES,
    SNP_SWITCH_REGS,
    SPLIT_SWITCH_BYTES,
    SPLIT_SWITCH_GPRS,
)

from tdxlab.cost.accounting import DesignCosts, Tally, account, event_costs, tally
from tdxlab.registers import Platform
from tdxlab.sim.designs import DESIGNS, Design
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import simulate
from tdxlab.sim.memory import Access, Actor, PageKind, PageRole

# domain-facts 2.1: TdxPrivateRegs = 11 u64 + 2 u8 = 90 bytes, 13 fields:
# RSP, RFLAGS, RIP, SSP (4 x 8), RVI, SVI (2 x 1), KERNEL_GS_BASE, STAR, LSTAR, SFMASK, XSS,
# TSC_AUX (6 x 8), entry flags (8)  ->  32 + 2 + 48 + 8 = 90.
PRIVATE_13 = {"rsp", "rflags", "rip", "ssp", "rvi", "svi", "kernel_gs_base", "star", "lstar", "sfmask",
              "xss", "tsc_aux", "vm_flags"}
# domain-facts 2.1: the 15 GPRs other than RSP are shared; on the split design they sit in the
# per-VTL guest-state buffer, so a VTL switch copies them: 15 x 8 = 120 bytes.
SHARED_GPRS = {"rax", "rcx", "rdx", "rbx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
               "r14", "r15"}
# domain-facts 2.2 (OV SNP switch_vtl copy list) restricted to the registers the simulator models
# (those of tdx_vp_context): the 15 GPRs, CR2, ST0-7 (the 80-byte x87_registers block) and
# XMM0-15.  FCW/FSW/FTW/FOP/FIP/FDP/MXCSR are OpenVMM-private on SNP (sheet 2.2/2.4): not copied.
SNP_SHARED = SHARED_GPRS | {"cr2"} | {f"st{i}" for i in range(8)} | {f"xmm{i}" for i in range(16)}
SNP_NOT_COPIED = {"fcw", "fsw", "ftw", "fop", "fip", "fdp", "mxcsr"}


@pytest.fixture(scope="module")
def costs() -> dict[str, DesignCosts]:
    return {d: account(d) for d in DESIGN_KEYS}


def test_stated_figures_add_up() -> None:
    # The sheet's figures, checked against their own parts (not against tdxlab).
    assert BANK_BYTES == 4 * 8 + 2 * 1 + 6 * 8 + 8 and len(PRIVATE_13) == BANK_FIELDS
    assert len(SHARED_GPRS) == SPLIT_SWITCH_GPRS and 8 * SPLIT_SWITCH_GPRS == SPLIT_SWITCH_BYTES
    # 15 GPRs x 8 + CR2 8 + ST0-7 8 x 10 + XMM0-15 16 x 16 = 464 (sheet 2.2, modelled subset)
    assert len(SNP_SHARED) == SNP_SWITCH_REGS and SNP_SWITCH_BYTES == 15 * 8 + 8 + 8 * 10 + 16 * 16


# --- every design --------------------------------------------------------------------------------
def test_counts_carry_the_designs_platform(design: Design) -> None:
    c = account(design)
    assert isinstance(c.platform, Platform) and c.platform is design.platform
    assert c.design == design.key and c.is_variant is design.is_variant


def test_counts_are_sane_for_every_design(design: Design) -> None:
    c = account(design)
    # an entry always touches memory; enabling VTL 1 never frees a page
    assert c.entry.pages_touched >= 1 and c.entry.cache_lines >= 1
    assert c.pages_per_vp(2) >= c.pages_per_vp(1) >= 1
    # copies per entry are linear in the switch fraction, so never below both ends
    ends = sorted((c.per_entry(0.0).bytes_copied, c.per_entry(1.0).bytes_copied))
    assert ends[0] <= c.per_entry(0.5).bytes_copied <= ends[1]
    # a design copies on a switch exactly the registers it says it copies
    assert (c.switch_copy_bytes > 0) == bool(c.switch_copied_regs)


# --- bank: the private set, every entry, each way -------------------------------------------------
def test_bank_copies_exactly_the_private_set_each_way(costs: dict[str, DesignCosts]) -> None:
    bank = costs["bank"]
    assert bank.copy_in_bytes == BANK_BYTES
    assert bank.copy_out_bytes == BANK_BYTES
    assert set(bank.before_entry.copied_what) == PRIVATE_13
    assert set(bank.after_exit.copied_what) == PRIVATE_13
    assert bank.before_entry.copied_fields == bank.after_exit.copied_fields == BANK_FIELDS
    assert bank.entry.copied == 2 * BANK_BYTES


def test_bank_copies_touch_the_four_run_page_lines(costs: dict[str, DesignCosts]) -> None:
    bank = costs["bank"]
    assert bank.before_entry.lines_on("run") == list(BANK_LINES)
    assert bank.after_exit.lines_on("run") == list(BANK_LINES)


def test_bank_switch_copies_nothing(costs: dict[str, DesignCosts]) -> None:
    # domain-facts 3.3: TDX switch_vtl only changes exit_vtl.
    bank = costs["bank"]
    assert bank.switch_up.copied == bank.switch_down.copied == 0
    assert bank.switch_up.accesses == 0
    assert bank.switch_copied_regs == ()


def test_bank_per_entry_cost_does_not_depend_on_switches(costs: dict[str, DesignCosts]) -> None:
    bank = costs["bank"]
    assert bank.per_entry(0.0).bytes_copied == bank.per_entry(1.0).bytes_copied == 2 * BANK_BYTES


# --- split: nothing per entry, the shared GPRs per switch ----------------------------------------
def test_split_copies_nothing_per_entry(costs: dict[str, DesignCosts]) -> None:
    split = costs["split"]
    assert split.entry.copied == 0
    assert split.entry.paravisor_read == split.entry.paravisor_write == 0


def test_split_switch_copies_the_15_shared_gprs(costs: dict[str, DesignCosts]) -> None:
    split = costs["split"]
    assert set(split.switch_copied_regs) == SHARED_GPRS
    assert split.switch_up.copied == split.switch_down.copied == SPLIT_SWITCH_BYTES
    # both VTL pages' GPR lines: gps[] at 0x200..0x27f, RSP (0x220) excluded but in the same line
    assert split.switch_up.lines_on("vtl0") == [0x200, 0x240]
    assert split.switch_up.lines_on("vtl1") == [0x200, 0x240]


def test_split_entry_uses_the_entered_vtls_page(costs: dict[str, DesignCosts]) -> None:
    split = costs["split"]
    assert split.entry.pages == frozenset({"run", "vtl0"})
    assert "vtl1" in split.switch_entry_up.pages


# --- snp: nothing per entry, the shared set per switch -------------------------------------------
def test_snp_copies_nothing_per_entry(costs: dict[str, DesignCosts]) -> None:
    snp = costs["snp"]
    assert snp.entry.copied == 0
    assert snp.entry.paravisor_read == snp.entry.paravisor_write == 0
    assert snp.entry.pages == frozenset({"vmsa0"})


def test_snp_switch_copies_the_shared_set_between_vmsas(costs: dict[str, DesignCosts]) -> None:
    snp = costs["snp"]
    assert set(snp.switch_copied_regs) == SNP_SHARED
    # 464 B, not the 492 B tdxlab stated before the x87 control fields became private on SNP
    # (reference sheet 2.2: switch_vtl copies only the 80-byte x87_registers block of them).
    assert snp.switch_up.copied == snp.switch_down.copied == SNP_SWITCH_BYTES
    assert snp.switch_up.pages == frozenset({"vmsa0", "vmsa1"})
    # not copied (domain-facts 2.2): RSP, RIP, RFLAGS, TSC_AUX, the syscall MSRs, the x87 control fields
    assert not ({"rsp", "rip", "rflags", "tsc_aux", "star", "lstar"} | SNP_NOT_COPIED) & set(
        snp.switch_copied_regs)


def test_naive_copies_nothing_and_only_names_the_vm(costs: dict[str, DesignCosts]) -> None:
    naive = costs["naive"]
    assert naive.entry.copied == 0
    # before each entry the paravisor writes the 8-byte TdxVmFlags (entry_rcx @0x1f8)
    assert naive.entry.paravisor_write == 8
    assert naive.before_entry.lines_on("run") == [0x1C0]


# --- the kernel's side is the same in every TDX design -------------------------------------------
@pytest.mark.parametrize("key", [k for k in DESIGN_KEYS if DESIGNS[k].platform is Platform.TDX])
def test_kernel_work_is_the_same_in_every_tdx_design(key: str) -> None:
    # Reads: every register of tdx_vp_context plus the entry flags.  6 MSRs + CR2 (7 x 8 = 56),
    # 16 GPRs (128), RFLAGS/RIP/SSP (24), RVI/SVI (2), FXSAVE fields fcw 2 fsw 2 ftw 1 fop 2
    # fip 8 fdp 8 mxcsr 4 mxcsr_mask 4 (31), ST0-7 (8 x 16 = 128), XMM0-15 (256) = 625; + 8 flags.
    regs = 56 + 128 + 24 + 2 + 31 + 128 + 256
    kernel = account(key).kernel
    assert kernel.kernel_read == regs + 8
    assert kernel.kernel_write == regs


# --- memory per VP -------------------------------------------------------------------------------
#: Kernel-visible pages per VP with VTL 0 only, with VTL 1 too, and with VTL 2 as well (a 3-VTL
#: partition).  naive/bank: the run page only; split: run page + one context page per VTL; snp: run
#: page + one VMSA per VTL (domain-facts 1.10).
PAGES_PER_VP = {"naive": (1, 1, 1), "bank": (1, 1, 1), "split": (2, 3, 4), "snp": (2, 3, 4)}


@pytest.mark.parametrize("key", PAGES_PER_VP)
def test_pages_per_vp(costs: dict[str, DesignCosts], key: str) -> None:
    c = costs[key]
    assert (c.pages_per_vp(1), c.pages_per_vp(2), c.pages_per_vp(3)) == PAGES_PER_VP[key]


def test_split_uses_one_more_page_per_enabled_vtl_than_bank(costs: dict[str, DesignCosts]) -> None:
    for vtls in (1, 2, 3):
        assert costs["split"].pages_per_vp(vtls) - costs["bank"].pages_per_vp(vtls) == vtls


def test_bank_keeps_its_banks_in_heap_bytes(costs: dict[str, DesignCosts]) -> None:
    # TdxPrivateRegs laid out repr(C): rflags, rip, rsp, ssp (0..32), rvi, svi (32, 33),
    # padding to 40, six MSRs (40..88), entry flags (88..96)  ->  96 bytes per VTL.
    bank = costs["bank"]
    assert bank.heap_bytes_per_vp(1) == 96
    assert bank.heap_bytes_per_vp(2) == 2 * 96
    assert bank.heap_bytes_per_vp(3) == 3 * 96
    assert bank.bytes_per_vp(2) == 4096 + 192
    assert bank.bytes_per_vp(3) == 4096 + 288
    assert costs["split"].heap_bytes_per_vp(2) == 0


@pytest.mark.parametrize("vtls", [0, 4, True, 2.0])
def test_vtls_must_be_one_to_three(costs: dict[str, DesignCosts], vtls: object) -> None:
    # 1 (VTL 0 only) up to the 3 lower VTLs TDX allows (MAX_L2_VMS = 3, domain-facts 3.6)
    with pytest.raises(ValueError, match=r"vtls must be 1 .* to 3"):
        costs["bank"].pages_per_vp(vtls)  # type: ignore[arg-type]


# --- variants get their costs for free -----------------------------------------------------------
def test_bank_variant_without_rsp_copies_8_bytes_less_each_way() -> None:
    variant = DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"})
    c = account(variant)
    assert c.is_variant
    assert c.copy_in_bytes == c.copy_out_bytes == BANK_BYTES - 8
    assert "rsp" not in c.before_entry.copied_what


def test_split_variant_with_shared_rsp_copies_it_on_switch() -> None:
    variant = DESIGNS["split"].variant("split-shared-rsp", drop_private={"rsp"})
    c = account(variant)
    assert c.switch_up.copied == SPLIT_SWITCH_BYTES + 8
    assert "rsp" in c.switch_copied_regs


# --- per-step helpers ------------------------------------------------------------------------------
def test_tally_counts_lines_spanning_a_boundary() -> None:
    # the role decides where a line is counted, not the page name (VP 7's pages count as VP 0's)
    run, bank0 = PageRole(PageKind.RUN), PageRole(PageKind.BANK, 0)
    accesses = [
        Access(Actor.PARAVISOR, False, "vp7.run", run, 0x3C, 8, "x", True),  # 0x3c..0x43
        Access(Actor.PARAVISOR, True, "vp7.bank0", bank0, 0x0, 8, "x", True),
        Access(Actor.KERNEL, False, "vp0.run", run, 0x40, 2, "y"),
    ]
    t = tally(accesses)
    assert t.lines_on("run") == [0x0, 0x40]
    assert t.lines_on("bank0") == [0x0]
    assert t.pages == frozenset({"run", "bank0"})
    assert (t.copied, t.copied_fields, t.paravisor_read, t.paravisor_write, t.kernel_read) == (8, 1, 8, 8, 2)
    both = t | Tally(lines=frozenset({("run", 0x40), ("run", 0x80)}))
    assert both.cache_lines == 4
    assert both.copied == 8


def _trace() -> list[Event]:
    return [Event(Op.ENABLE_VTL, 0, 1), Event(Op.RUN, 0), Event(Op.VTL_CALL, 0), Event(Op.RUN, 0),
            Event(Op.VTL_RETURN, 0), Event(Op.RUN, 0)]


#: Bytes copied per entry and per VTL switch on the trace below (sheet 2.1, 2.2).
TRACE_COPIES = {"naive": (0, 0), "bank": (2 * BANK_BYTES, 0), "split": (0, SPLIT_SWITCH_BYTES),
                "snp": (0, SNP_SWITCH_BYTES)}


@pytest.mark.parametrize("key", TRACE_COPIES)
def test_trace_accounting(key: str) -> None:
    per_entry, per_switch = TRACE_COPIES[key]
    result = simulate(key, _trace())
    tc = account(result)
    assert tc.platform is DESIGNS[key].platform
    assert (tc.entries, tc.switches) == (3, 2)
    assert tc.bytes_per_switch == per_switch
    # split clears the first entry's TLB-flush request in each VTL page: a write, not a copy
    assert tc.bytes_per_entry == per_entry
    frame = event_costs(result)
    assert len(frame) == 6
    assert frame["bytes_copied"].sum() == 3 * per_entry + 2 * per_switch


def test_event_costs_need_the_step_history() -> None:
    result = simulate("bank", _trace(), record=False)
    with pytest.raises(ValueError, match="record=True"):
        event_costs(result)


def test_cost_wording() -> None:
    from tdxlab import describe

    # heap: two 96-byte TdxPrivateRegs (see test_bank_keeps_its_banks_in_heap_bytes)
    assert describe.design_cost_summary(account("bank")) == (
        f"bank copies {BANK_BYTES} B in before and {BANK_BYTES} B out after every entry and nothing on "
        "a VTL switch; it needs 1 kernel-visible page per VP with VTL 1 enabled plus 192 B of paravisor "
        "heap.")
    split = describe.design_cost_summary(account("split"))
    assert f"{SPLIT_SWITCH_BYTES} B ({SPLIT_SWITCH_GPRS} registers) on every VTL switch" in split
    assert "3 kernel-visible pages" in split
    assert "UNVERIFIED" in describe.constant_line("tdx_entry_cycles")
    assert "UNVERIFIED" not in describe.constant_line("l1_ns")
    assert "tdx_entry_cycles" in describe.unverified_constants_note()
    with pytest.raises(ValueError, match="unknown cost constant"):
        describe.constant_line("nope")
