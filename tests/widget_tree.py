"""Helpers the widget tests share: walk an ipywidgets tree and find one widget in it."""

from collections.abc import Iterator
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
