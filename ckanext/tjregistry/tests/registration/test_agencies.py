"""Third-party agencies (Art. 16): delegations, conflicts of interest, acting on the
registrant's behalf, all recorded in the history."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.agency import Delegation
from ckanext.tjregistry.registration import agencies
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    make_dataset,
    make_org,
    make_user,
    set_org_fields,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

POWER_OF_ATTORNEY = "委托书:和平区教育局委托天津数链咨询有限公司办理数据资源登记。".encode()


@pytest.fixture
def world(world):
    world.orgs["agency"] = make_org("tj-shulian", "agency", "city", "120000",
                                    title="天津数链咨询有限公司")
    world.users["agent"] = make_user("agent", world.agency)
    world.users["agent_boss"] = make_user("agent_boss", world.agency, capacity="admin")
    return world


def today() -> dt.date:
    return workdays.local_today()


def delegate(world, user=None, **overrides):
    data = {"registrant_id": world.hp_reg["name"], "agency_id": world.agency["name"],
            "scope": ["application", "evidence"], "valid_from": today().isoformat(),
            "valid_until": (today() + dt.timedelta(days=365)).isoformat(),
            "document_no": "WT-2026-007"}
    data.update(overrides)
    return call_as(user or world.hp_clerk, "agency_delegation_create", **data)


def test_registrant_commissions_an_agency_with_its_power_of_attorney(world, ckan_config):
    document = FileStorage(stream=io.BytesIO(POWER_OF_ATTORNEY), filename="委托书 2026.pdf")
    delegation = delegate(world, document=document)
    assert delegation["in_force"] and delegation["status"] == "active"
    assert delegation["registrant"]["id"] == world.hp_reg["id"]
    assert delegation["agency"]["id"] == world.agency["id"]
    assert delegation["scope"] == ["application", "evidence"]
    assert delegation["document_sha256"] == hashlib.sha256(POWER_OF_ATTORNEY).hexdigest()
    row = model.Session.get(Delegation, delegation["id"])
    stored = os.path.join(ckan_config["ckan.storage_path"], "tjregistry", "delegations",
                          row.document_path)
    with open(stored, "rb") as handle:
        assert handle.read() == POWER_OF_ATTORNEY
    event = (model.Session.query(Event).filter(Event.subject == "delegation")
             .order_by(Event.id.desc()).first())
    assert event.action == "delegate" and event.actor_id == world.hp_clerk["id"]
    assert event.data["delegation_id"] == delegation["id"]
    assert event.data["document_sha256"] == delegation["document_sha256"]
    # Both sides and the institutions see it; others do not.
    for user in (world.hp_clerk, world.hp_reviewer, world.officer):
        listed = call_as(user, "agency_delegation_list", registrant_id="hp-reg")
        assert [d["id"] for d in listed] == [delegation["id"]]
    for user in (world.hp_clerk, world.agent, world.hp_reviewer, world.officer):
        assert call_as(user, "agency_delegation_show", id=delegation["id"])["in_force"]
    for user in (world.agent, world.hp_reviewer, world.officer):
        listed = call_as(user, "agency_delegation_list", agency_id=world.agency["name"])
        assert [d["id"] for d in listed] == [delegation["id"]]
    # A registrant sees its own delegations, not all of the agency's clients, and an
    # agency its own, not the registrant's other agencies.
    for user, query in ((world.hp_clerk, {"agency_id": "tj-shulian"}),
                        (world.agent, {"registrant_id": "hp-reg"}),
                        (world.bh_clerk, {"registrant_id": "hp-reg"}),
                        (world.outsider, {"registrant_id": "hp-reg"})):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "agency_delegation_list", **query)
    for user in (world.outsider, world.bh_clerk):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "agency_delegation_show", id=delegation["id"])


def test_the_agency_applies_on_the_registrants_behalf(world, app):
    delegation = delegate(world)
    dataset = make_dataset(world.hp_reg)
    application = call_as(world.agent, "registration_submit", package_id=dataset["id"],
                          pledge=True, internal_review=True)
    assert application["registrant"]["id"] == world.hp_reg["id"]
    submitted = model.Session.query(Event).filter(
        Event.application_id == application["id"], Event.action == "submit").one()
    assert submitted.actor_id == world.agent["id"]
    assert submitted.role == "registrant"
    assert submitted.data["on_behalf_of"] == world.hp_reg["id"]
    assert submitted.data["agency_id"] == world.agency["id"]
    assert submitted.data["delegation_id"] == delegation["id"]
    # The history says so, in the API and on the application page (Chinese by default).
    events = call_as(world.hp_reviewer, "registration_history", id=application["id"])
    assert events[0]["agency"]["title"] == "天津数链咨询有限公司"
    page = BeautifulSoup(app.get(f"/registration/application/{application['id']}",
                                 headers={"Authorization": world.hp_reviewer["token"]}).body,
                         "html.parser")
    on_behalf = page.select_one("#tjr-history .tjr-on-behalf").get_text()
    assert "受托第三方专业服务机构" in on_behalf and "天津数链咨询有限公司" in on_behalf
    # The agency follows the application like the registrant does.
    assert call_as(world.agent, "registration_show", id=application["id"])["state"] == "submitted"
    mine = call_as(world.agent, "registration_list", scope="mine")
    assert [row["id"] for row in mine["results"]] == [application["id"]]
    withdrawn = call_as(world.agent, "registration_withdraw", id=application["id"],
                        reasons="数据需重新梳理")
    assert withdrawn["state"] == "withdrawal_requested"
    # The registrant's own clerk acts directly: no agency facts in its events.
    call_as(world.hp_reviewer, "registration_withdraw_decide", id=application["id"],
            consent=False, reasons="请继续办理")
    own = call_as(world.hp_clerk, "registration_withdraw", id=application["id"], reasons="撤回")
    assert own["state"] == "withdrawal_requested"
    last = (model.Session.query(Event).filter(Event.application_id == application["id"])
            .order_by(Event.id.desc()).first())
    assert last.actor_id == world.hp_clerk["id"] and "on_behalf_of" not in (last.data or {})
    assert history.verify().ok


def test_the_agency_records_evidence_for_the_registrant(world):
    delegate(world, scope=["evidence"])
    dataset = make_dataset(world.hp_reg)
    record = call_as(world.agent, "evidence_create", package_id=dataset["id"],
                     manifest=[{"path": "data.csv", "bytes": 3, "sha256": "c" * 64}])
    assert record["made_by"]["id"] == world.agency["id"]
    assert record["on_behalf_of"] == world.hp_reg["id"]
    event = model.Session.get(Event, record["event_id"])
    assert event.data["on_behalf_of"] == world.hp_reg["id"] and event.role == "agency"
    shown = call_as(world.hp_clerk, "package_show", id=dataset["id"])
    assert shown["evidence_provider"] == "天津数链咨询有限公司"
    # Evidence only: the agency may not apply.
    with pytest.raises(tk.NotAuthorized):
        call_as(world.agent, "registration_submit", package_id=dataset["id"], pledge=True,
                internal_review=True)
    assert model.Session.query(Application).count() == 0


@pytest.mark.parametrize("tie", ["registrant", "institution"])
def test_an_agency_tied_to_the_registrant_or_an_institution_is_refused(world, tie):
    org = world.hp_reg if tie == "registrant" else world.city_inst
    helpers.call_action("organization_member_create", {"ignore_auth": True}, id=org["id"],
                        username=world.agent["name"], role="member")
    with pytest.raises(tk.ValidationError) as caught:
        delegate(world)
    message = caught.value.error_dict["agency_id"][0]
    assert "利益关联" in message and "Conflict of interest" in message
    assert "agent" in message and org["title"] in message
    assert model.Session.query(Delegation).count() == 0


def test_a_tie_arising_later_stops_the_delegation(world):
    delegation = delegate(world)
    dataset = make_dataset(world.hp_reg)
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id=world.hp_inst["id"], username=world.agent_boss["name"], role="editor")
    shown = call_as(world.hp_clerk, "agency_delegation_show", id=delegation["id"])
    assert shown["status"] == "active" and shown["in_force"] is False
    assert any("agent_boss" in text for text in shown["conflicts"])
    with pytest.raises(tk.NotAuthorized):
        call_as(world.agent, "registration_submit", package_id=dataset["id"], pledge=True,
                internal_review=True)


def test_delegation_period_scope_and_revocation(world):
    dataset = make_dataset(world.hp_reg)
    later = delegate(world, valid_from=(today() + dt.timedelta(days=10)).isoformat())
    assert later["in_force"] is False
    with pytest.raises(tk.NotAuthorized):
        call_as(world.agent, "registration_submit", package_id=dataset["id"], pledge=True,
                internal_review=True)
    with pytest.raises(tk.ValidationError) as caught:  # overlapping periods
        delegate(world)
    assert "valid_from" in caught.value.error_dict
    call_as(world.hp_clerk, "agency_delegation_revoke", id=later["id"], reason="改为自行办理")
    current = delegate(world)
    assert call_as(world.agent, "registration_submit", package_id=dataset["id"], pledge=True,
                   internal_review=True)["state"] == "submitted"
    # The agency may renounce; afterwards it can no longer act.
    revoked = call_as(world.agent_boss, "agency_delegation_revoke", id=current["id"],
                      reason="委托事项已完成")
    assert revoked["status"] == "revoked" and not revoked["in_force"]
    assert not agencies.acts_for(model.User.get("agent"), world.hp_reg["id"])
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_clerk, "agency_delegation_revoke", id=current["id"], reason="again")
    actions = [e.action for e in model.Session.query(Event).filter(Event.subject == "delegation")
               .order_by(Event.id)]
    assert actions == ["delegate", "revoke_delegation", "delegate", "revoke_delegation"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"agency_id": "hp-inst"}, "agency_id"),
    ({"registrant_id": "tj-shulian"}, "registrant_id"),
    ({"scope": ["everything"]}, "scope"),
    ({"valid_until": "2020-01-01", "valid_from": "2019-01-01"}, "valid_until"),
    ({"valid_from": "2026-13-01"}, "valid_from"),
    ({"valid_until": "2026-01-01", "valid_from": "2026-02-01"}, "valid_until"),
])
def test_invalid_delegations_are_refused(world, overrides, field):
    user = world.hp_clerk
    if field == "registrant_id":
        # Acting for the agency organization, which is no registrant.
        user = world.agent_boss
    with pytest.raises(tk.ValidationError) as caught:
        delegate(world, user=user, **overrides)
    message = caught.value.error_dict[field][0]
    zh, en = message.split(" / ", 1)
    assert zh and en
    assert model.Session.query(Delegation).count() == 0


def test_a_suspended_agency_cannot_be_commissioned(world):
    set_org_fields(world.agency["id"], qualification_status="suspended")
    with pytest.raises(tk.ValidationError) as caught:
        delegate(world)
    assert "suspended" in caught.value.error_dict["agency_id"][0]


def test_only_the_registrant_commissions_and_only_the_parties_revoke(world):
    for user in (world.agent, world.outsider, world.hp_reviewer, world.bh_clerk):
        with pytest.raises(tk.NotAuthorized):
            delegate(world, user=user)
    delegation = delegate(world)
    for user in (world.outsider, world.hp_reviewer, world.bh_clerk):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "agency_delegation_revoke", id=delegation["id"], reason="x")
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_clerk, "agency_delegation_revoke", id=delegation["id"], reason=" ")


def _district_officer(name: str, district: str) -> dict:
    authority = make_org(f"{name}-authority", "authority", "district", district,
                         title=f"{district} 数据主管部门")
    return make_user(name, authority, capacity="member")


def _may(user, action, **data) -> bool:
    try:
        call_as(user, action, **data)
        return True
    except tk.NotAuthorized:
        return False


def test_delegations_are_read_under_the_registrants_jurisdiction(world, app):
    """A district's reviewers and officers read the delegations of its registrants only."""
    hp_officer = _district_officer("hp_officer", "120101")
    bh_officer = _district_officer("bh_officer", "120116")
    hp_delegation = delegate(world)
    bh_delegation = delegate(world, user=world.bh_clerk, registrant_id=world.bh_reg["name"])
    for user in (world.hp_reviewer, hp_officer, world.city_reviewer, world.officer):
        assert _may(user, "agency_delegation_show", id=hp_delegation["id"]), user["name"]
        assert _may(user, "agency_delegation_list", registrant_id="hp-reg"), user["name"]
    for user in (world.bh_reviewer, bh_officer):
        assert not _may(user, "agency_delegation_show", id=hp_delegation["id"]), user["name"]
        assert not _may(user, "agency_delegation_list", registrant_id="hp-reg"), user["name"]
        assert _may(user, "agency_delegation_show", id=bh_delegation["id"]), user["name"]
    # The agency's list holds what each official may read.
    expected = {world.hp_reviewer["name"]: [hp_delegation["id"]],
                world.bh_reviewer["name"]: [bh_delegation["id"]],
                world.city_reviewer["name"]: sorted([hp_delegation["id"], bh_delegation["id"]]),
                world.agent["name"]: sorted([hp_delegation["id"], bh_delegation["id"]])}
    for name, ids in expected.items():
        listed = call_as({"name": name}, "agency_delegation_list", agency_id="tj-shulian")
        assert sorted(d["id"] for d in listed) == ids, name
    # Through the API: 403 for the other district's reviewer.
    url = "/api/3/action/agency_delegation_show"
    assert app.post(url, json={"id": hp_delegation["id"]},
                    headers={"Authorization": world.bh_reviewer["token"]}).status_code == 403
    assert app.post(url, json={"id": hp_delegation["id"]},
                    headers={"Authorization": world.hp_reviewer["token"]}).status_code == 200


