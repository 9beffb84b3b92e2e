"""Renewal (续展) by request: reminders before expiry, the registrant's request, the
competent institution's decision (recusal, a suspended issuer), the rule after lapse,
bad input, and the request over real HTTP."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from click.testing import CliRunner

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import jobs
from ckan.tests import factories

from ckanext.tjregistry.certificates import issuance, renewal
from ckanext.tjregistry.certificates.procedure import expire_and_notify
from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Event, Notification
from ckanext.tjregistry.model.renewal import RenewalReminder
from ckanext.tjregistry.publicity.scheduler import Scheduler, send_tick
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests import live_server
from ckanext.tjregistry.tests.certificates.conftest import move_term
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    colleague,
    make_dataset,
    make_user,
    set_org_fields,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def ckan_server_options(tmp_path) -> dict[str, str]:
    # The server signs with this test's keys (own_key_dir).
    return {"tjregistry.certificate.key_dir": str(tmp_path / "keys")}


def _registered(world, title: str = "和平区学校名录") -> dict[str, Any]:
    """Registered through the workflow: submitted, accepted, approved by a second
    reviewer; approval issues the certificate."""
    dataset = make_dataset(world.hp_reg, title=title)
    application = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])
    model.Session.remove()
    certificate = issuance.current_for_package(dataset["id"])
    assert certificate is not None and certificate.status == "valid"
    return {"code": certificate.code, "package_id": dataset["id"]}


def _in_window(world, days_left: int = 20) -> dict[str, Any]:
    issued = _registered(world)
    move_term(issued["code"], workdays.local_today() + dt.timedelta(days=days_left))
    return issued


def _notices(user: dict[str, Any], action: str) -> list[Notification]:
    model.Session.remove()
    user_id = model.User.get(user["name"]).id
    return (model.Session.query(Notification)
            .filter(Notification.user_id == user_id, Notification.action == action).all())


def _messages(caught: pytest.ExceptionInfo) -> str:
    return " ".join(m for ms in caught.value.error_dict.values() for m in ms)


def _events(package_id: str, action: str) -> list[Event]:
    model.Session.remove()
    return (model.Session.query(Event)
            .filter(Event.package_id == package_id, Event.action == action).all())


# ---------------------------------------------------------------- reminders


def test_reminders_at_90_30_and_7_days_once_each_from_the_scheduler(world, monkeypatch):
    monkeypatch.setattr(renewal, "_queued_for", {})
    queue = jobs.get_queue(tk.config.get("tjregistry.publicity.job_queue") or "default")
    queue.empty()
    issued = _registered(world)
    today = workdays.local_today()
    last_day = today + dt.timedelta(days=95)
    move_term(issued["code"], last_day)
    tianjin = workdays.timezone()
    clock = {"now": dt.datetime.combine(today, dt.time(9, 0), tianjin)}
    scheduler = Scheduler(wait=lambda seconds: False,
                          clock=lambda: clock["now"].astimezone(dt.timezone.utc),
                          enqueue=lambda: None, tick=send_tick)

    def on(days_left: int) -> list[tuple[str, int]]:
        """The scheduler's step on the day ``days_left`` before expiry; then the worker's
        part: the reminder jobs queued."""
        clock["now"] = dt.datetime.combine(last_day - dt.timedelta(days=days_left),
                                           dt.time(9, 0), tianjin)
        scheduler._pause(0)
        sent: list[tuple[str, int]] = []
        for job in queue.get_jobs():
            if job.func_name == "ckanext.tjregistry.certificates.renewal.reminder_job":
                sent.extend(job.perform())
            job.delete()
        model.Session.remove()
        return sent

    code = issued["code"]
    assert on(95) == []
    assert on(90) == [(code, 90)]
    assert on(89) == []
    assert on(45) == []
    assert on(30) == [(code, 30)]
    assert on(29) == []
    assert on(7) == [(code, 7)]
    assert on(3) == [] and on(0) == []
    notices = _notices(world.hp_clerk, renewal.REMINDER)
    assert len(notices) == 3
    assert {n.package_id for n in notices} == {issued["package_id"]}
    assert sorted(row.days for row in model.Session.query(RenewalReminder)) == [7, 30, 90]
    # The notifications page names the notice.
    listed = call_as(world.hp_clerk, "registration_notification_list")["results"]
    labels = [n["label"]["en"] for n in listed if n["action"] == renewal.REMINDER]
    assert labels == ["Certificate expiring: renewal reminder"] * 3
    # The institution's staff are not the registrant: no reminder for them.
    assert _notices(world.hp_reviewer, renewal.REMINDER) == []


def test_the_command_sends_the_nearest_reminder_once_per_version(world):
    issued = _registered(world)
    today = workdays.local_today()
    move_term(issued["code"], today + dt.timedelta(days=20))
    runner = CliRunner()
    result = runner.invoke(tjregistry, ["certificate", "remind", "--date", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"reminded {issued['code']} (30 days)" in result.output
    again = runner.invoke(tjregistry, ["certificate", "remind", "--date", today.isoformat()])
    assert "0 renewal reminder(s) sent" in again.output
    assert len(_notices(world.hp_clerk, renewal.REMINDER)) == 1
    bad = runner.invoke(tjregistry, ["certificate", "remind", "--date", "2026-13-01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


# ---------------------------------------------------------------- request and decision


def test_request_then_approval_keeps_the_code_with_the_next_term(world):
    issued = _in_window(world)
    code = issued["code"]
    before = issuance.current_for_code(code)
    old_until, old_term_end = before.valid_until, before.term_end
    request = call_as(world.hp_clerk, "certificate_renewal_request", code=code,
                      note="请续展 / please renew")
    assert request["status"] == "pending" and request["certificate_version"] == 1
    assert [e.data["note"] for e in _events(issued["package_id"], "renewal_requested")] == [
        "请续展 / please renew"]
    assert len(_notices(world.hp_reviewer, renewal.REQUESTED)) == 1
    # The registrant sees its request; the institution sees it among its pending ones.
    mine = call_as(world.hp_clerk, "certificate_renewal_list", code=code)["results"]
    assert [r["status"] for r in mine] == ["pending"]
    queue = call_as(world.hp_reviewer, "certificate_renewal_list")["results"]
    assert [r["code"] for r in queue] == [code]
    # One pending request per code.
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    assert "已有待决定的续展申请" in _messages(caught) and "already pending" in _messages(caught)

    decided = call_as(world.hp_reviewer, "certificate_renewal_decide", code=code,
                      decision="approve")
    assert decided["status"] == "approved" and decided["renewed_version"] == 2
    renewed = decided["certificate"]
    assert renewed["code"] == code and renewed["version"] == 2 and renewed["status"] == "valid"
    expected = (old_term_end + dt.timedelta(days=1)).replace(
        year=old_term_end.year + 3) - dt.timedelta(days=1)
    assert renewed["valid_until"] == expected.isoformat() and expected > old_until
    assert renewed["content"]["issue_reason"] == "renewal"
    assert issuance.version_for_code(code, 1).status == "superseded"
    assert [e.data["request_id"] for e in _events(issued["package_id"], "renew_certificate")] \
        == [request["id"]]
    assert len(_notices(world.hp_clerk, renewal.APPROVED_EVENT)) == 1
    assert call_as(world.hp_reviewer, "certificate_renewal_list")["results"] == []
    assert workflow.registration_status(issued["package_id"]) == "registered"


def test_rejection_needs_reasons_and_leaves_the_certificate(world):
    issued = _in_window(world)
    code = issued["code"]
    call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_reviewer, "certificate_renewal_decide", code=code, decision="reject")
    assert caught.value.error_dict["reasons"] == [
        "不予批准应当说明理由 / Give the reasons for a rejection"]
    decided = call_as(world.hp_reviewer, "certificate_renewal_decide", code=code,
                      decision="reject", reasons="授权运营期限已届满 / authorisation ended")
    assert decided["status"] == "rejected" and decided["certificate"] is None
    assert decided["reasons"] == "授权运营期限已届满 / authorisation ended"
    assert issuance.current_for_code(code).version == 1
    event = _events(issued["package_id"], "renewal_rejected")[0]
    assert event.data["reasons"] == "授权运营期限已届满 / authorisation ended"
    assert len(_notices(world.hp_clerk, renewal.REJECTED_EVENT)) == 1
    # Nothing pending any more: a decision needs a request, a new request may be made.
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_reviewer, "certificate_renewal_decide", code=code, decision="approve")
    assert "没有待决定的续展申请" in _messages(caught)
    assert call_as(world.hp_clerk, "certificate_renewal_request", code=code)["status"] == "pending"


def test_only_the_registrant_requests_and_only_the_institution_decides(world):
    issued = _in_window(world)
    code = issued["code"]
    for user in (world.outsider, world.hp_reviewer, world.bh_clerk):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "certificate_renewal_request", code=code)
    call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    for user in (world.hp_clerk, world.bh_reviewer, world.city_reviewer, world.outsider):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "certificate_renewal_decide", code=code, decision="approve")
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "certificate_renew", code=code)
    with pytest.raises(tk.NotAuthorized):
        call_as(world.outsider, "certificate_renewal_list", code=code)
    # certificate_renew by the institution decides the pending request.
    renewed = call_as(world.hp_reviewer, "certificate_renew", code=code)
    assert renewed["version"] == 2
    assert call_as(world.hp_clerk, "certificate_renewal_list",
                   code=code)["results"][0]["status"] == "approved"


def test_a_reviewer_tied_to_the_registrant_is_recused(world):
    issued = _in_window(world)
    code = issued["code"]
    tied = make_user("hp_tied_reviewer", world.hp_inst)
    call_as(world.sysadmin, "organization_member_create", id=world.hp_reg["id"],
            username=tied["name"], role="member")
    call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    for action in ("certificate_renewal_decide", "certificate_renew"):
        with pytest.raises(tk.NotAuthorized) as caught:
            call_as(tied, action, code=code, decision="approve")
        assert "回避" in str(caught.value) and "recused" in str(caught.value)
    assert issuance.current_for_code(code).version == 1


def test_with_the_issuer_suspended_the_city_institution_decides(world):
    issued = _in_window(world)
    code = issued["code"]
    set_org_fields(world.hp_inst["id"], qualification_status="suspended")
    call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    assert len(_notices(world.city_reviewer, renewal.REQUESTED)) == 1
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "certificate_renewal_decide", code=code, decision="approve")
    assert [r["code"] for r in call_as(world.city_reviewer, "certificate_renewal_list")[
        "results"]] == [code]
    decided = call_as(world.city_reviewer, "certificate_renewal_decide", code=code,
                      decision="approve")
    assert decided["decided_institution_id"] == world.city_inst["id"]
    current = issuance.current_for_code(code)
    assert current.version == 2 and current.institution_id == world.city_inst["id"]
    assert current.envelope["institution"] == world.city_inst["name"]


# ---------------------------------------------------------------- the window and lapse


def test_before_the_window_opens_the_request_is_refused(world):
    issued = _registered(world)
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=issued["code"])
    assert "续展申请可自" in _messages(caught) and "may be requested from" in _messages(caught)


def test_after_lapse_a_new_registration_is_needed_by_default(world):
    issued = _registered(world)
    today = workdays.local_today()
    move_term(issued["code"], today - dt.timedelta(days=1))
    expire_and_notify(today)
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=issued["code"])
    message = _messages(caught)
    assert "需重新办理首次登记" in message and "new initial registration" in message


def test_renewal_after_expiry_within_the_configured_days_keeps_the_code(world, ckan_config,
                                                                        monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.certificate.renewal_after_expiry_days", "30")
    today = workdays.local_today()
    lapsed = _registered(world)
    move_term(lapsed["code"], today - dt.timedelta(days=10))
    expire_and_notify(today)
    assert workflow.registration_status(lapsed["package_id"]) == "expired"
    call_as(world.hp_clerk, "certificate_renewal_request", code=lapsed["code"])
    decided = call_as(world.hp_reviewer, "certificate_renewal_decide", code=lapsed["code"],
                      decision="approve")
    assert decided["certificate"]["code"] == lapsed["code"]
    assert decided["certificate"]["status"] == "valid"
    assert workflow.registration_status(lapsed["package_id"]) == "registered"
    # More than 30 days after expiry: too late.
    late = _registered(world, title="和平区图书馆名录")
    move_term(late["code"], today - dt.timedelta(days=31))
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=late["code"])
    assert "超过 30 日" in _messages(caught) and "more than 30 days" in _messages(caught)


# ---------------------------------------------------------------- input


@pytest.mark.parametrize(("action", "data", "field", "expected"), [
    ("certificate_renewal_request", {}, "code", "请填写登记编号 / Missing value"),
    ("certificate_renewal_request", {"code": "TJ-1"}, "code", "登记编号长度不正确"),
    ("certificate_renewal_request", {"code": ["x"]}, "code", "Missing value"),
    ("certificate_renewal_decide", {}, "code", "请填写登记编号"),
    ("certificate_renewal_list", {"code": {"a": 1}}, "code", "Missing value"),
])
def test_bad_input_is_a_bilingual_validation_error(world, action, data, field, expected):
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, action, **data)
    assert any(expected in message for message in caught.value.error_dict[field])


def test_bad_note_and_decision_are_refused(world):
    issued = _in_window(world)
    code = issued["code"]
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=code, note="长" * 2001)
    assert caught.value.error_dict["note"] == ["不能超过 2000 个字符 / At most 2000 characters"]
    with pytest.raises(tk.ValidationError) as caught:
        call_as(world.hp_clerk, "certificate_renewal_request", code=code, note=["x"])
    assert "note" in caught.value.error_dict
    call_as(world.hp_clerk, "certificate_renewal_request", code=code)
    for decision, expected in (("maybe", "决定应为"), ("", "决定应为"),
                               (["approve"], "应为文本 / Must be text")):
        with pytest.raises(tk.ValidationError) as caught:
            call_as(world.hp_reviewer, "certificate_renewal_decide", code=code,
                    decision=decision)
        assert caught.value.error_dict["decision"][0].startswith(expected)
    assert issuance.current_for_code(code).version == 1


# ---------------------------------------------------------------- pages


def test_the_certificate_page_shows_the_request_form_and_the_decision_form(app, world):
    issued = _in_window(world)
    code = issued["code"]
    client = app.test_client()
    registrant = {"Authorization": factories.APIToken(user=world.hp_clerk["name"])["token"]}
    body = client.get("/registration/verify", query_string={"code": code},
                      headers=registrant).get_data(as_text=True)
    assert 'id="tjr-renewal-request-form"' in body and 'id="tjr-renew-form"' not in body
    token = dict([re.search(r'name="(_?csrf_token)" value="([^"]+)"', body).groups()])
    response = client.post(f"/registration/certificate/{code}/renewal-request",
                           data={**token, "note": "盼续展"}, headers=registrant,
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="tjr-renewal-request-status"' in body
    assert 'id="tjr-renewal-request-form"' not in body
    staff = {"Authorization": factories.APIToken(user=world.hp_reviewer["name"])["token"]}
    body = client.get("/registration/verify", query_string={"code": code},
                      headers=staff).get_data(as_text=True)
    assert 'id="tjr-renewal-decision-form"' in body and "盼续展" in body
    assert 'id="tjr-renewal-request-form"' not in body
    token = dict([re.search(r'name="(_?csrf_token)" value="([^"]+)"', body).groups()])
    response = client.post(f"/registration/certificate/{code}/renewal-decision",
                           data={**token, "decision": "approve"}, headers=staff,
                           follow_redirects=True)
    assert response.status_code == 200
    assert issuance.current_for_code(code).version == 2


# ---------------------------------------------------------------- over HTTP


def test_over_http_the_registrant_requests_and_an_outsider_is_refused(world, ckan_server):
    issued = _in_window(world)
    code = issued["code"]
    model.Session.commit()
    outsider = live_server.api_post(ckan_server, "certificate_renewal_request",
                                    world.outsider["token"], code=code)
    assert outsider.status_code == 403
    assert "只有登记主体" in live_server.decoded(outsider)
    anonymous = live_server.api_post(ckan_server, "certificate_renewal_request", None, code=code)
    assert anonymous.status_code == 403
    response = live_server.api_post(ckan_server, "certificate_renewal_request",
                                    world.hp_clerk["token"], code=code, note="HTTP")
    assert response.status_code == 200, response.text
    assert response.json()["result"]["status"] == "pending"
    # Deciding is the institution's: the registrant's own token is refused.
    refused = live_server.api_post(ckan_server, "certificate_renewal_decide",
                                   world.hp_clerk["token"], code=code, decision="approve")
    assert refused.status_code == 403
    approved = live_server.api_post(ckan_server, "certificate_renewal_decide",
                                    world.hp_reviewer["token"], code=code, decision="approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"]["certificate"]["version"] == 2
    assert "Traceback" not in ckan_server.log_tail(200_000)
