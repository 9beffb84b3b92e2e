"""Fixtures shared by this extension's tests (CKAN's own pytest plugin supplies the rest)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from ckanext.tjregistry.tests import live_server


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


@pytest.fixture
def ckan_server_options() -> dict[str, str]:
    """Options a test module adds to its live server's configuration (override it)."""
    return {}


@pytest.fixture
def ckan_server(tmp_path, ckan_server_options) -> Iterator[live_server.LiveServer]:
    """A real ``ckan run`` server on a free port with the test configuration
    (see live_server.py). Request it after ``clean_db`` so that it starts on the
    fresh database."""
    with live_server.running(tmp_path, ckan_server_options) as server:
        yield server
