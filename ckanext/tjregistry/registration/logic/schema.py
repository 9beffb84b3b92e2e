"""Input schemas of the workflow actions (navl), one per action (``common/validation.py``)."""
from __future__ import annotations

from ckanext.tjregistry.common.validation import (
    Schema,
    count,
    paging,
)
from ckanext.tjregistry.common.validation import optional_text as _text
from ckanext.tjregistry.common.validation import required_id as _id
from ckanext.tjregistry.common.validation import validator as _v
from ckanext.tjregistry.common.validation import yes_no as _flag


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
