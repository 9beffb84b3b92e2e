"""The freeze: a registered record changes only through the procedure (Art. 14).

After registration a dataset changes only through a change, correction or
cancellation application, or the city's correction or revocation (Art. 29); while an
application is being handled the reviewed content must not move either, except when
the registrant was asked to supplement it. A registration record, once it exists, is
kept: it is not deleted, purged, hidden or moved to another organization, whatever
its status.

Every CKAN write that can change, hide, delete, move or purge a dataset or its
resources is guarded by a chained auth function built here (``DATASET_WRITES``). The
guard applies to sysadmins too (``auth_sysadmins_check``): administering the platform
is no licence to rewrite the register. The procedure itself writes with
``ignore_auth`` and is never stopped here; operator repairs go through
``ckan tjregistry repair`` (recorded in the history).

Organizations: a registrant holding registration records is not deleted or purged,
and its last administrator is not removed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.model import Application, Registration

# Application states in which the dataset may be edited (the registrant supplements it).
EDITABLE_APPLICATION_STATES = ("supplement_requested",)

REGISTERED = ("已登记的数据只能通过变更、更正或注销登记修改 / A registered dataset can only be "
              "changed through a change, correction or cancellation application")
UNDER_REVIEW = ("登记申请办理中,数据暂不能修改 / The dataset cannot be edited while its "
                "registration application is being handled")
KEPT = ("登记记录须保存,不能删除、隐藏或移出登记主体 / Registration records are kept: they "
        "cannot be deleted, hidden or moved to another organization")
ORG_HOLDS_RECORDS = ("该登记主体持有登记记录,不能删除 / This registrant holds registration "
                     "records and cannot be deleted")
LAST_ADMIN = ("不能移除该组织的最后一名管理员 / The organization's last administrator cannot "
              "be removed")


def locked_reason(package_id: str) -> str | None:
    """Why a dataset's content may not be edited directly now, or None."""
    package = model.Package.get(package_id) if package_id else None
    if package is None:
        return None
    # populate_existing: what another transaction committed since this one loaded it.
    registration = model.Session.get(Registration, package.id, populate_existing=True)
    if registration is not None and registration.status == "registered":
        return REGISTERED
    application = (model.Session.query(Application)
                   .filter(Application.package_id == package.id, Application.is_open.is_(True))
                   .populate_existing().one_or_none())
    if application is not None and application.state not in EDITABLE_APPLICATION_STATES:
        return UNDER_REVIEW
    return None


def removal_reason(package_id: str) -> str | None:
    """Why a dataset may not be deleted, purged, made private or moved, or None."""
    package = model.Package.get(package_id) if package_id else None
    if package is None:
        return None
    reason = locked_reason(package.id)
    if reason is not None:
        return reason
    if model.Session.get(Registration, package.id) is not None:
        return KEPT
    return None


# --------------------------------------------------- what each write names ---
def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _package_of_resource(resource_id: Any) -> list[str]:
    resource = model.Resource.get(resource_id) if isinstance(resource_id, str) else None
    return [resource.package_id] if resource is not None else []


def _dataset(data: DataDict) -> list[str]:
    return _ids(data.get("id") or data.get("name"))


def _resource_target(data: DataDict) -> list[str]:
    return _ids(data.get("package_id")) or _package_of_resource(data.get("id"))


def _bulk(data: DataDict) -> list[str]:
    return _ids(data.get("datasets"))


def _relationship(data: DataDict) -> list[str]:
    return _ids(data.get("subject")) + _ids(data.get("object"))


def _tagged(data: DataDict) -> list[str]:
    """The datasets a free tag is removed from when it is deleted."""
    name = data.get("id") or data.get("name")
    if not isinstance(name, str) or data.get("vocabulary_id"):
        return []
    tag = model.Tag.get(name)
    if tag is None:
        return []
    rows = (model.Session.query(model.PackageTag.package_id)
            .filter(model.PackageTag.tag_id == tag.id, model.PackageTag.state == "active"))
    return [row[0] for row in rows]


