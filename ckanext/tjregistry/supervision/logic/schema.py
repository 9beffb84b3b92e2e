"""Input schemas of the supervision actions (navl), one per action (``common/validation.py``)."""
from __future__ import annotations

from typing import Any

from ckanext.tjregistry.common.validation import Schema, required, text
from ckanext.tjregistry.common.validation import validator as _v


def _text() -> list[Any]:
    """Optional text (a number is read as its digits), stripped."""
    return [_v("ignore_missing"), text(numbers=True, strip=True)]


def _institution(message: str) -> list[Any]:
    return [text(numbers=True, strip=True), required(message)]


def _period() -> Schema:
    return {"date_from": _text(), "date_to": _text()}


def registration_statistics_show() -> Schema:
    return {**_period(), "district": _text()}


def institution_service_report() -> Schema:
    return {**_period(),
            "institution": _institution("请指定登记机构 / institution is required")}


def institution_qualification_list() -> Schema:
    return {}


def institution_supervision() -> Schema:
    """``institution_suspend``, ``institution_reinstate`` and
    ``institution_qualification_cancel``."""
    return {"id": _institution("请指定登记机构 / id is required"),
            "reasons": [_v("ignore_missing"), text(numbers=True)]}


def institution_supervision_record_create() -> Schema:
    """``institution_supervision_record_create``: the record's fields are checked by
    ``qualification.validate_record``."""
    return {"id": _institution("请指定登记机构 / id is required"),
            "kind": _text(), "date": _text(), "participants": _text(), "summary": _text(),
            "follow_up": _text()}


def institution_supervision_record_list() -> Schema:
    return {"id": _institution("请指定登记机构 / id is required")}
