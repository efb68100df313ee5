"""The lazy-UI pattern every widget shares: a plain-Python object that builds its ipywidgets on demand.

Why: each widget must work from plain Python (tests, scripts) without importing
ipywidgets, yet display itself when it is a notebook cell's value.  The UI is built on
first use of :attr:`LazyUI.widget`; subclasses say how with :meth:`LazyUI._build_ui`.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar


class _HasRoot(Protocol):
    root: Any


U = TypeVar("U", bound=_HasRoot)


class LazyUI(Generic[U]):
    """Mixin: ``widget`` builds the UI once; ``_repr_mimebundle_`` shows it in a notebook."""

    _ui: U | None = None

    def _build_ui(self) -> U:
        raise NotImplementedError

    @property
    def widget(self) -> Any:
        """The ipywidgets UI (built on first use; ipywidgets is imported only then)."""
        if self._ui is None:
            self._ui = self._build_ui()
        return self._ui.root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Show the interactive widget when the object is the value of a notebook cell."""
        return self.widget._repr_mimebundle_(**kwargs)
