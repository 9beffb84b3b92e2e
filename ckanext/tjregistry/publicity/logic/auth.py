"""Authorization of the publicity, objection and public query actions.

The publicity and the registration query are public (Art. 20, 24); anyone may file
an objection. Who may see, answer and decide an objection is decided in one place,
``objections.py``: the handling institution (and sysadmins) see everything, the
registrant sees the statement and may answer, the objector follows it with a token.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.publicity import objections

DENIED = "无权查看或处理该异议 / Not allowed to see or handle this objection"


def _objection(data_dict: DataDict) -> objections.Objection | None:
    try:
        return objections.get(str((data_dict or {}).get("id") or ""))
    except tk.ObjectNotFound:
        return None


@registry.auth
@tk.auth_allow_anonymous_access
def registration_publicity_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def registration_query(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def objection_create(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def objection_show(context: Context, data_dict: DataDict) -> AuthResult:
    objection = _objection(data_dict)
    if objection is None:
        return {"success": False, "msg": "异议不存在 / Objection not found"}
    view = objections.view_for(user_of(context), objection, (data_dict or {}).get("token"))
    return {"success": view is not None, "msg": DENIED}


@registry.auth
def objection_list(context: Context, data_dict: DataDict) -> AuthResult:
    if user_of(context) is None:
        return {"success": False, "msg": "请先登录 / Log in first"}
    return {"success": True}


@registry.auth
@tk.auth_sysadmins_check
def objection_respond(context: Context, data_dict: DataDict) -> AuthResult:
    objection = _objection(data_dict)
    user = user_of(context)
    allowed = objection is not None and objections.may_respond(user, objection)
    return {"success": allowed, "msg": "只有登记主体可以答复 / Only the registrant may respond"}


@registry.auth
@tk.auth_sysadmins_check
def objection_decide(context: Context, data_dict: DataDict) -> AuthResult:
    objection = _objection(data_dict)
    allowed = objection is not None and objections.may_decide(user_of(context), objection)
    return {"success": allowed,
            "msg": "只有办理该登记的登记机构可以决定 / Only the institution handling the "
                   "application may decide"}
