"""What was submitted in each round of an application (initial submission and each 补正).

The application keeps only its latest content (``Application.proposed``); a row here
keeps every round's content as it was submitted, so that a reviewer sees what changed
since the previous round. Rows are never edited (a trigger in the migration refuses
updates); each names the history event that recorded the round's SHA-256.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.plugins.toolkit as tk


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class Submission(tk.BaseModel):
    """The dataset content of one round of one application."""

    __tablename__ = "tjregistry_submission"
    __table_args__ = (sa.UniqueConstraint("application_id", "round"),)

    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    application_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    round = sa.Column(sa.Integer, nullable=False)
    snapshot = sa.Column(JSONB, nullable=False)
    dataset_sha256 = sa.Column(sa.UnicodeText, nullable=False)
    event_id = sa.Column(sa.BigInteger)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
