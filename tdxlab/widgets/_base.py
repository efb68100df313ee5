"""The one base every tdxlab widget shares: a plain-Python model and a lazily built ipywidgets view.

Why: each widget must work from plain Python (tests, scripts, ``print``) without importing
ipywidgets, yet show itself when it is a notebook cell's value; and every UI needs the
same three pieces of scaffolding, which used to be copied into each widget:

* **guard** an action: run it, and if it fails with a user mistake show its one-line
  message in the UI's error line and bring the controls back to the model's state (the
  model never changes on a failed action, so nothing is lost);
* **syncing**: while the UI pushes the model's state into its controls, the controls'
  observers must not fire back into the model;
* **refresh**: controls from the model, then the views.

The model is a :class:`traitlets.HasTraits` (traitlets ships with ipywidgets but is not
an ipywidgets import): its typed traits (``index``, ``scenario``, ``budget`` ...) hold
its state, and every committed change bumps :attr:`WidgetModel.revision`.  The UI
observes ``revision`` and refreshes, so the model never calls its UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import traitlets

from tdxlab.render.stepper_views import error_html
from tdxlab.widgets.snapshot import with_snapshot


class WidgetUI:
    """The ipywidgets face of one model; subclasses build ``root`` and say how to sync and redraw.

    A subclass imports ipywidgets in its ``__init__``, calls ``super().__init__(model)``
    first (that makes :attr:`error`, the one-line error box), builds its controls,
    wires them with :meth:`on_value` / :meth:`on_click`, sets ``root`` and ends with
    :meth:`refresh`.
    """

    #: Exceptions that are user mistakes (one line in the error box); anything else is a bug.
    errors: ClassVar[tuple[type[Exception], ...]] = (ValueError,)

    root: Any

    def __init__(self, model: WidgetModel[Any]) -> None:
        """Make the error line and follow the model's changes."""
        import ipywidgets as w

        self.model = model
        self._sync_depth = 0
        self.error = w.HTML()
        model.observe(self._on_model, names="revision")

    # --- the scaffolding ------------------------------------------------------------------------
    @contextmanager
    def syncing(self) -> Iterator[None]:
        """Inside this block the controls' observers ignore changes (they come from the model)."""
        self._sync_depth += 1
        try:
            yield
        finally:
            self._sync_depth -= 1

    @property
    def is_syncing(self) -> bool:
        """True while :meth:`syncing` is active."""
        return self._sync_depth > 0

    def guard(self, action: Callable[[], object]) -> bool:
        """Run ``action``; a user mistake goes to the error line and the controls snap back.

        Returns True when the action succeeded.  A successful action that changed the
        model has already refreshed the view (through ``revision``); the error line is
        cleared either way.
        """
        try:
            action()
        except self.errors as exc:
            self.error.value = error_html(one_line(exc))
            self.refresh(keep_error=True)
            return False
        self.error.value = ""
        return True

    def refresh(self, keep_error: bool = False) -> None:
        """Bring every control in line with the model (observers quiet), then redraw the views."""
        with self.syncing():
            self.sync()
        if not keep_error:
            self.error.value = ""
        self.redraw()

    def sync(self) -> None:
        """Push the model's state into the controls (runs inside :meth:`syncing`)."""

    def redraw(self) -> None:
        """Redraw the views from the model."""

    # --- wiring ---------------------------------------------------------------------------------
    def on_value(self, control: Any, action: Callable[[Any], object],
                 current: Callable[[], object] | None = None) -> None:
        """When the user changes ``control``'s value, guard ``action(new value)`` (never while syncing).

        ``current`` reads the model's own value: a change to it is not acted on (it
        comes from the model, e.g. a dropdown set back to the value it already shows).
        """

        def handler(change: dict[str, Any]) -> None:
            new = change["new"]
            if not self.is_syncing and (current is None or new != current()):
                self.guard(lambda: action(new))

        control.observe(handler, names="value")

    def on_click(self, button: Any, action: Callable[[], object]) -> None:
        """When ``button`` is clicked, guard ``action()``."""
        button.on_click(lambda _b: self.guard(action))

    def trace_source(self, model: _TraceSource, load_tooltip: str) -> Any:
        """The scenario dropdown, trace-file box and Load button of a widget that reads traces.

        Wired to the model's ``load_scenario`` and ``load_trace``; sets ``self.scenario``,
        ``self.path`` and ``self.load`` and returns them in one row.
        """
        import ipywidgets as w

        from tdxlab.scenarios import SCENARIOS

        self.scenario = w.Dropdown(options=list(SCENARIOS), value=model.scenario, description="Scenario",
                                   layout=w.Layout(width="330px"))
        self.path = w.Text(placeholder="path/to/trace.jsonl", description="Trace file",
                           layout=w.Layout(width="320px"))
        self.load = w.Button(description="Load trace", tooltip=load_tooltip)
        self.on_value(self.scenario, model.load_scenario, lambda: model.scenario)
        self.on_click(self.load, lambda: model.load_trace(self.path.value))
        return w.HBox([self.scenario, self.path, self.load])

    def _on_model(self, _change: dict[str, Any]) -> None:
        self.refresh()


class _TraceSource(Protocol):
    """A model that shows one scenario or trace file (the Stepper, the comparison)."""

    @property
    def scenario(self) -> str | None: ...

    def load_scenario(self, name: str) -> object: ...

    def load_trace(self, trace: str) -> object: ...


def one_line(exc: BaseException) -> str:
    """An exception's message as one line (what the error box shows)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


U = TypeVar("U", bound=WidgetUI)


class WidgetModel(traitlets.HasTraits, Generic[U]):
    """The plain-Python half: typed traits hold the state; ``widget`` builds the UI on first use."""

    revision = traitlets.Int(0, read_only=True, help="bumped by every committed change of state")

    _ui: U | None = None

    def _build_ui(self) -> U:
        raise NotImplementedError

    @property
    def widget(self) -> Any:
        """The ipywidgets UI (built on first use; ipywidgets is imported only then).

        Displayed, it carries a static snapshot of itself (``text/html``, taken at display
        time) beside the widget view: JupyterLab shows the live view, while a notebook
        rendered without a kernel (``python3 dev.py site``, nbconvert) shows the snapshot.
        See :mod:`tdxlab.widgets.snapshot`.
        """
        if self._ui is None:
            self._ui = self._build_ui()
            with_snapshot(self._ui.root)
        return self._ui.root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Show the interactive widget (and its static snapshot) when the object is a cell's value."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _changed(self) -> None:
        """Announce a committed change: the UI (if built) refreshes."""
        self.set_trait("revision", self.revision + 1)


__all__ = ["WidgetModel", "WidgetUI", "one_line"]
