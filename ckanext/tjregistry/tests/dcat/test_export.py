"""Exchange records for the national platform and the cached full-catalogue export."""
from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.dcat import export, terms
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.tests.dcat.builders import NATIONAL_CODE, Catalog, change, reviewer_of


def records_by_code(app: Any) -> dict[str, dict[str, Any]]:
    body = app.get("/registration/export.json?rows=100").json
    assert body["count"] == len(body["results"])
    return {r["registration_code"]: r for r in body["results"]}


def test_records_carry_the_registration_results(app, catalog: Catalog):
    records = records_by_code(app)
    assert sorted(records) == sorted(d["registration_code"] for d in catalog.published)
    bus = catalog.published[0]
    record = records[bus["registration_code"]]
    assert record["national_code"] == NATIONAL_CODE
    assert record["registration_status"] == "registered"
    assert record["certificate"] == {"status": "valid",
                                     "valid_until": bus["certificate_valid_until"]}
    assert record["category"] == {"code": "data-resource", "name": "公共数据资源",
                                  "name_en": "Public data resource"}
    assert record["data_regist_type"] == 3  # an open data resource
    assert record["province_code"] == "120000"
    assert record["registrant"]["name"] == "市交通运输委员会"
    assert record["registrant"]["uscc"] == "91350100M000100Y43"
    assert record["registrant"]["district"]["code"] == "120000"
    assert record["industry"]["name"] == "交通运输、仓储和邮政业"
    assert record["fields"]["update_frequency"] == "realtime"
    assert record["fields"]["spatial"] == ["120101", "120116"]
    assert record["registered_at"] and record["record_modified"]
    assert record["links"]["rdf"].endswith(f"/dataset/{bus['id']}.ttl")
    assert not set(record["fields"]) & set(access.restricted_dataset_fields())
    product = next(d for d in catalog.published if d["type"] == "data-product")
    assert records[product["registration_code"]]["data_regist_type"] == 2
    assert records[product["registration_code"]]["fields"]["source_regist_codes"] == [
        *(d["registration_code"] for d in product["_sources"]), "TJ-EXTERNAL-0001"]


def test_one_record_by_id_name_or_code(app, catalog: Catalog):
    product = next(d for d in catalog.published if d["type"] == "data-product")
    expected = app.get(f"/registration/export/{product['id']}.json").json
    code = product["registration_code"]
    for key in (product["name"], code, code.replace("-", "").lower(), code.replace("-", " ")):
        assert app.get(f"/registration/export/{key}.json").json == expected, key
    shown = helpers.call_action("registration_export_show", {"user": ""},
                                registration_code=code)
    assert shown == expected
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("registration_export_show", {"user": ""})
    assert "id" in error.value.error_dict
    assert app.get("/registration/export/TJ-120000-2026-R-99999-ZZZZZ-0.json").status_code == 404


@pytest.mark.usefixtures("clean_redis")
def test_full_export_serialises_each_registration_once(app, catalog: Catalog, monkeypatch):
    rendered: list[str] = []
    original = export.render_fragment

    def counting(serializer, dataset, fmt, catalog_ref):
        rendered.append(dataset["id"])
        return original(serializer, dataset, fmt, catalog_ref)

    monkeypatch.setattr(export, "render_fragment", counting)
    first = app.get("/catalog/export.ttl").body
    assert sorted(rendered) == sorted(d["id"] for d in catalog.published)
    rendered.clear()
    second = app.get("/catalog/export.ttl").body
    assert rendered == []
    assert isomorphic(Graph().parse(data=first, format="turtle"),
                      Graph().parse(data=second, format="turtle"))
    fresh = "".join(export.stream_catalog("ttl", use_cache=False))
    assert isomorphic(Graph().parse(data=second, format="turtle"),
                      Graph().parse(data=fresh, format="turtle"))

    # A change registration re-serialises that registration only.
    air = next(d for d in catalog.published if d["title"] == "滨海新区空气质量监测数据")
    clerk, reviewer = reviewer_of(catalog, air)
    change(clerk, reviewer, air, data_scale_records=99)
    rendered.clear()
    third = app.get("/catalog/export.ttl").body
    assert rendered == [air["id"]]
    scale = Graph().parse(data=third, format="turtle").value(
        URIRef(f"http://test.ckan.net/dataset/{air['id']}"), terms.TJR.dataScaleRecords)
    assert scale.toPython() == 99
    # Each format has its own entries.
    rendered.clear()
    assert json.loads(app.get("/catalog/export.jsonld").body)["@graph"]
    assert len(rendered) == len(catalog.published)
    assert app.get("/catalog/export.csv").status_code == 404


@pytest.mark.usefixtures("clean_redis")
def test_cli_writes_the_export_and_warms_the_cache(cli, app, catalog: Catalog, tmp_path,
                                                   monkeypatch):
    from ckanext.tjregistry.dcat.cli import dcat_export

    path = tmp_path / "catalog.nt"
    result = cli.invoke(dcat_export, ["write", "--format", "nt", str(path)])
    assert result.exit_code == 0, result.output
    written = Graph().parse(path, format="nt")
    served = Graph().parse(data=app.get("/catalog/export.nt").body, format="nt")
    assert isomorphic(written, served)
    assert {str(o) for o in written.objects(None, terms.TJR.certificateValidUntil)} == {
        d["certificate_valid_until"] for d in catalog.published}

    bad = cli.invoke(dcat_export, ["write", "--modified-since", "soon", "-"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output

    rendered: list[str] = []
    original = export.render_fragment
    monkeypatch.setattr(export, "render_fragment", lambda *args: rendered.append(
        args[1]["id"]) or original(*args))
    assert cli.invoke(dcat_export, ["warm", "--format", "ttl"]).exit_code == 0
    assert len(rendered) == len(catalog.published)
    rendered.clear()
    app.get("/catalog/export.ttl").body  # noqa: B018 - the stream runs as it is read
    assert rendered == []
