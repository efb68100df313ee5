"""Byte grids (matplotlib image and HTML string): every byte in its owner's colour, outlines on
exactly the selected bytes, output matching its golden figure, escaped HTML.  Drawing speed is
measured by benchmarks/bench_render.py, not here.

Pinned offsets come from the reference sheet (domain-facts 1.1, 1.2, 1.5, 2.1), written
literally in hex; the expected colours are the palette's published Okabe-Ito values.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from golden.regen import TOLERANCE, golden_path, pixel_rms, render
from matplotlib.axes import Axes

from tdxlab.layout.catalog import get
from tdxlab.layout.declare import Field, Prim, StructDecl
from tdxlab.layout.engine import Layout, LayoutError, layout_of
from tdxlab.owners import Owner
from tdxlab.palette import OUTSIDE, hex_to_rgb, owner_colour
from tdxlab.render import style
from tdxlab.render.bytegrid import byte_grid_of, draw_byte_grid, grid_rgb
from tdxlab.render.html_grid import byte_grid_html, hexdump_html
from tdxlab.sources import Origin, Source

VERMILLION, BLUE, GREY = (0xD5, 0x5E, 0x00), (0x00, 0x72, 0xB2), (0x99, 0x99, 0x99)

# (absolute run-page offset, what, expected colour) -- domain-facts 1.1 / 1.2 / 1.5 / 2.1
RUN_PAGE_PINS = [
    (0x288, "rip: private", VERMILLION),
    (0x200, "rax: shared", BLUE),
    (0x220, "rsp: private", VERMILLION),
    (0x110, "exit_info.rax: global", GREY),
    (0x280, "rflags: private", VERMILLION),
    (0x290, "ssp: private", VERMILLION),
    (0x1C0, "cr2: shared", BLUE),
    (0x198, "msr_kernel_gs_base: private", VERMILLION),
    (0x1D0, "vp_state.flags: global", GREY),
    (0x1F8, "entry_rcx: private", VERMILLION),
    (0x300, "fx_state.fcw: shared", BLUE),
    (0x000, "cancel: global", GREY),
]


@pytest.fixture(scope="module")
def run_page() -> Iterator[Axes]:
    """hcl_run drawn once in its 4 KiB page (read-only for the tests that share it)."""
    ax = draw_byte_grid(get("hcl_run"), page_size=4096)
    yield ax
    ax.figure.clear()


@pytest.fixture
def axes() -> Iterator[list[Axes]]:
    """Collect drawn axes and close nothing global: figures are pyplot-free, dropped after."""
    made: list[Axes] = []
    yield made
    for ax in made:
        ax.figure.clear()


def _image(ax: Axes) -> np.ndarray:
    return np.asarray(byte_grid_of(ax).image.get_array())


def _covered(coll: object) -> set[int]:
    """Absolute byte offsets covered by the rectangles of a collection (1 unit = 1 byte)."""
    out: set[int] = set()
    for path in coll.get_paths():  # type: ignore[attr-defined]
        x0, y0 = path.vertices.min(axis=0)
        x1 = path.vertices[:, 0].max()
        row, col = round(y0 + 0.5), round(x0 + 0.5)
        out.update(row * 64 + col + i for i in range(round(x1 - x0)))
    return out


def _at(img: np.ndarray, start: int, offset: int) -> tuple[int, ...]:
    row, col = divmod(offset - start, 64)
    return tuple(int(v) for v in img[row, col])


# --- matplotlib grid ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("offset", "what", "colour"), RUN_PAGE_PINS, ids=[p[1] for p in RUN_PAGE_PINS])
def test_run_page_pinned_colours(offset: int, what: str, colour: tuple[int, ...], run_page: Axes) -> None:
    assert _at(_image(run_page), 0, offset) == colour, what


def test_every_byte_has_its_declared_owner_colour(run_page: Axes) -> None:
    layout = get("hcl_run")
    img = _image(run_page)
    assert img.shape == (64, 64, 3)
    for off in range(layout.size):
        owner = layout.row_at(off).owner
        assert _at(img, 0, off) == hex_to_rgb(owner_colour(owner)), f"{off:#x} {owner}"
    tail = img.reshape(-1, 3)[0x674:]  # hcl_run is 0x674 bytes (domain-facts 1.1)
    assert (tail == hex_to_rgb(OUTSIDE.fill)).all()


def test_fillers_are_hatched_where_declared(run_page: Axes) -> None:
    gids = {c.get_gid(): c for c in run_page.collections}
    cells = _covered(gids["tdxlab-hatch-padding"])
    assert set(range(0x168, 0x168 + 48)) <= cells  # context.pad1 (domain-facts 1.2)
    assert 0x200 not in cells
    assert "tdxlab-hatch-reserved" in gids and "tdxlab-hatch-hole" in gids  # 0x29a reserved, 0x631 hole


def test_context_at_base_0x110_keeps_real_cache_lines(axes: list[Axes]) -> None:
    ax = draw_byte_grid(get("tdx_vp_context"), base=0x110)
    axes.append(ax)
    img = _image(ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "0x100" and labels[-1] == "0x500"  # 0x110..0x50f spans lines 0x100..0x500
    assert _at(img, 0x100, 0x100) == hex_to_rgb(OUTSIDE.fill)  # before the structure
    assert _at(img, 0x100, 0x288) == VERMILLION  # rip
    assert _at(img, 0x100, 0x200) == BLUE  # rax
    assert _at(img, 0x100, 0x110) == GREY  # exit_info


def test_y_labels_are_absolute_hex_offsets(axes: list[Axes]) -> None:
    ax = draw_byte_grid(get("hcl_run"))
    axes.append(ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{i * 64:#05x}" for i in range(26)]  # 0x674 bytes -> 26 lines


def test_highlight_outlines_exactly_the_field(axes: list[Axes]) -> None:
    layout = get("hcl_run")
    ax = draw_byte_grid(layout, highlight=range(0x288, 0x290))  # rip
    axes.append(ax)
    assert byte_grid_of(ax).highlight_cells() == [(0x288 // 64, 8, 8)]
    grid = byte_grid_of(ax)
    grid.update(highlight=range(0x010, 0x110))  # exit_message, 256 bytes over 4+1 lines
    covered = {r * 64 + c + i for r, c, n in grid.highlight_cells() for i in range(n)}
    assert covered == set(range(0x010, 0x110))


def test_changed_bytes_are_marked(axes: list[Axes]) -> None:
    ax = draw_byte_grid(get("hcl_run"), changed={0x200, 0x201, 0x205})
    axes.append(ax)
    assert sorted(byte_grid_of(ax).changed_cells()) == [(8, 0, 2), (8, 5, 1)]
    assert byte_grid_of(ax).highlight_cells() == []


def test_update_and_set_layout_work_in_place(axes: list[Axes]) -> None:
    ax = draw_byte_grid(get("hcl_run"), page_size=4096)
    axes.append(ax)
    grid = byte_grid_of(ax)
    image = grid.image
    grid.update(highlight=range(0x220, 0x228))
    assert grid.highlight_cells() == [(0x220 // 64, 0x20, 8)]
    with pytest.raises(LayoutError):
        grid.update(highlight=range(0x220, 0x228), changed={0x2000})
    assert grid.highlight_cells() == [(0x220 // 64, 0x20, 8)]  # a bad call changes nothing
    grid.set_layout(get("hcl_run_snp"))  # same page, context read as snp_vp_context (1.10)
    assert byte_grid_of(ax).image is image and len(ax.images) == 1
    img = _image(ax)
    assert _at(img, 0, 0x288) == hex_to_rgb(owner_colour(Owner.RESERVED))  # snp reserved @ 0x110+0x5c..
    reserved = next(c for c in ax.collections if c.get_gid() == "tdxlab-hatch-reserved")
    assert 0x288 in _covered(reserved)  # hatches follow the new layout
    assert grid.highlight_cells() == []  # marks belonged to the old layout


def test_values_are_printed_for_small_grids(axes: list[Axes]) -> None:
    layout = get("TdxL2EnterGuestState")
    data = bytes(range(160))
    ax = draw_byte_grid(layout, data, base=0x200)
    axes.append(ax)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 160 and texts[0x88] == "88"  # rip's first byte at +0x88 (1.5)


def test_legend_names_owner_phrases(run_page: Axes) -> None:
    legend = run_page.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == [
        "private: one value per VTL (TLFS Private State, or OpenVMM's where the TLFS is silent)",
        "shared: one value seen by every VTL (TLFS Shared State)"]
    assert "hole: implicit C ABI padding, present but not declared" in labels
    assert "unused page tail" in labels
    assert "mixed" not in " ".join(labels)  # structure headers are never a byte's class


def test_output_matches_the_golden_figure() -> None:
    # tests/golden/byte_grid_hcl_run.png: hcl_run with rip (0x288..0x28f) outlined and 0x200
    # marked changed, drawn by tests/golden/regen.py; compared by decoded pixels.
    path = golden_path("byte_grid_hcl_run")
    rms = pixel_rms(render("byte_grid_hcl_run"), path.read_bytes())
    assert rms <= TOLERANCE, f"byte grid differs from {path.name} by RMS {rms:.2f}: python3 dev.py regen"


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_saved_files_carry_no_version_or_date(fmt: str) -> None:
    ax = draw_byte_grid(get("hcl_run"), highlight=range(0x288, 0x290), changed={0x200})
    out = style.to_bytes(ax.figure, fmt)
    ax.figure.clear()
    if fmt == "svg":
        assert b"<dc:date>" not in out
    else:
        assert b"Software" not in out[:4096]


def test_bad_input_is_one_line_error() -> None:
    with pytest.raises(LayoutError) as err:
        draw_byte_grid(get("hcl_run"), base=0x1000, page_size=4096)
    assert "\n" not in str(err.value) and "does not fit" in str(err.value)
    with pytest.raises(LayoutError) as err:
        draw_byte_grid(get("hcl_run"), highlight=range(0x670, 0x680))
    assert "\n" not in str(err.value) and "highlight" in str(err.value)
    with pytest.raises(LayoutError):
        draw_byte_grid(get("hcl_run"), data=b"\0" * 10)


def test_grid_rgb_is_the_drawn_image(axes: list[Axes]) -> None:
    ax = draw_byte_grid(get("tdx_vp_context"), base=0x110)
    axes.append(ax)
    assert np.array_equal(grid_rgb(get("tdx_vp_context"), base=0x110), _image(ax))


def test_page_is_one_image_not_4096_patches() -> None:
    # A 4 KiB page is drawn as one image plus a few outlines (its speed: benchmarks/bench_render.py).
    ax = draw_byte_grid(get("hcl_run"), page_size=4096)
    patches = len(ax.patches) + sum(len(c.get_paths()) for c in ax.collections)
    ax.figure.clear()
    assert patches < 200


# --- HTML grid -----------------------------------------------------------------------------------------
SPAN = re.compile(r'<span class="tdxlab-b ([^"]*)"([^>]*)>')
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _spans(html: str) -> list[dict[str, str]]:
    out = []
    for cls, rest in SPAN.findall(html):
        attrs = {k: unescape(v) for k, v in ATTR.findall(rest)}
        attrs["class"] = cls
        out.append(attrs)
    return out


def _span_at(html: str, offset: int) -> dict[str, str]:
    for s in _spans(html):
        if int(s["data-start"], 16) <= offset < int(s["data-end"], 16):
            return s
    raise AssertionError(f"no span over {offset:#x}")


def test_html_tooltip_names_rip_at_0x288() -> None:
    html = byte_grid_html(get("hcl_run"))
    span = _span_at(html, 0x288)
    assert span["data-path"] == "context.gpr_list.rip"
    assert "rip" in span["title"]
    assert "tdxlab-private" in span["class"]
    assert "tdxlab-shared" in _span_at(html, 0x200)["class"]
    assert "tdxlab-private" in _span_at(html, 0x220)["class"]
    assert "tdxlab-global" in _span_at(html, 0x110)["class"]


def test_html_one_line_per_cache_line_and_merged_spans() -> None:
    html = byte_grid_html(get("hcl_run"), page_size=4096)
    assert html.count('class="tdxlab-line"') == 64
    assert len(_spans(html)) < 600  # merged per field per line, not 4096 cells
    assert "unused page tail" in html
    tail = _span_at(html, 0x800)
    assert "tdxlab-outside" in tail["class"]


def test_html_highlight_covers_exactly_the_field() -> None:
    html = byte_grid_html(get("hcl_run"), highlight=range(0x010, 0x110), changed={0x288})
    marked: set[int] = set()
    for s in _spans(html):
        if "tdxlab-highlight" in s["class"]:
            marked.update(range(int(s["data-start"], 16), int(s["data-end"], 16)))
    assert marked == set(range(0x010, 0x110))
    changed = [s for s in _spans(html) if "tdxlab-changed" in s["class"]]
    assert [(s["data-start"], s["data-end"]) for s in changed] == [("0x288", "0x289")]


def _evil_layout() -> Layout:
    decl = StructDecl(
        "evil<i>&",
        (Field('a<b>"&', Prim.U64, owner=Owner.GLOBAL), Field("rip", Prim.U64, reg="rip")),
        Source(Origin.TDXLAB, "test <struct>"),
        "a structure whose names need escaping",
    )
    return layout_of(decl)


def test_html_escapes_names_and_caption() -> None:
    layout = _evil_layout()
    html = byte_grid_html(layout, bytes(16), caption="<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<b>"' not in html and "a&lt;b&gt;&quot;&amp;" in html
    assert _span_at(html, 0)["data-path"] == 'a<b>"&'  # unescaped back, exactly the name
    dump = hexdump_html(layout, bytes(16))
    assert "<b>" not in dump and "a&lt;b&gt;" in dump


def test_hexdump_lines_fields_and_highlight() -> None:
    layout = get("hcl_run")
    data = bytearray(layout.size)
    layout.write(data, "context.gpr_list.rip", 0xFFFFF80000401000)
    dump = hexdump_html(layout, data, highlight=range(0x288, 0x290))
    lines = re.findall(r'<div class="tdxlab-hexline".*?</div>', dump)
    assert len(lines) == -(-0x674 // 16)
    line_280 = next(unescape(x) for x in lines if ">0x0280<" in x)
    assert "context.gpr_list.rip" in line_280 and "context.gpr_list.rflags" in line_280
    assert "00 10 40 00 00 f8 ff ff" in line_280  # little-endian RIP bytes
    assert line_280.count("tdxlab-highlight") == 1


def test_html_bad_marks_are_one_line() -> None:
    with pytest.raises(LayoutError) as err:
        byte_grid_html(get("hcl_run"), changed={0x1000})
    assert "\n" not in str(err.value) and "0x1000" in str(err.value)


def test_html_grid_module_imports_no_matplotlib_or_ipywidgets() -> None:
    code = ("import sys, tdxlab.render.html_grid; "
            "print([m for m in ('matplotlib', 'ipywidgets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
