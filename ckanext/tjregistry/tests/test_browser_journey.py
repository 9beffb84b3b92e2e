"""The whole public journey of a registration in a real browser (Selenium, headless Chromium).

A real CKAN server (the ``ckan_server`` fixture, live_server.py; CSRF protection on)
serves Debian's Chromium, driven through Debian's chromedriver. Every step goes through
the pages a person would use, submitting the real forms (with their CSRF tokens):

1. a registrant's clerk logs in through CKAN's login form, creates a data resource in
   the CKAN dataset form (metadata, then its data) and applies for registration on the
   workflow's application form (integrity pledge and internal review);
2. the reviewer of the institution with jurisdiction logs in, accepts the application and
   approves it; the data is opened, so it goes into publicity (Art. 20);
3. an anonymous citizen files a real-name objection with an evidence file on the public
   publicity page;
4. the reviewer decides that the objection is not upheld, with a written finding;
5. the publicity period ends and the cron sweep (``ckan tjregistry workflow
   close-publicity``) issues the certificate;
6. the citizen verifies the certificate by its code on the public verification page.

After each step the test checks the page (Chinese state labels) and that the database and
the actions agree. Screenshots of the key pages go to ``TJ_SCREENSHOT_DIR`` if set, else
to the test's temporary directory.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from ckan.tests import helpers

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.tests import browser_helpers
from ckanext.tjregistry.tests.browser_helpers import WAIT_SECONDS, Browser
from ckanext.tjregistry.tests.browser_helpers import assert_painted as _assert_painted
from ckanext.tjregistry.tests.browser_helpers import dataset as _dataset
from ckanext.tjregistry.tests.browser_helpers import get as _get
from ckanext.tjregistry.tests.browser_helpers import state as _state
from ckanext.tjregistry.tests.browser_helpers import with_password as _with_password
from ckanext.tjregistry.tests.publicity_helpers import PDF_BYTES, RESIDENT_ID, end_publicity
from ckanext.tjregistry.tests.workflow_helpers import build_world, call_as

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

DATASET_NAME = "hp-school-directory"
DATASET_TITLE = "和平区中小学校基本信息"
SUMMARY = "和平区公办中小学校的名称、地址、学段与招生范围。"
OPEN_PLATFORM_URL = "https://data.tj.gov.cn/open/hp-schools"
STATEMENT = "该数据中的学校招生范围由本单位测绘并享有权益,登记主体无权登记。"
FINDING = "经调查,异议人未能提供权属证明,异议不成立,登记继续办理。"


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def ckan_server_options(tmp_path, ckan_config, monkeypatch) -> dict[str, str]:
    return browser_helpers.server_options(tmp_path, ckan_config, monkeypatch)


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    return browser_helpers.screenshot_folder(tmp_path)


@pytest.fixture
def driver(tmp_path) -> Iterator[webdriver.Chrome]:
    with browser_helpers.chromium(tmp_path) as browser:
        yield browser


# ---------------------------------------------------------------------------
# The journey


def test_registration_journey_in_a_real_browser(tmp_path, ckan_server, driver, screenshot_dir):
    world = build_world()
    _with_password(world, "hp_clerk", "hp_reviewer", "hp_reviewer_2")
    browser = Browser(driver, ckan_server, screenshot_dir)
    clerk, reviewer = world.hp_clerk, world.hp_reviewer

    # 1. The clerk of 和平区教育局 creates the data resource in CKAN's dataset form ...
    browser.login(clerk)
    browser.open("/data-resource/new", "form#dataset-edit #field-title")
    crumbs = [item.text for item in driver.find_elements(By.CSS_SELECTOR, ".breadcrumb li")]
    assert crumbs[-2:] == ["公共数据资源", "新建公共数据资源"], crumbs
    browser.type("#field-title", DATASET_TITLE)
    # The URL slug preview (CKAN's JavaScript) cannot make a slug of Chinese: edit it.
    edit_slug = browser.wait(".slug-preview button")
    browser.click(edit_slug)
    WebDriverWait(driver, WAIT_SECONDS).until(ec.visibility_of_element_located(
        (By.CSS_SELECTOR, "#field-name")))
    browser.type("#field-name", DATASET_NAME)
    browser.type("#field-notes", SUMMARY)
    # The clerk's only registrant is chosen; open data is public.
    assert Select(browser.find("#field-organizations")).first_selected_option.get_attribute(
        "value") == world.hp_reg["id"]
    browser.choose("#field-private", "False")
    # The form is in collapsible sections; the browser helpers open a field's section.
    assert "基本信息" in browser.find("#field-group-basic summary").text
    for field, value in {"regist_object_type": "open_data_resource",
                         "data_kind": "structured", "industry_code": "P",
                         "update_frequency": "annual", "share_type": "unconditional",
                         "open_type": "unconditional", "access_method": "open",
                         "in_authorized_operation": "false", "security_level": "general",
                         "has_personal_info": "false", "storage_mode": "gov_cloud"}.items():
        browser.choose(f"#field-{field}", value)
    browser.type("#field-data_source", "和平区教育管理信息系统")
    browser.type("#field-data_scale_records", "3200")
    browser.click("#field-spatial-120101")
    browser.type("#field-open_platform_url", OPEN_PLATFORM_URL)
    browser.type("#field-storage_location", "天津市政务云")
    # Art. 18's clock: when sharing started (required before submission). A date input
    # takes its value in the browser's locale format, so it is set as the form would be.
    started = browser.find("#field-activity_start_date")
    browser.reveal(started)
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        started, workdays.local_today().isoformat())
    # The internal review is confirmed on the submit page, not in the record form.
    assert not driver.find_elements(By.CSS_SELECTOR, "#field-internal_review_done")
    browser.screenshot("01-dataset-form.png")
    browser.click_to(browser.find("form#dataset-edit button[name=save]"),
                     "form#resource-edit")

    # ... and its data: a link, with one data item.
    assert browser.path() == f"/data-resource/{DATASET_NAME}/resource/new"
    browser.click("#resource-link-button")
    browser.type("#field-resource-url", f"{OPEN_PLATFORM_URL}/schools.csv")
    browser.type("#field-name", "学校名录")
    browser.type("#field-data_dictionary-0-name", "school_name")
    browser.choose("#field-data_dictionary-0-type", "string")
    browser.type("#field-data_dictionary-0-description", "学校名称")
    browser.click_to(browser.find("form#resource-edit button[value=go-metadata]"),
                     "#tjr-registration-box")
    assert browser.path() == f"/data-resource/{DATASET_NAME}"
    assert browser.find("#tjr-registration-box .tjr-status").text == "未登记"
    assert "Data-resource" not in browser.find("body").text  # the type has its Chinese name
    shown = _dataset(clerk, DATASET_NAME)
    assert (shown["state"], shown["type"], shown["owner_org"], shown["private"]) == (
        "active", "data-resource", world.hp_reg["id"], False)
    assert (shown["title"], shown["notes"], shown["open_type"], shown["access_method"],
            shown["spatial"], shown["data_scale_records"]) == (
        DATASET_TITLE, SUMMARY, "unconditional", "open", ["120101"], 3200)
    assert shown["storage_location"] == "天津市政务云"  # restricted: the owner sees it
    assert [r["url"] for r in shown["resources"]] == [f"{OPEN_PLATFORM_URL}/schools.csv"]
    assert shown["resources"][0]["data_dictionary"] == [
        {"name": "school_name", "type": "string", "description": "学校名称"}]
    assert shown["registration_status"] == "unregistered"

    # The application: the publicity preview, the pledge and the internal review.
    browser.click_to(browser.find("#tjr-registration-box a[href$='/registration/submit/"
                                  f"{DATASET_NAME}']"), "form#tjr-submit-form")
    preview = browser.find("#tjr-publicity-preview").text
    for text in ("和平区教育局", "首次登记", DATASET_TITLE, SUMMARY):
        assert text in preview, text
    browser.click("form#tjr-submit-form input[name=pledge]")
    browser.click("form#tjr-submit-form input[name=internal_review]")
    browser.type("#internal-review-note", "教育局业务处室审核通过")
    browser.screenshot("02-application-form.png")
    browser.click_to(browser.find("form#tjr-submit-form button[type=submit]"),
                     ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "待受理"
    assert browser.path().startswith("/registration/application/")
    app_id = browser.path().rsplit("/", 1)[-1]
    app = call_as(clerk, "registration_show", id=app_id)
    assert (app["state"], app["application_type"], app["package_id"]) == (
        "submitted", "initial", shown["id"])
    assert app["pledge"] and app["internal_review"]
    assert app["internal_review_note"] == "教育局业务处室审核通过"
    assert app["acting_institution"]["name"] == "hp-inst"
    browser.logout()

    # 2. The reviewer of 和平区登记机构 finds it in the queue, accepts and approves it.
    browser.login(reviewer)
    browser.open("/registration/?scope=queue", f"tr[data-application='{app_id}']")
    row = browser.find(f"tr[data-application='{app_id}']")
    assert browser.label(".tjr-state", within=row) == "待受理"
    browser.click_to(row.find_element(By.LINK_TEXT, DATASET_TITLE), "#tjr-action-accept")
    assert browser.find("#tjr-application-facts").text.count("和平区教育局") == 1
    browser.click_to(browser.find("#tjr-action-accept button[type=submit]"),
                     "#tjr-decision-limits")
    assert browser.label(".page-heading .tjr-state") == "审查中"
    assert _state(app_id) == "accepted"
    # Four eyes: the reviewer who accepted it is told that a colleague decides.
    assert "双人审核" in browser.text("#tjr-decision-limits")
    assert browser.absent("#tjr-action-approve")
    browser.logout()
    browser.login(world.users["hp_reviewer_2"])
    browser.open(f"/registration/application/{app_id}", "#tjr-action-approve")
    browser.type("#approve-reasons", "材料齐全,开放数据,进入公示。")
    browser.screenshot("03-review.png")
    browser.click_to(browser.find("#tjr-action-approve button[type=submit]"),
                     ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "公示中"
    assert browser.absent("#tjr-action-approve")
    app = call_as(world.users["hp_reviewer_2"], "registration_show", id=app_id)
    assert app["state"] == "publicity" and app["publicity_start"] and app["publicity_end"]
    assert _dataset(clerk, DATASET_NAME)["registration_status"] == "publicity"
    browser.logout()

    # 3. A citizen reads the publicity and objects, under their real name, with evidence.
    browser.open("/registration/publicity", f"tr.tjr-publicity-item[data-id='{app_id}']")
    item = browser.find(f"tr.tjr-publicity-item[data-id='{app_id}']")
    end = app["publicity_end"]  # shown as 2026年12月7日
    shown_end = f"{int(end[:4])}年{int(end[5:7])}月{int(end[8:10])}日"
    for text in ("和平区教育局", "首次登记", DATASET_TITLE, shown_end):
        assert text in item.text, text
    browser.click_to(item.find_element(By.LINK_TEXT, DATASET_TITLE), "#tjr-publicity-facts")
    facts = browser.find("#tjr-publicity-facts").text
    start = app["publicity_start"]  # shown in the same Chinese form
    shown_start = f"{int(start[:4])}年{int(start[5:7])}月{int(start[8:10])}日"
    for text in ("登记主体名称", "和平区教育局", "数据内容简介", SUMMARY, shown_start):
        assert text in facts, text
    # The internal review note is not part of the publicity.
    assert "教育局业务处室审核通过" not in browser.find("body").text
    browser.screenshot("04-publicity.png")
    browser.click_to(browser.find("#tjr-object-button"), "form#tjr-objection-form")
    evidence = tmp_path / "测绘成果登记证明.pdf"
    evidence.write_bytes(PDF_BYTES)
    browser.type("#field-objector-name", "张三")
    browser.choose("#field-id-type", "resident_id")
    browser.type("#field-id-number", RESIDENT_ID)
    browser.type("#field-contact-phone", "13800138000")
    browser.type("#field-contact-email", "zhangsan@example.org")
    browser.choose("#field-category", "rights_dispute")
    browser.type("#field-statement", STATEMENT)
    browser.choose("#field-interest", "competing_claim")
    browser.type("#field-interest-statement", "测绘成果由本单位完成,本单位对该数据主张权利。")
    browser.find("#field-evidence").send_keys(str(evidence))
    browser.click("form#tjr-objection-form input[name=truthful]")
    browser.screenshot("05-objection-form.png")
    browser.click_to(browser.find("form#tjr-objection-form button[type=submit]"),
                     "#tjr-objection-receipt")
    assert browser.find(".page-heading").text == "异议已提交"
    number = browser.find("#tjr-objection-number").text
    assert number and browser.find("#tjr-objection-token").text
    assert _state(app_id) == "objection_pending"
    listed = call_as(reviewer, "objection_list", application_id=app_id)["results"]
    assert [(o["number"], o["status"]) for o in listed] == [(number, "pending")]
    filed = call_as(reviewer, "objection_show", id=listed[0]["id"])
    assert (filed["objector_name"], filed["id_number"], filed["category"],
            filed["statement"]) == ("张三", RESIDENT_ID, "rights_dispute", STATEMENT)
    assert [(f["name"], f["sha256"]) for f in filed["files"]] == [
        (evidence.name, hashlib.sha256(PDF_BYTES).hexdigest())]
    # No certificate while the objection is undecided, even after the period.
    assert issuance.current_for_package(shown["id"]) is None

    # 4. The reviewer investigates and decides: not upheld, with a written finding.
    browser.login(reviewer)
    browser.open("/registration/objections", "#tjr-objection-list")
    row = browser.find("#tjr-objection-list tr[data-status='pending']")
    assert "待处理" in row.text and DATASET_TITLE in row.text
    browser.click_to(row.find_element(By.LINK_TEXT, number), "#tjr-objection-decide")
    assert browser.find(".tjr-objector").text == "张三"
    assert RESIDENT_ID in browser.find(".tjr-objector-id").text
    assert evidence.name in browser.find(".tjr-evidence").text
    assert browser.label(".tjr-objection-status") == "待处理"
    browser.click("#tjr-objection-decide input[name=decision][value=not_upheld]")
    browser.type("#field-finding", FINDING)
    browser.click_to(browser.find("#tjr-objection-decide button[type=submit]"),
                     "#tjr-objection")
    assert browser.label(".tjr-objection-status") == "异议不成立"
    assert browser.find(".tjr-finding").text.startswith(FINDING)
    assert browser.absent("#tjr-objection-decide")
    browser.screenshot("06-objection-decision.png")
    decided = call_as(reviewer, "objection_show", id=listed[0]["id"])
    assert (decided["status"], decided["finding"]) == ("not_upheld", FINDING)
    assert _state(app_id) == "publicity"

    # 5. The publicity period ends; the cron sweep closes it and issues the certificate.
    end_publicity(app_id)
    swept = ckan_server.ckan("tjregistry", "workflow", "close-publicity")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "1 publicity periods closed, 1 certificates issued" in swept.stdout, swept.stdout
    assert _state(app_id) == "issued"
    registered = _dataset(clerk, DATASET_NAME)
    certificate = issuance.current_for_package(shown["id"])
    assert certificate is not None and certificate.status == "valid"
    assert registered["registration_status"] == "registered"
    assert registered["registration_code"] == certificate.code
    code = certificate.code
    browser.open(f"/registration/application/{app_id}", ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "已发证"
    browser.logout()

    # The clerk logs in again and lands on 我的登记: the record, its code and certificate.
    browser.login(clerk)
    assert browser.path() == "/registration/mine"
    record = browser.find(f"#tjr-mine [data-package='{shown['id']}']")
    assert "已登记" in record.find_element(By.CSS_SELECTOR, ".tjr-fact-status").text
    assert code in record.find_element(By.CSS_SELECTOR, ".tjr-fact-code").text
    assert record.find_element(By.CSS_SELECTOR, "a.tjr-certificate-pdf").text == "下载登记凭证"
    browser.screenshot("07-my-registrations.png")
    browser.logout()

    # 6. The citizen verifies the certificate by its code.
    browser.open("/registration/verify", "form#certificate-verify-form")
    browser.type("#field-code", code)
    browser.click_to(browser.find("form#certificate-verify-form button[type=submit]"),
                     "#verification-result")
    result = browser.find("#verification-result")
    assert result.get_attribute("data-result") == "valid"
    assert browser.find("#verification-result h2 .label").text == "有效"
    table = result.text
    for text in (code, "和平区教育局", "公共数据资源", DATASET_TITLE, "首次登记", "和平区登记机构",
                 f"{certificate.valid_until.year}年{certificate.valid_until.month}月"
                 f"{certificate.valid_until.day}日"):
        assert text in table, text
    browser.screenshot("08-verification.png")
    pdf_link = result.find_element(By.CSS_SELECTOR, "a[href*='/registration/certificate/']")
    status, content_type, body = _get(ckan_server, pdf_link.get_attribute("href").removeprefix(
        ckan_server.base_url))
    assert (status, content_type, body[:5]) == (200, "application/pdf", b"%PDF-")
    assert helpers.call_action("certificate_verify", {"user": ""}, code=code)["result"] \
        == "valid"
    assert history.verify().ok

    for path in browser.saved:
        _assert_painted(path)
    assert [p.name for p in browser.saved] == [
        "01-dataset-form.png", "02-application-form.png", "03-review.png", "04-publicity.png",
        "05-objection-form.png", "06-objection-decision.png", "07-my-registrations.png",
        "08-verification.png"]
    assert "Traceback" not in ckan_server.log_tail(200_000), ckan_server.log_tail()
