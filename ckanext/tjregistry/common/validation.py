"""One style of validating action input: CKAN's navl schemas, applied by ``validated``.

Each feature keeps its actions' schemas in its ``logic/schema.py`` built from the
pieces below; an action starts with ``data = validated(data_dict, schema, context)``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

Schema = dict[str, Any]


def validator(name: str) -> Any:
    return tk.get_validator(name)


def required_id() -> list[Any]:
    return [validator("not_empty"), validator("unicode_safe")]


def optional_text() -> list[Any]:
    return [validator("ignore_missing"), validator("unicode_safe"), validator("strip_value")]


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


def yes_no() -> list[Any]:
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


def validated(data_dict: DataDict, schema: Schema, context: Context) -> dict[str, Any]:
    """The input converted by ``schema``; a ``ValidationError`` with every field's messages."""
    data, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data
