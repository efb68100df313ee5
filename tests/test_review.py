"""``tdxlab review`` (docs/review.md): the shipped proposals' reports, a broken design's, the files.

The bytes are stated from the reference sheet, not read back from the code: split carries the
15 shared GPRs (8 B each) on a switch; the FXSAVE image is 512 B (sheet §1.8); the bank moves
its 90-byte payload each way (sheet §4, ``facts.BANK_BYTES``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from facts import BANK_BYTES

from tdxlab.commands import main
from tdxlab.describe import significant
from tdxlab.sim.design_file import shipped_design_files
from tdxlab.sim.trace import load_trace

GPRS = 15 * 8
FXSAVE = 512


def review(tmp: Path, *argv: str) -> tuple[int, dict[str, dict[str, str]]]:
    code = main(["review", *argv, "--out", str(tmp)])
    with (tmp / "costs.csv").open(encoding="utf-8") as f:
        return code, {r["design"]: r for r in csv.DictReader(f)}


def proposal(name: str) -> str:
    return str(shipped_design_files()[name])


@pytest.fixture(scope="module")
def fx_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fx")
    assert main(["review", "--design-file", proposal("split-fx-per-vtl"), "--against", "split,bank",
                 "--out", str(out)]) == 0
    return out


def test_split_fx_per_vtl_report(fx_report: Path) -> None:
    md = (fx_report / "report.md").read_text(encoding="utf-8")
    assert md.count("VERIFIED (") == 2 and "COUNTEREXAMPLE" not in md
    assert "| fpu | shared | vtl-page | switch |" in md
    with (fx_report / "costs.csv").open(encoding="utf-8") as f:
        rows = {r["design"]: r for r in csv.DictReader(f)}
    assert float(rows["split"]["bytes_per_switch"]) == GPRS
    assert float(rows["split-fx-per-vtl"]["bytes_per_switch"]) == GPRS + FXSAVE  # FX: 512 B per switch
    assert float(rows["split-fx-per-vtl"]["bytes_per_entry"]) == 0
    assert rows["split-fx-per-vtl"]["role"] == "proposal" and rows["bank"]["role"] == "baseline"
    assert not (fx_report / "counterexample.jsonl").exists()
    # what a switch adds: the 512 extra bytes (and their lines) make each switch dearer than split's
    per_switch = {k: float(r["ns_design_per_switch"]) for k, r in rows.items()}
    assert per_switch["split-fx-per-vtl"] > per_switch["split"]
    # the total range spans the declared ranges of the uncertain constants, around the value
    for r in rows.values():
        assert float(r["ns_low"]) < float(r["ns_no_switch"]) < float(r["ns_high"])


def test_the_report_says_which_conclusions_flip(fx_report: Path) -> None:
    md = (fx_report / "report.md").read_text(encoding="utf-8")
    section = md.split("## Which cost conclusions the unverified constants can flip", 1)[1].split("## ", 1)[0]
    assert "split-fx-per-vtl is" in section and "per entry than the cheapest of split and bank" in section
    assert "| constant | range |" in section and "![sensitivity](sensitivity.svg)" in section
    assert (fx_report / "sensitivity.svg").is_file()
    page = (fx_report / "report.html").read_text(encoding="utf-8")
    assert '<figure id="sensitivity">' in page


def test_the_markdown_links_its_charts_and_the_html_is_self_contained(fx_report: Path) -> None:
    md = (fx_report / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
    assert links and all((fx_report / link).is_file() for link in links)
    page = (fx_report / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<style>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "1488a37b7cfe" in page and "UNVERIFIED" in page


def test_lazy_bank_and_fx_page(tmp_path: Path) -> None:
    code, rows = review(tmp_path / "lazy", "--design-file", proposal("bank-lazy"))
    assert code == 0
    assert float(rows["bank"]["bytes_per_entry"]) == 2 * BANK_BYTES
    assert float(rows["bank-lazy"]["bytes_per_entry"]) == 0
    assert float(rows["bank-lazy"]["bytes_per_switch"]) == 2 * BANK_BYTES
    code, rows = review(tmp_path / "page", "--design-file", proposal("bank-fx-page"), "--expect", "safe")
    assert code == 0
    assert int(rows["bank-fx-page"]["pages_per_vp"]) == int(rows["bank"]["pages_per_vp"]) + 1
    assert rows["bank-fx-page"]["bytes_per_entry"] == rows["bank"]["bytes_per_entry"]


def test_a_broken_design_gets_its_counterexample_and_fails_expect_safe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "naive"
    assert main(["review", "--design", "naive", "--out", str(out), "--expect", "safe"]) == 1
    trace = load_trace(out / "counterexample.jsonl")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "COUNTEREXAMPLE" in md and "| register | observed at | severity |" in md
    capsys.readouterr()
    assert main(["simulate", "--design", "naive", "--trace", str(out / "counterexample.jsonl")]) == 1
    assert len(trace) >= 1
    # A later run that verifies removes the stale counterexample instead of leaving it beside its verdict.
    assert main(["review", "--design", "bank", "--out", str(out)]) == 0
    assert not (out / "counterexample.jsonl").exists()


def test_reports_are_byte_identical_across_runs(tmp_path: Path) -> None:
    for d in ("a", "b"):
        assert main(["review", "--design-file", proposal("bank-lazy"), "--out", str(tmp_path / d)]) == 0
    for name in ("report.md", "report.html", "costs.csv", "bytes_copied.svg", "design_cost.svg",
                 "sensitivity.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").symlink_to(victim)
    assert main(["review", "--design", "snp", "--out", str(out)]) == 0
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (out / "report.md").is_symlink()


@pytest.mark.parametrize("argv, words", [
    (["--design", "bank", "--out", ""], "--out: empty path"),
    (["--design", "bank", "--against", "nope", "--out", "x"], "--against: unknown design 'nope'"),
    (["--design", "bank", "--expect", "fast", "--out", "x"], "--expect: 'fast' is not one of safe"),
    (["--out", "x"], "--design or --design-file is required"),
])
def test_bad_input_is_one_line_exit_2(argv: list[str], words: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err


def test_two_significant_figures() -> None:
    assert significant(2328.8) == "2,300 ns"
    assert significant(67.6) == "68 ns"
    assert significant(4.25) == "4.2 ns"
    assert significant(-13.47) == "-13 ns"
    assert significant(2963.4, "") == "3,000"
    assert significant(0.045) == "~0 ns"  # below anything the constants resolve
