"""Blueprints of this extension (registered by ``tk.blanket.blueprints``)."""
from __future__ import annotations

from ckanext.tjregistry.views.certificates import certificates as tjregistry_certificates

__all__: list[str] = ["tjregistry_certificates"]
