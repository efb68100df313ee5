"""Sentences only the views show: banners, verdict lines, captions (filled as they move here)."""

from __future__ import annotations

__all__: list[str] = []
