"""``tdxlab cost`` and ``tdxlab plot cost`` take design files and named variants (issue 11).

Figures come from the reference sheet: the bank moves its 90-byte ``TdxPrivateRegs`` payload
each way per run (sheet §4, ``facts.BANK_BYTES``); the lazy bank moves it only on a switch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from facts import BANK_BYTES

from tdxlab.commands import main
from tdxlab.sim.design_file import shipped_design_files

LAZY = str(shipped_design_files()["bank-lazy"])


def rows(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    assert main(["cost", "--format", "json", "--switch-fraction", "0", *argv]) == 0
    return json.loads(capsys.readouterr().out)["rows"]


def test_cost_adds_a_design_file_beside_the_designs_named(capsys: pytest.CaptureFixture[str]) -> None:
    by = {r["design"]: r for r in rows(capsys, "--designs", "bank", "--design-file", LAZY)}
    assert set(by) == {"bank", "bank-lazy"}
    assert by["bank"]["bytes_copied_per_entry"] == 2 * BANK_BYTES
    assert by["bank-lazy"]["bytes_copied_per_entry"] == 0
    assert by["bank-lazy"]["bytes_copied_per_switch"] == 2 * BANK_BYTES
    assert by["bank-lazy"]["ns_per_entry"] < by["bank"]["ns_per_entry"]  # fewer bytes, fewer lines


def test_a_design_file_alone_shows_just_that_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert {r["design"] for r in rows(capsys, "--design-file", LAZY)} == {"bank-lazy"}


def test_cost_accepts_named_variants(capsys: pytest.CaptureFixture[str]) -> None:
    names = {r["design"] for r in rows(capsys, "--designs", "bank,bank-page-accessors")}
    assert names == {"bank", "bank-page-accessors"}


def test_cost_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--designs", "bank-no-such"]) == 2
    assert "unknown design 'bank-no-such'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[design]\nkey = "x"\nbase = "bank"\nsize = 3\n', encoding="utf-8")
    assert main(["cost", "--design-file", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{bad} line 4: design.size: unknown key" in err
    assert main(["cost", "--designs", "bank", "--design-file", LAZY, "--design-file", LAZY]) == 2
    assert "already shown" in capsys.readouterr().err


def test_plot_cost_draws_the_design_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plot", "cost", "--no-host", "--designs", "bank"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--design-file", LAZY, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    a = tmp_path / "a" / "cost_parts.svg"
    b = tmp_path / "b" / "cost_parts.svg"
    assert a.exists() and b.exists()
    assert "bank-lazy" in b.read_text(encoding="utf-8") and "bank-lazy" not in a.read_text(encoding="utf-8")
    assert main(["plot", "cost", "--no-host", "--out", ""]) == 2
