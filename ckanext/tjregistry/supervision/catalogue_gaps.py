"""Government data catalogue (政务数据目录) entries that have no registration (Art. 14, 27).

Tianjin links the registration catalogue with the government data catalogue: every
catalogue entry is a public data resource that must be registered. Once the
catalogue has been imported (``catalogue_import.py``), an entry whose data is not
registered counts against the unit that provides it: the registrant it was matched
to, or, when the provider is not a registrant on the platform, the provider named in
the catalogue. Before any import there is nothing to compare with, and the
statistics say so.

"Not registered" is the catalogue's own rule (``catalogue_import.entries`` with
``unregistered``): no dataset was prefilled, or the dataset's registration is not in
force. It is read here in one query, because the statistics list every such entry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.model import Registration
from ckanext.tjregistry.model.catalogue import CatalogueEntry

NOT_IMPORTED = {"zh_Hans_CN": "尚未导入政务数据目录,未核对目录条目的登记情况。",
                "en": "The government data catalogue has not been imported; catalogue "
                      "entries were not checked."}


@dataclass
class Gaps:
    available: bool
    note: dict[str, str] | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)


def imported() -> bool:
    connection = model.Session.connection()
    if not sa.inspect(connection).has_table(CatalogueEntry.__tablename__):
        return False
    return model.Session.query(CatalogueEntry.code).first() is not None


def unregistered_query() -> Any:
    """Catalogue entries whose data is not registered, with their registration status."""
    return (model.Session.query(CatalogueEntry, Registration.status)
            .outerjoin(Registration, Registration.package_id == CatalogueEntry.package_id)
            .filter(sa.or_(Registration.status.is_(None),
                           Registration.status != "registered"))
            .order_by(CatalogueEntry.code))


def unregistered_entries(in_scope: Callable[[str], bool], *,
                         include_unmatched: bool) -> Gaps:
    """Entries of registrants for which ``in_scope(org_id)`` holds that are not registered.

    ``include_unmatched`` adds the entries whose provider is not a registrant on the
    platform (their district is unknown, so only city-wide statistics show them).
    """
    if not imported():
        return Gaps(available=False, note=NOT_IMPORTED)
    entries = []
    for entry, _status in unregistered_query().all():
        if entry.registrant_id:
            if not in_scope(entry.registrant_id):
                continue
        elif not include_unmatched:
            continue
        entries.append({"code": entry.code, "title": entry.title,
                        "owner_org": entry.registrant_id,
                        "provider_name": entry.provider_name or "",
                        "provider_uscc": entry.provider_uscc or "",
                        "package_id": entry.package_id})
    return Gaps(available=True, entries=entries)
