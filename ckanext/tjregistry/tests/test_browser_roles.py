"""Each role's journeys in a real browser (Selenium, headless Chromium), in Chinese and English.

Like test_browser_journey.py: a real CKAN server with CSRF protection on (the
``ckan_server`` fixture), and every step through the pages and forms a person uses. The
record a journey starts from is prepared through the actions (it is not what the journey
tests); the clock-dependent steps move the record's dates (publicity_helpers.end_publicity,
:func:`into_renewal_window`), never the wall clock.

* supplement and resubmission (补正): the reviewer returns an application with the list
  of items; the registrant's clerk finds it under 我的登记, signs the pledge again, types a
  note and resubmits; a resubmission without the pledge is refused and keeps the note;
* a data product registered by an authorised operator's clerk in the English pages
  (/en/...): the product form, its data, the application, acceptance and approval;
* revocation by the institution with jurisdiction on the record's history page (ground,
  reasons, confirmation), then the public registration query shows it revoked;
* renewal (续展) of a certificate in its renewal window on the certificate's page;
* the Chinese pages of these journeys show Chinese headings, labels and buttons.

Screenshots of the key pages go to ``TJ_SCREENSHOT_DIR`` if set, else to the test's
temporary directory.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.tests import browser_helpers
from ckanext.tjregistry.tests.browser_helpers import (
    Browser,
    application_row,
    assert_painted,
    dataset,
    state,
    with_password,
)
from ckanext.tjregistry.tests.certificates.conftest import move_term
from ckanext.tjregistry.tests.workflow_helpers import (
    World,
    build_world,
    call_as,
    colleague,
    make_dataset,
    make_org,
    make_user,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

SUPPLEMENT_ITEMS = ["补充数据来源系统的说明", "补充数据规模的统计口径"]
RESUBMIT_NOTE = "已按补正通知补充材料,经教育局业务处室复核"
REVOKE_REASONS = "经核查,登记材料中的数据来源系虚构,依法撤销该登记。"
# Words of 3+ Latin letters that may stand in a Chinese page (codes, formats, standards).
LATIN_ALLOWED = {"PDF", "SHA", "CSV", "API", "URL", "SM2", "SM3", "USCC"}


# ---------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def ckan_server_options(tmp_path, ckan_config, monkeypatch) -> dict[str, str]:
    return browser_helpers.server_options(tmp_path, ckan_config, monkeypatch)


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    return browser_helpers.screenshot_folder(tmp_path)


@pytest.fixture
def driver(tmp_path) -> Iterator[webdriver.Chrome]:
    with browser_helpers.chromium(tmp_path) as chromium:
        yield chromium


@pytest.fixture
def site(ckan_server, driver, screenshot_dir) -> Iterator[tuple[World, Browser]]:
    """The world's institutions and registrants, passwords for its staff, a browser; at
    the end, every screenshot is a painted page and the server logged no traceback."""
    world = build_world()
    with_password(world, "hp_clerk", "hp_reviewer", "city_reviewer", "city_reviewer2")
    browser = Browser(driver, ckan_server, screenshot_dir)
    yield world, browser
    for path in browser.saved:
        assert_painted(path)
    assert "Traceback" not in ckan_server.log_tail(200_000), ckan_server.log_tail()


def zh(value: str | dt.date) -> str:
    """A date as the Chinese pages show it: 2026年12月7日."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{day.year}年{day.month}月{day.day}日"


def assert_chinese_ui(browser: Browser, css: str) -> None:
    """The page's headings, labels and buttons in the main column are Chinese: each has
    Chinese text and no English word (data values are not in these elements)."""
    elements = browser.find_all(f"[role=main] :is({css})")
    assert elements, css
    for element in elements:
        text = element.text.strip()
        if not text:
            continue  # hidden (e.g. the confirmation fallback replaced by a dialog)
        english = [word for word in re.findall(r"[A-Za-z]{3,}", text)
                   if word.upper() not in LATIN_ALLOWED]
        assert not english and re.search(r"[\u4e00-\u9fff]", text), (
            f"English UI text {english} in {element.tag_name}: {text!r} on {browser.path()}")


