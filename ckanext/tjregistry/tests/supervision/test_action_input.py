"""Malformed input to the supervision actions: a bilingual validation error on the field,
never a server error."""
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
    ("registration_statistics_show", {"date_from": ["2026-01-01"]}, "date_from",
     "Must be text"),
    ("registration_statistics_show", {"district": {"a": 1}}, "district", "应为文本"),
    ("registration_statistics_show", {"date_to": "2026\x00"}, "date_to", "U+0000"),
    ("institution_service_report", {}, "institution", "institution is required"),
    ("institution_service_report", {"institution": "  "}, "institution", "请指定登记机构"),
    ("institution_service_report", {"institution": ["x"]}, "institution", "Must be text"),
    ("institution_suspend", {"reasons": "x"}, "id", "id is required"),
    ("institution_suspend", {"id": {"a": 1}, "reasons": "x"}, "id", "Must be text"),
    ("institution_suspend", {"id": "hp-inst", "reasons": ["x"]}, "reasons", "Must be text"),
    ("institution_reinstate", {"id": "", "reasons": "x"}, "id", "请指定登记机构"),
])
def test_bad_input_is_a_bilingual_validation_error(action, payload, field, text):
    errors = _refused(action, payload)
    assert field in errors, errors
    assert text in errors[field][0] and " / " in errors[field][0], errors


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("action,payload,field", [
    ("institution_service_report", {"institution": {"a": 1}}, "institution"),
    ("institution_suspend", {"id": ["x"], "reasons": "x"}, "id"),
])
def test_the_api_answers_409_not_500(app, action, payload, field):
    response = app.post(f"/api/3/action/{action}", json=payload, expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert field in response.json["error"]
