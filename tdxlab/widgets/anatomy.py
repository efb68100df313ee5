"""The anatomy explorer: pick a structure and a field, see exactly which bytes it owns.

Two faces over one object, as every tdxlab widget:

* a plain-Python API (:class:`AnatomyExplorer`) for notebooks, tests and scripts:
  ``select_struct``, ``select_field``, ``highlighted`` (the selected bytes as a
  ``range``), ``info`` (the field in words) and ``html`` (the whole view as one string);
* an ipywidgets UI (``.widget``), built on first access, whose two dropdowns call the
  same methods and whose view is ONE ``widgets.HTML`` holding
  :func:`tdxlab.render.html_grid.byte_grid_html` (hundreds of spans with tooltips, not
  hundreds of widgets).  ipywidgets is imported only when ``.widget`` is built.

A bad structure or field name raises :class:`~tdxlab.layout.engine.LayoutError` with
one line naming it (and close matches) and leaves the explorer as it was.
"""

from __future__ import annotations

from html import escape
from typing import Any

from tdxlab import describe
from tdxlab.layout import catalog
from tdxlab.layout.engine import Layout, Row
from tdxlab.render.html_grid import byte_grid_html

#: The structure a new explorer opens on: the per-VP run page of openvmm #746.
DEFAULT_STRUCT = "hcl_run"
_NO_FIELD = "(no field selected)"


class AnatomyExplorer:
    """Browse the structures of :data:`tdxlab.layout.catalog.STRUCTS` field by field."""

    def __init__(self, struct: str = DEFAULT_STRUCT, field: str | None = None) -> None:
        """Open on ``struct`` (a name in ``STRUCTS``) with ``field`` (a dotted path) selected."""
        self._layout: Layout = catalog.get(struct)
        self._struct = struct
        self._row: Row | None = None
        self._ui: dict[str, Any] | None = None
        self._syncing = False
        if field is not None:
            self.select_field(field)

    # -- state ------------------------------------------------------------------------------------
    @property
    def struct(self) -> str:
        """Name of the structure shown."""
        return self._struct

    @property
    def layout(self) -> Layout:
        """Layout of the structure shown."""
        return self._layout

    @property
    def field(self) -> str | None:
        """Dotted path of the selected field, or None."""
        return None if self._row is None else self._row.path

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
    def select_struct(self, name: str) -> None:
        """Show structure ``name``; keep the selected field if the new structure has the same path."""
        layout = catalog.get(name)  # LayoutError (one line) before anything changes
        keep = self.field if self.field is not None and layout.has(self.field) else None
        self._layout, self._struct = layout, name
        self._row = None if keep is None else layout.row(keep)
        self._refresh(options=True)

    def select_field(self, path: str | None) -> None:
        """Select the field at dotted ``path`` (None clears the selection)."""
        self._row = None if path is None else self._layout.row(path)
        self._refresh()

    # -- views ------------------------------------------------------------------------------------
    @property
    def info(self) -> str:
        """The selected field in words (the same text as its tooltip in the grid)."""
        if self._row is None:
            return (f"{self._struct}: {self._layout.size} bytes. "
                    "Pick a field to see its bytes, owner and source.")
        return describe.row_tooltip(self._row)

    @property
    def info_html(self) -> str:
        """:attr:`info` as escaped HTML, one line per line of text."""
        body = "<br>".join(escape(line) for line in self.info.splitlines())
        return (f'<div class="tdxlab-info" style="font-family: var(--jp-ui-font-family, sans-serif); '
                f'font-size: 13px; padding: 4px 8px; border-left: 4px solid #000000; '
                f'background: #f4f4f6; color: #1d1d1f;">{body}</div>')

    @property
    def grid_html(self) -> str:
        """The byte grid of the structure with the selected field outlined."""
        caption = f"{self._struct}: {self._layout.size} bytes ({self._layout.decl.source.cite()})"
        return byte_grid_html(self._layout, highlight=self.highlighted or None, caption=caption)

    @property
    def html(self) -> str:
        """The whole view (info line and byte grid) as one HTML string."""
        return self.info_html + self.grid_html

    def _field_options(self) -> list[tuple[str, str | None]]:
        opts: list[tuple[str, str | None]] = [(_NO_FIELD, None)]
        for r in self._layout.rows:
            indent = "\u2003" * r.depth
            opts.append((f"{indent}{r.path}  [{r.offset:#x}, {r.size} B, {r.owner.value}]", r.path))
        return opts

    # -- widget -----------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets UI (built on first access; later calls return the same widget)."""
        if self._ui is None:
            self._ui = self._build()
        return self._ui["root"]

    def _build(self) -> dict[str, Any]:
        import ipywidgets as w

        struct_dd = w.Dropdown(options=self.structs(), value=self._struct, description="structure",
                               layout=w.Layout(width="320px"))
        field_dd = w.Dropdown(options=self._field_options(), value=self.field, description="field",
                              layout=w.Layout(width="560px"))
        info = w.HTML(self.info_html)
        grid = w.HTML(self.grid_html)

        def on_struct(change: dict[str, Any]) -> None:
            if not self._syncing:
                self.select_struct(change["new"])

        def on_field(change: dict[str, Any]) -> None:
            if not self._syncing:
                self.select_field(change["new"])

        struct_dd.observe(on_struct, names="value")
        field_dd.observe(on_field, names="value")
        root = w.VBox([w.HBox([struct_dd, field_dd]), info, grid])
        return {"root": root, "struct": struct_dd, "field": field_dd, "info": info, "grid": grid}

    def _refresh(self, options: bool = False) -> None:
        """Push the state into the widgets, if built (no-op for the plain-Python API)."""
        ui = self._ui
        if ui is None:
            return
        self._syncing = True
        try:
            if options:
                ui["field"].options = self._field_options()
            ui["struct"].value = self._struct
            ui["field"].value = self.field
            ui["info"].value = self.info_html
            ui["grid"].value = self.grid_html
        finally:
            self._syncing = False


__all__ = ["DEFAULT_STRUCT", "AnatomyExplorer"]
