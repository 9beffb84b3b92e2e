"""The registration journey in the web UI, in Chinese and English."""
from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _auth(user):
    return {"Authorization": user["token"]}


def _state(app_id: str) -> str:
    model.Session.remove()
    return model.Session.get(Application, app_id).state


def test_registrant_submits_in_the_web_form_and_reviewer_decides(app, world):
    ds = make_dataset(world.hp_reg)
    page = app.get(f"/dataset/{ds['name']}", headers=_auth(world.hp_clerk))
    box = BeautifulSoup(page.body, "html.parser").find(id="tjr-registration-box")
    assert box is not None and "未登记" in box.text
    assert box.find("a", href=f"/registration/submit/{ds['name']}")

    form = app.get(f"/registration/submit/{ds['name']}", headers=_auth(world.hp_clerk))
    soup = BeautifulSoup(form.body, "html.parser")
    assert soup.find(id="tjr-submit-form").find("input", {"name": "pledge"})
    assert ds["title"] in soup.find(id="tjr-publicity-preview").text

    # Without the pledge nothing is submitted.
    response = app.post(f"/registration/submit/{ds['name']}", headers=_auth(world.hp_clerk),
                        data={"application_type": "initial", "internal_review": "on"})
    assert response.status_code == 200
    assert model.Session.query(Application).count() == 0

    response = app.post(f"/registration/submit/{ds['name']}", headers=_auth(world.hp_clerk),
                        data={"application_type": "initial", "pledge": "on",
                              "internal_review": "on", "internal_review_note": "处务会审核"},
                        follow_redirects=False)
    assert response.status_code == 302
    app_id = model.Session.query(Application).one().id
    assert response.headers["Location"].endswith(f"/registration/application/{app_id}")

    queue = app.get("/registration/?scope=queue", headers=_auth(world.hp_reviewer))
    row = BeautifulSoup(queue.body, "html.parser").find("tr", {"data-application": app_id})
    assert row is not None and "待受理" in row.text
    assert "tjr-overdue" not in row.get("class", [])
    # Another district's reviewer does not see it.
    other = app.get("/registration/?scope=queue", headers=_auth(world.bh_reviewer))
    assert app_id not in other.body

    detail = app.get(f"/registration/application/{app_id}", headers=_auth(world.hp_reviewer))
    actions = BeautifulSoup(detail.body, "html.parser").find(id="tjr-actions")
    assert {f["id"] for f in actions.find_all("form")} == {
        "tjr-action-accept", "tjr-action-request_supplement", "tjr-action-refuse",
        "tjr-action-transfer"}
    app.post(f"/registration/application/{app_id}/accept", headers=_auth(world.hp_reviewer))
    assert _state(app_id) == "accepted"
    # A rejection without reasons is refused with a message, never a 500.
    response = app.post(f"/registration/application/{app_id}/reject",
                        headers=_auth(world.hp_reviewer), data={"reasons": "", "confirmed": "1"})
    assert response.status_code == 200
    assert "reasons" in response.body
    assert _state(app_id) == "accepted"
    # Four eyes: the reviewer who accepted it may not approve it; the page says why.
    detail = app.get(f"/registration/application/{app_id}", headers=_auth(world.hp_reviewer))
    page = BeautifulSoup(detail.body, "html.parser")
    assert page.find(id="tjr-action-approve") is None
    assert "双人审核" in page.find(id="tjr-decision-limits").text
    refused = app.post(f"/registration/application/{app_id}/approve",
                       headers=_auth(world.hp_reviewer))
    assert refused.status_code == 403 and "双人审核" in refused.body
    assert _state(app_id) == "accepted"
    app.post(f"/registration/application/{app_id}/approve",
             headers=_auth(world.users["hp_reviewer_2"]))
    assert _state(app_id) == "approved"

    history = app.get(f"/registration/dataset/{ds['name']}/history",
                      headers=_auth(world.hp_clerk))
    rows = BeautifulSoup(history.body, "html.parser").find(id="tjr-history").find_all("tr")
    assert len(rows) == 1 + 3  # header + submit, accept, approve
    assert "受理" in rows[2].text


def test_registrant_cannot_act_as_reviewer_in_the_ui(app, world):
    ds = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, ds)
    page = app.get(f"/registration/application/{application['id']}",
                   headers=_auth(world.hp_clerk))
    actions = BeautifulSoup(page.body, "html.parser").find(id="tjr-actions")
    assert {f["id"] for f in actions.find_all("form")} == {"tjr-action-withdraw"}
    app.post(f"/registration/application/{application['id']}/accept",
             headers=_auth(world.hp_clerk), status=403)
    app.get(f"/registration/application/{application['id']}",
            headers=_auth(world.bh_reviewer), status=403)
    app.get(f"/registration/application/{application['id']}", status=403)
    app.get("/registration/application/nope", headers=_auth(world.hp_reviewer), status=404)


