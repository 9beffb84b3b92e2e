"""A verified registrant's identity (name, credit code, type, level, district) changes only
with the city institution's re-verification; the rest of its profile stays editable."""
from __future__ import annotations

from typing import Any

import pytest
import requests

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.model.identity_change import IdentityChange
from ckanext.tjregistry.tests.samples import USCC_VALID
from ckanext.tjregistry.tests.workflow_helpers import build_world, call_as, make_user

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

NEW_TITLE = "和平区教育局(更名后)"


def _post(server: Any, action: str, token: str, **data: Any) -> requests.Response:
    return requests.post(server.url(f"/api/3/action/{action}"), json=data,
                         headers={"Authorization": token}, timeout=60)


def _org(org_id: str) -> dict[str, Any]:
    model.Session.expire_all()
    return helpers.call_action("organization_show", {"ignore_auth": True}, id=org_id)


def test_the_registrants_admin_cannot_change_the_verified_identity_over_http(ckan_server):
    world = build_world()
    admin = make_user("hp_admin", world.hp_reg, capacity="admin")
    before = _org(world.hp_reg["id"])
    assert before["verified"] is True and before["uscc"] == USCC_VALID[0]

    response = _post(ckan_server, "organization_patch", admin["token"], id=world.hp_reg["id"],
                     title=NEW_TITLE, uscc=USCC_VALID[1], description="新的简介")
    assert response.status_code == 200, response.text
    after = _org(world.hp_reg["id"])
    # The verified values stay; the free field changed.
    assert (after["title"], after["uscc"]) == (before["title"], USCC_VALID[0])
    assert after["description"] == "新的简介"
    (change,) = call_as(admin, "registrant_identity_change_list")
    assert change["status"] == "pending"
    assert change["proposed"] == {"title": NEW_TITLE, "uscc": USCC_VALID[1]}
    assert change["previous"] == {"title": before["title"], "uscc": USCC_VALID[0]}

    # Level and district, refused outright before, are held the same way.
    response = _post(ckan_server, "organization_patch", admin["token"], id=world.hp_reg["id"],
                     admin_level="district", district_code="120102")
    assert response.status_code == 200, response.text
    assert _org(world.hp_reg["id"])["district_code"] == "120101"
    (change,) = call_as(world.city_reviewer, "registrant_identity_change_list")
    assert change["proposed"] == {"title": NEW_TITLE, "uscc": USCC_VALID[1],
                                  "district_code": "120102"}

    # Neither the registrant nor a district reviewer decides; the city does.
    for who in (admin, world.hp_reviewer):
        refused = _post(ckan_server, "registrant_identity_change_decide", who["token"],
                        organization_id=world.hp_reg["id"])
        assert refused.status_code == 403, refused.text
    approved = _post(ckan_server, "registrant_identity_change_decide",
                     world.city_reviewer["token"], id=change["id"], approve=True)
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"]["status"] == "approved"
    after = _org(world.hp_reg["id"])
    assert (after["title"], after["uscc"], after["district_code"]) == (
        NEW_TITLE, USCC_VALID[1], "120102")
    assert after["verified"] is True
    actions = [row.action for row in model.Session.query(Event)
               .filter(Event.subject == "registrant").order_by(Event.id)]
    assert actions == ["request_identity_change", "request_identity_change",
                       "approve_identity_change"]
    assert history.verify().ok
    assert "Traceback" not in ckan_server.log_tail(200_000)


def test_the_city_rejects_with_reasons_and_nothing_changes(world):
    admin = make_user("hp_admin", world.hp_reg, capacity="admin")
    title = _org(world.hp_reg["id"])["title"]
    call_as(admin, "organization_patch", id=world.hp_reg["id"], title=NEW_TITLE)
    assert _org(world.hp_reg["id"])["title"] == title
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.city_reviewer, "registrant_identity_change_decide",
                organization_id=world.hp_reg["id"], approve=False)
    assert " / " in error.value.error_dict["reasons"][0]
    decided = call_as(world.city_reviewer, "registrant_identity_change_decide",
                      organization_id=world.hp_reg["id"], approve=False,
                      reasons="未提供更名的批准文件。")
    assert decided["status"] == "rejected"
    assert _org(world.hp_reg["id"])["title"] == title
    with pytest.raises(tk.ValidationError):
        call_as(world.city_reviewer, "registrant_identity_change_decide", id=decided["id"],
                approve=True)
    event = model.Session.query(Event).filter_by(action="reject_identity_change").one()
    assert event.note == "未提供更名的批准文件。"


