"""Late first registrations (Art. 18): who has not registered within the limit.

A data resource is due 20 working days after its sharing, opening or operation
started (``activity_start_date``), a data product 20 working days after its first
delivery (``first_delivery_date``); activity that started before the rules took
effect is due 30 working days after the effective date. A registration is late when
its first submission came after the deadline, or when nothing was submitted and the
deadline has passed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow


def _first_submissions() -> dict[str, dt.datetime]:
    rows = (model.Session.query(Application.package_id, sa.func.min(Application.submitted_at))
            .filter(Application.application_type == "initial",
                    Application.submitted_at.isnot(None))
            .group_by(Application.package_id).all())
    return {package_id: submitted for package_id, submitted in rows}


def late_registrations(today: dt.date | None = None) -> list[dict[str, Any]]:
    today = today or workdays.local_today()
    submitted = _first_submissions()
    result = []
    packages = (model.Session.query(model.Package)
                .filter(model.Package.state == "active",
                        model.Package.type.in_(workflow.DATASET_TYPES))
                .order_by(model.Package.name).all())
    for package in packages:
        extras = package.extras or {}
        start = workflow.activity_start({"type": package.type, **dict(extras)})
        if start is None:
            continue
        deadline = workdays.filing_deadline(start)
        first = submitted.get(package.id)
        first_day = workdays.local_date(first) if first else None
        if first_day is not None and first_day <= deadline:
            continue
        if first_day is None and today <= deadline:
            continue
        result.append({
            "package_id": package.id, "name": package.name, "title": package.title,
            "owner_org": package.owner_org, "activity_start": start.isoformat(),
            "deadline": deadline.isoformat(),
            "submitted": first_day.isoformat() if first_day else None,
            "workdays_late": workdays.workdays_between(deadline, first_day or today),
        })
    return result
