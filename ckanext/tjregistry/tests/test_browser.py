"""The statistics and service report pages in a real browser (headless Chromium).

A real CKAN server (the ``ckan_server`` fixture, live_server.py) is started on a free
port with the test configuration (same database, Solr core and Redis as this test),
behind a small local proxy that adds the officer's API token to every request, the way
a logged-in browser session would authenticate. Chromium then loads the pages, and the
test checks the DOM it built (Chinese headings, the SVG charts) and the screenshot it
took (the size, and that the charts' colours were actually painted).
"""
from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.certificates.procedure import on_application_approved
from ckanext.tjregistry.tests.publicity_helpers import in_publicity
from ckanext.tjregistry.tests.supervision_helpers import add_district_authority, build_landscape
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
# Colours the charts paint (charts.py / statistics.STATUS_COLORS).
REGISTERED_GREEN = (0x00, 0x9E, 0x73)
PENDING_BLUE = (0x00, 0x72, 0xB2)
LATE_ORANGE = (0xD5, 0x5E, 0x00)
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}


def _proxy(upstream_port: int, token: str) -> tuple[http.server.ThreadingHTTPServer, int]:
    """Forward GET requests to the CKAN server with ``Authorization: token``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            headers = {key: value for key, value in self.headers.items()
                       if key.lower() not in HOP_BY_HOP and key.lower() != "host"}
            headers["Authorization"] = token
            headers["Host"] = f"127.0.0.1:{upstream_port}"
            connection.request("GET", self.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The browser may drop a connection it no longer needs.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _chromium(tmp_path: Path, url: str, *mode: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--window-size=1280,2000", *mode, url]
    return subprocess.run(command, capture_output=True, timeout=180, check=False)


def _dom(tmp_path: Path, url: str) -> BeautifulSoup:
    result = _chromium(tmp_path, url, "--dump-dom")
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return BeautifulSoup(result.stdout.decode("utf-8"), "html.parser")


def _screenshot(tmp_path: Path, url: str, name: str) -> Image.Image:
    target = tmp_path / name
    result = _chromium(tmp_path, url, f"--screenshot={target}")
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert target.exists() and target.stat().st_size > 50_000, "screenshot missing or blank"
    keep = os.environ.get("TJ_SCREENSHOT_DIR")
    if keep:
        shutil.copy(target, Path(keep) / name)
    return Image.open(target).convert("RGB")


def _painted(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    """How many pixels have (about) ``colour``."""
    count = 0
    for number, pixel in image.getcolors(maxcolors=image.width * image.height):
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True)):
            count += number
    return count


@pytest.fixture
def browser_site(ckan_server):
    world = build_world()
    add_district_authority(world)
    build_landscape(world)
    proxy, port = _proxy(ckan_server.port, world.officer["token"])
    yield f"http://127.0.0.1:{port}", world
    proxy.shutdown()


def test_statistics_page_in_chromium(tmp_path, browser_site):
    base, _ = browser_site
    url = f"{base}/registration/statistics"
    soup = _dom(tmp_path, url)
    assert soup.find("html")["lang"].startswith("zh")
    assert soup.find(id="tjr-statistics-heading").get_text(strip=True) == "登记统计"
    headings = {h2.get_text(strip=True) for h2 in soup.find_all("h2")}
    assert {"按区域", "按登记主体", "按登记对象类别", "按登记状态", "按登记类型", "按月趋势",
            "未按要求登记"} <= headings
    for chart in ("status", "district", "registrant", "category", "type", "monthly"):
        svg = soup.find("svg", id=f"tjr-chart-{chart}")
        assert svg is not None, chart
        assert svg.find_all(["rect", "path", "circle"]), chart
    row = soup.find("svg", id="tjr-chart-district").find("g", attrs={"data-row": "和平区"})
    assert row["data-total"] == "3"

    image = _screenshot(tmp_path, url, "statistics.png")
    assert image.size == (1280, 2000)
    assert len(image.getcolors(maxcolors=1 << 20)) > 200  # text, charts, not a blank page
    assert _painted(image, REGISTERED_GREEN) > 200
    assert _painted(image, PENDING_BLUE) > 200


def test_service_report_page_in_chromium(tmp_path, browser_site):
    base, _ = browser_site
    url = f"{base}/registration/reports/service?institution=hp-inst"
    soup = _dom(tmp_path, url)
    assert soup.find(id="tjr-report-heading").get_text(strip=True) == "登记服务报告"
    assert soup.find(id="tjr-report-institution").get_text(strip=True) == "和平区登记机构"
    assert {"办理时效(工作日)", "异议", "撤销登记"} <= {
        h2.get_text(strip=True) for h2 in soup.find_all("h2")}
    chart = soup.find("svg", id="tjr-chart-timeliness")
    assert chart is not None and chart.find_all("rect", class_="tjr-bar")
    downloads = [a["href"] for a in soup.find(id="tjr-report-downloads").find_all("a")]
    assert any("download.pdf" in href for href in downloads)

    image = _screenshot(tmp_path, url, "service-report.png")
    assert image.size == (1280, 2000)
    assert _painted(image, REGISTERED_GREEN) > 200  # the on-time bars


@pytest.mark.usefixtures("own_key_dir")
@pytest.mark.parametrize(("prefix", "registered_label", "publicity_label", "notice_label"), [
    ("", "已登记", "公示中", "公示公告"),
    ("/en", "Registered", "In publicity", "Publicity notice"),
])
def test_the_public_catalogue_in_chromium(tmp_path, ckan_server, prefix, registered_label,
                                          publicity_label, notice_label):
    """An anonymous visitor's search results: the register only, each result with its
    status and registration code, a record in publicity linked to its notice."""
    world = build_world()
    listed = make_dataset(world.hp_reg, name="browser-registered", title="浏览器已登记数据")
    app = submit(world.hp_clerk, listed)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    on_application_approved(app["id"])  # issuance, which manual_issuance holds back
    code = issuance.current_for_package(listed["id"]).code
    _dataset, notice_app = in_publicity(world, name="browser-publicity", title="浏览器公示数据")
    make_dataset(world.hp_reg, name="browser-draft", title="浏览器草稿数据")

    url = ckan_server.url(f"{prefix}/dataset/?q=浏览器")
    soup = _dom(tmp_path, url)
    items = {item.find("h2").find("a").get_text(strip=True): item
             for item in soup.select("li.dataset-item")}
    assert set(items) == {"浏览器已登记数据", "浏览器公示数据"}
    registered_item, publicity_item = items["浏览器已登记数据"], items["浏览器公示数据"]
    assert registered_item.select_one(".tjr-status").get_text(strip=True) == registered_label
    # Painted on a background of its own (Bootstrap's badge text is white).
    assert "bg-success" in registered_item.select_one(".tjr-status")["class"]
    assert "bg-warning" in publicity_item.select_one(".tjr-status")["class"]
    assert registered_item.select_one(".tjr-result-code code").get_text(strip=True) == code
    assert publicity_item.select_one(".tjr-status").get_text(strip=True) == publicity_label
    link = publicity_item.select_one("a.tjr-result-notice")
    assert link.get_text(strip=True) == notice_label
    assert link["href"].endswith(f"/registration/publicity/{notice_app['id']}")

    image = _screenshot(tmp_path, url, f"catalogue{prefix.replace('/', '-') or '-zh'}.png")
    assert len(image.getcolors(maxcolors=1 << 20)) > 100  # a rendered page, not a blank one
