"""The cost explorer: plain-Python API, in-place redraws under 200 ms, sliders wired, no leaks."""

from __future__ import annotations

import time

import ipywidgets as widgets
import pytest

from tdxlab.widgets.cost import SLIDERS, CostExplorer

DESIGN_IDS = ["naive", "bank", "split", "snp"]


@pytest.fixture(scope="module")
def explorer() -> CostExplorer:
    ex = CostExplorer()
    _ = ex.widget  # build the UI once
    return ex


def test_plain_api(explorer: CostExplorer) -> None:
    ex = explorer.set(switch_fraction=0.5, vps=1)
    assert ex is explorer
    frame = ex.frame.set_index("design")
    assert list(frame.index) == DESIGN_IDS
    # split copies 120 B on half the entries; bank 180 B on every entry
    assert frame.loc["split", "bytes_copied_per_entry"] == 60
    assert frame.loc["bank", "bytes_copied_per_entry"] == 180
    assert frame.loc["bank", "cpu_share"] == pytest.approx(frame.loc["bank", "ns_per_entry"] * 1e4 / 1e9)
    assert any(s.startswith("split is cheaper than bank") for s in ex.sentences())
    assert ex.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_constants_change_the_numbers(explorer: CostExplorer) -> None:
    explorer.set(tdx_entry_cycles=2700, cpu_ghz=2.7)
    assert explorer.frame.set_index("design").loc["bank", "ns_fixed"] == pytest.approx(1000.0)
    explorer.set(tdx_entry_cycles=6209)


def test_bad_settings_change_nothing(explorer: CostExplorer) -> None:
    before = (explorer.vps, explorer.switch_fraction, explorer.constants)
    for bad, words in (({"switch_fraction": 2.0}, "switch_fraction must be within 0..1"),
                       ({"vps": 0}, "vps must be a positive integer"),
                       ({"entries_per_s": -1.0}, "entries_per_s must be a number >= 0"),
                       ({"nope": 1.0}, "unknown cost constant")):
        with pytest.raises(ValueError, match=words):
            explorer.set(**bad)
    assert (explorer.vps, explorer.switch_fraction, explorer.constants) == before


def test_redraw_updates_artists_in_place_under_200_ms(explorer: CostExplorer) -> None:
    fig = explorer.figure
    artists = explorer._dynamic()
    line = explorer._overhead.lines["split"]
    old_y = list(line.get_ydata())
    explorer.set(switch_fraction=0.1)  # warm the background for these axis limits
    times = []
    for f in (0.2, 0.4, 0.6, 0.8):
        t0 = time.perf_counter()
        explorer.set(switch_fraction=f)
        times.append((time.perf_counter() - t0) * 1000)
    assert min(times) < 200, times
    assert sorted(times)[len(times) // 2] < 200, times
    assert explorer.figure is fig and explorer._dynamic() == artists  # same figure, same artists
    here = explorer._overhead.here.get_xdata()
    assert list(here) == [0.8, 0.8]
    explorer.set(vps=4096)
    assert list(line.get_ydata()) != old_y  # the same line moved


def test_sliders_drive_the_model(explorer: CostExplorer) -> None:
    c = explorer._controls
    assert all(getattr(c[k], "continuous_update", True) is False for k in c)
    assert set(SLIDERS) <= set(c)
    image = explorer._image
    assert isinstance(image, widgets.Image)
    before = image.value
    c["switch_fraction"].value = 0.9  # type: ignore[attr-defined]
    assert explorer.switch_fraction == pytest.approx(0.9)
    assert image.value != before
    c["vps"].value = 64  # type: ignore[attr-defined]
    assert explorer.vps == 64
    c["tdx_entry_cycles"].value = 1300.0  # type: ignore[attr-defined]
    assert explorer.constants.tdx_entry_cycles == 1300.0
    # the Python API moves the sliders too
    explorer.set(switch_fraction=0.25)
    assert c["switch_fraction"].value == pytest.approx(0.25)  # type: ignore[attr-defined]
    assert "unverified" in explorer._text.value.lower()  # type: ignore[union-attr]


def test_unverified_constants_are_flagged_on_their_sliders(explorer: CostExplorer) -> None:
    c = explorer._controls
    assert "⚠" in c["tdx_entry_cycles"].description  # type: ignore[attr-defined]
    assert "⚠" not in c["l1_ns"].description  # type: ignore[attr-defined]


def test_no_pyplot_figures() -> None:
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    ex = CostExplorer(["bank", "split"])
    for f in (0.0, 0.5, 1.0):
        ex.set(switch_fraction=f)
    assert set(plt.get_fignums()) == before
