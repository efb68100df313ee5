"""The static site's builder (``docs/build_site.py``) piece by piece, without a kernel or a browser.

The whole build, executed and opened in Chromium, is ``tests/browser/test_site.py``.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from site_builder import answer_cell, builder, notebook

from tdxlab.widgets.snapshot import WIDGET_VIEW

ROOT = Path(__file__).resolve().parent.parent
md = nbformat.v4.new_markdown_cell


# --------------------------------------------------------------------------- title and description


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_has_a_title_from_its_first_heading_and_a_one_line_description(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    title, description = builder().title_and_description(nb, path.stem)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    heading = first.source.lstrip()
    assert heading.startswith("# ") and title == heading[2:].splitlines()[0].strip()
    assert description and "\n" not in description and not description.startswith(("*", "#"))


@pytest.mark.parametrize(("source", "expected"), [
    ("# 07 · Title\n\nThe first paragraph,\nover two lines.\n\nThe second.",
     "The first paragraph, over two lines."),
    ("# T\n\n**What you will learn**\n\n* how *this* works;\n  in detail;\n* b",
     "How *this* works; in detail."),
    ("# T\n\n**Time:** 30 minutes.\n\n**Learning goals** (what you will learn)\n\n* one thing\n* two",
     "One thing."),
    ("# T\n\n- a list alone\n- b", "A list alone."),
], ids=["paragraph", "label-and-list", "time-line-skipped", "list"])
def test_description_rules(source: str, expected: str) -> None:
    assert builder().title_and_description(notebook(md(source)), "x")[1] == expected


def test_description_from_the_next_cell_metadata_first_and_the_file_name_without_heading() -> None:
    b = builder()
    assert b.title_and_description(notebook(md("# T"), md("Next cell.")), "x") == ("T", "Next cell.")
    nb = notebook(md("# T\n\nIgnored."))
    nb.metadata["description"] = "Set by the author."
    assert b.title_and_description(nb, "x") == ("T", "Set by the author.")
    assert b.title_and_description(notebook(md("No heading.")), "99_name") == ("99_name", "")


def test_inline_markdown() -> None:
    b = builder()
    assert (b.inline_html("A *VTL* ([VTL](#g-vtl)) `mshv_vtl` **run page** <b> & tdx_vp_context")
            == "A <em>VTL</em> (VTL) <code>mshv_vtl</code> <strong>run page</strong> &lt;b&gt; &amp; "
               "tdx_vp_context")
    assert (b.plain_text("04 · What does the *split* page cost? `x<y`")
            == "04 · What does the split page cost? x<y")


# --------------------------------------------------------------------------- preparing and rendering


def _executed() -> nbformat.NotebookNode:
    """A notebook as nbclient leaves it: a widget output with its snapshot, one without."""
    with_snapshot = nbformat.v4.new_output("display_data", data={
        "text/plain": "VBox()", "text/html": '<div class="tdxlab-snapshot">view</div>',
        WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0}})
    view = {"model_id": "def", "version_major": 2, "version_minor": 0}
    bare = nbformat.v4.new_output("execute_result", data={"text/plain": "IntSlider()", WIDGET_VIEW: view},
                                  execution_count=2)
    nb = notebook(
        md("# 99 · Synthetic\n\nA page."),
        nbformat.v4.new_code_cell("x.widget", outputs=[with_snapshot], execution_count=1),
        nbformat.v4.new_code_cell("slider", outputs=[bare], execution_count=2),
        md("Q?\n\n<details><summary>Answer</summary>\n\nIt is **hidden**.\n\n</details>"),
        answer_cell("Tagged and *hidden*."),
        answer_cell("<details><summary>Hint</summary>\n\nAlready wrapped.\n\n</details>"),
        md("See [the next one](01_next.ipynb#part) and [elsewhere](https://example.org/a.ipynb)."),
    )
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_prepare_keeps_snapshots_drops_widget_views_and_wraps_answers() -> None:
    executed = _executed()
    nb = builder().prepare(executed)
    assert "widgets" not in nb.metadata and "widgets" in executed.metadata  # a copy
    first, second = nb.cells[1].outputs[0].data, nb.cells[2].outputs[0].data
    assert WIDGET_VIEW not in first and first["text/html"] == '<div class="tdxlab-snapshot">view</div>'
    assert WIDGET_VIEW not in second and second["text/html"] == builder().NO_SNAPSHOT_HTML
    assert nb.cells[4].source == ('<details class="tdxlab-answer"><summary>Answer</summary>\n\n'
                                  "Tagged and *hidden*.\n\n</details>")
    assert nb.cells[5].source == executed.cells[5].source  # already a <details>: not wrapped twice


class _Details(HTMLParser):
    """Collects the text inside and outside ``<details>`` (minus ``<summary>``), and ``open`` flags."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.in_summary = 0, False
        self.inside: list[str] = []
        self.opened: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.depth += 1
            self.opened.append(any(name == "open" for name, _ in attrs))
        elif tag == "summary":
            self.in_summary = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.depth -= 1
        elif tag == "summary":
            self.in_summary = False

    def handle_data(self, data: str) -> None:
        if self.depth and not self.in_summary:
            self.inside.append(data)


