"""Who may read the portal's public information: everyone."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import registry


@registry.auth
@tk.auth_allow_anonymous_access
def announcement_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
