"""Blank rows of repeating fields (the data items of a resource) are not rows.

The resource form always offers one empty row of data items, and ckanext-scheming turns
every ``data_dictionary-<n>-<subfield>`` group into a row before validating it, so a
resource saved without data items (an API service, a document) was refused with "信息项
名称: 缺少值". A row whose values are all empty is dropped before validation, from the
form's flat keys and from an API client's list alike; a row with any value is validated
as it stands.
"""
from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import registry

_FORM_KEY = re.compile(r"^(?P<field>[^-]+)-(?P<row>\d+)-(?P<subfield>.+)$")


def repeating_resource_fields() -> set[str]:
    schemas = tk.h.scheming_dataset_schemas() or {}
    return {field["field_name"] for schema in schemas.values()
            for field in schema.get("resource_fields", []) if "repeating_subfields" in field}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def drop_blank_rows(data: dict[str, Any], fields: set[str]) -> None:
    """Remove the all-empty rows of ``fields`` from ``data`` (in place)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for key in list(data):
        match = _FORM_KEY.match(key) if isinstance(key, str) else None
        if match and match["field"] in fields:
            rows.setdefault((match["field"], match["row"]), []).append(key)
    for keys in rows.values():
        if all(_blank(data[key]) for key in keys):
            for key in keys:
                del data[key]
    for field in fields:
        value = data.get(field)
        if isinstance(value, list):
            data[field] = [row for row in value if not (
                isinstance(row, dict) and all(_blank(v) for v in row.values()))]


def _cleaned(data_dict: DataDict) -> DataDict:
    if not isinstance(data_dict, dict):
        return data_dict
    data = dict(data_dict)
    drop_blank_rows(data, repeating_resource_fields())
    return data


@registry.action
@tk.chained_action
def resource_create(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    return original_action(context, _cleaned(data_dict))


@registry.action
@tk.chained_action
def resource_update(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    return original_action(context, _cleaned(data_dict))
