"""The review report in a real browser: verdict and charts visible, nothing fetched from the network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tdxlab.commands import main
from tdxlab.sim.design_file import shipped_design_files

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_report_html_shows_the_verdict_and_a_chart(page: Page, tmp_path: Path) -> None:
    proposal = str(shipped_design_files()["split-fx-per-vtl"])
    assert main(["review", "--design-file", proposal, "--against", "split", "--out", str(tmp_path)]) == 0
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((tmp_path / "report.html").as_uri())
    verdict = page.locator("p.verdict").first
    assert verdict.is_visible()
    assert verdict.inner_text().startswith("VERIFIED (1 VP, 2 lower VTLs)")
    assert verdict.get_attribute("data-verdict") == "safe"
    chart = page.locator("figure#bytes_copied svg")
    box = chart.bounding_box()
    assert chart.is_visible() and box is not None and box["width"] > 100 and box["height"] > 50
    assert all(url.startswith("file://") for url in requests), requests  # self-contained
