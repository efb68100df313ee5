"""What makes a notebook a lesson, stated once for the structure test and the tools that edit notebooks.

Every notebook opens with its learning goals and an honest time estimate and ends with a summary
and two to four exercises, at least one with an answer the notebook checks and one open
discussion prompt.  Every term of the glossary (notebook 00) is linked to its definition at its
first use in each notebook, so no term is used before it is defined.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
START = "00_start_here.ipynb"


@dataclass(frozen=True)
class Term:
    """One glossary term: its anchor slug and the pattern that finds a use of it in prose."""

    slug: str
    pattern: str

    @property
    def anchor(self) -> str:
        """The anchor name of its definition in notebook 00."""
        return f"glossary-{self.slug}"


#: The glossary's terms, in the order notebook 00 defines them.
GLOSSARY: tuple[Term, ...] = (
    Term("vsm", r"\bVSM\b"),
    Term("vtl", r"\bVTLs?\b"),
    Term("tlfs", r"\bTLFS\b"),
    Term("vp", r"(?<![.\w])VPs?(?![.\w])"),
    Term("paravisor", r"\bparavisors?\b"),
    Term("openhcl", r"\bOpenHCL\b"),
    Term("td", r"\btrust domains?\b"),
    Term("tdx-module", r"\bTDX module\b"),
    Term("seam", r"\bSEAM\b"),
    Term("tdcall", r"\bTDCALL\b"),
    Term("tdg-vp-enter", r"TDG\.VP\.ENTER"),
    Term("l1-l2", r"\bL2 VMs?\b"),
    Term("vmcs", r"\bVMCS\b"),
    Term("tdvps", r"\bTDVPS\b"),
    Term("run-page", r"\brun pages?\b"),
    Term("vmsa", r"\bVMSAs?\b"),
    Term("vmpl", r"\bVMPLs?\b"),
    Term("vmgexit", r"\bVMGEXIT\b"),
)

_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_CODE = re.compile(r"`[^`]*`")
_TAG = re.compile(r"<[^>]*>")


def load(name: str) -> dict[str, object]:
    """A notebook's JSON."""
    data: dict[str, object] = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    return data


def markdown_cells(nb: dict[str, object]) -> list[tuple[int, str]]:
    """(cell index, source) of every markdown cell, in order."""
    cells = nb["cells"]
    assert isinstance(cells, list)
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for k in range(a, b):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def prose_uses(text: str, term: Term) -> list[tuple[int, int, str | None]]:
    """Every use of ``term`` in a markdown text as (start, end, link target or None).

    Headings, code spans and HTML tags are not prose; a use inside a link's text reports
    that link's target.
    """
    spans = [m.span() for m in _CODE.finditer(text)] + [m.span() for m in _TAG.finditer(text)]
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#"):
            spans.append((offset, offset + len(line)))
        offset += len(line)
    links = [(m.start(1), m.end(1), m.group(2)) for m in _LINK.finditer(text)]
    # link targets are not prose either
    spans += [(m.start(2) - 1, m.end(2) + 1) for m in _LINK.finditer(text)]
    clean = _blank(text, spans)
    out = []
    for m in re.finditer(term.pattern, clean):
        target = next((t for a, b, t in links if a <= m.start() and m.end() <= b), None)
        out.append((m.start(), m.end(), target))
    return out


def glossary_cell(nb: dict[str, object]) -> int | None:
    """Index of notebook 00's glossary cell (the one holding every anchor), else None."""
    for i, text in markdown_cells(nb):
        if all(f'name="{t.anchor}"' in text for t in GLOSSARY):
            return i
    return None


def first_use(nb: dict[str, object], term: Term) -> tuple[int, int, str | None] | None:
    """The first prose use of ``term`` outside the glossary: (cell, offset, link target) or None."""
    skip = glossary_cell(nb)
    for i, text in markdown_cells(nb):
        if i == skip:
            continue
        uses = prose_uses(text, term)
        if uses:
            start, _, target = uses[0]
            return i, start, target
    return None


def links_to_definition(target: str | None, term: Term, name: str) -> bool:
    """True when a link target points at ``term``'s definition (from notebook ``name``)."""
    if target is None:
        return False
    here = "" if name == START else START
    return target in (f"{here}#{term.anchor}", f"{START}#{term.anchor}")
