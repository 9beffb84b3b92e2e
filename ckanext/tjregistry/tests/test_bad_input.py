"""Malformed input through the web API gets a 4xx with a message, never a 500.

The cases are those a run of every action of the platform with wrong types and
values turned up: NUL characters (PostgreSQL text cannot hold them), paging numbers
that are words, lists or objects, identifiers that are numbers or objects, and a
format that is a list.
"""
from __future__ import annotations

from typing import Any

import pytest

from ckanext.tjregistry.input_guard import MESSAGE as NUL_MESSAGE

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _post(app, action: str, payload: dict[str, Any]) -> Any:
    return app.post(f"/api/3/action/{action}", json=payload, expect_errors=True)


@pytest.mark.parametrize("action,payload", [
    ("registration_show", {"id": "\x00"}),
    ("registration_query", {"q": "公交\x00"}),
    ("certificate_show", {"package_id": "a\x00b"}),
    ("package_search", {"q": "x", "fq": ["\x00"]}),
    ("organization_list", {"all_fields": {"\x00": 1}}),
])
def test_nul_characters_are_refused_before_any_action(app, action, payload):
    response = _post(app, action, payload)
    assert response.status_code == 400
    body = response.json
    assert body["success"] is False and body["error"]["message"] == NUL_MESSAGE


def test_nul_characters_in_a_query_string_or_form_are_refused(app):
    page = app.get("/registration/query", query_string={"q": "公交\x00"}, expect_errors=True)
    assert page.status_code == 400
    assert "U+0000" in page.get_data(as_text=True)
    form = app.post("/registration/verify", data={"code": "TJ\x00"}, expect_errors=True)
    assert form.status_code == 400
    api = app.get("/api/3/action/registration_publicity_list",
                  query_string={"q": "\x00"}, expect_errors=True)
    assert api.status_code == 400 and api.json["error"]["message"] == NUL_MESSAGE


@pytest.mark.parametrize("action", ["registration_publicity_list", "registration_query",
                                    "registration_list", "objection_list"])
@pytest.mark.parametrize("limit,message", [
    ("ten", "应为整数"), (["1"], "应为整数"),
    ({"a": 1}, "应为整数"), (True, "应为整数"),
    (-5, "不能为负数"),
])
def test_paging_numbers_must_be_whole_numbers(app, sysadmin_headers, action, limit, message):
    payload = {"limit": limit, "q": "公交"} if action == "registration_query" else {
        "limit": limit}
    response = app.post(f"/api/3/action/{action}", json=payload, headers=sysadmin_headers,
                        expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["error"]["limit"] == [message]


def test_a_large_limit_is_capped_not_refused(app):
    response = _post(app, "registration_publicity_list", {"limit": 10**15, "offset": "0"})
    assert response.status_code == 200 and response.json["success"] is True


@pytest.mark.parametrize("action,payload,field", [
    ("agency_delegation_show", {"id": -5}, "id"),
    ("agency_delegation_show", {"id": {"a": 1}}, "id"),
    ("organization_show", {"id": 10**15}, "id"),
    ("organization_show", {"id": ["x"]}, "id"),
    ("dcat_catalog_show", {"format": ["ttl"]}, "format"),
    ("dcat_catalog_search", {"format": {"a": 1}}, "format"),
])
def test_identifiers_and_formats_of_the_wrong_type_are_validation_errors(
        app, sysadmin_headers, action, payload, field):
    response = app.post(f"/api/3/action/{action}", json=payload, headers=sysadmin_headers,
                        expect_errors=True)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert field in response.json["error"]


@pytest.fixture
def sysadmin_headers() -> dict[str, str]:
    from ckan.tests import factories

    user = factories.Sysadmin()
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}
