"""Template helpers of this extension (registered by ``tk.blanket.helpers``)."""
from __future__ import annotations

__all__: list[str] = []
