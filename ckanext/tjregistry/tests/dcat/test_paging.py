"""Paging and incremental harvesting (``modified_since``) of the catalogue and the records."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from ckanext.dcat.processors import HYDRA
from ckanext.dcat.profiles import DCAT, DCT

from ckanext.tjregistry.tests.dcat.builders import Catalog, change, reviewer_of


def datasets_in(body: str, fmt: str = "turtle") -> tuple[Graph, set[str]]:
    graph = Graph().parse(data=body, format=fmt)
    codes = {str(graph.value(ref, DCT.identifier))
             for ref in graph.subjects(RDF.type, DCAT.Dataset)}
    return graph, codes


def hydra(graph: Graph, key: str) -> str | None:
    for page in graph.subjects(RDF.type, HYDRA.PagedCollection):
        value = graph.value(page, HYDRA[key])
        return str(value) if value is not None else None
    return None


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "3")
def test_catalogue_pages_cover_every_registration_once(app, catalog: Catalog):
    published = {d["registration_code"] for d in catalog.published}
    assert len(published) >= 4
    seen: list[str] = []
    url = "/catalog.ttl"
    pages = 0
    while url:
        graph, codes = datasets_in(app.get(url).body)
        assert 0 < len(codes) <= 3
        assert hydra(graph, "totalItems") == str(len(published))
        assert hydra(graph, "itemsPerPage") == "3"
        seen += codes
        pages += 1
        url = hydra(graph, "next")
        if url:
            url = url.removeprefix("http://test.ckan.net")
    assert pages == -(-len(published) // 3)
    assert sorted(seen) == sorted(published)
    last_graph, _ = datasets_in(app.get("/catalog.ttl").body)
    assert hydra(last_graph, "last").endswith(f"page={pages}")
    _graph, beyond = datasets_in(app.get(f"/catalog.ttl?page={pages + 1}").body)
    assert beyond == set()
    records = app.get("/registration/export.json?rows=3&page=2").json
    assert records["count"] == len(published) and records["page"] == 2
    assert len(records["results"]) == len(published) - 3


def test_modified_since_returns_only_what_changed(app, catalog: Catalog):
    every = {d["registration_code"] for d in catalog.published}
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert datasets_in(app.get("/catalog.ttl?" + urlencode(
        {"modified_since": before.isoformat()})).body)[1] == every
    time.sleep(1.1)
    moment = dt.datetime.now(ZoneInfo("Asia/Shanghai"))  # given in local time, with offset
    time.sleep(1.1)
    air = next(d for d in catalog.published if d["title"] == "滨海新区空气质量监测数据")
    clerk, reviewer = reviewer_of(catalog, air)
    change(clerk, reviewer, air, title="滨海新区空气质量监测数据(小时值)")
    since = urlencode({"modified_since": moment.isoformat()})
    for path, fmt in ((f"/catalog.ttl?{since}", "turtle"),
                      (f"/catalog.jsonld?{since}", "json-ld"),
                      (f"/catalog/export.nt?{since}", "nt")):
        graph, codes = datasets_in(app.get(path).body, fmt)
        assert codes == {air["registration_code"]}, path
        titles = {str(t) for t in graph.objects(None, DCT.title) if isinstance(t, Literal)}
        assert "滨海新区空气质量监测数据(小时值)" in titles
    records = app.get(f"/registration/export.json?{since}").json
    assert [r["registration_code"] for r in records["results"]] == [air["registration_code"]]
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).replace(tzinfo=None)
    assert datasets_in(app.get(f"/catalog.ttl?modified_since={later.isoformat()}").body
                       )[1] == set()


def test_bad_paging_and_dates_are_client_errors(app, catalog: Catalog):
    for query in ("page=0", "page=x", "modified_since=yesterday-ish"):
        response = app.get(f"/catalog.ttl?{query}")
        assert response.status_code == 409, query
    response = app.get("/registration/export.json?modified_since=not-a-date")
    assert response.status_code == 400
    message = response.json["error"]["modified_since"][0]
    assert "ISO 8601" in message and "修改时间" in message
    for query in ("rows=0", "rows=1001", "page=-1"):
        response = app.get(f"/registration/export.json?{query}")
        assert response.status_code == 400, query
    assert app.get("/catalog/export.ttl?modified_since=nope").status_code == 400
    published = catalog.published[0]["id"]
    assert app.get(f"/dataset/{published}.csv").status_code == 409
    assert app.get("/catalog.csv").status_code == 409
    assert app.get(f"/api/action/dcat_dataset_show?id={published}&format=csv").status_code == 409
