"""Announcements (公告, Art. 11): revocations, expiries, cancellations and institution
suspensions, on a public page and an Atom feed, with public facts only."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests import live_server
from ckanext.tjregistry.tests.supervision_helpers import add_city_acting_officer
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    register_dataset,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_REASONS = "内部核查记录:举报人王五提供线索"


@pytest.fixture
def announced(world) -> dict[str, Any]:
    revoked = register_dataset(world, title="和平区学校食堂检查数据")
    call_as(world.hp_reviewer, "registration_revoke", package_id=revoked["id"],
            ground="false_materials", reasons=SECRET_REASONS)
    expired = register_dataset(world, title="和平区图书馆借阅数据")
    workflow.expire(expired["id"])
    officer = add_city_acting_officer(world)
    call_as(officer, "institution_suspend", id="bh-inst", reasons="内部整改事项说明")
    model.Session.commit()
    return {"revoked": revoked, "expired": expired}


def test_the_announcements_list_public_facts_newest_first(world, announced):
    result = helpers.call_action("announcement_list", {"user": ""})
    kinds = [item["kind"] for item in result["results"]]
    assert kinds == ["institution_suspended", "expiry", "revocation"]
    suspended, expired, revoked = result["results"]
    assert revoked["data_name"] == "和平区学校食堂检查数据"
    assert revoked["registrant_name"] == "和平区教育局"
    assert revoked["registration_code"]
    assert revoked["ground_label"]["zh_Hans_CN"] == "隐瞒事实、弄虚作假或提供虚假登记材料"
    assert revoked["institution_name"] == "和平区登记机构"
    assert expired["data_name"] == "和平区图书馆借阅数据"
    assert suspended["institution_name"] == "滨海新区登记机构"
    assert revoked["published"].endswith("+08:00")
    # Never the written reasons, people or the application.
    text = str(result)
    assert SECRET_REASONS not in text and "内部整改" not in text
    assert world.hp_reviewer["id"] not in text and "application_id" not in text

    only = helpers.call_action("announcement_list", {"user": ""}, kind="expiry")
    assert [item["kind"] for item in only["results"]] == ["expiry"] and only["count"] == 1
    paged = helpers.call_action("announcement_list", {"user": ""}, limit=1, offset=1)
    assert paged["count"] == 3 and paged["results"][0]["kind"] == "expiry"


@pytest.mark.parametrize("data, field", [
    ({"kind": "rumour"}, "kind"), ({"since": "yesterday"}, "since"),
    ({"limit": "many"}, "limit"), ({"kind": ["expiry"]}, "kind")])
def test_bad_input_is_a_field_error(data, field):
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("announcement_list", {"user": ""}, **data)
    assert field in error.value.error_dict


def test_page_and_feed_over_http_as_anonymous(world, announced, ckan_server):
    page = requests.get(ckan_server.url("/registration/announcements"), timeout=60)
    assert page.status_code == 200
    for fact in ("和平区学校食堂检查数据", "撤销登记", "登记凭证有效期届满", "暂停登记机构资格",
                 "隐瞒事实、弄虚作假或提供虚假登记材料", "滨海新区登记机构"):
        assert fact in page.text, fact
    assert SECRET_REASONS not in page.text and "内部整改" not in page.text
    english = requests.get(ckan_server.url("/en/registration/announcements?kind=revocation"),
                           timeout=60)
    rows = BeautifulSoup(english.text, "html.parser").select("#tjr-announcements tbody tr")
    assert [row["data-kind"] for row in rows] == ["revocation"]
    assert "Registration revoked" in rows[0].text
    assert requests.get(ckan_server.url("/registration/announcements?kind=rumour"),
                        timeout=60).status_code == 400

    feed = requests.get(ckan_server.url("/registration/announcements.atom"), timeout=60)
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}category").get("term") for e in entries] == [
        "institution_suspended", "expiry", "revocation"]
    assert entries[2].find(f"{ATOM}title").text == "撤销登记:和平区学校食堂检查数据"
    assert "Ground: False registration materials" in entries[2].find(f"{ATOM}content").text
    assert SECRET_REASONS not in feed.text

    api = live_server.api_post(ckan_server, "announcement_list", kind="nonsense")
    assert api.status_code == 409 and "kind" in api.json()["error"]


def test_the_home_page_tile_leads_to_the_announcements(ckan_server):
    home = requests.get(ckan_server.url("/"), timeout=60)
    assert 'href="/registration/announcements"' in home.text


def test_the_institution_entries_are_the_supervision_features_own():
    from ckanext.tjregistry.portal import announcements
    from ckanext.tjregistry.supervision import qualification

    assert (announcements.INSTITUTION, announcements.SUSPEND, announcements.REINSTATE,
            announcements.CANCEL_QUALIFICATION) == (
        qualification.INSTITUTION, qualification.SUSPEND, qualification.REINSTATE,
        qualification.CANCEL)
    # Interview and on-site guidance records are never announced.
    assert all(kind.subject != qualification.RECORD_SUBJECT
               and kind.action != qualification.RECORD for kind in announcements.KINDS)
