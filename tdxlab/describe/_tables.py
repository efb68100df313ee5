"""The one check every phrase table of :mod:`tdxlab.describe` runs when it is imported.

Phrase tables are keyed by an enum (an :class:`~tdxlab.owners.Owner`, an
:class:`~tdxlab.sim.events.Op`, a :class:`~tdxlab.sim.checker.ViolationKind` ...), so a new
member without its words is a bug that can be found before anything is shown: the
module that holds the table calls :func:`complete` right after it, and importing
``tdxlab.describe`` fails naming the member, instead of a ``KeyError`` in a view later.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def complete(table: Mapping[E, str], enum: type[E], name: str) -> None:
    """Raise :class:`ImportError` naming every member of ``enum`` that ``table`` has no phrase for.

    Keys that are not members of ``enum`` (a string where the enum was meant) count as
    missing the member, so a table keyed by values instead of members fails too.
    """
    missing = [m.name for m in enum if m not in table]
    if missing:
        raise ImportError(f"tdxlab.describe.{name} has no phrase for {enum.__name__} {', '.join(missing)}")
