#!/usr/bin/env python3
"""Build the notebooks into a static site that reads offline: ``python3 dev.py site`` runs this.

Why: a reader who only wants to read the kit (a student before class, a reviewer with a
link) should not have to install anything. The site is every notebook of ``notebooks/``
executed from scratch, in order, rendered to one self-contained HTML page each, plus an
``index.html`` listing them in order with each notebook's title and one-line description.

What makes it self-contained and honest:

* **Executed here, now.** Each notebook runs in a fresh kernel (several at once, one per
  core: :func:`execute`); a cell that raises stops the build, so a page never shows a
  traceback.
* **Widgets as snapshots.** A tdxlab widget's display carries a static snapshot of its
  current view as ``text/html`` (:mod:`tdxlab.widgets.snapshot`). The kernel's widget state
  is not stored, and the widget-view MIME type is removed, so the page shows the snapshot.
* **Nothing from the network.** nbconvert's ``lab`` template loads require.js, MathJax, the
  ipywidgets HTML manager and mermaid.js from a CDN; the template of this module drops those
  blocks (the pages have no JavaScript outputs, widget state, math or diagrams that need them).
  Images are inlined as ``data:`` URIs (:func:`inline_images`). :func:`network_references` then
  checks every page, and any reference that would load something from outside the site stops
  the build.
* **Answers stay hidden.** ``<details>`` blocks in markdown render collapsed; a markdown cell
  tagged ``answer`` is wrapped in one (:func:`prepare`).

The site is written to ``site/`` (git-ignored) by default, replaced as a whole only once
every page is built. :func:`build` is the API the tests call.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import mimetypes
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import nbformat
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from tdxlab.widgets.snapshot import WIDGET_VIEW

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "site"
#: Written into every site this module builds; an existing ``--out`` folder without it is never replaced.
MARKER = ".tdxlab-site"
#: Seconds one cell may run before the build gives up.
CELL_TIMEOUT_S = 600
#: The tag that turns a markdown cell into a collapsed answer, and the summary line it gets.
ANSWER_TAG = "answer"
ANSWER_SUMMARY = "Answer"
#: What a widget output that has no static snapshot shows instead (a plain ipywidgets display).
NO_SNAPSHOT_HTML = ('<div class="tdxlab-snapshot-missing" style="font-style: italic;">An interactive '
                    "widget: open the notebook in JupyterLab to use it.</div>")

_TEMPLATE_NAME = "tdxlab-site.html.j2"
#: nbconvert's lab template without the blocks that load scripts from a CDN, plus the site's
#: navigation bar above and below each notebook.
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.tdxlab_site_css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.tdxlab_site_nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.tdxlab_site_nav }}{{ super() }}{%- endblock body_footer -%}
"""
_CSS = """
nav.tdxlab-site-nav { font-family: var(--jp-ui-font-family, sans-serif); font-size: 14px;
  padding: 8px 16px; display: flex; gap: 16px; border-bottom: 1px solid #ddd; }
nav.tdxlab-site-nav:last-child { border-top: 1px solid #ddd; border-bottom: none; }
details > summary { cursor: pointer; font-weight: 600; }
"""
_INDEX_CSS = """
body { font-family: system-ui, sans-serif; max-width: 820px; margin: 32px auto; padding: 0 16px;
  line-height: 1.45; color: #222; }
ol.tdxlab-site-index { padding-left: 0; list-style: none; }
ol.tdxlab-site-index li { margin: 0 0 18px; }
ol.tdxlab-site-index a { font-size: 1.15em; font-weight: 600; }
ol.tdxlab-site-index p { margin: 4px 0 0; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
"""

#: References that make a browser *load* something (scripts, styles, images, frames, fonts,
#: module imports). Plain ``<a href>`` links are not loads and are fine.
_LOADS = re.compile(
    r"""<(?:script|img|iframe|frame|embed|source|audio|video|track|input)\b[^>]*?\ssrc\s*=\s*["']?"""
    r"""(?P<a>(?:https?:)?//[^"'\s>]+)"""
    r"""|<(?:link|object)\b[^>]*?\s(?:href|data)\s*=\s*["']?(?P<b>(?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?(?P<c>(?:https?:)?//[^"')\s;]+)"""
    r"""|url\(\s*["']?(?P<d>(?:https?:)?//[^"')\s]+)"""
    r"""|import\(\s*["'](?P<e>(?:https?:)?//[^"']+)""",
    re.IGNORECASE,
)


