"""Cost charts (draw_* return Axes, byte-stable files, break-even marks) and the host analogue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from tdxlab.cost import host
from tdxlab.cost.sweep import break_even
from tdxlab.render import charts

DESIGN_IDS = ["naive", "bank", "split", "snp"]


@pytest.fixture(scope="module")
def tiny_host() -> pd.DataFrame:
    # tiny configuration: two designs, two VP counts, two repeats, short timings
    return host.measure(["bank", "split"], [1, 64], repeats=2, min_time_ns=20_000.0)


# --- host analogue ---------------------------------------------------------------------------------
def test_host_frame_is_labelled_and_complete(tiny_host: pd.DataFrame) -> None:
    assert list(tiny_host.columns) == list(host.COLUMNS)
    assert len(tiny_host) == 2 * 2 * len(host.SCENARIOS)
    assert set(tiny_host["label"]) == {"host analogue, not TDX hardware"}
    assert tiny_host.attrs["label"] == "host analogue, not TDX hardware"
    assert (tiny_host["min_ns"] > 0).all()
    assert (tiny_host["median_ns"] >= tiny_host["min_ns"]).all()
    assert (tiny_host["net_ns"] >= 0).all()
    assert "host analogue, not TDX hardware" in host.table(tiny_host)


def test_host_plan_comes_from_the_protocol() -> None:
    bank, split = host.host_plan("bank"), host.host_plan("split")
    # bank: copies into the run page before the entry, out of it after; 90 bytes each way
    copies_in = [o for o in bank.entry if o.kind == "copy" and o.page == "run"]
    copies_out = [o for o in bank.entry if o.kind == "copy" and o.page == "bank0"]
    assert sum(o.size for o in copies_in) == sum(o.size for o in copies_out) == 90
    # split: no copy on a plain entry, the 120 bytes of GPRs on a switch
    assert not [o for o in split.entry if o.kind == "copy"]
    assert sum(o.size for o in split.switch_up if o.kind == "copy") == 120
    # word moves: the switch copy is 15 contiguous 8-byte words... in two runs around RSP
    t = host.template([o for o in split.switch_up if o.kind == "copy"])
    assert len(t.src_word) == 15


def test_host_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        host.measure(["bank"], [1], repeats=0)
    with pytest.raises(ValueError, match="vps: 0 is not a positive integer"):
        host.measure(["bank"], [0])


# --- charts ------------------------------------------------------------------------------------------
def test_cost_parts_stacks_four_parts_per_design() -> None:
    ax = charts.draw_cost_parts(DESIGN_IDS)
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 4 * len(DESIGN_IDS)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("entry round trip") and "unverified" in labels[0]


def test_parts_chart_updates_in_place() -> None:
    from tdxlab.cost.sweep import summary

    fig = charts.new_figure()
    chart = charts.PartsChart(fig.add_subplot(), ["bank", "split"], include_fixed=False)
    chart.update(summary(["bank", "split"], switch_fraction=0.0))
    rects = list(chart.bars["copy"])
    before = [r.get_height() for r in rects]
    chart.update(summary(["bank", "split"], switch_fraction=1.0))
    assert list(chart.bars["copy"]) == rects  # same artists
    # bank copies 180 B either way (9 ns); split 0 B at f=0, 120 B at f=1 (6 ns)
    assert before == pytest.approx([9.0, 0.0])
    assert [r.get_height() for r in rects] == pytest.approx([9.0, 6.0])


def test_overhead_chart_marks_the_break_even() -> None:
    ax = charts.draw_overhead_vs_switch(["bank", "split"], vps=4096)
    be = break_even("split", ["bank"], vps=4096)
    marks = next(ln for ln in ax.get_lines() if ln.get_label() == "break-even")
    xs = np.asarray(marks.get_xdata(), dtype=float)
    assert xs == pytest.approx(list(be.crossings))
    assert any(be.sentence() in t.get_text() for t in ax.texts)


def test_memory_charts() -> None:
    ax = charts.draw_memory_per_vp(DESIGN_IDS)
    heights = [int(p.get_height()) for p in ax.patches]
    # VTL 0 only, then VTL 0 + VTL 1: naive 1/1, bank 1/1, split 2/3, snp 2/3
    assert heights == [1, 1, 2, 2, 1, 1, 3, 3]
    ax2 = charts.draw_memory_per_partition(["bank", "split"], vps=(1, 1024))
    split = next(ln for ln in ax2.get_lines() if ln.get_label() == "split")
    assert list(split.get_ydata()) == pytest.approx([3 * 4, 1024 * 3 * 4])  # 3 pages of 4 KiB


def test_model_vs_host(tiny_host: pd.DataFrame) -> None:
    ax = charts.draw_model_vs_host(tiny_host)
    assert "host analogue, not TDX hardware" in ax.get_title()
    models = [ln for ln in ax.get_lines() if str(ln.get_label()).endswith(" model")]
    assert [ln.get_label() for ln in models] == ["bank model", "split model"]
    with pytest.raises(ValueError, match="no host measurements"):
        charts.draw_model_vs_host(tiny_host, scenario="nope")


def test_design_colours_are_distinct_and_stable() -> None:
    colours = [charts.design_colour(d) for d in DESIGN_IDS]
    assert len(set(colours)) == 4
    assert charts.design_colour("bank-no-rsp") == charts.design_colour("bank-no-rsp")
    assert charts.nice_limit(41) == 50 and charts.nice_limit(101) == 200 and charts.nice_limit(0) == 1


def test_files_are_byte_stable(tmp_path: pytest.TempPathFactory, tiny_host: pd.DataFrame) -> None:
    a = charts.write_cost_charts(tmp_path / "a", host=tiny_host)  # type: ignore[operator]
    b = charts.write_cost_charts(tmp_path / "b", host=tiny_host)  # type: ignore[operator]
    names = sorted(p.name for p in a)
    assert names == sorted(f"{s}.{e}" for s in ("cost_parts", "overhead_vs_switch", "memory",
                                               "model_vs_host") for e in ("png", "svg"))
    for pa, pb in zip(sorted(a), sorted(b), strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert sorted(a)[0].read_bytes()[:4] in (b"\x89PNG", b"<?xm")


def test_no_pyplot_figures_leak() -> None:
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    charts.cost_figures()
    assert set(plt.get_fignums()) == before


def test_cost_figures_only_and_unknown() -> None:
    assert list(charts.cost_figures(only=["memory"])) == ["memory"]
    with pytest.raises(ValueError, match="unknown chart"):
        charts.cost_figures(only=["pie"])
