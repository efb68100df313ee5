"""The static site (``python3 dev.py site``) read in headless Chromium, from file:// and offline.

The site is built once per session by calling the builder directly (the notebooks execute
side by side, one kernel per core). The index is opened and every link followed in order;
on each page: its figures are there (as many as its executed notebook produced), no output
is an error or a traceback, every widget output is a static snapshot, every answer is
collapsed until clicked, links between pages lead to pages and anchors that exist, and the
browser asks for nothing outside file://. A tiny synthetic notebook checks the answer
markup and a widget snapshot independently of the kit's notebook content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from playwright.sync_api import expect
from site_builder import answer_cell, builder, notebook

from tdxlab.widgets.snapshot import SNAPSHOT_CLASS, WIDGET_VIEW

from .conftest import save_screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
#: Output areas that mean a cell went wrong (stderr, tracebacks, a widget without a snapshot).
ERROR_OUTPUTS = ('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                 ".jp-RenderedText[data-mime-type=\"application/vnd.jupyter.stderr\"]",
                 f".{SNAPSHOT_CLASS}-error", ".tdxlab-snapshot-missing")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """The site of the kit's own notebooks, built once: (folder, pages in order)."""
    out = tmp_path_factory.mktemp("site") / "site"
    return out, builder().build(out)


@pytest.fixture
def offline(page: Page) -> Iterator[list[str]]:
    """Every URL the page requests; anything not file: or data: is also aborted (and fails the test)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.context.route(re.compile(r"^(?:https?|wss?|ftp)://"), lambda route: route.abort())
    yield requested
    outside = [url for url in requested if not url.startswith(("file:", "data:"))]
    assert outside == [], f"the site asked the network for {outside}"


def _figures(nb: nbformat.NotebookNode) -> int:
    """How many outputs of the executed notebook hold a figure (an image, or HTML with an <img>/<svg>)."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", ()):
            data = out.get("data", {})
            html = str(data.get("text/html", ""))
            if any(t in data for t in FIGURE_TYPES) or "<img" in html or "<svg" in html:
                count += 1
    return count


def _widget_outputs(nb: nbformat.NotebookNode) -> int:
    return sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", ()))


_LOADED_FIGURES_JS = """
() => Array.from(document.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output svg'))
  .filter((el) => el.tagName.toLowerCase() === 'svg'
    ? el.getBoundingClientRect().width > 0
    : el.complete && el.naturalWidth > 0).length
"""

_ANCHORS_JS = """
() => Array.from(document.querySelectorAll('[id], a[name]')).map((el) => el.id || el.getAttribute('name'))
"""


def _check_answers(page: Page, where: str) -> int:
    """Every answer (a <details> in a markdown cell) is collapsed; the first one opens on a click."""
    answers = page.locator(".jp-MarkdownOutput details")
    for i in range(answers.count()):
        assert answers.nth(i).evaluate("(d) => d.open") is False, f"{where}: answer {i} is open"
    if answers.count():
        first = answers.first
        content = first.locator(":scope > :not(summary)").first
        expect(content).to_be_hidden()
        first.locator(":scope > summary").click()
        expect(first).to_have_js_property("open", True)
        expect(content).to_be_visible()
    return answers.count()


def _check_links(page: Page, site_dir: Path, where: str) -> None:
    """Links to other pages of the site lead to files and anchors that exist."""
    hrefs: list[str] = page.eval_on_selector_all("main a[href]",
                                                 "(as) => as.map((a) => a.getAttribute('href'))")
    for href in hrefs:
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
            continue  # https://, mailto: ... are for the reader to follow, not part of the site
        path, _, fragment = href.partition("#")
        assert not path.endswith(".ipynb"), f"{where}: a link still points at a notebook: {href}"
        target = site_dir / path if path else None
        assert target is None or target.is_file(), f"{where}: link {href} leads to no page"
        if fragment and target is not None and target.suffix == ".html":
            text = target.read_text(encoding="utf-8")
            assert f'id="{fragment}"' in text or f'name="{fragment}"' in text, f"{where}: no anchor {href}"
    if hrefs:
        anchors = set(page.evaluate(_ANCHORS_JS))
        own = [h[1:] for h in hrefs if h.startswith("#") and len(h) > 1]
        missing = [a for a in own if a not in anchors]
        assert missing == [], f"{where}: links to anchors that are not on the page: {missing}"