class SiteError(Exception):
    """The site could not be built; the message says which notebook or page and why."""


@dataclass(frozen=True)
class Page:
    """One notebook of the site: where it came from, its page, and what it holds."""

    source: Path
    #: The page's file name inside the site (``00_start_here.html``).
    href: str
    title: str
    description: str
    #: The notebook as executed (outputs included, before the site's own changes).
    executed: NotebookNode
    seconds: float


# --------------------------------------------------------------------------- reading notebooks


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The notebooks of ``folder`` in the order the site lists them (by file name: 00, 01, ...)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[*+-]|\d+[.)])\s+")
#: A paragraph that only names what follows: "**Learning goals** (what you will learn)".
_LABEL = re.compile(r"^(\*\*|__)[^*_]+\1(?:\s*\([^)]*\))?:?$")
#: A "key: value" line about the notebook rather than its subject: "**Time:** about 30 minutes".
_FIELD = re.compile(r"^(\*\*|__)[^*_]+(?::\1|\1:)\s")


def title_and_description(nb: NotebookNode, fallback: str) -> tuple[str, str]:
    """The notebook's first heading and a one-line description of it (both markdown, one line each).

    The description is ``metadata.description`` when the notebook sets one, else the first
    paragraph after the heading, passing over "key: value" lines about the notebook
    ("**Time:** ..."). A paragraph that only names the list below it ("**Learning goals**")
    gives that list's first item, as does a list on its own. ``fallback`` (the file name) is
    the title when there is no heading.
    """
    title: str | None = None
    blocks: list[list[str]] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        if title is None:
            for i, line in enumerate(lines):
                if m := _HEADING.match(line):
                    title, lines = m["text"], lines[i + 1:]
                    break
            else:
                continue
        blocks.extend(b for b in _blocks(lines) if not _FIELD.match(b[0]))
        if blocks:
            break
    description = str(nb.metadata.get("description") or "")
    if not description and blocks:
        first = blocks[0]
        if _LABEL.match(" ".join(first)) and len(blocks) > 1 and _LIST_ITEM.match(blocks[1][0]):
            description = _first_item(blocks[1])
        elif _LIST_ITEM.match(first[0]):
            description = _first_item(first)
        else:
            description = " ".join(line.strip() for line in first)
    return _one_line(title or fallback), _one_line(description)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Markdown lines split at blank lines and headings (a heading ends the search)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if _HEADING.match(line):
            break
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _first_item(block: list[str]) -> str:
    """A list block's first item (its continuation lines joined), without the bullet and end mark."""
    item = [_LIST_ITEM.sub("", block[0], count=1)]
    for line in block[1:]:
        if _LIST_ITEM.match(line):
            break
        item.append(line.strip())
    text = " ".join(item).strip().rstrip(";,:")
    text = text[:1].upper() + text[1:]  # the item continues "you will learn ..."; alone it starts a sentence
    return text if text.endswith((".", "!", "?")) else text + "."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def inline_html(markdown: str) -> str:
    """One line of markdown (code, bold, italics, links) as HTML, everything else escaped."""
    parts = re.split(r"(`[^`]+`)", markdown)
    out = []
    for part in parts:
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{escape(part[1:-1])}</code>")
            continue
        text = escape(part)
        text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
        text = re.sub(r"(\*\*|__)(.+?)\1", r"<strong>\2</strong>", text)
        text = re.sub(r"(?<![\w*])[*_](?![\s*_])(.+?)(?<![\s*_])[*_](?![\w*])", r"<em>\1</em>", text)
        out.append(text)
    return "".join(out)


def plain_text(markdown: str) -> str:
    """One line of markdown without its markup (for ``<title>``)."""
    return re.sub(r"<[^>]+>", "", inline_html(markdown)).replace("&amp;", "&").replace(
        "&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'")


# --------------------------------------------------------------------------- executing


async def _execute_one(path: Path, gate: asyncio.Semaphore) -> tuple[NotebookNode, float]:
    nb: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        store_widget_state=False,  # no state: static renderers use the snapshot, not a CDN manager
        resources={"metadata": {"path": str(path.parent)}},  # the kernel runs in the notebook's folder
    )
    async with gate:
        start = time.monotonic()
        try:
            await client.async_execute()
        except CellExecutionError as exc:
            raise SiteError(f"{path.name} raised while executing:\n{exc}") from None
        took = time.monotonic() - start
    print(f"[site] executed {path.name} in {took:.1f} s", flush=True)
    return nb, took


