"""Registration applications (登记申请), registrations, their history and notifications.

The states and transitions these rows move through are declared in
``ckanext/tjregistry/workflow.py``; only the workflow engine writes them.
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


class Application(tk.BaseModel):
    """One application for one dataset; ``is_open`` is true until it reaches a final state.

    A partial unique index on ``package_id`` where ``is_open`` keeps a dataset to one
    open application at a time, even under concurrent submissions.
    """

    __tablename__ = "tjregistry_application"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    application_type = sa.Column(sa.UnicodeText, nullable=False)
    state = sa.Column(sa.UnicodeText, nullable=False, index=True)
    is_open = sa.Column(sa.Boolean, nullable=False, default=True)
    # State to return to when a withdrawal request is refused.
    resume_state = sa.Column(sa.UnicodeText)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    institution_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    routing = sa.Column(sa.UnicodeText)
    round = sa.Column(sa.Integer, nullable=False, default=1)
    supplement_round = sa.Column(sa.Integer)
    supplement_items = sa.Column(JSONB)
    submitted_at = sa.Column(sa.DateTime)
    accept_due = sa.Column(sa.Date)
    accepted_at = sa.Column(sa.DateTime)
    review_due = sa.Column(sa.Date)
    decided_at = sa.Column(sa.DateTime)
    publicity_start = sa.Column(sa.Date)
    publicity_end = sa.Column(sa.Date)
    refusal_ground = sa.Column(sa.UnicodeText)
    reasons = sa.Column(sa.UnicodeText)
    withdrawal_reason = sa.Column(sa.UnicodeText)
    pledge = sa.Column(sa.Boolean, nullable=False, default=False)
    internal_review = sa.Column(sa.Boolean, nullable=False, default=False)
    internal_review_note = sa.Column(sa.UnicodeText)
    # Dataset content the application is about (the proposed version for change/correction).
    proposed = sa.Column(JSONB)
    dataset_sha256 = sa.Column(sa.UnicodeText)
    duplicates = sa.Column(JSONB)
    filing_deadline = sa.Column(sa.Date)
    late = sa.Column(sa.Boolean, nullable=False, default=False)
    created_by = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    modified = sa.Column(sa.DateTime, nullable=False, default=_now, onupdate=_now)


class Registration(tk.BaseModel):
    """The registration of one dataset: its status and the version that was registered."""

    __tablename__ = "tjregistry_registration"

    package_id = sa.Column(sa.UnicodeText, primary_key=True)
    status = sa.Column(sa.UnicodeText, nullable=False, index=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    institution_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    application_id = sa.Column(sa.UnicodeText)
    registered_at = sa.Column(sa.DateTime)
    snapshot = sa.Column(JSONB)
    revocation_ground = sa.Column(sa.UnicodeText)
    revocation_reasons = sa.Column(sa.UnicodeText)
    revoked_by = sa.Column(sa.UnicodeText)
    revoked_at = sa.Column(sa.DateTime)
    # District revocations are filed with the city institution: pending | upheld | reversed.
    revocation_filing = sa.Column(sa.UnicodeText)
    modified = sa.Column(sa.DateTime, nullable=False, default=_now, onupdate=_now)


class Event(tk.BaseModel):
    """One entry of the append-only, hash-chained registration history (see history.py)."""

    __tablename__ = "tjregistry_event"

    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    subject = sa.Column(sa.UnicodeText, nullable=False)
    application_id = sa.Column(sa.UnicodeText, index=True)
    package_id = sa.Column(sa.UnicodeText, index=True)
    action = sa.Column(sa.UnicodeText, nullable=False)
    from_state = sa.Column(sa.UnicodeText)
    to_state = sa.Column(sa.UnicodeText)
    actor_id = sa.Column(sa.UnicodeText)
    role = sa.Column(sa.UnicodeText)
    institution_id = sa.Column(sa.UnicodeText)
    note = sa.Column(sa.UnicodeText)
    data = sa.Column(JSONB)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    prev_hash = sa.Column(sa.UnicodeText, nullable=False)
    hash = sa.Column(sa.UnicodeText, nullable=False, unique=True)


class HistoryHead(tk.BaseModel):
    """The chain's last hash and length, so that deleting the newest events is detected."""

    __tablename__ = "tjregistry_history_head"

    id = sa.Column(sa.Integer, primary_key=True)
    length = sa.Column(sa.BigInteger, nullable=False)
    hash = sa.Column(sa.UnicodeText, nullable=False)


class Notification(tk.BaseModel):
    """An in-platform notice to one user about one workflow event."""

    __tablename__ = "tjregistry_notification"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    user_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    application_id = sa.Column(sa.UnicodeText, index=True)
    package_id = sa.Column(sa.UnicodeText)
    event_id = sa.Column(sa.BigInteger)
    action = sa.Column(sa.UnicodeText, nullable=False)
    to_state = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    read_at = sa.Column(sa.DateTime)
