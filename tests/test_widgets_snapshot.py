"""Static snapshots of the widgets: the ``text/html`` a widget's display carries beside its live view.

A page rendered without a kernel (``python3 dev.py site``) shows the snapshot, so it must be
the view the widget shows at that moment: every HTML value and image of the widget tree, the
controls at their current values, and nothing that loads from the network.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pytest
from IPython.core.formatters import DisplayFormatter
from widget_tree import find, imported_by, walk

from tdxlab.widgets import snapshot
from tdxlab.widgets.anatomy import AnatomyExplorer
from tdxlab.widgets.compare import DesignComparison
from tdxlab.widgets.cost import CostExplorer
from tdxlab.widgets.finder import CounterexampleFinder
from tdxlab.widgets.snapshot import SNAPSHOT_CLASS, WIDGET_VIEW, snapshot_html, with_snapshot
from tdxlab.widgets.stepper import Stepper
from tdxlab.widgets.your_design import YourDesign


def _replayed_finder() -> CounterexampleFinder:
    finder = CounterexampleFinder("naive", budget=4)
    finder.search()
    finder.replay()  # the widget then embeds the replay's Stepper: a tree inside the tree
    return finder


MODELS: dict[str, Callable[[], Any]] = {
    "stepper": lambda: Stepper(scenario="secure_call_round_trip", design="naive"),
    "anatomy": lambda: AnatomyExplorer("hcl_run", field="context.gpr_list.rip"),
    "compare": lambda: DesignComparison("secure_call_round_trip"),
    "cost": CostExplorer,
    "finder": _replayed_finder,
    "your_design": lambda: YourDesign(base="bank", budget=0),
}


def _displayed(obj: object) -> dict[str, Any]:
    """What IPython sends for ``obj`` as a cell's value (the MIME bundle)."""
    data, _metadata = DisplayFormatter().format(obj)
    return data


@pytest.fixture(params=list(MODELS), ids=list(MODELS))
def model(request: pytest.FixtureRequest) -> Any:
    return MODELS[request.param]()


def test_the_display_carries_the_live_view_and_a_snapshot_of_every_value_in_the_tree(model: Any) -> None:
    data = _displayed(model.widget)
    assert WIDGET_VIEW in data and data["text/plain"]  # the live view is still what JupyterLab shows
    html = data["text/html"]
    assert html.startswith(f'<div class="{SNAPSHOT_CLASS}"')
    shown = 0
    for widget in walk(model.widget):
        if isinstance(widget, w.HTML) and widget.value:
            assert widget.value in html, f"{type(model).__name__}: an HTML view is missing"
            shown += 1
        elif isinstance(widget, w.Image) and bytes(widget.value):
            assert base64.b64encode(bytes(widget.value)).decode() in html
            shown += 1
    assert shown >= 1
    assert _displayed(model)["text/html"] == html  # the model as a cell's value shows the same


def test_snapshots_load_nothing_and_run_nothing(model: Any) -> None:
    html = _displayed(model.widget)["text/html"]
    assert "<script" not in html.lower()
    assert not re.search(r"""\s(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.IGNORECASE)


def test_controls_show_their_current_values() -> None:
    stepper = Stepper(scenario="secure_call_round_trip", design="naive")
    html = snapshot_html(stepper.widget)
    assert '<button type="button" disabled aria-pressed="true" style="font-weight: 600; ' in html
    assert re.search(r'aria-pressed="true"[^>]*>naive</button>', html)
    assert re.search(r'aria-pressed="false"[^>]*>bank</button>', html)
    assert "<option selected>secure_call_round_trip</option>" in html
    assert re.search(r'disabled[^>]*title="apply the next event">Step</button>', html)
    # the hex dump is drawn only while its accordion is open: collapsed and said so
    assert f"<details><summary>Hex dump with field names</summary><div style=\"{snapshot._NOTE}\">" in html
    assert snapshot.EMPTY_PART in html


def test_the_snapshot_is_taken_when_displayed_so_it_follows_the_model() -> None:
    stepper = Stepper(scenario="secure_call_round_trip", design="naive")
    before = _displayed(stepper.widget)["text/html"]
    stepper.goto(28)
    after = _displayed(stepper.widget)["text/html"]
    assert after != before
    assert find(stepper.widget, "HTML", cls="tdxlab-panel-event").value in after
    assert 'value="28"' in after  # the step slider


def test_an_open_accordion_is_an_open_details() -> None:
    box = w.Accordion(children=[w.HTML("<b>one</b>"), w.HTML("<b>two</b>")], titles=("One", "Two"))
    box.selected_index = 1
    html = snapshot_html(box)
    assert "<details><summary>One</summary><div><b>one</b></div></details>" in html
    assert "<details open><summary>Two</summary><div><b>two</b></div></details>" in html


def test_hidden_widgets_are_left_out_and_text_is_escaped() -> None:
    box = w.VBox([w.HTML("<i>kept</i>", layout=w.Layout(display="none")), w.Label("<not html>"),
                  w.Text(value='a "quoted" value', description="Path")])
    html = snapshot_html(box)
    assert "kept" not in html
    assert "&lt;not html&gt;" in html
    assert 'value="a &quot;quoted&quot; value"' in html and ">Path</span>" in html


def test_a_failing_snapshot_keeps_the_live_view(monkeypatch: pytest.MonkeyPatch) -> None:
    widget = with_snapshot(w.VBox([w.HTML("x")]))

    def broken(_widget: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(snapshot, "snapshot_html", broken)
    data = _displayed(widget)
    assert WIDGET_VIEW in data
    error = f'<div class="{SNAPSHOT_CLASS}-error">no static snapshot: RuntimeError: boom</div>'
    assert data["text/html"] == error


def test_with_snapshot_twice_adds_one_snapshot() -> None:
    widget = with_snapshot(with_snapshot(w.HTML("once")))
    assert _displayed(widget)["text/html"].count("once") == 1


def test_importing_the_snapshot_module_imports_no_ui_library() -> None:
    assert imported_by("import tdxlab.widgets.snapshot", ("ipywidgets", "matplotlib")) == []
