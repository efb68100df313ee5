#!/usr/bin/env python3
"""The commands of tdxlab's private environment: ``python3 dev.py lab``, ``test``, ``regen`` and ``site``.

Why a script and not a Makefile or tox: the only thing a fresh machine is guaranteed to
have is Python 3.11+, so this file uses the standard library alone. It owns a private
virtual environment in ``.venv`` next to it and never touches the system Python.

``lab``   creates ``.venv`` if missing, installs tdxlab (editable) with its runtime
          dependencies, and opens JupyterLab on ``notebooks/``. Extra arguments are passed
          to ``jupyter lab`` unchanged (e.g. ``python3 dev.py lab --port 9999``), with one
          check first: JupyterLab listens on 127.0.0.1 behind its token, and an ``--ip`` that
          is not a loopback address is refused (exit 2) unless ``--allow-remote`` is given
          (then a warning says that the token is the only protection). See :func:`lab_args`.
``test``  creates/updates ``.venv`` with the ``[test]`` extra, makes sure Debian's
          ``/usr/bin/chromium`` exists (the browser tests drive JupyterLab with it), then
          runs ruff, mypy, ``lint-imports`` (the layer contract of ``docs/architecture.md``,
          declared in ``pyproject.toml``), ``nbstripout --verify`` and one pytest run over
          ``tests/`` and the notebooks, spread over the machine's cores (pytest-xdist,
          ``-n auto``). It stops at the first failing step, names it, and
          exits with its code. Extra arguments are appended to the pytest command line.
``regen``  rewrites the generated files after a deliberate change: the generated tables of
          ``docs/`` (``docs/generate.py --write``) and the golden figures the figure tests
          compare against (``tests/golden/regen.py``, when present). Tests never write these
          files; they only check that the committed ones are up to date. Review the diff.
``site``  creates/updates ``.venv`` like ``lab`` (nbconvert and nbclient come with JupyterLab),
          then runs ``docs/build_site.py``: every notebook executed in a fresh kernel (one per
          core at a time), rendered to self-contained HTML with widgets as static snapshots,
          and an ``index.html`` in notebook order, all written to ``site/`` (git-ignored). It
          needs no network. Extra arguments go to the builder (``--out DIR``, ``--jobs N``).

Re-running is cheap: ``pip install`` is skipped while ``pyproject.toml`` is unchanged since
the last install (its hash is kept in ``.venv``), and chromium is only installed when absent.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_BIN = VENV / "bin"
VENV_PYTHON = VENV_BIN / "python"
#: Where the last successful install is recorded (pyproject hash + extras).
STAMP = VENV / "tdxlab-dev-stamp.json"
#: Bump when the install command itself changes, so old stamps stop matching.
STAMP_FORMAT = 1
CHROMIUM = Path("/usr/bin/chromium")
MIN_PYTHON = (3, 11)
#: Paths ruff checks; missing ones are dropped (git does not keep empty directories).
LINT_PATHS = ("dev.py", "tdxlab", "tests", "benchmarks", "docs")
#: Generators ``regen`` runs, in order, with the arguments that make them write; missing ones
#: are skipped (each is a script of its own, so ``dev.py`` stays standard-library only).
REGENERATORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("docs/generate.py", ("--write",)),
    ("tests/golden/regen.py", ()),
)
#: The static-site builder ``site`` runs (a script, like the generators: dev.py stays stdlib-only).
SITE_BUILDER = "docs/build_site.py"
#: Where ``lab`` makes JupyterLab listen when no ``--ip`` is given.  Passed explicitly, because a
#: command-line option beats any ``jupyter_server_config.py`` that would open it to the network.
LAB_IP = "127.0.0.1"
#: The ``lab`` option that allows a non-loopback ``--ip``; dev.py's own, never passed to Jupyter.
ALLOW_REMOTE = "--allow-remote"


class StepFailed(Exception):
    """A step failed; ``code`` becomes the exit code of dev.py."""

    def __init__(self, step: str, code: int, why: str) -> None:
        super().__init__(f"step '{step}' failed: {why}")
        self.step = step
        self.code = code


def say(message: str) -> None:
    """Print a dev.py progress line, flushed so it interleaves correctly with child output."""
    print(f"[dev.py] {message}", flush=True)


def venv_env() -> dict[str, str]:
    """The environment for commands run inside ``.venv`` (as if it were activated)."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return env


