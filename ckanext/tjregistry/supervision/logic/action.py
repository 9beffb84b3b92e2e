"""API actions of supervision (Art. 27, 28): statistics, service reports, suspension."""
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
            "qualification_status": supervision.ACTIVE if inst.active else supervision.SUSPENDED,
            "open_applications": open_counts.get(inst.id, 0),
            "may_supervise": supervision.may_supervise(user, inst)}


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
    """Registration institutions with their qualification status and the supervision
    history (suspensions and reinstatements), for data authorities and institutions."""
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
