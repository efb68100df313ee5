"""End to end in a real browser: notebook 02 in JupyterLab, the Stepper clicked like a student would.

Opens ``notebooks/02_stepping_through_vtl_switches.ipynb`` in headless Chromium, runs every
cell, then drives the interactive Stepper (the one widget with the ``tdxlab-stepper``
class) through the secure-call round trip under ``naive``: the red banner must appear at
the final VTL 0 entry (step 30) naming ``rip``, and must disappear when the ``split``
design button is pressed (the step is kept).  Every click is a browser -> kernel ->
browser round trip through the widget comm, so each one waits for the step line to show
the new step before the next.

Screenshots (of the Stepper only, so they read well in the README): ``test-output/
stepper-violation.png`` (naive, banner up) and ``test-output/stepper.png`` (after
switching to split).  With ``TDXLAB_UPDATE_DOCS_SCREENSHOT=1`` the violation shot is
also copied to ``docs/img/stepper.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import ROOT, LabServer, open_notebook_and_run_all, save_screenshot

pytestmark = pytest.mark.browser

NOTEBOOK = "02_stepping_through_vtl_switches.ipynb"
LAST_STEP = 30  # secure_call_round_trip: 31 events, steps 0..30; step 30 = VTL 0's final entry
OUTPUT = ROOT / "test-output"
DOCS_SHOT = ROOT / "docs" / "img" / "stepper.png"
CLICK_TIMEOUT_MS = 20_000


def _shoot(page: Page, stepper: Locator, name: str, max_height: int = 1400) -> Path:
    """Screenshot the Stepper alone (its top ``max_height`` pixels: controls, banner, table, first page).

    The viewport is made tall first: JupyterLab scrolls the notebook inside its own panel,
    so a widget taller than the viewport would otherwise come out cut off.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    page.set_viewport_size({"width": 1400, "height": max_height + 600})
    stepper.evaluate("el => el.scrollIntoView({block: 'start'})")
    box = stepper.bounding_box()
    assert box is not None, "the Stepper is not on screen"
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], max_height)}
    page.screenshot(path=str(path), clip=clip)
    return path


def test_stepper_round_trip_banner_and_design_switch(page: Page, lab_server: LabServer) -> None:
    assert open_notebook_and_run_all(page, lab_server, NOTEBOOK) == []

    stepper = page.locator(".widget-box.tdxlab-stepper")
    expect(stepper).to_have_count(1)
    position = stepper.locator(".tdxlab-position")
    # It starts before step 0 of the secure-call scenario under naive, with no banner.
    expect(position).to_contain_text("Before step 0")
    expect(position).to_contain_text("design naive")
    expect(position).to_contain_text("scenario secure_call_round_trip")
    naive = stepper.get_by_role("button", name="naive", exact=True)
    expect(naive).to_have_class(re.compile(r"\bmod-active\b"))
    expect(stepper.locator(".tdxlab-banner")).to_have_count(0)

    step = stepper.get_by_role("button", name="Step", exact=True)
    for k in range(LAST_STEP + 1):
        step.click()
        expect(position).to_contain_text(f"Step {k} of 0–{LAST_STEP}", timeout=CLICK_TIMEOUT_MS)
    expect(step).to_be_disabled()  # the round trip is complete

    banner = stepper.locator(".tdxlab-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"step {LAST_STEP}")
    rip_lines = banner.locator(".tdxlab-violation").filter(has_text=re.compile(r"\brip\b"))
    expect(rip_lines.first).to_be_visible()
    # The byte grid shows the run page with changed bytes marked, the table marks rip.
    expect(stepper.locator(".tdxlab-bytegrid").first).to_be_visible()
    expect(stepper.locator('.tdxlab-row-mismatch[data-reg="rip"]')).to_have_count(1)
    violation_shot = _shoot(page, stepper, "stepper-violation.png")

    stepper.get_by_role("button", name="split", exact=True).click()
    expect(position).to_contain_text("design split", timeout=CLICK_TIMEOUT_MS)
    expect(position).to_contain_text(f"Step {LAST_STEP} of 0–{LAST_STEP}")
    expect(stepper.locator(".tdxlab-banner")).to_have_count(0)
    expect(stepper.locator(".tdxlab-row-mismatch")).to_have_count(0)
    shot = _shoot(page, stepper, "stepper.png")
    save_screenshot(page, "stepper-notebook")  # the whole page too, for context

    assert shot.stat().st_size > 10_000 and violation_shot.stat().st_size > 10_000
    if os.environ.get("TDXLAB_UPDATE_DOCS_SCREENSHOT") == "1":
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(violation_shot, DOCS_SHOT)
