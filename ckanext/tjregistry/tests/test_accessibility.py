"""Accessibility and the phone, measured in a real browser (Selenium, headless Chromium).

A real CKAN server (``ckan_server``, CSRF on) serves the key public pages: the home page,
the catalogue search, a registered dataset, the publicity list and a notice, a failed
login (a flash error) and a failed objection lookup (a field error). In each page the
browser computes, for every visible piece of text, the contrast ratio of its colour
against the background actually painted behind it (getComputedStyle and the WCAG 2.1
formula) and the test fails below 4.5:1; it also fails on a link or button without an
accessible name (an icon alone) and on help text or badges below 14px.

At 390×844 (a phone) no page may scroll sideways and the main content comes before the
sidebar. The objection receipt offers a copy button that works and prints without the
site's navigation. Screenshots go to ``TJ_SCREENSHOT_DIR`` (else the test's temporary
directory).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

import ckan.model as model

from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.browser_helpers import chromium
from ckanext.tjregistry.tests.live_server import LiveServer
from ckanext.tjregistry.tests.publicity_helpers import PDF_BYTES, RESIDENT_ID, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

PASSWORD = "Tianjin-a11y-2026"
WAIT_SECONDS = 30
DESKTOP = (1280, 1000)
PHONE = (390, 844)
MINIMUM_CONTRAST = 4.5
# 14px: below it Chinese characters lose their strokes.
MINIMUM_SMALL_TEXT_PX = 14

REGISTERED_NAME = "hp-school-buildings"
REGISTERED_TITLE = "和平区中小学校舍安全数据"

# The measuring functions (contrastRows, unnamedControls, smallText, phoneLayout) run in
# the page; see accessibility.js.
CHECKS_JS = (Path(__file__).parent / "accessibility.js").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def ckan_server_options(tmp_path, ckan_config, monkeypatch) -> dict[str, str]:
    """Signing keys and objection evidence of this test only, for the server and the test."""
    options = {"tjregistry.certificate.key_dir": str(tmp_path / "keys"),
               "tjregistry.objection.storage_dir": str(tmp_path / "objections")}
    for key, value in options.items():
        monkeypatch.setitem(ckan_config, key, value)
    return options


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("TJ_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def driver(tmp_path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path, window=DESKTOP) as browser:
        yield browser


@pytest.fixture
def site(ckan_server) -> dict[str, Any]:
    """A registered dataset, one in publicity, and a reviewer who can log in."""
    world = build_world()
    registered = make_dataset(world.hp_reg, name=REGISTERED_NAME, title=REGISTERED_TITLE)
    app = submit(world.hp_clerk, registered)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert workflow.registration_status(registered["id"]) == "registered"
    publicity_dataset, publicity_app = in_publicity(world, name="hp-school-map",
                                                    title="和平区学区划分数据")
    model.User.get(world.hp_reviewer["id"]).password = PASSWORD
    model.Session.commit()
    return {"world": world, "registered": registered, "publicity_app": publicity_app,
            "publicity_dataset": publicity_dataset}


class Page:
    """The browser on the live server, at a desktop or a phone's size."""

    def __init__(self, driver: webdriver.Chrome, server: LiveServer, shots: Path) -> None:
        self.driver = driver
        self.server = server
        self.shots = shots

    def wait(self, css: str) -> WebElement:
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            body = self.driver.find_element(By.TAG_NAME, "body").text[:2000]
            raise AssertionError(f"{css!r} did not appear on {self.driver.current_url}\n{body}\n"
                                 f"--- server log ---\n{self.server.log_tail()}") from None

    def open(self, path: str, ready: str = "body") -> WebElement:
        self.driver.get(self.server.url(path))
        return self.wait(ready)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def submit(self, button: str, ready: str) -> WebElement:
        page = self.driver.find_element(By.TAG_NAME, "html")
        element = self.find(button)
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(ec.staleness_of(page))
        return self.wait(ready)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def phone(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})

    def screenshot(self, name: str) -> Path:
        """The whole page: the emulated screen is stretched to the page's height."""
        width = self.driver.execute_script("return window.innerWidth")
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        mobile = width <= PHONE[0]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(max(height, 600), 6000), "deviceScaleFactor": 1,
            "mobile": mobile})
        target = self.shots / name
        try:
            assert self.driver.save_screenshot(str(target)), name
        finally:
            if mobile:
                self.phone()
            else:
                self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return target

    # -- measurements
    def run(self, call: str) -> Any:
        return self.driver.execute_script(f"{CHECKS_JS}\nreturn {call};")

    def contrast_failures(self) -> list[dict[str, Any]]:
        rows = self.run("contrastRows()")
        assert rows, f"no text measured on {self.driver.current_url}"
        unmeasured = [row for row in rows if row["ratio"] is None]
        # Text over a background image cannot be measured: none of these pages has any.
        assert not unmeasured, unmeasured[:10]
        return [row for row in rows if row["ratio"] < MINIMUM_CONTRAST]

    def unnamed_controls(self) -> list[str]:
        return self.run("unnamedControls()")

    def small_text(self) -> list[list[Any]]:
        return self.run(f"smallText({MINIMUM_SMALL_TEXT_PX - 0.01})")

    def layout(self) -> dict[str, Any]:
        return self.run("phoneLayout()")


