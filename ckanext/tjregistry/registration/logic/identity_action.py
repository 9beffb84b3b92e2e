"""API actions of the re-verification of a verified registrant's identity (``identity.py``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.model.identity_change import IdentityChange
from ckanext.tjregistry.registration import identity

STATUSES = (identity.PENDING, identity.APPROVED, identity.REJECTED, identity.SUPERSEDED)


def _v(name: str) -> Any:
    return tk.get_validator(name)


@registry.action
@tk.side_effect_free
def registrant_identity_change_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Changes of verified registrants' identities (name, credit code, entity type, level,
    district) awaiting or after the city's re-verification, newest first. The city
    institution sees every one, a registrant's members their own.

    :param organization_id: only this registrant's
    :param status: pending (default) | approved | rejected | superseded | all
    """
    tk.check_access("registrant_identity_change_list", context, data_dict)
    data = validated(data_dict, {"organization_id": [_v("ignore_missing"), _v("unicode_safe")],
                                 "status": [_v("default")(identity.PENDING),
                                            _v("unicode_safe")]}, context)
    query = identity.visible_query(user_of(context))
    if data.get("organization_id"):
        group = tk.get_action("organization_show")(
            dict(context), {"id": data["organization_id"], "include_users": False,
                            "include_datasets": False, "include_extras": False})
        query = query.filter(IdentityChange.organization_id == group["id"])
    if data["status"] != "all":
        if data["status"] not in STATUSES:
            raise field_error("status", "状态无效",
                              "status must be pending, approved, rejected, superseded or all")
        query = query.filter(IdentityChange.status == data["status"])
    rows = query.order_by(IdentityChange.requested_at.desc(), IdentityChange.id).limit(500)
    return [identity.as_dict(row) for row in rows]


@registry.action
def registrant_identity_change_decide(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The city institution re-verifies a verified registrant's changed identity; the
    decision is recorded in the registration history.

    :param id: the change, or
    :param organization_id: the registrant whose pending change is meant
    :param approve: true (default) applies the proposed values; false rejects them
    :param reasons: required when rejecting
    """
    data = validated(data_dict, {
        "id": [_v("ignore_missing"), _v("unicode_safe")],
        "organization_id": [_v("ignore_missing"), _v("unicode_safe")],
        "approve": [_v("default")(True), _v("boolean_validator")],
        "reasons": [_v("ignore_missing"), _v("unicode_safe"), _v("strip_value")]}, context)
    tk.check_access("registrant_identity_change_decide", context, data)
    change_id = data.get("id") or identity.pending_id(data.get("organization_id") or "")
    if not change_id:
        raise field_error("id", "没有待核准的身份信息变更",
                          "there is no pending identity change to decide")
    user = user_of(context)
    if user is None:
        raise tk.NotAuthorized("请先登录 / Log in first")
    change = identity.decide(user, change_id, bool(data["approve"]), data.get("reasons") or "")
    return identity.as_dict(change)
