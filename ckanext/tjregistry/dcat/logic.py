"""Actions: ckanext-dcat's RDF actions restricted to published registrations, and the
JSON export of registration results.

``dcat_catalog_show``, ``dcat_catalog_search`` and ``dcat_dataset_show`` are chained
over ckanext-dcat's own actions, so ``/catalog.{ttl,rdf,jsonld,...}`` and
``/dataset/<id>.{ttl,...}`` (and the same actions in the API) publish only
certified, currently valid registrations and only their public fields, whoever
asks: the search always runs as an anonymous user.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import ckan.plugins.toolkit as tk
from ckan.lib.search import SearchError
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.utils import catalog_uri

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.dcat import export, publication
from ckanext.tjregistry.dcat import schema as schemas
from ckanext.tjregistry.dcat.serializer import RegistrySerializer


def anonymous_context() -> dict[str, Any]:
    return {"user": "", "ignore_auth": False}


def modified_since_filter(value: Any) -> str | None:
    """Solr filter for ``modified_since`` (ISO 8601; naive times are UTC).

    Matches registrations whose catalogue record changed since then: the dataset,
    its registration or its certificate (``publication.record_modified``).
    """
    try:
        moment = schemas.modified_since(value)
    except tk.Invalid as error:
        raise tk.ValidationError({"modified_since": [error.error]}) from None
    return _since_filter(moment) if moment is not None else None


def _since_filter(moment: dt.datetime) -> str:
    return f"{publication.RECORD_MODIFIED_FIELD}:[{moment.isoformat()}Z TO *]"


def datasets_per_page() -> int:
    return tk.asint(tk.config.get("ckanext.dcat.datasets_per_page") or dcat_logic.DATASETS_PER_PAGE)


def published_page(data: dict[str, Any], rows: int, sort: str) -> tuple[dict[str, Any],
                                                                      list[dict[str, Any]]]:
    """One page of published registrations: (package_search answer, public dataset dicts).

    ``data`` is validated: ``page``, and optionally ``modified_since`` (a naive UTC
    time), ``q`` and ``fq``.
    """
    page = data["page"]
    today = publication.local_today()
    fq_list = publication.search_filters(today)
    if data.get("modified_since") is not None:
        fq_list.append(_since_filter(data["modified_since"]))
    search = {
        "q": data.get("q") or "*:*",
        "fq": data.get("fq") or "",
        "fq_list": fq_list,
        "rows": rows,
        "start": rows * (page - 1),
        "sort": sort,
        "include_private": False,
    }
    try:
        query = tk.get_action("package_search")(anonymous_context(), search)
    except SearchError as error:
        raise field_error("q", "查询条件无效或涉及不公开的字段",
                     f"invalid query, or it names a restricted field ({error})") from None
    facts = publication.registration_facts([d["id"] for d in query["results"]], today)
    datasets = []
    for result in query["results"]:
        if result["id"] not in facts:
            continue
        dataset = publication.public_dataset(result)
        dataset.update(facts[result["id"]].as_dict())
        datasets.append(dataset)
    return query, datasets


def published_dataset(id_or_name: str) -> dict[str, Any]:
    """The public view of one published registration; ObjectNotFound otherwise."""
    try:
        pkg = tk.get_action("package_show")(anonymous_context(), {"id": id_or_name})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        raise tk.ObjectNotFound(tk._("Dataset not found")) from None
    facts = publication.registration_facts([pkg["id"]])
    if pkg.get("type") not in publication.PUBLISHED_TYPES or pkg["id"] not in facts:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    dataset = publication.public_dataset(pkg)
    dataset.update(facts[pkg["id"]].as_dict())
    return dataset


def _page_url(page: int) -> str:
    """URL of another page of the current catalogue request (same filters)."""
    try:
        path = tk.request.path
        args = [(k, v) for k, v in tk.request.args.items()
                if k in ("modified_since", "profiles", "q", "fq")]
    except RuntimeError:  # outside a request: the default catalogue endpoint
        path, args = "/catalog.ttl", []
    return f"{catalog_uri().rstrip('/')}{path}?{urlencode([*args, ('page', page)])}"


def pagination(count: int, page: int, rows: int) -> dict[str, Any]:
    """hydra:PagedCollection facts of a catalogue page (empty when nothing matched)."""
    if not count:
        return {}
    last = max(1, -(-count // rows))
    info: dict[str, Any] = {
        "count": count,
        "items_per_page": rows,
        "current": _page_url(page),
        "first": _page_url(1),
        "last": _page_url(last),
    }
    if page > 1:
        info["previous"] = _page_url(min(page - 1, last))
    if page < last:
        info["next"] = _page_url(page + 1)
    return info


def _serialize_catalog(data: dict[str, Any]) -> str:
    query, datasets = published_page(
        data, datasets_per_page(), f"{publication.RECORD_MODIFIED_FIELD} desc, id asc")
    pagination_info = pagination(query["count"], data["page"], datasets_per_page())
    serializer = RegistrySerializer(profiles=data.get("profiles"))
    return serializer.serialize_catalog(
        {"modified": export.catalog_modified()}, datasets,
        _format=data.get("format"), pagination_info=pagination_info)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(original_action: Any, context: Any, data_dict: Any) -> str:
    data = validated(data_dict, schemas.dcat_catalog_show(), context)
    tk.check_access("dcat_catalog_show", context, data)
    return _serialize_catalog(data)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(original_action: Any, context: Any, data_dict: Any) -> str:
    data = validated(data_dict, schemas.dcat_catalog_search(), context)
    tk.check_access("dcat_catalog_search", context, data)
    return _serialize_catalog(data)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_dataset_show(original_action: Any, context: Any, data_dict: Any) -> str:
    data = validated(data_dict, schemas.dcat_dataset_show(), context)
    tk.check_access("dcat_dataset_show", context, data)
    dataset = published_dataset(data.get("id") or "")
    serializer = RegistrySerializer(profiles=data.get("profiles"))
    return serializer.serialize_dataset(dataset, _format=data.get("format"))


@registry.action
@tk.side_effect_free
def registration_export_show(context: Any, data_dict: Any) -> dict[str, Any]:
    """The exchange record of one published registration.

    :param id: dataset id or name
    :param registration_code: or the registration code (any grouping of dashes)
    :returns: the record (see the README, "Registration results for the national platform")
    """
    data = validated(data_dict, schemas.registration_export_show(), context)
    tk.check_access("registration_export_show", context, data)
    package_id: str | None = data.get("id")
    if data.get("registration_code"):
        package_id = export.package_for_code(data["registration_code"])
    if package_id is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return export.record(published_dataset(package_id))


@registry.action
@tk.side_effect_free
def registration_export_list(context: Any, data_dict: Any) -> dict[str, Any]:
    """Exchange records of published registrations, oldest change first.

    :param modified_since: only registrations whose catalogue record changed at or
        after this ISO 8601 time (incremental exchange): the dataset itself, its
        registration (registered, revoked, ...) or its certificates (issue, renewal,
        status change); see ``publication.record_modified``
    :param page: page number, from 1
    :param rows: records per page (default 100, at most 1000)
    :returns: ``{"count", "page", "rows", "results": [record, ...]}``, each record as
        in ``registration_export_show`` (see the README, "Registration results for the
        national platform")
    """
    data = validated(data_dict, schemas.registration_export_list(), context)
    tk.check_access("registration_export_list", context, data)
    rows = data["rows"]
    query, datasets = published_page(data, rows,
                                     f"{publication.RECORD_MODIFIED_FIELD} asc, id asc")
    return {
        "count": query["count"],
        "page": data["page"],
        "rows": rows,
        "results": [export.record(d) for d in datasets],
    }
