"""Packaging and project-infrastructure contracts.

These guard promises made to users outside the library code: the core stays importable
without the plotting/UI stack, the built wheel ships its type marker and data, the conda
wrapper agrees with pyproject.toml, and the README and CI really use the two documented
commands.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import yaml  # PyYAML: a dependency of jupyter-events, hence of jupyterlab

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Subpackages allowed to import matplotlib / ipywidgets; everything else is "core".
UI_PACKAGES = ("tdxlab.render", "tdxlab.widgets")
FORBIDDEN_IN_CORE = ("matplotlib", "ipywidgets")


def _floor(spec: str) -> tuple[int, ...]:
    """The lower bound of a '>=X.Y' version spec, as a tuple."""
    match = re.fullmatch(r"\s*>=\s*(\d+(?:\.\d+)*)\s*", spec)
    assert match, f"expected a '>=X.Y' floor, got {spec!r}"
    return tuple(int(part) for part in match.group(1).split("."))


# --------------------------------------------------------------------------- environment.yml


def test_environment_yml_agrees_with_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == "tdxlab"
    deps = env["dependencies"]
    conda_specs = [d for d in deps if isinstance(d, str)]
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]

    pythons = [d for d in conda_specs if re.match(r"python\b", d)]
    assert len(pythons) == 1, f"one python spec expected, got {pythons}"
    assert _floor(pythons[0][len("python") :]) == _floor(PYPROJECT["project"]["requires-python"])

    assert "pip" in conda_specs
    # Thin wrapper: conda brings only python and pip; all packages come from pyproject.toml.
    assert sorted(conda_specs) == sorted([pythons[0], "pip"]), conda_specs
    assert pip_lists == [["-e .[test]"]]
    assert "test" in PYPROJECT["project"]["optional-dependencies"]


# --------------------------------------------------------------------------- import-clean core

_IMPORT_CORE = r"""
import importlib, json, pkgutil, sys

UI = tuple(sys.argv[1].split(","))
FORBIDDEN = tuple(sys.argv[2].split(","))
culprits = {}  # forbidden top-level name -> the tdxlab module whose import pulled it in

def note(name):
    for bad in FORBIDDEN:
        if bad in sys.modules and bad not in culprits:
            culprits[bad] = name

def is_ui(name):
    return any(name == p or name.startswith(p + ".") for p in UI)

def walk(package):
    # pkgutil.walk_packages would import tdxlab.render / tdxlab.widgets just to list their
    # children (pulling matplotlib in), so walk with pkgutil.iter_modules and stop at them.
    names = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if is_ui(info.name) or info.name == "tdxlab.__main__":  # __main__ runs the CLI
            continue
        module = importlib.import_module(info.name)
        note(info.name)
        names.append(info.name)
        if info.ispkg:
            names.extend(walk(module))
    return names

for name in ("tdxlab", "tdxlab.layout.catalog", "tdxlab.registers", "tdxlab.cli"):
    importlib.import_module(name)
    note(name)
