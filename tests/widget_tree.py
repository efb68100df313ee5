"""Helpers the widget tests share: walk an ipywidgets tree, find one widget in it, and see
which heavy libraries a piece of code imports (in a fresh interpreter, so nothing an earlier
test imported counts)."""

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any


def walk(widget: Any) -> Iterator[Any]:
    """Every widget in a tree, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find(root: Any, kind: str, description: str | None = None, cls: str | None = None) -> Any:
    """The first widget of class name ``kind`` (optionally with that description / CSS class)."""
    for w in walk(root):
        if type(w).__name__ != kind:
            continue
        if description is not None and getattr(w, "description", None) != description:
            continue
        if cls is not None and cls not in w._dom_classes:
            continue
        return w
    raise AssertionError(f"no {kind} {description or cls or ''} in the widget tree")


def imported_by(code: str, modules: Iterable[str]) -> list[str]:
    """Which of ``modules`` are in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {sorted(modules)!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(out.stdout)
    return found
