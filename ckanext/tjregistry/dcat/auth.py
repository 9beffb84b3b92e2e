"""Auth functions of the export actions: published registration results are public."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry


@registry.auth
@tk.auth_allow_anonymous_access
def registration_export_show(context: Any, data_dict: Any) -> dict[str, bool]:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def registration_export_list(context: Any, data_dict: Any) -> dict[str, bool]:
    return {"success": True}
