"""Who may create a CKAN group (a public collection of datasets on its own page).

Groups are off unless ``tjregistry.ui.groups`` is set; CKAN would still let any
logged-in user create one over the API (``ckan.auth.user_create_groups``). Here only
sysadmins create groups while they are off; with groups on, an administrator or editor
of an organization that may publish (``publishers.publishes``: verified by the city, or
an institution, authority or agency) as well. Group titles and names are checked like
organizations' (``publishers.py``).
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.safeguards import publishers

GROUPS_OPTION = "tjregistry.ui.groups"
GROUPS_OFF = ("群组功能未开启,只有平台管理员可以创建群组 / Groups are turned off: only a "
              "platform administrator may create a group")
GROUPS_VERIFIED = ("只有经核验的登记主体的管理员或编辑可以创建群组 / Only an administrator or "
                   "editor of a verified organization may create a group")


@registry.auth
@tk.chained_auth_function
def group_create(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    user = publishers.caller(context)
    if user is not None and user.sysadmin:
        return next_auth(context, data_dict)
    if not tk.asbool(tk.config.get(GROUPS_OPTION)):
        return {"success": False, "msg": GROUPS_OFF}
    if user is None:
        return {"success": False, "msg": GROUPS_VERIFIED}
    acting = (model.Session.query(model.Member.group_id)
              .filter(model.Member.table_name == "user", model.Member.table_id == user.id,
                      model.Member.state == "active",
                      model.Member.capacity.in_(jurisdiction.ACTING_CAPACITIES)))
    if not any(publishers.publishes(group_id) for (group_id,) in acting):
        return {"success": False, "msg": GROUPS_VERIFIED}
    return next_auth(context, data_dict)
