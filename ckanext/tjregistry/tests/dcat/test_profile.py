"""The profile both ways: the published catalogue parses back into the same fields.

The catalogue is read from every endpoint and format a harvester can use, and
parsed with ckanext-dcat's own ``RDFParser`` (the parser of its RDF harvester)
with the profiles ``euro_dcat_ap_3 tjregistry``.
"""
from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

import ckan.plugins.toolkit as tk
from ckan.tests import helpers
from ckanext.dcat.processors import RDFParser
from ckanext.dcat.profiles import DCAT, DCT, FOAF

from ckanext.tjregistry.dcat import terms
from ckanext.tjregistry.tests.dcat.builders import (
    RESOURCE_KEYS,
    Catalog,
    mapped_fields,
    normal,
    public_view,
)

PROFILES = ["euro_dcat_ap_3", "tjregistry"]
OUTPUTS = [
    ("/catalog.ttl", "ttl"),
    ("/catalog.rdf", "xml"),
    ("/catalog.jsonld", "json-ld"),
    ("/catalog/export.ttl", "ttl"),
    ("/catalog/export.nt", "nt"),
    ("/catalog/export.jsonld", "json-ld"),
    ("/catalog/export.rdf", "xml"),
]
REGISTRATION_KEYS = ("registration_code", "national_code", "registration_status",
                     "certificate_status", "certificate_valid_until")


def parse(body: str, fmt: str) -> dict[str, dict[str, Any]]:
    parser = RDFParser(profiles=PROFILES, dataset_type="data-resource")
    parser.parse(body, _format=fmt)
    return {d["registration_code"]: d for d in parser.datasets()}


def assert_same_fields(expected: dict[str, Any], got: dict[str, Any], where: str) -> None:
    assert got["type"] == expected["type"], where
    for key in mapped_fields(expected["type"]):
        assert normal(got.get(key)) == normal(expected.get(key)), f"{where}: {key}"
    for key in REGISTRATION_KEYS:
        assert got.get(key) == expected.get(key), f"{where}: {key}"
    assert sorted(t["name"] for t in got["tags"]) == sorted(t["name"] for t in expected["tags"])
    got_resources = sorted(got["resources"], key=lambda r: r["name"])
    expected_resources = sorted(expected["resources"], key=lambda r: r["name"])
    assert len(got_resources) == len(expected_resources), where
    for mine, theirs in zip(got_resources, expected_resources, strict=True):
        for key in RESOURCE_KEYS:
            assert normal(mine.get(key)) == normal(theirs.get(key)), f"{where}: resource {key}"


def test_every_output_parses_back_to_every_mapped_field(app, catalog: Catalog):
    assert {d["type"] for d in catalog.published} == {"data-resource", "data-product"}
    for path, fmt in OUTPUTS:
        response = app.get(path)
        assert response.status_code == 200, path
        parsed = parse(response.body, fmt)
        assert sorted(parsed) == sorted(d["registration_code"] for d in catalog.published), path
        for dataset in catalog.published:
            expected = public_view(dataset["id"])
            got = parsed[dataset["registration_code"]]
            assert_same_fields(expected, got, f"{path} {dataset['name']}")
            extras = {e["key"]: e["value"] for e in got["extras"]}
            registrant = helpers.call_action("organization_show", id=expected["owner_org"])
            assert extras["publisher_name"] == registrant["title"]
            assert extras["publisher_identifier"] == registrant["uscc"]
            assert extras["publisher_district_code"] == registrant["district_code"]
            assert extras["publisher_registrant_type"] == registrant["registrant_type"]
            assert extras["uri"] == f"http://test.ckan.net/dataset/{dataset['id']}"


def test_per_dataset_rdf_parses_back(app, catalog: Catalog):
    for dataset in catalog.published:
        for extension, fmt in (("ttl", "ttl"), ("rdf", "xml"), ("jsonld", "json-ld")):
            response = app.get(f"/dataset/{dataset['id']}.{extension}")
            assert response.status_code == 200
            parsed = parse(response.body, fmt)
            assert list(parsed) == [dataset["registration_code"]]
            assert_same_fields(public_view(dataset["id"]), parsed[dataset["registration_code"]],
                               f"{extension} {dataset['name']}")


