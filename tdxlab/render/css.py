"""Inline CSS shared by every HTML view (Stepper panels, byte grids, widget tables and texts).

Why one module: the fonts were spelled out in six places, and a view that drifted from
the others (a different size, a missing fallback) looked broken next to them.  The
families are JupyterLab's theme variables with a generic fallback, so the views follow
the notebook's theme and still read in a static HTML export.
"""

from __future__ import annotations

#: The text font of every panel and table (JupyterLab's UI font).
FONT = "font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;"
#: The byte grid's text font: one size smaller, so a 64-byte line fits a notebook cell.
SMALL_FONT = "font-family: var(--jp-ui-font-family, sans-serif); font-size: 12px;"
#: Hex values, offsets and trace files (JupyterLab's code font).
MONO = "font-family: var(--jp-code-font-family, monospace); font-size: 12px;"

__all__ = ["FONT", "MONO", "SMALL_FONT"]
