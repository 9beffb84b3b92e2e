"""Delegations (委托) of a registrant to a third-party agency (Art. 16)."""
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


class Delegation(tk.BaseModel):
    """A registrant commissions an agency for some matters (scope) during a period."""

    __tablename__ = "tjregistry_delegation"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    agency_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    scope = sa.Column(JSONB, nullable=False)
    valid_from = sa.Column(sa.Date, nullable=False)
    valid_until = sa.Column(sa.Date, nullable=False)
    # The power of attorney (委托书): its number, and the uploaded file if any.
    document_no = sa.Column(sa.UnicodeText, nullable=False)
    document_name = sa.Column(sa.UnicodeText)
    document_sha256 = sa.Column(sa.UnicodeText)
    document_path = sa.Column(sa.UnicodeText)
    status = sa.Column(sa.UnicodeText, nullable=False, default="active")
    created_by = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    revoked_by = sa.Column(sa.UnicodeText)
    revoked_at = sa.Column(sa.DateTime)
    revocation_reason = sa.Column(sa.UnicodeText)
