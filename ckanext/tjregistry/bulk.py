"""Bulk writes of datasets (catalogue import, restore) with one search-index pass.

CKAN indexes every dataset a commit touches, synchronously and, for a new dataset,
twice (as new, then as changed through its extras and tags). Bulk writers commit
with ``commit_without_indexing`` and send the datasets to Solr themselves with
``index``: once each, with one Solr commit.
"""
from __future__ import annotations

from collections.abc import Iterable

import ckan.model as model
from ckan.lib import search


def commit_without_indexing() -> None:
    """Commit without CKAN's commit-time indexing.

    CKAN collects the objects to index in the session's ``_object_cache``
    (ckan/model/meta.py); emptying it after the last flush leaves nothing for the hook.
    """
    session = model.Session()  # the session itself: the scoped proxy hides the cache
    session.flush()
    if hasattr(session, "_object_cache"):
        del session._object_cache
    session.commit()


def index(package_ids: Iterable[str]) -> None:
    """Send these datasets to Solr, then commit the index once."""
    ids = list(dict.fromkeys(package_ids))
    if ids:
        search.rebuild(package_ids=ids, defer_commit=True, quiet=True)
        search.commit()
