"""Publicity and objection tests: signing keys and objection evidence in each test's own
directories (``own_dirs``)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _publicity_dirs(own_dirs):
    """Keys and evidence files of one test never meet another's."""
