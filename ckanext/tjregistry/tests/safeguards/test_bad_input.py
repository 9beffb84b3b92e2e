"""Malformed input through the web API gets a 4xx with a message, never a 500.

The cases are those a run of every action of the platform with wrong types and
values turned up: NUL characters (PostgreSQL text cannot hold them), paging numbers
that are words, lists or objects, identifiers that are numbers or objects, and a
format that is a list.
"""
from __future__ import annotations

from typing import Any

import pytest

from ckanext.tjregistry.safeguards.input_guard import MESSAGE as NUL_MESSAGE

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


def test_form_encoded_api_bodies_with_nul_are_refused(app):
    # CKAN's API reads a form whose only key is a JSON document, and plain form fields.
    as_json_key = app.post("/api/3/action/registration_show",
                           data={'{"id": "a\\u0000b"}': "1"}, expect_errors=True)
    assert as_json_key.status_code == 400, as_json_key.get_data(as_text=True)
    assert as_json_key.json["error"]["message"] == NUL_MESSAGE
    as_field = app.post("/api/3/action/registration_show", data={"id": "a\x00b"},
                        expect_errors=True)
    assert as_field.status_code == 400 and as_field.json["error"]["message"] == NUL_MESSAGE


@pytest.mark.parametrize("body", [
    b'{"id": "\\ud800"}', b'{"q": "\\udfff\\u516c"}', b'{"\\ud83d": "x"}',
    b'{"fq": ["ok", "\\udc00"]}',
])
def test_lone_surrogates_in_json_are_refused(app, body):
    response = app.post("/api/3/action/registration_query", data=body,
                        content_type="application/json", expect_errors=True)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["message"] == NUL_MESSAGE


def test_a_surrogate_pair_is_an_ordinary_character(app):
    response = app.post("/api/3/action/registration_query", data=b'{"q": "\\ud83d\\ude8c"}',
                        content_type="application/json", expect_errors=True)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("pledge", [1, 2, [True], {"a": 1}, "maybe", 1.5])
def test_pledge_of_any_type_is_never_a_500(app, pledge):
    # Anonymous: refused (403) or invalid (409), never a server error.
    response = app.post("/api/3/action/registration_submit",
                        json={"package_id": "nothing", "pledge": pledge}, expect_errors=True)
    assert response.status_code in (403, 409), response.get_data(as_text=True)
    if response.status_code == 409:
        assert "Must be true or false" in response.get_data(as_text=True)


def test_flag_reads_what_forms_and_clients_send():
    from ckanext.tjregistry.common.validation import flag

    for value in (True, 1, "1", "true", "True", "on", "yes", " y "):
        assert flag(value) is True, value
    for value in (False, 0, "0", "false", "off", "no", "", None):
        assert flag(value) is False, value
