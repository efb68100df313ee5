"""The anatomy explorer: pick a structure and a field, see exactly which bytes it owns.

Two faces over one object, as every tdxlab widget:

* a plain-Python API (:class:`AnatomyExplorer`) for notebooks, tests and scripts:
  ``select_struct``, ``select_field``, ``highlighted`` (the selected bytes as a
  ``range``), ``info`` (the field in words) and ``html`` (the whole view as one string);
* an ipywidgets UI (``.widget``, the shared base of :mod:`tdxlab.widgets._base`), built on
  first access, whose two dropdowns call the same methods and whose view is ONE ``widgets.HTML`` holding
  :func:`tdxlab.render.html_grid.byte_grid_html` (hundreds of spans with tooltips, not
  hundreds of widgets).  ipywidgets is imported only when ``.widget`` is built.

A bad structure or field name raises :class:`~tdxlab.layout.engine.LayoutError` with
one line naming it (and close matches) and leaves the explorer as it was.
"""

from __future__ import annotations

from html import escape

import traitlets

from tdxlab import describe
from tdxlab.layout import catalog
from tdxlab.layout.engine import Layout, LayoutError, Row
from tdxlab.render.css import FONT
from tdxlab.render.html_grid import byte_grid_html
from tdxlab.widgets._base import WidgetModel, WidgetUI

#: The structure a new explorer opens on: the per-VP run page of openvmm #746.
DEFAULT_STRUCT = "hcl_run"
_NO_FIELD = "(no field selected)"


class AnatomyExplorer(WidgetModel["_AnatomyUI"]):
    """Browse the structures of :data:`tdxlab.layout.catalog.STRUCTS` field by field."""

    struct = traitlets.Unicode(read_only=True, help="name of the structure shown")
    field = traitlets.Unicode(None, allow_none=True, read_only=True,
                              help="dotted path of the selected field, or None")

    def __init__(self, struct: str = DEFAULT_STRUCT, field: str | None = None) -> None:
        """Open on ``struct`` (a name in ``STRUCTS``) with ``field`` (a dotted path) selected."""
        super().__init__()
        self._layout: Layout = catalog.get(struct)
        self.set_trait("struct", struct)
        self._row: Row | None = None
        if field is not None:
            self.select_field(field)

    # -- state ------------------------------------------------------------------------------------
    @property
    def layout(self) -> Layout:
        """Layout of the structure shown."""
        return self._layout

    @property
    def row(self) -> Row | None:
        """The selected layout row, or None."""
        return self._row

    @property
    def highlighted(self) -> range:
        """Bytes of the selected field, as offsets in the structure (empty when none is selected)."""
        return range(0) if self._row is None else range(self._row.offset, self._row.end)

    def structs(self) -> list[str]:
        """Names the structure dropdown offers, in teaching order."""
        return list(catalog.STRUCTS)

    def fields(self) -> list[str]:
        """Dotted paths the field dropdown offers: every row of the layout, in byte order."""
        return [r.path for r in self._layout.rows]

    # -- actions ----------------------------------------------------------------------------------
    def _show(self, name: str, layout: Layout, row: Row | None) -> None:
        with self.hold_trait_notifications():
            self._layout, self._row = layout, row
            self.set_trait("struct", name)
            self.set_trait("field", None if row is None else row.path)
            self._changed()

    def select_struct(self, name: str) -> None:
        """Show structure ``name``; keep the selected field if the new structure has the same path."""
        layout = catalog.get(name)  # LayoutError (one line) before anything changes
        keep = self.field if self.field is not None and layout.has(self.field) else None
        self._show(name, layout, None if keep is None else layout.row(keep))

    def select_field(self, path: str | None) -> None:
        """Select the field at dotted ``path`` (None clears the selection)."""
        self._show(self.struct, self._layout, None if path is None else self._layout.row(path))

    # -- views ------------------------------------------------------------------------------------
    @property
    def info(self) -> str:
        """The selected field in words (the same text as its tooltip in the grid)."""
        if self._row is None:
            return describe.struct_intro(self.struct, self._layout.size)
        return describe.row_tooltip(self._row)

    @property
    def info_html(self) -> str:
        """:attr:`info` as escaped HTML, one line per line of text."""
        body = "<br>".join(escape(line) for line in self.info.splitlines())
        return (f'<div class="tdxlab-info" style="{FONT} padding: 4px 8px; border-left: 4px solid #000000; '
                f'background: #f4f4f6; color: #1d1d1f;">{body}</div>')

    @property
    def grid_html(self) -> str:
        """The byte grid of the structure with the selected field outlined."""
        caption = f"{self.struct}: {self._layout.size} bytes ({self._layout.decl.source.cite()})"
        return byte_grid_html(self._layout, highlight=self.highlighted or None, caption=caption)

    @property
    def html(self) -> str:
        """The whole view (info line and byte grid) as one HTML string."""
        return self.info_html + self.grid_html

    def field_options(self) -> list[tuple[str, str | None]]:
        """The field dropdown's (label, path) pairs: nothing, then every row indented by depth."""
        opts: list[tuple[str, str | None]] = [(_NO_FIELD, None)]
        for r in self._layout.rows:
            indent = "\u2003" * r.depth
            opts.append((f"{indent}{r.path}  [{r.offset:#x}, {r.size} B, {r.owner.value}]", r.path))
        return opts

    # -- widget -----------------------------------------------------------------------------------
    def _build_ui(self) -> _AnatomyUI:
        return _AnatomyUI(self)

    def __repr__(self) -> str:
        """Structure and field in one line."""
        return f"<AnatomyExplorer {self.struct}: {self.field or _NO_FIELD}>"


class _AnatomyUI(WidgetUI):
    """Two dropdowns and ONE ``widgets.HTML`` for the byte grid (spans with tooltips, not widgets)."""

    errors = (LayoutError,)

    def __init__(self, ex: AnatomyExplorer) -> None:
        import ipywidgets as w

        super().__init__(ex)
        self.ex = ex
        self.struct = w.Dropdown(options=ex.structs(), value=ex.struct, description="structure",
                                 layout=w.Layout(width="320px"))
        self.field = w.Dropdown(options=ex.field_options(), value=ex.field, description="field",
                                layout=w.Layout(width="560px"))
        self.info = w.HTML()
        self.grid = w.HTML()
        self.on_value(self.struct, ex.select_struct)
        self.on_value(self.field, ex.select_field)
        self.root = w.VBox([w.HBox([self.struct, self.field]), self.error, self.info, self.grid])
        self.root.add_class("tdxlab-anatomy")
        self._options_of = ex.struct
        self.refresh()

    def sync(self) -> None:
        """The dropdowns show the structure and field (the field list follows the structure)."""
        if self._options_of != self.ex.struct:
            self.field.options = self.ex.field_options()
            self._options_of = self.ex.struct
        self.struct.value = self.ex.struct
        self.field.value = self.ex.field

    def redraw(self) -> None:
        """The info line and the byte grid."""
        self.info.value = self.ex.info_html
        self.grid.value = self.ex.grid_html


__all__ = ["DEFAULT_STRUCT", "AnatomyExplorer"]
