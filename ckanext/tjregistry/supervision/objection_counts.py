"""Objections (异议, Art. 20) counted for the institutions' service reports.

The objections module keeps every objection with the institution handling its
application (``objections.counts_for_institution``). ``available`` and ``note`` stay in
the report's shape for its consumers (always counted, no note).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ckanext.tjregistry.publicity import objections

# Report keys and the objection statuses they count.
COUNTED = {"total": "total", "upheld": "upheld", "dismissed": "not_upheld",
           "pending": "pending", "closed": "closed"}


def for_institution(institution_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Objections filed in [start, end] on applications the institution handles."""
    counts = objections.counts_for_institution([institution_id], start, end)
    return {"available": True, **{key: counts.get(status, 0) for key, status in COUNTED.items()},
            "note": None}
