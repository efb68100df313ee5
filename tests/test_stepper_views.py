"""The Stepper's pure HTML builders: escaping, mismatch marking, empty banner, VP chips."""

import re

import pytest
from widget_tree import imported_by

from tdxlab.render.stepper_views import (
    RegisterCell,
    RegisterRow,
    active_vtls_html,
    banner_html,
    error_html,
    event_html,
    register_table_html,
    section_html,
)

EVIL = '<script>alert("x")</script>&'


def test_event_html_escapes_every_text():
    html = event_html(EVIL, EVIL, EVIL, EVIL)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 4
    assert "&amp;" in html


def test_event_html_omits_empty_note_and_detail():
    html = event_html("Step 1 of 0–3", "run vp0")
    assert "tdxlab-note" not in html
    assert "tdxlab-detail" not in html
    assert "run vp0" in html


def test_banner_is_empty_without_violations():
    assert banner_html("anything", []) == ""


def test_banner_names_each_violation_and_escapes():
    html = banner_html("Isolation violated at step 30", ["rip: expected 0x1, found 0x2", EVIL])
    assert 'class="tdxlab-banner"' in html
    assert 'role="alert"' in html
    assert html.count('class="tdxlab-violation"') == 2
    assert "rip: expected 0x1, found 0x2" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_error_html_empty_and_escaped():
    assert error_html("") == ""
    html = error_html(EVIL)
    assert "tdxlab-error" in html and "<script>" not in html


def test_register_table_marks_only_mismatched_cells():
    rows = [
        RegisterRow("rip", "private", (RegisterCell(0x1000, 0x2000), RegisterCell(0x5, 0x5))),
        RegisterRow("rax", "shared", (RegisterCell(0x7, 0x7), RegisterCell(0x7, None))),
    ]
    html = register_table_html(["VTL 0: at step 30", "VTL 1: at step 28"], rows)
    assert html.count('class="tdxlab-mismatch"') == 1
    assert html.count('class="tdxlab-row-mismatch"') == 1
    mismatch_row = re.search(r'<tr class="tdxlab-row-mismatch" data-reg="([^"]+)"', html)
    assert mismatch_row is not None and mismatch_row.group(1) == "rip"
    # values are plain hex; a missing observation is a dash; the mismatch tooltip names both
    assert ">0x1000<" in html and "0x2000 ✗" in html
    assert "—" in html
    assert 'title="rip: expected 0x1000, observed 0x2000"' in html


def test_register_cell_mismatch_needs_both_values():
    assert RegisterCell(1, 2).mismatch
    assert not RegisterCell(1, 1).mismatch
    assert not RegisterCell(1, None).mismatch
    assert not RegisterCell(None, 2).mismatch


def test_register_table_escapes_names_and_headings():
    rows = [RegisterRow(EVIL, EVIL, (RegisterCell(1, 1),))]
    html = register_table_html([EVIL], rows, caption=EVIL)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 4


def test_register_table_rejects_cell_count_mismatch():
    rows = [RegisterRow("rip", "private", (RegisterCell(1, 1),))]
    with pytest.raises(ValueError, match="rip: 1 cells for 2 VTL headings"):
        register_table_html(["VTL 0", "VTL 1"], rows)


def test_active_vtls_one_chip_per_vp_with_shown_and_touched():
    html = active_vtls_html([0, 1, 0, 1], [True, True, False, True], shown=1, touched=3)
    chips = re.findall(r'<span class="tdxlab-vp" data-vp="(\d+)" data-vtl="(\d)" title="([^"]*)"', html)
    assert [(int(vp), int(vtl)) for vp, vtl, _ in chips] == [(0, 0), (1, 1), (2, 0), (3, 1)]
    titles = {int(vp): title for vp, _, title in chips}
    assert "shown below" in titles[1]
    assert "this step&#x27;s VP" in titles[3]
    assert "only VTL 0 enabled" in titles[2]


def test_active_vtls_rejects_length_mismatch():
    with pytest.raises(ValueError, match="active has 2 VPs but vtl1_enabled has 1"):
        active_vtls_html([0, 0], [True])


def test_section_keeps_trusted_body_and_escapes_title():
    html = section_html(EVIL, "<table><tr><td>grid</td></tr></table>", "sub & title")
    assert "<table><tr><td>grid</td></tr></table>" in html
    assert "<script>" not in html
    assert "sub &amp; title" in html


def test_views_module_imports_no_ui_or_plotting():
    assert imported_by("import tdxlab.render.stepper_views", ("ipywidgets", "matplotlib")) == []


def test_register_class_cell_uses_the_owner_colour_key():
    from tdxlab.owners import Owner
    from tdxlab.palette import owner_colour

    rows = [RegisterRow("rip", "private", (RegisterCell(1, 1),)),
            RegisterRow("odd", "not-a-class", (RegisterCell(1, 1),))]
    html = register_table_html(["VTL 0"], rows)
    assert f'class="tdxlab-private" style="background: {owner_colour(Owner.PRIVATE)};' in html
    assert "not-a-class" in html and "tdxlab-not-a-class" not in html


def test_banner_text_is_the_title_then_one_indented_line_each():
    from tdxlab import describe

    assert describe.banner_text("anything", []) == ""
    assert describe.banner_text("Isolation violated", ["rip wrong", "rsp wrong"]) == (
        "Isolation violated\n  - rip wrong\n  - rsp wrong")


def test_vtl_column_headings_say_when_the_truth_was_taken():
    from tdxlab import describe

    assert describe.vtl_column_heading(1, 0, enabled=False, last_entry=None) == "VTL 1: not enabled on VP 0"
    assert describe.vtl_column_heading(1, 0, enabled=True, last_entry=None) == (
        "VTL 1: not entered yet; must observe at its next entry")
    assert describe.vtl_column_heading(0, 2, enabled=True, last_entry=30) == (
        "VTL 0: at its last entry (step 30)")


def test_moves_are_counted_when_there_are_many():
    from tdxlab import describe

    assert describe.moves_words(("rsp",), ("cr2",)) == ["rsp made shared", "cr2 made private"]
    assert describe.moves_words(("a", "b", "c", "d", "e"), ()) == ["5 registers made shared"]


def test_byte_value_notes_show_the_integer_or_the_leading_bytes():
    from tdxlab import describe

    rip = (0xFFFFF80000401000).to_bytes(8, "little")
    assert describe.byte_value_note(0x288, rip, as_integer=True) == "value = 0xfffff80000401000"
    assert describe.byte_value_note(0x10, bytes(range(4)), as_integer=False) == "bytes at 0x10: 00 01 02 03"
    long = describe.byte_value_note(0x10, bytes(range(20)), as_integer=False)
    assert long == "bytes at 0x10: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f …"  # 16 of 20 shown


def test_byte_grid_words():
    from tdxlab import describe

    assert describe.outside_label(page_tail=True) == "unused page tail"
    assert describe.outside_label(page_tail=False) == "outside the structure"
    assert describe.byte_grid_title("hcl_run", 4096, 0, None, 64) == (
        "hcl_run: 4096 bytes, one row per 64-byte cache line")
    assert describe.byte_grid_title("tdx_vp_context", 1024, 0x110, 4096, 64) == (
        "tdx_vp_context: 1024 bytes at 0x110 in a 4096-byte page, one row per 64-byte cache line")