def execute(paths: Sequence[Path], jobs: int | None = None) -> list[tuple[NotebookNode, float]]:
    """Execute every notebook in a fresh kernel, ``jobs`` at a time (default: one per core).

    The kernels are separate processes, so running several at once uses several cores while
    this process only waits on them. Returns the executed notebooks (and seconds each took) in
    the order of ``paths``; the first cell that raises stops the build with a :class:`SiteError`.
    """
    width = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))

    async def run_all() -> list[tuple[NotebookNode, float]]:
        gate = asyncio.Semaphore(width)
        return list(await asyncio.gather(*(_execute_one(p, gate) for p in paths)))

    # A thread of its own: the caller may already run an event loop (Playwright's sync API does).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(run_all())).result()


# --------------------------------------------------------------------------- rendering


def prepare(executed: NotebookNode) -> NotebookNode:
    """A copy of an executed notebook as the site shows it.

    Widget views become their static snapshot (the ``text/html`` beside them, or a note when
    there is none), no widget state is kept, and markdown cells tagged ``answer`` are wrapped
    in a collapsed ``<details>``.
    """
    nb: NotebookNode = nbformat.from_dict(executed)  # type: ignore[no-untyped-call]  # a deep copy
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        is_answer = cell.cell_type == "markdown" and ANSWER_TAG in cell.metadata.get("tags", ())
        if is_answer and not cell.source.lstrip().startswith("<details"):
            # Blank lines around the source: CommonMark then renders the markdown inside the block.
            cell.source = (f'<details class="tdxlab-answer"><summary>{escape(ANSWER_SUMMARY)}</summary>'
                           f"\n\n{cell.source}\n\n</details>")
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", ()):
            data = out.get("data")
            if data is None or WIDGET_VIEW not in data:
                continue
            del data[WIDGET_VIEW]
            if "text/html" not in data:
                data["text/html"] = NO_SNAPSHOT_HTML
    return nb


def _nav(pages: Sequence[tuple[str, str]], i: int) -> str:
    """Contents / previous / next links for page ``i`` of ``pages`` ((href, title) pairs)."""
    links = ['<a href="index.html" rel="index">Contents</a>']
    if i > 0:
        href, title = pages[i - 1]
        links.append(f'<a href="{escape(href)}" rel="prev">&larr; {inline_html(title)}</a>')
    if i + 1 < len(pages):
        href, title = pages[i + 1]
        links.append(f'<a href="{escape(href)}" rel="next">{inline_html(title)} &rarr;</a>')
    return f'<nav class="tdxlab-site-nav">{"".join(links)}</nav>'


def render(nb: NotebookNode, folder: Path, name: str, title: str, nav: str,
           pages: Mapping[str, str] | None = None) -> str:
    """One prepared notebook as a self-contained HTML page (nbconvert's lab template, no CDN).

    ``pages`` maps the notebooks of the site to their pages (``"00_start_here.ipynb"`` to
    ``"00_start_here.html"``): a link to one of them leads to its page (:func:`relink`).
    """
    # Not embed_images=True: nbconvert then re-parses each raw HTML block on its own, which closes
    # a <details> before the markdown inside it (the answer would show). Images are inlined below.
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab", extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})])
    exporter.template_file = _TEMPLATE_NAME
    nb.metadata["title"] = plain_text(title)
    resources: dict[str, Any] = {"metadata": {"name": name, "path": str(folder)},
                                 "tdxlab_site_nav": nav, "tdxlab_site_css": _CSS}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return relink(inline_images(str(body), folder), pages or {})


_HREF = re.compile(r"""(<a\b[^>]*?\shref\s*=\s*)(["'])(?P<href>[^"']*)\2""", re.IGNORECASE)


def relink(html: str, pages: Mapping[str, str]) -> str:
    """Links to a notebook of the site (``01_x.ipynb#part``) as links to its page (``01_x.html#part``)."""

    def fix(m: re.Match[str]) -> str:
        path, sep, fragment = unescape(m["href"]).partition("#")
        target = pages.get(unquote(path).removeprefix("./"))
        return m[0] if target is None else f"{m[1]}{m[2]}{escape(target + sep + fragment)}{m[2]}"

    return _HREF.sub(fix, html)