def test_sysadmins_commission_only_as_the_registrants_staff(world):
    context = {"user": world.sysadmin["name"]}
    # Authorization and the action agree (the documented rule: registrant staff only).
    with pytest.raises(tk.NotAuthorized):
        tk.check_access("agency_delegation_create", dict(context),
                        {"registrant_id": world.hp_reg["id"]})
    with pytest.raises(tk.NotAuthorized):
        delegate(world, user=world.sysadmin)
    assert model.Session.query(Delegation).count() == 0
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id=world.hp_reg["id"], username=world.sysadmin["name"], role="admin")
    delegation = delegate(world, user=world.sysadmin)
    assert delegation["in_force"]
    # Revoking stays open to sysadmins, as documented.
    helpers.call_action("organization_member_delete",
                        {"ignore_auth": True, "user": world.sysadmin["name"]},
                        id=world.hp_reg["id"], username=world.sysadmin["name"])
    revoked = call_as(world.sysadmin, "agency_delegation_revoke", id=delegation["id"],
                      reason="平台依法处理")
    assert revoked["status"] == "revoked"


def test_demo_agency_is_commissioned_once_through_the_registrant(world):
    from ckanext.tjregistry.demo import data as demo

    password = "Demo-password-2026"
    demo._ensure_org("hp-education", "和平区教育局", demo._registrant_fields("hp-education",
                                                                          "120101"))
    demo._ensure_org(demo.AGENCY[0], demo.AGENCY[1], demo._agency_fields())
    for name, fullname, org, capacity in demo.USERS:
        if org in ("hp-education", demo.AGENCY[0]):
            demo._ensure_user(name, fullname, password)
            helpers.call_action("organization_member_create", {"ignore_auth": True}, id=org,
                                username=name, role=capacity)
    assert demo._ensure_delegation() is True
    assert demo._ensure_delegation() is False  # idempotent
    rows = agencies.listing(registrant_id=model.Group.get("hp-education").id)
    assert len(rows) == 1 and agencies.as_dict(rows[0])["in_force"]
    assert rows[0].scope == ["application", "evidence"]
    assert rows[0].created_by == model.User.get("hp_edu_clerk").id
    assert agencies.acts_for(model.User.get("agency_clerk"), rows[0].registrant_id,
                             agencies.EVIDENCE)
