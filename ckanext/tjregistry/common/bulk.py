"""Bulk writes of datasets (catalogue import, restore) with one search-index pass.

CKAN indexes every dataset a commit touches, synchronously and, for a new dataset,
twice (as new, then as changed through its extras and tags), and sends each document
to Solr in a request of its own. Bulk writers commit with ``commit_without_indexing``
and send the datasets to Solr themselves with ``index``: once each, in one request
per call, with one Solr commit, the platform's hooks looking up the facts of the
whole batch at once (``prefetch``).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.logic as logic
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.lib.search import index as search_index

from ckanext.tjregistry.common import prefetch


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


class _DocumentCollector:
    """Stands in for the Solr connection while CKAN builds the documents."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.documents: list[dict[str, Any]] = []

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **kwargs: Any) -> None:
        self.documents.extend(docs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self.connection.delete(*args, **kwargs)


@contextlib.contextmanager
def _collecting(collector: _DocumentCollector) -> Iterator[None]:
    # CKAN's index_package builds a document (validation, plugins' before_dataset_index)
    # and sends it in one step, through the connection make_connection gives it. The
    # collector takes the documents instead, so that they go to Solr together.
    original = search_index.make_connection
    search_index.make_connection = lambda *args, **kwargs: collector  # type: ignore[assignment]
    try:
        yield
    finally:
        search_index.make_connection = original


def index(package_ids: Iterable[str]) -> None:
    """Send these datasets to Solr in one request, then commit the index once."""
    ids = list(dict.fromkeys(package_ids))
    if not ids:
        return
    package_index = search.index_for(model.Package)
    context = {"ignore_auth": True, "validate": False, "use_cache": False}
    collector = _DocumentCollector(search_index.make_connection())
    # CKAN 2.12 indexes the dataset under both show schemas and provides the pair.
    both_schemas = getattr(logic, "package_show_default_and_custom_schemas", None)
    with _collecting(collector), prefetch.prefetched(ids):
        for package_id in ids:
            if both_schemas is not None:
                default, custom = both_schemas(dict(context), package_id)
                package_index.update_dict(dict(default, with_custom_schema=custom),
                                          defer_commit=True)
            else:
                package_index.update_dict(
                    tk.get_action("package_show")(dict(context), {"id": package_id}),
                    defer_commit=True)
    if collector.documents:
        try:
            collector.connection.add(docs=collector.documents, commit=False)
        except Exception as error:
            raise search.SearchIndexError(f"Solr: {str(error)[:1000]}") from error
    search.commit()
