"""Authorization functions of this extension (registered by ``tk.blanket.auth_functions``)."""
from __future__ import annotations

__all__: list[str] = []
