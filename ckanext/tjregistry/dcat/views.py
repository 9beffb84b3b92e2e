"""Export pages for the national platform.

* ``/catalog/export.<ttl|nt|jsonld|rdf>[?modified_since=...]``: every published
  registration in one RDF document, streamed (the paged ``/catalog.<format>`` of
  ckanext-dcat serves harvesters page by page);
* ``/registration/export.json?modified_since=&page=&rows=``: exchange records;
* ``/registration/export/<id, name or registration code>.json``: one record.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, stream_with_context

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.dcat import export
from ckanext.tjregistry.dcat.logic import anonymous_context, modified_since_filter

dcat_export = registry.blueprint(Blueprint("tjregistry_dcat", __name__))


def _error_response(error: tk.ValidationError, status: int = 400) -> Response:
    response = jsonify({"success": False, "error": error.error_dict})
    response.status_code = status
    return response


def catalog_export(_format: str) -> Any:
    if _format not in export.FORMATS:
        return tk.abort(404, tk._("Not found"))
    try:
        since = modified_since_filter(tk.request.args.get("modified_since"))
    except tk.ValidationError as error:
        return _error_response(error)
    chunks = export.stream_catalog(_format, [since] if since else [])
    response = Response(stream_with_context(chunks), mimetype=export.FORMATS[_format].mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="catalog.{_format}"'
    return response


def registration_list() -> Any:
    data_dict = {key: tk.request.args.get(key)
                 for key in ("modified_since", "page", "rows") if tk.request.args.get(key)}
    try:
        result = tk.get_action("registration_export_list")(anonymous_context(), data_dict)
    except tk.ValidationError as error:
        return _error_response(error)
    return jsonify(result)


def registration_show(id: str) -> Any:
    key = "id"
    if export.package_for_code(id) is not None:
        key = "registration_code"
    try:
        result = tk.get_action("registration_export_show")(anonymous_context(), {key: id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.ValidationError as error:
        return _error_response(error)
    return jsonify(result)


dcat_export.add_url_rule("/catalog/export.<_format>", view_func=catalog_export)
dcat_export.add_url_rule("/registration/export.json", view_func=registration_list)
dcat_export.add_url_rule("/registration/export/<id>.json", view_func=registration_show)
