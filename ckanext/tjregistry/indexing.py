"""What this extension adds to, and removes from, a dataset's Solr document."""
from __future__ import annotations

from typing import Any


def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    return pkg_dict
