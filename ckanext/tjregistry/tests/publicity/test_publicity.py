"""The publicity (Art. 20): its action, list and detail pages and its Atom feed."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from ckan.tests import helpers

from ckanext.tjregistry.tests.publicity_helpers import end_publicity, filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLISHED_ITEMS = {"id", "registrant_name", "registration_type", "registration_type_label",
                   "data_name", "content_summary", "publicity_start", "publicity_end"}


def _list(**data):
    return helpers.call_action("registration_publicity_list", {"user": ""}, **data)


def test_exactly_the_published_items_of_running_publicity(world):
    dataset, app = in_publicity(world, title="天津市公交到站实时数据",
                                notes="全市公交车辆到站预测。")
    # Not in publicity: no publicity required, or the period is over.
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    _ended_dataset, ended = in_publicity(world, org="city_reg")
    end_publicity(ended["id"])

    result = _list()
    assert result["count"] == 1
    (item,) = result["results"]
    assert set(item) == PUBLISHED_ITEMS
    assert item == {
        "id": app["id"],
        "registrant_name": "和平区教育局",
        "registration_type": "initial",
        "registration_type_label": {"zh_Hans_CN": "首次登记", "en": "Initial registration"},
        "data_name": "天津市公交到站实时数据",
        "content_summary": "全市公交车辆到站预测。",
        "publicity_start": app["publicity_start"],
        "publicity_end": app["publicity_end"],
    }
    assert dataset["id"] not in str(item)


def test_an_objection_does_not_take_the_item_out_of_publicity(world):
    _dataset, app = in_publicity(world)
    helpers.call_action("objection_create", {"user": ""}, **filing(app["id"]))
    assert [i["id"] for i in _list()["results"]] == [app["id"]]


def test_search_and_paging(world):
    in_publicity(world, title="和平区学校名录", notes="中小学名录与地址")
    in_publicity(world, title="和平区公交线路", notes="线路与站点")
    assert [i["data_name"] for i in _list(q="公交")["results"]] == ["和平区公交线路"]
    assert _list(q="站点")["count"] == 1
    assert _list(q="100%_")["count"] == 0
    page = _list(limit=1, offset=1)
    assert page["count"] == 2 and len(page["results"]) == 1


def test_list_and_detail_pages(app, world):
    _dataset, application = in_publicity(world, title="<b>公交</b>数据",
                                         notes="<script>alert(1)</script>简介")
    body = app.get("/registration/publicity").get_data(as_text=True)
    assert "登记公示" in body and "和平区教育局" in body and "首次登记" in body
    assert "<script>alert(1)" not in body and "&lt;b&gt;公交&lt;/b&gt;数据" in body
    end = dt.date.fromisoformat(application["publicity_end"])
    assert f"{end.year}年{end.month}月{end.day}日" in body  # one Chinese date format
    assert 'type="application/atom+xml"' in body

    detail = app.get(f"/registration/publicity/{application['id']}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;简介" in text
    assert f"/registration/publicity/{application['id']}/objection" in text

    english = app.get(f"/en/registration/publicity/{application['id']}")
    assert "Registrant name" in english.get_data(as_text=True)
    assert "File an objection" in english.get_data(as_text=True)

    assert app.get("/registration/publicity/no-such-application").status_code == 404
    end_publicity(application["id"])
    assert app.get(f"/registration/publicity/{application['id']}").status_code == 404
    assert app.get(f"/registration/publicity/{application['id']}/objection").status_code == 404


def test_atom_feed(app, world):
    _dataset, first = in_publicity(world, title="公交线路数据", notes="线路与站点。")
    _dataset, second = in_publicity(world, org="city_reg", title="地铁客流数据")
    response = app.get("/registration/publicity.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.get_data())
    entries = feed.findall(f"{ATOM}entry")
    assert {e.find(f"{ATOM}title").text for e in entries} == {"公交线路数据", "地铁客流数据"}
    entry = next(e for e in entries if e.find(f"{ATOM}title").text == "公交线路数据")
    assert entry.find(f"{ATOM}id").text == \
        f"http://test.ckan.net/registration/publicity/{first['id']}"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "和平区教育局"
    assert entry.find(f"{ATOM}summary").text == "线路与站点。"
    content = entry.find(f"{ATOM}content").text
    assert "首次登记" in content and first["publicity_end"] in content
    assert entry.find(f"{ATOM}category").get("term") == "initial"
    assert second["id"] not in ET.tostring(entry, encoding="unicode")


def _terms(app, prefix: str = "") -> str:
    page = app.get(f"{prefix}/registration/publicity").get_data(as_text=True)
    return " ".join(BeautifulSoup(page, "html.parser").find(id="tjr-publicity-terms")
                    .get_text().split())


def test_the_page_states_the_configured_rule_and_period(app, ckan_config, monkeypatch):
    chinese = _terms(app)
    assert "涉及开放、授权运营" in chinese and "公示期为10个工作日" in chinese
    assert "适用于:首次登记、变更登记、更正登记、注销登记。" in chinese and "23:30" in chinese
    english = _terms(app, "/en")
    assert "involving opening or authorised operation are made public for 10 working days" \
        in english
    assert ("This applies to: Initial registration, Change registration, Correction "
            "registration, Cancellation.") in english
    assert "ends at 23:30 on its last working day" in english

    monkeypatch.setitem(ckan_config, "tjregistry.limits.publicity", "15")
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.rule", "all")
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.application_types", ["initial"])
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time", "24:00")
    chinese = _terms(app)
    assert "公示期为15个工作日" in chinese and "涉及开放" not in chinese
    assert "适用于:首次登记。" in chinese and "24:00" in chinese
    english = _terms(app, "/en")
    assert "Every approved application is made public for 15 working days" in english
    assert "10 working days" not in english

    monkeypatch.setitem(ckan_config, "tjregistry.publicity.rule", "none")
    assert "no application is made public" in _terms(app, "/en")
    assert "不予公示" in _terms(app)


def test_the_objection_deadline_names_the_sweep_time(app, world, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time", "22:15")
    _dataset, application = in_publicity(world)
    end = dt.date.fromisoformat(application["publicity_end"])
    detail = app.get(f"/registration/publicity/{application['id']}").get_data(as_text=True)
    assert f"可于 {end.year}年{end.month}月{end.day}日 22:15 前实名" in detail
    form = app.get(f"/en/registration/publicity/{application['id']}/objection")
    assert (f"Objections are accepted until 22:15 on {end.day} {end:%b} {end.year}."
            in form.get_data(as_text=True))


@pytest.mark.parametrize("prefix, labels", [
    ("", ("登记公示", "登记信息查询", "凭证核验")),
    ("/en", ("Registration publicity", "Registration query", "Verify certificate")),
])
def test_every_visitor_finds_the_public_pages_in_the_header(app, prefix, labels):
    soup = BeautifulSoup(app.get(f"{prefix}/dataset").get_data(as_text=True), "html.parser")
    nav = soup.find(id="main-navigation-toggle")
    links = {a["href"]: " ".join(a.get_text().split()) for a in nav.find_all("a")}
    assert links[f"{prefix}/registration/publicity"] == labels[0]
    assert links[f"{prefix}/registration/query"] == labels[1]
    assert links[f"{prefix}/registration/verify"] == labels[2]
