"""Real-browser harness: a throw-away JupyterLab server driven by headless Debian Chromium.

Why a real browser: notebooks that pass under nbmake can still be broken for a user — a
widget that never renders, a button wired to nothing, a view cut off by JupyterLab's
virtual scrolling. These fixtures run the notebooks the way a teacher would, in JupyterLab.

Conventions (see /work/shared/CONVENTIONS.md, "Real-browser test recipe"):

* The server serves a *copy* of ``notebooks/`` (tests may add or run notebooks freely),
  uses a random token and a free port, and gets its own settings dir with
  ``windowingMode: "none"`` so cells scrolled off screen still exist in the page.
* Chromium is Debian's ``/usr/bin/chromium`` (``python3 dev.py test`` installs it). We
  never run ``playwright install``: it downloads a browser, which fails on CI.
* Screenshots and the server log go to ``test-output/browser/`` at the repo root
  (git-ignored, stable path, kept after the run so a failure can be looked at).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = ROOT / "test-output" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 60.0
KERNEL_TIMEOUT_MS = 120_000
RUN_ALL_TIMEOUT_MS = 180_000

#: JupyterLab user settings written before the server starts (plugin id -> settings).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # Render every cell, not only the visible ones, so locators can find any output.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No "would you like news?" toast and no update check over the network.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it is, how to log in, and the folder it serves."""

    base_url: str
    token: str
    root_dir: Path
    log_path: Path

    def url(self, path: str) -> str:
        """Absolute URL for ``path`` (e.g. ``lab/tree/x.ipynb``) with the login token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _write_lab_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its kernels: SIGTERM to its process group, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab serving a temporary copy of ``notebooks/``; stopped after the session."""
    base = tmp_path_factory.mktemp("lab")
    root_dir = base / "notebooks"
    source = ROOT / "notebooks"
    if source.is_dir():
        shutil.copytree(source, root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    else:
        root_dir.mkdir()
    settings_dir = base / "lab-settings"
    _write_lab_settings(settings_dir)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT_DIR / "jupyter-server.log"

    port, token = _free_port(), secrets.token_hex(24)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "lab-workspaces"),
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),  # ignore the user's config
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
    }
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        f"--ServerApp.root_dir={root_dir}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, root_dir, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"{server.base_url}/api", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jupyter lab not ready after {SERVER_START_TIMEOUT_S:.0f} s:\n{_tail(log_path)}"
                )
            time.sleep(0.25)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium through Playwright (never a Playwright-downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `python3 dev.py test`, which installs Debian's chromium "
            "(or `apt-get install -y chromium` as root). Never `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser page per test; on failure a screenshot is kept in test-output/browser/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            save_screenshot(pg, f"{request.node.name}-FAILED")
        context.close()
        if "lab_server" in request.fixturenames:
            # Each test starts from fresh kernels: no state (or memory) carries over.
            _delete_sessions(request.getfixturevalue("lab_server"))


def _delete_sessions(server: LabServer) -> None:
    """Shut down every kernel session on ``server`` through the REST API."""
    headers = {"Authorization": f"token {server.token}"}
    listing = urllib.request.Request(f"{server.base_url}/api/sessions", headers=headers)
    with urllib.request.urlopen(listing, timeout=10) as resp:
        sessions = json.load(resp)
    for session in sessions:
        url = f"{server.base_url}/api/sessions/{session['id']}"
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers, method="DELETE"), timeout=30
        ):
            pass


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def save_screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot at ``test-output/browser/<name>.png``; returns the path."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = OUTPUT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_KERNEL_IDLE_JS = """
(relpath) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  const panel = app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== relpath) return false;
  const sc = panel.sessionContext;
  if (!sc || !sc.isReady || !sc.session || !sc.session.kernel) return false;
  return sc.session.kernel.status === "idle" && panel.content.widgets.length > 0;
}
"""

_RUN_ALL_JS = """
async () => {
  await window.jupyterapp.commands.execute("notebook:run-all-cells");
}
"""

# Run-all stops at the first error, so "done" is: every code cell ran, or one raised.
_RUN_FINISHED_JS = """
() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets
    .filter((cell) => cell.model.type === "code");
  const raised = cells.some(
    (cell) => cell.model.outputs.toJSON().some((out) => out.output_type === "error"));
  return raised || cells.every(
    (cell) => cell.model.sharedModel.getSource().trim() === "" || cell.model.executionCount !== null);
}
"""

_ERRORS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const errors = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== "code") return;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === "error") errors.push(`cell ${index}: ${out.ename}: ${out.evalue}`);
    }
  });
  return errors;
}
"""


def open_notebook_and_run_all(
    page: Page, server: LabServer, relpath: str, *, allow_errors: bool = False
) -> list[str]:
    """Open ``relpath`` (relative to the served folder) in JupyterLab and run every cell.

    Waits for the kernel to be idle before and after, and until every code cell has an
    execution count or one has raised (run-all stops there). Returns the error outputs
    (``"cell N: Name: value"``); unless ``allow_errors`` is true, any error output fails
    the test with those lines.
    """
    page.goto(server.url(f"lab/tree/{quote(relpath)}"), wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function(_KERNEL_IDLE_JS, arg=relpath, timeout=KERNEL_TIMEOUT_MS)
    page.evaluate(_RUN_ALL_JS)
    page.wait_for_function(_RUN_FINISHED_JS, timeout=RUN_ALL_TIMEOUT_MS)
    page.wait_for_function(_KERNEL_IDLE_JS, arg=relpath, timeout=RUN_ALL_TIMEOUT_MS)
    errors: list[str] = page.evaluate(_ERRORS_JS)
    if errors and not allow_errors:
        shot = save_screenshot(page, f"{Path(relpath).stem}-errors")
        pytest.fail(f"{relpath} raised in JupyterLab (screenshot {shot}):\n" + "\n".join(errors))
    return errors
