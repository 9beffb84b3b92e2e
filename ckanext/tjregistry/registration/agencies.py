"""Third-party agencies (第三方专业服务机构, Art. 16) acting for registrants under a delegation.

An agency is an organization with ``org_kind = agency``. A registrant commissions it
with a delegation (委托): a scope (which matters it handles), a period and the power of
attorney (委托书: its number and, optionally, the signed file). While a delegation is
in force, the agency's admins and editors act for the registrant within its scope:

* ``application``: submit, resubmit and withdraw registration applications;
* ``evidence``: record evidence (存证, Art. 15) for the registrant's data.

Art. 16 forbids overlap, subordination or other ties with the registration institution
or the registrant: a delegation is refused, and an existing one stops working, while
any member of the agency is also a member of the registrant or of a registration
institution. Everything an agency does is recorded as done on the registrant's behalf:
history events carry ``on_behalf_of`` (the registrant), ``agency_id`` and
``delegation_id`` in their hashed data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history, jurisdiction, workdays
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.model.agency import Delegation

APPLICATION = "application"
EVIDENCE = "evidence"
SCOPES = (APPLICATION, EVIDENCE)
SCOPE_LABELS: dict[str, dict[str, str]] = {
    APPLICATION: {"zh_Hans_CN": "办理登记申请(提交、补正、撤回)",
                  "en": "Registration applications (submit, resubmit, withdraw)"},
    EVIDENCE: {"zh_Hans_CN": "数据存证", "en": "Evidence preservation"},
}
ACTIVE = "active"
REVOKED = "revoked"
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_UNSAFE_FILENAME = re.compile(r"[^\w.\-]+", re.UNICODE)


# ---------------------------------------------------------------------------
# Conflict of interest


def _member_ids(org_id: str) -> set[str]:
    """People of an organization. Sysadmins (the platform's operators and its site user,
    who become members of the organizations they create) are the platform itself."""
    rows = (model.Session.query(model.Member.table_id)
            .join(model.User, model.User.id == model.Member.table_id)
            .filter(model.Member.group_id == org_id, model.Member.table_name == "user",
                    model.Member.state == "active", model.User.sysadmin.is_(False)).all())
    return {row[0] for row in rows}


@dataclass(frozen=True)
class Conflict:
    user_id: str
    user_name: str
    organization_id: str
    organization_title: str
    kind: str  # "registrant" or "institution"

    def message(self) -> str:
        role_zh = "登记主体" if self.kind == "registrant" else "登记机构"
        role_en = "the registrant" if self.kind == "registrant" else "a registration institution"
        return (f"机构人员 {self.user_name} 同时是{role_zh}“{self.organization_title}”的成员,"
                f"存在利益关联 / Conflict of interest: {self.user_name} is also a member of "
                f"{role_en} ({self.organization_title})")


def conflicts(agency_id: str, registrant_id: str) -> list[Conflict]:
    """Members of the agency who also belong to the registrant or to any institution."""
    people = _member_ids(agency_id)
    if not people:
        return []
    others = [(registrant_id, "registrant")]
    others += [(inst.id, "institution") for inst in jurisdiction.organizations("institution")]
    found = []
    for org_id, kind in others:
        shared = people & _member_ids(org_id)
        if not shared:
            continue
        org = jurisdiction.profile(org_id)
        for user_id in sorted(shared):
            user = model.User.get(user_id)
            found.append(Conflict(user_id, user.name if user else user_id, org_id,
                                  org.title if org else org_id, kind))
    return found


# ---------------------------------------------------------------------------
# Who acts for whom


def in_force(delegation: Delegation, on: dt.date | None = None) -> bool:
    day = on or workdays.local_today()
    return (delegation.status == ACTIVE
            and delegation.valid_from <= day <= delegation.valid_until)


def _delegations(agency_id: str, registrant_id: str) -> list[Delegation]:
    return (model.Session.query(Delegation)
            .filter(Delegation.agency_id == agency_id,
                    Delegation.registrant_id == registrant_id,
                    Delegation.status == ACTIVE)
            .order_by(Delegation.created).all())


def delegation_for(user: model.User | None, registrant_id: str, scope: str | None = None,
                   on: dt.date | None = None) -> Delegation | None:
    """The delegation in force under which ``user`` acts for ``registrant_id``, if any.

    ``scope`` None accepts any scope. The user must be an admin or editor of an active
    agency, and the agency must have no conflict of interest today.
    """
    if user is None or not registrant_id:
        return None
    for agency in jurisdiction.user_orgs(user, "agency"):
        if not agency.active:
            continue
        for delegation in _delegations(agency.id, registrant_id):
            if not in_force(delegation, on):
                continue
            if scope is not None and scope not in (delegation.scope or []):
                continue
            if conflicts(agency.id, registrant_id):
                return None
            return delegation
    return None


def acts_for(user: model.User | None, registrant_id: str, scope: str | None = None) -> bool:
    return delegation_for(user, registrant_id, scope) is not None


def represented_registrants(user: model.User | None) -> list[str]:
    """Ids of the registrants ``user`` currently acts for through an agency (any scope)."""
    if user is None:
        return []
    agencies = [agency.id for agency in jurisdiction.user_orgs(user, "agency") if agency.active]
    if not agencies:
        return []
    rows = (model.Session.query(Delegation)
            .filter(Delegation.agency_id.in_(agencies), Delegation.status == ACTIVE).all())
    return sorted({row.registrant_id for row in rows
                   if in_force(row) and delegation_for(user, row.registrant_id) is not None})


def on_behalf(user: model.User | None, registrant_id: str,
              scope: str = APPLICATION) -> dict[str, Any] | None:
    """What the history records when ``user`` acts for the registrant through an agency.

    None when the user acts directly (as the registrant's own admin or editor).
    """
    if user is None or jurisdiction.acts_for(user, registrant_id):
        return None
    delegation = delegation_for(user, registrant_id, scope)
    if delegation is None:
        return None
    return {"on_behalf_of": registrant_id, "agency_id": delegation.agency_id,
            "delegation_id": delegation.id}


def on_behalf_data(user: model.User | None, registrant_id: str,
                   data: dict[str, Any] | None, scope: str = APPLICATION) -> dict[str, Any] | None:
    """``data`` with the agency facts added when ``user`` acts through an agency."""
    facts = on_behalf(user, registrant_id, scope)
    if facts is None:
        return data
    return {**(data or {}), **facts}


# ---------------------------------------------------------------------------
# Delegations


def _scope(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,,、]+", value) if part]
    if not isinstance(value, list | tuple) or not value:
        raise field_error("scope", "请选择委托事项", "Choose the delegated matters")
    unknown = [item for item in value if item not in SCOPES]
    if unknown:
        raise field_error("scope", f"未知的委托事项:{', '.join(map(str, unknown))}",
                     f"Unknown scope: {', '.join(map(str, unknown))} "
                     f"(allowed: {', '.join(SCOPES)})")
    return [scope for scope in SCOPES if scope in value]


def documents_dir() -> str:
    return os.path.join(tk.config.get("ckan.storage_path") or ".", "tjregistry", "delegations")


def max_document_bytes() -> int:
    return tk.asint(tk.config.get("tjregistry.agency.max_document_bytes")
                    or DEFAULT_MAX_DOCUMENT_BYTES)


def read_upload(upload: Any, limit: int, field: str) -> tuple[str, bytes]:
    """The file name and content of an uploaded file (werkzeug FileStorage or similar)."""
    stream = getattr(upload, "stream", None) or getattr(upload, "file", None) or upload
    if not hasattr(stream, "read"):
        raise field_error(field, "请上传文件", "Upload a file")
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise field_error(field, f"文件超过 {limit // 1024} KB 上限",
                     f"The file exceeds the {limit // 1024} KB limit")
    if not content:
        raise field_error(field, "文件为空", "The file is empty")
    name = os.path.basename(str(getattr(upload, "filename", "") or "document"))
    return safe_filename(name), content


def safe_filename(name: str) -> str:
    cleaned = _UNSAFE_FILENAME.sub("_", name).strip("._") or "file"
    return cleaned[:120]


def _org_checks(registrant_id: str, agency_id: str) -> tuple[Any, Any]:
    registrant = jurisdiction.profile(registrant_id or "")
    if registrant is None or registrant.kind != "registrant":
        raise field_error("registrant_id", "登记主体不存在", "Registrant not found")
    agency = jurisdiction.profile(agency_id or "")
    if agency is None or agency.kind != "agency":
        raise field_error("agency_id", "该组织不是第三方专业服务机构",
                     "The organization is not a third-party agency")
    if not agency.active:
        raise field_error("agency_id", "该第三方专业服务机构资格已暂停",
                     "The agency's qualification is suspended")
    return registrant, agency


def create(actor: model.User | None, data: dict[str, Any]) -> Delegation:
    """Record a delegation in the caller's transaction (the caller commits)."""
    registrant, agency = _org_checks(data.get("registrant_id"), data.get("agency_id"))
    scope = _scope(data.get("scope"))
    valid_from = workdays.parse_date(data.get("valid_from") or workdays.local_today(),
                                     "valid_from", required=True)
    valid_until = workdays.parse_date(data.get("valid_until"), "valid_until", required=True)
    if valid_until < valid_from:
        raise field_error("valid_until", "截止日期不能早于起始日期",
                     "Must not be earlier than the start date")
    if valid_until < workdays.local_today():
        raise field_error("valid_until", "委托期限已届满", "The delegation period is already over")
    document_no = str(data.get("document_no") or "").strip()
    if not document_no:
        raise field_error("document_no", "请填写委托书编号",
                          "The power of attorney number is required")
    found = conflicts(agency.id, registrant.id)
    if found:
        raise tk.ValidationError({"agency_id": [conflict.message() for conflict in found]})
    for other in _delegations(agency.id, registrant.id):
        if other.valid_from <= valid_until and valid_from <= other.valid_until:
            raise field_error("valid_from", "该机构在此期间已有有效委托,请先撤销",
                         "The agency already holds a delegation for this period; revoke it "
                         "first")
    delegation = Delegation(registrant_id=registrant.id, agency_id=agency.id, scope=scope,
                            valid_from=valid_from, valid_until=valid_until,
                            document_no=document_no, status=ACTIVE,
                            created_by=actor.id if actor else None)
    upload = data.get("document")
    content = None
    if upload not in (None, ""):
        name, content = read_upload(upload, max_document_bytes(), "document")
        delegation.document_name = name
        delegation.document_sha256 = hashlib.sha256(content).hexdigest()
    session = model.Session
    session.add(delegation)
    session.flush()
    if content is not None:
        delegation.document_path = f"{delegation.id}/{delegation.document_name}"
    history.append(
        session, subject="delegation", application_id=None, package_id=None,
        action="delegate", from_state=None, to_state=ACTIVE,
        actor_id=actor.id if actor else None, role="registrant", institution_id=None,
        note=None, data={"delegation_id": delegation.id, "registrant_id": registrant.id,
                         "agency_id": agency.id, "scope": scope,
                         "valid_from": valid_from.isoformat(),
                         "valid_until": valid_until.isoformat(),
                         "document_no": document_no,
                         "document_sha256": delegation.document_sha256})
    if content is not None:
        _write_document(delegation, content)
    return delegation


def _write_document(delegation: Delegation, content: bytes) -> None:
    path = os.path.join(documents_dir(), delegation.document_path or "")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)


