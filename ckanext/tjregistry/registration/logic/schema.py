"""Input schemas of the workflow actions (navl), one per action (``common/validation.py``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.common.validation import (
    Schema,
    Validator,
    count,
    integer,
    paging,
    text,
)
from ckanext.tjregistry.common.validation import optional_text as _text
from ckanext.tjregistry.common.validation import refuse as _refuse_field
from ckanext.tjregistry.common.validation import required_id as _id
from ckanext.tjregistry.common.validation import validator as _v
from ckanext.tjregistry.common.validation import yes_no as _flag
from ckanext.tjregistry.registration.declaration import APPLICATION, APPLICATION_TYPES, NEW, STATES


def submit() -> Schema:
    return {
        "package_id": _id(),
        "application_type": [_v("default")("initial"), _v("unicode_safe")],
        "pledge": _flag(),
        "internal_review": _flag(),
        "internal_review_note": _text(),
        "reasons": _text(),
        "proposed": [_v("ignore_missing")],
    }


def resubmit() -> Schema:
    return {
        "id": _id(),
        "pledge": _flag(),
        "internal_review": _flag(),
        "internal_review_note": _text(),
        "proposed": [_v("ignore_missing")],
    }


def by_id() -> Schema:
    return {"id": _id()}


def submission_show() -> Schema:
    return {"id": _id(),
            "round": [_v("ignore_missing"), integer(
                bilingual("轮次应为正整数", "round must be a whole number from 1"),
                minimum=1, maximum=10**6)]}


def with_reasons() -> Schema:
    return {"id": _id(), "reasons": _text()}


def request_supplement() -> Schema:
    return {"id": _id(), "items": [_v("ignore_missing")]}


def transfer() -> Schema:
    return {"id": _id(), "to_institution": _text(), "reasons": _text()}


def refuse() -> Schema:
    return {"id": _id(), "ground": _text(), "reasons": _text()}


def withdraw_decide() -> Schema:
    return {"id": _id(), "consent": [_v("ignore_missing")], "reasons": _text()}


def revoke() -> Schema:
    return {"package_id": _id(), "ground": _text(), "reasons": _text()}


def revocation_review() -> Schema:
    return {"package_id": _id(), "decision": _text(), "reasons": _text()}


def history() -> Schema:
    return {"id": _text(), "package_id": _text()}


# The orders a list can be sorted in: submission time, current deadline, workflow state.
LIST_SORTS = ("submitted", "deadline", "state")
LIST_ORDERS = ("asc", "desc")
LIST_SCOPES = ("mine", "queue", "all")
SEARCH_MAX_LENGTH = 200


def _one_of(choices: tuple[str, ...], zh: str, en: str) -> Validator:
    """Validator of an optional choice: empty is missing, anything else must be listed."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Any) -> None:
        value = data.get(key)
        if value is tk.missing or value is None or value == "":
            data.pop(key, None)
            raise tk.StopOnError
        if value not in choices:
            _refuse_field(key, errors, bilingual(f"{zh}({'、'.join(choices)})",
                                                 f"{en} ({', '.join(choices)})"))
    return validator


def _search_text(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                 context: Any) -> None:
    if len(data.get(key) or "") > SEARCH_MAX_LENGTH:
        _refuse_field(key, errors, bilingual(f"检索词不能超过{SEARCH_MAX_LENGTH}个字符",
                                             f"At most {SEARCH_MAX_LENGTH} characters"))


def listing() -> Schema:
    application_states = tuple(s.name for s in STATES
                               if s.subject == APPLICATION and s.name != NEW)
    return {
        "scope": [_v("default")("mine"), text(strip=True),
                  _one_of(LIST_SCOPES, "无效的范围", "scope must be one of")],
        "state": [_v("ignore_missing"), text(strip=True),
                  _one_of(application_states, "无效的状态", "state must be one of")],
        "application_type": [_v("ignore_missing"), text(strip=True), _one_of(
            APPLICATION_TYPES, "无效的登记类型", "application_type must be one of")],
        "package_id": _text(),
        "q": [_v("ignore_missing"), text(strip=True), _search_text],
        "overdue": _flag(),
        "sort": [_v("ignore_missing"), text(strip=True),
                 _one_of(LIST_SORTS, "无效的排序", "sort must be one of")],
        "order": [_v("ignore_missing"), text(strip=True),
                  _one_of(LIST_ORDERS, "无效的排序方向", "order must be one of")],
        **paging(50, 1000),
    }


def dataset_listing() -> Schema:
    return paging(100, 500)


def account() -> Schema:
    return {
        "org_name": [_v("not_empty"), _v("unicode_safe"), _v("name_validator")],
        "org_title": [_v("not_empty"), _v("unicode_safe")],
        "uscc": _text(),
        "admin_level": [_v("default")("city"), _v("unicode_safe")],
        "district_code": [_v("default")("120000"), _v("unicode_safe")],
        "contact_name": _text(),
        "contact_phone": _text(),
        "contact_email": _text(),
        "user_name": [_v("not_empty"), _v("unicode_safe"), _v("name_validator")],
        "user_fullname": _text(),
        "user_email": [_v("not_empty"), _v("unicode_safe"), _v("email_validator")],
        "user_password": _text(),
    }


def self_register() -> Schema:
    schema = account()
    for key in ("user_name", "user_fullname", "user_email", "user_password"):
        schema.pop(key)
    schema["registrant_type"] = [_v("not_empty"), _v("unicode_safe")]
    return schema


def verify() -> Schema:
    return {"id": _id(), "verified": [_v("default")(True), _v("boolean_validator")]}


def late_list() -> Schema:
    return {"catalogue": _flag()}


def notifications() -> Schema:
    return {"limit": [count(50, 1000)],
            "mark_read": [_v("default")(False), _v("boolean_validator")]}
