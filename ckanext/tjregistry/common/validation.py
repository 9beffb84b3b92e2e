"""One style of validating action input: CKAN's navl schemas, applied by ``validated``.

Each feature keeps its actions' schemas in its ``logic/schema.py`` (dcat: ``dcat/schema.py``)
built from the pieces below; an action starts with
``data = validated(data_dict, schemas.<action>(), context)``.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, NoReturn

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

Schema = dict[str, Any]
Validator = Callable[..., Any]

MUST_BE_TEXT = "应为文本 / Must be text"
UNSTORABLE = ("不能含有空字符(U+0000)或单独的代理码位 / Must not contain a NUL character "
              "(U+0000) or a lone surrogate")
MALFORMED = "结构不正确:对象列表中混有其他值 / Malformed: a list of objects holding other values"
# PostgreSQL text can hold neither; a query with one ends in an error.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


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


def refuse(key: tuple[Any, ...], errors: dict[Any, list[str]], message: str) -> NoReturn:
    """In a navl validator: record ``message`` for the field and skip its other validators."""
    errors[key].append(message)
    raise tk.StopOnError


def _named(message: str, key: tuple[Any, ...]) -> str:
    return message.format(field=key[-1])


def _given(value: Any) -> bool:
    return value is not tk.missing and value is not None and value != "" and value != []


def text(*, numbers: bool = False, strip: bool = False, message: str = MUST_BE_TEXT) -> Validator:
    """Validator of a text field: a string PostgreSQL can store (or, with ``numbers``, a
    whole number, read as its digits), stripped with ``strip``; missing and None are left
    to the validators after it. A list or an object is refused with ``message``
    (``{field}`` in it names the field)."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        value = data.get(key)
        if value is tk.missing or value is None:
            return
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            refuse(key, errors, _named(message, key))
        if _UNSTORABLE.search(value):
            refuse(key, errors, UNSTORABLE)
        data[key] = value.strip() if strip else value
    return validator


def required(message: str) -> Validator:
    """Validator refusing a missing, None, empty or ``[]`` value with ``message``
    (``{field}`` in it names the field)."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        if not _given(data.get(key)):
            refuse(key, errors, _named(message, key))
    return validator


def required_unless(other: str, message: str) -> Validator:
    """Validator of one of two alternative fields: an empty value (missing, None, "",
    0, [] ...) is refused with ``message`` unless the field ``other`` has a value."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        # ``missing`` is false too.
        if not data.get(key) and not data.get(key[:-1] + (other,)):
            refuse(key, errors, _named(message, key))
    return validator


def integer(message: str, *, minimum: int | None = None, maximum: int | None = None,
            range_message: str | None = None) -> Validator:
    """Validator of a whole number as ``int()`` reads it (a number, or its digits with
    spaces around), from ``minimum`` to ``maximum``. Anything else is refused with
    ``message``, a number out of range with ``range_message`` (default ``message``);
    ``{field}`` in them names the field. Put what an empty value means before it."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        value: Any = data.get(key)
        if value is tk.missing:
            refuse(key, errors, _named(message, key))
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            refuse(key, errors, _named(message, key))
        if (minimum is not None and number < minimum) or (
                maximum is not None and number > maximum):
            refuse(key, errors, _named(range_message or message, key))
        data[key] = number
    return validator


def paging(default: int, maximum: int) -> Schema:
    return {"limit": [count(default, maximum)], "offset": [count(0, 10**9)]}


def _unflattenable(value: Any) -> bool:
    """A list that starts with an object and holds something else (at any depth): navl
    reads such a list as a list of objects and fails on the rest."""
    if not (isinstance(value, list) and value and isinstance(value[0], dict)):
        return False
    return any(not isinstance(item, dict) or any(_unflattenable(inner) for inner in item.values())
               for item in value)


def validated(data_dict: DataDict, schema: Schema, context: Context) -> dict[str, Any]:
    """The input converted by ``schema``; a ``ValidationError`` with every field's messages."""
    given = dict(data_dict or {})
    malformed = {key: [MALFORMED] for key, value in given.items() if _unflattenable(value)}
    if malformed:
        raise tk.ValidationError(malformed)
    data, errors = tk.navl_validate(given, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data