def revoke(actor: model.User | None, delegation: Delegation, reason: str) -> Delegation:
    if delegation.status != ACTIVE:
        raise field_error("id", "该委托已撤销", "The delegation is already revoked")
    if not (reason or "").strip():
        raise field_error("reason", "请说明撤销理由", "Give the reason")
    now = dt.datetime.utcnow()
    delegation.status = REVOKED
    delegation.revoked_at = now
    delegation.revoked_by = actor.id if actor else None
    delegation.revocation_reason = reason.strip()
    history.append(
        model.Session, subject="delegation", application_id=None, package_id=None,
        action="revoke_delegation", from_state=ACTIVE, to_state=REVOKED,
        actor_id=actor.id if actor else None, role=None, institution_id=None,
        note=delegation.revocation_reason,
        data={"delegation_id": delegation.id, "registrant_id": delegation.registrant_id,
              "agency_id": delegation.agency_id})
    return delegation


def get(delegation_id: str) -> Delegation:
    delegation = model.Session.get(Delegation, delegation_id or "")
    if delegation is None:
        raise tk.ObjectNotFound("委托不存在 / Delegation not found")
    return delegation


def listing(*, registrant_id: str | None = None, agency_id: str | None = None,
            include_revoked: bool = False) -> list[Delegation]:
    query = model.Session.query(Delegation)
    if registrant_id:
        query = query.filter(Delegation.registrant_id == registrant_id)
    if agency_id:
        query = query.filter(Delegation.agency_id == agency_id)
    if not include_revoked:
        query = query.filter(Delegation.status == ACTIVE)
    return query.order_by(Delegation.created.desc(), Delegation.id).all()