def run(step: str, cmd: Sequence[str], env: dict[str, str] | None = None) -> None:
    """Run ``cmd`` in the repo root; raise :class:`StepFailed` naming ``step`` on failure."""
    try:
        code = subprocess.run(list(cmd), cwd=ROOT, env=env, check=False).returncode
    except FileNotFoundError:
        raise StepFailed(step, 127, f"command not found: {cmd[0]}") from None
    if code != 0:
        shown = code if code > 0 else 128 - code  # killed by a signal: shell convention
        raise StepFailed(step, shown, f"`{' '.join(cmd)}` exited with code {code}")


@dataclass
class Timer:
    """Prints each step's name on entry and its outcome and duration on exit."""

    durations: list[tuple[str, float, str]]

    def step(self, name: str, action: Callable[[], str | None]) -> None:
        """Run ``action``; it returns a note such as ``"skipped: ..."`` or None for plain success."""
        say(f"==> {name}")
        start = time.monotonic()
        try:
            note = action()
        except StepFailed:
            say(f"<== {name} FAILED ({time.monotonic() - start:.1f} s)")
            raise
        took = time.monotonic() - start
        outcome = note or "ok"
        self.durations.append((name, took, outcome))
        say(f"<== {name} {outcome} ({took:.1f} s)")


# --------------------------------------------------------------------------- venv


def venv_works() -> bool:
    """True when ``.venv`` has a Python that starts, is new enough, and has pip."""
    if not VENV_PYTHON.exists():
        return False
    probe = (
        f"import sys, pip; sys.exit(0 if sys.version_info[:2] >= {MIN_PYTHON!r} else 1)"
    )
    done = subprocess.run(
        [str(VENV_PYTHON), "-c", probe], capture_output=True, check=False
    )
    return done.returncode == 0


def ensure_venv() -> str | None:
    """Create ``.venv`` with the stdlib ``venv`` module (recreate it if it is broken)."""
    if venv_works():
        return "skipped: .venv exists"
    if VENV.exists():
        say(f"{VENV} is incomplete or broken; recreating it")
    builder = venv.EnvBuilder(with_pip=True, clear=True, symlinks=True)
    try:
        builder.create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        raise StepFailed(
            "venv",
            1,
            f"could not create {VENV} with pip ({exc}). On Debian/Ubuntu install the "
            f"'python3-venv' package (apt-get install -y python3-venv) and re-run",
        ) from None
    if not venv_works():
        raise StepFailed(
            "venv",
            1,
            f"{VENV} was created but has no working pip; on Debian/Ubuntu install "
            f"'python3-venv' and re-run",
        )
    return None


def pyproject_hash() -> str:
    """Hash of ``pyproject.toml``: the install is redone exactly when this changes."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def read_stamp() -> tuple[str, frozenset[str]] | None:
    """The (pyproject hash, extras) of the last successful install, if any."""
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != STAMP_FORMAT:
        return None
    digest, extras = data.get("pyproject_sha256"), data.get("extras")
    if not isinstance(digest, str) or not isinstance(extras, list):
        return None
    return digest, frozenset(str(e) for e in extras)


def ensure_installed(extras: frozenset[str]) -> str | None:
    """``pip install -e .[extras]`` unless the stamp shows it was done for this pyproject."""
    digest = pyproject_hash()
    stamp = read_stamp()
    if stamp is not None and stamp[0] == digest and extras <= stamp[1]:
        return "skipped: pyproject.toml unchanged since last install"
    target = "." + (f"[{','.join(sorted(extras))}]" if extras else "")
    say(f"pip install -e {target} (first run or pyproject.toml changed; may take minutes)")
    STAMP.unlink(missing_ok=True)
    run(
        "install",
        [str(VENV_PYTHON), "-m", "pip", "install", "--progress-bar", "off", "-q", "-e", target],
        env=venv_env(),
    )
    # Keep the union: a later `lab` after `test` must not forget that test tools are present.
    kept = extras | (stamp[1] if stamp is not None and stamp[0] == digest else frozenset())
    payload = {"format": STAMP_FORMAT, "pyproject_sha256": digest, "extras": sorted(kept)}
    STAMP.write_text(json.dumps(payload) + "\n", encoding="utf-8")
    return None


# --------------------------------------------------------------------------- chromium


def ensure_chromium() -> str | None:
    """Install Debian's chromium when /usr/bin/chromium is missing (as root, or via sudo -n)."""
    if CHROMIUM.exists():
        return f"skipped: {CHROMIUM} present"
    hint = f"{CHROMIUM} is missing; install Debian's chromium (apt-get install -y chromium) and re-run"
    if shutil.which("apt-get") is None:
        raise StepFailed("chromium", 1, f"{hint} (apt-get not found on this machine)")
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(
        ["sudo", "-n", "true"], capture_output=True, check=False
    ).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        raise StepFailed("chromium", 1, f"{hint} (not root and no password-less sudo)")
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    run("chromium", [*apt, "update"])
    run("chromium", [*apt, "install", "-y", "chromium"])
    if not CHROMIUM.exists():
        raise StepFailed("chromium", 1, f"apt-get finished but {CHROMIUM} is still missing")
    return None


