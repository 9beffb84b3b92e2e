"""Authorization functions of this extension (registered by ``tk.blanket.auth_functions``).

Each workflow action is allowed to the roles its transitions declare in
``workflow.TRANSITIONS`` (one place); roles are resolved per application through
``jurisdiction``, so a reviewer never acts outside the jurisdiction. Decisions are
checked for sysadmins too: administering the platform does not make one a reviewer.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.model import Application, Registration
from ckanext.tjregistry.registration import agencies, duties, visibility, workflow

DENIED = "无权执行此操作或不在管辖范围内 / Not allowed (role or jurisdiction)"


def _result(allowed: bool, message: str = DENIED) -> AuthResult:
    return {"success": True} if allowed else {"success": False, "msg": message}


def api_roles(api: str) -> set[str]:
    """Roles the transition table allows for the API action ``api``."""
    return {role for t in workflow.TRANSITIONS if t.api == api for role in t.roles}


def _decide(user: model.User | None, api: str, *, registrant_id: str, institution_id: str,
            app: Application | None, package_id: str) -> AuthResult:
    """The transition table's answer for ``api``, with recusal and four eyes."""
    actor = workflow.Actor(user)
    roles = workflow.roles_for(actor, registrant_id=registrant_id,
                               institution_id=institution_id)
    transitions = [t for t in workflow.TRANSITIONS if t.api == api]
    if not any(roles.intersection(t.roles) for t in transitions):
        held = workflow.held_roles(actor, registrant_id=registrant_id,
                                   institution_id=institution_id)
        recused = duties.recusal(user, registrant_id)
        if recused is not None and any(held.intersection(t.roles) for t in transitions):
            return _result(False, recused.bilingual())
        return _result(False)
    blocked = [t for t in transitions
               if workflow.second_person_required(model.Session, t, actor, app, package_id)]
    if blocked and len(blocked) == len(transitions):
        return _result(False, duties.second_person_message(blocked[0].second_person_after))
    return _result(True)


def _application_auth(api: str) -> Any:
    @tk.auth_sysadmins_check
    def auth(context: Context, data_dict: DataDict) -> AuthResult:
        app = model.Session.get(Application, (data_dict or {}).get("id") or "")
        if app is None:
            return _result(False, "登记申请不存在 / Application not found")
        return _decide(user_of(context), api, registrant_id=app.registrant_id,
                       institution_id=app.institution_id, app=app, package_id=app.package_id)

    auth.__name__ = api
    return registry.auth(auth)


registration_resubmit = _application_auth("registration_resubmit")
registration_accept = _application_auth("registration_accept")
registration_transfer = _application_auth("registration_transfer")
registration_request_supplement = _application_auth("registration_request_supplement")
registration_approve = _application_auth("registration_approve")
registration_reject = _application_auth("registration_reject")
registration_refuse = _application_auth("registration_refuse")
registration_withdraw = _application_auth("registration_withdraw")
registration_withdraw_decide = _application_auth("registration_withdraw_decide")


@registry.auth
@tk.auth_sysadmins_check
def registration_submit(context: Context, data_dict: DataDict) -> AuthResult:
    package = model.Package.get((data_dict or {}).get("package_id") or "")
    if package is None or not package.owner_org:
        return _result(False, "数据不存在 / Dataset not found")
    user = user_of(context)
    return _result(jurisdiction.acts_for(user, package.owner_org)
                   or agencies.acts_for(user, package.owner_org, agencies.APPLICATION))


def _registration_auth(api: str) -> Any:
    @tk.auth_sysadmins_check
    def auth(context: Context, data_dict: DataDict) -> AuthResult:
        reg = model.Session.get(Registration, (data_dict or {}).get("package_id") or "")
        if reg is None:
            return _result(False, "该数据未登记 / The dataset is not registered")
        return _decide(user_of(context), api, registrant_id=reg.registrant_id,
                       institution_id=reg.institution_id, app=None, package_id=reg.package_id)

    auth.__name__ = api
    return registry.auth(auth)


registration_revoke = _registration_auth("registration_revoke")
registration_revocation_review = _registration_auth("registration_revocation_review")


@registry.auth
def registration_show(context: Context, data_dict: DataDict) -> AuthResult:
    app = model.Session.get(Application, (data_dict or {}).get("id") or "")
    if app is None:
        return _result(False, "登记申请不存在 / Application not found")
    return _result(agencies.may_read_records(user_of(context), app.registrant_id,
                                              app.institution_id))


@registry.auth
def registration_history(context: Context, data_dict: DataDict) -> AuthResult:
    data_dict = data_dict or {}
    user = user_of(context)
    if data_dict.get("id"):
        app = model.Session.get(Application, data_dict["id"])
        if app is None:
            return _result(False, "登记申请不存在 / Application not found")
        return _result(agencies.may_read_records(user, app.registrant_id, app.institution_id))
    package = model.Package.get(data_dict.get("package_id") or "")
    if package is None:
        return _result(False, "数据不存在 / Dataset not found")
    reg = model.Session.get(Registration, package.id)
    latest = (model.Session.query(Application).filter(Application.package_id == package.id)
              .order_by(Application.created.desc()).first())
    institution_id = (reg.institution_id if reg else latest.institution_id if latest else "")
    return _result(agencies.may_read_records(user, package.owner_org or "", institution_id))


@registry.auth
def registration_status_show(context: Context, data_dict: DataDict) -> AuthResult:
    # Public for the register, like the dataset's registration_status field; a dataset
    # outside it is seen only by those who may read it (visibility.py).
    package = model.Package.get((data_dict or {}).get("package_id") or "")
    if package is None or visibility.may_see(user_of(context), package):
        return {"success": True}
    return _result(False, "数据不存在 / Dataset not found")


def _logged_in(context: Context) -> bool:
    return user_of(context) is not None


@registry.auth
def registration_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(_logged_in(context), "请先登录 / Log in first")


@registry.auth
def registration_dataset_list(context: Context, data_dict: DataDict) -> AuthResult:
    # The action lists only the caller's own registrants' datasets.
    return _result(_logged_in(context), "请先登录 / Log in first")


@registry.auth
def registration_notification_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(_logged_in(context), "请先登录 / Log in first")


@registry.auth
def registration_history_verify(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(jurisdiction.authority_scope(user_of(context)) == "city")


@registry.auth
def registration_late_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = user_of(context)
    return _result(bool(jurisdiction.reviewer_institutions(user))
                   or jurisdiction.authority_scope(user) is not None)


@registry.auth
def registrant_account_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(jurisdiction.is_city_reviewer(user_of(context)))


@registry.auth
def registrant_account_bulk_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(jurisdiction.is_city_reviewer(user_of(context)))


@registry.auth
def registrant_verify(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(jurisdiction.is_city_reviewer(user_of(context)))


@registry.auth
def registrant_register(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(_logged_in(context), "请先登录 / Log in first")
