"""Requests carrying NUL characters are refused with 400 before any view runs.

PostgreSQL text cannot hold U+0000: a NUL that reaches a query aborts it and the
request would end in a 500. No field of the platform (nor of CKAN) can mean
anything with it, so the whole request is refused, with a bilingual message; under
``/api/`` in the shape of CKAN's API errors.
"""
from __future__ import annotations

from typing import Any

import flask
from flask import request

MESSAGE = ("请求中含有不允许的空字符(U+0000) / The request contains a NUL character "
           "(U+0000), which is not allowed")


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def _request_has_nul() -> bool:
    if "\x00" in request.path:
        return True
    for values in (request.args, request.form):
        if any(_contains_nul(key) or _contains_nul(value)
               for key, value in values.items(multi=True)):
            return True
    if request.is_json:
        return _contains_nul(request.get_json(silent=True))
    return False


def refuse_nul_characters() -> Any:
    """``before_request``: None to go on, or the 400 response."""
    if not _request_has_nul():
        return None
    if request.path.startswith("/api/"):
        return flask.jsonify({"success": False, "error": {
            "__type": "Bad request", "message": MESSAGE}}), 400
    flask.abort(400, MESSAGE)
    return None  # not reached: abort raises


def install(app: flask.Flask) -> flask.Flask:
    app.before_request(refuse_nul_characters)
    return app
