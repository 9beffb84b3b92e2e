"""Authorization of the evidence, agency-delegation and catalogue actions.

Reads follow the registration records' rule (``agencies.may_read_records`` on top of
``jurisdiction.oversees``): a district's reviewers and officers read the evidence and
delegations of their district only. Recording evidence and commissioning an agency
are the registrant's acts (or its agency's): administering the platform does not make
one a registrant, so these are checked for sysadmins too.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.model.agency import Delegation
from ckanext.tjregistry.model.evidence import Evidence
from ckanext.tjregistry.registration import agencies, evidence

DENIED = "无权执行此操作 / Not allowed"


def _result(allowed: bool, message: str = DENIED) -> AuthResult:
    return {"success": True} if allowed else {"success": False, "msg": message}


def _owner(data_dict: DataDict) -> str | None:
    package = model.Package.get((data_dict or {}).get("package_id") or "")
    return package.owner_org if package is not None else None


@registry.auth
@tk.auth_sysadmins_check
def evidence_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The registrant's admins and editors, or an agency commissioned for evidence."""
    owner = _owner(data_dict)
    return _result(bool(owner) and evidence.maker_for(user_of(context), owner or "") is not None)


def _evidence_view(context: Context, data_dict: DataDict) -> AuthResult:

    record = model.Session.get(Evidence, (data_dict or {}).get("id") or "")
    if record is None:
        return _result(False, "存证记录不存在 / Evidence record not found")
    return _result(evidence.may_view(user_of(context), record))


@registry.auth
def evidence_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _evidence_view(context, data_dict)


@registry.auth
def evidence_verify(context: Context, data_dict: DataDict) -> AuthResult:
    return _evidence_view(context, data_dict)


@registry.auth
def evidence_list(context: Context, data_dict: DataDict) -> AuthResult:
    package = model.Package.get((data_dict or {}).get("package_id") or "")
    if package is None:
        return _result(False, "数据不存在 / Dataset not found")
    return _result(evidence.may_read_for(user_of(context), package))


@registry.auth
@tk.auth_sysadmins_check
def agency_delegation_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The registrant's admins and editors commission an agency."""
    user = user_of(context)
    registrant_id = (data_dict or {}).get("registrant_id") or ""
    return _result(user is not None and jurisdiction.acts_for(user, registrant_id))


@registry.auth
def agency_delegation_revoke(context: Context, data_dict: DataDict) -> AuthResult:

    delegation = model.Session.get(Delegation, (data_dict or {}).get("id") or "")
    if delegation is None:
        return _result(False, "委托不存在 / Delegation not found")
    return _result(agencies.may_manage(user_of(context), delegation))


@registry.auth
def agency_delegation_show(context: Context, data_dict: DataDict) -> AuthResult:

    delegation = model.Session.get(Delegation, (data_dict or {}).get("id") or "")
    if delegation is None:
        return _result(False, "委托不存在 / Delegation not found")
    return _result(agencies.may_view(user_of(context), delegation.registrant_id,
                                     delegation.agency_id))


@registry.auth
def agency_delegation_list(context: Context, data_dict: DataDict) -> AuthResult:
    """A registrant's delegations: their readers (``agencies.may_view``). An agency's:
    its members, and officials, who are shown those in their jurisdiction only."""
    data_dict = data_dict or {}
    user = user_of(context)
    if data_dict.get("registrant_id"):
        return _result(agencies.may_view(user, data_dict["registrant_id"],
                                         data_dict.get("agency_id")))
    agency_id = data_dict.get("agency_id") or ""
    return _result(user is not None and (
        user.sysadmin or jurisdiction.capacity(user, agency_id) is not None
        or bool(jurisdiction.reviewer_institutions(user))
        or jurisdiction.authority_scope(user) is not None))


@registry.auth
def catalogue_entry_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Registration institutions and data authorities (Art. 9: statistics are not public)."""
    user = user_of(context)
    return _result(user is not None and (
        user.sysadmin or bool(jurisdiction.reviewer_institutions(user))
        or jurisdiction.authority_scope(user) is not None))


