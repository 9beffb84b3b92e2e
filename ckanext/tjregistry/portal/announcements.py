"""Announcements (公告, Art. 11): what ended or changed a registration, and institutions'
qualification, published as the register's public notices.

Read from the hash-chained history, so an announcement exists exactly when the event
does and says what the event says: revocations (and a revocation the city reversed),
cancellations, expiries, and the suspension, reinstatement or cancellation of the
qualification of a registration institution. Only public facts are announced: the data's
registered name, the registrant, the registration code, the institution, the date
(Tianjin time) and, for a revocation, its ground (Art. 29); never the written reasons,
people or application details.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import jurisdiction, workdays
from ckanext.tjregistry.model import Event, Registration
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.registration import workflow

L = workflow.L
# The supervision feature's history entries (a sibling feature: read as history, by name).
INSTITUTION = "institution"
SUSPEND, REINSTATE = "suspend_institution", "reinstate_institution"
CANCEL_QUALIFICATION = "cancel_institution_qualification"


@dataclass(frozen=True)
class Kind:
    name: str
    subject: str
    action: str
    label: dict[str, str]


KINDS: tuple[Kind, ...] = (
    Kind("revocation", workflow.REGISTRATION, "revoke", L("撤销登记", "Registration revoked")),
    Kind("revocation_reversed", workflow.REGISTRATION, "reverse_revocation",
         L("纠正撤销,恢复登记", "Revocation reversed, registration restored")),
    Kind("cancellation", workflow.REGISTRATION, "cancel", L("注销登记", "Registration cancelled")),
    Kind("expiry", workflow.REGISTRATION, "expire",
         L("登记凭证有效期届满", "Certificate expired")),
    Kind("institution_suspended", INSTITUTION, SUSPEND,
         L("暂停登记机构资格", "Registration institution suspended")),
    Kind("institution_reinstated", INSTITUTION, REINSTATE,
         L("恢复登记机构资格", "Registration institution reinstated")),
    Kind("institution_qualification_cancelled", INSTITUTION, CANCEL_QUALIFICATION,
         L("取消登记机构资格", "Registration institution's qualification cancelled")),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
_KIND_BY_EVENT = {(kind.subject, kind.action): kind for kind in KINDS}


def _clause(kinds: list[str] | None) -> Any:
    chosen = [KIND_BY_NAME[name] for name in kinds] if kinds else list(KINDS)
    return sa.or_(*(sa.and_(Event.subject == kind.subject, Event.action == kind.action)
                    for kind in chosen))


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(workdays.timezone())


def _org_title(org_id: str | None) -> str:
    org = jurisdiction.profile(org_id) if org_id else None
    return org.title if org is not None else ""


def _registration_facts(event: Event) -> dict[str, Any]:
    reg = model.Session.get(Registration, event.package_id)
    snapshot = (reg.snapshot or {}) if reg is not None else {}
    package = model.Package.get(event.package_id) if event.package_id else None
    certificate = (model.Session.query(Certificate)
                   .filter(Certificate.package_id == event.package_id)
                   .order_by(Certificate.version.desc(), Certificate.created.desc()).first())
    facts: dict[str, Any] = {
        "data_name": snapshot.get("title") or (package.title if package else ""),
        "registrant_name": _org_title(reg.registrant_id if reg else None),
        "registration_code": certificate.code if certificate is not None else None,
        "dataset_type": snapshot.get("type") or (package.type if package else None),
    }
    if event.action == "revoke":
        ground = (event.data or {}).get("ground")
        facts["ground"] = ground
        facts["ground_label"] = workflow.GROUND_LABELS.get(ground or "", L("", ""))
    return facts


def as_dict(event: Event) -> dict[str, Any]:
    kind = _KIND_BY_EVENT[(event.subject, event.action)]
    when = _local(event.created)
    result: dict[str, Any] = {
        "id": f"{kind.name}-{event.id}",
        "event_id": event.id,
        "kind": kind.name,
        "kind_label": kind.label,
        "published": when.isoformat(),
        "date": when.date().isoformat(),
        "institution_name": _org_title(event.institution_id),
    }
    if event.subject == workflow.REGISTRATION:
        result["package_id"] = event.package_id
        result.update(_registration_facts(event))
    return result


def listing(*, kinds: list[str] | None = None, limit: int = 20, offset: int = 0,
            since: dt.date | None = None) -> dict[str, Any]:
    """Announcements, newest first, with their total."""
    query = model.Session.query(Event).filter(_clause(kinds))
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), workdays.timezone())
        query = query.filter(Event.created >= start.astimezone(dt.timezone.utc)
                             .replace(tzinfo=None))
    total = query.count()
    events = query.order_by(Event.id.desc()).offset(offset).limit(limit).all()
    return {"count": total, "results": [as_dict(event) for event in events]}
