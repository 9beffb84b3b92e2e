"""The government data catalogue (政务数据目录) as imported, linked to draft registrations.

One row per catalogue code. ``package_id`` is the registration prefilled from the
entry (empty when the entry's provider is not a registrant on the platform), so
that entries without a registration can be listed (Art. 14, Art. 27).
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


class CatalogueEntry(tk.BaseModel):
    __tablename__ = "tjregistry_catalogue_entry"

    code = sa.Column(sa.UnicodeText, primary_key=True)
    title = sa.Column(sa.UnicodeText, nullable=False)
    provider_name = sa.Column(sa.UnicodeText)
    provider_uscc = sa.Column(sa.UnicodeText)
    registrant_id = sa.Column(sa.UnicodeText, index=True)
    package_id = sa.Column(sa.UnicodeText, index=True)
    # Dataset fields derived from the row, and the row itself keyed by its headers.
    fields = sa.Column(JSONB, nullable=False)
    raw = sa.Column(JSONB, nullable=False)
    content_sha256 = sa.Column(sa.UnicodeText, nullable=False)
    source_file = sa.Column(sa.UnicodeText)
    source_row = sa.Column(sa.Integer)
    import_id = sa.Column(sa.UnicodeText)
    first_imported = sa.Column(sa.DateTime, nullable=False, default=_now)
    last_imported = sa.Column(sa.DateTime, nullable=False, default=_now)


class CatalogueImport(tk.BaseModel):
    """One run of ``ckan tjregistry catalogue import``."""

    __tablename__ = "tjregistry_catalogue_import"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    source_file = sa.Column(sa.UnicodeText, nullable=False)
    source_sha256 = sa.Column(sa.UnicodeText, nullable=False)
    started = sa.Column(sa.DateTime, nullable=False, default=_now)
    finished = sa.Column(sa.DateTime)
    rows = sa.Column(sa.Integer, nullable=False, default=0)
    created = sa.Column(sa.Integer, nullable=False, default=0)
    updated = sa.Column(sa.Integer, nullable=False, default=0)
    unchanged = sa.Column(sa.Integer, nullable=False, default=0)
    # Entry updated, registration left alone: registered or being handled (locked),
    # or held by another registrant than the entry now names (other_registrant).
    locked = sa.Column(sa.Integer, nullable=False, default=0)
    other_registrant = sa.Column(sa.Integer, nullable=False, default=0)
    catalogue_only = sa.Column(sa.Integer, nullable=False, default=0)
    errors = sa.Column(sa.Integer, nullable=False, default=0)
    created_by = sa.Column(sa.UnicodeText)