import tdxlab, tdxlab.cli, tdxlab.commands
imported = ["tdxlab", *walk(tdxlab)]
tdxlab.commands.build_parser()  # imports every sub-command module, the CLI's and the higher ones
note("tdxlab.commands.build_parser()")
modules = [*tdxlab.cli.SUBCOMMANDS, *(m.__name__ for m in tdxlab.commands.HIGHER)]
print(json.dumps({"imported": imported, "cli": modules, "culprits": culprits}))
"""


def test_core_imports_without_matplotlib_or_ipywidgets() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_CORE, ",".join(UI_PACKAGES), ",".join(FORBIDDEN_IN_CORE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"importing the core failed:\n{done.stderr}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("tdxlab.layout.catalog", "tdxlab.registers", "tdxlab.cli", "tdxlab.sources"):
        assert name in report["imported"]
    for name in report["cli"]:
        # sub-commands live in the CLI or, when they draw, in rendering (added by tdxlab.commands);
        # either way building the parser must not import a plotting library (culprits below)
        assert name.startswith(("tdxlab.cli.", "tdxlab.render.")), f"sub-command module {name}"
    assert report["culprits"] == {}, (
        f"the model core imports {sorted(report['culprits'])} (first via {report['culprits']}); "
        f"only {UI_PACKAGES} may import them"
    )


def test_python_m_tdxlab_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tdxlab", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: tdxlab")
    assert done.stderr == ""


def test_console_script_installed() -> None:
    assert PYPROJECT["project"]["scripts"]["tdxlab"] == "tdxlab.commands:main"
    script = Path(sys.executable).parent / "tdxlab"
    assert script.is_file(), f"{script} missing: reinstall with `python3 dev.py test`"


# --------------------------------------------------------------------------- the built wheel


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Names inside a wheel built from a copy of the source (the repo is left untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "tdxlab", src / "tdxlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert done.returncode == 0, f"building the wheel failed:\n{done.stdout}\n{done.stderr}"
    wheels = list(out.glob("tdxlab-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.namelist()


def test_wheel_ships_py_typed(wheel_names: list[str]) -> None:
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["tdxlab"]
    assert "tdxlab/py.typed" in wheel_names


def test_wheel_ships_every_subpackage_and_data(wheel_names: list[str]) -> None:
    for init in sorted((ROOT / "tdxlab").rglob("__init__.py")):
        if "__pycache__" in init.parts:
            continue
        assert init.relative_to(ROOT).as_posix() in wheel_names
    for data in sorted((ROOT / "tdxlab" / "scenarios").glob("*.jsonl")):
        assert data.relative_to(ROOT).as_posix() in wheel_names
    assert not any(n.startswith(("tests/", "notebooks/", "benchmarks/")) for n in wheel_names)


# --------------------------------------------------------------------------- README, CI, dev.py

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_SHELL_LANGS = {"", "sh", "bash", "shell", "console", "zsh", "shell-session"}


def test_readme_has_exactly_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands: list[str] = []
    for lang, body in _FENCE.findall(text):
        if lang.strip().lower() not in _SHELL_LANGS:
            continue  # ```python, ```text etc. are examples or output, not commands
        for line in body.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                commands.append(line)
    assert commands == ["python3 dev.py lab", "python3 dev.py test"], (
        "the README's fenced shell blocks (```sh, ```bash, ```console or unlabelled) must hold "
        f"exactly the two set-up commands; found {commands}. Put other examples in ```text"
    )


def test_ci_runs_the_documented_command() -> None:
    ci = ROOT / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^exec python3 dev\.py test\s*$", text, re.MULTILINE)
    assert os.access(ci, os.X_OK), ".ci/run must be executable (chmod +x)"


def test_dev_py_uses_only_the_standard_library() -> None:
    tree = ast.parse((ROOT / "dev.py").read_text(encoding="utf-8"))
    top: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top.add(node.module.split(".")[0])
    assert top, "dev.py imports nothing?"
    assert top <= set(sys.stdlib_module_names) | {"__future__"}, top - set(sys.stdlib_module_names)


def test_dev_py_help_names_its_commands() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "{lab,test,regen,site}" in done.stdout


def test_dev_py_regen_takes_no_arguments() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "dev.py"), "regen", "--write"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "dev.py regen: takes no arguments, got --write\n"


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    """dev.py imported as a module (it is a script at the repo root, not part of the package)."""
    spec = importlib.util.spec_from_file_location("tdxlab_dev_py", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.parametrize(("argv", "expected"), [
    ([], ["--ip=127.0.0.1"]),  # pinned: beats a jupyter_server_config.py that opens it up
    (["--port", "9999"], ["--ip=127.0.0.1", "--port", "9999"]),
    (["--ip", "127.0.0.1"], ["--ip", "127.0.0.1"]),
    (["--ip=127.8.9.10"], ["--ip=127.8.9.10"]),
    (["--ip", "::1", "--port=1"], ["--ip", "::1", "--port=1"]),
    (["--ip=localhost"], ["--ip=localhost"]),
    (["--ServerApp.ip=LOCALHOST"], ["--ServerApp.ip=LOCALHOST"]),
    (["--allow-remote", "--ip", "127.0.0.1"], ["--ip", "127.0.0.1"]),  # dropped, nothing to warn about
], ids=["default", "other-options", "ipv4", "127/8", "ipv6", "localhost", "trait-form",
        "allow-remote-dropped"])
def test_dev_py_lab_keeps_jupyter_on_loopback(dev: ModuleType, argv: list[str], expected: list[str]) -> None:
    assert dev.lab_args(argv) == (expected, None)


@pytest.mark.parametrize(("argv", "shown"), [
    (["--ip", "0.0.0.0"], "--ip '0.0.0.0'"),
    (["--ip=192.168.1.5"], "--ip '192.168.1.5'"),
    (["--ip", "::"], "--ip '::'"),
    (["--ip="], "--ip ''"),  # every interface to Jupyter
    (["--ip", "*"], "--ip '*'"),
    (["--ip", "example.org"], "--ip 'example.org'"),
    (["--ServerApp.ip", "10.0.0.1"], "--ServerApp.ip '10.0.0.1'"),
    (["--ip", "127.0.0.1", "--NotebookApp.ip=0.0.0.0"], "--NotebookApp.ip '0.0.0.0'"),
], ids=["any-v4", "lan", "any-v6", "empty", "star", "host-name", "trait-form", "second-option"])
def test_dev_py_lab_refuses_a_remote_ip(dev: ModuleType, argv: list[str], shown: str) -> None:
    with pytest.raises(dev.LabArgsError) as refused:
        dev.lab_args(argv)
    assert str(refused.value) == (f"refusing {shown}: not a loopback address (127.x.x.x, ::1, localhost); "
                                  "add --allow-remote to let other machines reach JupyterLab")


def test_dev_py_lab_allow_remote_warns_and_is_not_passed_on(dev: ModuleType) -> None:
    args, warning = dev.lab_args(["--allow-remote", "--ip", "0.0.0.0", "--port", "9999"])
    assert args == ["--ip", "0.0.0.0", "--port", "9999"]
    assert warning is not None and "\n" not in warning
    assert warning.startswith("warning: JupyterLab will listen on '0.0.0.0', not loopback: "
                              "its token is the only protection")


@pytest.mark.parametrize("argv", [["--ip=0.0.0.0", "--allow-remote", "--ServerApp.token="],
                                  ["--allow-remote", "--ip", "0.0.0.0", "--IdentityProvider.token", ""]],
                         ids=["equals", "separate"])
def test_dev_py_lab_refuses_remote_without_a_token(dev: ModuleType, argv: list[str]) -> None:
    with pytest.raises(dev.LabArgsError, match=r"^refusing --ip '0\.0\.0\.0' with an empty --"):
        dev.lab_args(argv)


def test_dev_py_lab_ip_needs_a_value(dev: ModuleType) -> None:
    with pytest.raises(dev.LabArgsError, match=r"^--ip needs a value$"):
        dev.lab_args(["--port", "1", "--ip"])


def test_dev_py_lab_refuses_a_remote_ip_before_any_install() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "dev.py"), "lab", "--ip", "0.0.0.0"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stdout == ""  # no "[dev.py] ==> venv": the check runs before the venv and the install
    assert done.stderr == ("dev.py lab: refusing --ip '0.0.0.0': not a loopback address (127.x.x.x, ::1, "
                           "localhost); add --allow-remote to let other machines reach JupyterLab\n")


# --------------------------------------------------------------------------- the layer contract

_CONTRACT = PYPROJECT["tool"]["importlinter"]["contracts"]
#: Modules outside every layer: the package root (version, snapshot) and ``python -m tdxlab``.
_OUTSIDE_LAYERS = {"tdxlab", "tdxlab.__main__"}


def _layers() -> list[set[str]]:
    (layers,) = [c["layers"] for c in _CONTRACT if c["type"] == "layers"]
    return [{m.strip() for m in re.split(r"[:|]", layer)} for layer in layers]


def _modules() -> list[str]:
    out = []
    for path in sorted((ROOT / "tdxlab").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_import_linter_is_a_test_tool() -> None:
    assert PYPROJECT["tool"]["importlinter"]["root_package"] == "tdxlab"
    assert any(d.startswith("import-linter") for d in PYPROJECT["project"]["optional-dependencies"]["test"])


def test_every_module_is_in_a_layer() -> None:
    layers = _layers()
    uncovered = []
    for name in _modules():
        inside = [i for i, layer in enumerate(layers) if any(name == m or name.startswith(m + ".")
                                                             for m in layer)]
        if name in _OUTSIDE_LAYERS or (not inside and any(m.startswith(name + ".") for lay in layers
                                                          for m in lay)):
            continue  # a package whose modules are listed one by one (tdxlab.sim)
        assert len(inside) <= 1, f"{name} is in two layers"
        if not inside:
            uncovered.append(name)
    assert uncovered == [], f"not in any layer of the import-linter contract (pyproject.toml): {uncovered}"


def test_architecture_doc_lists_the_contract_layers() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`tdxlab." in line]
    documented = [set(re.findall(r"`(tdxlab[\w.]*)`", row.split("|")[2])) for row in rows]
    assert documented == _layers()


def test_gitignore_covers_generated_folders() -> None:
    lines = {
        line.strip()
        for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv/", "test-output/", "*.egg-info/", ".hypothesis/", "__pycache__/"):
        assert entry in lines, f".gitignore lacks {entry}"
