"""The cost explorer: plain-Python API, in-place redraws, sliders wired, no leaks.

How fast a redraw is belongs to a benchmark, not to a unit test (house rule).
"""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from facts import BANK_BYTES, SPLIT_SWITCH_BYTES

from tdxlab.sim.designs import DESIGNS
from tdxlab.widgets.cost import SLIDERS, CostExplorer


@pytest.fixture(scope="module")
def explorer() -> CostExplorer:
    ex = CostExplorer()
    _ = ex.widget  # build the UI once
    return ex


def test_plain_api(explorer: CostExplorer) -> None:
    ex = explorer.set(switch_fraction=0.5, evicted_kib=64)
    assert ex is explorer
    frame = ex.frame.set_index("design")
    assert list(frame.index) == list(DESIGNS)  # every registered design, in registry order
    # split copies its switch bytes on half the entries; bank its bank both ways on every entry
    assert frame.loc["split", "bytes_copied_per_entry"] == SPLIT_SWITCH_BYTES / 2
    assert frame.loc["bank", "bytes_copied_per_entry"] == 2 * BANK_BYTES
    # the share of one CPU at the default 10^4 entries/s: 10^4 x ns per entry / 10^9 ns per s
    assert frame.loc["bank", "cpu_share"] == pytest.approx(frame.loc["bank", "ns_per_entry"] * 1e-5)
    assert any(s.startswith("split is cheaper than bank") for s in ex.sentences())
    assert ex.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_constants_change_the_numbers(explorer: CostExplorer) -> None:
    explorer.set(tdx_entry_cycles=2700, user_mode_cycles=0, cpu_ghz=2.7)
    assert explorer.frame.set_index("design").loc["bank", "ns_round_trip"] == pytest.approx(1000.0)
    explorer.set(tdx_entry_cycles=1291, user_mode_cycles=4918)


def test_bad_settings_change_nothing(explorer: CostExplorer) -> None:
    before = (explorer.evicted_kib, explorer.switch_fraction, explorer.constants)
    for bad, words in (({"switch_fraction": 2.0}, "switch_fraction must be within 0..1"),
                       ({"evicted_kib": -1}, "evicted_kib: -1 is outside"),
                       ({"entries_per_s": -1.0}, "entries_per_s must be a number >= 0"),
                       ({"nope": 1.0}, "unknown cost constant")):
        with pytest.raises(ValueError, match=words):
            explorer.set(**bad)
    assert (explorer.evicted_kib, explorer.switch_fraction, explorer.constants) == before


def test_redraw_updates_artists_in_place(explorer: CostExplorer) -> None:
    fig = explorer.figure
    artists = explorer._dynamic()
    line = explorer._overhead.lines["split"]
    old_y = list(line.get_ydata())
    for f in (0.2, 0.4, 0.6, 0.8):
        explorer.set(switch_fraction=f)
    assert explorer.figure is fig and explorer._dynamic() == artists  # same figure, same artists
    here = explorer._overhead.here.get_xdata()
    assert list(here) == [0.8, 0.8]
    explorer.set(evicted_kib=65536)
    assert list(line.get_ydata()) != old_y  # the same line moved


def test_png_is_the_figure_as_drawn() -> None:
    ex = CostExplorer(["bank", "split"])
    first = ex.png()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.png() == first  # a repaint over the kept background gives the same pixels
    ex.set(switch_fraction=0.7)
    assert ex.png() != first  # the 'you are here' line moved


def test_sliders_drive_the_model(explorer: CostExplorer) -> None:
    ui = explorer._ui
    assert ui is not None
    c = ui.controls
    assert all(getattr(c[k], "continuous_update", True) is False for k in c)
    assert set(SLIDERS) <= set(c)
    image = ui.image
    assert isinstance(image, widgets.Image)
    before = image.value
    c["switch_fraction"].value = 0.9  # type: ignore[attr-defined]
    assert explorer.switch_fraction == pytest.approx(0.9)
    assert image.value != before
    c["evicted_kib"].value = 4096.0  # type: ignore[attr-defined]
    assert explorer.evicted_kib == 4096.0
    c["tdx_entry_cycles"].value = 1300.0  # type: ignore[attr-defined]
    assert explorer.constants.tdx_entry_cycles == 1300.0
    # the Python API moves the sliders too
    explorer.set(switch_fraction=0.25)
    assert c["switch_fraction"].value == pytest.approx(0.25)  # type: ignore[attr-defined]
    assert "unverified" in ui.text.value.lower()


def test_bad_slider_value_shows_one_line_and_keeps_the_model(explorer: CostExplorer) -> None:
    ui = explorer._ui
    assert ui is not None
    before = explorer.constants
    ui.controls["cpu_ghz"].value = 1.0
    ui.guard(lambda: explorer.set(cpu_ghz=-1.0))
    assert "tdxlab-error" in ui.error.value and "cpu_ghz" in ui.error.value
    assert explorer.constants.cpu_ghz == 1.0 and ui.controls["cpu_ghz"].value == 1.0
    explorer.set(cpu_ghz=before.cpu_ghz)
    assert ui.error.value == ""


def test_unverified_constants_are_flagged_on_their_sliders(explorer: CostExplorer) -> None:
    assert explorer._ui is not None
    c = explorer._ui.controls
    assert "⚠" in c["tdx_entry_cycles"].description  # type: ignore[attr-defined]
    assert "⚠" not in c["l1_ns"].description  # type: ignore[attr-defined]


def test_no_pyplot_figures() -> None:
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    ex = CostExplorer(["bank", "split"])
    for f in (0.0, 0.5, 1.0):
        ex.set(switch_fraction=f)
    assert set(plt.get_fignums()) == before
