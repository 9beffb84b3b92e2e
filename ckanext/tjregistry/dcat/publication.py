"""What the national-interoperability outputs may publish.

A registration is published when, on the local calendar date:

* it is a ``data-resource`` or ``data-product`` dataset, active and public;
* its registration is ``registered`` (workflow table);
* its current certificate is ``valid`` and its last valid day is not past
  (certificate table).

Search pre-selects candidates with the same conditions on the indexed
``registration_status``, ``certificate_status`` and ``certificate_valid_until``;
:func:`registration_facts` then re-checks every candidate against the database,
so an index that lags behind a revocation never publishes it.

Only public fields leave the platform: :func:`public_dataset` keeps a dataset's
schema fields that are not ``restricted: true`` (see ``access.py``), the core
CKAN fields the DCAT profiles need and the registration facts, and drops
everything else, including keys nobody declared.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.certificates import issuance, validity
from ckanext.tjregistry.common import prefetch
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.model import Registration
from ckanext.tjregistry.model.certificate import Certificate

PUBLISHED_TYPES = ("data-resource", "data-product")
REGISTERED = "registered"

# Keys of package_show output that are not scheming fields but are public.
CORE_DATASET_KEYS = frozenset({
    "id", "name", "title", "notes", "type", "state", "private", "owner_org",
    "organization", "tags", "resources", "metadata_created", "metadata_modified",
    "license_id", "license_title", "license_url", "url", "version",
})
ORGANIZATION_KEYS = ("id", "name", "title", "type", "is_organization")
CORE_RESOURCE_KEYS = frozenset({
    "id", "package_id", "url", "url_type", "name", "description", "format", "mimetype",
    "size", "created", "last_modified", "metadata_modified", "position", "state",
})
# Injected by the workflow and the certificates (the cross-team contract), plus the
# record dates this module adds.
REGISTRATION_KEYS = (
    "registration_status", "registration_code", "national_code", "certificate_status",
    "certificate_valid_until", "registration_issued", "registration_modified",
)


def local_today() -> dt.date:
    return issuance.local_today()


def search_filters(today: dt.date) -> list[str]:
    """Solr filter queries selecting the candidates for publication on ``today``."""
    types = " OR ".join(f'"{name}"' for name in PUBLISHED_TYPES)
    return [
        f"+dataset_type:({types})",
        f"+registration_status:{REGISTERED}",
        f"+certificate_status:{validity.VALID}",
        f'+certificate_valid_until:["{today.isoformat()}" TO *]',
    ]


@dataclass(frozen=True)
class RegistrationFacts:
    registration_code: str
    national_code: str | None
    certificate_valid_until: dt.date
    registered_at: dt.datetime | None
    modified: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "registration_status": REGISTERED,
            "registration_code": self.registration_code,
            "national_code": self.national_code,
            "certificate_status": validity.VALID,
            "certificate_valid_until": self.certificate_valid_until.isoformat(),
            "registration_issued": _iso(self.registered_at),
            "registration_modified": _iso(self.modified),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def registration_facts(
    package_ids: Iterable[str], today: dt.date | None = None
) -> dict[str, RegistrationFacts]:
    """The registration facts of those ``package_ids`` that are publishable today.

    One query for the whole batch. Datasets that are not registered, or whose
    current certificate is not valid on ``today``, are absent from the result.
    """
    ids = list(dict.fromkeys(package_ids))
    if not ids:
        return {}
    today = today or local_today()
    rows = (
        model.Session.query(
            Certificate.package_id,
            Certificate.code,
            Certificate.national_code,
            Certificate.valid_until,
            Certificate.issued_at,
            Certificate.status_changed_at,
            Registration.registered_at,
            Registration.modified,
        )
        .join(Registration, Registration.package_id == Certificate.package_id)
        .filter(Certificate.package_id.in_(ids))
        .filter(Certificate.status == validity.VALID)
        .filter(Certificate.valid_until >= today)
        .filter(Registration.status == REGISTERED)
        .order_by(Certificate.package_id, Certificate.issued_at.desc())
        .all()
    )
    facts: dict[str, RegistrationFacts] = {}
    for package_id, code, national, until, issued_at, status_at, registered_at, modified in rows:
        if package_id in facts:
            continue
        changed = max((d for d in (issued_at, status_at, modified) if d is not None), default=None)
        facts[package_id] = RegistrationFacts(code, national, until, registered_at, changed)
    return facts


RECORD_MODIFIED_FIELD = "record_modified_date"


def record_modified(package_id: str, metadata_modified: dt.datetime | None) -> dt.datetime | None:
    """When a registration's catalogue record last changed (UTC).

    The latest of the dataset's own modification, its registration's last change
    (registered, revoked, ...) and its certificates' last issue or status change,
    so that incremental harvesting (``modified_since``) sees renewals, national
    codes and revocations, not only edits of the dataset.
    """
    found, registration = prefetch.lookup(package_id, registration_moments)
    if not found:
        registration = registration_moments([package_id])[package_id]
    moments = [metadata_modified, *registration]
    return max((m for m in moments if m is not None), default=None)


def registration_moments(package_ids: list[str]) -> dict[str, tuple[dt.datetime | None, ...]]:
    """For each dataset: its registration's last change and its certificates' last
    issue and last status change (two queries for any number of datasets)."""
    changed = dict(model.Session.query(Registration.package_id, Registration.modified)
                   .filter(Registration.package_id.in_(package_ids)))
    certificates = {
        package_id: (issued, status_changed)
        for package_id, issued, status_changed in (
            model.Session.query(Certificate.package_id, sa.func.max(Certificate.issued_at),
                                sa.func.max(Certificate.status_changed_at))
            .filter(Certificate.package_id.in_(package_ids))
            .group_by(Certificate.package_id))}
    return {package_id: (changed.get(package_id), *certificates.get(package_id, (None, None)))
            for package_id in package_ids}


def index_hook(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Index ``record_modified_date`` (see :func:`record_modified`) for registrations."""
    if pkg_dict.get("type") not in PUBLISHED_TYPES or not pkg_dict.get("id"):
        return pkg_dict
    modified = pkg_dict.get("metadata_modified")
    try:
        own = dt.datetime.fromisoformat(str(modified).rstrip("Z")) if modified else None
    except ValueError:
        own = None
    moment = record_modified(pkg_dict["id"], own)
    if moment is not None:
        pkg_dict[RECORD_MODIFIED_FIELD] = moment.isoformat() + "Z"
    return pkg_dict


