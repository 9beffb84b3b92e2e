"""API actions of supervision (Art. 27, 28): statistics, service reports, suspension,
cancellation of qualification, records of interviews and on-site guidance."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry, workdays
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.supervision import qualification as supervision
from ckanext.tjregistry.supervision import reports, statistics
from ckanext.tjregistry.supervision.logic import schema as schemas


@registry.action
@tk.side_effect_free
def registration_statistics_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Registration statistics for data authorities and institutions (Art. 27).

    Counts by district, registrant, category (data resource or product) and
    registration status; applications of the period by registration type and outcome;
    a monthly series; and the units that have not registered as required (late first
    registrations, and unregistered government-catalogue entries once imported).
    City-level viewers see the whole city, district-level viewers their district.

    :param date_from: first day of the period (YYYY-MM-DD; default: the first day of
        the month eleven months ago)
    :param date_to: last day of the period (default: today)
    :param district: GB/T 2260 code to narrow a city-wide view to one district
    """
    data = validated(data_dict, schemas.registration_statistics_show(), context)
    tk.check_access("registration_statistics_show", context, data)
    period = statistics.parse_period(data.get("date_from"), data.get("date_to"))
    area = statistics.resolve_area(user_of(context), data.get("district") or None)
    return statistics.compute(area, period)