@pytest.fixture
def page(driver, ckan_server, screenshot_dir) -> Page:
    return Page(driver, ckan_server, screenshot_dir)


def _public_pages(site: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, path, an element that shows the page is there)."""
    app_id = site["publicity_app"]["id"]
    return [
        ("home", "/", "body"),
        ("search", "/dataset/?q=" + "和平区教育局", ".dataset-list"),
        ("dataset", f"/data-resource/{REGISTERED_NAME}", ".primary"),
        ("publicity", "/registration/publicity", "#tjr-publicity-list"),
        ("notice", f"/registration/publicity/{app_id}", "#tjr-publicity-facts"),
    ]


def _failed_login(page: Page) -> None:
    """CKAN's flash error: a wrong password."""
    page.open("/user/login", "#field-login")
    page.type("#field-login", "hp_reviewer")
    page.type("#field-password", "not-the-password")
    page.submit("form:has(#field-login) button[type=submit]", ".flash-messages .alert")


def _failed_lookup(page: Page) -> None:
    """A field error block: an objection number and token that do not match."""
    page.open("/registration/objection/track", "#tjr-track-form")
    page.type("#field-number", "YY-2026-000000")
    page.type("#field-token", "wrong-token")
    page.submit("#tjr-track-form button[type=submit]", ".error-block")


def _login(page: Page, user: dict[str, Any]) -> None:
    page.open("/user/login", "#field-login")
    page.type("#field-login", user["name"])
    page.type("#field-password", PASSWORD)
    page.submit("form:has(#field-login) button[type=submit]", "body")
    assert "/user/login" not in page.driver.current_url, page.find("body").text[:500]


# ---------------------------------------------------------------------------
# Tests


def _check_page(page: Page, name: str, problems: dict[str, Any]) -> None:
    for label, found in (("contrast", page.contrast_failures()),
                         ("unnamed", page.unnamed_controls()),
                         ("small", page.small_text())):
        if found:
            problems[f"{name}: {label}"] = found


def test_text_contrast_names_and_sizes_on_the_key_pages(page, site):
    problems: dict[str, Any] = {}
    for name, path, ready in _public_pages(site):
        page.open(path, ready)
        _check_page(page, name, problems)
        page.screenshot(f"a11y-{name}.png")
    _failed_login(page)
    assert page.find(".flash-messages .alert").text
    _check_page(page, "flash error", problems)
    page.screenshot("a11y-flash-error.png")
    _failed_lookup(page)
    _check_page(page, "field error", problems)
    page.screenshot("a11y-field-error.png")
    assert not problems, "\n".join(f"{key}: {value}" for key, value in problems.items())


def test_the_error_block_is_legible(page, site):
    """The block CKAN paints white on #c6898b (2.86:1)."""
    _failed_lookup(page)
    error = page.find(".error-block")
    ratios = [row["ratio"] for row in page.run("contrastRows()")
              if row["where"].endswith("error-block") or "error-block" in row["where"]]
    assert ratios and min(ratios) >= MINIMUM_CONTRAST, ratios
    assert float(error.value_of_css_property("font-size").removesuffix("px")) >= 14


