"""Authorization of the supervision actions: statistics, service reports, suspension,
cancellation and the records of interviews and on-site guidance."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.supervision import qualification as supervision
from ckanext.tjregistry.supervision import reports, statistics

STATISTICS_DENIED = ("仅数据主管部门和登记机构可以查看登记统计 / Only data authorities and "
                     "registration institutions may see registration statistics")
REPORT_DENIED = ("无权查看该登记机构的服务报告 / Not allowed to see this institution's "
                 "service report")
SUPERVISION_DENIED = ("仅同级数据主管部门可以暂停或恢复登记机构资格 / Only the data authority "
                      "of the institution's level may suspend or reinstate it")
CANCEL_DENIED = ("仅同级数据主管部门(或对拒不整改的登记机构,市数据主管部门)可以取消登记机构资格 / "
                 "Only the data authority of the institution's level (or the city authority, "
                 "for an institution it guided that refused to rectify) may cancel its "
                 "qualification")
RECORD_DENIED = ("仅同级数据主管部门和市数据主管部门可以记录约谈或现场指导 / Only the data "
                 "authority of the institution's level and the city authority may record "
                 "interviews and on-site guidance")
RECORDS_HIDDEN = ("无权查看该登记机构的约谈和现场指导记录 / Not allowed to see this "
                  "institution's interview and on-site guidance records")


def _result(allowed: bool, message: str) -> AuthResult:
    return {"success": True} if allowed else {"success": False, "msg": message}


@registry.auth
def registration_statistics_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(statistics.viewer_area(user_of(context)) is not None, STATISTICS_DENIED)


@registry.auth
def institution_service_report(context: Context, data_dict: DataDict) -> AuthResult:
    user = user_of(context)
    wanted = str((data_dict or {}).get("institution") or "")
    visible = reports.reports_visible_to(user)
    if not wanted:
        return _result(bool(visible), REPORT_DENIED)
    group = model.Group.get(wanted)
    return _result(group is not None and any(inst.id == group.id for inst in visible),
                   REPORT_DENIED)


@registry.auth
def institution_qualification_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = user_of(context)
    allowed = (supervision.supervising_scope(user) is not None
               or statistics.viewer_area(user) is not None)
    return _result(allowed, STATISTICS_DENIED)


def _institution(data_dict: DataDict) -> jurisdiction.OrgProfile | None:
    group = model.Group.get(str((data_dict or {}).get("id") or ""))
    if group is None:
        return None
    try:
        return jurisdiction.institution(group.id)
    except tk.ObjectNotFound:
        return None


NOT_FOUND = "登记机构不存在 / Registration institution not found"


def _check(context: Context, data_dict: DataDict, rule: Any, message: str) -> AuthResult:
    inst = _institution(data_dict)
    if inst is None:
        return _result(False, NOT_FOUND)
    return _result(rule(user_of(context), inst), message)


def _supervision(context: Context, data_dict: DataDict) -> AuthResult:
    return _check(context, data_dict, supervision.may_supervise, SUPERVISION_DENIED)


# Decisions of the authority are checked for sysadmins too: administering the platform
# does not make one a data-authority officer.
@registry.auth
@tk.auth_sysadmins_check
def institution_suspend(context: Context, data_dict: DataDict) -> AuthResult:
    return _supervision(context, data_dict)


@registry.auth
@tk.auth_sysadmins_check
def institution_reinstate(context: Context, data_dict: DataDict) -> AuthResult:
    return _supervision(context, data_dict)


@registry.auth
@tk.auth_sysadmins_check
def institution_qualification_cancel(context: Context, data_dict: DataDict) -> AuthResult:
    return _check(context, data_dict, supervision.may_cancel, CANCEL_DENIED)


@registry.auth
@tk.auth_sysadmins_check
def institution_supervision_record_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _check(context, data_dict, supervision.may_record, RECORD_DENIED)


# Not public, not even to sysadmins as such: the authorities over it and its own staff.
@registry.auth
@tk.auth_sysadmins_check
def institution_supervision_record_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _check(context, data_dict, supervision.may_read_records, RECORDS_HIDDEN)