def test_overdue_and_duplicates_are_shown_to_the_reviewer(app, world):
    make_dataset(world.hp_reg, title="和平区学校名录数据")
    ds = make_dataset(world.hp_reg, title="和平区学校名录")
    application = submit(world.hp_clerk, ds)
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=application["id"]).update(
            {"accept_due": dt.date(2025, 10, 11)})
    queue = app.get("/registration/?scope=queue&overdue=1", headers=_auth(world.hp_reviewer))
    row = BeautifulSoup(queue.body, "html.parser").find("tr", {"data-application":
                                                               application["id"]})
    assert "tjr-overdue" in row["class"]
    detail = app.get(f"/registration/application/{application['id']}",
                     headers=_auth(world.hp_reviewer))
    duplicates = BeautifulSoup(detail.body, "html.parser").find(id="tjr-duplicates")
    assert "和平区学校名录数据" in duplicates.text
    clerk_view = app.get(f"/registration/application/{application['id']}",
                         headers=_auth(world.hp_clerk))
    assert BeautifulSoup(clerk_view.body, "html.parser").find(id="tjr-duplicates") is None


def test_supplement_withdrawal_and_refusal_forms(app, world):
    ds = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, ds)
    url = f"/registration/application/{application['id']}"
    app.post(f"{url}/request_supplement", headers=_auth(world.hp_reviewer),
             data={"items": "补充数据字典\n补充样例"})
    page = app.get(url, headers=_auth(world.hp_clerk))
    items = BeautifulSoup(page.body, "html.parser").find(id="tjr-supplement").find_all("li")
    assert [li.text for li in items] == ["补充数据字典", "补充样例"]
    app.post(f"{url}/resubmit", headers=_auth(world.hp_clerk),
             data={"pledge": "true", "internal_review": "true"})
    assert _state(application["id"]) == "submitted"
    app.post(f"{url}/withdraw", headers=_auth(world.hp_clerk), data={"reasons": "重新整理"})
    app.post(f"{url}/withdraw_decide", headers=_auth(world.hp_reviewer),
             data={"consent": "false", "reasons": "不同意"})
    assert _state(application["id"]) == "submitted"
    # Unconfirmed, nothing is decided.
    page = app.post(f"{url}/refuse", headers=_auth(world.hp_reviewer),
                    data={"ground": "ownership_dispute", "reasons": "权属争议"})
    assert _state(application["id"]) == "submitted" and "请确认" in page.body
    app.post(f"{url}/refuse", headers=_auth(world.hp_reviewer),
             data={"ground": "ownership_dispute", "reasons": "权属争议", "confirmed": "1"})
    assert _state(application["id"]) == "refused"
    page = app.get(url, headers=_auth(world.hp_clerk))
    assert "存在数据权属争议" in page.body and "权属争议" in page.body


def test_change_application_through_the_web_form(app, world):
    ds = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, ds)
    helpers.call_action("registration_accept", {"user": "hp_reviewer"}, id=application["id"])
    helpers.call_action("registration_approve", {"user": "hp_reviewer_2"}, id=application["id"])
    workflow.on_issued(application["id"])

    form = app.get(f"/registration/submit/{ds['name']}?application_type=change",
                   headers=_auth(world.hp_clerk))
    assert 'name="title"' in form.body
    app.post(f"/registration/submit/{ds['name']}", headers=_auth(world.hp_clerk),
             data={"application_type": "change", "title": "变更后的标题", "pledge": "on",
                   "internal_review": "on"})
    change = model.Session.query(Application).filter_by(application_type="change").one()
    assert change.proposed["title"] == "变更后的标题"
    page = app.get(f"/registration/application/{change.id}", headers=_auth(world.hp_reviewer))
    changes = BeautifulSoup(page.body, "html.parser").find(id="tjr-changes")
    assert "变更后的标题" in changes.text and ds["title"] in changes.text
    assert helpers.call_action("package_show", id=ds["id"])["title"] == ds["title"]


def test_revocation_and_city_review_pages(app, world):
    ds = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, ds)
    helpers.call_action("registration_accept", {"user": "hp_reviewer"}, id=application["id"])
    helpers.call_action("registration_approve", {"user": "hp_reviewer_2"}, id=application["id"])
    workflow.on_issued(application["id"])
    url = f"/registration/dataset/{ds['id']}"
    page = app.get(f"{url}/history", headers=_auth(world.hp_reviewer))
    assert BeautifulSoup(page.body, "html.parser").find(id="tjr-revoke")
    # Unconfirmed, nothing is decided.
    app.post(f"{url}/revoke", headers=_auth(world.hp_reviewer),
             data={"ground": "false_materials", "reasons": "虚假材料"})
    assert workflow.registration_status(ds["id"]) == "registered"
    app.post(f"{url}/revoke", headers=_auth(world.hp_reviewer),
             data={"ground": "false_materials", "reasons": "虚假材料", "confirmed": "1"})
    assert workflow.registration_status(ds["id"]) == "revoked"
    page = app.get(f"{url}/history", headers=_auth(world.city_reviewer))
    assert BeautifulSoup(page.body, "html.parser").find(id="tjr-revocation-review")
    app.post(f"{url}/revocation_review", headers=_auth(world.city_reviewer),
             data={"decision": "reverse", "reasons": "依据不足"})
    assert workflow.registration_status(ds["id"]) == "registered"
    app.post(f"{url}/revoke", headers=_auth(world.bh_reviewer),
             data={"ground": "false_materials", "reasons": "x", "confirmed": "1"}, status=403)


