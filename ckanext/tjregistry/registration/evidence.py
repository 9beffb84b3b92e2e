"""Evidence preservation (存证, Art. 15) before applying for authorised-operation data.

A registrant, or an agency it commissioned (agencies.py, scope ``evidence``), records
evidence of the data before applying: a manifest listing every data file (``full``) or
the files of a data sample (``sample``) with their size and SHA-256. The platform
gives the record an evidence number (``<prefix>-<year>-<six digits>``), keeps who made
it and when, anchors it in the hash-chained history, and fills the dataset's
``evidence_*`` fields when the dataset may still be edited.

The manifest format (``tjregistry-evidence-manifest/1``) is a list of entries
``{"path": "dir/file.csv", "bytes": 1234, "sha256": "<64 hex>"}`` sorted by path
(POSIX separators, Unicode NFC). Its fingerprint is the SHA-256 of the canonical JSON
``{"entries": [...], "format": "tjregistry-evidence-manifest/1"}`` (keys sorted, no
spaces, UTF-8). ``sha256sum`` output is accepted as input too (sizes then unknown).
A later copy is verified by comparing its manifest with the recorded one.

Submitting an application for data under authorised operation without evidence is
refused: ``missing_for_application`` is the check the workflow's submission guard calls.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history, jurisdiction, workdays
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.model import Application, Event, Registration
from ckanext.tjregistry.model.evidence import Evidence
from ckanext.tjregistry.registration import agencies, freeze

FORMAT = "tjregistry-evidence-manifest/1"
FULL = "full"
SAMPLE = "sample"
KINDS = (FULL, SAMPLE)
KIND_LABELS = {FULL: {"zh_Hans_CN": "全量数据文件", "en": "All data files"},
               SAMPLE: {"zh_Hans_CN": "数据样本", "en": "Data sample"}}
DEFAULT_MAX_SAMPLE_BYTES = 50 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SHA256SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_UPLOAD_KEY = re.compile(r"^file(_?\d+)?$")
_CHUNK = 1024 * 1024


# ---------------------------------------------------------------------------
# Manifests


@dataclass(frozen=True)
class Entry:
    path: str
    sha256: str
    bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.bytes, "sha256": self.sha256}


def normalise_path(value: Any) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).replace("\\", "/").strip()
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        raise field_error("manifest", f"文件路径无效:{value!r}", f"Invalid file path: {value!r}")
    return "/".join(parts)


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise field_error("manifest", "清单条目应为对象", "Each manifest entry must be an object")
    digest = str(raw.get("sha256") or "").strip().lower().removeprefix("sha256:")
    if not _HEX64.match(digest):
        raise field_error("manifest", f"SHA-256 值无效:{raw.get('path')}",
                     f"Invalid SHA-256 for {raw.get('path')!r} (64 hexadecimal digits)")
    size = raw.get("bytes")
    if size in (None, ""):
        size = None
    else:
        try:
            size = int(size)
        except (TypeError, ValueError):
            size = -1
        if size < 0:
            raise field_error("manifest", f"文件大小无效:{raw.get('path')}",
                         f"Invalid size for {raw.get('path')!r}")
    return Entry(normalise_path(raw.get("path")), digest, size)


def parse_manifest(value: Any) -> list[Entry]:
    """Entries from a list of dicts, a JSON document or ``sha256sum`` output."""
    if isinstance(value, bytes):
        value = value.decode("utf-8-sig")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise field_error("manifest", "清单不是有效的 JSON",
                                  "The manifest is not valid JSON") \
                    from None
        else:
            value = _parse_sha256sum(text)
    if isinstance(value, dict):
        if value.get("format") not in (None, FORMAT):
            raise field_error("manifest", "不支持的清单格式", f"Unsupported manifest format "
                                                   f"{value.get('format')!r}")
        value = value.get("entries")
    if not isinstance(value, list) or not value:
        raise field_error("manifest", "清单不能为空", "The manifest lists no files")
    entries = sorted((_entry(raw) for raw in value), key=lambda entry: entry.path)
    seen: set[str] = set()
    for entry in entries:
        if entry.path in seen:
            raise field_error("manifest", f"文件重复:{entry.path}",
                              f"Duplicate path {entry.path!r}")
        seen.add(entry.path)
    return entries


def _parse_sha256sum(text: str) -> list[dict[str, Any]]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SHA256SUM_LINE.match(line.rstrip("\r"))
        if match is None:
            raise field_error("manifest", f"第 {number} 行格式无效", f"Line {number} is not "
                                                          "'<sha256>  <path>'")
        entries.append({"path": match.group(2), "sha256": match.group(1)})
    return entries


def digest(entries: Iterable[Entry]) -> str:
    document = {"format": FORMAT, "entries": [entry.as_dict() for entry in entries]}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hash_stream(stream: Any) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def manifest_of_path(path: str) -> list[Entry]:
    """The manifest of a file, or of every regular file under a directory."""
    if os.path.isfile(path):
        files = [(os.path.basename(path), path)]
    elif os.path.isdir(path):
        files = []
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(root, name)
                if os.path.isfile(full) and not os.path.islink(full):
                    files.append((os.path.relpath(full, path), full))
    else:
        raise FileNotFoundError(path)
    entries = []
    for relative, full in files:
        with open(full, "rb") as handle:
            sha, size = _hash_stream(handle)
        entries.append(Entry(normalise_path(relative), sha, size))
    if not entries:
        raise field_error("manifest", "目录中没有文件", "The directory holds no files")
    return sorted(entries, key=lambda entry: entry.path)


def manifest_document(entries: list[Entry]) -> dict[str, Any]:
    return {"format": FORMAT, "entries": [entry.as_dict() for entry in entries],
            "manifest_sha256": digest(entries)}


@dataclass
class Comparison:
    matched: list[str]
    altered: list[str]
    missing: list[str]
    extra: list[str]
    kind: str

    @property
    def match(self) -> bool:
        # A sample is found in a later copy that may hold more files; a full manifest
        # must be the whole copy.
        return not self.altered and not self.missing and (self.kind == SAMPLE or not self.extra)

    def as_dict(self) -> dict[str, Any]:
        return {"match": self.match, "matched": self.matched, "altered": self.altered,
                "missing": self.missing, "extra": self.extra}


def compare(recorded: list[Entry], copy: list[Entry], kind: str = FULL) -> Comparison:
    mine = {entry.path: entry for entry in recorded}
    theirs = {entry.path: entry for entry in copy}
    matched, altered = [], []
    for path, entry in mine.items():
        other = theirs.get(path)
        if other is None:
            continue
        same_size = entry.bytes is None or other.bytes is None or entry.bytes == other.bytes
        (matched if other.sha256 == entry.sha256 and same_size else altered).append(path)
    missing = sorted(set(mine) - set(theirs))
    extra = sorted(set(theirs) - set(mine))
    return Comparison(sorted(matched), sorted(altered), missing, extra, kind)


# ---------------------------------------------------------------------------
# The submission rule


def _yes(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "yes", "1", "on", "是")


def requires_evidence(dataset: dict[str, Any]) -> bool:
    """Art. 15: data involved in authorised operation is evidenced before applying."""
    return (_yes(dataset.get("in_authorized_operation"))
            or dataset.get("access_method") == "authorized_operation")


def records_for(package_id: str) -> list[Evidence]:
    return (model.Session.query(Evidence).filter(Evidence.package_id == package_id)
            .order_by(Evidence.created.desc(), Evidence.number.desc()).all())


def missing_for_application(application: Any, proposed: dict[str, Any] | None) -> str | None:
    """Why ``application`` may not be submitted for lack of evidence, or None.

    Cancellations need no evidence; other applications about data under authorised
    operation (as the dataset stands, or as a change proposes it) need a record.
    """
    if application.application_type == "cancellation":
        return None
    # As the site user: the evidence fields are restricted (access.py).
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    dataset = proposed or tk.get_action("package_show")(
        {"ignore_auth": True, "for_view": False, "user": site_user},
        {"id": application.package_id})
    if not requires_evidence(dataset):
        return None
    if model.Session.query(Evidence.id).filter(
            Evidence.package_id == application.package_id).first() is not None:
        return None
    return ("涉及授权运营的数据须在申请登记前完成存证(实施细则第十五条) / Data under "
            "authorised operation must be evidenced before applying (Art. 15)")


# ---------------------------------------------------------------------------
# Recording evidence


def evidence_dir() -> str:
    return os.path.join(tk.config.get("ckan.storage_path") or ".", "tjregistry", "evidence")


def max_sample_bytes() -> int:
    return tk.asint(tk.config.get("tjregistry.evidence.max_sample_bytes")
                    or DEFAULT_MAX_SAMPLE_BYTES)


def number_prefix() -> str:
    return str(tk.config.get("tjregistry.evidence.number_prefix") or "TJCZ")


def _next_number(session: Any, year: int) -> str:
    statement = sa.text(
        "INSERT INTO tjregistry_evidence_sequence (year, last_value) VALUES (:year, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_value = "
        "tjregistry_evidence_sequence.last_value + 1 RETURNING last_value")
    value = session.execute(statement, {"year": year}).scalar_one()
    return f"{number_prefix()}-{year}-{value:06d}"


def uploads_in(data: dict[str, Any]) -> list[Any]:
    """Uploaded files: a ``files`` list, or multipart fields ``file``, ``file2``, …"""
    found = list(data.get("files") or [])
    for key in sorted(data):
        if _UPLOAD_KEY.match(key) and data[key] not in (None, ""):
            found.append(data[key])
    return found


def read_uploads(uploads: list[Any]) -> list[tuple[Entry, bytes]]:
    limit = max_sample_bytes()
    result: list[tuple[Entry, bytes]] = []
    total = 0
    for upload in uploads:
        name, content = agencies.read_upload(upload, limit - total, "file")
        total += len(content)
        entry = Entry(normalise_path(name), hashlib.sha256(content).hexdigest(), len(content))
        if any(existing.path == entry.path for existing, _ in result):
            raise field_error("file", f"文件重复:{entry.path}", f"Duplicate file {entry.path!r}")
        result.append((entry, content))
    return sorted(result, key=lambda item: item[0].path)


@dataclass(frozen=True)
class Maker:
    """Who records evidence for a registrant: the registrant itself or its agency."""

    org_id: str
    agency_id: str | None
    delegation_id: str | None


def maker_for(user: model.User | None, registrant_id: str) -> Maker | None:
    if user is None:
        return None
    if jurisdiction.acts_for(user, registrant_id):
        return Maker(registrant_id, None, None)
    delegation = agencies.delegation_for(user, registrant_id, agencies.EVIDENCE)
    if delegation is not None:
        return Maker(delegation.agency_id, delegation.agency_id, delegation.id)
    return None


def record(user: model.User, package: model.Package, *, kind: str,
           entries: list[Entry] | None = None, uploads: list[tuple[Entry, bytes]] | None = None,
           note: str | None = None) -> Evidence:
    """Record evidence in the caller's transaction (the caller commits).

    ``entries`` is a manifest computed by the registrant; ``uploads`` are sample files
    the platform fingerprints and keeps. A manifest and uploads together are refused.
    """
    if kind not in KINDS:
        raise field_error("kind", "存证类型应为 full 或 sample", "kind must be full or sample")
    if entries and uploads:
        raise field_error("manifest", "请只提供清单或上传文件之一",
                     "Give either a manifest or uploaded files, not both")
    if uploads and kind != SAMPLE:
        raise field_error("kind", "上传的文件作为数据样本存证", "Uploaded files are a data sample: "
                                                 "use kind=sample")
    manifest = entries or [entry for entry, _ in uploads or []]
    if not manifest:
        raise field_error("manifest", "请提供文件清单或上传样本文件",
                     "Give a manifest or upload sample files")
    registrant_id = package.owner_org or ""
    maker = maker_for(user, registrant_id)
    if maker is None:
        raise tk.NotAuthorized("无权为该数据存证 / Not allowed to record evidence for this data")
    session = model.Session
    now = dt.datetime.utcnow().replace(microsecond=0)
    number = _next_number(session, workdays.local_date(now).year)
    fingerprint = digest(manifest)
    stored = None
    if uploads:
        stored = [{"path": entry.path, "stored_as": f"{number}/{entry.path}"}
                  for entry, _ in uploads]
    facts = agencies.on_behalf(user, registrant_id, agencies.EVIDENCE) or {}
    event = history.append(
        session, subject="evidence", application_id=None, package_id=package.id,
        action="record_evidence", from_state=None, to_state=None, actor_id=user.id,
        role="agency" if maker.agency_id else "registrant", institution_id=None, note=None,
        data={"evidence_number": number, "kind": kind, "manifest_sha256": fingerprint,
              "file_count": len(manifest), **facts})
    evidence = Evidence(
        number=number, package_id=package.id, registrant_id=registrant_id,
        made_by_org=maker.org_id, agency_id=maker.agency_id, delegation_id=maker.delegation_id,
        created_by=user.id, created=now, kind=kind,
        manifest=[entry.as_dict() for entry in manifest], manifest_sha256=fingerprint,
        file_count=len(manifest), total_bytes=sum(entry.bytes or 0 for entry in manifest),
        stored_files=stored, note=(note or "").strip() or None, event_id=event.id)
    session.add(evidence)
    session.flush()
    _fill_dataset_fields(package, evidence, maker)
    for entry, content in uploads or []:
        target = os.path.join(evidence_dir(), number, *entry.path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(content)
    return evidence


def _fill_dataset_fields(package: model.Package, evidence: Evidence, maker: Maker) -> None:
    """Copy the record into the dataset's evidence fields while it may still be edited."""
    if freeze.locked_reason(package.id) is not None:
        return
    provider = jurisdiction.profile(maker.org_id)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    # An aware time: the field's validator stores it in the platform's local time.
    moment = evidence.created.replace(tzinfo=dt.timezone.utc)
    # return_id_only: with defer_commit alone, CKAN 2.12.0's package_update rolls back
    # its own savepoint and the patch is lost.
    tk.get_action("package_patch")(
        {"ignore_auth": True, "defer_commit": True, "return_id_only": True,
         "user": site_user["name"]},
        {"id": package.id, "evidence_provider": provider.title if provider else maker.org_id,
         "evidence_time": moment.isoformat(), "evidence_hash": f"sha256:{evidence.manifest_sha256}",
         "evidence_cert_no": evidence.number})


