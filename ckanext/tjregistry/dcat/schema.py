"""Input schemas of the catalogue and export actions (navl), one per action
(``common/validation.py``)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from dateutil.parser import parse as parse_date

import ckan.plugins.toolkit as tk
from ckanext.dcat.processors import RDF_PROFILES_ENTRY_POINT_GROUP
from ckanext.dcat.utils import CONTENT_TYPES

from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.common.validation import Schema, integer, required_unless, text
from ckanext.tjregistry.common.validation import validator as _v

MAX_EXPORT_ROWS = 1000

PAGE = bilingual("页码须为从 1 开始的正整数", "page must be a positive integer starting at 1")
ROWS = bilingual(f"每页条数须在 1 到 {MAX_EXPORT_ROWS} 之间",
                 f"rows must be between 1 and {MAX_EXPORT_ROWS}")
MODIFIED_SINCE = bilingual("修改时间须为 ISO 8601 格式,例如 2026-01-31T08:00:00",
                           "modified_since must be an ISO 8601 date or time, e.g. "
                           "2026-01-31T08:00:00")
FORMAT = bilingual("不支持的格式,可选:" + "、".join(sorted(CONTENT_TYPES)),
                   "unsupported format; one of " + ", ".join(sorted(CONTENT_TYPES)))
PROFILES = bilingual("应为 RDF 配置名称的列表", "Must be a list of RDF profile names")
ID_OR_CODE = bilingual("请提供数据集标识或登记编号", "give id or registration_code")


def modified_since(value: Any) -> dt.datetime | None:
    """``modified_since`` (ISO 8601) as a naive UTC time (naive times are UTC); None
    when not given."""
    if value is tk.missing or not value:
        return None
    try:
        moment = parse_date(str(value))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise tk.Invalid(MODIFIED_SINCE) from None
    return moment


def _or(default: int) -> Callable[[Any], Any]:
    """An empty value (missing, None, "", 0) is ``default``, as ``value or default``."""
    def validator(value: Any) -> Any:
        return value if value else default
    return validator


def _format(value: Any) -> str | None:
    """An RDF format of ckanext-dcat's endpoints (ttl, rdf, ...); None when not given."""
    if value is tk.missing or not value:
        return None
    if not isinstance(value, str) or value not in CONTENT_TYPES:
        raise tk.Invalid(FORMAT)
    return value


def _profiles(value: Any) -> list[str] | None:
    """RDF profile names, a list or comma-separated; None (the configured ones) when not
    given."""
    if value is tk.missing or not value:
        return None
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",") if name.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        raise tk.Invalid(PROFILES)
    known = {entry.name for entry in entry_points(group=RDF_PROFILES_ENTRY_POINT_GROUP)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise tk.Invalid(bilingual("未知的 RDF 配置:" + "、".join(unknown),
                                   "Unknown RDF profiles: " + ", ".join(unknown)))
    return list(value) or None


def _text() -> list[Any]:
    return [_v("ignore_missing"), text(numbers=True)]


def _rdf() -> Schema:
    return {"format": [_format], "profiles": [_profiles]}


def dcat_catalog_show() -> Schema:
    return {**_rdf(), "q": _text(), "fq": _text(), "modified_since": [modified_since],
            "page": [_or(1), integer(PAGE, minimum=1)]}


def dcat_catalog_search() -> Schema:
    return dcat_catalog_show()


def dcat_dataset_show() -> Schema:
    return {**_rdf(), "id": _text()}


def registration_export_show() -> Schema:
    return {"id": [text(numbers=True), required_unless("registration_code", ID_OR_CODE),
                   _v("ignore_missing")],
            "registration_code": _text()}


def registration_export_list() -> Schema:
    return {"modified_since": [modified_since],
            "page": [_or(1), integer(PAGE, minimum=1)],
            "rows": [_or(100), integer(ROWS, minimum=1, maximum=MAX_EXPORT_ROWS)]}
