"""The registrant's pages: 我的登记, the landing after login, the record form, the submit
page, the success messages and the reasons behind a refused 管理."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    colleague,
    dataset_fields,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "own_key_dir")


def _auth(user):
    return {"Authorization": user["token"]}


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def _registered(world, **overrides):
    dataset = make_dataset(world.hp_reg, **overrides)
    application = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])
    return dataset, application


# ------------------------------------------------------------------ 我的登记 ---
def test_my_registrations_lists_every_record_with_its_state_and_certificate(app, world):
    draft = make_dataset(world.hp_reg, title="和平区草稿数据")
    applying = make_dataset(world.hp_reg, title="和平区办理中数据")
    open_app = submit(world.hp_clerk, applying)
    registered, registered_app = _registered(world, title="和平区已登记数据")
    make_dataset(world.bh_reg, title="滨海新区的数据")  # another registrant's

    page = _soup(app.get("/registration/mine", headers=_auth(world.hp_clerk)))
    records = {item["data-package"]: item for item in page.select("#tjr-mine .tjr-record")}
    assert set(records) == {draft["id"], applying["id"], registered["id"]}

    row = records[draft["id"]]
    assert "未登记" in row.select_one(".tjr-fact-status").text
    assert row.find("a", href=f"/data-resource/{draft['name']}")
    assert row.find("a", href=f"/registration/submit/{draft['name']}")  # may apply
    assert not row.select(".tjr-certificate-pdf")

    row = records[applying["id"]]
    assert "待受理" in row.select_one(".tjr-fact-application").text
    assert row.find("a", href=f"/registration/application/{open_app['id']}")
    deadline = row.select_one(".tjr-fact-deadline").text
    assert "个工作日" in deadline or "working days" in deadline
    # One application at a time: no second 申请登记.
    assert not row.find("a", href=f"/registration/submit/{applying['name']}")

    row = records[registered["id"]]
    shown = call_as(world.hp_clerk, "certificate_show", package_id=registered["id"])
    assert "已登记" in row.select_one(".tjr-fact-status").text
    assert shown["code"] in row.select_one(".tjr-fact-code").text
    validity = row.select_one(".tjr-fact-validity").text
    assert "有效" in validity
    pdf = row.select_one("a.tjr-certificate-pdf")
    assert pdf.text.strip() == "下载登记凭证"
    assert urlsplit(pdf["href"]).path == f"/registration/certificate/{shown['code']}.pdf"
    assert row.find("a", href=f"/registration/dataset/{registered['name']}/history")
    # A registered record is changed, corrected or cancelled, not registered again.
    assert row.select_one("a.tjr-apply").text.strip() == "变更、更正或注销登记"
    response = app.get(urlsplit(pdf["href"]).path, headers=_auth(world.hp_clerk))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    shown_app = call_as(world.hp_clerk, "registration_show", id=registered_app["id"])
    assert shown_app["state"] == "issued"


def test_my_registrations_in_english_and_for_someone_without_a_registrant(app, world):
    make_dataset(world.hp_reg)
    english = _soup(app.get("/en/registration/mine", headers=_auth(world.hp_clerk)))
    assert english.select_one("h1").text.strip() == "My registrations"
    assert "Unregistered" in english.select_one(".tjr-fact-status").text
    nothing = _soup(app.get("/registration/mine", headers=_auth(world.hp_reviewer)))
    assert not nothing.select(".tjr-record")
    assert app.get("/registration/mine").status_code == 403


def test_the_action_lists_only_the_callers_registrants(world):
    mine = make_dataset(world.hp_reg)
    make_dataset(world.bh_reg)
    result = call_as(world.hp_clerk, "registration_dataset_list")
    assert [r["id"] for r in result["results"]] == [mine["id"]]
    assert result["results"][0]["registration_status"] == "unregistered"
    assert call_as(world.hp_reviewer, "registration_dataset_list")["count"] == 0
    with pytest.raises(Exception) as refused:
        call_as(None, "registration_dataset_list")
    assert "NotAuthorized" in type(refused.value).__name__
    with pytest.raises(Exception) as bad:
        call_as(world.hp_clerk, "registration_dataset_list", limit="many")
    assert "ValidationError" in type(bad.value).__name__


# ------------------------------------------------------------- after login ---
def test_registrants_land_on_my_registrations_reviewers_on_the_queue_others_on_the_dashboard(
        app, world):
    response = app.get("/registration/home", headers=_auth(world.hp_clerk),
                       follow_redirects=False)
    assert response.headers["Location"].endswith("/registration/mine")
    response = app.get("/registration/home", headers=_auth(world.hp_reviewer),
                       follow_redirects=False)
    assert response.headers["Location"].endswith("/registration/?scope=queue")
    response = app.get("/registration/home", headers=_auth(world.officer),
                       follow_redirects=False)
    assert response.headers["Location"].endswith("/dashboard/datasets")
    # CKAN's login sends users without came_from to ckan.auth.route_after_login.
    response = app.get("/user/me", headers=_auth(world.hp_clerk), follow_redirects=False)
    assert response.headers["Location"].endswith("/registration/home")


def test_login_without_came_from_lands_on_my_registrations_and_keeps_came_from(app, world):
    user = model.User.get(world.hp_clerk["id"])
    user.password = "Registrant-2026"
    model.Session.commit()
    login = app.get("/user/login")
    token = _soup(login).find("input", {"name": "_csrf_token"})["value"]
    response = app.post("/user/login", data={"login": "hp_clerk", "password": "Registrant-2026",
                                             "_csrf_token": token}, follow_redirects=False)
    assert response.headers["Location"].endswith("/registration/home")
    app.get("/user/_logout")
    login = app.get("/user/login")
    token = _soup(login).find("input", {"name": "_csrf_token"})["value"]
    response = app.post("/user/login?came_from=/registration/notifications",
                        data={"login": "hp_clerk", "password": "Registrant-2026",
                              "_csrf_token": token}, follow_redirects=False)
    assert response.headers["Location"].endswith("/registration/notifications")


# --------------------------------------------------- certificate links ---
def test_the_certificate_is_reachable_from_the_dataset_and_the_application(app, world):
    dataset, application = _registered(world)
    code = call_as(world.hp_clerk, "certificate_show", package_id=dataset["id"])["code"]
    page = _soup(app.get(f"/data-resource/{dataset['name']}", headers=_auth(world.hp_clerk)))
    box = page.find(id="tjr-registration-box")
    assert code in box.select_one(".tjr-registration-code").text
    assert box.select_one("a.tjr-certificate-pdf")["href"] == (
        f"/registration/certificate/{code}.pdf")
    page = _soup(app.get(f"/registration/application/{application['id']}",
                         headers=_auth(world.hp_clerk)))
    link = page.select_one("#tjr-application-facts a.tjr-certificate-pdf")
    assert link["href"].endswith(f"/registration/certificate/{code}.pdf")


# --------------------------------------------- one application at a time ---
def test_while_an_application_is_open_nobody_is_offered_to_apply_again(app, world):
    dataset = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, dataset)
    page = _soup(app.get(f"/data-resource/{dataset['name']}", headers=_auth(world.hp_clerk)))
    box = page.find(id="tjr-registration-box")
    assert not box.find("a", href=f"/registration/submit/{dataset['name']}")
    assert box.find("a", href=f"/registration/application/{application['id']}")

    page = _soup(app.get(f"/registration/submit/{dataset['name']}",
                         headers=_auth(world.hp_clerk)))
    assert page.find(id="tjr-open-application")
    assert page.find(id="tjr-submit-form") is None
    response = app.post(f"/registration/submit/{dataset['name']}",
                        headers=_auth(world.hp_clerk),
                        data={"application_type": "initial", "pledge": "on",
                              "internal_review": "on"})
    assert response.status_code == 200
    assert model.Session.query(Application).count() == 1


# ------------------------------------------------------------- submit page ---
def test_submit_errors_sit_next_to_the_checkboxes_and_nothing_typed_is_lost(app, world):
    dataset = make_dataset(world.hp_reg)
    response = app.post(f"/registration/submit/{dataset['name']}",
                        headers=_auth(world.hp_clerk),
                        data={"application_type": "initial", "internal_review": "on",
                              "internal_review_note": "处务会审核"})
    assert response.status_code == 200
    page = _soup(response)
    pledge = page.find(id="submit-pledge")
    assert pledge.get("aria-invalid") == "true" and not pledge.has_attr("checked")
    assert "诚信承诺" in page.find(id="submit-pledge-error").text
    assert page.find(id="submit-internal-review").has_attr("checked")
    assert page.find(id="submit-internal-review-error") is None
    assert page.find(id="internal-review-note")["value"] == "处务会审核"
    # No raw field keys in banners.
    assert "pledge:" not in page.text
    assert not page.select(".flash-messages .alert-error, .alert-danger")
    assert model.Session.query(Application).count() == 0


def test_submit_names_missing_record_fields_by_label_with_a_link(app, world):
    dataset = make_dataset(world.hp_reg, data_source="")
    response = app.post(f"/registration/submit/{dataset['name']}",
                        headers=_auth(world.hp_clerk),
                        data={"application_type": "initial", "pledge": "on",
                              "internal_review": "on"})
    page = _soup(response)
    item = page.select_one("#tjr-submit-problems li[data-field=data_source]")
    assert item is not None and "数据来源" in item.text
    assert item.find("a")["href"] == f"/data-resource/edit/{dataset['name']}#field-data_source"
    assert page.find(id="submit-pledge").has_attr("checked")


def test_correction_reasons_are_kept_and_their_error_is_beside_them(app, world):
    dataset, _application = _registered(world)
    response = app.post(f"/registration/submit/{dataset['name']}",
                        headers=_auth(world.hp_clerk),
                        data={"application_type": "cancellation", "reasons": "",
                              "internal_review_note": "局务会"})
    page = _soup(response)
    assert page.find(id="submit-reasons-error")
    assert page.find(id="internal-review-note")["value"] == "局务会"
    response = app.post(f"/registration/submit/{dataset['name']}",
                        headers=_auth(world.hp_clerk),
                        data={"application_type": "cancellation", "reasons": "不再提供该数据",
                              "internal_review": "on"})
    page = _soup(response)
    assert page.find(id="submit-pledge-error")
    assert page.find(id="submit-reasons").text == "不再提供该数据"
    assert page.find(id="submit-internal-review").has_attr("checked")


# --------------------------------------------------------------- the form ---
def test_the_form_has_sections_progress_marks_on_their_fields_and_select_prompts(app, world):
    page = _soup(app.get("/data-resource/new", headers=_auth(world.hp_clerk)))
    progress = page.find(id="tjr-form-progress")
    steps = [a["href"] for a in progress.select(".tjr-progress-steps a")]
    sections = page.select("details.tjregistry-field-group")
    assert steps == [f"#{section['id']}" for section in sections] and len(sections) >= 5
    assert sections[0].has_attr("open")
    assert "基本信息" in sections[0].find("summary").text
    assert progress.find("progress")
    # The counts are markup of their own, not escaped text.
    assert "<span" not in progress.text and "<span" not in sections[0].find("summary").text
    assert progress.select_one(".tjr-count-filled") and sections[0].select_one(".tjr-group-filled")

    # The mark sits inside its own field's block and is read with the input.
    data_kind = page.find(id="field-data_kind")
    block = data_kind.find_parent(class_="tjr-field")
    assert block["data-field"] == "data_kind"
    mark = block.select_one(".tjr-registration-required")
    assert mark is not None and mark.text == "提交登记申请前必须填写"
    assert mark["id"] in data_kind["aria-describedby"].split()
    # Help text is tied to its input.
    industry = page.find(id="field-industry_code")
    assert "field-industry_code-help" in industry["aria-describedby"].split()
    assert page.find(id="field-industry_code-help")
    # Drop-downs start with 请选择 (an empty value).
    first = industry.find("option")
    assert (first["value"], first.text) == ("", "请选择")
    # 可见性 is explained; the internal review is not asked here (the submit page does).
    assert "公开" in page.find(id="field-private-help").text
    assert page.find(id="field-internal_review_done") is None
    # No CKAN leftovers.
    text = page.text
    for leftover in ("Open Database License", "什么是数据集", "一个 CKAN 数据集",
                     "What are datasets"):
        assert leftover not in text
    assert page.find(id="field-license_id") is None and page.find(id="field-author") is None


def test_the_error_summary_links_to_the_fields(app, world):
    response = app.post("/data-resource/new", headers=_auth(world.hp_clerk),
                        data={"title": "", "notes": "", "owner_org": world.hp_reg["id"],
                              "spatial": "999999", "save": "continue",
                              "_ckan_phase": "dataset_new_1", "pkg_name": ""})
    page = _soup(response)
    summary = page.find(id="tjr-error-summary")
    links = {a["href"] for a in summary.find_all("a")}
    assert "#field-title" in links and "#field-notes" in links
    # A list of checkboxes is reached through its block.
    assert "#field-spatial-group" in links
    for href in links:
        assert page.find(id=href[1:]) is not None, href
    # The section holding an error is open.
    assert page.find(id="field-notes").find_parent("details").has_attr("open")


def test_create_and_edit_end_with_a_success_message(app, world):
    dataset = make_dataset(world.hp_reg)
    form = _soup(app.get(f"/data-resource/edit/{dataset['name']}",
                         headers=_auth(world.hp_clerk))).find(id="dataset-edit")
    data = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or (field.get("type") in ("checkbox", "radio")
                        and not field.has_attr("checked")):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True)
            data[name] = chosen["value"] if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text
        else:
            data.setdefault(name, field.get("value", ""))
    data.update({"title": "改过的标题", "save": ""})
    response = app.post(f"/data-resource/edit/{dataset['name']}",
                        headers=_auth(world.hp_clerk), data=data)
    page = _soup(response)
    assert "修改已保存" in page.select_one(".flash-messages").text, page.select(
        ".error-explanation")
    assert helpers.call_action("package_show", id=dataset["id"])["title"] == "改过的标题"


def test_a_new_record_saved_as_a_draft_says_so(app, world):
    data = dataset_fields(owner_org=world.hp_reg["id"], name="hp-new-record")
    form = {key: value for key, value in data.items()
            if isinstance(value, str) and key != "resources"}
    form.update({"save": "continue", "spatial": "120101", "pkg_name": "",
                 "_ckan_phase": "dataset_new_1"})
    response = app.post("/data-resource/new", headers=_auth(world.hp_clerk), data=form)
    flash = _soup(response).select_one(".flash-messages")
    assert flash is not None and "已保存为草稿" in flash.text, _soup(response).select(
        ".error-explanation")
    assert model.Package.by_name("hp-new-record").state == "draft"


def test_manage_refused_while_frozen_says_why(app, world):
    dataset = make_dataset(world.hp_reg)
    submit(world.hp_clerk, dataset)
    response = app.get(f"/data-resource/edit/{dataset['name']}",
                       headers=_auth(world.hp_clerk))
    assert response.status_code == 403
    assert "登记申请办理中" in response.body
    # Someone who may not see the record learns nothing about it.
    response = app.get(f"/data-resource/edit/{dataset['name']}", headers=_auth(world.bh_clerk))
    assert response.status_code in (403, 404) and "登记申请办理中" not in response.body
    registered, _application = _registered(world)
    response = app.get(f"/data-resource/edit/{registered['name']}",
                       headers=_auth(world.hp_clerk))
    assert response.status_code == 403
    assert "变更、更正或注销登记" in response.body
