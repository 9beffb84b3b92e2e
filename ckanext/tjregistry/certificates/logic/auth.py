"""Authorization for the certificate actions.

Certificates are public facts (Art. 24): anyone may show and verify them and read
the published keys. Renewal re-issues a signed certificate, so only staff
(editors and admins) of the institution that issued it, and sysadmins, may renew.
"""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import codes, issuance
from ckanext.tjregistry.common import jurisdiction, registry

STAFF_ROLES = ("admin", "editor")


def is_institution_staff(user: str | None, institution_id: str) -> bool:
    if not user:
        return False
    if authz.is_sysadmin(user):
        return True
    return authz.users_role_for_group_or_org(institution_id, user) in STAFF_ROLES


@registry.auth
@tk.auth_allow_anonymous_access
def certificate_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def certificate_verify(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}


@registry.auth
@tk.auth_allow_anonymous_access
def certificate_key_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}


@registry.auth
def certificate_renew(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    try:
        code = str(codes.parse(str(data_dict.get("code") or "")))
    except codes.InvalidCode:
        return {"success": False, "msg": "无效的登记编号 / invalid registration code"}
    certificate = issuance.current_for_code(code)
    if certificate is None:
        return {"success": False, "msg": "登记编号不存在 / no such registration code"}
    if is_institution_staff(context.get("user"), certificate.institution_id):
        return {"success": True}
    return {
        "success": False,
        "msg": "只有发证的登记机构可以续展 / only the issuing institution may renew",
    }


def _records_national_code(user: str | None, code: str) -> dict[str, Any]:
    try:
        code = str(codes.parse(code))
    except codes.InvalidCode:
        return {"success": False, "msg": "无效的登记编号 / invalid registration code"}
    certificate = issuance.current_for_code(code)
    if certificate is None:
        return {"success": False, "msg": "登记编号不存在 / no such registration code"}
    if is_institution_staff(user, certificate.institution_id) or _city_staff(user):
        return {"success": True}
    return {"success": False,
            "msg": "只有发证的登记机构或市级登记机构可以记录登记结果查询码 / only the issuing "
                   "institution or the city institution may record the national code"}


def _city_staff(user: str | None) -> bool:
    city = jurisdiction.city_institution()
    return bool(user) and city is not None and is_institution_staff(user, city.id)


@registry.auth
def certificate_national_code_set(context: dict[str, Any],
                                  data_dict: dict[str, Any]) -> dict[str, Any]:
    return _records_national_code(context.get("user"), str(data_dict.get("code") or ""))


@registry.auth
def certificate_national_code_import(context: dict[str, Any],
                                     data_dict: dict[str, Any]) -> dict[str, Any]:
    """Logged-in institution staff; each row is checked like a single recording."""
    user = model.User.get(context.get("user") or "")
    if user is not None and (user.sysadmin or jurisdiction.reviewer_institutions(user)):
        return {"success": True}
    return {"success": False, "msg": "只有登记机构人员可以导入 / institution staff only"}
