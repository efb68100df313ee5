"""Declarative C structure layouts: declare once, derive offsets, owners and byte access."""
