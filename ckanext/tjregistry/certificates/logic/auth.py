"""Authorization for the certificate actions.

Certificates are public facts (Art. 24): anyone may show and verify them and read
the published keys. Renewal re-issues a signed certificate: the registrant requests it,
and staff (editors and admins) of the competent institution (the issuer, or the city
institution while the issuer is suspended), and sysadmins, decide, unless tied to the
registrant (recusal).
"""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import codes, issuance, renewal
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


def _current(code_value: Any) -> tuple[Any, str | None]:
    try:
        code = str(codes.parse(str(code_value or "")))
    except codes.InvalidCode:
        return None, "无效的登记编号 / invalid registration code"
    certificate = issuance.current_for_code(code)
    if certificate is None:
        return None, "登记编号不存在 / no such registration code"
    return certificate, None


@registry.auth
def certificate_renew(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Staff of the competent institution (the issuer, or the city institution while the
    issuer is suspended) who are not tied to the registrant."""
    certificate, refusal = _current(data_dict.get("code"))
    if certificate is None:
        return {"success": False, "msg": refusal}
    user = model.User.get(context.get("user") or "")
    refusal = renewal.decision_refusal(user, certificate)
    if refusal is None:
        return {"success": True}
    return {"success": False, "msg": refusal}


@registry.auth
def certificate_renewal_decide(context: dict[str, Any],
                               data_dict: dict[str, Any]) -> dict[str, Any]:
    return certificate_renew(context, data_dict)


@registry.auth
def certificate_renewal_request(context: dict[str, Any],
                                data_dict: dict[str, Any]) -> dict[str, Any]:
    """The registrant: its editors and admins, or an agency under a delegation in force."""
    certificate, refusal = _current(data_dict.get("code"))
    if certificate is None:
        return {"success": False, "msg": refusal}
    user = model.User.get(context.get("user") or "")
    if renewal.may_request(user, certificate):
        return {"success": True}
    return {"success": False,
            "msg": "只有登记主体（或其委托的代理机构）可以申请续展 / only the registrant (or "
                   "an agency acting for it) may request renewal"}


@registry.auth
def certificate_renewal_list(context: dict[str, Any],
                             data_dict: dict[str, Any]) -> dict[str, Any]:
    """With ``code``: the registrant and the competent institution's staff; without:
    any logged-in user (institution staff see their pending requests, others none)."""
    user = model.User.get(context.get("user") or "")
    if user is None:
        return {"success": False, "msg": "请先登录 / log in first"}
    if not data_dict.get("code"):
        return {"success": True}
    certificate, refusal = _current(data_dict.get("code"))
    if certificate is None:
        return {"success": False, "msg": refusal}
    if renewal.may_request(user, certificate) or renewal.is_decider(user, certificate):
        return {"success": True}
    return {"success": False,
            "msg": "只有登记主体和登记机构可以查看续展申请 / only the registrant and the "
                   "institution may see renewal requests"}


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
