"""Reserved organization names and nothing public from unverified organizations
(safeguards/publishers.py, groups.py).

Over real HTTP with API tokens against a running server whose catalogue shows every
public dataset (``tjregistry.catalogue.public_statuses = *``, CKAN's behaviour), so that
only the organization's verification keeps an unverified registrant's dataset from the
public.
"""
from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.safeguards import publishers
from ckanext.tjregistry.tests.live_server import LiveServer, api_post, decoded
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    dataset_fields,
    make_org,
    member_with_token,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
TIMEOUT = 60


@pytest.fixture
def ckan_server_options() -> dict[str, str]:
    return {"tjregistry.catalogue.public_statuses": "*"}


def _register(server: LiveServer, token: str, name: str, title: str) -> requests.Response:
    return api_post(server, "registrant_register", token=token, org_name=name, org_title=title,
                    registrant_type="enterprise", admin_level="city", district_code="120000")


def test_reserved_and_imitating_names_are_refused_to_users(ckan_server):
    world = build_world()
    # An institution whose title holds no reserved word: imitations are refused all the same.
    make_org("xq-inst", "institution", "district", "120111", qualification_status="active",
             title="西青区信息资源中心")
    token = world.outsider["token"]
    refused = {
        "天津市数据局(筹)": "title", "和平区公共数据资源登记机构": "title",
        "天津市數據局": "title",  # traditional characters
        "天津市大数据管理中心": "title", "天 津 市 数 据 发 展 中 心": "title",
        "和平区教育局": "title",  # an existing registrant's title
        "西青区信息资源中心服务部": "title",  # contains an institution's title
        "西青区信息资源": "title",  # part of an institution's title
    }
    for number, (title, field) in enumerate(refused.items()):
        answer = _register(ckan_server, token, f"fresh-org-{number}", title)
        assert answer.status_code == 409, (title, answer.status_code)
        error = answer.json()["error"]
        assert field in error, (title, error)
        assert " / " in error[field][0]  # bilingual
    for name in ("city-inst-2", "tj_registry", "shujuju-tj"):
        answer = _register(ckan_server, token, name, "某科技有限公司")
        assert answer.status_code == 409 and "name" in answer.json()["error"], name
    model.Session.remove()
    assert model.Session.query(model.Group).filter(model.Group.name.like("fresh-org-%")).count() \
        == 0
    # An ordinary name goes through (unverified).
    made = _register(ckan_server, token, "tj-tech-co", "天津某某科技有限公司")
    assert made.status_code == 200 and made.json()["result"]["verified"] is False
    # Its administrator cannot rename it to a reserved title either.
    renamed = api_post(ckan_server, "organization_patch", token=token, id="tj-tech-co",
                       title="天津市数据局")
    assert renamed.status_code == 409 and "title" in renamed.json()["error"]
    # An institution's own administrator edits its profile (title unchanged) ...
    inst_admin = member_with_token(world.hp_inst, capacity="admin")
    kept = api_post(ckan_server, "organization_patch", token=inst_admin["token"],
                    id="hp-inst", description="和平区公共数据资源登记机构简介")
    assert kept.status_code == 200, decoded(kept)
    # ... and a registrant's administrator gives it an ordinary title.
    reg_admin = member_with_token(world.hp_reg, capacity="admin")
    retitled = api_post(ckan_server, "organization_patch", token=reg_admin["token"],
                        id="hp-reg", title="天津市和平区教育局")
    assert retitled.status_code == 200, decoded(retitled)
    # A sysadmin may set up an institution.
    made = api_post(ckan_server, "organization_create", token=world.sysadmin["token"],
                    name="jz-registry", title="蓟州区公共数据资源登记机构")
    assert made.status_code == 200, decoded(made)
    # Groups are off: nobody but a sysadmin creates one.
    for user_token in (token, world.hp_clerk["token"]):
        group = api_post(ckan_server, "group_create", token=user_token, name="my-group",
                         title="我的群组")
        assert group.status_code == 403
    group = api_post(ckan_server, "group_create", token=world.sysadmin["token"],
                     name="topic-group", title="主题群组")
    assert group.status_code == 200


def _anonymous_sees(server: LiveServer, dataset_name: str) -> bool:
    shown = requests.get(server.url("/api/3/action/package_show"), params={"id": dataset_name},
                         timeout=TIMEOUT)
    found = requests.get(server.url("/api/3/action/package_search"),
                         params={"fq": f'name:"{dataset_name}"'}, timeout=TIMEOUT)
    assert found.status_code == 200
    in_search = dataset_name in {d["name"] for d in found.json()["result"]["results"]}
    page = requests.get(server.url(f"/dataset/{dataset_name}"), timeout=TIMEOUT)
    assert (shown.status_code == 200) == in_search == (page.status_code == 200), \
        (shown.status_code, in_search, page.status_code)
    return in_search


