"""Renderers: matplotlib figures (:mod:`.bytegrid`, :mod:`.charts`) and HTML strings (:mod:`.html_grid`).

Kept import-light on purpose: ``import tdxlab.render`` loads nothing, so code that only
needs the HTML builders (the Stepper, static reports) never pays for matplotlib.
Import the module you need, e.g. ``from tdxlab.render.bytegrid import draw_byte_grid``.
"""
