"""Changes of a verified registrant's identity (名称, 统一社会信用代码, 主体类型, 行政层级,
所属行政区) waiting for the city registration institution's re-verification."""
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


class IdentityChange(tk.BaseModel):
    """One requested change: the verified values it would replace and the values proposed.

    ``status``: ``pending`` until the city institution ``approved`` (the values are then
    applied) or ``rejected`` it; ``superseded`` when a newer request replaced it. At most
    one is pending per organization (partial unique index in the migration).
    """

    __tablename__ = "tjregistry_identity_change"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    organization_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    status = sa.Column(sa.UnicodeText, nullable=False, index=True)
    previous = sa.Column(JSONB, nullable=False)
    proposed = sa.Column(JSONB, nullable=False)
    requested_by = sa.Column(sa.UnicodeText)
    requested_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    decided_by = sa.Column(sa.UnicodeText)
    decided_at = sa.Column(sa.DateTime)
    reasons = sa.Column(sa.UnicodeText)
