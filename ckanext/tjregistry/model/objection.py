"""Objections (异议) raised during publicity (Art. 20), and their evidence files.

The objector's identity, contacts and evidence are personal data: ``objections.py``
shows them only to the institution handling the application and to sysadmins.
"""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

import ckan.plugins.toolkit as tk


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class Objection(tk.BaseModel):
    """One objection to one application in publicity.

    ``status``: ``pending`` until the institution decides ``upheld`` (the registration
    is terminated) or ``not_upheld``; ``closed`` when the application ended otherwise
    (withdrawn, or terminated on another objection). A person has at most one
    pending objection per application (partial unique index in the migration).
    """

    __tablename__ = "tjregistry_objection"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    number = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    application_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    institution_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    status = sa.Column(sa.UnicodeText, nullable=False, index=True)
    category = sa.Column(sa.UnicodeText, nullable=False)
    statement = sa.Column(sa.UnicodeText, nullable=False)
    objector_name = sa.Column(sa.UnicodeText, nullable=False)
    id_type = sa.Column(sa.UnicodeText, nullable=False)
    id_number = sa.Column(sa.UnicodeText, nullable=False)
    contact_phone = sa.Column(sa.UnicodeText, nullable=False)
    contact_email = sa.Column(sa.UnicodeText)
    # SHA-256 of the objector's access token (the token itself is shown once).
    token_hash = sa.Column(sa.UnicodeText, nullable=False)
    # Keyed hash of the submitting address, to trace abuse without keeping addresses.
    client_hash = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    decide_due = sa.Column(sa.Date)
    response = sa.Column(sa.UnicodeText)
    responded_at = sa.Column(sa.DateTime)
    responded_by = sa.Column(sa.UnicodeText)
    finding = sa.Column(sa.UnicodeText)
    decided_at = sa.Column(sa.DateTime)
    decided_by = sa.Column(sa.UnicodeText)
    closed_reason = sa.Column(sa.UnicodeText)
    # Art. 20 相关当事人: how the objector is concerned (a choice and its explanation);
    # objections filed before it was asked for have none.
    interest = sa.Column(sa.UnicodeText)
    interest_statement = sa.Column(sa.UnicodeText)
    # When the registrant asked to withdraw the application while this objection was
    # pending: once per objection (objection_limits.py).
    withdrawal_requested_at = sa.Column(sa.DateTime)


class ObjectionFile(tk.BaseModel):
    """An evidence file, stored outside the web root under a random name."""

    __tablename__ = "tjregistry_objection_file"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    objection_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("tjregistry_objection.id", ondelete="CASCADE"),
        nullable=False, index=True)
    stored_name = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    original_name = sa.Column(sa.UnicodeText, nullable=False)
    # The type libmagic found in the content, not the one the browser claimed.
    mime_type = sa.Column(sa.UnicodeText, nullable=False)
    size = sa.Column(sa.BigInteger, nullable=False)
    sha256 = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)


class ObjectionSequence(tk.BaseModel):
    """Last objection number used per year."""

    __tablename__ = "tjregistry_objection_sequence"

    year = sa.Column(sa.Integer, primary_key=True)
    last_value = sa.Column(sa.Integer, nullable=False)
