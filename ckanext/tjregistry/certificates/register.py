"""The signed certificate register (登记簿): each row's changing facts under signature.

A certificate version's *content* is signed once, when it is issued (the envelope,
signing.py). What changes afterwards lives in the row: the status (revocation,
cancellation, expiry, reinstatement, supersession by a renewal, change or
correction), the reason, time and author of the change, the national code, and the
SHA-256 of the PDF file the platform issued (files.py). Those facts, with the row's
identity, validity dates and a hash of the signed content, form the row's *register
record*, signed with the institution's active SM2 key (format
``tjregistry-register-record/1``, same envelope and canonical form as the
certificate) and stored in ``register_seal``.

* Every change made through the platform first checks the record it replaces
  (:func:`ensure_intact`, so a row edited in the database is never re-signed as it
  stands) and then re-signs the row in the same transaction (:func:`seal`).
* Verification (verification.py) answers from the signed record only: a row whose
  columns differ from its record, whose record is missing or does not verify, or
  whose certificate envelope does not verify reads as ``tampered``.
* ``ckan tjregistry certificate check`` checks every row (:func:`check_all`).

Not detected here: replacing a row's columns *and* record together by an earlier
copy of the same row (a roll-back to a state the platform really signed). The
registration history's hash chain records every status change and is the
cross-check for that.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ckanext.tjregistry.certificates import signing, validity

log = logging.getLogger(__name__)

# Reasons why a register row cannot be trusted (keys of verification.REASONS).
ENVELOPE_BROKEN = "register_mismatch"
UNSEALED = "record_unsealed"
BAD_RECORD_SIGNATURE = "record_bad_signature"
ALTERED = "record_altered"
PROBLEMS = (ENVELOPE_BROKEN, UNSEALED, BAD_RECORD_SIGNATURE, ALTERED)


class RegisterTampered(Exception):
    """A register row fails its check; ``problems`` are reason keys, ``fields`` the
    columns that differ from the signed record."""

    def __init__(self, code: str, version: int, problems: list[str], fields: list[str]) -> None:
        super().__init__(f"{code} v{version}: {', '.join(problems + fields)}")
        self.code, self.version, self.problems, self.fields = code, version, problems, fields


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def content_sha256(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_facts(row: Any) -> dict[str, Any]:
    """The facts of a register row that its record signs (an ORM object or a Core row)."""
    return {
        "certificate_id": row.id,
        "code": row.code,
        "version": row.version,
        "package_id": row.package_id,
        "institution_id": row.institution_id,
        "certificate_sha256": content_sha256(row.canonical),
        "status": row.status,
        "status_reason": row.status_reason,
        "status_changed_at": _iso(row.status_changed_at),
        "status_changed_by": row.status_changed_by,
        "valid_from": _iso(row.valid_from),
        "valid_until": _iso(row.valid_until),
        "term_end": _iso(row.term_end),
        "national_code": row.national_code,
        "file_sha256": row.file_sha256,
    }


def make_seal(
    store: signing.KeyStore,
    row: Any,
    *,
    file_record_complete: bool,
    sealed_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The signed register record of ``row`` as it stands.

    ``file_record_complete`` is False for certificates whose file may have been
    handed out before file digests were recorded: no upload of them can be proven
    to be an original.
    """
    content = {
        **record_facts(row),
        "file_record_complete": bool(file_record_complete),
        "sealed_at": (sealed_at or dt.datetime.utcnow()).isoformat(timespec="seconds"),
    }
    return signing.sign_content(
        store, row.envelope["institution"], content, envelope_format=signing.RECORD_FORMAT
    )


def _envelope_broken(store: signing.KeyStore, row: Any) -> bool:
    """The row's certificate envelope does not verify, or is not stored as signed."""
    envelope = row.envelope
    try:
        canonical = signing.canonical_json(signing.signed_document(envelope)).decode("utf-8")
    except (TypeError, ValueError, AttributeError):
        return True
    return canonical != row.canonical or not signing.verify_envelope(store, envelope).genuine