def test_accounts_page_for_the_city_institution_only(app, world):
    app.get("/registration/accounts", headers=_auth(world.hp_reviewer), status=403)
    page = app.get("/registration/accounts", headers=_auth(world.city_reviewer))
    assert BeautifulSoup(page.body, "html.parser").find(id="tjr-account-create")
    app.post("/registration/accounts", headers=_auth(world.city_reviewer),
             data={"mode": "single", "org_name": "tj-sports", "org_title": "天津市体育局",
                   "user_name": "sports_admin", "user_email": "sports@example.org",
                   "admin_level": "city", "district_code": "120000"})
    assert model.Group.get("tj-sports") is not None
    app.post("/registration/accounts", headers=_auth(world.city_reviewer),
             data={"mode": "bulk", "csv": "org_name,org_title,user_name,user_email\n"
                                          "tj-a,甲局,a_admin,a@example.org\n"})
    assert model.Group.get("tj-a") is not None


def test_self_registration_page(app, world):
    app.post("/registration/register", headers=_auth(world.outsider),
             data={"org_name": "tj-ops", "org_title": "某运营公司", "registrant_type": "operator",
                   "admin_level": "city", "district_code": "120000"})
    from ckanext.tjregistry.common import jurisdiction

    profile = jurisdiction.profile("tj-ops")
    assert profile is not None and not profile.verified
    page = app.get("/registration/accounts", headers=_auth(world.city_reviewer))
    assert BeautifulSoup(page.body, "html.parser").find("tr", {"data-registrant": "tj-ops"})


def test_notifications_page_and_header_badge(app, world):
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    page = app.get("/registration/notifications", headers=_auth(world.hp_reviewer))
    soup = BeautifulSoup(page.body, "html.parser")
    assert len(soup.find(id="tjr-notifications").find_all("li")) == 1
    assert soup.find(id="tjr-header-registration").find("span", class_="badge").text == "1"
    app.post("/registration/notifications", headers=_auth(world.hp_reviewer))
    page = app.get("/registration/notifications", headers=_auth(world.hp_reviewer))
    assert BeautifulSoup(page.body, "html.parser").find(
        id="tjr-header-registration").find("span", class_="badge") is None


def test_pages_in_chinese_and_english(app, world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    page = app.get(f"/en/registration/application/{application['id']}",
                   headers=_auth(world.hp_reviewer))
    soup = BeautifulSoup(page.body, "html.parser")
    assert "Awaiting acceptance" in soup.find("h1").text
    assert "Initial registration" in soup.find(id="tjr-application-facts").text
    assert "Actions" in soup.find(id="tjr-actions").find("h2").text
    zh = app.get(f"/registration/application/{application['id']}",
                 headers=_auth(world.hp_reviewer))
    soup = BeautifulSoup(zh.body, "html.parser")
    assert "待受理" in soup.find("h1").text
    assert "操作" in soup.find(id="tjr-actions").find("h2").text
    assert "首次登记" in soup.find(id="tjr-application-facts").text
    queue = BeautifulSoup(app.get("/registration/?scope=queue",
                                  headers=_auth(world.hp_reviewer)).body, "html.parser")
    assert "待审查" in queue.find("h1").text
    queue_en = BeautifulSoup(app.get("/en/registration/?scope=queue",
                                     headers=_auth(world.hp_reviewer)).body, "html.parser")
    assert "Review queue" in queue_en.find("h1").text
    # With the application under way the submit page points to it; a new record's asks.
    form = app.get(f"/registration/submit/{application['package_id']}",
                   headers=_auth(world.hp_clerk), status=200)
    assert "办理中的登记申请" in form.body and "签署诚信承诺书" not in form.body
    form = app.get(f"/registration/submit/{make_dataset(world.hp_reg)['id']}",
                   headers=_auth(world.hp_clerk), status=200)
    assert "签署诚信承诺书" in form.body


def test_anonymous_users_are_asked_to_log_in(app):
    app.get("/registration/", status=403)
    app.get("/registration/notifications", status=403)


def test_dashboard_shows_workflow_notices(app, world):
    ds = make_dataset(world.hp_reg)
    submit(world.hp_clerk, ds)
    page = app.get("/dashboard/", headers=_auth(world.hp_reviewer))
    notices = BeautifulSoup(page.body, "html.parser").find(id="tjr-dashboard-notices")
    assert ds["title"] in notices.text
    assert "待受理" in notices.text
    page = app.get("/dashboard/", headers=_auth(world.bh_reviewer))
    notices = BeautifulSoup(page.body, "html.parser").find(id="tjr-dashboard-notices")
    assert ds["title"] not in notices.text
