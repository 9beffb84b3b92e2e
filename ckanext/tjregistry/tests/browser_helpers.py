"""A person's browser for the journey tests: headless Chromium driven through Selenium.

The journeys (test_browser_journey.py, test_browser_roles.py) run against a real CKAN
server (the ``ckan_server`` fixture, live_server.py; CSRF protection on) and go through
the pages and forms a person uses. This module holds what they share: the Chromium
driver, the :class:`Browser` (log in, open a page, type, choose, click and wait for the
next page, screenshots), and small readers of the database the server committed to.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

import ckan.model as model

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.tests.live_server import LiveServer
from ckanext.tjregistry.tests.workflow_helpers import World, call_as

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
PASSWORD = "Tianjin-journey-2026"
WAIT_SECONDS = 30
WINDOW = (1280, 1400)


# ---------------------------------------------------------------------------
# What the fixtures of a journey module use


def server_options(tmp_path: Path, ckan_config: Any, monkeypatch: Any) -> dict[str, str]:
    """Signing keys and objection evidence of one test only, for the server, the cron
    command and the test process alike."""
    options = {"tjregistry.certificate.key_dir": str(tmp_path / "keys"),
               "tjregistry.objection.storage_dir": str(tmp_path / "objections")}
    for key, value in options.items():
        monkeypatch.setitem(ckan_config, key, value)
    return options


def screenshot_folder(tmp_path: Path) -> Path:
    """``TJ_SCREENSHOT_DIR`` if set (to keep the pictures), else the test's directory."""
    folder = Path(os.environ.get("TJ_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def chromium(tmp_path: Path, window: tuple[int, int] | None = WINDOW,
             extra_arguments: tuple[str, ...] = ()) -> Iterator[webdriver.Chrome]:
    """Debian's headless Chromium through Debian's chromedriver, asking for Chinese;
    ``window`` None leaves Chromium's own size."""
    chromedriver = shutil.which("chromedriver")
    assert chromedriver, "chromedriver is missing (Debian's chromium-driver, services/stack.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--lang=zh-CN", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                     *((f"--window-size={window[0]},{window[1]}",) if window else ()),
                     *extra_arguments):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    # An explicit driver path: Selenium never looks for (or downloads) a driver itself.
    service = Service(executable_path=chromedriver,
                      log_output=str(tmp_path / "chromedriver.log"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


# ---------------------------------------------------------------------------
# The browser, as a person uses it


class Browser:
    def __init__(self, driver: webdriver.Chrome, server: LiveServer, shots: Path) -> None:
        self.driver = driver
        self.server = server
        self.shots = shots
        self.saved: list[Path] = []

    # -- navigation and waiting
    def failure(self, what: str) -> AssertionError:
        """An assertion error that shows the page and the server's log."""
        try:
            body = self.driver.find_element(By.TAG_NAME, "body").text[:3000]
        except WebDriverException:
            body = "(no page)"
        return AssertionError(f"{what} on {self.driver.current_url}\n--- page ---\n{body}\n"
                              f"--- server log ---\n{self.server.log_tail()}")

    def wait(self, css: str, timeout: float = WAIT_SECONDS) -> WebElement:
        try:
            return WebDriverWait(self.driver, timeout).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise self.failure(f"{css!r} did not appear") from None

    def open(self, path: str, ready: str) -> WebElement:
        self.driver.get(self.server.url(path))
        return self.wait(ready)

    def click_to(self, element: WebElement | str, ready: str) -> WebElement:
        """Click a link or a form's button and wait for the next page."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.click(element)
        self.confirm_if_asked()
        try:
            WebDriverWait(self.driver, WAIT_SECONDS).until(ec.staleness_of(page))
        except TimeoutException:
            raise self.failure("the click did not load a page") from None
        return self.wait(ready)

    def confirm_if_asked(self) -> None:
        """Answer the confirmation dialog of a decision that cannot be undone
        (js/confirm-decision.js) with its OK button, as the person means to go on."""
        dialogs = self.driver.find_elements(By.CSS_SELECTOR, "dialog.tjr-confirm-dialog[open]")
        if dialogs:
            dialogs[0].find_element(By.CSS_SELECTOR, ".tjr-confirm-ok").click()

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def reveal(self, element: WebElement) -> None:
        """Open the closed sections (``<details>``) around a field, by clicking their
        titles as a person would."""
        summaries = self.driver.execute_script(
            # A section's own title is not inside what it opens.
            "var element = arguments[0];"
            "if (element.tagName === 'SUMMARY') { element = element.parentElement; }"
            "var found = [], node = element.parentElement;"
            "while (node) { if (node.tagName === 'DETAILS' && !node.open) {"
            "  found.unshift(node.querySelector(':scope > summary')); }"
            " node = node.parentElement; } return found;", element)
        for summary in summaries:
            self.click(summary)

    def click(self, target: str | WebElement) -> None:
        """Scroll the element to the middle of the window and click it.

        Bootstrap makes scrolling smooth; an instant scroll leaves the element where the
        click lands."""
        element = self.find(target) if isinstance(target, str) else target
        self.reveal(element)
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()

    def label(self, css: str, within: WebElement | None = None) -> str:
        """The text of a state badge, checked to be legible: painted on a background of
        its own, in another colour than that background."""
        element = (within or self.driver).find_element(By.CSS_SELECTOR, css)
        background = element.value_of_css_property("background-color")
        colour = element.value_of_css_property("color")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent"), (css, background)
        assert colour != background, (css, colour)
        return element.text

    def absent(self, css: str) -> bool:
        return not self.driver.find_elements(By.CSS_SELECTOR, css)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        self.reveal(field)
        field.clear()
        field.send_keys(text)

    def choose(self, css: str, value: str) -> None:
        field = self.find(css)
        self.reveal(field)
        Select(field).select_by_value(value)

    def text(self, css: str = "body") -> str:
        return self.find(css).text

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.server.base_url)

    # -- sessions
    def login(self, user: dict[str, Any], prefix: str = "") -> None:
        """Log in through CKAN's login form (``prefix`` "/en" for the English pages)."""
        self.open(f"{prefix}/user/login", "#field-login")
        self.type("#field-login", user["name"])
        self.type("#field-password", PASSWORD)
        button = self.find("form:has(#field-login) button[type=submit]")
        # Only a logged-in page has the header's registration link.
        self.click_to(button, "#tjr-header-registration")

    def logout(self) -> None:
        self.open("/user/_logout", "body")
        assert self.absent("#tjr-header-registration")

    # -- screenshots
    def screenshot(self, name: str) -> Path:
        """The whole page (up to 6000 pixels high): the window is stretched to fit it."""
        height, frame = self.driver.execute_script(
            "window.scrollTo({top: 0, left: 0, behavior: 'instant'});"
            "return [document.documentElement.scrollHeight,"
            " window.outerHeight - window.innerHeight];")
        self.driver.set_window_size(WINDOW[0], min(max(height + frame, WINDOW[1]), 6000))
        try:
            self.driver.execute_script(
                "window.scrollTo({top: 0, left: 0, behavior: 'instant'});")
            target = self.shots / name
            assert self.driver.save_screenshot(str(target)), name
        finally:
            self.driver.set_window_size(*WINDOW)
        self.saved.append(target)
        return target


def assert_painted(path: Path) -> None:
    """A real page: a sizeable PNG with text, not a blank or an error stub."""
    assert path.is_file(), path
    assert path.stat().st_size > 20_000, f"{path} is only {path.stat().st_size} bytes"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 1000 and image.height >= 600, (path, image.size)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 100, f"{path} looks blank"


# ---------------------------------------------------------------------------
# What the server committed


def application_row(app_id: str) -> Application:
    """The application as the server committed it (a fresh session)."""
    model.Session.remove()
    return model.Session.get(Application, app_id)


def state(app_id: str) -> str:
    """The application's state in the database, as the server committed it."""
    return application_row(app_id).state


def dataset(user: dict[str, Any], name: str) -> dict[str, Any]:
    model.Session.remove()
    return call_as(user, "package_show", id=name)


def with_password(world: World, *names: str) -> None:
    """Give the world's users a password to type into the login form."""
    for name in names:
        model.User.get(world.users[name]["id"]).password = PASSWORD
    model.Session.commit()


def get(server: LiveServer, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type") or "", response.read()
