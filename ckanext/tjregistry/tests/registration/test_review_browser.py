"""The reviewer's confirmation of a final decision in a real browser (headless Chromium
on a real ``ckan run``): the dialog replaces the no-JavaScript checkbox, Cancel keeps the
application as it was, the confirm button decides."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ckanext.tjregistry.tests import browser_helpers
from ckanext.tjregistry.tests.browser_helpers import Browser
from ckanext.tjregistry.tests.browser_helpers import state as _state
from ckanext.tjregistry.tests.browser_helpers import with_password as _with_password
from ckanext.tjregistry.tests.workflow_helpers import build_world, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


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


def test_refusal_is_confirmed_in_a_dialog(ckan_server, driver, screenshot_dir):
    world = build_world()
    _with_password(world, "hp_reviewer")
    application = submit(world.hp_clerk, make_dataset(world.hp_reg, title="和平区学校名录"))
    browser = Browser(driver, ckan_server, screenshot_dir)
    browser.login(world.hp_reviewer)
    browser.open(f"/registration/application/{application['id']}", "#tjr-action-refuse")
    form = browser.find("#tjr-action-refuse")
    # With JavaScript the checkbox gives way to the dialog.
    assert not form.find_element(By.CSS_SELECTOR, ".tjr-confirm-fallback").is_displayed()
    ground = Select(browser.find("#tjr-action-refuse select[name=ground]"))
    assert ground.first_selected_option.get_attribute("value") == ""
    ground.select_by_value("ownership_dispute")
    browser.type("#refuse-reasons", "存在数据权属争议")
    browser.click("#tjr-action-refuse button[type=submit]")
    dialog = browser.wait("dialog.tjr-confirm-dialog[open]")
    assert "不能撤回" in dialog.text and "不予登记" in dialog.text
    browser.screenshot("review-confirm-refusal.png")
    dialog.find_element(By.CSS_SELECTOR, ".tjr-confirm-cancel").click()
    assert browser.absent("dialog.tjr-confirm-dialog[open]")
    assert _state(application["id"]) == "submitted"
    # Asked again, the reviewer confirms.
    browser.click_to(browser.find("#tjr-action-refuse button[type=submit]"),
                     ".page-heading .tjr-state")
    assert browser.label(".page-heading .tjr-state") == "不予登记"
    assert _state(application["id"]) == "refused"


def test_queue_search_and_filters_in_the_browser(ckan_server, driver, screenshot_dir):
    world = build_world()
    _with_password(world, "city_reviewer")
    for title in ("公交线路数据", "地铁客流数据"):
        submit(world.city_clerk, make_dataset(world.city_reg, title=title))
    browser = Browser(driver, ckan_server, screenshot_dir)
    browser.login(world.city_reviewer)
    browser.open("/registration/?scope=queue", "#tjr-queue-filter")
    assert len(browser.find_all("tr[data-application]")) == 2
    browser.type("#field-q", "地铁")
    Select(browser.find("#field-sort")).select_by_value("submitted")
    Select(browser.find("#field-order")).select_by_value("desc")
    browser.click_to(browser.find("#tjr-queue-filter button[type=submit]"), "#tjr-count")
    rows = browser.find_all("tr[data-application]")
    assert len(rows) == 1 and "地铁客流数据" in rows[0].text
    assert Select(browser.find("#field-order")).first_selected_option.get_attribute(
        "value") == "desc"
    browser.screenshot("review-queue.png")
    # On a phone the table scrolls inside its frame; the page itself does not.
    driver.set_window_size(390, 844)
    browser.open("/registration/?scope=queue", "#tjr-queue-filter")
    frame, viewport = driver.execute_script(
        "return [document.querySelector('.table-responsive').getBoundingClientRect().right,"
        " document.documentElement.clientWidth]")
    assert viewport <= 390 and frame <= viewport
    assert driver.save_screenshot(str(screenshot_dir / "review-queue-390.png"))
