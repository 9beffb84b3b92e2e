"""API actions for evidence (存证, Art. 15), agency delegations (Art. 16) and the imported
government data catalogue (Art. 14).

Each action validates its input (logic/schema.py), checks access (logic/auth.py) and
changes state in one transaction (``workflow.transaction``).
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.operations import catalogue_import
from ckanext.tjregistry.operations.logic import schema as schemas
from ckanext.tjregistry.registration import agencies, evidence, workflow


def _package(package_id: Any) -> model.Package:
    package = model.Package.get(str(package_id or ""))
    if package is None or package.state == "deleted" or package.type not in workflow.DATASET_TYPES:
        raise tk.ObjectNotFound("数据不存在 / Dataset not found")
    return package


def _copy_of(data_dict: DataDict) -> list[evidence.Entry]:
    """A later copy to verify: a manifest, or uploaded files fingerprinted here."""
    uploads = evidence.uploads_in(data_dict)
    if data_dict.get("manifest") not in (None, "") and uploads:
        raise tk.ValidationError({"manifest": [
            "请只提供清单或上传文件之一 / Give either a manifest or uploaded files, not both"]})
    if uploads:
        return [entry for entry, _ in evidence.read_uploads(uploads)]
    if data_dict.get("manifest") in (None, ""):
        raise tk.ValidationError({"manifest": [
            "请提供文件清单或上传文件 / Give a manifest or upload the files"]})
    return evidence.parse_manifest(data_dict["manifest"])


# ---------------------------------------------------------------------------
# Evidence (存证)


@registry.action
def evidence_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Record evidence of a dataset's data before applying (Art. 15).

    Allowed to the registrant's admins and editors and to admins and editors of an
    agency holding a delegation in force with the scope ``evidence``; sysadmins only
    as such members.

    :param package_id: the dataset
    :param kind: ``full`` (every data file, default) or ``sample`` (a data sample)
    :param manifest: the files' manifest: a list of ``{"path", "bytes", "sha256"}``, its
        JSON text (as written by ``ckan tjregistry evidence manifest``) or ``sha256sum``
        output; or instead
    :param file: sample files uploaded as multipart fields ``file``, ``file2``, …
        (implies ``kind=sample``; the platform keeps them)
    :param note: optional remarks
    :returns: the evidence record, with its ``number``
    """
    data = validated(data_dict, schemas.evidence_create(), context)
    package = _package(data["package_id"])
    tk.check_access("evidence_create", context, {"package_id": package.id})
    user = user_of(context)
    assert user is not None
    uploads = evidence.uploads_in(data_dict)
    kind = data.get("kind") or (evidence.SAMPLE if uploads else evidence.FULL)
    entries = None
    if data_dict.get("manifest") not in (None, ""):
        entries = evidence.parse_manifest(data_dict["manifest"])
    files = evidence.read_uploads(uploads) if uploads else None
    with workflow.transaction():
        record = evidence.record(user, package, kind=kind, entries=entries, uploads=files,
                                 note=data.get("note"))
        result = evidence.as_dict(record)
    return result


@registry.action
@tk.side_effect_free
def evidence_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One evidence record.

    :param id: the evidence number (e.g. ``TJCZ-2026-000001``) or the record's id
    """
    data = validated(data_dict, schemas.evidence_show(), context)
    record = evidence.get(data["id"])
    tk.check_access("evidence_show", context, {"id": record.id})
    result = evidence.as_dict(record)
    result["record_intact"] = evidence.record_intact(record)
    return result


@registry.action
@tk.side_effect_free
def evidence_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The evidence records of a dataset, newest first.

    :param package_id: the dataset
    """
    data = validated(data_dict, schemas.evidence_list(), context)
    package = _package(data["package_id"])
    tk.check_access("evidence_list", context, {"package_id": package.id})
    return [evidence.as_dict(record) for record in evidence.records_for(package.id)]


