"""Who lists and who decides identity changes of verified registrants (``identity.py``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.common.callers import user_of


@registry.auth
def registrant_identity_change_list(context: Context, data_dict: DataDict) -> AuthResult:
    # Anyone logged in; the action lists only what the caller may see.
    if user_of(context) is None:
        return {"success": False, "msg": "请先登录 / Log in first"}
    return {"success": True}


@registry.auth
@tk.auth_sysadmins_check
def registrant_identity_change_decide(context: Context, data_dict: DataDict) -> AuthResult:
    # Re-verification is the city institution's, as the verification itself (Art. 13).
    return {"success": jurisdiction.is_city_reviewer(user_of(context)),
            "msg": "只有市级登记机构可以核准登记主体身份信息的变更 / Only the city registration "
                   "institution re-verifies a registrant's identity"}
