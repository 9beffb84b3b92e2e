"""Supervision tests: an empty database, certificates issued by the tests, and a world
with a district data authority (``supervision_helpers.add_district_authority``)."""
from __future__ import annotations

import pytest

from ckanext.tjregistry.tests.supervision_helpers import add_district_authority


@pytest.fixture(autouse=True)
def _supervision_defaults(clean_db, clean_index, manual_issuance):
    """Every supervision test starts from an empty database and index; approvals do not
    issue certificates by themselves."""


@pytest.fixture
def world(world):
    add_district_authority(world)
    return world
