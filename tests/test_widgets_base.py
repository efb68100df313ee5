"""The base every widget shares: lazy UI, guard (one-line error, state kept), syncing, traitlets sync.

A throw-away model in this file (a counter that refuses negative values) drives the base
directly, so the test checks the scaffolding itself rather than one widget's use of it.
"""

from __future__ import annotations

import pytest
import traitlets
from widget_tree import imported_by

from tdxlab.widgets._base import WidgetModel, WidgetUI, one_line


class Counter(WidgetModel["CounterUI"]):
    value = traitlets.Int(0, read_only=True)

    def set_value(self, n: int) -> None:
        if n < 0:
            raise ValueError(f"value must be >= 0,\n  got {n}")  # two lines on purpose
        with self.hold_trait_notifications():
            self.set_trait("value", n)
            self._changed()

    def _build_ui(self) -> CounterUI:
        return CounterUI(self)


class CounterUI(WidgetUI):
    def __init__(self, model: Counter) -> None:
        import ipywidgets as w

        super().__init__(model)
        self.counter = model
        self.calls: list[int] = []
        self.redraws = 0
        self.box = w.IntText(value=model.value)
        self.shown = w.HTML()
        self.on_value(self.box, self._set, lambda: model.value)
        self.root = w.VBox([self.box, self.error, self.shown])
        self.refresh()

    def _set(self, n: int) -> None:
        self.calls.append(n)
        self.counter.set_value(n)

    def sync(self) -> None:
        self.box.value = self.counter.value

    def redraw(self) -> None:
        self.redraws += 1
        self.shown.value = f"value {self.counter.value}"


@pytest.fixture
def counter() -> Counter:
    c = Counter()
    c.widget  # noqa: B018  (build the UI)
    return c


def _ui(c: Counter) -> CounterUI:
    assert c._ui is not None
    return c._ui


def test_ui_is_built_once_on_first_use() -> None:
    c = Counter()
    assert c._ui is None
    root = c.widget
    assert c.widget is root and c._ui is not None
    assert "application/vnd.jupyter.widget-view+json" in c._repr_mimebundle_()


def test_model_changes_reach_the_ui_through_revision_without_feedback() -> None:
    c = Counter()
    ui = c._build_ui()
    c._ui = ui
    c.set_value(5)
    assert c.revision == 1
    assert ui.box.value == 5 and ui.shown.value == "value 5"
    assert ui.calls == []  # syncing: setting the control from the model did not call back


def test_control_changes_reach_the_model(counter: Counter) -> None:
    c, ui = counter, _ui(counter)
    ui.box.value = 3
    assert c.value == 3 and ui.calls == [3]
    assert ui.shown.value == "value 3" and ui.error.value == ""


def test_guard_shows_one_line_and_keeps_state(counter: Counter) -> None:
    c, ui = counter, _ui(counter)
    ui.box.value = 4
    ui.box.value = -2  # refused by the model
    assert c.value == 4 and c.revision == 1
    assert ui.box.value == 4  # the control snapped back to the model's value
    assert "tdxlab-error" in ui.error.value
    assert "value must be &gt;= 0, got -2" in ui.error.value and "\n" not in ui.error.value
    ui.box.value = 6  # the next good action clears the error
    assert c.value == 6 and ui.error.value == ""


def test_syncing_nests_and_ends() -> None:
    ui = Counter()._build_ui()
    assert not ui.is_syncing
    with ui.syncing():
        with ui.syncing():
            assert ui.is_syncing
            ui.box.value = 9  # ignored: the observer is quiet while syncing
        assert ui.is_syncing
    assert not ui.is_syncing
    assert ui.calls == [] and ui.counter.value == 0


def test_one_line() -> None:
    assert one_line(ValueError("a\n  b")) == "a b"
    assert one_line(ValueError()) == "ValueError"


def test_no_widget_module_imports_ipywidgets_or_pil() -> None:
    code = (
        "import importlib, pkgutil, tdxlab.widgets as pkg\n"
        "for m in pkgutil.iter_modules(pkg.__path__):\n"
        "    importlib.import_module(f'tdxlab.widgets.{m.name}')\n"
    )
    assert imported_by(code, ("ipywidgets", "PIL", "matplotlib")) == []
