"""Cost charts (draw_* return Axes, styles from the registry, break-even marks) and the host analogue.

What the charts look like is pinned by the golden figures (tests/test_cost_golden.py).
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SPLIT_SWITCH_BYTES
from matplotlib.axes import Axes

from tdxlab import describe
from tdxlab.cost import host
from tdxlab.cost.accounting import account
from tdxlab.cost.constants import DEFAULT
from tdxlab.cost.sensitivity import sensitivity
from tdxlab.cost.sweep import break_even
from tdxlab.render import charts
from tdxlab.sim.designs import DESIGNS, Design, fix_designs, spare_style
from tdxlab.sim.memory import PageKind, PageRole

#: Everything hot: caches so big that no line is evicted (with nothing evicted between entries).
HOT = dataclasses.replace(DEFAULT, l1_kib=1e12, l2_kib=1e12, l3_kib=1e12, tlb_entries=1e12)
#: L1 copy bandwidth of the default constants in bytes per ns (100 GB/s, domain-facts 4 "tens of ns").
HOT_BYTES_PER_NS = 100


@pytest.fixture(scope="module")
def tiny_host() -> pd.DataFrame:
    # tiny configuration: two designs, two eviction points, two repeats, few rounds
    return host.measure(["bank", "split"], [0, 64], rounds=50, repeats=2)


# --- host analogue ---------------------------------------------------------------------------------
def test_host_frame_is_labelled_and_complete(tiny_host: pd.DataFrame) -> None:
    assert list(tiny_host.columns) == list(host.COLUMNS)
    assert len(tiny_host) == 2 * 2 * len(host.SCENARIOS)
    assert set(tiny_host["label"]) == {"host analogue, not TDX hardware"}
    assert tiny_host.attrs["label"] == "host analogue, not TDX hardware"
    assert (tiny_host["min_ns"] > 0).all()
    assert (tiny_host["median_ns"] >= tiny_host["min_ns"]).all()
    assert (tiny_host["net_ns"] >= 0).all()
    assert (tiny_host["overhead_ns"] > 0).all()
    assert "host analogue, not TDX hardware" in host.table(tiny_host)


def test_host_moves_the_bytes_the_protocol_moves(tiny_host: pd.DataFrame) -> None:
    # bank's plain entry: 90 B in + 90 B out of copies, plus the kernel's own reads and writes; split's
    # plain entry copies nothing, so bank moves exactly 180 B more than split on the same run page.
    entry = tiny_host[tiny_host["scenario"] == "entry"].groupby("design")["bytes_moved"].first()
    assert entry["bank"] - entry["split"] == 2 * BANK_BYTES


def test_host_memmoves_really_copy() -> None:
    # The arena's calls are real copies: after one entry of bank, the run page holds the bank's bytes.
    p = host.host_plan("bank")
    arena = host.Arena(p)
    base = arena.pages.ctypes.data
    bank_page = (arena.address["bank0"] - base) // 4096
    arena.pages[bank_page * 4096:(bank_page + 1) * 4096] = 0xAB
    for dst, src, n in arena.calls(o for o in p.entry if o.kind == "copy" and str(o.src_page) == "bank0"):
        ctypes.memmove(dst, src, n)
    run = (arena.address["run"] - base) // 4096
    copied = sum(o.size for o in p.entry if o.kind == "copy" and str(o.src_page) == "bank0")
    assert int((arena.pages[run * 4096:(run + 1) * 4096] == 0xAB).sum()) == copied == BANK_BYTES


def test_host_measures_the_registered_fixes_by_default() -> None:
    frame = host.measure(evicted_kib=[0], rounds=5, repeats=1)
    assert list(dict.fromkeys(frame["design"])) == [d.key for d in fix_designs()]


def test_host_plan_comes_from_the_protocol() -> None:
    bank, split = host.host_plan("bank"), host.host_plan("split")
    run, bank0 = PageRole(PageKind.RUN), PageRole(PageKind.BANK, 0)
    # bank: copies into the run page before the entry, out of it after; 90 bytes each way
    copies_in = [o for o in bank.entry if o.kind == "copy" and o.page == run]
    copies_out = [o for o in bank.entry if o.kind == "copy" and o.page == bank0]
    assert sum(o.size for o in copies_in) == sum(o.size for o in copies_out) == BANK_BYTES
    # split: no copy on a plain entry, the 120 bytes of GPRs on a switch
    assert not [o for o in split.entry if o.kind == "copy"]
    assert sum(o.size for o in split.switch_up if o.kind == "copy") == SPLIT_SWITCH_BYTES


def test_host_arena_lays_every_role_on_its_own_aligned_page() -> None:
    arena = host.Arena(host.host_plan("bank"))
    addresses = sorted(arena.address.values())
    assert all(a % 4096 == 0 for a in addresses)
    assert all(b - a >= 4096 for a, b in itertools.pairwise(addresses))
    assert {"run", "bank0", "scratch_in", "scratch_out"} <= set(arena.address)


def test_host_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        host.measure(["bank"], [0], repeats=0)
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        host.measure(["bank"], [0], rounds=0)
    with pytest.raises(ValueError, match="evicted_kib: -1 is outside"):
        host.measure(["bank"], [-1])
    with pytest.raises(ValueError, match="above the host analogue's limit"):
        host.measure(["bank"], [host.MAX_HOST_EVICTED_KIB * 2])


def test_host_constants_take_this_machines_cache_sizes(tiny_host: pd.DataFrame) -> None:
    sizes = tiny_host.attrs["cache_sizes"]
    k = host.host_constants(tiny_host)
    for level in ("L1", "L2", "L3"):
        expected = sizes[level] / 1024 if level in sizes else getattr(DEFAULT, f"{level.lower()}_kib")
        assert getattr(k, f"{level.lower()}_kib") == expected
    assert k.dram_ns == DEFAULT.dram_ns


# --- charts ------------------------------------------------------------------------------------------
def test_cost_parts_stacks_five_parts_per_registered_design() -> None:
    ax = charts.draw_cost_parts()
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 5 * len(DESIGN_KEYS)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(DESIGN_KEYS)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("entry round trip") and "unverified" in labels[0]
    assert labels[1].startswith("kernel work")
    assert any(describe.fixed_part_caption() == t.get_text() for t in ax.texts)


def test_parts_chart_updates_in_place() -> None:
    from tdxlab.cost.sweep import summary

    fig = charts.new_figure()
    chart = charts.PartsChart(fig.add_subplot(), ["bank", "split"], include_fixed=False)
    chart.update(summary(["bank", "split"], HOT, evicted_kib=0, switch_fraction=0.0))
    rects = list(chart.bars["copy"])
    before = [r.get_height() for r in rects]
    chart.update(summary(["bank", "split"], HOT, evicted_kib=0, switch_fraction=1.0))
    assert list(chart.bars["copy"]) == rects  # same artists
    # bank copies 180 B either way (1.8 ns hot); split 0 B at f=0, 120 B at f=1 (1.2 ns)
    assert before == pytest.approx([2 * BANK_BYTES / HOT_BYTES_PER_NS, 0.0])
    assert [r.get_height() for r in rects] == pytest.approx([2 * BANK_BYTES / HOT_BYTES_PER_NS,
                                                             SPLIT_SWITCH_BYTES / HOT_BYTES_PER_NS])


def test_overhead_chart_marks_the_break_even() -> None:
    ax = charts.draw_overhead_vs_switch(["bank", "split"], evicted_kib=4096)
    be = break_even("split", ["bank"], evicted_kib=4096)
    marks = next(ln for ln in ax.get_lines() if ln.get_label() == "break-even")
    xs = np.asarray(marks.get_xdata(), dtype=float)
    assert xs == pytest.approx(list(be.crossings))
    assert any(describe.break_even_sentence(be) in t.get_text() for t in ax.texts)


#: Pages per VP with VTL 0 only / with VTL 1 too (domain-facts 1.10; see test_cost_accounting).
PAGES_PER_VP = {"naive": (1, 1), "bank": (1, 1), "split": (2, 3), "snp": (2, 3)}


def test_memory_charts() -> None:
    keys = list(PAGES_PER_VP)
    ax = charts.draw_memory_per_vp(keys)
    heights = [int(p.get_height()) for p in ax.patches]
    # bars: every design with VTL 0 only, then every design with VTL 0 + VTL 1
    assert heights == [PAGES_PER_VP[k][0] for k in keys] + [PAGES_PER_VP[k][1] for k in keys]
    ax2 = charts.draw_memory_per_partition(["bank", "split"], vps=(1, 1024))
    split = next(ln for ln in ax2.get_lines() if ln.get_label() == "split")
    assert list(split.get_ydata()) == pytest.approx([3 * 4, 1024 * 3 * 4])  # 3 pages of 4 KiB


def test_sensitivity_chart_draws_one_bar_per_constant_and_marks_flips() -> None:
    rows = sensitivity("snp", ["bank", "split"], switch_fraction=0.1)
    ax = charts.draw_sensitivity(rows)
    assert len(ax.patches) == len(rows)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert {lb.split(" ")[0] for lb in labels} == {r.constant for r in rows}
    flips = [r for r in rows if r.flips]
    assert flips, "snp against the TDX designs flips within some constant's range"
    notes = [t.get_text() for t in ax.texts if t.get_text().strip().startswith("flips at")]
    assert len(notes) == len(flips)
    ax2 = charts.draw_sensitivity(rows, top=3)
    assert len(ax2.patches) == 3
    with pytest.raises(ValueError, match="no sensitivity rows"):
        charts.draw_sensitivity([])


def test_model_vs_host(tiny_host: pd.DataFrame) -> None:
    ax = charts.draw_model_vs_host(tiny_host)
    assert "host analogue, not TDX hardware" in ax.get_title()
    models = [ln for ln in ax.get_lines() if str(ln.get_label()).endswith(" model")]
    assert [ln.get_label() for ln in models] == ["bank model", "split model"]
    with pytest.raises(ValueError, match="no host measurements"):
        charts.draw_model_vs_host(tiny_host, scenario="nope")


def test_lines_are_drawn_in_each_designs_own_style(design: Design) -> None:
    ax = charts.draw_overhead_vs_switch([design.key], points=11)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == design.key)
    look = design.style
    assert line.get_color() == look.colour and line.get_marker() == look.marker


def test_registered_designs_look_different() -> None:
    looks = [charts.design_style(k) for k in DESIGN_KEYS]
    assert len({s.colour for s in looks}) == len(looks)
    assert len({s.marker for s in looks}) == len(looks)  # tells them apart in greyscale too


def test_variants_and_unknown_keys_take_a_stable_spare_style() -> None:
    variant = account(DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"}))
    assert charts.design_style(variant) == spare_style("bank-no-rsp") == charts.design_style("bank-no-rsp")
    assert charts.design_style(variant) != DESIGNS["bank"].style
    # a variant keeping its base's key is still drawn as a variant
    same_key = account(DESIGNS["bank"].variant("bank", drop_private={"rsp"}))
    assert charts.design_style(same_key) == spare_style("bank")


def test_nice_limits() -> None:
    assert charts.nice_limit(41) == 50 and charts.nice_limit(101) == 200 and charts.nice_limit(0) == 1


def test_write_cost_charts_writes_png_and_svg(tmp_path: Path, tiny_host: pd.DataFrame) -> None:
    paths = charts.write_cost_charts(tmp_path, host=tiny_host)
    assert sorted(p.name for p in paths) == sorted(f"{s}.{e}" for s in charts.CHARTS for e in ("png", "svg"))
    for path in paths:
        head = path.read_bytes()
        assert head[:4] == b"\x89PNG" if path.suffix == ".png" else head.startswith(b"<?xml")
        if path.suffix == ".svg":
            assert b"<dc:date>" not in head  # byte-stable: no creation date
        else:
            assert b"Software" not in head[:4096]  # byte-stable: no version string


def test_no_pyplot_figures_leak() -> None:
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    charts.cost_figures()
    assert set(plt.get_fignums()) == before


def test_cost_figures_only_and_unknown() -> None:
    assert list(charts.cost_figures(only=["memory"])) == ["memory"]
    with pytest.raises(ValueError, match="unknown chart"):
        charts.cost_figures(only=["pie"])