# action -> (the datasets it writes, the rule that applies)
ContentRule = Callable[[str], "str | None"]
DATASET_WRITES: dict[str, tuple[Callable[[DataDict], list[str]], ContentRule]] = {
    "package_update": (_dataset, locked_reason),
    "package_patch": (_dataset, locked_reason),
    "package_revise": (lambda data: _ids((data.get("match") or {}).get("id")
                                         if isinstance(data.get("match"), dict) else None)
                       or _ids((data.get("match") or {}).get("name")
                               if isinstance(data.get("match"), dict) else None),
                       locked_reason),
    "package_resource_reorder": (_dataset, locked_reason),
    "resource_create": (_resource_target, locked_reason),
    "resource_update": (_resource_target, locked_reason),
    "resource_patch": (_resource_target, locked_reason),
    "resource_delete": (_resource_target, locked_reason),
    "package_delete": (_dataset, removal_reason),
    "dataset_purge": (_dataset, removal_reason),
    "package_owner_org_update": (_dataset, removal_reason),
    "bulk_update_private": (_bulk, removal_reason),
    "bulk_update_delete": (_bulk, removal_reason),
    "bulk_update_public": (_bulk, locked_reason),
    "package_relationship_create": (_relationship, locked_reason),
    "package_relationship_update": (_relationship, locked_reason),
    "package_relationship_delete": (_relationship, locked_reason),
    "tag_delete": (_tagged, removal_reason),
}


def _resolve(identifier: str) -> str:
    package = model.Package.get(identifier)
    return package.id if package is not None else identifier


def refusal(action: str, data_dict: DataDict | None) -> str | None:
    """The reason ``action`` may not write what ``data_dict`` names, or None."""
    targets, rule = DATASET_WRITES[action]
    for identifier in targets(data_dict or {}):
        reason = rule(_resolve(identifier))
        if reason:
            return reason
    return None


def _is_sysadmin(context: Context) -> bool:
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return bool(user.sysadmin)
    return authz.is_sysadmin(context.get("user"))


