"""Input of the portal's actions (navl schemas)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Schema

from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.common.validation import paging, refuse, text
from ckanext.tjregistry.portal.announcements import KIND_BY_NAME


def _kind(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]], context: Any) -> None:
    value = data.get(key)
    if value is tk.missing or value in (None, ""):
        data.pop(key, None)
        raise tk.StopOnError
    if value not in KIND_BY_NAME:
        names = ", ".join(KIND_BY_NAME)
        refuse(key, errors, bilingual(f"无效的公告类型({names})", f"kind must be one of {names}"))


def _date(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]], context: Any) -> None:
    value = data.get(key)
    if value is tk.missing or value in (None, ""):
        data.pop(key, None)
        raise tk.StopOnError
    try:
        data[key] = dt.date.fromisoformat(str(value))
    except ValueError:
        refuse(key, errors,
               bilingual("日期格式应为 YYYY-MM-DD", "since must be a date (YYYY-MM-DD)"))


def announcement_list() -> Schema:
    return {
        "kind": [tk.get_validator("ignore_missing"), text(strip=True), _kind],
        "since": [tk.get_validator("ignore_missing"), text(strip=True), _date],
        **paging(20, 100),
    }