def columns_differ_from_content(row: Any) -> bool:
    content = row.envelope["content"]
    return (
        content.get("code") != row.code
        or content.get("version") != row.version
        or content.get("dataset_id") != row.package_id
        or content.get("valid_from") != _iso(row.valid_from)
        or content.get("valid_until") != _iso(row.valid_until)
    )


def differences(row: Any) -> list[str]:
    """Columns whose value differs from the signed record (all of them if unsealed)."""
    seal = row.register_seal
    facts = record_facts(row)
    sealed = seal.get("content") if isinstance(seal, dict) else None
    if not isinstance(sealed, dict):
        return list(facts)
    return [name for name, value in facts.items() if sealed.get(name) != value]


def check(store: signing.KeyStore, row: Any) -> list[str]:
    """Reason keys why ``row`` cannot be trusted; empty when it is intact."""
    if _envelope_broken(store, row):
        return [ENVELOPE_BROKEN]
    seal = row.register_seal
    if seal is None:
        return [UNSEALED]
    if (
        not signing.verify_envelope(store, seal, envelope_format=signing.RECORD_FORMAT).genuine
        or seal.get("institution") != row.envelope.get("institution")
        or not isinstance(seal["content"].get("file_record_complete"), bool)
    ):
        return [BAD_RECORD_SIGNATURE]
    if differences(row) or columns_differ_from_content(row):
        return [ALTERED]
    return []


def ensure_intact(store: signing.KeyStore, row: Any) -> None:
    """Raise :class:`RegisterTampered` unless ``row`` passes :func:`check`."""
    problems = check(store, row)
    if problems:
        raise RegisterTampered(row.code, row.version, problems, differences(row))


def seal(store: signing.KeyStore, row: Any, *, file_record_complete: bool | None = None) -> None:
    """Re-sign ``row``'s record after a change made through the platform.

    Keeps the previous record's ``file_record_complete`` unless told otherwise.
    The caller flushed the row (so that it has its id) and checked the record it
    replaces with :func:`ensure_intact` before changing anything.
    """
    if file_record_complete is None:
        previous = row.register_seal
        file_record_complete = (
            bool(previous["content"].get("file_record_complete", True)) if previous else True
        )
    row.register_seal = make_seal(store, row, file_record_complete=file_record_complete)


def sealed(row: Any) -> dict[str, Any]:
    """The signed record's content; only meaningful after :func:`check` passed."""
    return row.register_seal["content"]


def sealed_status(row: Any, today: dt.date) -> str:
    """The status the signed record gives on ``today`` (``valid`` past its last day
    reads ``expired``)."""
    record = sealed(row)
    return validity.effective_status(
        record["status"], dt.date.fromisoformat(record["valid_until"]), today
    )


def signed_facts(row: Any, today: dt.date) -> dict[str, Any]:
    """What the register signs about a certificate version, to compare with a paper copy."""
    content, record = row.envelope["content"], sealed(row)
    registrant = content.get("registrant") or {}
    return {
        "code": content["code"],
        "version": content["version"],
        "data_name": content.get("data_name"),
        "registrant": registrant.get("name"),
        "registrant_uscc": registrant.get("uscc"),
        "object_category": content.get("object_category"),
        "registration_type": content.get("registration_type"),
        "institution": (content.get("institution") or {}).get("title"),
        "issue_date": content.get("issue_date"),
        "valid_from": record["valid_from"],
        "valid_until": record["valid_until"],
        "operation_period": content.get("operation_period"),
        "status": sealed_status(row, today),
        "status_changed_at": record["status_changed_at"],
        "file_sha256": record["file_sha256"],
        "file_record_complete": record["file_record_complete"],
        "key_id": row.envelope.get("key_id"),
    }


@dataclass(frozen=True)
class RowProblem:
    code: str
    version: int
    problems: list[str]
    fields: list[str]


def check_all(store: signing.KeyStore, rows: Iterable[Any]) -> tuple[int, list[RowProblem]]:
    """Check every row; returns (number checked, the rows that fail)."""
    count, failing = 0, []
    for row in rows:
        count += 1
        problems = check(store, row)
        if problems:
            failing.append(RowProblem(row.code, row.version, problems, differences(row)))
    return count, failing