def raw_values(browser: Browser, css: str, timestamps: bool = True) -> list[str]:
    """What a page shows as a program wrote it: Python structures ({'id': ...}) and,
    where the platform's own times are shown, ISO timestamps (2026-12-07T20:09:37.767494)
    instead of the local time."""
    pattern = r"\{'[a-z_]+': [^}]{0,40}"
    if timestamps:
        pattern += r"|\d{4}-\d\d-\d\dT\d\d:\d\d\S*"
    return [f"{css}: {match}" for match in re.findall(pattern, browser.text(css))]


def registered(world: World) -> tuple[dict[str, Any], str, str]:
    """A data resource of 和平区教育局 registered through the workflow (not opened, so no
    publicity): the dataset, its application and its certificate code."""
    record = make_dataset(world.hp_reg, title="和平区学校食堂供餐信息")
    app = submit(world.hp_clerk, record)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert state(app["id"]) == "issued"
    certificate = issuance.current_for_package(record["id"])
    assert certificate is not None and certificate.status == "valid"
    return record, app["id"], certificate.code


def into_renewal_window(code: str, days_left: int = 30) -> dt.date:
    """Let the certificate run out ``days_left`` days from (test) today: its renewal
    window (90 days before expiry) is open."""
    until = workdays.local_today() + dt.timedelta(days=days_left)
    # Re-signed as the platform would have issued it: a bare UPDATE reads as tampered.
    move_term(code, until)
    return until


# ---------------------------------------------------------------------------
# a) Supplement and resubmission


# What the application pages say, in each language.
ZH = {"prefix": "", "shot": "", "submitted": "待受理", "supplement": "待补正",
      "accepted": "审查中", "resubmit": "补正后重新提交"}
EN = {"prefix": "/en", "shot": "-en", "submitted": "Awaiting acceptance",
      "supplement": "Supplement requested", "accepted": "Under review",
      "resubmit": "Resubmit"}