def _schema(dataset_type: str | None) -> dict[str, Any] | None:
    if not dataset_type:
        return None
    return scheming_helpers.scheming_get_dataset_schema(dataset_type)


def public_field_names(dataset_type: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(dataset, resource) field names of a type's schema that are public."""
    schema = _schema(dataset_type)
    if not schema:
        return frozenset(), frozenset()
    restricted = access.restricted_dataset_fields(dataset_type)
    dataset = frozenset(
        f["field_name"] for f in schema.get("dataset_fields", [])
        if not f.get("restricted") and f["field_name"] not in restricted
    )
    resource = frozenset(
        f["field_name"] for f in schema.get("resource_fields", []) if not f.get("restricted")
    )
    return dataset, resource


def public_dataset(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``pkg_dict`` with public fields only (see the module docstring)."""
    dataset_fields, resource_fields = public_field_names(pkg_dict.get("type"))
    restricted = access.restricted_dataset_fields()
    keep = (dataset_fields | CORE_DATASET_KEYS | set(REGISTRATION_KEYS)) - restricted
    public = {key: value for key, value in pkg_dict.items() if key in keep}
    organization = pkg_dict.get("organization")
    if isinstance(organization, dict):
        public["organization"] = {k: organization.get(k) for k in ORGANIZATION_KEYS}
    public["tags"] = [
        {"name": tag["name"]} for tag in pkg_dict.get("tags") or [] if tag.get("name")
    ]
    resource_keep = (resource_fields | CORE_RESOURCE_KEYS) - restricted
    public["resources"] = [
        {key: value for key, value in resource.items() if key in resource_keep}
        for resource in pkg_dict.get("resources") or []
    ]
    return public
