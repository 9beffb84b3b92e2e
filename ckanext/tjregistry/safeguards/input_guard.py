"""The platform's guards around every request and response.

Requests carrying text that PostgreSQL cannot store are refused with 400 before any
view runs: a NUL (U+0000), which PostgreSQL text cannot hold, and a lone surrogate
(U+D800-U+DFFF, e.g. ``"\ud800"`` in JSON), which is no character and cannot be
encoded to UTF-8. Either would abort a query and end the request in a 500; no field
of the platform (nor of CKAN) can mean anything with them. They are looked for in the
path, the query string, form fields, a JSON body, and the JSON document CKAN's API
reads from a form whose only key is JSON. The refusal is bilingual; under ``/api/``
in the shape of CKAN's API errors.

Every response carries headers that forbid framing by other sites (the reviewer's
decision forms cannot be clickjacked), MIME sniffing and full referrers.
"""
from __future__ import annotations

import json
import re
from typing import Any

import flask
from flask import request
from flask_login import current_user

from ckanext.tjregistry.safeguards import core_guards

MESSAGE = ("请求中含有不允许的字符(空字符 U+0000 或单独的代理码位) / The request contains a "
           "character that is not allowed (NUL, U+0000, or a lone surrogate)")

SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            return True
        # CKAN's API reads a form whose only key is a JSON document (views/api.py).
        if value[:1] in ("{", "["):
            try:
                decoded = json.loads(value)
            except ValueError:
                return False
            return not isinstance(decoded, str) and _unstorable(decoded)
        return False
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def _request_is_unstorable() -> bool:
    if _UNSTORABLE.search(request.path):
        return True
    for values in (request.args, request.form):
        if any(_unstorable(key) or _unstorable(value)
               for key, value in values.items(multi=True)):
            return True
    if request.is_json:
        return _unstorable(request.get_json(silent=True))
    return False


def refuse_incomplete_page_requests() -> Any:
    """``before_request``: a 400 for the pages of ``core_guards.REQUIRED_PAGE_PARAMETERS``
    asked without their parameters (CKAN would end them in a 500)."""
    missing = core_guards.missing_page_parameters(request.endpoint, request.args)
    if missing:
        flask.abort(400, "缺少参数 / Missing parameters: " + ", ".join(missing))
    return None


def refuse_unauthorized_pages() -> Any:
    """``before_request``: a 403 for the pages of ``core_guards.CHECKED_PAGES`` whose action
    refuses the caller (CKAN would end them in a 500)."""
    reason = core_guards.page_refusal(request.endpoint, current_user)
    if reason is None:
        return None
    return flask.jsonify({"success": False, "error": {
        "__type": "Authorization Error", "message": reason}}), 403


def refuse_unstorable_text() -> Any:
    """``before_request``: None to go on, or the 400 response."""
    if not _request_is_unstorable():
        return None
    if request.path.startswith("/api/"):
        return flask.jsonify({"success": False, "error": {
            "__type": "Bad request", "message": MESSAGE}}), 400
    flask.abort(400, MESSAGE)
    return None  # not reached: abort raises


def add_security_headers(response: flask.Response) -> flask.Response:
    """``after_request``: the headers of ``SECURITY_HEADERS`` a view did not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install(app: flask.Flask) -> flask.Flask:
    app.before_request(refuse_unstorable_text)
    app.before_request(refuse_incomplete_page_requests)
    app.before_request(refuse_unauthorized_pages)
    app.after_request(add_security_headers)
    return app
