"""A search for a registrant's name finds its records, over real HTTP and the real Solr core.

CKAN indexes only the organization's machine name; the index hook adds the registrant's
title to the free-text field, so 和平区教育局 finds what 和平区教育局 registered, and the
visibility rules still decide which of its records an anonymous visitor sees.
"""
from __future__ import annotations

from typing import Any

import pytest
import requests

from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.live_server import api_post
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "own_key_dir")


def _register(world: Any, dataset: dict[str, Any]) -> None:
    app = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert workflow.registration_status(dataset["id"]) == "registered"


@pytest.fixture
def registrants() -> Any:
    world = build_world()
    # Titles that do not contain the registrant's name: only the index hook can match them.
    registered = make_dataset(world.hp_reg, name="school-buildings", title="中小学校舍安全数据")
    make_dataset(world.hp_reg, name="school-draft", title="学生体质监测数据")
    make_dataset(world.bh_reg, name="air-quality", title="空气质量监测数据")
    _register(world, registered)
    return world


def _names(server: Any, query: str, token: str | None = None) -> set[str]:
    response = api_post(server, "package_search", token, q=query, rows=50,
                        include_private=True)
    assert response.status_code == 200, response.text
    return {dataset["name"] for dataset in response.json()["result"]["results"]}


def test_the_registrants_name_finds_its_registered_records_only(ckan_server, registrants):
    # Anonymous: the registrant's registered record, not its draft, not another's record.
    assert _names(ckan_server, "和平区教育局") == {"school-buildings"}
    # Part of the name, as Chinese is analysed in bigrams.
    assert _names(ckan_server, "教育局") == {"school-buildings"}
    assert _names(ckan_server, "生态环境局") == set()
    # The registrant's own clerk also finds its draft by the same name.
    assert _names(ckan_server, "和平区教育局", registrants.hp_clerk["token"]) == {
        "school-buildings", "school-draft"}
    assert _names(ckan_server, "生态环境局", registrants.bh_clerk["token"]) == {"air-quality"}


def test_the_catalogue_page_finds_and_names_the_registrant(ckan_server, registrants):
    page = requests.get(ckan_server.url("/dataset/"), params={"q": "和平区教育局"},
                        headers={"Accept-Language": "zh-CN"}, timeout=60)
    assert page.status_code == 200, ckan_server.log_tail()
    assert "中小学校舍安全数据" in page.text and "学生体质监测数据" not in page.text
    # Each result names its registrant, linked to the registrant's page.
    assert 'class="tjr-result-registrant"' in page.text
    assert f'/organization/{registrants.hp_reg["name"]}' in page.text


def test_a_renamed_registrant_is_found_under_its_new_name(ckan_server, registrants):
    renamed = call_as(registrants.sysadmin, "organization_patch", id=registrants.hp_reg["id"],
                      title="和平区教育和体育局")
    assert renamed["title"] == "和平区教育和体育局"
    assert _names(ckan_server, "和平区教育和体育局") == {"school-buildings"}
    assert _names(ckan_server, "和平区教育局") == set()
