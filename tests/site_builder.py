"""``docs/build_site.py`` loaded as a module (``docs/`` is not a package), for the site tests."""

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import nbformat

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "build_site.py"


@cache
def builder() -> ModuleType:
    """The site builder, imported once (registered in ``sys.modules`` for its dataclasses)."""
    spec = importlib.util.spec_from_file_location("tdxlab_docs_build_site", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A notebook with a Python 3 kernelspec holding ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = list(cells)
    return nb


def answer_cell(source: str) -> nbformat.NotebookNode:
    """A markdown cell tagged ``answer`` (the site wraps it in a collapsed ``<details>``)."""
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = ["answer"]
    return cell
