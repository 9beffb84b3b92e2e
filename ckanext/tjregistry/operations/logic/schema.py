"""Input schemas of the evidence, agency and catalogue actions (navl), one per action
(``common/validation.py``).

A manifest and uploaded files are not in the schemas: ``evidence.parse_manifest`` and
``evidence.uploads_in`` read and check them (navl would take a manifest's list of
objects apart).
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjregistry.common.validation import (
    Schema,
    Validator,
    integer,
    required,
    required_unless,
    text,
)
from ckanext.tjregistry.common.validation import validator as _v

REQUIRED = "{field} 不能为空 / {field} is required"
TEXT = "{field} 应为文本 / {field} must be text"
INTEGER = "{field} 应为整数 / {field} must be an integer"
REGISTRANT_OR_AGENCY = "请指定登记主体或第三方机构 / Give registrant_id or agency_id"


def _id() -> list[Any]:
    """A required identifier: text (a number or an object in a query would be a 500)."""
    return [required(REQUIRED), text(message=TEXT)]


def _given() -> list[Any]:
    """A required value of any form; the feature's own code reads it."""
    return [required(REQUIRED)]


def _required_text() -> list[Any]:
    return [required(REQUIRED), text(numbers=True, message=TEXT)]


def _optional_text() -> list[Any]:
    return [_v("ignore_missing"), text(numbers=True, message=TEXT)]


def _switch(value: Any) -> bool:
    """A yes/no option read leniently: true, 1, yes or on (any case) is yes, anything
    else no."""
    return value is not tk.missing and str(value).strip().lower() in ("true", "1", "yes", "on")


def _if_missing(default: int) -> Validator:
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        if data.get(key) is tk.missing:
            data[key] = default
    return validator


def _number(default: int, maximum: int) -> list[Any]:
    """A whole number from 0 to ``maximum``; ``default`` when not given."""
    return [_if_missing(default),
            integer(INTEGER, minimum=0, maximum=maximum,
                    range_message=f"{{field}} 超出范围 / {{field}} must be 0 to {maximum}")]


def evidence_create() -> Schema:
    return {"package_id": _id(), "kind": [_v("ignore_missing"), text(message=TEXT)],
            "note": _optional_text()}


def evidence_show() -> Schema:
    return {"id": _id()}


def evidence_list() -> Schema:
    return {"package_id": _id()}


def evidence_verify() -> Schema:
    return {"id": _id()}


def agency_delegation_create() -> Schema:
    return {
        "registrant_id": _id(),
        "agency_id": _id(),
        "scope": _given(),
        "valid_from": [_v("ignore_missing")],
        "valid_until": _given(),
        "document_no": _required_text(),
        "document": [_v("ignore_missing")],
    }


def agency_delegation_revoke() -> Schema:
    return {"id": _id(), "reason": _required_text()}


def agency_delegation_show() -> Schema:
    return {"id": _id()}


def agency_delegation_list() -> Schema:
    return {
        "registrant_id": [required_unless("agency_id", REGISTRANT_OR_AGENCY),
                          *_optional_text()],
        "agency_id": _optional_text(),
        "include_revoked": [_switch],
    }


def catalogue_entry_list() -> Schema:
    return {
        "registrant_id": _optional_text(),
        "unregistered": [_switch],
        "limit": _number(100, 1000),
        "offset": _number(0, 10**9),
    }
