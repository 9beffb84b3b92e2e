"""Supervisory measures (Art. 27, 28): who acts (the data authority of the same level),
cancellation of an institution's qualification, and the records of interviews (约谈)
and on-site guidance (现场指导)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, jurisdiction, workdays
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.supervision import qualification as supervision
from ckanext.tjregistry.tests import live_server
from ckanext.tjregistry.tests.supervision_helpers import add_city_acting_officer, recently
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    make_dataset,
    make_org,
    make_user,
    submit,
)

SUMMARY = "约谈记录内容:受理时限多次超期,须限期整改"


@pytest.fixture
def world(world):
    """The conftest's 和平区 data authority, an acting city officer and a 滨海新区 data
    authority with its own acting officer."""
    add_city_acting_officer(world)
    bh_authority = make_org("authority-120116", "authority", "district", "120116",
                            title="滨海新区数据局")
    world.orgs["bh_authority"] = bh_authority
    world.users["bh_acting_officer"] = make_user("bh_acting_officer", bh_authority,
                                                 capacity="admin")
    return world


def _allowed(user: dict[str, Any] | None, auth: str, **data: Any) -> bool:
    try:
        tk.check_access(auth, {"user": user["name"] if user else ""}, data)
    except tk.NotAuthorized:
        return False
    return True


def _status(org_name: str) -> str:
    model.Session.remove()
    return jurisdiction.institution(org_name).status


def _record(user: dict[str, Any], institution: str = "hp-inst", **overrides: Any) -> Any:
    data = {"id": institution, "kind": "interview",
            "date": workdays.local_today().isoformat(),
            "participants": "和平区数据局张三;和平区登记机构李四", "summary": SUMMARY,
            "follow_up": "三十日内提交整改报告"}
    data.update(overrides)
    return call_as(user, "institution_supervision_record_create", **data)


# ---------------------------------------------------------------------------
# Who acts


def test_the_data_authority_of_the_same_level_supervises(world):
    hp, city, bh = world.hp_acting_officer, world.city_acting_officer, world.bh_acting_officer
    for auth in ("institution_suspend", "institution_qualification_cancel",
                 "institution_supervision_record_create"):
        assert _allowed(hp, auth, id="hp-inst")
        assert not _allowed(hp, auth, id="bh-inst")
        assert not _allowed(hp, auth, id="city-inst")
        assert _allowed(bh, auth, id="bh-inst")
        assert not _allowed(bh, auth, id="hp-inst")
        assert _allowed(city, auth, id="city-inst")
    # Suspension of a district institution is its district authority's, not the city's.
    assert not _allowed(city, "institution_suspend", id="hp-inst")
    assert not _allowed(city, "institution_reinstate", id="bh-inst")
    # A district without a data authority on the platform: the city authority acts.
    make_org("xq-inst", "institution", "district", "120111", qualification_status="active",
             title="西青区登记机构")
    assert _allowed(city, "institution_suspend", id="xq-inst")
    assert _allowed(city, "institution_qualification_cancel", id="xq-inst")
    assert not _allowed(hp, "institution_suspend", id="xq-inst")


@pytest.mark.parametrize("who", ["officer", "hp_officer", "sysadmin", "hp_reviewer",
                                 "city_reviewer", "hp_clerk", "outsider", None])
def test_no_one_else_may_cancel_or_record(world, who):
    user = world.users[who] if who else None
    with pytest.raises(tk.NotAuthorized):
        call_as(user, "institution_qualification_cancel", id="hp-inst", reasons="无权")
    with pytest.raises(tk.NotAuthorized):
        _record(user)
    assert _status("hp-inst") == "active"
    assert supervision.records(world.hp_inst["id"]) == []


def test_the_city_authority_cancels_a_district_institution_it_guided(world):
    """Art. 27: the city authority guides rectification; on refusal it may cancel."""
    city = world.city_acting_officer
    with pytest.raises(tk.NotAuthorized):
        call_as(city, "institution_qualification_cancel", id="hp-inst", reasons="拒不整改")
    # A record of the district authority does not count as the city's guidance.
    _record(world.hp_acting_officer)
    assert not _allowed(city, "institution_qualification_cancel", id="hp-inst")
    guidance = _record(city, kind="onsite_guidance", summary="市数据局现场指导整改")
    assert guidance["authority_scope"] == "city"
    result = call_as(city, "institution_qualification_cancel", id="hp-inst",
                     reasons="经现场指导后拒不整改")
    assert result["qualification_status"] == "cancelled"


# ---------------------------------------------------------------------------
# Cancellation


@pytest.fixture
def open_work(world) -> dict[str, str]:
    submitted = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    accepted = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    call_as(world.hp_reviewer, "registration_accept", id=accepted["id"])
    return {"submitted": submitted["id"], "accepted": accepted["id"]}


def test_cancellation_is_final_and_moves_open_matters_to_the_city(world, open_work):
    officer = world.hp_acting_officer
    result = call_as(officer, "institution_qualification_cancel", id="hp-inst",
                     reasons="开展虚假登记,经约谈拒不整改")
    city_id = world.city_inst["id"]
    assert result["qualification_status"] == "cancelled"
    assert sorted(result["reassigned"]) == sorted(open_work.values())
    assert result["reassigned_to"] == city_id
    assert _status("hp-inst") == "cancelled"
    for app_id in open_work.values():
        assert model.Session.get(Application, app_id).institution_id == city_id

    event = model.Session.get(Event, result["event_id"])
    assert (event.subject, event.action) == ("institution", "cancel_institution_qualification")
    assert (event.from_state, event.to_state) == ("active", "cancelled")
    assert event.note == "开展虚假登记,经约谈拒不整改"
    assert event.actor_id == officer["id"]
    moves = call_as(world.hp_clerk, "registration_history", id=open_work["accepted"])
    move = next(e for e in moves if e["action"] == "reassign")
    assert move["data"]["cause"] == "cancel_institution_qualification"

    # Its staff cannot act; new applications of the district go to the city.
    assert not _allowed(world.hp_reviewer, "registration_accept", id=open_work["submitted"])
    assert call_as(world.city_reviewer, "registration_accept",
                   id=open_work["submitted"])["state"] == "accepted"
    fresh = submit(world.hp_clerk, make_dataset(world.hp_reg, activity_start_date=recently()))
    assert fresh["institution"]["id"] == city_id

    # Final: no reinstatement, no second cancellation, no suspension.
    for action, message in (("institution_reinstate", "cannot"),
                            ("institution_qualification_cancel", "final"),
                            ("institution_suspend", "final")):
        with pytest.raises(tk.ValidationError) as error:
            call_as(officer, action, id="hp-inst", reasons="再次")
        assert error.value.error_dict["id"] == [
            "该登记机构资格已被取消,不能再作变更 / The institution's qualification is "
            "cancelled, which is final"], message
    assert _status("hp-inst") == "cancelled"
    assert [e.action for e in supervision.events(world.hp_inst["id"])] == [
        "cancel_institution_qualification"]
    assert history.verify(model.Session).ok

    listed = call_as(world.officer, "institution_qualification_list")
    hp = next(i for i in listed["institutions"] if i["name"] == "hp-inst")
    assert hp["qualification_status"] == "cancelled"


def test_a_suspended_institution_can_be_cancelled(world, open_work):
    officer = world.hp_acting_officer
    call_as(officer, "institution_suspend", id="hp-inst", reasons="整改期间暂停")
    result = call_as(officer, "institution_qualification_cancel", id="hp-inst",
                     reasons="整改期满仍未整改")
    assert result["reassigned"] == []
    event = model.Session.get(Event, result["event_id"])
    assert (event.from_state, event.to_state) == ("suspended", "cancelled")


def test_the_last_city_institution_cannot_be_cancelled(world):
    before = model.Session.query(Event).count()
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.city_acting_officer, "institution_qualification_cancel", id="city-inst",
                reasons="履职不当")
    assert "市级登记机构" in error.value.error_dict["id"][0]
    assert " / " in error.value.error_dict["id"][0]
    assert _status("city-inst") == "active"
    assert model.Session.query(Event).count() == before
    # With a second city institution it can, and its matters go there.
    second = make_org("city-inst-2", "institution", "city", "120000",
                      qualification_status="active", title="天津市数据发展中心(新)")
    result = call_as(world.city_acting_officer, "institution_qualification_cancel",
                     id="city-inst", reasons="履职不当")
    assert result["reassigned_to"] == second["id"]


def test_cancellation_is_announced_without_the_reasons(world):
    call_as(world.hp_acting_officer, "institution_qualification_cancel", id="hp-inst",
            reasons="内部核查细节不公开")
    result = helpers.call_action("announcement_list", {"user": ""},
                                 kind="institution_qualification_cancelled")
    assert result["count"] == 1
    item = result["results"][0]
    assert item["kind_label"]["zh_Hans_CN"] == "取消登记机构资格"
    assert item["institution_name"] == "和平区登记机构"
    assert "内部核查细节不公开" not in str(result)
    # Records of interviews are never announced.
    _record(world.bh_acting_officer, institution="bh-inst")
    everything = helpers.call_action("announcement_list", {"user": ""})
    assert [i["kind"] for i in everything["results"]] == ["institution_qualification_cancelled"]


def test_bad_cancellation_requests_are_refused(world):
    officer = world.hp_acting_officer
    for reasons in ("", "  ", None):
        with pytest.raises(tk.ValidationError) as error:
            call_as(officer, "institution_qualification_cancel", id="hp-inst", reasons=reasons)
        assert error.value.error_dict["reasons"] == ["请说明理由 / Give the reasons"]
    with pytest.raises(tk.ObjectNotFound):
        call_as(officer, "institution_qualification_cancel", id="hp-reg", reasons="不是登记机构")
    with pytest.raises(tk.ValidationError):
        call_as(officer, "institution_qualification_cancel", reasons="未指定")
    assert _status("hp-inst") == "active"


# ---------------------------------------------------------------------------
# Records of interviews and on-site guidance


def test_records_are_history_entries_read_by_the_authorities_and_the_staff(world):
    created = _record(world.hp_acting_officer)
    assert created["kind"] == "interview" and created["kind_label"]["zh_Hans_CN"] == "约谈"
    assert created["summary"] == SUMMARY and created["follow_up"] == "三十日内提交整改报告"
    assert created["authority_scope"] == "120101"
    assert created["recorded_by"] == "hp_acting_officer"
    event = model.Session.get(Event, created["id"])
    assert (event.subject, event.action) == ("institution_supervision", "supervision_record")
    assert event.institution_id == world.hp_inst["id"]
    _record(world.hp_acting_officer, kind="onsite_guidance", follow_up="",
            date=(workdays.local_today() - dt.timedelta(days=3)).isoformat())
    assert history.verify(model.Session).ok

    for reader in ("hp_acting_officer", "hp_officer", "officer", "city_acting_officer",
                   "hp_reviewer", "hp_reviewer_2"):
        listed = call_as(world.users[reader], "institution_supervision_record_list",
                         id="hp-inst")
        assert [r["kind"] for r in listed["records"]] == ["onsite_guidance", "interview"]
    for outsider in ("bh_acting_officer", "bh_reviewer", "city_reviewer", "hp_clerk",
                     "outsider", "sysadmin", None):
        with pytest.raises(tk.NotAuthorized):
            call_as(world.users[outsider] if outsider else None,
                    "institution_supervision_record_list", id="hp-inst")
    # The qualification history (read by every institution) does not hold them.
    listing = call_as(world.bh_reviewer, "institution_qualification_list")
    assert listing["events"] == [] and SUMMARY not in str(listing)


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("kind", "lunch", "interview or onsite_guidance"),
    ("kind", "", "interview or onsite_guidance"),
    ("date", "2026-13-40", "YYYY-MM-DD"),
    ("date", "", "Give the date"),
    ("date", "tomorrow", "YYYY-MM-DD"),
    ("participants", "  ", "Give the participants"),
    ("participants", "人" * 501, "500"),
    ("summary", "", "Give the summary"),
    ("summary", "长" * 2001, "2000"),
    ("follow_up", "长" * 2001, "2000"),
])
def test_bad_records_are_refused_in_both_languages(world, field, value, fragment):
    with pytest.raises(tk.ValidationError) as error:
        _record(world.hp_acting_officer, **{field: value})
    message = error.value.error_dict[field][0]
    assert fragment in message and " / " in message
    assert supervision.records(world.hp_inst["id"]) == []


def test_a_record_cannot_be_dated_in_the_future(world):
    tomorrow = (workdays.local_today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(tk.ValidationError) as error:
        _record(world.hp_acting_officer, date=tomorrow)
    assert error.value.error_dict["date"] == [
        "日期不能晚于今天 / The date cannot be in the future"]


# ---------------------------------------------------------------------------
# Pages


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": user["token"]}


def test_the_records_page_and_its_form(app, world):
    officer = world.hp_acting_officer
    page = app.get("/registration/supervision", headers=_auth(officer))
    row = BeautifulSoup(page.body, "html.parser").find("tr", attrs={"data-institution": "hp-inst"})
    assert row.find("form", class_="tjr-cancel-form")["action"] == (
        "/registration/supervision/hp-inst/cancel")
    assert row.find("a", class_="tjr-records-link")["href"] == (
        "/registration/supervision/hp-inst/records")
    # The city authority reads the records of a district institution but does not suspend it.
    page = app.get("/registration/supervision", headers=_auth(world.city_acting_officer))
    row = BeautifulSoup(page.body, "html.parser").find("tr", attrs={"data-institution": "hp-inst"})
    assert row.find("form") is None and row.find("a", class_="tjr-records-link")

    response = app.post("/registration/supervision/hp-inst/records", headers=_auth(officer),
                        data={"kind": "onsite_guidance", "date": recently(),
                              "participants": "张三", "summary": SUMMARY, "follow_up": ""},
                        follow_redirects=False)
    assert response.status_code == 302
    soup = BeautifulSoup(app.get("/registration/supervision/hp-inst/records",
                                 headers=_auth(world.hp_reviewer)).body, "html.parser")
    record = soup.find(id="tjr-supervision-records").find("tr", attrs={"data-kind":
                                                                       "onsite_guidance"})
    assert SUMMARY in record.text and "现场指导" in record.text
    assert soup.find(id="tjr-record-form") is None  # staff read, they do not record

    # Bad input: the page again with the message and what was typed.
    response = app.post("/registration/supervision/hp-inst/records", headers=_auth(officer),
                        data={"kind": "interview", "date": recently(), "participants": "",
                              "summary": "未完成的记录"})
    assert response.status_code == 200 and "请填写参加人员" in response.body
    assert "未完成的记录" in response.body
    assert len(supervision.records(world.hp_inst["id"])) == 1

    response = app.post("/registration/supervision/hp-inst/cancel", headers=_auth(officer),
                        data={"reasons": "拒不整改"}, follow_redirects=False)
    assert response.status_code == 302 and _status("hp-inst") == "cancelled"
    soup = BeautifulSoup(app.get("/registration/supervision", headers=_auth(officer)).body,
                         "html.parser")
    row = soup.find("tr", attrs={"data-institution": "hp-inst"})
    assert row["data-status"] == "cancelled" and row.find("form") is None


# ---------------------------------------------------------------------------
# Over real HTTP


def test_who_may_do_what_over_http(ckan_server, world):
    post = live_server.api_post
    hp, bh = world.hp_acting_officer["token"], world.bh_acting_officer["token"]
    record = {"kind": "interview", "date": recently(), "participants": "张三",
              "summary": SUMMARY}

    created = post(ckan_server, "institution_supervision_record_create", hp, id="hp-inst",
                   **record)
    assert created.status_code == 200, created.text
    assert created.json()["result"]["summary"] == SUMMARY

    # Anonymous callers and another district's authority: refused, and nothing leaks.
    for token in (None, bh, world.bh_reviewer["token"], world.hp_clerk["token"]):
        listed = post(ckan_server, "institution_supervision_record_list", token, id="hp-inst")
        assert listed.status_code == 403 and SUMMARY not in live_server.decoded(listed)
        for action, data in (("institution_supervision_record_create", record),
                             ("institution_qualification_cancel", {"reasons": "越权"}),
                             ("institution_suspend", {"reasons": "越权"})):
            response = post(ckan_server, action, token, id="hp-inst", **data)
            assert response.status_code == 403, (action, response.text)
        page = requests.get(ckan_server.url("/registration/supervision/hp-inst/records"),
                            headers={"Authorization": token} if token else {}, timeout=60,
                            allow_redirects=False)
        assert page.status_code == 403 and SUMMARY not in page.text
    # The district authority does not act on another district's institution.
    assert post(ckan_server, "institution_supervision_record_create", hp, id="bh-inst",
                **record).status_code == 403
    assert post(ckan_server, "institution_qualification_cancel", hp, id="bh-inst",
                reasons="越权").status_code == 403

    # The institution's own staff read them, on the API and on the page.
    staff = world.hp_reviewer["token"]
    listed = post(ckan_server, "institution_supervision_record_list", staff, id="hp-inst")
    assert listed.status_code == 200 and SUMMARY in live_server.decoded(listed)
    page = requests.get(ckan_server.url("/registration/supervision/hp-inst/records"),
                        headers={"Authorization": staff}, timeout=60)
    assert page.status_code == 200 and SUMMARY in page.text

    # Bad input: a bilingual validation error, not a server error.
    bad = post(ckan_server, "institution_supervision_record_create", hp, id="hp-inst",
               **{**record, "kind": "lunch"})
    assert bad.status_code == 409
    assert bad.json()["error"]["kind"] == [
        "类型应为约谈(interview)或现场指导(onsite_guidance) / The kind must be interview or "
        "onsite_guidance"]

    # The same-level authority cancels; the public sees the announcement only.
    cancelled = post(ckan_server, "institution_qualification_cancel", hp, id="hp-inst",
                     reasons="拒不整改的内部细节")
    assert cancelled.status_code == 200, cancelled.text
    assert post(ckan_server, "institution_reinstate", hp, id="hp-inst",
                reasons="恢复").status_code == 409
    announced = post(ckan_server, "announcement_list", None)
    assert [i["kind"] for i in announced.json()["result"]["results"]] == [
        "institution_qualification_cancelled"]
    public = live_server.decoded(announced)
    assert "和平区登记机构" in public
    assert "拒不整改的内部细节" not in public and SUMMARY not in public
