"""Evidence preservation records (存证, Art. 15): SHA-256 manifests of data before applying.

Rows are immutable once written (a trigger in the migration refuses updates); each
one is also anchored in the hash-chained registration history by its event.
"""
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


class Evidence(tk.BaseModel):
    """One evidence record: what was fingerprinted, by whom, when, under which number."""

    __tablename__ = "tjregistry_evidence"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    number = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    # The organization that made the evidence: the registrant itself or its agency.
    made_by_org = sa.Column(sa.UnicodeText, nullable=False)
    agency_id = sa.Column(sa.UnicodeText)
    delegation_id = sa.Column(sa.UnicodeText)
    created_by = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    # "full" (every data file) or "sample" (a data sample).
    kind = sa.Column(sa.UnicodeText, nullable=False)
    manifest = sa.Column(JSONB, nullable=False)
    manifest_sha256 = sa.Column(sa.UnicodeText, nullable=False)
    file_count = sa.Column(sa.Integer, nullable=False)
    total_bytes = sa.Column(sa.BigInteger, nullable=False)
    # Sample files the platform keeps (relative paths under the evidence directory).
    stored_files = sa.Column(JSONB)
    note = sa.Column(sa.UnicodeText)
    event_id = sa.Column(sa.BigInteger)


class EvidenceSequence(tk.BaseModel):
    """Last evidence number used per year."""

    __tablename__ = "tjregistry_evidence_sequence"

    year = sa.Column(sa.Integer, primary_key=True)
    last_value = sa.Column(sa.Integer, nullable=False)