def _assert_phone_layout(name: str, layout: dict[str, Any]) -> None:
    assert layout["scrollWidth"] <= layout["innerWidth"], (name, layout)
    if layout["secondaryTop"] is not None:
        assert layout["primaryTop"] < layout["secondaryTop"], (name, layout)


def test_a_phone_never_scrolls_sideways_and_shows_the_content_first(page, site):
    page.phone()
    checked = []
    pages = [*_public_pages(site)]
    app_id = site["publicity_app"]["id"]
    for name, path, ready in pages:
        page.open(path, ready)
        layout = page.layout()
        page.screenshot(f"phone-{name}.png")
        assert layout["innerWidth"] == PHONE[0], layout
        _assert_phone_layout(name, layout)
        checked.append(name)
    # The reviewer's pages with tables: the history of a dataset and the objections.
    _login(page, site["world"].hp_reviewer)
    for name, path, ready in [
        ("history", f"/registration/dataset/{REGISTERED_NAME}/history", ".primary"),
        ("queue", "/registration/queue", ".primary"),
        ("objections", "/registration/objections", ".primary"),
        ("application", f"/registration/application/{app_id}", ".primary"),
    ]:
        page.open(path, ready)
        layout = page.layout()
        page.screenshot(f"phone-{name}.png")
        _assert_phone_layout(name, layout)
        # The signed-in menu's icon links are named too.
        assert not page.unnamed_controls(), (name, page.unnamed_controls())
        checked.append(name)
    assert len(checked) == 9


def test_the_objection_receipt_can_be_copied_and_printed(page, site, tmp_path):
    page.phone()
    app_id = site["publicity_app"]["id"]
    page.open(f"/registration/publicity/{app_id}/objection", "form#tjr-objection-form")
    evidence = tmp_path / "权属证明.pdf"
    evidence.write_bytes(PDF_BYTES)
    page.type("#field-objector-name", "张三")
    Select(page.find("#field-id-type")).select_by_value("resident_id")
    page.type("#field-id-number", RESIDENT_ID)
    page.type("#field-contact-phone", "13800138000")
    Select(page.find("#field-category")).select_by_value("rights_dispute")
    page.type("#field-statement", "该数据中的学区边界由本单位测绘并享有权益。")
    # Art. 20 相关当事人: how the objector is concerned.
    Select(page.find("#field-interest")).select_by_value("competing_claim")
    page.type("#field-interest-statement", "测绘成果由本单位完成,本单位对该数据主张权利。")
    page.find("#field-evidence").send_keys(str(evidence))
    truthful = page.find("form#tjr-objection-form input[name=truthful]")
    page.driver.execute_script("arguments[0].click();", truthful)
    page.submit("form#tjr-objection-form button[type=submit]", "#tjr-objection-receipt")
    number = page.find("#tjr-objection-number")
    assert number.text
    # Without JavaScript the codes are selectable text; a tap selects a whole code.
    assert number.value_of_css_property("user-select") == "all"
    layout = page.layout()
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    page.screenshot("phone-objection-receipt.png")

    # With JavaScript the copy buttons appear, carry a name, and copy.
    copy = page.find("button[data-tjr-copy='#tjr-objection-number']")
    assert copy.is_displayed() and copy.get_attribute("aria-label")
    page.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": page.server.base_url,
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    copy.click()
    status = copy.find_element(By.XPATH, "following-sibling::span[@role='status']")
    WebDriverWait(page.driver, WAIT_SECONDS).until(lambda _driver: status.text)
    assert status.text == "已复制"
    copied = page.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));")
    assert copied == number.text
    assert page.find("button[data-tjr-print]").is_displayed()

    # Printed, the receipt stands alone: no masthead, navigation, footer or buttons.
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = page.driver.execute_script("""
            return Array.from(document.querySelectorAll(
                'header, .masthead, .account-masthead, footer, .site-footer, .breadcrumb, '
                + '.secondary, button'))
              .map((element) => getComputedStyle(element).display);""")
        assert hidden and set(hidden) == {"none"}, hidden
        assert page.find("#tjr-objection-receipt").is_displayed()
        assert page.find("#tjr-objection-token").is_displayed()
    finally:
        page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