def _request_supplement(world: World, browser: Browser,
                        words: dict[str, str] = ZH) -> tuple[dict[str, Any], str]:
    """The clerk's application (made through the actions) returned by the reviewer
    through the application page with two items."""
    prefix = words["prefix"]
    record = make_dataset(world.hp_reg, title="和平区校车线路信息")
    app_id = submit(world.hp_clerk, record)["id"]
    browser.login(world.hp_reviewer, prefix=prefix)
    browser.open(f"{prefix}/registration/?scope=queue", f"tr[data-application='{app_id}']")
    if words is ZH:
        assert_chinese_ui(browser, "h1, th, label, button")
    row = browser.find(f"tr[data-application='{app_id}']")
    browser.click_to(row.find_element(By.LINK_TEXT, record["title"]),
                     "#tjr-action-request_supplement")
    assert browser.label(".page-heading .tjr-state") == words["submitted"]
    if words is ZH:
        assert_chinese_ui(browser, "h1, h2, h3, button, label")
    browser.type("#tjr-action-request_supplement textarea[name=items]",
                 "\n".join(SUPPLEMENT_ITEMS))
    browser.screenshot(f"11-supplement-request{words['shot']}.png")
    browser.click_to("#tjr-action-request_supplement button[type=submit]",
                     ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == words["supplement"]
    assert [li.text for li in browser.find_all("#tjr-supplement li")] == SUPPLEMENT_ITEMS
    row = application_row(app_id)
    assert (row.state, row.supplement_items) == ("supplement_requested", SUPPLEMENT_ITEMS)
    browser.logout()
    return record, app_id


def _clerk_opens_the_returned_application(world: World, browser: Browser,
                                          record: dict[str, Any], app_id: str,
                                          words: dict[str, str] = ZH) -> None:
    """The clerk finds the returned application under 我的登记 and opens it."""
    prefix = words["prefix"]
    browser.login(world.hp_clerk, prefix=prefix)
    browser.open(f"{prefix}/registration/mine", f"#tjr-record-{record['name']}")
    if words is ZH:
        assert_chinese_ui(browser, "h1, dt, button")
    card = browser.find(f"#tjr-record-{record['name']}")
    assert words["supplement"] in card.find_element(
        By.CSS_SELECTOR, ".tjr-fact-application").text
    link = card.find_element(By.CSS_SELECTOR, f".tjr-fact-application a[href$='{app_id}']")
    browser.click_to(link, "#tjr-action-resubmit")
    assert browser.path() == f"{prefix}/registration/application/{app_id}"
    assert [li.text for li in browser.find_all("#tjr-supplement li")] == SUPPLEMENT_ITEMS
    if words is ZH:
        assert_chinese_ui(browser, "h1, h2, h3, button, label")


@pytest.mark.parametrize("words", [ZH, EN], ids=["zh", "en"])
def test_supplement_and_resubmission_in_the_browser(site, words):
    world, browser = site
    prefix = words["prefix"]
    record, app_id = _request_supplement(world, browser, words)

    # The clerk signs the pledge again, types a note and resubmits.
    _clerk_opens_the_returned_application(world, browser, record, app_id, words)
    form = "#tjr-action-resubmit"
    assert browser.find(f"{form} button[type=submit]").text == words["resubmit"]
    browser.click(f"{form} input[name=pledge]")
    browser.click(f"{form} input[name=internal_review]")
    browser.type(f"{form} input[name=internal_review_note]", RESUBMIT_NOTE)
    browser.screenshot(f"12-supplement-resubmit{words['shot']}.png")
    # Checked at the end, so that the rest of the journey runs: what the page shows.
    shown_raw = raw_values(browser, "#tjr-application-facts") + raw_values(
        browser, "#tjr-submission", timestamps=False)
    browser.click_to(f"{form} button[type=submit]", ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == words["submitted"], browser.text(
        "[role=main]")
    assert browser.absent("#tjr-action-resubmit")
    row = application_row(app_id)
    assert (row.state, row.round, row.pledge, row.internal_review,
            row.internal_review_note) == ("submitted", 2, True, True, RESUBMIT_NOTE)
    browser.logout()

    # It is back in the reviewer's queue, to be accepted.
    browser.login(world.hp_reviewer, prefix=prefix)
    browser.open(f"{prefix}/registration/?scope=queue", f"tr[data-application='{app_id}']")
    row_element = browser.find(f"tr[data-application='{app_id}']")
    assert browser.label(".tjr-state", within=row_element) == words["submitted"]
    browser.click_to(row_element.find_element(By.LINK_TEXT, record["title"]),
                     "#tjr-action-accept")
    assert RESUBMIT_NOTE in browser.text("#tjr-application-facts")
    browser.click_to("#tjr-action-accept button[type=submit]", ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == words["accepted"]
    assert state(app_id) == "accepted"
    browser.screenshot(f"13-resubmitted-accepted{words['shot']}.png")
    assert not shown_raw, f"the application page shows raw values: {shown_raw}"


def test_a_resubmission_without_the_pledge_is_refused_and_keeps_the_note(site):
    world, browser = site
    record, app_id = _request_supplement(world, browser)
    _clerk_opens_the_returned_application(world, browser, record, app_id)
    form = "#tjr-action-resubmit"
    browser.click(f"{form} input[name=internal_review]")
    browser.type(f"{form} input[name=internal_review_note]", RESUBMIT_NOTE)

    # The browser itself stops the form: the pledge box is required.
    browser.click(f"{form} button[type=submit]")
    assert browser.driver.execute_script(
        "return document.querySelector(arguments[0]).checkValidity();", form) is False
    assert browser.path() == f"/registration/application/{app_id}"
    assert browser.find(f"{form} input[name=internal_review_note]").get_attribute(
        "value") == RESUBMIT_NOTE

    # A browser without form validation sends it: the server refuses, in Chinese, and
    # the page comes back with what the clerk typed.
    browser.driver.execute_script("document.querySelector(arguments[0]).noValidate = true;",
                                  form)
    browser.click_to(f"{form} button[type=submit]", ".page-heading .tjr-state")
    assert state(app_id) == "supplement_requested"
    page = browser.text("[role=main]")
    assert "诚信承诺" in page, page
    assert "pledge:" not in page  # no raw field key
    browser.screenshot("14-resubmit-refused.png")
    assert browser.find(f"{form} input[name=internal_review_note]").get_attribute(
        "value") == RESUBMIT_NOTE, "the typed note was lost"
    assert browser.find(f"{form} input[name=internal_review]").is_selected()
    # The refusal reads as Chinese, without the field's key or the English half.
    body = browser.text("body")
    assert "pledge" not in body, body[:1500]


# ---------------------------------------------------------------------------
# b) A data product, in English


PRODUCT_NAME = "tj-bus-arrival-api"
PRODUCT_TITLE = "天津公交实时到站查询服务"


def test_an_operators_clerk_registers_a_data_product_in_english(site, ckan_server):
    world, browser = site
    operator = make_org("tj-data-ops", "registrant", "city", "120000", verified=True,
                        registrant_type="operator", title="天津数据运营有限公司")
    clerk = make_user("ops_clerk", operator)
    world.users["ops_clerk"] = clerk
    with_password(world, "ops_clerk")
    today = workdays.local_today()

    # The operator's clerk fills in the product form in English ...
    browser.login(clerk, prefix="/en")
    browser.open("/en/data-product/new", "form#dataset-edit #field-title")
    assert browser.find("html").get_attribute("lang").startswith("en")
    browser.type("#field-title", PRODUCT_TITLE)
    name_field = browser.find("#field-name")
    if not name_field.is_displayed():  # the URL preview: its edit button shows the field
        browser.click(browser.wait(".slug-preview button"))
    browser.type("#field-name", PRODUCT_NAME)
    browser.type("#field-notes", "基于公交智能调度数据的实时到站查询接口服务。")
    browser.choose("#field-private", "False")
    for field, value in {"regist_object_type": "data_product", "product_form": "data_model",
                         "industry_code": "G", "update_frequency": "realtime",
                         "in_authorized_operation": "true", "security_level": "general",
                         "has_personal_info": "false"}.items():
        browser.choose(f"#field-{field}", value)
    browser.type("#field-application_scenarios", "出行信息服务、公交到站提醒")
    browser.type("#field-implementing_body", "天津市交通运输委员会")
    browser.type("#field-authorization_scope", "公交车辆实时位置数据的加工使用")
    _set_date(browser, "#field-authorization_start", today - dt.timedelta(days=200))
    _set_date(browser, "#field-authorization_end", today + dt.timedelta(days=900))
    # Delivered three days ago: the application is filed in time (20 working days).
    _set_date(browser, "#field-first_delivery_date", today - dt.timedelta(days=3))
    browser.click("#field-delivery_mode-api")
    # Authorised operation: the product's evidence storage (存证) is stated too.
    browser.type("#field-evidence_provider", "天津市数据存证服务中心")
    _set_datetime(browser, "#field-evidence_time", today - dt.timedelta(days=90), "0930AM")
    browser.type("#field-evidence_hash", "sm3:" + "5a" * 32)
    assert "Basic information" in browser.text("#field-group-basic summary")
    browser.screenshot("21-en-product-form.png")
    browser.click_to("form#dataset-edit button[name=save]", "form#resource-edit")

    # ... and its data: the service's address.
    assert browser.path() == f"/en/data-product/{PRODUCT_NAME}/resource/new"
    browser.click("#resource-link-button")
    browser.type("#field-resource-url", "https://api.tjdata.com.cn/bus-arrival")
    browser.type("#field-name", "到站查询接口")
    browser.type("#field-data_dictionary-0-name", "arrival_time")
    browser.choose("#field-data_dictionary-0-type", "datetime")
    browser.type("#field-data_dictionary-0-description", "预计到站时间")
    browser.click_to("form#resource-edit button[value=go-metadata]",
                     "#tjr-registration-box")
    assert browser.path() == f"/en/data-product/{PRODUCT_NAME}"
    assert browser.find("#tjr-registration-box .tjr-status").text == "Unregistered"
    shown = dataset(clerk, PRODUCT_NAME)
    assert (shown["type"], shown["owner_org"], shown["product_form"],
            shown["in_authorized_operation"], shown["delivery_mode"]) == (
        "data-product", operator["id"], "data_model", True, ["api"])

    # Data under authorised operation is evidenced before applying (Art. 15). No page
    # records evidence (README, Evidence): the operator uploads its manifest through
    # the API, as computed by `ckan tjregistry evidence manifest`.
    evidence = call_as(clerk, "evidence_create", package_id=shown["id"],
                       manifest=f"{'ab' * 32}  arrivals/2026-12.csv\n")
    assert evidence["number"].startswith("TJCZ-")

    # The application: the pledge and the internal review.
    browser.open(f"/en/data-product/{PRODUCT_NAME}", "#tjr-registration-box")
    browser.click_to(browser.find(f"#tjr-registration-box a[href$='/registration/submit/"
                                  f"{PRODUCT_NAME}']"), "form#tjr-submit-form")
    assert browser.path() == f"/en/registration/submit/{PRODUCT_NAME}"
    assert browser.absent("#tjr-submit-problems"), browser.text("#tjr-submit-problems")
    browser.click("form#tjr-submit-form input[name=pledge]")
    browser.click("form#tjr-submit-form input[name=internal_review]")
    browser.type("#internal-review-note", "Reviewed by the compliance department")
    browser.screenshot("22-en-product-application.png")
    browser.click_to("form#tjr-submit-form button[type=submit]", ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "Awaiting acceptance"
    app_id = browser.path().rsplit("/", 1)[-1]
    app = call_as(clerk, "registration_show", id=app_id)
    assert (app["state"], app["package_id"], app["acting_institution"]["name"],
            app["late"]) == ("submitted", shown["id"], "city-inst", False)
    browser.logout()

    # The city institution's reviewer accepts and approves it, in English too.
    browser.login(world.city_reviewer, prefix="/en")
    browser.open("/en/registration/?scope=queue", f"tr[data-application='{app_id}']")
    row = browser.find(f"tr[data-application='{app_id}']")
    assert browser.label(".tjr-state", within=row) == "Awaiting acceptance"
    browser.click_to(row.find_element(By.LINK_TEXT, PRODUCT_TITLE), "#tjr-action-accept")
    assert "天津数据运营有限公司" in browser.text("#tjr-application-facts")
    browser.click_to("#tjr-action-accept button[type=submit]", "#tjr-decision-limits")
    assert browser.label(".page-heading .tjr-state") == "Under review"
    assert state(app_id) == "accepted"
    # Four eyes: another reviewer of the city institution decides.
    assert "four eyes" in browser.text("#tjr-decision-limits")
    browser.logout()
    browser.login(world.city_reviewer2, prefix="/en")
    browser.open(f"/en/registration/application/{app_id}", "#tjr-action-approve")
    # A product is always publicised (Art. 20): approval says so before it is pressed.
    assert "public notice" in browser.text("#tjr-approve-outcome")
    browser.type("#approve-reasons", "Complete materials; into publicity.")
    browser.screenshot("23-en-product-review.png")
    browser.click_to("#tjr-action-approve button[type=submit]", ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "In publicity"
    assert state(app_id) == "publicity"
    assert dataset(clerk, PRODUCT_NAME)["registration_status"] == "publicity"
    browser.logout()

    # Anyone reads its public notice in English.
    browser.open("/en/registration/publicity", f"tr.tjr-publicity-item[data-id='{app_id}']")
    item = browser.find(f"tr.tjr-publicity-item[data-id='{app_id}']")
    assert PRODUCT_TITLE in item.text and "天津数据运营有限公司" in item.text
    browser.screenshot("24-en-product-publicity.png")


def _set_datetime(browser: Browser, css: str, day: dt.date, time: str) -> None:
    """Type a date and a time (e.g. "0930AM") into a datetime-local input."""
    field = browser.find(css)
    browser.reveal(field)
    browser.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", field)
    field.send_keys(f"{day.month:02d}{day.day:02d}{day.year}", Keys.TAB, time)
    assert field.get_attribute("value").startswith(day.isoformat()), (
        css, field.get_attribute("value"))


def _set_date(browser: Browser, css: str, day: dt.date) -> None:
    """Type a date into a date input as the headless browser lays it out (month, day,
    year: its date fields follow en-US whatever the page's language)."""
    field = browser.find(css)
    browser.reveal(field)
    browser.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", field)
    field.send_keys(f"{day.month:02d}{day.day:02d}{day.year}")
    assert field.get_attribute("value") == day.isoformat(), (css, field.get_attribute("value"))


# ---------------------------------------------------------------------------
# c) Revocation


def test_revocation_on_the_history_page_and_the_public_query(site):
    world, browser = site
    record, _app_id, code = registered(world)

    # The reviewer of the institution with jurisdiction revokes it on its history page.
    browser.login(world.hp_reviewer)
    browser.open(f"/registration/dataset/{record['name']}/history", "#tjr-revoke")
    assert browser.find(".tjr-status").text == "已登记"
    assert_chinese_ui(browser, "h1, h2, label, button")
    browser.choose("#revoke-ground", "false_materials")
    browser.type("#revoke-reasons", REVOKE_REASONS)
    confirm = browser.find("#confirm-revoke")
    if confirm.is_displayed():  # without the confirmation dialog: the checkbox
        browser.click(confirm)
    browser.screenshot("31-revocation-form.png")
    browser.click_to("#tjr-revoke button[type=submit]", ".tjr-status")
    assert browser.find(".tjr-status").text == "已撤销"
    notice = browser.text(".alert-danger")
    assert "隐瞒事实、弄虚作假或提供虚假登记材料" in notice and REVOKE_REASONS in notice
    browser.screenshot("32-revoked-history.png")
    # A revoked registration cannot be revoked again: the form is no longer offered.
    form_still_offered = not browser.absent("#tjr-revoke")
    assert dataset(world.hp_clerk, record["name"])["registration_status"] == "revoked"
    assert issuance.current_for_code(code).status == "revoked"
    assert history.verify().ok
    browser.logout()

    # Anyone finds it revoked in the public registration query, in Chinese and English.
    for prefix, revoked in (("", "已撤销"), ("/en", "Revoked")):
        browser.open(f"{prefix}/registration/query", "form#tjr-query-form")
        browser.type("#tjr-query-form #field-code", code)
        browser.click_to("#tjr-query-form button[type=submit]", "#tjr-query-results")
        rows = browser.find_all(f"tr.tjr-query-result[data-id='{record['id']}']")
        assert len(rows) == 1, browser.text("[role=main]")
        assert revoked in rows[0].text and record["title"] in rows[0].text
        if not prefix:
            assert_chinese_ui(browser, "h1, label, button, th")
            browser.screenshot("33-query-revoked.png")
    # The certificate's page says so too.
    browser.open(f"/registration/verify?code={code}", "#verification-result")
    assert browser.find("#verification-result").get_attribute("data-result") == "revoked"
    assert not form_still_offered, "the history page still offers to revoke a revoked record"


# ---------------------------------------------------------------------------
# d) Renewal


def test_renewal_of_a_certificate_in_its_window(site):
    world, browser = site
    record, _app_id, code = registered(world)
    until = into_renewal_window(code)

    # The issuing institution's reviewer finds the certificate through the public query.
    browser.login(world.hp_reviewer)
    browser.open("/registration/query", "form#tjr-query-form")
    browser.type("#tjr-query-form #field-code", code)
    browser.click_to("#tjr-query-form button[type=submit]", "#tjr-query-results")
    row = browser.find(f"tr.tjr-query-result[data-id='{record['id']}']")
    browser.click_to(row.find_element(By.LINK_TEXT, code), "#tjr-renew-form")
    assert browser.find("#verification-result").get_attribute("data-result") == "valid"
    assert browser.text("#tjr-renew-heading") == "续展登记凭证"
    assert zh(until) in browser.text("#tjr-renew-window")
    assert_chinese_ui(browser, "h1, h2, button")
    browser.screenshot("41-renewal-form.png")
    browser.click_to("#tjr-renew-button", "#verification-result")
    current = issuance.current_for_code(code)
    assert (current.version, current.status) == (2, "valid")
    assert current.valid_until > until
    assert "登记凭证已续展" in browser.text(".flash-messages, .alert")
    assert zh(current.valid_until) in browser.text("#verification-result")
    browser.screenshot("42-renewed.png")
    events = call_as(world.hp_reviewer, "registration_history", package_id=record["id"])
    assert events[-1]["action"] == "renew_certificate"
    assert history.verify().ok
    browser.logout()

    # The registrant's clerk sees the certificate but no renewal form.
    browser.login(world.hp_clerk)
    browser.open(f"/registration/verify?code={code}", "#verification-result")
    assert browser.absent("#tjr-renew-form")
    browser.logout()

    # In English, the renewed certificate reads as version 2.
    browser.open(f"/en/registration/verify?code={code}", "#verification-result")
    result = browser.text("#verification-result")
    assert "Valid" in result and "Version" in result
