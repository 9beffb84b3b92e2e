"""Signed checkpoints of the history chain (see operations/checkpoints.py).

A row is written once, when the checkpoint is made, and never edited (a trigger in the
migration refuses updates). ``envelope`` is the signed document with its signature;
``events`` lists ``[event id, hash]`` of every event the checkpoint covers beyond the
previous one, bound to the signature by the envelope's ``events_sha256``.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.plugins.toolkit as tk


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class HistoryCheckpoint(tk.BaseModel):
    """One signed head of the history chain."""

    __tablename__ = "tjregistry_history_checkpoint"

    seq = sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    last_event_id = sa.Column(sa.BigInteger, nullable=False)
    last_hash = sa.Column(sa.UnicodeText, nullable=False)
    event_count = sa.Column(sa.BigInteger, nullable=False)
    key_id = sa.Column(sa.UnicodeText, nullable=False)
    envelope = sa.Column(JSONB, nullable=False)
    events = sa.Column(JSONB, nullable=False)