def _guard(action: str) -> Callable[..., AuthResult]:
    def guard(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        reason = refusal(action, data_dict)
        if reason:
            return {"success": False, "msg": reason}
        if _is_sysadmin(context):
            return {"success": True}
        return next_auth(context, data_dict)

    guard.__name__ = action
    guard.__doc__ = f"The freeze applied to ``{action}`` (freeze.py)."
    return tk.chained_auth_function(tk.auth_sysadmins_check(guard))


# ----------------------------------------------------------- organizations ---
def _holds_records(org_id: str) -> bool:
    group = model.Group.get(org_id) if org_id else None
    if group is None:
        return False
    return model.Session.query(
        model.Session.query(Registration).filter(Registration.registrant_id == group.id)
        .exists()).scalar() or model.Session.query(
        model.Session.query(Application).join(
            model.Package, model.Package.id == Application.package_id)
        .filter(model.Package.owner_org == group.id).exists()).scalar()


def _organization_removal(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    identifier = (data_dict or {}).get("id")
    if isinstance(identifier, str) and _holds_records(identifier):
        return {"success": False, "msg": ORG_HOLDS_RECORDS}
    if _is_sysadmin(context):
        return {"success": True}
    return next_auth(context, data_dict)


def _admins(org_id: str) -> set[str]:
    rows = (model.Session.query(model.Member.table_id)
            .filter(model.Member.group_id == org_id, model.Member.table_name == "user",
                    model.Member.state == "active", model.Member.capacity == "admin"))
    return {row[0] for row in rows}


def _last_admin_leaves(group: model.Group | None, user: model.User | None,
                       capacity: str | None) -> bool:
    """Whether the change leaves an organization without an administrator: ``user`` is its
    only one and loses the role (``capacity`` None: removed; else the new capacity)."""
    if group is None or user is None or not group.is_organization or capacity == "admin":
        return False
    return _admins(group.id) == {user.id}


def _as_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _member_change(action: str) -> Callable[..., AuthResult]:
    """Memberships: a dataset's (member_create/member_delete with object_type ``package``)
    follow the dataset rules; a user's may not leave an organization without an admin."""
    removing = action.endswith("_delete")

    def rule(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        data = data_dict or {}
        group = model.Group.get(_as_text(data.get("id")) or "") if data.get("id") else None
        if data.get("object_type") == "package":
            package_ref = _as_text(data.get("object")) or ""
            check = removal_reason if removing else locked_reason
            reason = check(_resolve(package_ref))
            if reason:
                return {"success": False, "msg": reason}
        else:
            user_ref = _as_text(data.get("username") or data.get("user_id")
                                or data.get("object")) or ""
            user = model.User.get(user_ref) if user_ref else None
            capacity = None if removing else _as_text(data.get("role") or data.get("capacity"))
            if _last_admin_leaves(group, user, capacity):
                return {"success": False, "msg": LAST_ADMIN}
        if _is_sysadmin(context):
            return {"success": True}
        return next_auth(context, data_dict)

    return rule


def _user_removal(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    user_ref = _as_text((data_dict or {}).get("id")) or ""
    user = model.User.get(user_ref) if user_ref else None
    if user is not None:
        capacities = (model.Session.query(model.Member.group_id)
                      .filter(model.Member.table_name == "user",
                              model.Member.table_id == user.id,
                              model.Member.state == "active",
                              model.Member.capacity == "admin"))
        for (group_id,) in capacities:
            if _last_admin_leaves(model.Group.get(group_id), user, None):
                return {"success": False, "msg": LAST_ADMIN}
    if _is_sysadmin(context):
        return {"success": True}
    return next_auth(context, data_dict)


def _chain(function: Callable[..., AuthResult], name: str) -> Callable[..., AuthResult]:
    def guard(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        return function(next_auth, context, data_dict)

    guard.__name__ = name
    return tk.chained_auth_function(tk.auth_sysadmins_check(guard))


ORGANIZATION_WRITES: dict[str, Callable[..., AuthResult]] = {
    "organization_delete": _organization_removal,
    "organization_purge": _organization_removal,
    "group_delete": _organization_removal,
    "group_purge": _organization_removal,
    "user_delete": _user_removal,
    **{action: _member_change(action) for action in (
        "member_create", "member_delete", "group_member_create", "group_member_delete",
        "organization_member_create", "organization_member_delete")},
}


def auth_functions() -> dict[str, Callable[..., AuthResult]]:
    """The chained auth functions of the freeze, by action name."""
    guards = {name: _guard(name) for name in DATASET_WRITES}
    guards.update({name: _chain(rule, name) for name, rule in ORGANIZATION_WRITES.items()})
    return guards


def guarded_actions() -> Iterable[str]:
    return (*DATASET_WRITES, *ORGANIZATION_WRITES)


def recheck_write(context: Context, package_id: str) -> None:
    """Re-check the freeze inside a direct edit's transaction, holding the dataset's row lock.

    The auth check ran before the edit wrote; a submission committed in between would
    otherwise be followed by the edit, and the dataset would no longer be the version
    the application recorded. ``registration_submit`` takes the same row lock before its
    snapshot, so one of the two waits for the other. The procedure's own writes
    (``ignore_auth``) are not direct edits.
    """
    if context.get("ignore_auth") or not package_id:
        return
    model.Session.flush()
    model.Session.execute(sa.text("SELECT 1 FROM package WHERE id = :id FOR UPDATE"),
                          {"id": package_id})
    reason = locked_reason(package_id)
    if reason:
        raise tk.NotAuthorized(reason)
