"""The Design comparison widget through its Python API, and its ipywidgets UI driven programmatically.

Expected values come from the scenario files and domain facts (see test_compare.py for the
derivations), not from the code under test.
"""

from __future__ import annotations

import re

import pytest
from widget_tree import find, walk

from tdxlab import describe, palette
from tdxlab.compare import CompareError
from tdxlab.owners import Owner
from tdxlab.scenarios import SCENARIOS, load_scenario
from tdxlab.sim.designs import DESIGNS
from tdxlab.sim.trace import dump_trace
from tdxlab.widgets.compare import DesignComparison


@pytest.fixture
def dc() -> DesignComparison:
    return DesignComparison()


def test_opens_on_the_round_trip(dc: DesignComparison) -> None:
    assert dc.scenario == "secure_call_round_trip"
    assert list(dc.frame.index) == list(DESIGNS)  # every registered design, in registry order
    # 9 private registers x 2 entries, one finding each: VTL 1's entry (integrity) and VTL 0's (disclosure)
    assert dc.frame.loc["naive", "violations"] == 18
    assert dc.frame.loc["naive", ["integrity", "disclosure", "lost", "stale"]].tolist() == [9, 9, 0, 0]
    assert dc.frame.loc[["bank", "split", "snp"], "violations"].tolist() == [0, 0, 0]
    assert len(dc.verdicts) == len(DESIGNS)


def test_select_scenario(dc: DesignComparison) -> None:
    assert dc.select_scenario("intercept_in_vtl2") is dc
    assert dc.scenario == "intercept_in_vtl2"
    assert dc.label == "intercept_in_vtl2"
    # VTL 1 never runs there: even naive holds
    assert dc.frame["violations"].sum() == 0


def test_unknown_scenario_leaves_state(dc: DesignComparison) -> None:
    before = dc.frame
    with pytest.raises(CompareError, match="unknown scenario 'nope'"):
        dc.select_scenario("nope")
    assert dc.scenario == "secure_call_round_trip"
    assert dc.frame.equals(before)


def test_load_trace_file(dc: DesignComparison, tmp_path) -> None:
    path = tmp_path / "round.jsonl"
    path.write_text(dump_trace(load_scenario("secure_call_round_trip")), encoding="utf-8")
    dc.load_trace(path)
    assert dc.scenario is None
    assert dc.label == "round.jsonl"
    assert dc.frame.loc["naive", "violations"] == 18  # as the built-in scenario: 9 integrity + 9 disclosure
    assert dc.frame.loc["naive", ["integrity", "disclosure"]].tolist() == [9, 9]


def test_scenario_name_is_not_a_trace(dc: DesignComparison) -> None:
    with pytest.raises(CompareError, match="is a scenario"):
        dc.load_trace("interrupt_to_vtl1")


def test_constructor_checks() -> None:
    with pytest.raises(CompareError, match="not both"):
        DesignComparison("secure_call_round_trip", trace=[])
    with pytest.raises(CompareError, match="unknown scenario"):
        DesignComparison("bogus")


def test_variant_row(dc: DesignComparison) -> None:
    dc.add_variant(DESIGNS["bank"].variant("bank-no-rsp", drop_private={"rsp"}))
    assert list(dc.frame.index) == [*DESIGNS, "bank-no-rsp"]
    assert dc.frame.loc["bank-no-rsp", "registers"] == "rsp"
    # the variant stays when the scenario changes
    dc.select_scenario("interrupt_to_vtl1")
    assert "bank-no-rsp" in dc.frame.index


def _counts(row: str) -> list[str]:
    """The text of a row's count cells (findings and one per kind), in column order."""
    return re.findall(r'class="[^"]*tdxlab-count[^"]*" >([^<]*)</td>', row)


def test_html_marks_broken_and_holding_designs(dc: DesignComparison) -> None:
    html = dc.html
    bad = palette.OWNER_SWATCHES[Owner.PRIVATE].fill
    # naive row: violations shown with a cross in a "bad" cell; the others with a tick
    naive_row = html.split('data-key="naive"')[1].split("</tr>")[0]
    bank_row = html.split('data-key="bank"')[1].split("</tr>")[0]
    # the count cells, in column order: findings, integrity, disclosure, lost, stale
    assert _counts(naive_row) == ["✗ 18", "✗ 9", "✗ 9", "✓ 0", "✓ 0"] and "tdxlab-bad" in naive_row
    assert _counts(bank_row) == ["✓ 0"] * 5 and "tdxlab-bad" not in bank_row
    # a bad cell is filled with the alarm colour (the table's own CSS)
    assert re.search(r"td\.tdxlab-bad \{[^}]*background: " + bad, html)
    # every heading carries its meaning as a tooltip
    assert f'title="{describe.COMPARISON_COLUMNS["bytes_per_switch"]}"' in html
    plain = [line for line in dc.verdicts if not set("'&\"<>") & set(line)]
    assert all(line in html for line in plain)


def test_widget_dropdown_and_table(dc: DesignComparison) -> None:
    root = dc.widget
    dropdown = find(root, "Dropdown", "Scenario")
    table = find(root, "HTML", cls="tdxlab-compare-table")
    assert dropdown.value == "secure_call_round_trip"
    assert list(dropdown.options) == list(SCENARIOS)
    assert "✗ 18" in table.value and "✗ 9" in table.value
    dropdown.value = "intercept_in_vtl2"
    assert dc.scenario == "intercept_in_vtl2"
    assert not re.search(r'class="[^"]*tdxlab-bad', table.value) and "intercept_in_vtl2" in table.value
    # the Python API moves the dropdown too
    dc.select_scenario("secure_call_round_trip")
    assert dropdown.value == "secure_call_round_trip"
    assert "✗ 18" in table.value and "✗ 9" in table.value


def test_widget_load_button(dc: DesignComparison, tmp_path) -> None:
    root = dc.widget
    path_box = find(root, "Text", "Trace file")
    load = find(root, "Button", "Load trace")
    error = next(w for w in walk(root) if type(w).__name__ == "HTML")
    path_box.value = str(tmp_path / "missing.jsonl")
    load.click()
    assert "cannot read trace" in error.value
    assert dc.scenario == "secure_call_round_trip"  # unchanged
    good = tmp_path / "late.jsonl"
    good.write_text(dump_trace(load_scenario("vtl1_enabled_late")), encoding="utf-8")
    path_box.value = str(good)
    load.click()
    assert error.value == ""
    assert dc.label == "late.jsonl" and dc.scenario is None
    assert find(root, "Dropdown", "Scenario").value is None


def test_verdicts_widget(dc: DesignComparison) -> None:
    verdicts = find(dc.widget, "HTML", cls="tdxlab-compare-verdicts")
    assert verdicts.value.count("<li>") == len(DESIGNS)
