"""Objections (异议, Art. 20) counted for the institutions' service reports.

The workflow records every step of an objection in the hash-chained history, under
the institution acting on the application: ``receive_objection`` for each objection,
``dismiss_objection`` or ``resume_publicity`` when one is not upheld, and
``terminate`` when one is upheld (which ends the application). The counts come from
those events, so they are measured the same way as the rest of the report.

Where this installation keeps no objection records at all (the objection table does
not exist), the report shows zero with a note saying so, rather than a figure that
looks measured.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry import jurisdiction, workdays
from ckanext.tjregistry.model import Application, Event

DEFAULT_TABLE = "tjregistry_objection"
RECEIVED = ("receive_objection",)
DISMISSED = ("dismiss_objection", "resume_publicity")
UPHELD = ("terminate",)
UNDER_INVESTIGATION = "objection_pending"
NO_TABLE_NOTE = {
    "zh_Hans_CN": "本平台尚无异议记录表,异议数按 0 计。",
    "en": "This platform has no objection records table; objections are reported as 0.",
}


def table_name() -> str:
    """The objection model's table, as the model names it."""
    from ckanext.tjregistry import model as tj_model

    objection = getattr(tj_model, "Objection", None)
    return getattr(objection, "__tablename__", None) or DEFAULT_TABLE


def table_exists() -> bool:
    return sa.inspect(model.Session.connection()).has_table(table_name())


def for_institution(institution_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Objections on applications the institution acted on, in [start, end] (local days)."""
    if not table_exists():
        return {"available": False, "total": 0, "upheld": 0, "dismissed": 0,
                "under_investigation": 0, "note": NO_TABLE_NOTE}
    low = dt.datetime.combine(start - dt.timedelta(days=1), dt.time())
    high = dt.datetime.combine(end + dt.timedelta(days=2), dt.time())
    rows = (model.Session.query(Event.action, Event.created)
            .filter(Event.institution_id == institution_id,
                    Event.action.in_(RECEIVED + DISMISSED + UPHELD),
                    Event.created >= low, Event.created < high).all())
    counts = {"total": 0, "upheld": 0, "dismissed": 0}
    for action, created in rows:
        if not start <= workdays.local_date(created) <= end:
            continue
        if action in RECEIVED:
            counts["total"] += 1
        elif action in DISMISSED:
            counts["dismissed"] += 1
        else:
            counts["upheld"] += 1
    return {"available": True, **counts,
            "under_investigation": under_investigation(institution_id), "note": None}


def under_investigation(institution_id: str) -> int:
    """Applications the institution acts on that are held by an undecided objection now."""
    apps = (model.Session.query(Application.institution_id)
            .filter(Application.state == UNDER_INVESTIGATION).all())
    count = 0
    for (assigned,) in apps:
        acting = jurisdiction.acting_institution(assigned)
        count += acting is not None and acting.id == institution_id
    return count
