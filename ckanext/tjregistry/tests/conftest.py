"""Fixtures shared by this extension's tests (CKAN's own pytest plugin supplies the rest)."""
from __future__ import annotations

import pytest


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """Reset CKAN's tables and re-create this extension's and activity's tables."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("tjregistry")


@pytest.fixture(autouse=True)
def _load_plugins(with_plugins):
    """CKAN's plugin unloads every plugin before the test loop; load test.ini's set."""
    yield
