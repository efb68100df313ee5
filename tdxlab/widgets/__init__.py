"""Thin ipywidgets front ends over :mod:`tdxlab.render`, each with a plain-Python API.

Every widget class here can be driven without a browser (tests, notebooks, scripts);
its ``.widget`` property builds the ipywidgets UI lazily, so ipywidgets is imported
only when a UI is actually shown.  This package file imports nothing itself.
"""