def test_index_lists_every_notebook_in_order_and_every_page_is_whole(
    page: Page, offline: list[str], site: tuple[Path, list[Any]]
) -> None:
    site_dir, pages = site
    assert [p.source.name for p in pages] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    page.goto((site_dir / "index.html").as_uri())
    links = page.locator("ol.tdxlab-site-index > li > a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [p.href for p in pages]
    descriptions = page.locator("ol.tdxlab-site-index > li > p")
    for i, p in enumerate(pages):
        assert links.nth(i).inner_text() == builder().plain_text(p.title)
        assert descriptions.nth(i).inner_text().strip(), f"{p.href}: no description on the index"
    save_screenshot(page, "site-index")

    answers = 0
    for i, p in enumerate(pages):
        page.goto((site_dir / "index.html").as_uri())
        page.locator("ol.tdxlab-site-index > li > a").nth(i).click()
        page.wait_for_url(f"**/{p.href}")
        where = p.href
        expect(page.locator("h1").first).to_have_text(re.compile(re.escape(builder().plain_text(p.title))))

        figures = _figures(p.executed)
        loaded = page.evaluate(_LOADED_FIGURES_JS)
        assert loaded >= figures, f"{where}: {figures} figure outputs in the notebook, {loaded} shown"
        if figures:
            expect(page.locator(".jp-OutputArea-output img, .jp-OutputArea-output svg").first).to_be_visible()

        for selector in ERROR_OUTPUTS:
            assert page.locator(selector).count() == 0, f"{where}: error output {selector}"
        outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        for word in ("Traceback", "Error displaying widget"):
            assert word not in outputs, f"{where}: {word!r} in an output"

        snapshots = page.locator(f".jp-OutputArea-output .{SNAPSHOT_CLASS}")
        assert snapshots.count() == _widget_outputs(p.executed), f"{where}: a widget output has no snapshot"
        for k in range(snapshots.count()):
            expect(snapshots.nth(k)).to_be_visible()

        answers += _check_answers(page, where)
        _check_links(page, site_dir, where)
        nxt = page.locator('nav.tdxlab-site-nav a[rel="next"]').first
        if i + 1 < len(pages):
            assert nxt.get_attribute("href") == pages[i + 1].href
        else:
            assert page.locator('nav.tdxlab-site-nav a[rel="next"]').count() == 0
    print(f"site: {len(pages)} pages, {answers} answers, built in "
          f"{sum(p.seconds for p in pages):.0f} s of kernel time")


def test_answers_are_collapsed_until_clicked_and_widgets_are_snapshots(
    page: Page, offline: list[str], tmp_path: Path
) -> None:
    source = tmp_path / "notebooks" / "99_answers.ipynb"
    source.parent.mkdir()
    nbformat.write(notebook(
        nbformat.v4.new_markdown_cell("# 99 · Answers\n\nHow the site hides answers."),
        nbformat.v4.new_markdown_cell("What is 6 × 7?\n\n<details><summary>Answer</summary>\n\n"
                                      "It is **42**.\n\n</details>"),
        answer_cell("A tagged cell: the answer is *hidden* too."),
        nbformat.v4.new_code_cell("from tdxlab.widgets.stepper import Stepper\n"
                                  "Stepper(scenario='secure_call_round_trip', design='naive').widget"),
    ), source)
    (pg,) = builder().build(tmp_path / "site", [source])
    assert pg.title == "99 · Answers" and pg.description == "How the site hides answers."
    page.goto((tmp_path / "site" / pg.href).as_uri())

    answers = page.locator(".jp-MarkdownOutput details")
    expect(answers).to_have_count(2)
    for i, hidden in enumerate(("It is 42.", "A tagged cell: the answer is hidden too.")):
        details = answers.nth(i)
        expect(details.locator("summary")).to_have_text("Answer")
        expect(details).to_have_js_property("open", False)
        expect(details.get_by_text(hidden)).to_be_hidden()
        details.locator("summary").click()
        expect(details).to_have_js_property("open", True)
        expect(details.get_by_text(hidden)).to_be_visible()

    snapshot = page.locator(f".jp-OutputArea-output .{SNAPSHOT_CLASS}")
    expect(snapshot).to_have_count(1)
    expect(snapshot.get_by_role("button", name="Step")).to_be_disabled()
    expect(snapshot.locator(".tdxlab-panel-event")).to_contain_text("design naive")
    save_screenshot(page, "site-answers-and-snapshot")
