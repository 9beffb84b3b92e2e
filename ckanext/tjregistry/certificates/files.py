"""The issued certificate files: one PDF per certificate version, recorded by digest.

A version's PDF is rendered once, the first time the platform hands it out, and
kept in ``<ckan.storage_path>/tjregistry/certificate-pdf/<certificate id>.pdf``.
At that moment its SHA-256 is written to the register row (``file_sha256``) and the
row's signed record is renewed (register.py), in the caller's transaction. Every
later download serves the stored bytes, so every copy in circulation is
byte-identical to the recorded digest; an uploaded PDF is an original only if its
SHA-256 is that digest (verification.py).

The stored file must be kept (backed up with the storage directory): if it is lost,
it is rendered again, which gives the same bytes as long as fpdf2 and the fonts are
unchanged; otherwise the file is not served (:class:`FileUnavailable`) rather than
handing out a file that would not verify as an original.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import pdf as pdf_module
from ckanext.tjregistry.certificates import register, signing
from ckanext.tjregistry.model.certificate import Certificate

log = logging.getLogger(__name__)


class FileUnavailable(Exception):
    """The issued file is lost and rendering again does not reproduce it, or its digest
    cannot be recorded (no signing key)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def storage_dir() -> str:
    return os.path.join(
        tk.config.get("ckan.storage_path") or tempfile.gettempdir(),
        "tjregistry",
        "certificate-pdf",
    )


def file_path(certificate_id: str) -> str:
    return os.path.join(storage_dir(), f"{certificate_id}.pdf")


def read_stored(certificate_id: str) -> bytes | None:
    try:
        with open(file_path(certificate_id), "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        return None


def _store(certificate_id: str, data: bytes) -> None:
    path = file_path(certificate_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".part")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def by_digest(digest: str) -> Certificate | None:
    """The certificate version whose issued file has this SHA-256."""
    return (
        model.Session.query(Certificate)
        .filter(Certificate.file_sha256 == digest)
        .order_by(Certificate.issued_at)
        .first()
    )


def issued_pdf(certificate: Certificate, store: signing.KeyStore | None = None) -> bytes:
    """The PDF the platform hands out for ``certificate``.

    The first call renders and stores it and records its digest in the register
    (flushed, not committed: the caller commits). Raises
    :class:`register.RegisterTampered` when the row fails its check and
    :class:`FileUnavailable` when a recorded file is lost for good.
    """
    store = store or signing.default_keystore()
    register.ensure_intact(store, certificate)
    if certificate.file_sha256 is None:
        # Lock the row so that two first downloads record one file.
        locked = (
            model.Session.query(Certificate)
            .filter(Certificate.id == certificate.id)
            .populate_existing()
            .with_for_update()
            .one()
        )
        register.ensure_intact(store, locked)
        if locked.file_sha256 is None:
            data = pdf_module.render(locked.envelope, locked.issued_at)
            locked.file_sha256 = sha256(data)
            try:
                register.seal(store, locked)
            except signing.SigningError as error:
                log.error("cannot sign the register record of %s: %s", locked.code, error)
                raise FileUnavailable(locked.code) from None
            _store(locked.id, data)
            model.Session.flush()
            return data
        certificate = locked
    data = read_stored(certificate.id)
    if data is not None and sha256(data) == certificate.file_sha256:
        return data
    rendered = pdf_module.render(certificate.envelope, certificate.issued_at)
    if sha256(rendered) != certificate.file_sha256:
        log.error(
            "issued file of %s v%s is %s and rendering again does not reproduce it",
            certificate.code,
            certificate.version,
            "altered" if data is not None else "missing",
        )
        raise FileUnavailable(certificate.code)
    _store(certificate.id, rendered)
    return rendered


def record_existing(store: signing.KeyStore, row: Any) -> tuple[str | None, bool]:
    """For a certificate issued before digests were recorded: the digest of its stored
    file if that file is present and carries the row's own signed envelope, and
    whether that file is the only one that can have been handed out."""
    from ckanext.tjregistry.certificates.verification import attached_envelope

    data = read_stored(row.id)
    if data is None:
        return None, False
    envelope = attached_envelope(data)
    if envelope is None or signing.canonical_json(
        signing.signed_document(envelope)
    ).decode("utf-8") != row.canonical:
        return None, False
    return sha256(data), True


# The columns the backfill reads and writes, named here (not taken from the model) so
# that the migration keeps working when later migrations add columns.
_BACKFILL_TABLE = sa.table(
    "tjregistry_certificate",
    *(sa.column(name) for name in (
        "id", "code", "version", "package_id", "institution_id", "canonical", "status",
        "status_reason", "status_changed_at", "status_changed_by", "valid_from",
        "valid_until", "term_end", "national_code", "file_sha256",
    )),
    sa.column("envelope", JSONB),
    sa.column("register_seal", JSONB),
)


def seal_unsealed(connection: Any, store: signing.KeyStore) -> tuple[int, list[str]]:
    """Sign the register record of every row that has none: certificates issued
    before the register was signed (run by migration 0800, or by ``ckan tjregistry
    certificate seal-unsealed`` once the signing keys are in place).

    The digest of the row's stored file is recorded when the file is there and
    carries the row's own signed envelope; otherwise none is recorded and the
    record says that earlier files were not recorded (uploads of such a
    certificate cannot be proven original). Rows whose certificate envelope does
    not verify, or whose institution has no signing key, stay unsealed (and read as
    tampered); they are returned as messages. Works on a Core ``connection`` inside
    the caller's transaction; returns (rows sealed, messages).
    """
    table = _BACKFILL_TABLE
    rows = connection.execute(
        sa.select(table)
        .where(sa.or_(table.c.register_seal.is_(None),
                      sa.cast(table.c.register_seal, sa.UnicodeText) == "null"))
        .order_by(table.c.code, table.c.version)
    ).all()
    sealed, skipped = 0, []
    for row in rows:
        digest, complete = record_existing(store, row)
        facts = SimpleNamespace(**{**row._mapping, "file_sha256": digest})
        if register.check(store, facts) != [register.UNSEALED] or (
            register.columns_differ_from_content(facts)
        ):
            skipped.append(f"{row.code} v{row.version}: the certificate envelope does not "
                           "verify against the row; not sealed")
            continue
        try:
            seal = register.make_seal(store, facts, file_record_complete=complete)
        except signing.SigningError as error:
            skipped.append(f"{row.code} v{row.version}: {error}; not sealed")
            continue
        connection.execute(
            table.update().where(table.c.id == row.id)
            .values(file_sha256=digest, register_seal=seal)
        )
        sealed += 1
    return sealed, skipped
