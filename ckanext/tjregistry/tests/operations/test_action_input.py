"""Malformed input to the evidence, agency and catalogue actions: a bilingual validation
error on the field, never a server error."""
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
    ("evidence_create", {}, "package_id", "package_id is required"),
    ("evidence_create", {"package_id": ["x"]}, "package_id", "package_id must be text"),
    ("evidence_create", {"package_id": "p\x00"}, "package_id", "U+0000"),
    ("evidence_create", {"package_id": "p", "note": ["x"]}, "note", "note must be text"),
    ("evidence_create", {"package_id": "p", "kind": {"a": 1}}, "kind", "kind 应为文本"),
    ("evidence_create", {"package_id": "p", "manifest": [{"path": "a"}, "b"]}, "manifest",
     "Malformed"),
    ("evidence_show", {}, "id", "id 不能为空"),
    ("evidence_show", {"id": 5}, "id", "id must be text"),
    ("evidence_list", {"package_id": ""}, "package_id", "package_id is required"),
    ("evidence_verify", {"id": {"a": 1}}, "id", "id must be text"),
    ("agency_delegation_show", {"id": -5}, "id", "id must be text"),
    ("agency_delegation_revoke", {"id": "x"}, "reason", "reason is required"),
    ("agency_delegation_revoke", {"id": "x", "reason": ["a"]}, "reason", "reason must be text"),
    ("agency_delegation_list", {}, "registrant_id", "Give registrant_id or agency_id"),
    ("agency_delegation_list", {"agency_id": {"a": 1}}, "agency_id", "agency_id must be text"),
    ("catalogue_entry_list", {"limit": "ten"}, "limit", "limit 应为整数"),
    ("catalogue_entry_list", {"limit": ["1"]}, "limit", "limit must be an integer"),
    ("catalogue_entry_list", {"limit": None}, "limit", "limit must be an integer"),
    ("catalogue_entry_list", {"limit": 5000}, "limit", "limit must be 0 to 1000"),
    ("catalogue_entry_list", {"offset": -1}, "offset", "offset 超出范围"),
    ("catalogue_entry_list", {"registrant_id": ["x"]}, "registrant_id", "must be text"),
])
def test_bad_input_is_a_bilingual_validation_error(action, payload, field, text):
    errors = _refused(action, payload)
    assert field in errors, errors
    assert text in errors[field][0] and " / " in errors[field][0], errors


def test_every_missing_field_of_a_delegation_is_reported_at_once():
    errors = _refused("agency_delegation_create", {
        "registrant_id": "r", "agency_id": 5, "scope": [], "valid_until": "",
        "document_no": ["x"]})
    assert set(errors) == {"agency_id", "scope", "valid_until", "document_no"}
    assert errors["scope"] == ["scope 不能为空 / scope is required"]
    assert errors["agency_id"] == ["agency_id 应为文本 / agency_id must be text"]


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("action,payload,field", [
    ("evidence_show", {"id": ["x"]}, "id"),
    ("agency_delegation_list", {"registrant_id": {"a": 1}}, "registrant_id"),
    ("catalogue_entry_list", {"offset": {"a": 1}}, "offset"),
])
def test_the_api_answers_409_not_500(app, action, payload, field):
    response = app.post(f"/api/3/action/{action}", json=payload, expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert field in response.json["error"]
