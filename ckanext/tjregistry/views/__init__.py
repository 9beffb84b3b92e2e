"""Blueprints of this extension (registered by ``tk.blanket.blueprints``)."""
from __future__ import annotations

__all__: list[str] = []
