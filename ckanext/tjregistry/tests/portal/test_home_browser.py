"""The home page in headless Chromium (Selenium) against a real ``ckan run`` server, on a
desktop window and at a phone's 390 px: the platform's identity and public figures are
rendered, nothing overflows sideways, and screenshots are kept (``TJ_SCREENSHOT_DIR``)."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By

from ckanext.tjregistry.tests.browser_helpers import chromium

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")

PLATFORM_BLUE = (0x0B, 0x4F, 0x8A)  # portal.css --tjr-blue, the hero and the mark
SEAL_RED = (0xD3, 0x2F, 0x2F)  # portal.css --tjr-red, the search button and the seal


@pytest.fixture
def driver(tmp_path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path, window=None, extra_arguments=("--hide-scrollbars",)) as browser:
        yield browser


def _painted(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 8) -> int:
    count = 0
    for number, pixel in image.getcolors(maxcolors=image.width * image.height):
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True)):
            count += number
    return count


def _emulate(driver: webdriver.Chrome, width: int, height: int) -> None:
    """A viewport of ``width`` CSS pixels (a phone's below 600); a window cannot be made
    narrower than 500 px, the DevTools' device emulation can."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _screenshot(driver: webdriver.Chrome, tmp_path: Path, width: int, name: str) -> Image.Image:
    """The whole page: the viewport is made as tall as the document first."""
    _emulate(driver, width, driver.execute_script(
        "return document.documentElement.scrollHeight"))
    target = tmp_path / name
    assert driver.save_screenshot(str(target))
    keep = os.environ.get("TJ_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(keep) / name)
    return Image.open(target).convert("RGB")


ZH_TILES = ["我要登记", "登记公示", "登记信息查询", "凭证核验", "公告"]
EN_TILES = ["Register data", "Registration publicity", "Registration query",
            "Verify certificate", "Announcements"]


@pytest.mark.parametrize(("width", "prefix", "title", "tile_titles", "name"), [
    (1280, "", "天津市公共数据资源登记平台", ZH_TILES, "home.png"),
    (390, "", "天津市公共数据资源登记平台", ZH_TILES, "home-390.png"),
    (1280, "/en", "Tianjin Public Data Resource Registration Platform", EN_TILES, "home-en.png"),
])
def test_home_page_in_chromium(tmp_path, public_register, ckan_server, driver, width, prefix,
                               title, tile_titles, name):
    _emulate(driver, width, 900)
    driver.get(ckan_server.url(f"{prefix}/"))
    assert driver.execute_script("return window.innerWidth") == width
    assert driver.find_element(By.ID, "tjr-home-title").text == title
    figures = {item.get_attribute("data-figure"): item.find_element(By.TAG_NAME, "strong").text
               for item in driver.find_elements(By.CSS_SELECTOR, "#tjr-home-figures li")}
    assert figures == {"resources": "1", "products": "1", "registrants": "2"}
    tiles = driver.find_elements(By.CSS_SELECTOR, "#tjr-home-tiles .tjr-tile")
    assert [tile.find_element(By.CLASS_NAME, "tjr-tile-title").text
            for tile in tiles] == tile_titles
    assert all(tile.is_displayed() for tile in tiles)
    # Nothing wider than the window: no sideways scrolling on a phone.
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    # The portal's style sheet is applied (the hero's blue ground).
    hero = driver.find_element(By.ID, "tjr-home-hero")
    assert "11, 79, 138" in hero.value_of_css_property("background-image")

    image = _screenshot(driver, tmp_path, width, name)
    assert image.width == width
    assert len(image.getcolors(maxcolors=1 << 20)) > 200  # a rendered page, not a blank one
    assert _painted(image, PLATFORM_BLUE) > 1000
    assert _painted(image, SEAL_RED) > 200