def test_registration_mapping_uses_the_standard_terms(app, catalog: Catalog):
    bus = catalog.by_name(catalog.published[0]["name"])
    graph = Graph().parse(data=app.get(f"/dataset/{bus['id']}.ttl").body, format="turtle")
    ref = URIRef(f"http://test.ckan.net/dataset/{bus['id']}")
    assert str(graph.value(ref, DCT.identifier)) == bus["registration_code"]
    notations = {str(n) for i in graph.objects(ref, terms.ADMS_IDENTIFIER)
                 for n in graph.objects(i, terms.SKOS_NOTATION)}
    assert bus["national_code"] in notations
    assert graph.value(ref, DCT.accrualPeriodicity) == terms.EU_FREQUENCY.UPDATE_CONT
    rights = graph.value(ref, DCT.accessRights)
    assert (rights, RDF.type, DCT.RightsStatement) in graph
    assert graph.value(rights, DCT.type) == terms.EU_ACCESS_RIGHT.RESTRICTED
    assert set(graph.objects(ref, DCT.spatial)) == {
        terms.concept_uri("district", "120101"), terms.concept_uri("district", "120116")}
    assert terms.concept_uri("industry", "G") in set(graph.objects(ref, DCAT.theme))
    publisher = graph.value(ref, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert str(graph.value(publisher, DCT.identifier)) == "91350100M000100Y43"
    record = graph.value(None, FOAF.primaryTopic, ref)
    assert (record, RDF.type, DCAT.CatalogRecord) in graph
    assert graph.value(record, DCT.issued) is not None
    assert graph.value(record, DCT.modified) is not None
    assert str(graph.value(record, terms.TJR.certificateValidUntil)) == bus[
        "certificate_valid_until"]


def test_products_link_the_resources_they_use(app, catalog: Catalog):
    product = next(d for d in catalog.published if d["type"] == "data-product")
    first, second = product["_sources"]
    graph = Graph().parse(data=app.get(f"/dataset/{product['id']}.ttl").body, format="turtle")
    ref = URIRef(f"http://test.ckan.net/dataset/{product['id']}")
    derived = set(graph.objects(ref, terms.PROV.wasDerivedFrom))
    linked = {URIRef(f"http://test.ckan.net/dataset/{d['id']}") for d in (first, second)}
    assert linked <= derived
    assert set(graph.objects(ref, DCT.relation)) == linked
    codes = {str(graph.value(node, DCT.identifier)) for node in derived}
    assert codes == {first["registration_code"], second["registration_code"], "TJ-EXTERNAL-0001"}


def test_harvested_registration_creates_the_same_dataset(app, catalog: Catalog):
    """What another CKAN's RDF harvester with this profile and schema would create.

    Registrations under authorised operation need evidence details (存证) to be
    created, and those are restricted: they are never exchanged, so such a
    registration can only be harvested where that rule is relaxed.
    """
    parsed = parse(app.get("/catalog.ttl").body, "ttl")
    sysadmin = catalog.world.sysadmin
    target = catalog.world.bh_reg
    harvested_count = 0
    for dataset in catalog.published:
        harvested = dict(parsed[dataset["registration_code"]])
        harvested.update(name=f"harvested-{dataset['name']}", owner_org=target["id"])
        context = {"user": sysadmin["name"]}
        if harvested.get("in_authorized_operation"):
            with pytest.raises(tk.ValidationError) as error:
                helpers.call_action("package_create", context, **harvested)
            assert set(error.value.error_dict) == {
                "evidence_provider", "evidence_time", "evidence_hash"}
            continue
        created = helpers.call_action("package_create", context, **harvested)
        harvested_count += 1
        expected = public_view(dataset["id"])
        for key in mapped_fields(dataset["type"]):
            assert normal(created.get(key)) == normal(expected.get(key)), key
    assert harvested_count == 2
