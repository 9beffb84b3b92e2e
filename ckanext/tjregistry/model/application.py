"""Registration applications (登记申请) and their event history."""
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
    __tablename__ = "tjregistry_application"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    package_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    application_type = sa.Column(sa.UnicodeText, nullable=False)
    state = sa.Column(sa.UnicodeText, nullable=False, index=True)
    registrant_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    institution_id = sa.Column(sa.UnicodeText, nullable=True, index=True)
    round = sa.Column(sa.Integer, nullable=False, default=1)
    submitted_at = sa.Column(sa.DateTime)
    accept_due = sa.Column(sa.Date)
    accepted_at = sa.Column(sa.DateTime)
    review_due = sa.Column(sa.Date)
    decided_at = sa.Column(sa.DateTime)
    publicity_start = sa.Column(sa.Date)
    publicity_end = sa.Column(sa.Date)
    decision = sa.Column(sa.UnicodeText)
    refusal_ground = sa.Column(sa.UnicodeText)
    reasons = sa.Column(sa.UnicodeText)
    proposed = sa.Column(JSONB)
    created_by = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    modified = sa.Column(sa.DateTime, nullable=False, default=_now, onupdate=_now)


class Event(tk.BaseModel):
    """One entry of the append-only, hash-chained registration history."""

    __tablename__ = "tjregistry_event"

    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    application_id = sa.Column(sa.UnicodeText, index=True)
    package_id = sa.Column(sa.UnicodeText, index=True)
    action = sa.Column(sa.UnicodeText, nullable=False)
    from_state = sa.Column(sa.UnicodeText)
    to_state = sa.Column(sa.UnicodeText)
    actor_id = sa.Column(sa.UnicodeText)
    on_behalf_of = sa.Column(sa.UnicodeText)
    note = sa.Column(sa.UnicodeText)
    data = sa.Column(JSONB)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    prev_hash = sa.Column(sa.UnicodeText)
    hash = sa.Column(sa.UnicodeText, nullable=False)
