"""AnatomyExplorer: the plain-Python API, one-line errors, and the lazily built widget in sync.

Expected byte ranges are pinned literally from the reference sheet (domain-facts 1.1, 1.2,
1.5): rip at run-page 0x288 and at tdx_vp_context 0x178 (gpr_list 0xf0 + rip 0x88).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from widget_tree import imported_by

from tdxlab.layout.engine import LayoutError
from tdxlab.widgets.anatomy import AnatomyExplorer


def _highlighted_bytes(html: str) -> set[int]:
    out: set[int] = set()
    for attrs in re.findall(r'<span class="tdxlab-b [^"]*tdxlab-highlight[^"]*"([^>]*)>', html):
        start = int(re.search(r'data-start="(0x[0-9a-f]+)"', attrs).group(1), 16)  # type: ignore[union-attr]
        end = int(re.search(r'data-end="(0x[0-9a-f]+)"', attrs).group(1), 16)  # type: ignore[union-attr]
        out.update(range(start, end))
    return out


def test_opens_on_the_run_page_with_nothing_selected() -> None:
    ex = AnatomyExplorer()
    assert ex.struct == "hcl_run"
    assert ex.field is None and ex.highlighted == range(0)
    assert "tdxlab-highlight" not in ex.html
    assert "hcl_run" in ex.structs() and "tdx_vp_context" in ex.structs()
    assert "context.gpr_list.rip" in ex.fields()


def test_select_field_highlights_exactly_its_bytes() -> None:
    ex = AnatomyExplorer("hcl_run")
    ex.select_field("context.gpr_list.rip")
    assert ex.highlighted == range(0x288, 0x290)
    assert _highlighted_bytes(ex.html) == set(range(0x288, 0x290))
    assert "rip" in ex.info
    ex.select_field("exit_message")
    assert ex.highlighted == range(0x010, 0x110)
    assert _highlighted_bytes(ex.html) == set(range(0x010, 0x110))
    ex.select_field(None)
    assert ex.highlighted == range(0) and _highlighted_bytes(ex.html) == set()


def test_select_struct_changes_offsets_and_drops_missing_field() -> None:
    ex = AnatomyExplorer("hcl_run", field="context.gpr_list.rip")
    ex.select_struct("tdx_vp_context")
    assert ex.struct == "tdx_vp_context" and ex.field is None
    ex.select_field("gpr_list.rip")
    assert ex.highlighted == range(0x178, 0x180)
    ex.select_field("gpr_list.gps.rsp")
    assert ex.highlighted == range(0x110, 0x118)  # 0xf0 + 32


def test_select_struct_keeps_a_field_both_structures_have() -> None:
    ex = AnatomyExplorer("hcl_run", field="cancel")
    ex.select_struct("hcl_run_snp")
    assert ex.field == "cancel" and ex.highlighted == range(0x000, 0x004)


def test_bad_field_is_one_line_error_and_changes_nothing() -> None:
    ex = AnatomyExplorer("hcl_run", field="context.gpr_list.rip")
    with pytest.raises(LayoutError) as err:
        ex.select_field("context.gpr_list.rpi")
    message = str(err.value)
    assert "\n" not in message and "rpi" in message and "hcl_run" in message
    assert ex.field == "context.gpr_list.rip" and ex.highlighted == range(0x288, 0x290)


def test_bad_struct_is_one_line_error_and_changes_nothing() -> None:
    ex = AnatomyExplorer("hcl_run", field="cancel")
    with pytest.raises(LayoutError) as err:
        ex.select_struct("hcl_rum")
    assert "\n" not in str(err.value) and "hcl_rum" in str(err.value)
    assert ex.struct == "hcl_run" and ex.field == "cancel"
    with pytest.raises(LayoutError):
        AnatomyExplorer("nope")


def test_widget_is_lazy_and_stays_in_sync() -> None:
    ex = AnatomyExplorer("hcl_run")
    assert ex._ui is None  # nothing built until asked
    root = ex.widget
    assert ex.widget is root
    ui = ex._ui
    assert ui is not None
    # API -> widgets
    ex.select_field("context.gpr_list.rip")
    assert ui.field.value == "context.gpr_list.rip"
    assert _highlighted_bytes(ui.grid.value) == set(range(0x288, 0x290))
    assert "rip" in unescape(ui.info.value)
    # widgets -> API
    ui.field.value = "context.gpr_list.gps.rsp"
    assert ex.field == "context.gpr_list.gps.rsp" and ex.highlighted == range(0x220, 0x228)
    ui.struct.value = "tdx_vp_context"
    assert ex.struct == "tdx_vp_context" and ex.field is None
    assert "gpr_list.rip" in [value for _, value in ui.field.options]
    ui.field.value = "gpr_list.rip"
    assert ex.highlighted == range(0x178, 0x180)
    assert _highlighted_bytes(ui.grid.value) == set(range(0x178, 0x180))


def test_one_html_widget_for_the_grid() -> None:
    import ipywidgets as w

    ex = AnatomyExplorer("hcl_run")
    root = ex.widget
    html_children = [c for c in root.children if isinstance(c, w.HTML)]
    assert len(html_children) == 3  # the error line, the info line and the whole byte grid


def test_anatomy_imports_neither_ipywidgets_nor_matplotlib_until_needed() -> None:
    code = ("from tdxlab.widgets.anatomy import AnatomyExplorer\n"
            "ex = AnatomyExplorer(); ex.select_field('context.gpr_list.rip'); _ = ex.html")
    assert imported_by(code, ("matplotlib", "ipywidgets")) == []
