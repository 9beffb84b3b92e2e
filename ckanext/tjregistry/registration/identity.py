"""A verified registrant's identity changes only through the city's re-verification (Art. 13).

The city registration institution verifies a registrant (``registrant_verify``) for who
it is: its name (``title``), unified social credit code (``uscc``), entity type
(``registrant_type``), administrative level and district (``admin_level``,
``district_code``; they also decide which institution handles its applications). Once it
is verified, its own administrators cannot change these through ``organization_update``
/ ``organization_patch`` or the organization's edit form:

* the organization keeps the verified values, and the values sent are recorded as a
  pending change (``IdentityChange``, one per organization; a later edit adds to it) and
  in the registration history (``request_identity_change``);
* the city institution approves (the values are applied) or rejects it, with reasons
  (``registrant_identity_change_decide``), also recorded in the history;
* everything else (description, image, contacts, pledge) stays freely editable, and
  sysadmins (and the platform's own actions) still correct any field directly.

The hold is the organization schema's after-validator ``tjregistry_registrant_identity_hold``,
so it applies to every path into ``organization_update``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history, jurisdiction, registry
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.metadata.validators import MANAGE_ORGS_CONTEXT_KEY
from ckanext.tjregistry.model.identity_change import IdentityChange
from ckanext.tjregistry.registration import workflow

IDENTITY_FIELDS = ("title", "uscc", "registrant_type", "admin_level", "district_code")
# Fields the schema already reserves to the platform (tjregistry_platform_managed): for a
# verified registrant's administrator their refusal becomes a pending change.
PLATFORM_MANAGED = ("admin_level", "district_code")
PENDING, APPROVED, REJECTED, SUPERSEDED = "pending", "approved", "rejected", "superseded"
SUBJECT = "registrant"
REQUEST, APPROVE, REJECT = ("request_identity_change", "approve_identity_change",
                            "reject_identity_change")


def _text(value: Any) -> str:
    if value is None or value is tk.missing:  # type: ignore[attr-defined]
        return ""
    return str(value).strip()


def _verified(group: model.Group) -> bool:
    extras = group.extras or {}
    return (str(extras.get("org_kind") or "") == "registrant"
            and str(extras.get("verified") or "").strip().lower() in ("true", "1", "yes", "on"))


def identity_of(group: model.Group) -> dict[str, str]:
    extras = group.extras or {}
    values = {name: _text(extras.get(name)) for name in IDENTITY_FIELDS if name != "title"}
    return {"title": _text(group.title), **values}


def may_correct(context: Any) -> bool:
    """Sysadmins, the platform's own actions and the city institution change identities."""
    if context.get(MANAGE_ORGS_CONTEXT_KEY) or context.get("ignore_auth"):
        return True
    name = context.get("user")
    if not name:
        return False
    if authz.is_sysadmin(name):
        return True
    return jurisdiction.is_city_reviewer(model.User.get(name))


def _set(data: dict[Any, Any], name: str, value: str) -> None:
    """Put ``value`` back as the submitted value, in the extras too (as scheming stores them)."""
    data[(name,)] = value
    if name == "title":
        return
    indexes = {k[1] for k in data if len(k) == 3 and k[0] == "extras"}
    for index in indexes:
        if data.get(("extras", index, "key")) == name:
            data[("extras", index, "value")] = value
            return
    new_index = max(indexes) + 1 if indexes else 0
    data[("extras", new_index, "key")] = name
    data[("extras", new_index, "value")] = value


@registry.validator
def tjregistry_registrant_identity_hold(key: Any, data: dict[Any, Any],
                                       errors: dict[Any, Any], context: Any) -> None:
    """After-validator of organizations: a verified registrant keeps its verified identity;
    a different one sent by anyone but the platform or the city is recorded as pending."""
    group = context.get("group")
    if not isinstance(group, model.Group) or not group.id or not _verified(group):
        return
    if may_correct(context):
        return
    stored = identity_of(group)
    proposed: dict[str, str] = {}
    for name in IDENTITY_FIELDS:
        submitted = _text(data.get((name,)))
        if submitted == stored[name]:
            continue
        if name in PLATFORM_MANAGED and errors.get((name,)):
            errors[(name,)] = []  # not refused: held for the city, like the others
        elif errors.get((name,)):
            continue  # a malformed value: the update is refused with its message
        if submitted:  # an omitted or emptied field keeps its verified value
            proposed[name] = submitted
        _set(data, name, stored[name])
    if not proposed or any(messages for messages in errors.values()):
        return
    user = model.User.get(context.get("user") or "")
    record_request(model.Session, group, stored, proposed, user)


def _pending(session: Any, organization_id: str) -> IdentityChange | None:
    return (session.query(IdentityChange)
            .filter(IdentityChange.organization_id == organization_id,
                    IdentityChange.status == PENDING)
            .with_for_update().one_or_none())


