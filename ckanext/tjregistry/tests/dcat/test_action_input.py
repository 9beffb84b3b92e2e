"""Malformed input to the catalogue and export actions: a bilingual validation error on
the field, never a server error."""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers


def _refused(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(tk.ValidationError) as caught:
        helpers.call_action(action, {"user": ""}, **payload)
    return caught.value.error_dict


@pytest.mark.parametrize("action,payload,field,text", [
    ("dcat_catalog_show", {"page": "x"}, "page", "page must be a positive integer"),
    ("dcat_catalog_show", {"page": [1]}, "page", "页码"),
    ("dcat_catalog_show", {"format": "csv"}, "format", "unsupported format"),
    ("dcat_catalog_show", {"q": ["x"]}, "q", "Must be text"),
    ("dcat_catalog_search", {"fq": {"a": 1}}, "fq", "Must be text"),
    ("dcat_catalog_search", {"modified_since": ["2026-01-01"]}, "modified_since", "ISO 8601"),
    ("dcat_catalog_search", {"profiles": ["nope"]}, "profiles", "Unknown RDF profiles: nope"),
    ("dcat_catalog_search", {"profiles": [1]}, "profiles", "RDF profile names"),
    ("dcat_dataset_show", {"id": ["x"], "format": "ttl"}, "id", "Must be text"),
    ("dcat_dataset_show", {"id": "x", "format": {"a": 1}}, "format", "不支持的格式"),
    ("registration_export_show", {}, "id", "give id or registration_code"),
    ("registration_export_show", {"registration_code": ["x"]}, "registration_code",
     "Must be text"),
    ("registration_export_list", {"rows": "many"}, "rows", "rows must be between 1 and 1000"),
    ("registration_export_list", {"rows": 1001}, "rows", "每页条数"),
    ("registration_export_list", {"page": -1}, "page", "page must be a positive integer"),
    # Far outside what a time zone can be moved by: no longer an overflow.
    ("registration_export_list", {"modified_since": "0001-01-01T00:00+08:00"},
     "modified_since", "修改时间"),
])
def test_bad_input_is_a_bilingual_validation_error(action, payload, field, text):
    errors = _refused(action, payload)
    assert field in errors, errors
    assert text in errors[field][0] and " / " in errors[field][0], errors


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.parametrize("action,payload,field", [
    ("dcat_catalog_show", {"profiles": ["nope"], "format": "ttl"}, "profiles"),
    ("dcat_catalog_search", {"page": {"a": 1}}, "page"),
    ("registration_export_list", {"rows": [5]}, "rows"),
])
def test_the_api_answers_409_not_500(app, action, payload, field):
    response = app.post(f"/api/3/action/{action}", json=payload, expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert field in response.json["error"]
