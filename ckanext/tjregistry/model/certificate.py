"""Registration certificates (登记凭证): one row per issued version."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.plugins.toolkit as tk


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class Certificate(tk.BaseModel):
    """A signed certificate version.

    A registration keeps its ``code`` for life; renewals, changes and corrections
    add versions. Exactly one version per code is not ``superseded`` (the current
    one), and a dataset has at most one ``valid`` certificate (partial unique
    indexes in the migration). ``envelope`` signs the certificate's content;
    ``register_seal`` signs the row's mutable facts (status, validity, file digest).
    """

    __tablename__ = "tjregistry_certificate"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    code = sa.Column(sa.UnicodeText, nullable=False, index=True)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    application_id = sa.Column(sa.UnicodeText, nullable=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=True)
    institution_id = sa.Column(sa.UnicodeText, nullable=False)
    object_type = sa.Column(sa.UnicodeText, nullable=False)
    registration_type = sa.Column(sa.UnicodeText, nullable=False)
    status = sa.Column(sa.UnicodeText, nullable=False, index=True)
    status_reason = sa.Column(sa.UnicodeText, nullable=True)
    status_changed_at = sa.Column(sa.DateTime, nullable=True)
    status_changed_by = sa.Column(sa.UnicodeText, nullable=True)
    issued_at = sa.Column(sa.DateTime, nullable=False)
    valid_from = sa.Column(sa.Date, nullable=False)
    valid_until = sa.Column(sa.Date, nullable=False, index=True)
    term_end = sa.Column(sa.Date, nullable=False)
    national_code = sa.Column(sa.UnicodeText, nullable=True, index=True)
    envelope = sa.Column(JSONB, nullable=False)
    canonical = sa.Column(sa.UnicodeText, nullable=False)
    # SHA-256 (hex) of the PDF file the platform issued for this version, recorded
    # when the file is first handed out (certificates/files.py).
    file_sha256 = sa.Column(sa.UnicodeText, nullable=True, index=True)
    # The signed register record (certificates/register.py): status, validity and
    # file digest as the platform last set them, re-signed on every change.
    register_seal = sa.Column(JSONB, nullable=True)
    created_by = sa.Column(sa.UnicodeText, nullable=True)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)


class CertificateSequence(tk.BaseModel):
    """Last sequence number used per code scope (district, year, category)."""

    __tablename__ = "tjregistry_certificate_sequence"

    scope = sa.Column(sa.UnicodeText, primary_key=True)
    last_value = sa.Column(sa.Integer, nullable=False)
