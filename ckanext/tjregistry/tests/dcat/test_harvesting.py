"""Harvesting this catalogue into another instance of the platform with ckanext-dcat's
RDF harvester (``dcat_rdf``, ckanext-dcat 2.4.4).

ckanext-harvest (queues, harvest sources and jobs) is not installed here, so the test
replays the steps of ``ckanext/dcat/harvesters/rdf.py`` with the real parser, hooks and
actions:

* gather: download the source URL, build ``RDFParser()`` with no arguments (profiles
  from ``ckanext.dcat.rdf.profiles``, scheming type ``dataset``), parse, run every
  ``IDCATRDFHarvester`` hook, read ``parser.datasets()``, name each dataset from its
  title, add its ``guid`` extra, store it as JSON, follow ``hydra:next``;
* import: ``package_create`` with the create schema of the dataset's type, a new id,
  the harvest source's organization and the site user, between the
  ``before_create``/``after_create`` hooks.

Between the two stages the database and the index are emptied, so the registrations
arrive on a platform that has never seen them.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.lib.munge import munge_title_to_name
from ckan.lib.search import clear_all
from ckanext.dcat.interfaces import IDCATRDFHarvester
from ckanext.dcat.processors import RDFParser

from ckanext.tjregistry.dcat import harvesting
from ckanext.tjregistry.registration import visibility
from ckanext.tjregistry.tests.dcat.builders import (
    RESOURCE_KEYS,
    Catalog,
    add_open_product,
    mapped_fields,
    normal,
    public_view,
)
from ckanext.tjregistry.tests.workflow_helpers import make_org

SOURCE_URL = "http://test.ckan.net/catalog.ttl"
# Evidence details (存证) are restricted, so a registration under authorised operation
# cannot be created from the catalogue where the rule requiring them applies.
EVIDENCE_ERRORS = {"evidence_provider", "evidence_time", "evidence_hash"}


def hooks() -> list[Any]:
    return list(plugins.PluginImplementations(IDCATRDFHarvester))


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _download(app: Any, url: str) -> tuple[str, str]:
    """Content and RDF format as the harvester reads them (format from Content-Type)."""
    response = app.get(_local(url))
    assert response.status_code == 200, url
    return response.body, response.headers["Content-Type"].split(";", 1)[0]


def _title_name(title: str) -> str:
    """The name the harvester gives a dataset on an empty site (``_gen_new_name``)."""
    return re.sub("-+", "-", munge_title_to_name(title))


def gather(app: Any) -> tuple[list[dict[str, Any]], int]:
    """The gather stage: (harvest object contents, pages read)."""
    contents: list[dict[str, Any]] = []
    names_taken: list[str] = []
    url: str | None = SOURCE_URL
    pages = 0
    while url:
        for harvester in hooks():
            url, errors = harvester.before_download(url, None)
            assert errors == []
        content, rdf_format = _download(app, url)
        for harvester in hooks():
            content, errors = harvester.after_download(content, None)
            assert errors == []
        parser = RDFParser()
        parser.parse(content, _format=rdf_format)
        for harvester in hooks():
            parser, errors = harvester.after_parsing(parser, None)
            assert errors == []
        for dataset in parser.datasets():
            if not dataset.get("name"):
                dataset["name"] = _title_name(dataset["title"])
            if dataset["name"] in names_taken:
                suffix = len([n for n in names_taken if n.startswith(dataset["name"] + "-")]) + 1
                dataset["name"] = f"{dataset['name']}-{suffix}"
            names_taken.append(dataset["name"])
            extras = {e["key"]: e["value"] for e in dataset["extras"]}
            guid = dataset.get("uri") or extras.get("uri") or dataset.get("identifier")
            assert guid
            dataset["extras"].append({"key": "guid", "value": guid})
            contents.append(json.loads(json.dumps(dataset)))  # a HarvestObject's content
        pages += 1
        url = parser.next_page()
    return contents, pages


def import_dataset(dataset: dict[str, Any], owner_org: str) -> str:
    """The import stage for a new dataset: its id, or ValidationError."""
    if not dataset.get("owner_org"):  # the harvest source's organization
        dataset["owner_org"] = owner_org
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = {"user": site_user, "return_id_only": True, "ignore_auth": True}
    package_plugin = lib_plugins.lookup_package_plugin(dataset.get("type"))
    schema = package_plugin.create_package_schema()
    for harvester in hooks():
        schema = harvester.update_package_schema_for_create(schema)
    context["schema"] = schema
    dataset["id"] = str(uuid.uuid4())
    schema["id"] = [tk.get_validator("unicode_safe")]
    temp: dict[str, Any] = {}
    for harvester in hooks():
        harvester.before_create(None, dataset, temp)
    try:
        package_id = tk.get_action("package_create")(context, dataset)
        for harvester in hooks():
            assert harvester.after_create(None, dataset, temp) is None
    finally:
        model.Session.commit()
    return package_id


def harvested_by_guid(guid: str) -> list[str]:
    """How the harvester finds a dataset it created before, by its ``guid`` extra."""
    query = model.Session.query(model.Package.id).filter(model.Package.state == "active")
    if hasattr(model, "PackageExtra"):
        query = query.join(model.PackageExtra).filter(
            model.PackageExtra.key == "guid", model.PackageExtra.value == guid)
    else:  # CKAN 2.12 keeps extras in a JSONB column of the package table
        query = query.filter(model.Package.extras["guid"].astext == guid)
    return [row[0] for row in query.all()]


def test_stock_parser_fails_without_the_hook(app, catalog: Catalog):
    """The failure the hook prevents: no scheming type ``dataset`` on this platform."""
    content, rdf_format = _download(app, SOURCE_URL)
    parser = RDFParser()
    parser.parse(content, _format=rdf_format)
    with pytest.raises(tk.ObjectNotFound, match="Unknown dataset schema: dataset"):
        next(parser.datasets())


def test_after_parsing_keeps_a_known_type():
    parser = RDFParser(dataset_type="data-product")
    assert harvesting.parse_as_registrations(parser).dataset_type == "data-product"
    parser = RDFParser()
    assert harvesting.parse_as_registrations(parser).dataset_type == "data-resource"


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2")
# The receiving platform shows what it harvested (records without a registration there).
@pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "*")
def test_rdf_harvester_imports_the_catalogue(app, catalog: Catalog, reset_db, migrate_db_for):
    add_open_product(catalog)
    expected = {d["registration_code"]: public_view(d["id"]) for d in catalog.published}

    contents, pages = gather(app)
    assert pages == 3  # five registrations, two a page, followed through hydra:next
    assert sorted(d["registration_code"] for d in contents) == sorted(expected)

    # The receiving platform: empty, with the harvest source's organization.
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("tjregistry")
    clear_all()
    target = make_org("harvest-source-owner", "registrant", "district", "120116",
                      verified=True, title="滨海新区数据局")

    created_types = set()
    for content in contents:
        want = expected[content["registration_code"]]
        guid = next(e["value"] for e in content["extras"] if e["key"] == "guid")
        if want.get("in_authorized_operation"):
            with pytest.raises(tk.ValidationError) as error:
                import_dataset(content, target["id"])
            assert set(error.value.error_dict) == EVIDENCE_ERRORS
            assert harvested_by_guid(guid) == []
            continue
        package_id = import_dataset(content, target["id"])
        got = public_view(package_id)
        where = f"{want['name']} -> {got['name']}"
        assert got["type"] == want["type"], where
        assert got["owner_org"] == target["id"]
        for key in mapped_fields(want["type"]):
            assert normal(got.get(key)) == normal(want.get(key)), f"{where}: {key}"
        assert sorted(t["name"] for t in got["tags"]) == sorted(t["name"] for t in want["tags"])
        assert len(got["resources"]) == len(want["resources"]), where
        for mine, theirs in zip(sorted(got["resources"], key=lambda r: r["name"]),
                                sorted(want["resources"], key=lambda r: r["name"]),
                                strict=True):
            for key in RESOURCE_KEYS:
                assert normal(mine.get(key)) == normal(theirs.get(key)), f"{where}: {key}"
        # A later harvest finds it by its guid and updates it instead of duplicating it.
        assert harvested_by_guid(guid) == [package_id]
        created_types.add(got["type"])
    assert created_types == {"data-resource", "data-product"}