@registry.action
@tk.side_effect_free
def evidence_verify(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Check a later copy of the data against an evidence record.

    :param id: the evidence number or id
    :param manifest: the copy's manifest (same forms as for ``evidence_create``), or
    :param file: the copy's files uploaded as ``file``, ``file2``, …
    :returns: ``match`` (true when every recorded file is present and unchanged, no
        file was added to a full record, and the record itself is intact), with the
        ``matched``, ``altered``, ``missing`` and ``extra`` paths and ``record_intact``
    """
    data = validated(data_dict, schemas.evidence_verify(), context)
    record = evidence.get(data["id"])
    tk.check_access("evidence_verify", context, {"id": record.id})
    return evidence.verify(record, _copy_of(data_dict))


# ---------------------------------------------------------------------------
# Agencies (Art. 16)


@registry.action
def agency_delegation_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A registrant commissions a third-party agency (委托).

    Allowed to the registrant's admins and editors only (sysadmins too only as such).

    :param registrant_id: the registrant organization (id or name)
    :param agency_id: the agency organization (``org_kind`` agency; id or name)
    :param scope: list of ``application`` (registration applications) and ``evidence``
        (evidence preservation)
    :param valid_from: first day (ISO date; default today)
    :param valid_until: last day (ISO date)
    :param document_no: number of the power of attorney (委托书编号)
    :param document: the signed power of attorney (file upload, optional)

    Refused when a member of the agency is also a member of the registrant or of a
    registration institution (conflict of interest).
    """
    data = validated(data_dict, schemas.agency_delegation_create(), context)
    for key in ("registrant_id", "agency_id"):
        group = model.Group.get(data[key])
        data[key] = group.id if group is not None else data[key]
    tk.check_access("agency_delegation_create", context, {"registrant_id": data["registrant_id"]})
    with workflow.transaction():
        delegation = agencies.create(user_of(context), data)
        result = agencies.as_dict(delegation)
    return result


@registry.action
def agency_delegation_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """End a delegation early: the registrant's or the agency's (renouncing it) admins
    and editors, or a sysadmin.

    :param id: the delegation
    :param reason: required
    """
    data = validated(data_dict, schemas.agency_delegation_revoke(), context)
    delegation = agencies.get(data["id"])
    tk.check_access("agency_delegation_revoke", context, {"id": delegation.id})
    with workflow.transaction():
        agencies.revoke(user_of(context), delegation, data["reason"])
        result = agencies.as_dict(delegation)
    return result


@registry.action
@tk.side_effect_free
def agency_delegation_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One delegation, with whether it is in force and any conflict of interest.

    :param id: the delegation
    """
    data = validated(data_dict, schemas.agency_delegation_show(), context)
    delegation = agencies.get(data["id"])
    tk.check_access("agency_delegation_show", context, {"id": delegation.id})
    return agencies.as_dict(delegation)


@registry.action
@tk.side_effect_free
def agency_delegation_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Delegations of a registrant or of an agency, those the caller may read.

    :param registrant_id: the registrant (id or name), or
    :param agency_id: the agency (id or name)
    :param include_revoked: default false
    """
    data = validated(data_dict, schemas.agency_delegation_list(), context)
    for key in ("registrant_id", "agency_id"):
        if data.get(key):
            group = model.Group.get(data[key])
            data[key] = group.id if group is not None else data[key]
    tk.check_access("agency_delegation_list", context, data)
    rows = agencies.listing(registrant_id=data.get("registrant_id"),
                            agency_id=data.get("agency_id"),
                            include_revoked=data["include_revoked"])
    user = user_of(context)
    if not context.get("ignore_auth"):
        # An agency's list shown to an official holds their jurisdiction's only.
        rows = [row for row in rows
                if agencies.may_view(user, row.registrant_id, row.agency_id)]
    return [agencies.as_dict(row) for row in rows]


# ---------------------------------------------------------------------------
# Government data catalogue (政务数据目录)


@registry.action
@tk.side_effect_free
def catalogue_entry_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Imported government data catalogue entries and their registration status.

    :param registrant_id: only this registrant's entries (id or name)
    :param unregistered: only entries whose data is not registered (no registration
        prefilled, or its ``registration_status`` is not ``registered``)
    :param limit: default 100 (at most 1000)
    :param offset: default 0
    """
    data = validated(data_dict, schemas.catalogue_entry_list(), context)
    tk.check_access("catalogue_entry_list", context, data)
    registrant_id = data.get("registrant_id")
    if registrant_id:
        group = model.Group.get(registrant_id)
        registrant_id = group.id if group is not None else registrant_id
    return catalogue_import.entries(
        registrant_id=registrant_id or None, unregistered=data["unregistered"],
        limit=data["limit"], offset=data["offset"])