_IMG_SRC = re.compile(r"""(<img\b[^>]*?\ssrc\s*=\s*)(["'])(?P<src>[^"']+)\2""", re.IGNORECASE)


def inline_images(html: str, folder: Path) -> str:
    """Every ``<img>`` whose source is a local file (relative to ``folder``) as a ``data:`` URI.

    The page moves to the site, so a relative path would no longer resolve; a missing file
    stops the build. ``data:`` URIs, remote URLs (reported by :func:`network_references`) and
    fragments are left as they are.
    """

    def embed(m: re.Match[str]) -> str:
        src = unescape(m["src"])
        if src.startswith(("data:", "#")) or re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", src, re.IGNORECASE):
            return m[0]
        path = (folder / unquote(src.split("?")[0].split("#")[0])).resolve()
        if not path.is_file():
            raise SiteError(f"image {src!r} not found (looked for {path})")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{m[1]}{m[2]}data:{mime};base64,{data}{m[2]}"

    return _IMG_SRC.sub(embed, html)


def network_references(html: str) -> list[str]:
    """Every URL in ``html`` that a browser would load from outside the page (scripts, styles, images...)."""
    return [next(g for g in m.groups() if g) for m in _LOADS.finditer(html)]


def index_html(pages: Sequence[Page]) -> str:
    """The contents page: every notebook in order, its title as a link and its description."""
    items = "".join(
        f'<li><a href="{escape(p.href)}">{inline_html(p.title)}</a><p>{inline_html(p.description)}</p></li>'
        for p in pages)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>tdxlab notebooks</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>\n"
        "<h1>tdxlab notebooks</h1>\n"
        "<p>Every notebook of the kit, executed with its outputs. Widgets are shown as static "
        "snapshots; open the notebooks in JupyterLab (<code>python3 dev.py lab</code>) to use them.</p>\n"
        f'<ol class="tdxlab-site-index">{items}</ol>\n</body>\n</html>\n'
    )


# --------------------------------------------------------------------------- the whole site


def build(out: Path = OUT, notebooks: Sequence[Path] | None = None, jobs: int | None = None) -> list[Page]:
    """Execute ``notebooks`` (default: all of ``notebooks/``), render them, and write the site to ``out``.

    ``out`` is replaced as a whole once every page is built (a failed build leaves the old
    site alone); a folder at ``out`` that this function did not write is never replaced.
    Returns the pages in order.
    """
    paths = list(notebooks) if notebooks is not None else notebook_paths()
    if not paths:
        raise SiteError("no notebooks to build")
    if out.exists() and not (out / MARKER).is_file():
        raise SiteError(f"{out} exists and was not written by the site builder; remove it or pick --out")
    results = execute(paths, jobs)
    listed = [(p.with_suffix(".html").name, *title_and_description(nb, p.stem)) for p, (nb, _) in
              zip(paths, results, strict=True)]
    pages = [Page(p, href, title, desc, nb, took)
             for p, (href, title, desc), (nb, took) in zip(paths, listed, results, strict=True)]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a site is for reading
    try:
        nav_pages = [(href, title) for href, title, _ in listed]
        links = {page.source.name: page.href for page in pages}
        for i, page in enumerate(pages):
            html = render(prepare(page.executed), page.source.parent, page.source.stem, page.title,
                          _nav(nav_pages, i), links)
            if loads := network_references(html):
                raise SiteError(f"{page.href} would load from the network: {', '.join(sorted(set(loads)))}")
            (staging / page.href).write_text(html, encoding="utf-8")
        (staging / "index.html").write_text(index_html(pages), encoding="utf-8")
        (staging / MARKER).write_text("written by docs/build_site.py; replaced on every build\n",
                                      encoding="utf-8")
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return pages


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``, the old site (if any) out of the way first."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``build_site.py [--out DIR] [--jobs N] [NOTEBOOK ...]``; prints where the site is."""
    parser = argparse.ArgumentParser(prog="docs/build_site.py", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to build (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the site (default: {OUT})")
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks executed at once (default: one per core)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        pages = build(args.out, args.notebooks or None, args.jobs)
    except SiteError as exc:
        print(f"site: {exc}", file=sys.stderr)
        return 1
    print(f"[site] {len(pages)} pages in {time.monotonic() - start:.1f} s; open {args.out / 'index.html'}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
