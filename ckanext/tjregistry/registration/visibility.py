"""Who may see a dataset at all: the public register and everything else (Art. 11, 20, 24).

The public catalogue is a register, not a workspace. Anyone sees the datasets whose
registration status is one of ``tjregistry.catalogue.public_statuses``
(by default ``publicity`` and ``registered``: records in publicity, linked to their
notice, and registered records). Every other dataset (drafts, applications awaiting
acceptance or under review, refused, withdrawn and terminated applications, revoked,
cancelled and expired registrations) is seen only by

* members of the registrant (the owning organization) and collaborators;
* members of an active registration institution or a data authority whose jurisdiction
  covers the registrant (a municipal one covers all, a district one its district);
* sysadmins.

The rule is CKAN's own permission-label mechanism (``IPermissionLabels``), so the
search index, ``package_show``'s auth, resource reads and the activity streams all
apply it; the few CKAN reads that bypass labels are guarded in ``core_guards.py``.
Ended registrations stay findable by code, registrant and name through the public
registration query (``public_query.py``), which answers with the public fields only.

Set the option to ``*`` for CKAN's behaviour (every public dataset in the catalogue).
"""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.registration import workflow

PUBLIC_STATUSES_OPTION = "tjregistry.catalogue.public_statuses"
EVERY_STATUS = "*"
PUBLIC = "public"
CITY_OVERSIGHT = "oversight-city"


def public_statuses() -> frozenset[str] | None:
    """Registration statuses the public catalogue shows, or None for every status."""
    configured = tk.config.get(PUBLIC_STATUSES_OPTION)
    values = configured.split() if isinstance(configured, str) else list(configured or [])
    if EVERY_STATUS in values:
        return None
    return frozenset(values)


def status_of(package: model.Package) -> str:
    """The dataset's registration status, as the workflow derives it."""
    return workflow.registration_status(package.id)


def status_is_public(status: str | None) -> bool:
    statuses = public_statuses()
    return statuses is None or (status or "unregistered") in statuses


def in_public_register(package: model.Package) -> bool:
    """Whether anyone may see the dataset (active, public and of a public status)."""
    if package.state != "active" or package.private:
        return False
    return status_is_public(status_of(package))


def district_label(district: str) -> str:
    return f"oversight-district-{district}"


class RegistryPermissionLabels(DefaultPermissionLabels):
    """CKAN's labels, with the public label kept for the register and oversight labels
    for the institutions and authorities whose jurisdiction covers a registrant."""

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        if in_public_register(dataset_obj):
            return [PUBLIC]
        labels = []
        if authz.check_config_permission("allow_dataset_collaborators"):
            labels.append(f"collaborator-{dataset_obj.id}")
        if dataset_obj.owner_org:
            labels.append(f"member-{dataset_obj.owner_org}")
            labels.append(CITY_OVERSIGHT)
            district = access.owner_district(dataset_obj.owner_org)
            if district:
                labels.append(district_label(district))
        else:
            labels.append(f"creator-{dataset_obj.creator_user_id}")
        return labels

    def get_user_dataset_labels(self, user_obj: model.User | None) -> list[str]:
        # CKAN's activity views pass g.userobj, which is "" for anonymous callers.
        if not isinstance(user_obj, model.User):
            return [PUBLIC]
        labels = super().get_user_dataset_labels(user_obj)
        if user_obj.is_anonymous:
            return labels
        for scope in sorted(access.oversight_scopes(user_obj)):
            labels.append(CITY_OVERSIGHT if scope == "city" else district_label(scope))
        return labels


def may_see(user: model.User | None, package: model.Package) -> bool:
    """The same rule for code that holds a package row rather than a search result."""
    if in_public_register(package):
        return True
    if user is not None and user.sysadmin:
        return True
    labels = RegistryPermissionLabels()
    return bool(set(labels.get_dataset_labels(package))
                & set(labels.get_user_dataset_labels(user)))


def visible_package_names(data_dict: dict[str, Any]) -> list[str]:
    """``package_list`` as the register: names of public-register datasets only."""
    query = (model.Session.query(model.Package.name)
             .filter(model.Package.state == "active")
             .filter(model.Package.private.is_(False)))
    statuses = public_statuses()
    if statuses is not None:
        # Datasets with neither a registration nor an open application are "unregistered".
        known = workflow.registration_statuses()
        if "unregistered" in statuses:
            query = query.filter(model.Package.id.notin_(
                [package_id for package_id, status in known.items() if status not in statuses]))
        else:
            query = query.filter(model.Package.id.in_(
                [package_id for package_id, status in known.items() if status in statuses]))
    query = query.order_by(model.Package.name)
    limit, offset = data_dict.get("limit"), data_dict.get("offset")
    if limit is not None:
        query = query.limit(int(limit))
    if offset:
        query = query.offset(int(offset))
    return [name for (name,) in query]


def _relabel_statement() -> Any:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    return sa.text(
        "UPDATE activity SET permission_labels = :labels"
        " WHERE object_id = :package_id AND activity_type LIKE '%package'"
        " AND permission_labels IS DISTINCT FROM :labels"
    ).bindparams(sa.bindparam("labels", type_=postgresql.ARRAY(sa.Text)))


def relabel_activities(package_id: str) -> int:
    """Give the dataset's activity rows the dataset's current labels, in their own
    transaction: whoever may see a dataset may see its (scrubbed) history, and only they.
    Subscribed to ``signals.registration_changed``; returns the rows changed."""
    package = model.Package.get(package_id)
    if package is None:
        return 0
    labels = RegistryPermissionLabels().get_dataset_labels(package)
    with model.meta.engine.begin() as connection:
        result = connection.execute(_relabel_statement(),
                                    {"labels": labels, "package_id": package_id})
    return result.rowcount or 0


def relabel_all() -> tuple[int, int]:
    """Hold what is stored to today's rule: every dataset is re-indexed and its activity
    rows get its current labels (rows recorded before the rule, or under another setting
    of the option, follow). Returns (datasets, activity rows changed)."""
    from ckan.lib.search import rebuild

    package_ids = [package_id for (package_id,) in model.Session.query(model.Package.id)
                   .filter(model.Package.state != "deleted").order_by(model.Package.id)]
    rows = 0
    for package_id in package_ids:
        rows += relabel_activities(package_id)
        rebuild(package_id)
    return len(package_ids), rows
