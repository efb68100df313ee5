"""Smoke test of the browser harness itself: JupyterLab starts, runs a notebook, renders widgets.

If this fails, every other browser test would fail for the same reason, so it names the
basics: server, kernel, output rendering, the ipywidgets front end, and a kernel round trip.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from playwright.sync_api import Page, expect

from .conftest import LabServer, open_notebook_and_run_all, save_screenshot

pytestmark = pytest.mark.browser

# The printed marker is computed in the kernel, so it cannot match the cell's source text.
SOURCE = """\
import ipywidgets as widgets
from IPython.display import display

print("tdxlab-smoke-" + str(6 * 7))
clicks = widgets.Label("clicks: 0")
button = widgets.Button(description="Smoke button")

def on_click(_button):
    clicks.value = "clicks: " + str(int(clicks.value.split()[-1]) + 1)

button.on_click(on_click)
display(widgets.HBox([button, clicks]))
"""


def test_notebook_runs_and_widgets_work(page: Page, lab_server: LabServer) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_markdown_cell("# Smoke"), nbformat.v4.new_code_cell(SOURCE)]
    relpath = "_smoke/smoke.ipynb"
    (lab_server.root_dir / "_smoke").mkdir(exist_ok=True)
    nbformat.write(notebook, lab_server.root_dir / relpath)

    errors = open_notebook_and_run_all(page, lab_server, relpath)
    assert errors == []

    output = page.locator(".jp-OutputArea-output").filter(has_text="tdxlab-smoke-42")
    expect(output).to_be_visible()
    button = page.get_by_role("button", name="Smoke button")
    expect(button).to_be_visible()

    # A click travels browser -> kernel -> browser through the widget comm.
    button.click()
    expect(page.get_by_text(re.compile(r"^clicks: 1$"))).to_be_visible()
    shot = save_screenshot(page, "lab_smoke")
    assert shot.stat().st_size > 0
