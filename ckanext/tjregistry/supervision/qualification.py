"""Supervision of registration institutions (Art. 27, 28): suspension, reinstatement,
cancellation of qualification, and records of interviews and on-site guidance.

Who acts (``may_supervise``): Art. 28 gives the supervisory measures to the data
authority *of the same level*: a district data authority for its district's
institution, the city data authority for the city institution. Where no data authority
of an institution's district is set up on the platform, the city authority acts for it,
so that no institution is left without a supervisor. Art. 27 adds, for the city
authority over every institution of the city, the evaluation of their service (the
service reports) and the guidance of their rectification: it may record interviews and
on-site guidance with any institution (``may_record``), and an institution that it
guided and that refused to rectify may have its qualification cancelled by it
(``may_cancel``: a district institution only after such a guidance record of the city
authority). Suspension and reinstatement stay with the same-level authority.

States (``qualification_status``): active -> suspended -> active (reinstatement), and
active or suspended -> cancelled, which is final. While suspended or cancelled,
``jurisdiction`` no longer lets its staff act, and the city institution acts on its
matters; on suspension or cancellation its open applications, and the undecided
objections to them, are reassigned to the city institution. The last active city
institution can be neither suspended nor cancelled.

Each step happens in one transaction: the organization field, every reassigned
application and the hash-chained history entries (one for the institution, one per
reassigned application) are written together or not at all. Records of interviews and
on-site guidance are history entries of their own subject (``RECORD_SUBJECT``), read
only by the authorities over the institution and its own staff.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import history, jurisdiction, workdays
from ckanext.tjregistry.common.texts import FieldError
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.registration import workflow

INSTITUTION = "institution"
ACTIVE = "active"
SUSPENDED = "suspended"
CANCELLED = "cancelled"
ROLE = "authority"
CITY = "city"
# History actions of this module (subject "institution", and "application" for moves).
SUSPEND = "suspend_institution"
REINSTATE = "reinstate_institution"
CANCEL = "cancel_institution_qualification"
REASSIGN = "reassign"
# Records of interviews (约谈) and on-site guidance (现场指导): their own history subject,
# so that the qualification history and the public announcements never include them.
RECORD_SUBJECT = "institution_supervision"
RECORD = "supervision_record"
INTERVIEW = "interview"
ONSITE_GUIDANCE = "onsite_guidance"
RECORD_KINDS: dict[str, dict[str, str]] = {
    INTERVIEW: workflow.L("约谈", "Interview"),
    ONSITE_GUIDANCE: workflow.L("现场指导", "On-site guidance"),
}
MAX_REASONS = 2000
MAX_PARTICIPANTS = 500

# Their labels live with the workflow's other history labels.
EVENT_LABELS: dict[str, dict[str, str]] = {
    action: workflow.EVENT_LABELS[action]
    for action in (SUSPEND, REINSTATE, CANCEL, REASSIGN, RECORD)}


class SupervisionError(FieldError):
    pass


def supervising_scope(user: model.User | None) -> str | None:
    """``city`` or a district code for officers who act for a data authority, else None.

    Only editors and admins of an authority organization act; members only read.
    """
    scopes = jurisdiction.user_orgs(user, "authority", acting=True)
    if any(org.is_city for org in scopes):
        return "city"
    for org in scopes:
        if org.district in jurisdiction.DISTRICTS:
            return org.district
    return None


def _has_district_authority(district: str) -> bool:
    return any(org.level == "district" and org.district == district
               for org in jurisdiction.organizations("authority"))


def may_supervise(user: model.User | None, institution: jurisdiction.OrgProfile) -> bool:
    """Art. 28: the data authority of the same level (suspension, reinstatement,
    cancellation, records). The city authority acts for a district without a data
    authority on the platform."""
    scope = supervising_scope(user)
    if scope is None:
        return False
    if institution.level == "district":
        if scope == CITY:
            return not _has_district_authority(institution.district)
        return institution.district == scope
    return scope == CITY


def guided_by_city(institution_id: str) -> bool:
    """Whether the city authority has recorded an interview or on-site guidance with the
    institution (Art. 27: guidance of its rectification)."""
    return any((event.data or {}).get("scope") == CITY for event in records(institution_id))


def may_record(user: model.User | None, institution: jurisdiction.OrgProfile) -> bool:
    """Interviews and on-site guidance: the same-level authority (Art. 28), and the city
    authority for any institution of the city (Art. 27, guiding rectification)."""
    return may_supervise(user, institution) or supervising_scope(user) == CITY


def may_cancel(user: model.User | None, institution: jurisdiction.OrgProfile) -> bool:
    """Cancellation: the same-level authority (Art. 28), and the city authority for an
    institution it guided that refused to rectify (Art. 27)."""
    if may_supervise(user, institution):
        return True
    return supervising_scope(user) == CITY and guided_by_city(institution.id)


def may_read_records(user: model.User | None, institution: jurisdiction.OrgProfile) -> bool:
    """Officers (members too) of the city authority and of the institution's district
    authority, and the institution's own staff. Never the public."""
    if user is None:
        return False
    scope = jurisdiction.authority_scope(user)
    if scope == CITY or (scope and institution.level == "district"
                         and institution.district == scope):
        return True
    return jurisdiction.capacity(user, institution.id) is not None


