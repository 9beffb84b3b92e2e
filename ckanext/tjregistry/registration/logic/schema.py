"""Input schemas of the workflow actions (navl), one per action."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk

Schema = dict[str, Any]


def _v(name: str) -> Any:
    return tk.get_validator(name)


def _id() -> list[Any]:
    return [_v("not_empty"), _v("unicode_safe")]


def _text() -> list[Any]:
    return [_v("ignore_missing"), _v("unicode_safe"), _v("strip_value")]


_TRUE = frozenset(("true", "1", "yes", "y", "t", "on"))
_FALSE = frozenset(("false", "0", "no", "n", "f", "off", ""))


def flag(value: Any) -> bool:
    """A yes/no input: JSON booleans, 1/0, and the words forms and clients send
    (``on`` from a ticked checkbox). CKAN's boolean_validator raises AttributeError on a
    number and reads ``on`` as false."""
    if value is tk.missing or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise tk.Invalid("应为是或否(true/false) / Must be true or false")


def _flag() -> list[Any]:
    return [flag]


def count(default: int, maximum: int) -> Callable[[Any], int]:
    """Validator of a paging number: a whole number from 0; missing or empty is
    ``default``, more than ``maximum`` is ``maximum``. (CKAN's natural-number and
    maximum validators raise TypeError on a list or an object.)"""
    def validator(value: Any) -> int:
        if value is tk.missing or value is None or value == "":
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                number = int(value)
        if number is None:
            raise tk.Invalid(tk._("Must be a whole number"))
        if number < 0:
            raise tk.Invalid(tk._("Must not be negative"))
        return min(number, maximum)
    return validator


def paging(default: int, maximum: int) -> Schema:
    return {"limit": [count(default, maximum)], "offset": [count(0, 10**9)]}


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


def with_reasons() -> Schema:
    return {"id": _id(), "reasons": _text()}


def request_supplement() -> Schema:
    return {"id": _id(), "items": [_v("ignore_missing")]}


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


def listing() -> Schema:
    return {
        "scope": [_v("default")("mine"), _v("unicode_safe")],
        "state": _text(),
        "package_id": _text(),
        "overdue": [_v("ignore_missing"), _v("boolean_validator")],
        **paging(50, 1000),
    }


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


def notifications() -> Schema:
    return {"limit": [count(50, 1000)],
            "mark_read": [_v("default")(False), _v("boolean_validator")]}
