"""Renewal (续展) of certificates: the registrant's requests and the reminders sent."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

import ckan.plugins.toolkit as tk

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class RenewalRequest(tk.BaseModel):
    """A registrant's request to renew the certificate ``code`` (at most one pending per
    code: a partial unique index in migration 0840)."""

    __tablename__ = "tjregistry_renewal_request"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    code = sa.Column(sa.UnicodeText, nullable=False, index=True)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False)
    # The institution that issued the version renewed; the competent one decides
    # (jurisdiction.acting_institution of it).
    institution_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    certificate_version = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.UnicodeText, nullable=False, default=PENDING)
    note = sa.Column(sa.UnicodeText)
    requested_by = sa.Column(sa.UnicodeText)
    requested_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    decided_by = sa.Column(sa.UnicodeText)
    decided_institution_id = sa.Column(sa.UnicodeText)
    decided_at = sa.Column(sa.DateTime)
    reasons = sa.Column(sa.UnicodeText)
    renewed_version = sa.Column(sa.Integer)


class RenewalReminder(tk.BaseModel):
    """A reminder sent for one certificate version at one threshold (days before expiry)."""

    __tablename__ = "tjregistry_renewal_reminder"

    code = sa.Column(sa.UnicodeText, primary_key=True)
    version = sa.Column(sa.Integer, primary_key=True)
    days = sa.Column(sa.Integer, primary_key=True)
    package_id = sa.Column(sa.UnicodeText, nullable=False)
    sent_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    recipients = sa.Column(sa.Integer, nullable=False, default=0)
