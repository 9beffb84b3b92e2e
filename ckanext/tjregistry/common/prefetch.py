"""Look-ups of the dataset hooks, loaded once for a whole batch of datasets.

Indexing a dataset runs the platform's show and index hooks, which look up its
registration, open application, certificate, catalogue-record dates and owner:
about ten queries per dataset. Bulk indexing (``bulk.index``: catalogue import,
restore) wraps each batch in ``prefetched(package_ids)``. Inside it a hook that
asks ``lookup(package_id, load_many)`` gets its answer from one query for the
whole batch, run the first time any dataset of the batch asks; outside a batch
(every ordinary request) the hooks query as before.

Only code that reads committed data may open a batch: the batch loads with
queries, which do not see objects changed in the session and not yet flushed.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

LoadMany = Callable[[list[str]], dict[str, Any]]


class _Batch:
    def __init__(self, package_ids: Iterable[str]) -> None:
        self.package_ids = list(dict.fromkeys(package_ids))
        self.members = frozenset(self.package_ids)
        self.loaded: dict[LoadMany, dict[str, Any]] = {}
        self.memo: dict[Hashable, Any] = {}


_current: ContextVar[_Batch | None] = ContextVar("tjregistry_prefetch", default=None)


@contextlib.contextmanager
def prefetched(package_ids: Iterable[str]) -> Iterator[None]:
    """Answer the hooks' look-ups for these datasets from one query per kind."""
    token = _current.set(_Batch(package_ids))
    try:
        yield
    finally:
        _current.reset(token)


def lookup(package_id: str, load_many: LoadMany) -> tuple[bool, Any]:
    """``(True, value)`` from the current batch, or ``(False, None)`` outside one.

    ``load_many(ids)`` must return a value for every id it is given.
    """
    batch = _current.get()
    if batch is None or package_id not in batch.members:
        return False, None
    values = batch.loaded.get(load_many)
    if values is None:
        values = batch.loaded[load_many] = load_many(batch.package_ids)
    return True, values[package_id]


def memo(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, remembered for the rest of the batch (e.g. the owner of many datasets)."""
    batch = _current.get()
    if batch is None:
        return load()
    if key not in batch.memo:
        batch.memo[key] = load()
    return batch.memo[key]
