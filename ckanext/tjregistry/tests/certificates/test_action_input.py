"""Malformed input to the certificate actions: a bilingual validation error on the field,
never a server error."""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import codes

WELL_FORMED = str(codes.make_code("120101", 2020, "R", 99))


def _refused(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(tk.ValidationError) as caught:
        helpers.call_action(action, {"user": ""}, **payload)
    return caught.value.error_dict


@pytest.mark.parametrize("action,payload,field,text", [
    ("certificate_show", {}, "code", "请填写登记编号"),
    ("certificate_show", {"code": ["TJ"]}, "code", "Missing value"),
    ("certificate_show", {"code": {"a": 1}}, "code", "Missing value"),
    ("certificate_show", {"code": "TJ-1"}, "code", "登记编号长度不正确"),
    ("certificate_show", {"code": [{"a": 1}, "x"]}, "code", "Malformed"),
    ("certificate_show", {"package_id": ["x"]}, "package_id", "Must be text"),
    ("certificate_show", {"package_id": "a\x00b"}, "package_id", "U+0000"),
    ("certificate_show", {"code": WELL_FORMED, "version": "x"}, "version", "版本号必须是整数"),
    ("certificate_show", {"code": WELL_FORMED, "version": [2]}, "version", "Must be an integer"),
    ("certificate_verify", {}, "code", "Give a code or a PDF"),
    ("certificate_verify", {"code": ""}, "code", "请填写登记编号或上传凭证 PDF"),
    ("certificate_verify", {"code": 5}, "code", "Missing value"),
    ("certificate_verify", {"code": "TJ\x00"}, "code", "登记编号"),
    ("certificate_verify", {"upload": {"a": 1}}, "upload", "Upload a PDF file"),
    # With an upload the code is not read: the file is what is refused.
    ("certificate_verify", {"upload": b"hello", "code": "not a code"}, "upload", "PDF"),
    ("certificate_renew", {}, "code", "请填写登记编号"),
    ("certificate_renew", {"code": ["x"]}, "code", "Missing value"),
    ("certificate_renew", {"code": "TJ-1"}, "code", "登记编号长度不正确"),
])
def test_bad_input_is_a_bilingual_validation_error(action, payload, field, text):
    errors = _refused(action, payload)
    assert field in errors, errors
    assert text in errors[field][0] and " / " in errors[field][0], errors


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("action,payload,field", [
    ("certificate_show", {"package_id": {"a": 1}}, "package_id"),
    ("certificate_show", {"code": WELL_FORMED, "version": {"a": 1}}, "version"),
    ("certificate_verify", {"code": ["x"]}, "code"),
    ("certificate_renew", {"code": 10**15}, "code"),
])
def test_the_api_answers_409_not_500(app, action, payload, field):
    response = app.post(f"/api/3/action/{action}", json=payload, expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert field in response.json["error"]