# --------------------------------------------------------------------------- lab arguments


class LabArgsError(ValueError):
    """``lab`` arguments that would expose JupyterLab to the network; the message is one line."""


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``: addresses only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name, '' or '*' (every interface to Jupyter): not loopback
        return False


def _trait_options(argv: Sequence[str], trait: str) -> list[tuple[str, str]]:
    """``(option, value)`` for each ``--ip X``, ``--ip=X``, ``--ServerApp.ip=X``... naming ``trait``.

    Jupyter (traitlets) accepts a trait as ``--name`` (an alias such as ``--ip``) or as
    ``--Class.name`` (``--ServerApp.ip``), each with ``=value`` or the value as the next
    argument.  Every spelling is matched, so none slips past the check.
    """
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        key, eq, value = argv[i].partition("=")
        name = key.lstrip("-")
        if key.startswith("-") and (name == trait or name.endswith("." + trait)):
            if not eq:
                if i + 1 == len(argv):
                    raise LabArgsError(f"{key} needs a value")
                i += 1
                value = argv[i]
            found.append((key, value))
        i += 1
    return found


def lab_args(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """Check ``lab``'s extra arguments: return those for ``jupyter lab`` and a warning, or None.

    JupyterLab runs code for whoever holds its URL, so it listens on :data:`LAB_IP` (behind
    the random token Jupyter makes) unless an ``--ip`` says otherwise.  An ``--ip`` that is
    not loopback is refused with :class:`LabArgsError` unless :data:`ALLOW_REMOTE` is given
    (it is dropped here: Jupyter does not know it).  With it, the warning says that the
    token is the only protection, and an explicitly empty token is refused.
    """
    allow_remote = ALLOW_REMOTE in argv
    rest = [arg for arg in argv if arg != ALLOW_REMOTE]
    ips = _trait_options(rest, "ip")
    remote = [(option, value) for option, value in ips if not is_loopback(value)]
    warning = None
    if remote:
        option, value = remote[0]
        if not allow_remote:
            raise LabArgsError(
                f"refusing {option} {value!r}: not a loopback address (127.x.x.x, ::1, localhost); "
                f"add {ALLOW_REMOTE} to let other machines reach JupyterLab"
            )
        empty = [key for key, token in _trait_options(rest, "token") if not token]
        if empty:
            raise LabArgsError(f"refusing {option} {value!r} with an empty {empty[0]}: "
                               f"anyone who can reach the port could run code on this machine")
        warning = (f"warning: JupyterLab will listen on {value!r}, not loopback: its token is the "
                   f"only protection (anyone with the URL and token can run code on this machine)")
    if not ips:
        rest.insert(0, f"--ip={LAB_IP}")
    return rest, warning


# --------------------------------------------------------------------------- commands


def notebooks() -> list[str]:
    """Committed notebooks, relative to the repo root, in a stable order."""
    folder = ROOT / "notebooks"
    found = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    return [str(p.relative_to(ROOT)) for p in found]


def cmd_test(pytest_args: Sequence[str]) -> int:
    """Set up ``.venv`` for testing and run every check, failing fast."""
    timer = Timer(durations=[])
    start = time.monotonic()
    py = str(VENV_PYTHON)
    env = venv_env()

    def ruff() -> None:
        paths = [p for p in LINT_PATHS if (ROOT / p).exists()]
        run("ruff", [py, "-m", "ruff", "check", *paths], env=env)

    def mypy() -> None:
        run("mypy", [py, "-m", "mypy"], env=env)

    def lint_imports() -> None:
        # --no-cache: no .import_linter_cache/ in the work tree (the whole check takes well under 1 s)
        run("lint-imports", [str(VENV_BIN / "lint-imports"), "--no-cache"], env=env)

    def nbstripout() -> str | None:
        found = notebooks()
        if not found:
            return "skipped: no notebooks/*.ipynb yet"
        run("nbstripout", [py, "-m", "nbstripout", "--verify", *found], env=env)
        return None

    def pytest() -> None:
        # One run over tests/ and the notebooks, so pytest's closing summary counts everything.
        targets = ["tests"] + (["notebooks"] if notebooks() else [])
        # Two workers on two cores (pytest-xdist): the notebooks and the searches run side by side.
        parallel = ["-n", "auto", "--dist", "worksteal"]
        run("pytest", [py, "-m", "pytest", *targets, "--nbmake", *parallel, *pytest_args], env=env)

    try:
        timer.step("venv", ensure_venv)
        timer.step("install", lambda: ensure_installed(frozenset({"test"})))
        timer.step("chromium", ensure_chromium)
        timer.step("ruff", ruff)
        timer.step("mypy", mypy)
        timer.step("lint-imports", lint_imports)
        timer.step("nbstripout", nbstripout)
        timer.step("pytest", pytest)
    except StepFailed as exc:
        print(f"dev.py test: {exc}", file=sys.stderr, flush=True)
        return exc.code
    parts = ", ".join(f"{name} {took:.1f}s" for name, took, _ in timer.durations)
    say(f"all steps passed in {time.monotonic() - start:.1f} s ({parts})")
    return 0


def cmd_regen() -> int:
    """Set up ``.venv`` for testing and run every generator of :data:`REGENERATORS` that exists."""
    timer = Timer(durations=[])
    py = str(VENV_PYTHON)
    env = venv_env()

    def generator(script: str, args: tuple[str, ...]) -> Callable[[], str | None]:
        def action() -> str | None:
            if not (ROOT / script).is_file():
                return f"skipped: no {script}"
            run(script, [py, script, *args], env=env)
            return None

        return action

    try:
        timer.step("venv", ensure_venv)
        timer.step("install", lambda: ensure_installed(frozenset({"test"})))
        for script, args in REGENERATORS:
            timer.step(script, generator(script, args))
    except StepFailed as exc:
        print(f"dev.py regen: {exc}", file=sys.stderr, flush=True)
        return exc.code
    say("regenerated; review `git diff` before committing")
    return 0


def cmd_lab(extra: Sequence[str]) -> int:
    """Check the arguments, set up ``.venv`` with the runtime dependencies and become JupyterLab."""
    try:  # before the venv and the install, so a refused --ip costs nothing
        jupyter_args, warning = lab_args(extra)
    except LabArgsError as exc:
        print(f"dev.py lab: {exc}", file=sys.stderr, flush=True)
        return 2
    timer = Timer(durations=[])
    try:
        timer.step("venv", ensure_venv)
        timer.step("install", lambda: ensure_installed(frozenset()))
    except StepFailed as exc:
        print(f"dev.py lab: {exc}", file=sys.stderr, flush=True)
        return exc.code
    argv = [str(VENV_PYTHON), "-m", "jupyter", "lab", "notebooks/"]
    if os.geteuid() == 0 and "--allow-root" not in jupyter_args:
        argv.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    argv.extend(jupyter_args)
    say("starting: python " + " ".join(argv[1:]))
    if warning:
        print(f"dev.py lab: {warning}", file=sys.stderr, flush=True)
    os.chdir(ROOT)
    os.execve(argv[0], argv, venv_env())
    return 0  # pragma: no cover - execve does not return


def cmd_site(site_args: Sequence[str]) -> int:
    """Set up ``.venv`` with the runtime dependencies and build the static site into ``site/``."""
    timer = Timer(durations=[])
    try:
        timer.step("venv", ensure_venv)
        timer.step("install", lambda: ensure_installed(frozenset()))
        timer.step("site", lambda: run("site", [str(VENV_PYTHON), SITE_BUILDER, *site_args],
                                       env=venv_env()))
    except StepFailed as exc:
        print(f"dev.py site: {exc}", file=sys.stderr, flush=True)
        return exc.code
    say(f"open {ROOT / 'site' / 'index.html'} in a browser (it reads offline)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``lab``/``test``/``regen``/``site`` and run it; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python3 dev.py",
        description="Set up and use tdxlab's private .venv.",
        epilog="lab: extra arguments go to `jupyter lab`, which listens on 127.0.0.1 behind its "
        "token (an --ip that is not loopback is refused unless --allow-remote is given, and then "
        "the token is the only protection); test: extra arguments go to pytest; "
        "regen takes none; site: extra arguments go to docs/build_site.py (--out DIR, --jobs N).",
    )
    parser.add_argument("command", choices=("lab", "test", "regen", "site"), help="what to do")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="passed through (see below)")
    args = parser.parse_args(argv)
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        print(f"dev.py: Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+ is required, this is {found}",
              file=sys.stderr)
        return 2
    try:
        if args.command == "lab":
            return cmd_lab(args.rest)
        if args.command == "site":
            return cmd_site(args.rest)
        if args.command == "regen":
            if args.rest:
                print(f"dev.py regen: takes no arguments, got {' '.join(args.rest)}", file=sys.stderr)
                return 2
            return cmd_regen()
        return cmd_test(args.rest)
    except KeyboardInterrupt:
        print("dev.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
