"""Institution supervision (Art. 28): suspension, reassignment to the city, reinstatement."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, jurisdiction
from ckanext.tjregistry.model import Application, Event, Registration
from ckanext.tjregistry.supervision import qualification as supervision
from ckanext.tjregistry.tests.supervision_helpers import (
    add_city_acting_officer,
    recently,
    register,
)
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit


@pytest.fixture
def world(world):
    add_city_acting_officer(world)
    return world


@pytest.fixture
def hp_work(world):
    """和平区: one application awaiting acceptance, one under review, one registration."""
    submitted = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    accepted = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    call_as(world.hp_reviewer, "registration_accept", id=accepted["id"])
    registered = make_dataset(world.hp_reg, activity_start_date=recently())
    register(world, world.hp_clerk, world.hp_reviewer, registered)
    return {"submitted": submitted["id"], "accepted": accepted["id"],
            "registered": registered["id"]}


def _status(org_name: str) -> str:
    return helpers.call_action("organization_show", id=org_name)["qualification_status"]


def _app(app_id: str) -> Application:
    model.Session.remove()
    return model.Session.get(Application, app_id)


def _allowed(user, auth: str, **data) -> bool:
    try:
        tk.check_access(auth, {"user": user["name"]}, data)
    except tk.NotAuthorized:
        return False
    return True


def test_suspension_stops_the_reviewers_and_moves_open_applications_to_the_city(world, hp_work):
    result = call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst",
                     reasons="履职不当,约谈后拒不整改")
    city_id = world.city_inst["id"]
    assert result["qualification_status"] == "suspended"
    assert sorted(result["reassigned"]) == sorted([hp_work["submitted"], hp_work["accepted"]])
    assert result["reassigned_to"] == city_id
    assert _status("hp-inst") == "suspended"

    for app_id in (hp_work["submitted"], hp_work["accepted"]):
        app = _app(app_id)
        assert app.institution_id == city_id
        assert app.routing == jurisdiction.ROUTE_NO_DISTRICT_INSTITUTION
    assert model.Session.get(Registration, hp_work["registered"]).institution_id == (
        world.hp_inst["id"])

    # The suspended institution's reviewer can no longer act, on anything.
    assert not _allowed(world.hp_reviewer, "registration_accept", id=hp_work["submitted"])
    assert not _allowed(world.hp_reviewer, "registration_revoke",
                        package_id=hp_work["registered"])
    with pytest.raises(tk.NotAuthorized):
        call_as(colleague(world.hp_reviewer), "registration_approve", id=hp_work["accepted"])
    assert call_as(world.hp_reviewer, "registration_list", scope="queue")["count"] == 0
    # The city institution takes over.
    queue = call_as(world.city_reviewer, "registration_list", scope="queue")
    assert {app["id"] for app in queue["results"]} >= {hp_work["submitted"], hp_work["accepted"]}
    assert call_as(world.city_reviewer, "registration_accept",
                   id=hp_work["submitted"])["state"] == "accepted"
    assert _allowed(world.city_reviewer, "registration_revoke", package_id=hp_work["registered"])
    # New applications of the district go to the city institution.
    fresh = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    assert fresh["institution"]["id"] == city_id
    assert fresh["routing"] == jurisdiction.ROUTE_NO_DISTRICT_INSTITUTION


def test_suspension_is_in_the_hash_chained_history(world, hp_work):
    result = call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst",
                     reasons="开展虚假登记")
    event = model.Session.get(Event, result["event_id"])
    assert (event.subject, event.action) == ("institution", "suspend_institution")
    assert (event.from_state, event.to_state) == ("active", "suspended")
    assert event.institution_id == world.hp_inst["id"]
    assert event.actor_id == world.hp_acting_officer["id"]
    assert event.note == "开展虚假登记"
    assert sorted(event.data["reassigned"]) == sorted(result["reassigned"])

    moves = call_as(world.hp_clerk, "registration_history", id=hp_work["accepted"])
    move = next(e for e in moves if e["action"] == "reassign")
    assert move["from_state"] == move["to_state"] == "accepted"
    assert move["data"] == {"from_institution": world.hp_inst["id"],
                            "to_institution": world.city_inst["id"],
                            "cause": "suspend_institution", "objections": []}
    assert move["institution"]["id"] == world.city_inst["id"]
    assert history.verify(model.Session).ok


def test_the_application_page_shows_the_reassignment(app, world, hp_work):
    call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst", reasons="暂停资格")
    page = app.get(f"/registration/application/{hp_work['submitted']}",
                   headers=_auth(world.hp_clerk))
    history_table = BeautifulSoup(page.body, "html.parser").find(id="tjr-history")
    row = next(tr for tr in history_table.find_all("tr") if "改由市级登记机构办理" in tr.text)
    assert "暂停资格" in row.text and "天津市数据发展中心" in row.text


def test_reinstatement_routes_new_applications_to_the_district_again(world, hp_work):
    call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst", reasons="整改期间")
    result = call_as(world.hp_acting_officer, "institution_reinstate", id=world.hp_inst["id"],
                     reasons="整改完成")
    assert result["qualification_status"] == "active" and result["reassigned"] == []
    assert _status("hp-inst") == "active"
    # Reassigned applications stay with the city institution.
    assert _app(hp_work["submitted"]).institution_id == world.city_inst["id"]
    fresh = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    assert fresh["institution"]["id"] == world.hp_inst["id"]
    assert call_as(world.hp_reviewer, "registration_accept", id=fresh["id"])["state"] == "accepted"
    assert _allowed(world.hp_reviewer, "registration_revoke", package_id=hp_work["registered"])
    actions = [e.action for e in supervision.events(world.hp_inst["id"])]
    assert actions == ["suspend_institution", "reinstate_institution"]
    assert history.verify(model.Session).ok


def test_undecided_objections_follow_their_application(world, tmp_path, monkeypatch,
                                                         ckan_config):
    from ckanext.tjregistry.tests.publicity_helpers import filing, in_publicity

    monkeypatch.setitem(ckan_config, "tjregistry.objection.storage_dir", str(tmp_path))
    _dataset, application = in_publicity(world)
    filed = helpers.call_action("objection_create", {"user": ""}, **filing(application["id"]))
    call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst", reasons="暂停")
    moves = call_as(world.hp_clerk, "registration_history", id=application["id"])
    move = next(e for e in moves if e["action"] == "reassign")
    assert move["data"]["objections"] == [filed["number"]]
    # After the reinstatement the application and its objection stay with the city.
    call_as(world.hp_acting_officer, "institution_reinstate", id="hp-inst", reasons="恢复")
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "objection_decide", id=filed["id"], decision="not_upheld",
                finding="经核查,异议理由不成立。")
    call_as(world.city_reviewer, "objection_decide", id=filed["id"], decision="not_upheld",
            finding="经核查,异议理由不成立。")
    assert _app(application["id"]).state == "publicity"


def test_a_district_authority_supervises_only_its_own_institution(world, hp_work):
    call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst", reasons="约谈无效")
    for institution in ("bh-inst", "city-inst"):
        with pytest.raises(tk.NotAuthorized):
            call_as(world.hp_acting_officer, "institution_suspend", id=institution,
                    reasons="越级")
    call_as(world.hp_acting_officer, "institution_reinstate", id="hp-inst", reasons="已整改")


@pytest.mark.parametrize("who", ["officer", "hp_officer", "sysadmin", "hp_reviewer",
                                 "city_reviewer", "hp_clerk", "outsider", None])
def test_no_one_else_may_suspend(world, who):
    user = world.users[who] if who else None
    with pytest.raises(tk.NotAuthorized):
        call_as(user, "institution_suspend", id="hp-inst", reasons="无权")
    assert _status("hp-inst") == "active"


def test_bad_requests_are_refused_without_changes(world, hp_work):
    officer = world.hp_acting_officer
    for reasons in ("", "   ", None):
        with pytest.raises(tk.ValidationError) as error:
            call_as(officer, "institution_suspend", id="hp-inst", reasons=reasons)
        assert error.value.error_dict["reasons"] == ["请说明理由 / Give the reasons"]
    with pytest.raises(tk.ValidationError) as error:
        call_as(officer, "institution_suspend", id="hp-inst", reasons="长" * 2001)
    assert "2000" in error.value.error_dict["reasons"][0]
    with pytest.raises(tk.ValidationError) as error:
        call_as(officer, "institution_reinstate", id="hp-inst", reasons="无需")
    assert "not suspended" in error.value.error_dict["id"][0]
    with pytest.raises(tk.ObjectNotFound):
        call_as(officer, "institution_suspend", id="hp-reg", reasons="不是登记机构")
    with pytest.raises(tk.ObjectNotFound):
        call_as(officer, "institution_suspend", id="nowhere", reasons="不存在")
    with pytest.raises(tk.ValidationError):
        call_as(officer, "institution_suspend", reasons="未指定")

    call_as(officer, "institution_suspend", id="hp-inst", reasons="第一次")
    with pytest.raises(tk.ValidationError) as error:
        call_as(officer, "institution_suspend", id="hp-inst", reasons="第二次")
    assert "已被暂停" in error.value.error_dict["id"][0]
    assert len(supervision.events()) == 1


def test_the_last_city_institution_cannot_be_suspended(world, hp_work):
    before = model.Session.query(Event).count()
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.city_acting_officer, "institution_suspend", id="city-inst",
                reasons="市级机构履职不当")
    assert "市级登记机构" in error.value.error_dict["id"][0]
    # The transaction was rolled back: nothing changed, nothing was recorded.
    model.Session.remove()
    assert _status("city-inst") == "active"
    assert model.Session.query(Event).count() == before
    assert jurisdiction.city_institution().id == world.city_inst["id"]


def test_the_city_institution_can_be_suspended_when_another_takes_over(world, hp_work):
    from ckanext.tjregistry.tests.workflow_helpers import make_org

    city_app = submit(world.city_clerk, make_dataset(world.city_reg,
                                                     activity_start_date=recently()))
    second = make_org("city-inst-2", "institution", "city", "120000",
                      qualification_status="active", title="天津市数据发展中心(新)")
    result = call_as(world.city_acting_officer, "institution_suspend", id="city-inst",
                     reasons="资格取消")
    assert result["reassigned"] == [city_app["id"]]
    assert result["reassigned_to"] == second["id"]
    assert _app(city_app["id"]).institution_id == second["id"]


def test_service_reports_credit_the_institution_that_acted(world, hp_work):
    call_as(world.hp_acting_officer, "institution_suspend", id="hp-inst", reasons="暂停")
    call_as(world.city_reviewer, "registration_accept", id=hp_work["submitted"])
    city = call_as(world.officer, "institution_service_report", institution="city-inst")
    hp = call_as(world.officer, "institution_service_report", institution="hp-inst")
    assert city["counts"]["accept"] == 1
    assert hp["counts"]["accept"] == 2  # the two it accepted before the suspension
    assert hp["institution"]["qualification_status"] == "suspended"


def _auth(user):
    return {"Authorization": user["token"]}


def test_supervision_page_and_its_forms(app, world, hp_work):
    page = app.get("/registration/supervision", headers=_auth(world.hp_acting_officer))
    assert page.status_code == 200
    soup = BeautifulSoup(page.body, "html.parser")
    assert soup.find(id="tjr-supervision-heading").text.strip() == "登记机构监管"
    row = soup.find("tr", attrs={"data-institution": "hp-inst"})
    assert row["data-status"] == "active"
    assert row.find("form")["action"] == "/registration/supervision/hp-inst/suspend"

    response = app.post("/registration/supervision/hp-inst/suspend",
                        headers=_auth(world.hp_acting_officer),
                        data={"reasons": "拒不履职"}, follow_redirects=False)
    assert response.status_code == 302
    assert _status("hp-inst") == "suspended"
    soup = BeautifulSoup(app.get("/registration/supervision",
                                 headers=_auth(world.hp_acting_officer)).body, "html.parser")
    row = soup.find("tr", attrs={"data-institution": "hp-inst"})
    assert row["data-status"] == "suspended"
    assert row.find("form")["action"] == "/registration/supervision/hp-inst/reinstate"
    history_rows = soup.find(id="tjr-supervision-history").find_all("tr")
    assert "暂停登记机构资格" in history_rows[1].text and "拒不履职" in history_rows[1].text

    # Read-only viewers see the list without forms; their posts are refused.
    soup = BeautifulSoup(app.get("/registration/supervision", headers=_auth(world.officer)).body,
                         "html.parser")
    assert soup.find("tr", attrs={"data-institution": "hp-inst"}).find("form") is None
    assert app.post("/registration/supervision/hp-inst/reinstate", headers=_auth(world.officer),
                    data={"reasons": "x"}).status_code == 403
    assert app.get("/registration/supervision", headers=_auth(world.outsider)).status_code == 403
    assert app.get("/registration/supervision").status_code == 403
    # A missing reason is a message on the page, not an error page.
    response = app.post("/registration/supervision/hp-inst/reinstate",
                        headers=_auth(world.hp_acting_officer), data={"reasons": ""})
    assert response.status_code == 200 and "请说明理由" in response.body
    assert _status("hp-inst") == "suspended"
