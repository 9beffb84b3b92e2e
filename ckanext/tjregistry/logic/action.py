"""API actions of this extension (registered by ``tk.blanket.actions``)."""
from __future__ import annotations

__all__: list[str] = []
