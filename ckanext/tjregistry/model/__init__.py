"""SQLAlchemy models for this extension's tables (created by its Alembic migrations)."""
from __future__ import annotations

from ckanext.tjregistry.model.application import (
    Application,
    Event,
    HistoryHead,
    Notification,
    Registration,
)

__all__ = ["Application", "Event", "HistoryHead", "Notification", "Registration"]