# ---------------------------------------------------------------------------
# Reading and verifying


def get(number_or_id: str) -> Evidence:
    key = str(number_or_id or "").strip()
    evidence = (model.Session.query(Evidence)
                .filter(sa.or_(Evidence.number == key, Evidence.id == key)).one_or_none())
    if evidence is None:
        raise tk.ObjectNotFound("存证记录不存在 / Evidence record not found")
    return evidence


def entries_of(evidence: Evidence) -> list[Entry]:
    return [Entry(item["path"], item["sha256"], item.get("bytes"))
            for item in evidence.manifest or []]


def record_intact(evidence: Evidence) -> bool:
    """The record still matches its fingerprint and the history event that anchored it."""
    if digest(entries_of(evidence)) != evidence.manifest_sha256:
        return False
    event = model.Session.get(Event, evidence.event_id) if evidence.event_id else None
    if event is None or history.event_hash(event) != event.hash:
        return False
    data = event.data or {}
    return (data.get("evidence_number") == evidence.number
            and data.get("manifest_sha256") == evidence.manifest_sha256
            and event.package_id == evidence.package_id)


def verify(evidence: Evidence, copy: list[Entry]) -> dict[str, Any]:
    result = compare(entries_of(evidence), copy, evidence.kind).as_dict()
    result["record_intact"] = record_intact(evidence)
    result["match"] = result["match"] and result["record_intact"]
    result["evidence_number"] = evidence.number
    result["copy_manifest_sha256"] = digest(copy)
    return result


