"""Files the kit writes (issue 13, class 6): renamed into place, a planted symlink replaced and never
followed, an empty or impossible target a one-line error with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tdxlab.commands import main
from tdxlab.files import OutputError, check_dir, write_atomic
from tdxlab.owners import Owner
from tdxlab.sim.declared import DesignSpec, Rule
from tdxlab.sim.design_file import save_design_file
from tdxlab.sim.events import Event, Op
from tdxlab.sim.trace import save_trace


def _plant(target: Path, victim: Path) -> None:
    victim.write_text("keep me", encoding="utf-8")
    target.symlink_to(victim)


def test_write_atomic_replaces_a_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim, target = tmp_path / "victim.txt", tmp_path / "out.txt"
    _plant(target, victim)
    write_atomic(target, "new")
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_targets_are_errors(bad: str) -> None:
    with pytest.raises(OutputError, match="empty"):
        write_atomic(bad, "x")
    with pytest.raises(OutputError, match="empty path"):
        check_dir(bad)


def test_impossible_targets_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match="not a directory"):
        check_dir(tmp_path / "file")
    with pytest.raises(OutputError, match="is a directory"):
        write_atomic(tmp_path, "x")
    with pytest.raises(OutputError, match="cannot write") as info:
        write_atomic(tmp_path / "no" / "such" / "f.txt", "x")
    assert "\n" not in str(info.value)


def test_plot_replaces_a_planted_chart_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "charts"
    out.mkdir()
    victim = tmp_path / "victim.png"
    _plant(out / "cost_parts.png", victim)
    assert main(["plot", "cost", "--out", str(out), "--no-host"]) == 0
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (out / "cost_parts.png").is_symlink()
    assert (out / "cost_parts.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["plot", "cost", "--out", "", "--no-host"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out: empty path" in err
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert main(["plot", "cost", "--out", str(tmp_path / "a-file"), "--no-host"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_traces_and_design_files_are_written_the_same_way(tmp_path: Path) -> None:
    spec = DesignSpec("b2", "bank", rules=(Rule(("rsp",), Owner.SHARED),))

    def trace(p: Path) -> None:
        save_trace([Event(Op.RUN, 0)], p)

    def design(p: Path) -> None:
        save_design_file(spec, p)

    for name, write in (("t.jsonl", trace), ("d.toml", design)):
        victim = tmp_path / f"victim-{name}"
        _plant(tmp_path / name, victim)
        write(tmp_path / name)
        assert victim.read_text(encoding="utf-8") == "keep me" and not (tmp_path / name).is_symlink()