def _reasons(value: Any) -> str:
    reasons = str(value or "").strip()
    if not reasons:
        raise SupervisionError("reasons", "请说明理由", "Give the reasons")
    if len(reasons) > MAX_REASONS:
        raise SupervisionError("reasons", f"理由不能超过{MAX_REASONS}字",
                               f"Reasons are limited to {MAX_REASONS} characters")
    return reasons


@dataclass
class Outcome:
    institution: jurisdiction.OrgProfile
    status: str
    event_id: int
    reassigned: list[str]
    city_institution_id: str | None


def _lock_group(session: Any, group_id: str) -> model.Group:
    group = (session.query(model.Group).filter(model.Group.id == group_id)
             .populate_existing().with_for_update().one())
    return group


def _set_status(group: model.Group, status: str) -> None:
    group.extras["qualification_status"] = status


def _refuse_if_cancelled(inst: jurisdiction.OrgProfile) -> None:
    if inst.status == CANCELLED:
        raise SupervisionError("id", "该登记机构资格已被取消,不能再作变更",
                               "The institution's qualification is cancelled, which is final")


def _withdraw(user: model.User, institution_id: str, reasons: str, action: str,
              to_state: str) -> Outcome:
    """Suspend or cancel: set the state and move the open applications to the city."""
    with workflow.transaction() as session:
        inst = jurisdiction.institution(institution_id)
        group = _lock_group(session, inst.id)
        inst = jurisdiction.institution(group.id)
        _refuse_if_cancelled(inst)
        if action == SUSPEND and not inst.active:
            raise SupervisionError("id", "该登记机构资格已被暂停",
                                   "The institution is already suspended")
        from_state = inst.status
        # Someone must take over: another active city institution has to exist.
        _set_status(group, to_state)
        session.flush()
        city = jurisdiction.city_institution()
        if city is None:
            zh_step = "暂停" if action == SUSPEND else "取消资格"
            raise SupervisionError(
                "id", f"{zh_step}后将没有可办理登记的市级登记机构,请先指定新的市级登记机构",
                "No active city institution would remain to take over; designate one first")
        apps = (session.query(Application)
                .filter(Application.institution_id == inst.id, Application.is_open.is_(True))
                .order_by(Application.created, Application.id)
                .populate_existing().with_for_update().all())
        event = history.append(
            session, subject=INSTITUTION, application_id=None, package_id=None,
            action=action, from_state=from_state, to_state=to_state, actor_id=user.id,
            role=ROLE, institution_id=inst.id, note=reasons,
            data={"reassigned": [app.id for app in apps], "to_institution": city.id})
        moved = _move_pending_objections(session, [app.id for app in apps], city.id)
        for app in apps:
            app.institution_id = city.id
            app.routing = jurisdiction.ROUTE_NO_DISTRICT_INSTITUTION
            history.append(
                session, subject=workflow.APPLICATION, application_id=app.id,
                package_id=app.package_id, action=REASSIGN, from_state=app.state,
                to_state=app.state, actor_id=user.id, role=ROLE, institution_id=city.id,
                note=reasons, data={"from_institution": inst.id, "to_institution": city.id,
                                    "cause": action,
                                    "objections": moved.get(app.id, [])})
        session.flush()
        reassigned = [app.id for app in apps]
    return Outcome(jurisdiction.institution(inst.id), to_state, event.id, reassigned, city.id)


def suspend(user: model.User, institution_id: str, reasons: Any) -> Outcome:
    """Suspend an institution and move its open applications to the city institution."""
    return _withdraw(user, institution_id, _reasons(reasons), SUSPEND, SUSPENDED)


def cancel(user: model.User, institution_id: str, reasons: Any) -> Outcome:
    """Cancel an institution's qualification (取消登记机构资格), finally: no reinstatement.

    Its open applications move to the city institution, as on suspension.
    """
    return _withdraw(user, institution_id, _reasons(reasons), CANCEL, CANCELLED)


