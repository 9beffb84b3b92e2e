"""Fixtures of the national-interoperability tests."""
from __future__ import annotations

import pytest

from ckanext.tjregistry.tests.dcat.builders import Catalog, build_catalog


@pytest.fixture
def catalog(clean_db, clean_index) -> Catalog:
    return build_catalog()
