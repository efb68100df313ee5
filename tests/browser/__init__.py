"""Tests that drive a real JupyterLab in headless Chromium (marker: ``browser``)."""