def handling_institution(package: model.Package) -> str:
    """The institution in charge of the dataset's registration: the registering one,
    else the one its latest application went to, else where an application would go
    now (evidence is recorded before applying)."""

    registration = model.Session.get(Registration, package.id)
    if registration is not None and registration.institution_id:
        return registration.institution_id
    latest = (model.Session.query(Application.institution_id)
              .filter(Application.package_id == package.id)
              .order_by(Application.created.desc()).first())
    if latest is not None and latest[0]:
        return latest[0]
    registrant = jurisdiction.profile(package.owner_org or "")
    if registrant is None:
        return ""
    try:
        return jurisdiction.route(registrant, {"spatial": package.extras.get("spatial")}
                                  ).institution_id
    except jurisdiction.NoCityInstitution:
        return ""


def may_read_for(user: model.User | None, package: model.Package,
                 registrant_id: str | None = None) -> bool:
    """Who reads a dataset's evidence: whoever may read its registration records (the
    registrant, its agencies under a delegation in force, reviewers and data-authority
    officers in jurisdiction, sysadmins; ``agencies.may_read_records``)."""
    return agencies.may_read_records(user, registrant_id or package.owner_org or "",
                                 handling_institution(package))


def may_view(user: model.User | None, evidence: Evidence) -> bool:
    """The dataset's readers (``may_read_for``) and the agency that made the record."""
    if user is None:
        return False
    if evidence.agency_id and jurisdiction.capacity(user, evidence.agency_id) is not None:
        return True
    package = model.Package.get(evidence.package_id)
    if package is None:
        return bool(user.sysadmin)
    return may_read_for(user, package, evidence.registrant_id)


def as_dict(evidence: Evidence) -> dict[str, Any]:
    maker = jurisdiction.profile(evidence.made_by_org)
    creator = model.User.get(evidence.created_by) if evidence.created_by else None
    return {
        "id": evidence.id,
        "number": evidence.number,
        "package_id": evidence.package_id,
        "registrant_id": evidence.registrant_id,
        "made_by": {"id": maker.id, "name": maker.name, "title": maker.title} if maker else None,
        "agency_id": evidence.agency_id,
        "delegation_id": evidence.delegation_id,
        "on_behalf_of": evidence.registrant_id if evidence.agency_id else None,
        "created_by": creator.name if creator else None,
        "created": evidence.created.isoformat() + "Z",
        "kind": evidence.kind,
        "kind_label": KIND_LABELS[evidence.kind],
        "manifest_format": FORMAT,
        "manifest": evidence.manifest,
        "manifest_sha256": evidence.manifest_sha256,
        "file_count": evidence.file_count,
        "total_bytes": evidence.total_bytes,
        "stored_files": evidence.stored_files or [],
        "note": evidence.note,
        "event_id": evidence.event_id,
    }
