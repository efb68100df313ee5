"""``tdxlab cost`` and ``tdxlab plot cost`` from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import DESIGN_KEYS
from facts import BANK_BYTES, SPLIT_SWITCH_BYTES

import tdxlab.cli as cli
import tdxlab.commands as commands

REQUIRED = ["design", "vps", "lower_vtls", "switch_fraction", "bytes_copied_per_entry",
            "cache_lines_per_entry", "pages_per_vp", "ns_per_entry"]


@pytest.fixture(autouse=True)
def only_cost_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other sub-command modules belong to other work; these tests exercise these two through main().
    monkeypatch.setattr(cli, "SUBCOMMANDS", ("tdxlab.cli.cost_cmd",))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = commands.main(list(argv))  # the tdxlab command: the CLI's cost plus render's plot
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_has_the_required_columns_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cost", "--designs", "bank,split", "--vps", "1,64",
                         "--switch-fraction", "0,0.5", "--format", "csv")
    assert code == 0 and err == ""
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns[: len(REQUIRED)]) == REQUIRED
    assert len(frame) == 2 * 2 * 2
    assert (frame["lower_vtls"] == 2).all()  # the default partition: VTL 0 and VTL 1
    bank = frame[(frame["design"] == "bank") & (frame["vps"] == 1) & (frame["switch_fraction"] == 0)]
    # 90 bytes in + 90 out (domain-facts 2.1); one run page per VP
    assert bank["bytes_copied_per_entry"].item() == 2 * BANK_BYTES
    assert bank["pages_per_vp"].item() == 1
    split = frame[(frame["design"] == "split") & (frame["vps"] == 1) & (frame["switch_fraction"] == 0.5)]
    assert split["bytes_copied_per_entry"].item() == SPLIT_SWITCH_BYTES / 2  # on half the entries
    assert split["pages_per_vp"].item() == 3


def test_json_carries_rows_break_evens_and_unverified(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--format", "json", "--evicted-kib", "0,1000000", "--sensitivity",
                       "--switch-fraction", "0.1")
    assert code == 0
    doc = json.loads(out)
    assert {r["design"] for r in doc["rows"]} == set(DESIGN_KEYS)
    assert {r["evicted_kib"] for r in doc["rows"]} == {0, 1e6}
    assert any(s.startswith("split is cheaper than bank") for s in doc["break_even"])
    assert any(s.startswith("snp is never cheaper than bank and split") for s in doc["break_even"])
    assert "tdx_entry_cycles" in doc["unverified_constants"]
    assert doc["constants"]["tdx_entry_cycles"] == 1291
    # one sentence per (question, uncertain constant); snp against the TDX designs flips somewhere
    assert any("snp dearer than bank and split FLIPS at" in s for s in doc["sensitivity"])
    assert any("split cheaper than bank holds" in s for s in doc["sensitivity"])


def test_text_names_the_unverified_constants(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--designs", "bank,split", "--switch-fraction", "0")
    assert code == 0
    assert "256 KiB evicted between entries switch_fraction=0" in out
    assert "split is cheaper than bank for switch fraction below" in out
    assert "snp is" not in out  # snp not shown: no question about it
    assert "Unverified cost constants" in out and "snp_world_switch_cycles" in out


def test_text_rounds_modelled_times_to_two_significant_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--designs", "bank", "--switch-fraction", "0")
    assert code == 0
    row = next(line for line in out.splitlines() if line.strip().startswith("bank "))
    total = row.split()[-1]
    digits = total.replace(",", "").rstrip("0")
    assert len(digits) <= 2, total  # e.g. 2,900: no "2,963.4 ns"
    code, csv_out, _ = run(capsys, "cost", "--designs", "bank", "--switch-fraction", "0", "--format", "csv")
    exact = pd.read_csv(io.StringIO(csv_out))["ns_per_entry"].item()
    assert float(total.replace(",", "")) == float(f"{exact:.2g}")


def test_designs_default_and_help_come_from_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        commands.main(["cost", "--help"])
    out = capsys.readouterr().out
    assert f"({', '.join(DESIGN_KEYS)})" in " ".join(out.split())


def test_constants_listing_and_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--constants", "--format", "csv")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0
    assert table.set_index("name").loc["tdx_entry_cycles", "confidence"] == "unverified"
    assert table.set_index("name").loc["tdx_entry_cycles", "range"] == "1181..8304"
    code, out, _ = run(capsys, "cost", "--designs", "bank", "--constant", "tdx_entry_cycles=2700",
                       "--constant", "user_mode_cycles=0", "--constant", "cpu_ghz=2.7", "--format", "csv",
                       "--switch-fraction", "0")
    assert code == 0
    assert pd.read_csv(io.StringIO(out))["ns_round_trip"].item() == pytest.approx(1000.0)
    code, out, _ = run(capsys, "cost", "--designs", "bank", "--preset", "kernel-exit", "--format", "csv",
                       "--switch-fraction", "0")
    assert pd.read_csv(io.StringIO(out))["ns_round_trip"].item() == pytest.approx(1291 / 2.7)


@pytest.mark.parametrize(("argv", "words"), [
    (["cost", "--designs", "bank,nope"], "--designs: unknown design 'nope'"),
    (["cost", "--designs", ""], "--designs: expected a comma-separated list"),
    (["cost", "--vps", "0"], "--vps: 0 must be >= 1"),
    (["cost", "--vps", "two"], "--vps: 'two' is not an integer"),
    (["cost", "--switch-fraction", "1.5"], "--switch-fraction: 1.5 is outside 0..1"),
    (["cost", "--entries-per-s", "-3"], "--entries-per-s: -3 is outside 0..1e+09"),
    (["cost", "--evicted-kib", "-1"], "--evicted-kib: -1 is outside 0.."),
    (["cost", "--evicted-kib", "lots"], "--evicted-kib: 'lots' is not a number"),
    (["cost", "--format", "xml"], "--format: 'xml' is not one of text, csv, json"),
    (["cost", "--constant", "l1_ns"], "expected NAME=VALUE"),
    (["cost", "--constant", "l1_ns=-1"], "l1_ns: must be a finite number >= 0"),
    (["cost", "--preset", "fast"], "--preset: unknown preset 'fast'"),
    (["cost", "--lower-vtls", "4"], "--lower-vtls must be 2 or 3"),
    (["cost", "--lower-vtls", "1"], "--lower-vtls must be 2 or 3"),
    (["cost", "--lower-vtls", "x"], "--lower-vtls: 'x' is not an integer"),
    (["cost", "--lower-vtls", "2,x"], "--lower-vtls: 'x' is not an integer"),
    (["plot", "layout", "--out", "x"], "unknown plot target 'layout'"),
    (["plot", "cost", "--out", "x", "--evicted-kib", "1,2"], "--evicted-kib: give one value"),
    (["plot", "cost", "--out", "x", "--host-evicted", "1e9"], "--host-evicted: 1e9 is outside 0..262144"),
    (["plot", "cost", "--out", "x", "--switch-fraction", "2"], "--switch-fraction: 2 is outside 0..1"),
    (["plot", "cost", "--out", "x", "--preset", "fast"], "--preset: unknown preset 'fast'"),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and words in err
    assert "Traceback" not in err


def test_plot_cost_writes_png_and_svg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "plot", "cost", "--out", str(tmp_path), "--no-host")
    assert code == 0, err
    written = sorted(p.name for p in tmp_path.iterdir())
    charts = ("cost_parts", "overhead_vs_switch", "memory", "vtl_count", "sensitivity")
    assert written == sorted(f"{s}.{e}" for s in charts for e in ("png", "svg"))
    printed = out.splitlines()
    assert len(printed) == 2 * len(charts) and all(Path(line).parent == tmp_path for line in printed)


def test_plot_cost_with_host(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "plot", "cost", "--out", str(tmp_path), "--host-evicted", "0,64")
    assert code == 0, err
    assert (tmp_path / "model_vs_host.png").exists() and (tmp_path / "model_vs_host.svg").exists()


def test_cost_does_not_register_plot() -> None:
    import argparse

    from tdxlab.cli import cost_cmd

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cost_cmd.register(sub)
    assert set(sub.choices) == {"cost"}
