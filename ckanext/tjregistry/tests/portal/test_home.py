"""The platform's home page: identity, search, public figures, services, latest facts."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from ckanext.tjregistry.tests.workflow_helpers import call_as, make_user

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.body, "html.parser")


def _figures(soup: BeautifulSoup) -> dict[str, int]:
    return {li["data-figure"]: int(li.find("strong").get_text(strip=True).replace(",", ""))
            for li in soup.find(id="tjr-home-figures").find_all("li")}


def test_the_status_of_the_fixture(public_register):
    """The register the tests count: what is registered, in publicity and a draft."""
    statuses = {key: call_as(None, "package_show", id=ds["id"])["registration_status"]
                for key, ds in (("resource", public_register.resource),
                                ("product", public_register.product))}
    assert statuses == {"resource": "registered", "product": "registered"}


@pytest.mark.parametrize(("prefix", "title", "tiles"), [
    ("", "天津市公共数据资源登记平台",
     ["我要登记", "登记公示", "登记信息查询", "凭证核验", "公告"]),
    ("/en", "Tianjin Public Data Resource Registration Platform",
     ["Register data", "Registration publicity", "Registration query", "Verify certificate",
      "Announcements"]),
])
def test_home_page_shows_the_platform_and_its_public_facts(app, public_register, prefix, title,
                                                          tiles):
    soup = _soup(app.get(f"{prefix}/"))
    assert soup.find(id="tjr-home-title").get_text(strip=True) == title
    assert soup.find("title").get_text(strip=True) == "天津市公共数据资源登记平台"
    assert soup.find(id="tjr-brand") is not None

    search = soup.find(id="tjr-home-search")
    assert search["action"] == f"{prefix}/dataset/"
    assert search.find("input", {"name": "q"}) is not None

    # Only what is registered and public counts: the draft and the dataset in
    # publicity do not, nor does the draft's registrant.
    assert _figures(soup) == {"resources": 1, "products": 1, "registrants": 2}
    public = call_as(None, "registration_query", status="registered")
    assert public["count"] == 2

    tile_titles = [a.find(class_="tjr-tile-title").get_text(strip=True)
                   for a in soup.find(id="tjr-home-tiles").find_all("a")]
    assert tile_titles == tiles
    hrefs = {a["id"]: a["href"] for a in soup.find(id="tjr-home-tiles").find_all("a")}
    login = urlsplit(hrefs["tjr-tile-register"])
    assert login.path == f"{prefix}/user/login"
    assert parse_qs(login.query) == {"came_from": [f"{prefix}/registration/home"]}
    assert hrefs["tjr-tile-publicity"] == f"{prefix}/registration/publicity"
    assert hrefs["tjr-tile-query"] == f"{prefix}/registration/query"
    assert hrefs["tjr-tile-verify"] == f"{prefix}/registration/verify"
    assert hrefs["tjr-tile-announcements"] == f"{prefix}/registration/announcements"

    latest = soup.find(id="tjr-home-registrations")
    listed = {li.find(class_="tjr-latest-title").get_text(strip=True)
              for li in latest.find_all("li", class_="tjr-latest-item")}
    assert listed == {"和平区学校名录", "城市交通出行指数服务"}
    assert "滨海新区草稿数据" not in soup.get_text()
    link = latest.find("a", string="和平区学校名录")
    assert link["href"] == f"{prefix}/data-resource/{public_register.resource['name']}"

    notices = soup.find(id="tjr-home-notices").find_all("li", class_="tjr-latest-item")
    assert [li.find("a").get_text(strip=True) for li in notices] == ["和平区公交站点客流"]
    assert notices[0].find("a")["href"] == (
        f"{prefix}/registration/publicity/{public_register.notice['id']}")


def test_home_page_is_the_same_register_for_a_logged_in_registrant(app, world, public_register):
    """A clerk sees its own draft in its workspace, never counted as public on the home."""
    soup = _soup(app.get("/", headers={"Authorization": world.bh_clerk["token"]}))
    assert _figures(soup) == {"resources": 1, "products": 1, "registrants": 2}
    assert "滨海新区草稿数据" not in soup.get_text()
    register = soup.find(id="tjr-tile-register")
    assert register["href"] == "/registration/mine"


def test_register_tile_leads_a_user_without_registrant_to_the_sign_up(app, world):
    soup = _soup(app.get("/", headers={"Authorization": world.outsider["token"]}))
    assert soup.find(id="tjr-tile-register")["href"] == "/registration/register"
    assert _figures(soup) == {"resources": 0, "products": 0, "registrants": 0}


def test_figures_are_read_fresh(app, world, public_register):
    from ckanext.tjregistry.tests.supervision_helpers import register
    from ckanext.tjregistry.tests.workflow_helpers import make_dataset

    assert _figures(_soup(app.get("/")))["resources"] == 1
    register(world, world.bh_clerk, world.bh_reviewer, make_dataset(world.bh_reg))
    assert _figures(_soup(app.get("/"))) == {"resources": 2, "products": 1, "registrants": 3}


@pytest.mark.parametrize("path", ["/", "/en/", "/about", "/dataset/"])
def test_no_ckan_branding(app, world, public_register, path):
    soup = _soup(app.get(path, headers={"Authorization": world.hp_clerk["token"]}))
    text = soup.get_text(" ")
    assert "CKAN" not in text
    assert "欢迎" not in text and "歡迎" not in text and "來到" not in text
    html = str(soup)
    assert "420x220" not in html and "420×220" not in html
    assert "ckan-logo" not in html and "ckan-footer-logo" not in html
    assert "gravatar" not in html.lower()
    assert "twitter" not in html.lower() and "facebook" not in html.lower()
    assert "opendefinition" not in html


def test_dataset_page_has_no_share_links_nor_gravatar(app, world, public_register):
    # A clerk without a picture of their own (the test factories give users one).
    clerk = make_user("plain_clerk", world.hp_reg, image_url="")
    name = public_register.resource["name"]
    for path in (f"/data-resource/{name}", f"/user/{clerk['name']}"):
        html = app.get(path, headers={"Authorization": clerk["token"]}).body
        assert "twitter.com/share" not in html and "facebook.com/sharer" not in html
        assert "gravatar.com" not in html
        soup = BeautifulSoup(html, "html.parser")
        picture = soup.select_one(".account-masthead img.user-image")
        assert picture["src"].endswith("/base/images/placeholder-user.png")
