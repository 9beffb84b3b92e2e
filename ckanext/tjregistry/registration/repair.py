"""Operator repairs of a frozen dataset: the one way around the freeze outside the procedure.

Some repairs must happen although no application can carry them (a broken resource
link after a storage move, an encoding fault from an import). ``ckan tjregistry repair
dataset`` makes them, and only with a named sysadmin as the operator and a written
reason. In one transaction it locks the dataset row, applies the changes as the
platform, keeps a registered record's registered version in step, and appends a
``operator_repair`` event to the hash-chained history naming who, why and which fields
changed (with SHA-256 digests of the old and new values, so that restricted values do
not enter the history). A dataset with an application being handled is not repaired:
the application's recorded version would no longer match.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Registration
from ckanext.tjregistry.registration import workflow

# Keys that identify a dataset or are kept by CKAN: never repaired.
FIXED_KEYS = frozenset(("id", "name", "type", "owner_org", "state", "private",
                        "metadata_created", "metadata_modified", "creator_user_id"))


class RepairError(ValueError):
    """The repair cannot be made; the message says why (in Chinese and English)."""


def _digest(value: Any) -> str:
    return history.sha256_hex(history.canonical_json(value))


def _content(package_id: str) -> dict[str, Any]:
    return {key: value for key, value in workflow._package_dict(package_id).items()
            if key not in workflow.VOLATILE_KEYS}


def repair_dataset(package_ref: str, changes: dict[str, Any], *, operator: str,
                   reason: str) -> dict[str, Any]:
    """Apply ``changes`` to a dataset as an operator repair; returns the history event."""
    user = model.User.get(operator) if operator else None
    if user is None or not user.sysadmin or user.state != "active":
        raise RepairError("操作员须为在用的系统管理员 / The operator must be an active sysadmin")
    if not (reason or "").strip():
        raise RepairError("须写明修复理由 / A reason is required")
    if not changes:
        raise RepairError("没有要修改的内容 / Nothing to change")
    fixed = sorted(FIXED_KEYS & changes.keys())
    if fixed:
        raise RepairError(f"这些字段不能修复 / These fields cannot be repaired: {', '.join(fixed)}")
    with workflow.transaction() as session:
        package = model.Package.get(package_ref)
        if package is None:
            raise RepairError("数据不存在 / Dataset not found")
        session.execute(sa.text("SELECT 1 FROM package WHERE id = :id FOR UPDATE"),
                        {"id": package.id})
        if workflow.open_application(package.id) is not None:
            raise RepairError("登记申请办理中,不能修复 / An application is being handled")
        before = _content(package.id)
        unknown = sorted(key for key in changes if key not in before)
        if unknown:
            raise RepairError(f"数据没有这些字段 / Unknown fields: {', '.join(unknown)}")
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        tk.get_action("package_patch")(
            {"ignore_auth": True, "defer_commit": True, "return_id_only": True,
             "user": site_user}, {"id": package.id, **changes})
        after = _content(package.id)
        registration = session.get(Registration, package.id)
        if registration is not None and registration.status == "registered":
            registration.snapshot = after
        fields = {key: {"before_sha256": _digest(before.get(key)),
                        "after_sha256": _digest(after.get(key))} for key in sorted(changes)}
        event = workflow.record_registration_event(
            session, package.id, "operator_repair", actor=workflow.Actor(user=user),
            role="operator",
            data={"reason": reason.strip(), "operator": user.name, "fields": fields,
                  "before_sha256": _digest(before), "after_sha256": _digest(after)})
        result = {"event_id": event.id, "package_id": package.id, "fields": sorted(changes)}
    workflow.reindex(package.id)
    return result