def test_free_fields_and_unverified_registrants_and_sysadmins(world):
    admin = make_user("hp_admin", world.hp_reg, capacity="admin")
    call_as(admin, "organization_patch", id=world.hp_reg["id"], description="只改简介",
            contact_phone="022-23456789")
    shown = _org(world.hp_reg["id"])
    assert shown["description"] == "只改简介"
    assert model.Session.query(IdentityChange).count() == 0
    # A malformed credit code is refused with its message, not held.
    with pytest.raises(tk.ValidationError) as error:
        call_as(admin, "organization_patch", id=world.hp_reg["id"], uscc="123")
    assert "uscc" in error.value.error_dict
    assert model.Session.query(IdentityChange).count() == 0
    # A sysadmin corrects directly.
    call_as(world.sysadmin, "organization_patch", id=world.hp_reg["id"], title=NEW_TITLE)
    assert _org(world.hp_reg["id"])["title"] == NEW_TITLE
    # Before verification the registrant edits its own identity (the verification checks it).
    helpers.call_action("registrant_register", {"user": world.outsider["name"]},
                        org_name="self-reg", org_title="自助注册公司",
                        registrant_type="enterprise", admin_level="district",
                        district_code="120101", uscc=USCC_VALID[2])
    call_as(world.outsider, "organization_patch", id="self-reg", title="自助注册公司(改名)")
    assert _org("self-reg")["title"] == "自助注册公司(改名)"
    assert model.Session.query(IdentityChange).count() == 0


def test_the_edit_form_keeps_the_verified_name(app, world):
    admin = make_user("hp_admin", world.hp_reg, capacity="admin")
    title = _org(world.hp_reg["id"])["title"]
    shown = _org(world.hp_reg["id"])
    form = {key: value for key, value in shown.items()
            if isinstance(value, str) and key not in ("id", "created", "type", "state",
                                                      "approval_status", "revision_id")}
    form.update(title=NEW_TITLE, description="表单修改的简介", save="")
    response = app.post(f"/organization/edit/{shown['name']}", data=form,
                        headers={"Authorization": admin["token"]})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]
    after = _org(world.hp_reg["id"])
    assert after["title"] == title and after["description"] == "表单修改的简介"
    (change,) = call_as(admin, "registrant_identity_change_list")
    assert change["proposed"] == {"title": NEW_TITLE}
    # The form says so when it is opened again.
    page = app.get(f"/organization/edit/{shown['name']}",
                   headers={"Authorization": admin["token"]}).get_data(as_text=True)
    assert 'id="tjr-identity-change-pending"' in page and NEW_TITLE in page
    # Another registrant's members do not see it.
    assert call_as(world.bh_clerk, "registrant_identity_change_list") == []


def test_the_city_decides_on_its_accounts_page(app, world):
    from bs4 import BeautifulSoup

    admin = make_user("hp_page_admin", world.hp_reg, capacity="admin")
    title = _org(world.hp_reg["id"])["title"]
    call_as(admin, "organization_patch", id=world.hp_reg["id"], title=NEW_TITLE)
    headers = {"Authorization": world.city_reviewer["token"]}
    page = BeautifulSoup(app.get("/registration/accounts", headers=headers).body,
                         "html.parser")
    rows = page.select("#tjr-identity-changes tr[data-identity-change]")
    assert len(rows) == 1 and title in rows[0].text and NEW_TITLE in rows[0].text
    change_id = rows[0]["data-identity-change"]
    app.post("/registration/accounts", headers=headers,
             data={"mode": "identity", "id": change_id, "approve": "true"})
    assert _org(world.hp_reg["id"])["title"] == NEW_TITLE
    page = BeautifulSoup(app.get("/registration/accounts", headers=headers).body,
                         "html.parser")
    assert page.find(id="tjr-identity-changes-none") is not None
    # Not the registrant's or a district institution's page.
    assert app.get("/registration/accounts",
                   headers={"Authorization": world.hp_reviewer["token"]}).status_code == 403
