"""Restricted fields never reach anyone not entitled to them.

The restricted values below are unique strings, so a test can look for them in the
whole answer (JSON or HTML), not only under the expected keys.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

import ckan.lib.search as search
import ckan.logic as logic
from ckan.tests import factories, helpers

from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.registration import visibility
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.workflow_helpers import member_with_token

# The restricted fields stay restricted even where the catalogue shows every public
# dataset (the dataset here is a draft); the register-only default is test_visibility.py's.
pytestmark = pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "*")

SECRETS = {
    "storage_location": "机密机房XJ7731",
    "contact_phone": "022-27771234",
    "contact_email": "secret.keeper@hpedu.tj.gov.cn",
    "internal_review_note": "内审意见QX9F",
    "evidence_hash": "sm3:" + "7e" * 32,
    "evidence_cert_no": "CZ-SECRET-4411",
    "agent_contact": "代理人孙秘 13911112222",
}
ORG_SECRETS = {"contact_phone": "13766665555", "contact_email": "org.secret@hpedu.tj.gov.cn"}


def _org(sysadmin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return helpers.call_action("organization_create", context={"user": sysadmin["name"]},
                               **fields)


@pytest.fixture
def world() -> dict[str, Any]:
    """A district registrant with a dataset, and people around it."""
    sysadmin = factories.Sysadmin()
    sysadmin["token"] = factories.APIToken(user=sysadmin["name"])["token"]
    owner = _org(sysadmin, **samples.registrant_org(
        name="hp-education", title="和平区教育局", admin_level="district",
        district_code="120101", **ORG_SECRETS))
    other = _org(sysadmin, **samples.registrant_org(
        name="tj-market", title="天津市市场监督管理委员会", uscc=samples.USCC_VALID[1]))
    city = _org(sysadmin, **samples.institution_org())
    heping = _org(sysadmin, **samples.institution_org(
        name="hp-registry", title="和平区公共数据资源登记机构", admin_level="district",
        district_code="120101"))
    binhai = _org(sysadmin, **samples.institution_org(
        name="bh-registry", title="滨海新区公共数据资源登记机构", admin_level="district",
        district_code="120116"))
    authority = _org(sysadmin, name="tj-data-bureau", title="天津市数据局",
                     org_kind="authority", admin_level="city", district_code="120000")
    people = {
        "clerk": member_with_token(owner), "viewer": member_with_token(owner, "member"),
        "outsider": member_with_token(other), "city_reviewer": member_with_token(city),
        "district_reviewer": member_with_token(heping),
        "other_district_reviewer": member_with_token(binhai),
        "authority_officer": member_with_token(authority, "member"),
    }
    dataset = helpers.call_action(
        "package_create", context={"user": people["clerk"]["name"]},
        **samples.data_resource(owner["id"], name="hp-school-list", title="和平区中小学学校名录",
                                notes="和平区中小学学校名录及办学信息。", **SECRETS))
    return {"sysadmin": sysadmin, "owner": owner, "heping": heping, "dataset": dataset,
            **people}


ENTITLED = ["sysadmin", "clerk", "viewer", "city_reviewer", "district_reviewer",
            "authority_officer"]
NOT_ENTITLED = ["outsider", "other_district_reviewer"]


def _show(world: dict[str, Any], who: str | None) -> dict[str, Any]:
    context = {"user": world[who]["name"], "ignore_auth": False} if who else {
        "user": "", "ignore_auth": False}
    return helpers.call_action("package_show", context=context, id=world["dataset"]["id"])


def _assert_no_secret(answer: Any, secrets: dict[str, str] = SECRETS) -> None:
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False,
                                                             default=str)
    for name, value in secrets.items():
        assert value not in text, name


# ------------------------------------------------------------ package_show ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_package_show_gives_restricted_fields_only_to_entitled_users(world: dict[str, Any]):
    for who in ENTITLED:
        shown = _show(world, who)
        for name, value in SECRETS.items():
            assert shown[name] == value, (who, name)
    for who in [None, *NOT_ENTITLED]:
        shown = _show(world, who)
        assert not set(access.restricted_dataset_fields("data-resource")) & set(shown), who
        _assert_no_secret(shown)
        # Public registration facts are still there.
        assert shown["title"] == "和平区中小学学校名录"
        assert shown["share_type"] == "conditional"


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_suspended_institution_loses_access(world: dict[str, Any]):
    helpers.call_action("organization_patch", context={"user": world["sysadmin"]["name"]},
                        id=world["heping"]["id"], qualification_status="suspended")
    _assert_no_secret(_show(world, "district_reviewer"))
    assert _show(world, "city_reviewer")["storage_location"] == SECRETS["storage_location"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_default_schema_and_uncached_shows_are_stripped_too(world: dict[str, Any]):
    for use_cache in (True, False):
        for extra in ({"use_default_schema": True}, {}):
            context = {"user": world["outsider"]["name"], "use_cache": use_cache}
            _assert_no_secret(helpers.call_action("package_show", context=context,
                                                  id=world["dataset"]["id"], **extra))
    shown = helpers.call_action("package_show", context={"user": world["clerk"]["name"]},
                                id=world["dataset"]["id"], use_default_schema=True)
    assert shown["contact_phone"] == SECRETS["contact_phone"]


# ---------------------------------------------------------- package_search ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_search_results_and_facets_never_carry_restricted_values(world: dict[str, Any]):
    for who in [None, "outsider", "sysadmin"]:
        context = {"user": world[who]["name"] if who else ""}
        result = helpers.call_action(
            "package_search", context=context, q="*:*", include_private=True,
            **{"facet.field": ["share_type", "organization", "registrant_district",
                               "spatial_ms"]})
        assert result["count"] == 1
        _assert_no_secret(result)
        assert result["facets"]["registrant_district"] == {"120101": 1}
        for default_schema in (True, False):
            _assert_no_secret(helpers.call_action(
                "package_search", context=context, q="*:*", use_default_schema=default_schema))


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_restricted_values_do_not_match_any_query(world: dict[str, Any]):
    sysadmin = {"user": world["sysadmin"]["name"]}
    # A public value finds the dataset ...
    assert helpers.call_action("package_search", context=sysadmin, q="公交智能调度系统")[
        "count"] == 1
    assert helpers.call_action("package_search", context=sysadmin,
                               fq='share_type:"conditional"')["count"] == 1
    # ... a restricted one never does, whoever asks.
    for query in ("XJ7731", "机密机房XJ7731", '"022-27771234"', "QX9F", "CZ-SECRET-4411",
                  "secret.keeper", "7e7e7e7e7e7e7e7e"):
        assert helpers.call_action("package_search", context=sysadmin, q=query)["count"] == 0, \
            query
    # Nothing in the Solr document holds them, stored or indexed.
    connection = search.make_connection()
    for value in ("XJ7731", "QX9F", "27771234"):
        assert connection.search(f"text:{value}").hits == 0
    document = connection.search("*:*", fl="*").docs[0]
    _assert_no_secret(document)
    assert not any(key.startswith("extras_contact") or key == "storage_location"
                   for key in document)
    # Even when a full dict (as a sysadmin sees it) is indexed, nothing restricted is kept.
    full = helpers.call_action("package_show", context=dict(sysadmin), id=world["dataset"]["id"])
    assert full["storage_location"] == SECRETS["storage_location"]
    both_schemas = getattr(logic, "package_show_default_and_custom_schemas", None)
    if both_schemas is None:  # CKAN 2.11 indexes the package_show dict
        search.index_for("Package").update_dict(full)
    else:  # CKAN 2.12 indexes the default-schema dict plus the custom-schema one
        default, custom = both_schemas(dict(sysadmin), world["dataset"]["id"])
        assert custom["storage_location"] == SECRETS["storage_location"]
        search.index_for("Package").update_dict(dict(default, with_custom_schema=custom))
    _assert_no_secret(connection.search("*:*", fl="*").docs[0])
    assert helpers.call_action("package_search", context=sysadmin, q="XJ7731")["count"] == 0


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.parametrize("params", [
    {"q": "storage_location:*"},
    {"q": "公交 AND contact_phone:022*"},
    {"fq": "extras_storage_location:机密*"},
    {"fq": "+security_level:important"},
    {"fq_list": ["evidence_hash:*"]},
    {"facet.field": ["security_level"]},
    {"facet.field": '["storage_mode"]'},
    {"fl": "id,contact_phone"},
    {"sort": "storage_location asc"},
])
def test_queries_on_restricted_fields_are_refused(world: dict[str, Any], params: dict):
    for context in ({"user": ""}, {"user": world["sysadmin"]["name"]}):
        with pytest.raises(search.SearchQueryError) as raised:
            helpers.call_action("package_search", context=dict(context), **params)
        assert next(iter(params)) in str(raised.value)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_restricted_query_over_the_api_is_a_4xx_not_a_500(app, world: dict[str, Any]):
    response = app.get("/api/3/action/package_search", query_string={
        "fq": "contact_phone:022*"}, status=400)
    assert response.json["success"] is False
    assert response.json["error"]["__type"] == "Search Query Error"


# ----------------------------------------------------------------- web pages ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_page_shows_restricted_fields_only_to_entitled_users(
    app, world: dict[str, Any]
):
    url = f"/data-resource/{world['dataset']['name']}"
    _assert_no_secret(app.get(url).body)
    _assert_no_secret(app.get(url, headers={"Authorization": world["outsider"]["token"]}).body)
    page = app.get(url, headers={"Authorization": world["district_reviewer"]["token"]}).body
    assert SECRETS["storage_location"] in page
    assert SECRETS["contact_phone"] in page
    assert "和平区中小学学校名录" in page


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_search_page_does_not_reveal_restricted_matches(app, world: dict[str, Any]):
    hit = app.get("/data-resource/", query_string={"q": "学校名录"}).body
    assert "hp-school-list" in hit
    for query in ("XJ7731", "QX9F"):
        page = app.get("/data-resource/", query_string={"q": query},
                       headers={"Authorization": world["sysadmin"]["token"]}).body
        assert "hp-school-list" not in page
    app.get("/data-resource/", query_string={"q": "contact_phone:022*"}, status=400)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_organization_contacts_are_restricted_too(app, world: dict[str, Any]):
    owner_id = world["owner"]["id"]
    for who in (None, "outsider", "other_district_reviewer"):
        context = {"user": world[who]["name"] if who else ""}
        _assert_no_secret(helpers.call_action("organization_show", context=context,
                                              id=owner_id), ORG_SECRETS)
        _assert_no_secret(helpers.call_action("organization_list", context=dict(context),
                                              all_fields=True, include_extras=True),
                          ORG_SECRETS)
    for who in ("clerk", "district_reviewer", "sysadmin"):
        shown = helpers.call_action("organization_show", context={"user": world[who]["name"]},
                                    id=owner_id)
        assert shown["contact_phone"] == ORG_SECRETS["contact_phone"], who
    about = f"/organization/about/{world['owner']['name']}"
    _assert_no_secret(app.get(about).body, ORG_SECRETS)
    page = app.get(about, headers={"Authorization": world["clerk"]["token"]}).body
    assert ORG_SECRETS["contact_phone"] in page


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_follow_lists_and_activity_do_not_leak(world: dict[str, Any]):
    outsider = {"user": world["outsider"]["name"]}
    helpers.call_action("follow_dataset", context=dict(outsider), id=world["dataset"]["id"])
    helpers.call_action("follow_group", context=dict(outsider), id=world["owner"]["id"])
    user_id = world["outsider"]["id"]
    _assert_no_secret(helpers.call_action("dataset_followee_list", context=dict(outsider),
                                          id=user_id))
    _assert_no_secret(helpers.call_action("organization_followee_list",
                                          context=dict(outsider), id=user_id), ORG_SECRETS)
    followees = helpers.call_action("followee_list", context=dict(outsider), id=user_id)
    assert {f["type"] for f in followees} == {"dataset", "organization"}
    _assert_no_secret(followees)
    _assert_no_secret(followees, ORG_SECRETS)
    # The clerk sees what the clerk is entitled to.
    clerk = {"user": world["clerk"]["name"]}
    helpers.call_action("follow_dataset", context=dict(clerk), id=world["dataset"]["id"])
    mine = helpers.call_action("dataset_followee_list", context=dict(clerk),
                               id=world["clerk"]["id"])
    assert SECRETS["contact_phone"] in json.dumps(mine, ensure_ascii=False)
    # Activity records keep no restricted values at all.
    activities = helpers.call_action("package_activity_list", context={"user": ""},
                                     id=world["dataset"]["id"])
    assert activities
    _assert_no_secret(activities)
