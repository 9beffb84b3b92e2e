"""The published catalogue conforms to the DCAT-AP 3.0.0 SHACL shapes (SEMIC)."""
from __future__ import annotations

import os
import pathlib

import pyshacl
import pytest
from rdflib import Graph

from ckanext.tjregistry.tests.dcat.builders import Catalog

# The SEMIC shapes, shipped with the tests (see shapes/README.md).
SHAPES_FILE = pathlib.Path(os.environ.get("TJ_DCAT_AP_SHACL") or (
    pathlib.Path(__file__).resolve().parent / "shapes" / "dcat-ap-3.0.0-SHACL.ttl"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    assert SHAPES_FILE.is_file(), SHAPES_FILE
    return Graph().parse(SHAPES_FILE, format="turtle")


def validate(shapes: Graph, body: str, fmt: str) -> tuple[bool, str, int]:
    data = Graph().parse(data=body, format=fmt)
    conforms, _report, text = pyshacl.validate(data, shacl_graph=shapes)
    return conforms, text, len(data)


def test_demo_like_catalogue_has_no_violations(app, catalog: Catalog, shapes: Graph):
    outputs = [("/catalog.ttl", "turtle"), ("/catalog.rdf", "xml"),
               ("/catalog.jsonld", "json-ld"), ("/catalog/export.ttl", "turtle"),
               ("/catalog/export.nt", "nt"), ("/catalog/export.jsonld", "json-ld"),
               ("/catalog/export.rdf", "xml")]
    for dataset in catalog.published:
        outputs.append((f"/dataset/{dataset['id']}.ttl", "turtle"))
    for path, fmt in outputs:
        conforms, report, size = validate(shapes, app.get(path).body, fmt)
        assert size > 50, path
        assert conforms, f"{path}\n{report}"


def test_the_shapes_do_catch_violations(app, catalog: Catalog, shapes: Graph):
    """The same check fails once a mandatory property is removed (the test can fail)."""
    body = app.get("/catalog/export.ttl").body
    data = Graph().parse(data=body, format="turtle")
    from ckanext.dcat.profiles import DCT

    data.remove((None, DCT.description, None))
    conforms, _report, _text = pyshacl.validate(data, shacl_graph=shapes)
    assert not conforms


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_the_demo_catalogue_has_no_violations(app, shapes: Graph):
    """``ckan tjregistry demo load``: its certified registrations, and only those."""
    from rdflib.namespace import RDF

    from ckan.tests import helpers
    from ckanext.dcat.profiles import DCAT, DCT

    from ckanext.tjregistry.demo import data as demo

    demo.load()
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})["name"]
    shown = [helpers.call_action("package_show", {"user": site_user}, id=name)
             for name in helpers.call_action("package_list", {"user": site_user})]
    certified = {d["registration_code"] for d in shown
                 if d.get("registration_status") == "registered"
                 and d.get("certificate_status") == "valid" and not d.get("private")}
    assert certified and len(certified) < len(shown)
    for path, fmt in (("/catalog.ttl", "turtle"), ("/catalog/export.ttl", "turtle"),
                      ("/catalog/export.jsonld", "json-ld")):
        body = app.get(path).body
        conforms, report, _size = validate(shapes, body, fmt)
        assert conforms, f"{path}\n{report}"
        graph = Graph().parse(data=body, format=fmt)
        published = {str(graph.value(ref, DCT.identifier))
                     for ref in graph.subjects(RDF.type, DCAT.Dataset)}
        assert published == certified, path