def test_rendered_page_is_self_contained_keeps_answers_inside_details_and_links_pages(tmp_path: Path) -> None:
    b = builder()
    html = b.render(b.prepare(_executed()), tmp_path, "99_synthetic", "99 · Synthetic", "<nav>n</nav>",
                    {"01_next.ipynb": "01_next.html"})
    assert b.network_references(html) == []
    assert "<script src" not in html and "cdnjs" not in html and "unpkg" not in html
    parser = _Details()
    parser.feed(html)
    assert parser.opened == [False, False, False]
    inside = " ".join(" ".join(parser.inside).split())
    # the regression nbconvert's embed_images would bring: the answer rendered after </details>
    assert "It is hidden" in inside and "Tagged and hidden" in inside and "Already wrapped" in inside
    assert 'href="01_next.html#part"' in html and 'href="https://example.org/a.ipynb"' in html
    assert "<title>99 · Synthetic</title>" in html and html.count("<nav>n</nav>") == 2


def test_local_images_are_inlined_and_a_missing_one_stops_the_build(tmp_path: Path) -> None:
    b = builder()
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    page = '<p><img alt="p" src="pic.png"/><img src="data:image/png;base64,AA=="/></p>'
    html = b.inline_images(page, tmp_path)
    assert html == ('<p><img alt="p" src="data:image/png;base64,iVBORw0KGgpmYWtl"/>'
                    '<img src="data:image/png;base64,AA=="/></p>')
    with pytest.raises(b.SiteError, match=r"image 'gone\.png' not found"):
        b.inline_images('<img src="gone.png">', tmp_path)


def test_network_references_are_loads_not_links() -> None:
    html = """
    <script src="https://cdnjs.cloudflare.com/require.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/a.css">
    <style>@import url("https://example.org/b.css"); .x { background: url(http://example.org/c.png) }</style>
    <img alt="x" src='https://example.org/d.png'>
    <script type="module">const m = await import("https://example.org/e.mjs");</script>
    <a href="https://github.com/microsoft/openvmm/issues/746">a link is fine</a>
    /* see https://github.com/material-components in a comment: fine */
    <img src="data:image/png;base64,AA=="> <script src="local.js"></script>
    """
    assert builder().network_references(html) == [
        "https://cdnjs.cloudflare.com/require.js", "//fonts.example.org/a.css", "https://example.org/b.css",
        "http://example.org/c.png", "https://example.org/d.png", "https://example.org/e.mjs"]


def test_an_existing_folder_the_builder_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(builder().SiteError, match="was not written by the site builder"):
        builder().build(tmp_path, [ROOT / "notebooks" / "00_start_here.ipynb"])
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep"