def as_dict(delegation: Delegation) -> dict[str, Any]:
    def brief(org_id: str) -> dict[str, Any] | None:
        org = jurisdiction.profile(org_id)
        return {"id": org.id, "name": org.name, "title": org.title} if org else None

    current = conflicts(delegation.agency_id, delegation.registrant_id)
    return {
        "id": delegation.id,
        "registrant": brief(delegation.registrant_id),
        "agency": brief(delegation.agency_id),
        "scope": list(delegation.scope or []),
        "scope_labels": [SCOPE_LABELS[s] for s in delegation.scope or [] if s in SCOPE_LABELS],
        "valid_from": delegation.valid_from.isoformat(),
        "valid_until": delegation.valid_until.isoformat(),
        "document_no": delegation.document_no,
        "document_name": delegation.document_name,
        "document_sha256": delegation.document_sha256,
        "status": delegation.status,
        "in_force": in_force(delegation) and not current,
        "conflicts": [conflict.message() for conflict in current],
        "created": delegation.created.isoformat() if delegation.created else None,
        "revoked_at": delegation.revoked_at.isoformat() if delegation.revoked_at else None,
        "revocation_reason": delegation.revocation_reason,
    }


def may_manage(user: model.User | None, delegation: Delegation) -> bool:
    """The registrant (admin/editor), the agency itself (renouncing) or a sysadmin."""
    if user is None:
        return False
    return bool(user.sysadmin or jurisdiction.acts_for(user, delegation.registrant_id)
                or jurisdiction.acts_for(user, delegation.agency_id))


def may_view(user: model.User | None, registrant_id: str | None = None,
             agency_id: str | None = None) -> bool:
    """Members of the registrant or of the agency, sysadmins, and officials in the
    registrant's jurisdiction (``jurisdiction.oversees`` its home institution: a
    district's reviewers and officers read their district's delegations only)."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    if any(org_id and jurisdiction.capacity(user, org_id) is not None
           for org_id in (registrant_id, agency_id)):
        return True
    registrant = jurisdiction.profile(registrant_id) if registrant_id else None
    if registrant is None:
        return False
    return jurisdiction.oversees(user, jurisdiction.home_institution(registrant))


def may_read_records(user: model.User | None, registrant_id: str, institution_id: str) -> bool:
    """Registrant members, its agencies under a delegation in force, reviewers in
    jurisdiction, the city institution (which manages all registration information,
    Art. 7) and data-authority officers in scope."""
    if user is None:
        return False
    if user.sysadmin or jurisdiction.capacity(user, registrant_id) is not None:
        return True
    if acts_for(user, registrant_id):
        return True
    return jurisdiction.oversees(user, institution_id)
