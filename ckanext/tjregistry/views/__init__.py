"""Blueprints of this extension (registered by ``tk.blanket.blueprints``)."""
from __future__ import annotations

from ckanext.tjregistry.views.certificates import certificates as tjregistry_certificates
from ckanext.tjregistry.views.dcat import dcat_export as tjregistry_dcat
from ckanext.tjregistry.views.publicity import public_pages as tjregistry_publicity
from ckanext.tjregistry.views.statistics import supervision_pages as tjregistry_statistics
from ckanext.tjregistry.views.workflow import registration as tjregistry_workflow

__all__: list[str] = ["tjregistry_certificates", "tjregistry_dcat", "tjregistry_workflow"]
__all__ += ["tjregistry_statistics"]
__all__ += ["tjregistry_publicity"]