def test_an_unverified_registrants_datasets_stay_private(ckan_server):
    world = build_world()
    token = world.outsider["token"]
    made = _register(ckan_server, token, "tj-new-co", "天津新创数据科技有限公司")
    assert made.status_code == 200
    org_id = made.json()["result"]["organization_id"]
    # Public on creation: a field error, nothing created.
    fields = dataset_fields(owner_org=org_id, name="new-co-public")
    refused = api_post(ckan_server, "package_create", token=token, **dict(fields, private=False))
    assert refused.status_code == 409
    assert "private" in refused.json()["error"] and " / " in refused.json()["error"]["private"][0]
    # Without a choice it is created private, and the public does not see it.
    fields.pop("private", None)
    created = api_post(ckan_server, "package_create", token=token, **fields)
    assert created.status_code == 200, decoded(created)
    assert created.json()["result"]["private"] is True
    assert not _anonymous_sees(ckan_server, "new-co-public")
    # Making it public is refused (patch, update, the bulk action).
    patched = api_post(ckan_server, "package_patch", token=token, id="new-co-public",
                       private=False)
    assert patched.status_code == 409 and "private" in patched.json()["error"]
    bulk = api_post(ckan_server, "bulk_update_public", token=token, org_id=org_id,
                    datasets=[created.json()["result"]["id"]])
    assert bulk.status_code == 409
    assert not _anonymous_sees(ckan_server, "new-co-public")
    # A verified registrant's public dataset is public (CKAN's catalogue here; created
    # through the server, which indexes it with its own catalogue rule) ...
    verified = api_post(ckan_server, "package_create", token=world.hp_clerk["token"],
                        **dataset_fields(owner_org=world.hp_reg["id"], name="hp-public",
                                         private=False))
    assert verified.status_code == 200, decoded(verified)
    assert _anonymous_sees(ckan_server, "hp-public")
    # ... and it cannot be moved into the unverified organization while public.
    model.Session.remove()
    call_as(world.sysadmin, "organization_member_create", id=org_id,
            username=world.hp_clerk["name"], role="editor")
    moved = api_post(ckan_server, "package_owner_org_update", token=world.hp_clerk["token"],
                     id="hp-public", organization_id=org_id)
    assert moved.status_code == 409
    # Once the city institution has verified the registrant, it may publish.
    verify = api_post(ckan_server, "registrant_verify", token=world.city_reviewer["token"],
                      id=org_id)
    assert verify.status_code == 200, decoded(verify)
    published = api_post(ckan_server, "package_patch", token=token, id="new-co-public",
                         private=False)
    assert published.status_code == 200, decoded(published)
    assert _anonymous_sees(ckan_server, "new-co-public")


@pytest.mark.ckan_config("tjregistry.ui.groups", "true")
def test_with_groups_on_only_verified_organizations_members_create_groups(world):
    made = call_as(world.outsider, "registrant_register", org_name="tj-unverified",
                   org_title="天津未核验公司", registrant_type="enterprise",
                   admin_level="city", district_code="120000")
    assert made["verified"] is False
    with pytest.raises(tk.NotAuthorized):
        call_as(world.outsider, "group_create", name="outsider-group", title="群组一")
    group = call_as(world.hp_clerk, "group_create", name="hp-group", title="和平区教育数据")
    assert group["name"] == "hp-group"
    # Its title is checked like an organization's.
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_clerk, "group_update", id="hp-group", title="和平区数据局")
    assert "title" in error.value.error_dict


@pytest.mark.parametrize(("title", "normalized"), [
    ("天津市 數據局", "天津市数据局"), ("ＡＢＣ·数据", "abc数据"), ("  ", ""), (None, ""),
])
def test_titles_are_compared_normalized(title, normalized):
    assert publishers.normalized_title(title) == normalized


def test_the_self_registration_page_shows_the_refusal_and_keeps_nothing(app, world):
    headers = {"Authorization": world.outsider["token"]}
    page = app.post("/registration/register", headers=headers,
                    data={"org_name": "tj-fake-bureau", "org_title": "天津市数据局",
                          "registrant_type": "enterprise", "admin_level": "city",
                          "district_code": "120000"})
    assert page.status_code == 200
    text = BeautifulSoup(page.body, "html.parser").get_text(" ")
    assert "保留字「数据局」" in text and "reserved for registration" not in text
    model.Session.remove()
    assert model.Group.get("tj-fake-bureau") is None
