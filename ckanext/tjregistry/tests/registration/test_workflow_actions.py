"""The workflow actions through CKAN's action layer on the real stack."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

import ckan.lib.search as search
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.model import Application, Event, Notification, Registration
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    colleague,
    make_dataset,
    search_everything,
    set_org_fields,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _solr_status(package_id: str) -> str:
    result = search_everything(fq=f'id:"{package_id}"', include_private=True)
    assert result["count"] == 1
    return result["results"][0]["registration_status"]


def _facet(status: str) -> int:
    return search_everything(fq=f"registration_status:{status}", include_private=True)["count"]


def issue(app_id: str) -> None:
    workflow.on_issued(app_id, {"test": True})


def test_initial_registration_without_publicity_end_to_end(world):
    ds = make_dataset(world.hp_reg)
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "unregistered"

    app = submit(world.hp_clerk, ds)
    assert app["state"] == "submitted"
    assert app["institution"]["id"] == world.hp_inst["id"]
    assert app["routing"] == "district"
    today = workdays.local_today()
    assert app["accept_due"] == workdays.add_workdays(today, 3).isoformat()
    assert _solr_status(ds["id"]) == "pending"

    app = call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    assert app["state"] == "accepted"
    assert app["review_due"] == workdays.add_workdays(today, 20).isoformat()

    app = call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert app["state"] == "approved"  # not opened, not authorised operation: no publicity
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "pending"

    issue(app["id"])
    shown = call_as(world.hp_clerk, "registration_show", id=app["id"])
    assert shown["state"] == "issued" and not shown["is_open"]
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "registered"
    assert _solr_status(ds["id"]) == "registered"
    assert _facet("registered") == 1

    events = call_as(world.hp_clerk, "registration_history", package_id=ds["id"])
    assert [e["action"] for e in events] == [
        "submit", "accept", "approve_to_issuance", "register", "issue", "issue:data"]
    assert events[0]["role"] == "registrant" and events[1]["role"] == "reviewer"
    assert events[1]["institution"]["id"] == world.hp_inst["id"]
    assert events[0]["data"]["dataset_sha256"] == shown["dataset_sha256"]
    assert history.verify().ok


def test_open_resource_goes_to_publicity_for_ten_working_days(world):
    ds = make_dataset(world.city_reg, open_type="unconditional", access_method="open",
                      open_platform_url="https://data.tj.gov.cn/x")
    app = submit(world.city_clerk, ds)
    assert app["routing"] == "city_level"
    call_as(world.city_reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(world.city_reviewer), "registration_approve", id=app["id"])
    assert app["state"] == "publicity"
    today = workdays.local_today()
    assert app["publicity_start"] == workdays.add_workdays(today, 1).isoformat()
    assert app["publicity_end"] == workdays.add_workdays(today, 10).isoformat()
    assert _solr_status(ds["id"]) == "publicity"

    # The period is not over: the platform refuses to close it.
    with pytest.raises(tk.ValidationError):
        workflow.close_publicity(app["id"])
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app["id"]).update(
            {"publicity_end": today - dt.timedelta(days=1)})
    assert [a.id for a in publicity.due_publicity()] == [app["id"]]
    workflow.close_publicity(app["id"])
    assert call_as(world.city_clerk, "registration_show", id=app["id"])["state"] == "approved"


def test_supplement_once_per_round_and_acceptance_clock_restarts(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    items = ["补充数据字典", "补充存储位置说明"]
    app = call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
                  items=items)
    assert app["state"] == "supplement_requested"
    assert app["supplement_items"] == items
    # While asked to supplement, the registrant may edit the dataset.
    call_as(world.hp_clerk, "package_patch", id=ds["id"], notes="补充后的简介")

    with workflow.transaction() as session:  # pretend it was submitted long ago
        session.query(Application).filter_by(id=app["id"]).update(
            {"accept_due": dt.date(2025, 1, 2)})
    app = call_as(world.hp_clerk, "registration_resubmit", id=app["id"], pledge=True,
                  internal_review=True)
    assert app["state"] == "submitted" and app["round"] == 2
    assert app["accept_due"] == workdays.add_workdays(workdays.local_today(), 3).isoformat()
    # A new round may be returned once more, but only once.
    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"], items=["再补"])
    call_as(world.hp_clerk, "registration_resubmit", id=app["id"], pledge=True,
            internal_review=True)
    app = call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
                  items="第一项\n第二项")
    assert app["supplement_items"] == ["第一项", "第二项"]


def test_second_supplement_request_in_the_same_round_is_refused(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"], items=["a"])
    with workflow.transaction() as session:  # force the state back to test the guard itself
        session.query(Application).filter_by(id=app["id"]).update({"state": "submitted"})
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
                items=["b"])
    assert "items" in error.value.error_dict


def test_reject_requires_reasons_shown_to_registrant(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "registration_reject", id=app["id"])
    assert "reasons" in error.value.error_dict
    assert "理由" in error.value.error_dict["reasons"][0]
    call_as(world.hp_reviewer, "registration_reject", id=app["id"], reasons="数据来源不清")
    shown = call_as(world.hp_clerk, "registration_show", id=app["id"])
    assert shown["state"] == "rejected" and shown["reasons"] == "数据来源不清"
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "unregistered"
    # A new application may follow.
    assert submit(world.hp_clerk, ds)["round"] == 1


@pytest.mark.parametrize("ground", workflow.REFUSAL_GROUNDS)
def test_refusal_with_each_ground(world, ground):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    app = call_as(world.hp_reviewer, "registration_refuse", id=app["id"], ground=ground,
                  reasons="依据第二十三条")
    assert app["state"] == "refused" and app["refusal_ground"] == ground


def test_refusal_needs_a_known_ground(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "registration_refuse", id=app["id"], ground="dislike",
                reasons="x")
    assert "ground" in error.value.error_dict
    assert call_as(world.hp_clerk, "registration_show", id=app["id"])["state"] == "submitted"


def test_withdrawal_needs_reasons_and_consent(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_clerk, "registration_withdraw", id=app["id"])
    app = call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="数据将重新整理")
    assert app["state"] == "withdrawal_requested"
    app = call_as(world.hp_reviewer, "registration_withdraw_decide", id=app["id"],
                  consent=False, reasons="已进入审查")
    assert app["state"] == "accepted"  # back where it was
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="再次申请撤回")
    app = call_as(world.hp_reviewer, "registration_withdraw_decide", id=app["id"], consent=True)
    assert app["state"] == "withdrawn" and not app["is_open"]


def test_withdrawal_after_issuance_is_illegal(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    issue(app["id"])
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="x")
    assert "state" in error.value.error_dict


def _registered(world, org="hp_reg", clerk="hp_clerk", reviewer="hp_reviewer", **fields):
    ds = make_dataset(world.orgs[org], **fields)
    app = submit(world.users[clerk], ds)
    call_as(world.users[reviewer], "registration_accept", id=app["id"])
    call_as(colleague(world.users[reviewer]), "registration_approve", id=app["id"])
    issue(app["id"])
    return ds


def test_registered_dataset_changes_only_through_a_change_application(world):
    ds = _registered(world)
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_clerk, "package_patch", id=ds["id"], title="直接修改")
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_clerk, "package_delete", id=ds["id"])
    with pytest.raises(tk.ValidationError) as error:  # initial again is illegal
        submit(world.hp_clerk, ds)
    assert "application_type" in error.value.error_dict

    app = submit(world.hp_clerk, ds, application_type="change",
                 proposed={"title": "变更后的名称", "data_scale_records": 5000})
    assert [c["field"] for c in call_as(world.hp_reviewer, "registration_show",
                                        id=app["id"])["changes"]] == [
        "data_scale_records", "title"]
    # The public keeps seeing the registered version while the change is handled.
    assert helpers.call_action("package_show", id=ds["id"])["title"] == ds["title"]
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "registered"
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert helpers.call_action("package_show", id=ds["id"])["title"] == ds["title"]
    issue(app["id"])
    shown = helpers.call_action("package_show", id=ds["id"])
    assert shown["title"] == "变更后的名称"
    assert shown["registration_status"] == "registered"
    reg = model.Session.get(Registration, ds["id"])
    assert reg.snapshot["title"] == "变更后的名称"


def test_change_with_invalid_content_is_refused_at_submission(world):
    ds = _registered(world)
    with pytest.raises(tk.ValidationError) as error:
        submit(world.hp_clerk, ds, application_type="change", proposed={"title": ""})
    assert "title" in error.value.error_dict
    assert model.Session.query(Application).filter_by(application_type="change").count() == 0


def test_cancellation_ends_the_registration(world):
    ds = _registered(world)
    with pytest.raises(tk.ValidationError):
        submit(world.hp_clerk, ds, application_type="cancellation")  # reasons required
    app = submit(world.hp_clerk, ds, application_type="cancellation", reasons="系统下线")
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert app["state"] == "completed"
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "cancelled"
    assert _facet("cancelled") == 1


def test_district_revocation_is_filed_and_the_city_can_reverse_it(world):
    ds = _registered(world)
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
                ground="false_materials")
    reg = call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
                  ground="false_materials", reasons="材料虚假")
    assert reg["status"] == "revoked" and reg["revocation_filing"] == "pending"
    assert reg["revoked_by"]["id"] == world.hp_inst["id"]
    # The district reviewer cannot review its own filing; the city can.
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "registration_revocation_review", package_id=ds["id"],
                decision="reverse", reasons="x")
    notified = model.Session.query(Notification).filter_by(
        user_id=world.city_reviewer["id"], action="revoke").count()
    assert notified == 1
    reg = call_as(world.city_reviewer, "registration_revocation_review", package_id=ds["id"],
                  decision="reverse", reasons="撤销依据不足")
    assert reg["status"] == "registered" and reg["revocation_filing"] == "reversed"
    assert helpers.call_action("package_show", id=ds["id"])["registration_status"] == "registered"
    with pytest.raises(tk.ValidationError):  # nothing pending any more
        call_as(world.city_reviewer, "registration_revocation_review", package_id=ds["id"],
                decision="uphold")


def test_city_revocation_needs_no_filing(world):
    ds = _registered(world, org="city_reg", clerk="city_clerk", reviewer="city_reviewer")
    reg = call_as(world.city_reviewer, "registration_revoke", package_id=ds["id"],
                  ground="certificate_misuse", reasons="违规使用凭证")
    assert reg["status"] == "revoked" and reg["revocation_filing"] is None
    with pytest.raises(tk.ValidationError):
        call_as(world.city_reviewer2, "registration_revocation_review", package_id=ds["id"],
                decision="uphold")


def test_uphold_district_revocation(world):
    ds = _registered(world)
    call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
            ground="other_violation", reasons="x")
    reg = call_as(world.city_reviewer, "registration_revocation_review", package_id=ds["id"],
                  decision="uphold")
    assert reg["status"] == "revoked" and reg["revocation_filing"] == "upheld"
    assert _solr_status(ds["id"]) == "revoked"


def test_unverified_registrant_cannot_submit_until_verified(world):
    set_org_fields(world.bh_reg["id"], verified=False)
    ds = make_dataset(world.bh_reg)
    with pytest.raises(tk.ValidationError) as error:
        submit(world.bh_clerk, ds)
    assert "registrant" in error.value.error_dict
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "registrant_verify", id=world.bh_reg["id"])
    call_as(world.city_reviewer, "registrant_verify", id=world.bh_reg["id"])
    assert submit(world.bh_clerk, ds)["state"] == "submitted"


def test_duplicates_are_found_and_shown_to_the_reviewer_only(world):
    first = make_dataset(world.hp_reg, title="和平区中小学学校名录", gov_catalog_code="TJ-001")
    make_dataset(world.hp_reg, title="和平区医疗机构名录")  # not similar enough
    other = make_dataset(world.bh_reg, title="滨海新区噪声数据", gov_catalog_code="TJ-777")
    ds = make_dataset(world.hp_reg, title="和平区中小学学校名录数据", gov_catalog_code="TJ-777")
    app = submit(world.hp_clerk, ds)
    shown = call_as(world.hp_reviewer, "registration_show", id=app["id"])
    found = {d["id"]: d["reasons"] for d in shown["duplicates"]}
    assert found == {first["id"]: ["similar_title"], other["id"]: ["gov_catalog_code"]}
    assert "duplicates" not in call_as(world.hp_clerk, "registration_show", id=app["id"])


def test_late_registration_is_detected(world):
    ds = make_dataset(world.hp_reg, activity_start_date="2025-09-01")
    app = submit(world.hp_clerk, ds)
    shown = call_as(world.hp_reviewer, "registration_show", id=app["id"])
    assert shown["late"] is True
    assert shown["filing_deadline"] == workdays.filing_deadline(dt.date(2025, 9, 1)).isoformat()
    on_time = make_dataset(world.hp_reg, activity_start_date=workdays.local_today().isoformat())
    assert submit(world.hp_clerk, on_time)["late"] is False
    never = make_dataset(world.hp_reg, activity_start_date="2025-10-09")
    late = call_as(world.hp_reviewer, "registration_late_list")
    names = {row["name"]: row for row in late}
    assert set(names) == {ds["name"], never["name"]}
    assert names[never["name"]]["submitted"] is None


def test_fields_required_for_registration_are_checked_at_submission(world):
    ds = make_dataset(world.hp_reg, data_source="", storage_location="")
    set_org_fields(world.hp_reg["id"], uscc="")
    with pytest.raises(tk.ValidationError) as error:
        submit(world.hp_clerk, ds)
    assert {"data_source", "storage_location", "registrant_uscc"} <= set(error.value.error_dict)
    assert model.Session.query(Application).count() == 0


def test_restricted_fields_survive_a_change(world):
    ds = _registered(world, has_personal_info=True, pi_treatment=["deidentified"])
    full = helpers.call_action("package_show", {"ignore_auth": True, "user": "tjsysadmin"},
                               id=ds["id"])
    app = submit(world.hp_clerk, ds, application_type="change", proposed={"title": "新标题"})
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    issue(app["id"])
    after = helpers.call_action("package_show", {"ignore_auth": True, "user": "tjsysadmin"},
                                id=ds["id"])
    assert after["title"] == "新标题"
    for key in ("contact_name", "contact_phone", "storage_location", "pi_treatment"):
        assert after.get(key) == full.get(key), key


def test_one_open_application_per_dataset(world):
    ds = make_dataset(world.hp_reg)
    submit(world.hp_clerk, ds)
    with pytest.raises(tk.ValidationError) as error:
        submit(world.hp_clerk, ds)
    assert error.value.error_dict


def test_pledge_and_internal_review_are_required(world):
    ds = make_dataset(world.hp_reg)
    with pytest.raises(tk.ValidationError) as error:
        submit(world.hp_clerk, ds, pledge=False, internal_review=False)
    assert set(error.value.error_dict) == {"pledge", "internal_review"}
    assert model.Session.query(Application).count() == 0


def test_failure_midway_leaves_nothing_written(world, monkeypatch):
    ds = _registered(world)
    app = submit(world.hp_clerk, ds, application_type="change", proposed={"title": "新名称"})
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    events_before = model.Session.query(Event).count()

    def broken_snapshot(package_id):
        raise RuntimeError("disk full")

    # The dataset update has already been flushed when the snapshot step fails.
    monkeypatch.setattr(workflow, "_package_dict", broken_snapshot)
    with pytest.raises(RuntimeError):
        workflow.on_issued(app["id"])
    model.Session.remove()
    assert model.Session.get(Application, app["id"]).state == "approved"
    assert model.Session.query(Event).count() == events_before
    assert model.Package.get(ds["id"]).title == ds["title"]
    assert model.Session.get(Registration, ds["id"]).snapshot["title"] == ds["title"]
    assert history.verify().ok


def test_two_reviewers_at_the_same_moment_exactly_one_succeeds(world):
    ds = make_dataset(world.city_reg)
    app = submit(world.city_clerk, ds)
    model.Session.remove()
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def act(name: str, action: str, data: dict) -> None:
        barrier.wait()
        try:
            call_as(world.users[name], action, id=app["id"], **data)
            results[name] = "ok"
        except tk.ValidationError as error:
            results[name] = "conflict:" + ",".join(error.error_dict)
        except Exception as error:
            results[name] = f"error:{error!r}"
        finally:
            model.Session.remove()

    # Both transitions leave only from "submitted", so whichever commits first makes the
    # other illegal (a refusal, also allowed after acceptance, would not be a conflict).
    threads = [
        threading.Thread(target=act, args=("city_reviewer", "registration_accept", {})),
        threading.Thread(target=act, args=("city_reviewer2", "registration_request_supplement",
                                           {"items": ["补充数据样例"]})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results.values()) == ["conflict:state", "ok"], results
    winner = next(name for name, result in results.items() if result == "ok")
    state = model.Session.get(Application, app["id"]).state
    assert state == ("accepted" if winner == "city_reviewer" else "supplement_requested")
    assert model.Session.query(Event).filter_by(application_id=app["id"]).count() == 2
    assert history.verify().ok


def test_history_table_refuses_updates(world):
    ds = make_dataset(world.hp_reg)
    submit(world.hp_clerk, ds)
    with pytest.raises(sa.exc.DBAPIError):
        model.Session.execute(sa.text("UPDATE tjregistry_event SET note = 'x'"))
    model.Session.rollback()


def test_registrant_accounts_single_and_bulk(world):
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "registrant_account_create", org_name="x", org_title="x",
                user_name="x", user_email="x@example.org")
    made = call_as(world.city_reviewer, "registrant_account_create", org_name="tj-water",
                   org_title="天津市水务局", user_name="water_admin",
                   user_email="water@example.org", admin_level="city")
    org = helpers.call_action("organization_show", id=made["organization_id"])
    assert org["title"] == "天津市水务局"
    from ckanext.tjregistry.common import jurisdiction

    profile = jurisdiction.profile(made["organization_id"])
    assert profile.verified and profile.registrant_type == "party_gov"
    assert jurisdiction.acts_for(model.User.get("water_admin"), profile.id)

    csv_text = ("org_name,org_title,user_name,user_email,admin_level,district_code\n"
                "hp-civil,和平区民政局,hp_civil,hpc@example.org,district,120101\n"
                "hp-tax,和平区税务局,hp_tax,hpt@example.org,district,120101\n")
    result = call_as(world.city_reviewer, "registrant_account_bulk_create", csv=csv_text)
    assert [r["organization"] for r in result["created"]] == ["hp-civil", "hp-tax"]

    # All or nothing: the second row clashes with an existing user.
    bad = ("org_name,org_title,user_name,user_email\n"
           "ok-org,某单位,fresh_user,fresh@example.org\n"
           "dup-org,另一单位,hp_civil,dup@example.org\n")
    with pytest.raises(tk.ValidationError):
        call_as(world.city_reviewer, "registrant_account_bulk_create", csv=bad)
    model.Session.remove()
    assert model.Group.get("ok-org") is None
    assert model.User.get("fresh_user") is None


def test_self_registered_registrant_starts_unverified(world):
    user = world.outsider
    made = call_as(user, "registrant_register", org_name="tj-ops-co", org_title="某运营公司",
                   registrant_type="operator", admin_level="city", district_code="120000")
    assert made["verified"] is False
    ds = make_dataset({"id": made["organization_id"]})
    with pytest.raises(tk.ValidationError):
        submit(user, ds)


def test_notifications_in_platform_and_list(world):
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    mine = call_as(world.hp_reviewer, "registration_notification_list")
    assert mine["unread"] == 1
    assert mine["results"][0]["application_id"] == app["id"]
    assert mine["results"][0]["action"] == "submit"
    # Nobody outside the jurisdiction hears of it.
    assert call_as(world.bh_reviewer, "registration_notification_list")["unread"] == 0
    call_as(world.hp_reviewer, "registration_notification_list", mark_read=True)
    assert call_as(world.hp_reviewer, "registration_notification_list")["unread"] == 0


def test_queue_lists_jurisdiction_with_due_dates_and_overdue(world):
    hp_app = submit(world.hp_clerk, make_dataset(world.hp_reg))
    city_app = submit(world.city_clerk, make_dataset(world.city_reg))
    queue = call_as(world.hp_reviewer, "registration_list", scope="queue")
    assert [a["id"] for a in queue["results"]] == [hp_app["id"]]
    assert queue["results"][0]["due_date"] == hp_app["accept_due"]
    assert call_as(world.hp_reviewer, "registration_list", scope="queue",
                   overdue=True)["count"] == 0
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=hp_app["id"]).update(
            {"accept_due": dt.date(2025, 10, 11)})
    overdue = call_as(world.hp_reviewer, "registration_list", scope="queue", overdue=True)
    assert [a["id"] for a in overdue["results"]] == [hp_app["id"]]
    assert overdue["results"][0]["overdue"] is True
    assert [a.id for a, _state, _due in workflow.overdue()] == [hp_app["id"]]
    city_queue = call_as(world.city_reviewer, "registration_list", scope="queue")
    assert [a["id"] for a in city_queue["results"]] == [city_app["id"]]
    assert call_as(world.officer, "registration_list", scope="all")["count"] == 2
    assert call_as(world.hp_clerk, "registration_list", scope="mine")["count"] == 1


def test_certificate_subsystem_issues_on_approval(world, monkeypatch):
    monkeypatch.undo()
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert call_as(world.hp_clerk, "registration_show", id=app["id"])["state"] == "issued"
    shown = helpers.call_action("package_show", id=ds["id"])
    assert shown["registration_status"] == "registered"
    assert shown.get("registration_code")


def test_history_verify_action_for_the_authority(world):
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    assert call_as(world.officer, "registration_history_verify")["ok"] is True
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_clerk, "registration_history_verify")


def test_reindex_reflects_status_in_solr_after_every_transition(world):
    ds = make_dataset(world.hp_reg)
    assert _solr_status(ds["id"]) == "unregistered"
    app = submit(world.hp_clerk, ds)
    assert _solr_status(ds["id"]) == "pending"
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="r")
    call_as(world.hp_reviewer, "registration_withdraw_decide", id=app["id"], consent="true")
    assert _solr_status(ds["id"]) == "unregistered"
    search.clear_all()
