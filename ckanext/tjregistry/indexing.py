"""The one place where the plugin's dataset hooks fan out to each module.

Each tuple lists, in order, the functions that see a dataset dict at that point:
metadata (schema-derived index fields), workflow (registration state),
certificates (codes and validity), and access control (restricted fields),
which always runs last so that nothing added before it can leak.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ckanext.tjregistry.certificates import hooks as certificate_hooks
from ckanext.tjregistry.dcat import publication as dcat_publication
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.metadata import fields as metadata
from ckanext.tjregistry.registration import workflow

DatasetHook = Callable[[dict[str, Any]], dict[str, Any]]
SearchHook = Callable[[dict[str, Any]], dict[str, Any]]

# Solr document of a dataset, before it is sent to Solr.
INDEX_HOOKS: tuple[DatasetHook, ...] = (
    metadata.index_fields, workflow.index_hook, certificate_hooks.index_hook,
    dcat_publication.index_hook)
# package_show output (and package_search results, which are built from it).
# CKAN ignores what after_dataset_show returns: these hooks must change the dict in place.
SHOW_HOOKS: tuple[DatasetHook, ...] = (workflow.show_hook, certificate_hooks.show_hook)
# package_search parameters, before the query reaches Solr.
SEARCH_HOOKS: tuple[SearchHook, ...] = ()
# package_search results, after Solr answered.
SEARCH_RESULT_HOOKS: tuple[Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]], ...] = (
    metadata.label_facets,
)


def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    for hook in INDEX_HOOKS:
        pkg_dict = hook(pkg_dict)
    # Access control runs last, so that nothing an earlier hook added can leak.
    return access.strip_index_document(pkg_dict)


def after_dataset_show(
    pkg_dict: dict[str, Any], context: dict[str, Any] | None = None
) -> dict[str, Any]:
    for hook in SHOW_HOOKS:
        pkg_dict = hook(pkg_dict)
    # Access control runs last and needs to know who is asking.
    return access.filter_shown_dataset(context or {}, pkg_dict)


def before_dataset_search(search_params: dict[str, Any]) -> dict[str, Any]:
    # Refuse restricted fields in the caller's own parameters, before hooks add theirs.
    search_params = access.guard_search_params(search_params)
    for hook in SEARCH_HOOKS:
        search_params = hook(search_params)
    return search_params


def after_dataset_search(
    search_results: dict[str, Any], search_params: dict[str, Any]
) -> dict[str, Any]:
    for hook in SEARCH_RESULT_HOOKS:
        search_results = hook(search_results, search_params)
    return access.strip_search_results(search_results, search_params)
