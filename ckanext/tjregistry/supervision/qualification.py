"""Supervision of registration institutions (Art. 28): suspending and reinstating.

The data authority of the institution's level (the city authority for any
institution, a district authority for its district's) may suspend an institution's
qualification (``qualification_status``: active -> suspended) and reinstate it.
While suspended, ``jurisdiction`` no longer lets its staff act, and the city
institution acts on its matters; on suspension its open applications, and the
undecided objections to them, are also reassigned to the city institution, which
keeps them after a reinstatement.

Each step happens in one transaction: the organization field, every reassigned
application and the hash-chained history entries (one for the institution, one per
reassigned application) are written together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import history, jurisdiction
from ckanext.tjregistry.common.texts import FieldError
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.registration import workflow

INSTITUTION = "institution"
ACTIVE = "active"
SUSPENDED = "suspended"
ROLE = "authority"
# History actions of this module (subject "institution", and "application" for moves).
SUSPEND = "suspend_institution"
REINSTATE = "reinstate_institution"
REASSIGN = "reassign"
MAX_REASONS = 2000

# Their labels live with the workflow's other history labels.
EVENT_LABELS: dict[str, dict[str, str]] = {
    action: workflow.EVENT_LABELS[action] for action in (SUSPEND, REINSTATE, REASSIGN)}


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


def may_supervise(user: model.User | None, institution: jurisdiction.OrgProfile) -> bool:
    """Art. 28: the data authority of the same level (the city authority for all)."""
    scope = supervising_scope(user)
    if scope is None:
        return False
    if scope == "city":
        return True
    return institution.level == "district" and institution.district == scope


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


def suspend(user: model.User, institution_id: str, reasons: Any) -> Outcome:
    """Suspend an institution and move its open applications to the city institution."""
    reasons = _reasons(reasons)
    with workflow.transaction() as session:
        inst = jurisdiction.institution(institution_id)
        group = _lock_group(session, inst.id)
        inst = jurisdiction.institution(group.id)
        if not inst.active:
            raise SupervisionError("id", "该登记机构资格已被暂停",
                                   "The institution is already suspended")
        # Someone must take over: another active city institution has to exist.
        _set_status(group, SUSPENDED)
        session.flush()
        city = jurisdiction.city_institution()
        if city is None:
            raise SupervisionError(
                "id", "暂停后将没有可办理登记的市级登记机构,请先指定新的市级登记机构",
                "No active city institution would remain to take over; designate one first")
        apps = (session.query(Application)
                .filter(Application.institution_id == inst.id, Application.is_open.is_(True))
                .order_by(Application.created, Application.id)
                .populate_existing().with_for_update().all())
        event = history.append(
            session, subject=INSTITUTION, application_id=None, package_id=None,
            action=SUSPEND, from_state=ACTIVE, to_state=SUSPENDED, actor_id=user.id,
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
                                    "cause": SUSPEND,
                                    "objections": moved.get(app.id, [])})
        session.flush()
        reassigned = [app.id for app in apps]
    return Outcome(jurisdiction.institution(inst.id), SUSPENDED, event.id, reassigned, city.id)


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
    """Supervision history: suspensions and reinstatements, oldest first."""
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
