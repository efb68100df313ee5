"""Costs at 1 (VTL 0 only), 2 and 3 lower VTLs: memory per VP and bytes copied, measured per count.

Expected figures come from the designs' structure (which pages each allocates per enabled VTL,
read off the simulator's own VP after enabling the VTLs) and from the reference sheet
(``tests/facts.py``); none is copied from the code under test.  TDX allows at most 3 L2 VMs
below the paravisor (domain-facts 3.6: ``MAX_L2_VMS = 3``), SNP VMPL 1-3 (1.10).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SNP_SWITCH_BYTES, SPLIT_SWITCH_BYTES

import tdxlab.cli as cli
import tdxlab.commands as commands
from tdxlab import describe
from tdxlab.cost.accounting import (
    VTL_COUNT_COLUMNS,
    VTL_COUNTS,
    DesignCosts,
    account,
    event_costs,
    vtl_count_frame,
)
from tdxlab.cost.sweep import sweep
from tdxlab.layout.engine import PAGE
from tdxlab.render import charts
from tdxlab.sim.designs import DESIGNS, Design
from tdxlab.sim.events import Event, Op
from tdxlab.sim.machine import Simulation, simulate
from tdxlab.sim.memory import PageKind
from tdxlab.sim.model import MAX_LOWER_VTLS

#: Per design, what one more enabled VTL adds: kernel-visible pages, and private-register banks in
#: paravisor heap.  naive: nothing (one shared page: constant, and broken); bank: one bank, no page;
#: split: one context page; snp: one VMSA (domain-facts 1.10).
PER_VTL = {"naive": (0, 0), "bank": (0, 1), "split": (1, 0), "snp": (1, 0)}
#: Bytes copied per plain entry and per VTL switch, whichever pair of VTLs switches:
#: bank 90 in + 90 out every entry (2.1), nothing on a switch; split the 15 GPRs other than RSP on a
#: switch (1.5/2.1); snp the shared set from VMSA to VMSA on a switch (2.2); naive nothing at all.
COPIES = {"naive": (0, 0), "bank": (2 * BANK_BYTES, 0), "split": (0, SPLIT_SWITCH_BYTES),
          "snp": (0, SNP_SWITCH_BYTES)}


def _enabled_vp(design: Design, vtls: int, lower_vtls: int | None = None) -> Simulation:
    """A one-VP simulation with the first ``vtls`` lower VTLs enabled (VTL 0 only: none enabled)."""
    sim = Simulation(design, 1, lower_vtls=lower_vtls or max(vtls, 2))
    for vtl in range(1, vtls):
        sim.apply(Event(Op.ENABLE_VTL, 0, vtl))
    return sim


@pytest.fixture(scope="module")
def costs() -> dict[str, DesignCosts]:
    return {k: account(k) for k in DESIGN_KEYS}


def test_counts_go_up_to_the_partition_limit() -> None:
    assert VTL_COUNTS == tuple(range(1, MAX_LOWER_VTLS + 1)) == (1, 2, 3)


# --- memory per VP --------------------------------------------------------------------------------
@pytest.mark.parametrize("vtls", [1, 2, 3])
def test_memory_is_what_the_simulated_vp_allocates(design: Design, vtls: int) -> None:
    # The cost view and the simulator's own VP (after enabling that many VTLs) agree.
    pages = _enabled_vp(design, vtls).vps[0].store.pages
    c = account(design)
    assert c.pages_per_vp(vtls) == sum(p.counts_as_page for p in pages)
    assert c.heap_bytes_per_vp(vtls) == sum(p.layout.size for p in pages if not p.counts_as_page)
    assert c.bytes_per_vp(vtls) == c.pages_per_vp(vtls) * PAGE + c.heap_bytes_per_vp(vtls)


@pytest.mark.parametrize("key", PER_VTL)
def test_each_design_scales_by_its_structure(costs: dict[str, DesignCosts], key: str) -> None:
    pages, banks = PER_VTL[key]
    c = costs[key]
    bank = c.heap_bytes_per_vp(1)  # VTL 0's own bank, if the design banks at all
    for n in (2, 3):
        assert c.pages_per_vp(n) == c.pages_per_vp(n - 1) + pages
        assert c.heap_bytes_per_vp(n) == c.heap_bytes_per_vp(n - 1) + banks * bank
    assert (bank > 0) == (banks > 0)


def test_bank_heap_is_one_bank_per_enabled_vtl(costs: dict[str, DesignCosts]) -> None:
    store = _enabled_vp(DESIGNS["bank"], 3).vps[0].store
    banks = [p for p in store.pages if p.role.kind is PageKind.BANK]
    assert sorted(p.role.vtl for p in banks) == [0, 1, 2]
    bank = costs["bank"]
    assert bank.pages_per_vp(3) == bank.pages_per_vp(2) == bank.pages_per_vp(1)  # kernel pages: run page
    assert [bank.heap_bytes_per_vp(n) for n in (1, 2, 3)] == [n * banks[0].layout.size for n in (1, 2, 3)]


# --- bytes copied per entry and per switch ---------------------------------------------------------
@pytest.mark.parametrize("key", COPIES)
@pytest.mark.parametrize("vtls", [1, 2, 3])
def test_copies_do_not_depend_on_the_vtl_count(costs: dict[str, DesignCosts], key: str, vtls: int) -> None:
    entry, switch = COPIES[key]
    at = costs[key].at_vtls(vtls)
    assert at.entry_copied == entry
    if vtls == 1:
        assert at.switches == () and at.switch_copied is None  # VTL 0 alone never switches
        assert at.bytes_per_entry(0.7) == entry
        return
    # every switch up from VTL 0 to the top VTL and back down was measured, each at the same cost
    up = [(v, v + 1) for v in range(vtls - 1)]
    down = [(v + 1, v) for v in reversed(range(vtls - 1))]
    assert [(s.src, s.dst) for s in at.switches] == up + down
    assert {s.copied for s in at.switches} == {switch}
    assert not at.switch_copied_varies
    assert at.switch_copied == switch
    # a switch is charged to the entry after it
    assert at.bytes_per_entry(1.0) == entry + switch
    assert at.bytes_per_entry(0.25) == pytest.approx(entry + 0.25 * switch)


def test_two_vtls_are_the_micro_traces_own_numbers(design_key: str) -> None:
    c = account(design_key)
    two = c.at_vtls(2)
    assert two.entry_copied == c.entry.copied
    assert [s.copied for s in two.switches] == [c.switch_up.copied, c.switch_down.copied]
    assert two.switch_copied == c.switch_copy_bytes
    for f in (0.0, 0.3, 1.0):
        assert two.bytes_per_entry(f) == pytest.approx(c.per_entry(f).bytes_copied)


def test_bad_switch_fraction(costs: dict[str, DesignCosts]) -> None:
    with pytest.raises(ValueError, match="switch fraction"):
        costs["bank"].at_vtls(3).bytes_per_entry(1.5)


# --- VTL 0 only: the compatibility figure ----------------------------------------------------------
@pytest.mark.parametrize("lower_vtls", [2, 3])
def test_vtl0_only_is_what_a_partition_that_never_enables_vtl1_costs(design: Design, lower_vtls: int) -> None:
    # A partition (of either size) whose VTL 1 is never enabled: two entries into VTL 0; the
    # second is a steady-state entry (the first does one-time work).
    result = simulate(design, [Event(Op.RUN, 0), Event(Op.RUN, 0)], lower_vtls=lower_vtls)
    steady = int(event_costs(result)["bytes_copied"].iloc[-1])
    pages = _enabled_vp(design, 1, lower_vtls).vps[0].store.pages
    one = account(design).at_vtls(1)
    assert one.entry_copied == steady
    assert one.pages_per_vp == sum(p.counts_as_page for p in pages)
    assert one.heap_bytes_per_vp == sum(p.layout.size for p in pages if not p.counts_as_page)
    line = describe.vtl0_only_line(account(design))
    assert line.startswith("VTL 0 only: ")
    assert f" {one.pages_per_vp} page" in line and f"{steady} bytes copied per entry" in line
    assert (f"{one.heap_bytes_per_vp} B" in line) == (one.heap_bytes_per_vp > 0)


@pytest.mark.parametrize("key", COPIES)
def test_vtl0_only_costs_no_more_than_one_vtls_own_pages(costs: dict[str, DesignCosts], key: str) -> None:
    # Nothing beyond VTL 0's own: split/snp its context page or VMSA next to the run page, bank its
    # one bank, naive the run page; and the entry copies what a 2-VTL entry copies (bank) or nothing.
    pages, banks = PER_VTL[key]
    c = costs[key]
    assert c.pages_per_vp(1) == 1 + pages
    assert c.heap_bytes_per_vp(1) == banks * c.heap_bytes_per_vp(2) // 2
    assert c.at_vtls(1).entry_copied == COPIES[key][0]


# --- the table ------------------------------------------------------------------------------------
def test_vtl_count_frame_agrees_with_the_costs(costs: dict[str, DesignCosts]) -> None:
    frame = vtl_count_frame(switch_fraction=0.5)
    assert list(frame.columns) == list(VTL_COUNT_COLUMNS)
    assert len(frame) == len(DESIGN_KEYS) * len(VTL_COUNTS)
    for row in frame.itertuples():
        at = costs[str(row.design)].at_vtls(int(row.lower_vtls))
        assert row.pages_per_vp == at.pages_per_vp
        assert row.kib_per_vp == pytest.approx(at.bytes_per_vp / 1024)
        assert row.bytes_copied_per_entry == pytest.approx(at.bytes_per_entry(0.5))
        assert math.isnan(row.bytes_copied_per_switch) == (row.lower_vtls == 1)
        assert not row.switch_bytes_vary
    with pytest.raises(ValueError, match="vtls must be"):
        vtl_count_frame(vtls=[4])


# --- sweep ----------------------------------------------------------------------------------------
def test_sweep_takes_several_vtl_counts() -> None:
    both = sweep(["bank", "split"], [1, 16], [1e4], [0.0, 0.5], vtls=[2, 3])
    assert both.attrs["vtls"] == (2, 3)
    assert list(both["design"].cat.categories) == ["bank", "split"]
    two = sweep(["bank", "split"], [1, 16], [1e4], [0.0, 0.5])
    block = both[both["lower_vtls"] == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(block, two, check_categorical=True)
    three = both[both["lower_vtls"] == 3].set_index(["design", "vps", "switch_fraction"])
    ref = two.set_index(["design", "vps", "switch_fraction"])
    # one more page for split, one more bank for bank; the same copies, hence the same time
    assert (three["pages_per_vp"] - ref["pages_per_vp"]).to_dict() == {
        k: PER_VTL[k[0]][0] for k in ref.index}
    assert (three["pages_per_partition"] == three["pages_per_vp"] * three.index.get_level_values("vps")).all()
    np.testing.assert_allclose(three["ns_per_entry"], ref["ns_per_entry"])
    np.testing.assert_allclose(three["bytes_copied_per_switch"], ref["bytes_copied_per_switch"])


def test_sweep_at_vtl0_only_has_no_switch_column_value() -> None:
    frame = sweep(["split"], [1], [1e4], [0.0], vtls=1)
    assert (frame["lower_vtls"] == 1).all() and frame["bytes_copied_per_switch"].isna().all()


@pytest.mark.parametrize(("vtls", "words"), [(4, "vtls must be"), (0, "vtls must be"), ([], "at least one")])
def test_sweep_rejects_bad_vtl_counts(vtls: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        sweep(["bank"], [1], [1e4], [0.0], vtls=vtls)  # type: ignore[arg-type]


# --- tdxlab cost --lower-vtls ------------------------------------------------------------------------
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    # Other sub-command modules belong to other work; run only cost through the tdxlab command.
    monkeypatch.setattr(cli, "SUBCOMMANDS", ("tdxlab.cli.cost_cmd",))

    def go(*argv: str) -> tuple[int, str, str]:
        code = commands.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


def test_cli_csv_at_three_vtls(run: Run) -> None:
    code, out, err = run("cost", "--lower-vtls", "3", "--format", "csv", "--vps", "4",
                         "--switch-fraction", "1")
    assert code == 0 and err == ""
    frame = pd.read_csv(io.StringIO(out))
    cols = list(frame.columns)
    assert cols[:3] == ["design", "vps", "lower_vtls"]
    assert (frame["lower_vtls"] == 3).all()
    rows = frame.set_index("design")
    for key, (entry, switch) in COPIES.items():
        assert rows.loc[key, "bytes_copied_per_switch"] == switch
        assert rows.loc[key, "bytes_copied_per_entry"] == entry + switch  # every entry after a switch
        assert rows.loc[key, "pages_per_vp"] == account(key).pages_per_vp(3)
        assert rows.loc[key, "pages_per_partition"] == 4 * rows.loc[key, "pages_per_vp"]
        assert rows.loc[key, "kib_per_partition"] == pytest.approx(4 * account(key).bytes_per_vp(3) / 1024)


def test_cli_pages_grow_with_the_vtl_count_for_split_and_snp_only(run: Run) -> None:
    code, out, _ = run("cost", "--lower-vtls", "2,3", "--format", "csv", "--switch-fraction", "0")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["lower_vtls"]) == [2] * len(DESIGN_KEYS) + [3] * len(DESIGN_KEYS)
    pages = frame.pivot(index="design", columns="lower_vtls", values="pages_per_vp")
    assert pages.loc["split", 3] == pages.loc["split", 2] + 1
    assert pages.loc["snp", 3] == pages.loc["snp", 2] + 1
    assert pages.loc["bank", 3] == pages.loc["bank", 2]
    assert pages.loc["naive", 3] == pages.loc["naive", 2]
    kib = frame.pivot(index="design", columns="lower_vtls", values="kib_per_partition")
    bank = account("bank")
    assert (kib.loc["bank", 3] - kib.loc["bank", 2]) * 1024 == bank.heap_bytes_per_vp(1)  # one more bank


def test_cli_default_is_two_vtls(run: Run) -> None:
    _, default, _ = run("cost", "--format", "json")
    _, two, _ = run("cost", "--format", "json", "--lower-vtls", "2")
    assert default == two and '"lower_vtls": 2' in default


def test_cli_text_names_the_vtl_count_and_vtl0_only(run: Run) -> None:
    code, out, _ = run("cost", "--lower-vtls", "2,3", "--switch-fraction", "0,1")
    assert code == 0
    headers = [line for line in out.splitlines() if "switch_fraction=" in line]
    assert headers == [f"lower_vtls={n} 256 KiB evicted between entries switch_fraction={f} "
                       "(ns to two significant figures)" for n in (2, 3) for f in (0, 1)]
    vtl0 = [line for line in out.splitlines() if line.startswith("VTL 0 only: ")]
    assert vtl0 == [describe.vtl0_only_line(account(k)) for k in DESIGN_KEYS]
    assert "bytes_copied_per_switch" in out


@pytest.mark.parametrize(("raw", "words"), [
    ("4", "--lower-vtls must be 2 or 3"),
    ("1", "--lower-vtls must be 2 or 3"),
    ("x", "--lower-vtls: 'x' is not an integer"),
    ("2,4", "--lower-vtls must be 2 or 3"),
    ("2,,3", "--lower-vtls: expected a comma-separated list"),
])
def test_cli_bad_vtl_counts_are_one_line_exit_2(run: Run, raw: str, words: str) -> None:
    code, out, err = run("cost", "--lower-vtls", raw)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


# --- the chart ------------------------------------------------------------------------------------
@pytest.mark.parametrize("quantity", list(charts.VTL_COUNT_QUANTITIES))
def test_chart_draws_one_line_per_design(quantity: str) -> None:
    ax = charts.draw_cost_vs_vtls(quantity=quantity, switch_fraction=0.5)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == list(DESIGNS)
    for key, line in lines.items():
        assert list(line.get_xdata()) == [1, 2, 3]
        y = np.asarray(line.get_ydata(), dtype=float)
        c = account(key)
        assert line.get_color() == DESIGNS[key].style.colour
        if quantity == "memory":
            assert list(y) == pytest.approx([c.bytes_per_vp(n) / 1024 for n in (1, 2, 3)])
        elif quantity == "entry":
            assert list(y) == pytest.approx([c.at_vtls(n).bytes_per_entry(0.5) for n in (1, 2, 3)])
        else:
            assert math.isnan(y[0]) and list(y[1:]) == [COPIES[key][1]] * 2
    assert ax.get_ylabel() == charts.VTL_COUNT_QUANTITIES[quantity].value
    assert ax.get_xlabel() == describe.Axis.LOWER_VTLS.value
    assert [t.get_text() for t in ax.get_xticklabels()] == [describe.vtl_count_tick(n) for n in (1, 2, 3)]


def test_chart_figure_and_bad_quantity() -> None:
    fig = charts.cost_figures(switch_fraction=0.25, only=["vtl_count"])["vtl_count"]
    assert len(fig.axes) == len(charts.VTL_COUNT_QUANTITIES)
    assert fig.get_suptitle() == describe.vtl_count_title(0.25)
    assert sum(ax.get_legend() is not None for ax in fig.axes) == 1
    with pytest.raises(ValueError, match="unknown quantity 'pie'"):
        charts.draw_cost_vs_vtls(quantity="pie")