def _move_pending_objections(session: Any, application_ids: list[str],
                             institution_id: str) -> dict[str, list[str]]:
    """Undecided objections follow their application to the institution now handling it.

    Returns the moved objections' numbers by application.
    """

    if not application_ids:
        return {}
    rows = (session.query(Objection)
            .filter(Objection.application_id.in_(application_ids),
                    Objection.status == objections.PENDING)
            .order_by(Objection.number).with_for_update().all())
    moved: dict[str, list[str]] = {}
    for row in rows:
        row.institution_id = institution_id
        moved.setdefault(row.application_id, []).append(row.number)
    return moved


def reinstate(user: model.User, institution_id: str, reasons: Any) -> Outcome:
    """Reinstate a suspended institution; new applications are routed to it again."""
    reasons = _reasons(reasons)
    with workflow.transaction() as session:
        inst = jurisdiction.institution(institution_id)
        group = _lock_group(session, inst.id)
        inst = jurisdiction.institution(group.id)
        _refuse_if_cancelled(inst)
        if inst.active:
            raise SupervisionError("id", "该登记机构资格正常,无需恢复",
                                   "The institution is not suspended")
        _set_status(group, ACTIVE)
        session.flush()
        event = history.append(
            session, subject=INSTITUTION, application_id=None, package_id=None,
            action=REINSTATE, from_state=SUSPENDED, to_state=ACTIVE, actor_id=user.id,
            role=ROLE, institution_id=inst.id, note=reasons, data={})
    return Outcome(jurisdiction.institution(inst.id), ACTIVE, event.id, [], None)


def events(institution_id: str | None = None) -> list[Event]:
    """Qualification history: suspensions, reinstatements, cancellations, oldest first."""
    query = model.Session.query(Event).filter(Event.subject == INSTITUTION)
    if institution_id:
        query = query.filter(Event.institution_id == institution_id)
    return query.order_by(Event.id).all()


def open_counts() -> dict[str, int]:
    """Open applications assigned to each institution."""
    rows = (model.Session.query(Application.institution_id, sa.func.count())
            .filter(Application.is_open.is_(True))
            .group_by(Application.institution_id).all())
    return dict(rows)


def _text(value: Any, field: str, limit: int, zh: str, en: str, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise SupervisionError(field, f"请填写{zh}", f"Give the {en}")
    if len(text) > limit:
        raise SupervisionError(field, f"{zh}不能超过{limit}字",
                               f"The {en} is limited to {limit} characters")
    return text


def _record_date(value: Any) -> dt.date:
    text = str(value or "").strip()
    if not text:
        raise SupervisionError("date", "请填写日期", "Give the date")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise SupervisionError("date", "日期格式应为YYYY-MM-DD",
                               "The date must be YYYY-MM-DD") from None
    if day > workdays.local_today():
        raise SupervisionError("date", "日期不能晚于今天", "The date cannot be in the future")
    return day


def validate_record(data: dict[str, Any]) -> dict[str, Any]:
    """The fields of an interview or on-site guidance record, or a ``ValidationError``."""
    kind = str(data.get("kind") or "").strip()
    if kind not in RECORD_KINDS:
        raise SupervisionError("kind", "类型应为约谈(interview)或现场指导(onsite_guidance)",
                               "The kind must be interview or onsite_guidance")
    return {
        "kind": kind,
        "date": _record_date(data.get("date")).isoformat(),
        "participants": _text(data.get("participants"), "participants", MAX_PARTICIPANTS,
                              "参加人员", "participants"),
        "summary": _text(data.get("summary"), "summary", MAX_REASONS, "内容摘要", "summary"),
        "follow_up": _text(data.get("follow_up"), "follow_up", MAX_REASONS, "后续要求",
                           "follow-up", required=False),
    }


def record(user: model.User, institution_id: str, data: dict[str, Any]) -> Event:
    """Record an interview (约谈) or on-site guidance (现场指导) with an institution
    (Art. 27, 28) as a history entry. The institution may be in any state."""
    fields = validate_record(data)
    scope = supervising_scope(user)
    with workflow.transaction() as session:
        inst = jurisdiction.institution(institution_id)
        fields["scope"] = scope
        event = history.append(
            session, subject=RECORD_SUBJECT, application_id=None, package_id=None,
            action=RECORD, from_state=inst.status, to_state=inst.status, actor_id=user.id,
            role=ROLE, institution_id=inst.id, note=fields["summary"], data=fields)
    return event


def records(institution_id: str) -> list[Event]:
    """The institution's interview and on-site guidance records, oldest first."""
    return (model.Session.query(Event)
            .filter(Event.subject == RECORD_SUBJECT, Event.action == RECORD,
                    Event.institution_id == institution_id)
            .order_by(Event.id).all())
