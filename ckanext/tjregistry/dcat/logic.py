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

from dateutil.parser import parse as parse_date

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import validate
from ckan.lib.search import SearchError
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.utils import CONTENT_TYPES

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.dcat import export, publication
from ckanext.tjregistry.dcat.serializer import RegistrySerializer

MAX_EXPORT_ROWS = 1000


def anonymous_context() -> dict[str, Any]:
    return {"user": "", "ignore_auth": False}


def _page(data_dict: dict[str, Any]) -> int:
    try:
        page = int(data_dict.get("page") or 1)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise field_error("page", "页码须为从 1 开始的正整数",
                     "page must be a positive integer starting at 1")
    return page


def _rows(data_dict: dict[str, Any], default: int) -> int:
    try:
        rows = int(data_dict.get("rows") or default)
    except (TypeError, ValueError):
        rows = 0
    if not 1 <= rows <= MAX_EXPORT_ROWS:
        raise field_error("rows", f"每页条数须在 1 到 {MAX_EXPORT_ROWS} 之间",
                     f"rows must be between 1 and {MAX_EXPORT_ROWS}")
    return rows


def modified_since_filter(value: Any) -> str | None:
    """Solr filter for ``modified_since`` (ISO 8601; naive times are UTC).

    Matches registrations whose catalogue record changed since then: the dataset,
    its registration or its certificate (``publication.record_modified``).
    """
    if not value:
        return None
    try:
        moment = parse_date(str(value))
    except (ValueError, OverflowError):
        raise field_error("modified_since", "修改时间须为 ISO 8601 格式,例如 2026-01-31T08:00:00",
                     "modified_since must be an ISO 8601 date or time, e.g. 2026-01-31T08:00:00"
                     ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return f"{publication.RECORD_MODIFIED_FIELD}:[{moment.isoformat()}Z TO *]"


def datasets_per_page() -> int:
    return tk.asint(tk.config.get("ckanext.dcat.datasets_per_page") or dcat_logic.DATASETS_PER_PAGE)


def published_page(data_dict: dict[str, Any], rows: int, sort: str) -> tuple[dict[str, Any],
                                                                           list[dict[str, Any]]]:
    """One page of published registrations: (package_search answer, public dataset dicts)."""
    page = _page(data_dict)
    today = publication.local_today()
    fq_list = publication.search_filters(today)
    since = modified_since_filter(data_dict.get("modified_since"))
    if since:
        fq_list.append(since)
    search = {
        "q": data_dict.get("q") or "*:*",
        "fq": data_dict.get("fq") or "",
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
    from urllib.parse import urlencode

    from ckanext.dcat.utils import catalog_uri

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


def _format(data_dict: dict[str, Any]) -> str | None:
    fmt = data_dict.get("format")
    if fmt and (not isinstance(fmt, str) or fmt not in CONTENT_TYPES):
        raise field_error("format", "不支持的格式,可选:" + "、".join(sorted(CONTENT_TYPES)),
                     "unsupported format; one of " + ", ".join(sorted(CONTENT_TYPES)))
    return fmt


def _serialize_catalog(data_dict: dict[str, Any]) -> str:
    fmt = _format(data_dict)
    query, datasets = published_page(
        data_dict, datasets_per_page(), f"{publication.RECORD_MODIFIED_FIELD} desc, id asc")
    pagination_info = pagination(query["count"], _page(data_dict), datasets_per_page())
    serializer = RegistrySerializer(profiles=data_dict.get("profiles"))
    return serializer.serialize_catalog(
        {"modified": export.catalog_modified()}, datasets,
        _format=fmt, pagination_info=pagination_info)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(original_action: Any, context: Any, data_dict: Any) -> str:
    tk.check_access("dcat_catalog_show", context, data_dict)
    return _serialize_catalog(data_dict)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(original_action: Any, context: Any, data_dict: Any) -> str:
    tk.check_access("dcat_catalog_search", context, data_dict)
    return _serialize_catalog(data_dict)


@registry.action
@tk.chained_action
@tk.side_effect_free
def dcat_dataset_show(original_action: Any, context: Any, data_dict: Any) -> str:
    tk.check_access("dcat_dataset_show", context, data_dict)
    fmt = _format(data_dict)
    dataset = published_dataset(str(data_dict.get("id") or ""))
    serializer = RegistrySerializer(profiles=data_dict.get("profiles"))
    return serializer.serialize_dataset(dataset, _format=fmt)


def _export_show_schema() -> dict[str, Any]:
    ignore_missing = tk.get_validator("ignore_missing")
    unicode_safe = tk.get_validator("unicode_safe")
    return {"id": [ignore_missing, unicode_safe],
            "registration_code": [ignore_missing, unicode_safe]}


@registry.action
@tk.side_effect_free
def registration_export_show(context: Any, data_dict: Any) -> dict[str, Any]:
    """The exchange record of one published registration.

    :param id: dataset id or name
    :param registration_code: or the registration code (any grouping of dashes)
    :returns: the record (see the README, "Registration results for the national platform")
    """
    tk.check_access("registration_export_show", context, data_dict)
    data, errors = validate(data_dict, _export_show_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    if data.get("registration_code"):
        package_id = export.package_for_code(data["registration_code"])
        if package_id is None:
            raise tk.ObjectNotFound(tk._("Dataset not found"))
    elif data.get("id"):
        package_id = data["id"]
    else:
        raise field_error("id", "请提供数据集标识或登记编号", "give id or registration_code")
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
    tk.check_access("registration_export_list", context, data_dict)
    rows = _rows(data_dict, 100)
    query, datasets = published_page(
        {"page": data_dict.get("page"), "modified_since": data_dict.get("modified_since")},
        rows, f"{publication.RECORD_MODIFIED_FIELD} asc, id asc")
    return {
        "count": query["count"],
        "page": _page(data_dict),
        "rows": rows,
        "results": [export.record(d) for d in datasets],
    }