def record_request(session: Any, group: model.Group, stored: dict[str, str],
                   proposed: dict[str, str], user: model.User | None) -> IdentityChange:
    """Record (or add to) the organization's pending change, in the caller's transaction."""
    now = dt.datetime.utcnow()
    earlier = _pending(session, group.id)
    if earlier is not None:
        proposed = {**earlier.proposed, **proposed}
        earlier.status = SUPERSEDED
        earlier.decided_at = now
        session.flush()
    change = IdentityChange(
        organization_id=group.id, status=PENDING, requested_at=now,
        previous={name: stored[name] for name in proposed},
        proposed={name: value for name, value in proposed.items() if value != stored[name]},
        requested_by=user.id if user else None)
    session.add(change)
    session.flush()
    history.append(
        session, subject=SUBJECT, application_id=None, package_id=None, action=REQUEST,
        from_state=None, to_state=PENDING, actor_id=user.id if user else None,
        role=workflow.REGISTRANT, institution_id=None, note=None,
        data={"organization_id": group.id, "change_id": change.id,
              "previous": change.previous, "proposed": change.proposed,
              **({"supersedes": earlier.id} if earlier is not None else {})})
    return change


def _city_id() -> str | None:
    city = jurisdiction.city_institution()
    return city.id if city is not None else None


def visible_query(user: model.User | None) -> Any:
    """The changes ``user`` may list: every one for the city institution and sysadmins, a
    registrant's own for its members."""
    query = model.Session.query(IdentityChange)
    if user is not None and (user.sysadmin or jurisdiction.is_city_reviewer(user)):
        return query
    own = [org.id for org in jurisdiction.user_orgs(user, "registrant", acting=False)]
    return query.filter(IdentityChange.organization_id.in_(own or [""]))


def pending_id(organization_id: str) -> str | None:
    group = model.Group.get(organization_id or "")
    if group is None:
        return None
    return (model.Session.query(IdentityChange.id)
            .filter(IdentityChange.organization_id == group.id,
                    IdentityChange.status == PENDING).scalar())


@registry.helper
def tjregistry_identity_change_pending(organization_id: str | None) -> dict[str, Any] | None:
    """The organization's identity change awaiting the city's re-verification, if any."""
    change_id = pending_id(organization_id or "")
    change = model.Session.get(IdentityChange, change_id) if change_id else None
    return as_dict(change) if change is not None else None


def as_dict(change: IdentityChange) -> dict[str, Any]:
    group = model.Group.get(change.organization_id)
    return {"id": change.id, "organization_id": change.organization_id,
            "organization_name": group.name if group else None,
            "status": change.status, "previous": change.previous, "proposed": change.proposed,
            "requested_by": change.requested_by,
            "requested_at": change.requested_at.isoformat() if change.requested_at else None,
            "decided_by": change.decided_by,
            "decided_at": change.decided_at.isoformat() if change.decided_at else None,
            "reasons": change.reasons}


def decide(user: model.User, change_id: str, approve: bool, reasons: str) -> IdentityChange:
    """The city institution approves (the values are applied) or rejects a pending change."""
    with workflow.transaction() as session:
        change = (session.query(IdentityChange).filter(IdentityChange.id == change_id)
                  .populate_existing().with_for_update().one_or_none())
        if change is None:
            raise tk.ObjectNotFound("身份信息变更申请不存在 / Identity change not found")
        if change.status != PENDING:
            raise field_error("id", "该变更申请已处理", "the change has already been decided")
        if not approve and not reasons:
            raise field_error("reasons", "不予核准时请说明理由",
                              "give the reasons for rejecting the change")
        group = model.Group.get(change.organization_id)
        if group is None or group.state != "active":
            raise tk.ObjectNotFound("登记主体不存在 / Registrant not found")
        if approve:
            site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
            tk.get_action("organization_patch")(
                {"ignore_auth": True, "defer_commit": True, "user": site_user["name"],
                 MANAGE_ORGS_CONTEXT_KEY: True},
                {"id": group.id, **change.proposed})
        change.status = APPROVED if approve else REJECTED
        change.decided_by = user.id
        change.decided_at = dt.datetime.utcnow()
        change.reasons = reasons or None
        session.flush()
        history.append(
            session, subject=SUBJECT, application_id=None, package_id=None,
            action=APPROVE if approve else REJECT, from_state=PENDING, to_state=change.status,
            actor_id=user.id, role=workflow.CITY_REVIEWER,
            institution_id=_city_id(),
            note=reasons or None,
            data={"organization_id": group.id, "change_id": change.id,
                  "previous": change.previous, "proposed": change.proposed})
    return change