@registry.action
@tk.side_effect_free
def institution_service_report(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A registration institution's service report for a period (Art. 27).

    Acceptance and review times in working days against their limits, late and
    currently overdue cases, objections and revocations, from the history.

    :param institution: the institution's id or name
    :param date_from: first day (YYYY-MM-DD; default: the first day of the month eleven
        months ago)
    :param date_to: last day (default: today)
    """
    data = validated(data_dict, schemas.institution_service_report(), context)
    inst = jurisdiction.institution(data["institution"])
    tk.check_access("institution_service_report", context, {"institution": inst.id})
    period = statistics.parse_period(data.get("date_from"), data.get("date_to"))
    return reports.compute(inst.id, period)


def _institution_dict(inst: jurisdiction.OrgProfile, open_counts: dict[str, int],
                      user: model.User | None) -> dict[str, Any]:
    return {"id": inst.id, "name": inst.name, "title": inst.title,
            "admin_level": inst.level, "district_code": inst.district,
            "qualification_status": inst.status,
            "open_applications": open_counts.get(inst.id, 0),
            "may_supervise": supervision.may_supervise(user, inst),
            "may_cancel": (inst.status != supervision.CANCELLED
                           and supervision.may_cancel(user, inst)),
            "may_record": supervision.may_record(user, inst),
            "may_read_records": supervision.may_read_records(user, inst)}


def _event_dict(event: Any) -> dict[str, Any]:
    actor = model.User.get(event.actor_id) if event.actor_id else None
    return {"id": event.id, "action": event.action,
            "label": supervision.EVENT_LABELS.get(event.action, {}),
            "institution_id": event.institution_id, "from_state": event.from_state,
            "to_state": event.to_state, "actor": actor.name if actor else None,
            "reasons": event.note, "data": event.data or {},
            "created": event.created.isoformat(), "hash": event.hash}


@registry.action
@tk.side_effect_free
def institution_qualification_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Registration institutions with their qualification status and the qualification
    history (suspensions, reinstatements, cancellations), for data authorities and
    institutions. Interview and on-site guidance records are not in it
    (``institution_supervision_record_list``)."""
    data = validated(data_dict, schemas.institution_qualification_list(), context)
    tk.check_access("institution_qualification_list", context, data)
    user = user_of(context)
    counts = supervision.open_counts()
    institutions = jurisdiction.organizations("institution")
    return {"institutions": [_institution_dict(inst, counts, user) for inst in institutions],
            "events": [_event_dict(event) for event in supervision.events()]}


def _supervision_action(name: str, step: Any) -> Any:
    def action(context: Context, data_dict: DataDict) -> dict[str, Any]:
        data = validated(data_dict, schemas.institution_supervision(), context)
        inst = jurisdiction.institution(data["id"])
        tk.check_access(name, context, {"id": inst.id})
        user = user_of(context)
        assert user is not None
        outcome = step(user, inst.id, data.get("reasons"))
        result = _institution_dict(outcome.institution, supervision.open_counts(), user)
        result.update({"event_id": outcome.event_id, "reassigned": outcome.reassigned,
                       "reassigned_to": outcome.city_institution_id,
                       "date": workdays.local_today().isoformat()})
        return result

    action.__name__ = name
    return registry.action(action)


institution_suspend = _supervision_action("institution_suspend", supervision.suspend)
institution_suspend.__doc__ = """Suspend a registration institution's qualification (Art. 28).

Its staff can no longer act; its open applications are reassigned to the city
institution. Recorded in the hash-chained history. For editors and admins of the
data authority of the institution's level (the city authority for any institution).

:param id: the institution (id or name)
:param reasons: why (required)
"""
institution_reinstate = _supervision_action("institution_reinstate", supervision.reinstate)
institution_reinstate.__doc__ = """Reinstate a suspended registration institution (Art. 28).

New applications are routed to it again; applications reassigned on suspension stay
with the city institution. Recorded in the hash-chained history.

:param id: the institution (id or name)
:param reasons: why (required)
"""

institution_qualification_cancel = _supervision_action("institution_qualification_cancel",
                                                       supervision.cancel)
institution_qualification_cancel.__doc__ = """Cancel a registration institution's
qualification (取消登记机构资格, Art. 27, 28). Final: it cannot be reinstated.

Its staff can no longer act; its open applications, and the undecided objections to
them, are reassigned to the city institution; the last active city institution cannot be
cancelled. Recorded in the hash-chained history and announced publicly. For editors and
admins of the data authority of the institution's level, and of the city authority for
an institution it guided (a recorded interview or on-site guidance) that refused to
rectify (Art. 27).

:param id: the institution (id or name)
:param reasons: written reasons (required)
"""


def _record_dict(event: Any) -> dict[str, Any]:
    data = dict(event.data or {})
    actor = model.User.get(event.actor_id) if event.actor_id else None
    return {"id": event.id, "institution_id": event.institution_id,
            "kind": data.get("kind"),
            "kind_label": supervision.RECORD_KINDS.get(data.get("kind") or "", {}),
            "date": data.get("date"), "participants": data.get("participants"),
            "summary": data.get("summary"), "follow_up": data.get("follow_up") or "",
            "authority_scope": data.get("scope"),
            "recorded_by": actor.name if actor else None,
            "created": event.created.isoformat(), "hash": event.hash}


@registry.action
def institution_supervision_record_create(context: Context,
                                          data_dict: DataDict) -> dict[str, Any]:
    """Record an interview (约谈) or on-site guidance (现场指导) of a data authority with a
    registration institution (Art. 27, 28), as an entry of the hash-chained history.

    For editors and admins of the data authority of the institution's level and of the
    city authority (Art. 27: guiding rectification).

    :param id: the institution (id or name)
    :param kind: ``interview`` or ``onsite_guidance``
    :param date: the day it took place (YYYY-MM-DD, not in the future)
    :param participants: who took part (required, up to 500 characters)
    :param summary: what was found and said (required, up to 2000 characters)
    :param follow_up: what the institution must do next, by when (optional)
    """
    data = validated(data_dict, schemas.institution_supervision_record_create(), context)
    inst = jurisdiction.institution(data["id"])
    tk.check_access("institution_supervision_record_create", context, {"id": inst.id})
    user = user_of(context)
    assert user is not None
    event = supervision.record(user, inst.id, data)
    return _record_dict(event)


@registry.action
@tk.side_effect_free
def institution_supervision_record_list(context: Context,
                                        data_dict: DataDict) -> dict[str, Any]:
    """An institution's interview and on-site guidance records, newest first. Never
    public: for officers of the city authority and of the institution's district
    authority, and for the institution's own staff.

    :param id: the institution (id or name)
    """
    data = validated(data_dict, schemas.institution_supervision_record_list(), context)
    inst = jurisdiction.institution(data["id"])
    tk.check_access("institution_supervision_record_list", context, {"id": inst.id})
    user = user_of(context)
    return {"institution": _institution_dict(inst, supervision.open_counts(), user),
            "records": [_record_dict(event)
                        for event in reversed(supervision.records(inst.id))]}
