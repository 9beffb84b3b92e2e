"""Late first registrations (Art. 18): who has not registered within the limit.

A data resource is due 20 working days after its sharing, opening or operation
started (``activity_start_date``), a data product 20 working days after its first
delivery (``first_delivery_date``); activity that started before the rules took
effect is due 30 working days after the effective date. A registration is late when
its first submission came after the deadline, or when nothing was submitted and the
deadline has passed. The date the clock needs is required at submission (the schemas
mark it ``registration_required``), so no submitted dataset escapes it.

Obligations also exist for data nobody has started to register: every entry of the
imported government data catalogue (政务数据目录) is a public data resource to be
registered. The catalogue does not say when sharing started, so its clock counts from
the day the entry was first imported (the earliest day the platform knew of it; before
the rules took effect, the 30-day transition applies). ``catalogue_obligations`` lists
the entries whose deadline has passed and whose data has no first submission: no
dataset at all, or a dataset never submitted (and without a start date of its own,
which ``late_registrations`` counts instead).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.model.catalogue import CatalogueEntry
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


def catalogue_obligations(today: dt.date | None = None) -> list[dict[str, Any]]:
    """Overdue first registrations of government catalogue entries never submitted."""
    today = today or workdays.local_today()
    submitted = _first_submissions()
    result = []
    for entry in model.Session.query(CatalogueEntry).order_by(CatalogueEntry.code).all():
        package = model.Package.get(entry.package_id) if entry.package_id else None
        if package is not None and package.state != "active":
            package = None
        if package is not None:
            if package.id in submitted:
                continue
            own_start = workflow.activity_start({"type": package.type,
                                                 **dict(package.extras or {})})
            if own_start is not None:
                continue  # late_registrations counts it from its own date
        known = workdays.local_date(entry.first_imported)
        deadline = workdays.filing_deadline(known)
        if today <= deadline:
            continue
        result.append({
            "gov_catalog_code": entry.code, "title": entry.title,
            "registrant_id": entry.registrant_id, "provider_name": entry.provider_name,
            "package_id": package.id if package is not None else None,
            "known_since": known.isoformat(), "deadline": deadline.isoformat(),
            "workdays_late": workdays.workdays_between(deadline, today),
        })
    return result
