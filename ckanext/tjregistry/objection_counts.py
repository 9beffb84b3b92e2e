"""Objections (异议, Art. 20) counted for the institutions' service reports.

The objections module keeps every objection with the institution handling its
application (``objections.counts_for_institution``). Where this installation keeps
no objection records at all (the objection table does not exist), the report shows
zero with a note saying so, rather than a figure that looks measured.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model

NO_TABLE_NOTE = {
    "zh_Hans_CN": "本平台尚无异议记录表,异议数按 0 计。",
    "en": "This platform has no objection records table; objections are reported as 0.",
}
# Report keys and the objection statuses they count.
COUNTED = {"total": "total", "upheld": "upheld", "dismissed": "not_upheld",
           "pending": "pending", "closed": "closed"}


def table_name() -> str:
    from ckanext.tjregistry.model.objection import Objection

    return Objection.__tablename__


def table_exists() -> bool:
    return sa.inspect(model.Session.connection()).has_table(table_name())


def for_institution(institution_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Objections filed in [start, end] on applications the institution handles."""
    if not table_exists():
        return {"available": False, **dict.fromkeys(COUNTED, 0), "note": NO_TABLE_NOTE}
    from ckanext.tjregistry import objections

    counts = objections.counts_for_institution([institution_id], start, end)
    return {"available": True, **{key: counts.get(status, 0) for key, status in COUNTED.items()},
            "note": None}
