"""Only certified, currently valid registrations and only public fields leave the platform.

Every output is read: the paged catalogue in all its formats, the streamed
export, the per-dataset RDF, the API actions and the JSON records, anonymously
and as a sysadmin (who may see restricted fields in package_show).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from freezegun import freeze_time

from ckan.tests import helpers

from ckanext.tjregistry.dcat import terms
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.tests.dcat.builders import Catalog, restricted_values, reviewer_of
from ckanext.tjregistry.tests.workflow_helpers import call_as

CATALOG_PATHS = [f"/catalog.{ext}" for ext in ("ttl", "rdf", "xml", "jsonld", "n3")]
EXPORT_PATHS = [f"/catalog/export.{ext}" for ext in ("ttl", "nt", "jsonld", "rdf")]
DATASET_EXTENSIONS = ("ttl", "rdf", "jsonld", "n3")


def restricted_names() -> set[str]:
    names = set(access.restricted_dataset_fields())
    return names | {terms.camel(name) for name in names}


def outputs(app: Any, catalog: Catalog, headers: dict[str, str]) -> dict[str, str]:
    """Every public output of the platform about the catalogue, by where it came from."""
    texts: dict[str, str] = {}

    def get(path: str, status: int = 200) -> None:
        response = app.get(path, headers=headers)
        assert response.status_code == status, path
        if status == 200:
            texts[path] = response.body
        else:  # an error page echoes the URL asked for, and must hold nothing else
            for dataset in catalog.published + list(catalog.unpublished.values()):
                for secret in restricted_values(dataset):
                    assert secret not in response.body, path

    for path in [*CATALOG_PATHS, *EXPORT_PATHS]:
        get(path)
    get("/catalog.ttl?profiles=euro_dcat_ap_3")
    get("/registration/export.json?rows=1000")
    get("/api/action/dcat_catalog_show?format=ttl")
    get("/api/action/dcat_catalog_search?format=jsonld")
    get("/api/action/registration_export_list")
    for dataset in catalog.published:
        for extension in DATASET_EXTENSIONS:
            get(f"/dataset/{dataset['id']}.{extension}")
        get(f"/dataset/{dataset['name']}.ttl?profiles=euro_dcat_ap_3")
        get(f"/registration/export/{dataset['id']}.json")
        get(f"/registration/export/{dataset['registration_code']}.json")
        get(f"/api/action/dcat_dataset_show?id={dataset['id']}&format=ttl")
        get(f"/api/action/registration_export_show?id={dataset['id']}")
    for dataset in catalog.unpublished.values():
        for extension in DATASET_EXTENSIONS:
            get(f"/dataset/{dataset['id']}.{extension}", 404)
        get(f"/registration/export/{dataset['id']}.json", 404)
        get(f"/api/action/dcat_dataset_show?id={dataset['id']}&format=ttl", 404)
        get(f"/api/action/registration_export_show?id={dataset['id']}", 404)
        if dataset.get("registration_code"):
            get(f"/registration/export/{dataset['registration_code']}.json", 404)
    return texts


def assert_nothing_leaks(texts: dict[str, str], catalog: Catalog,
                         hidden: list[dict[str, Any]]) -> None:
    secrets = [value for dataset in [*catalog.published, *hidden]
               for value in restricted_values(dataset)]
    assert len(secrets) >= 3 * len([*catalog.published, *hidden])
    # A published product lists the codes of the resources it uses (a public field of
    # the product); such a code may appear, never the unpublished registration itself.
    cited = {code for dataset in catalog.published
             for code in dataset.get("source_regist_codes") or []}
    markers = []
    for dataset in hidden:
        markers += [dataset["id"], dataset["name"], dataset["title"]]
        if dataset.get("registration_code") and dataset["registration_code"] not in cited:
            markers.append(dataset["registration_code"])
    names = restricted_names()
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{where} leaks {secret!r}"
        for marker in markers:
            assert marker not in text, f"{where} shows unpublished {marker!r}"
        if where.endswith(".json") or "registration_export" in where:
            keys = _json_keys(json.loads(text))
            assert not keys & names, f"{where} has restricted keys {keys & names}"
        else:
            for name in names:
                assert f"tjr:{name}" not in text and f"/ns#{name}" not in text, (where, name)


def _json_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= _json_keys(item)
        return keys
    if isinstance(value, list):
        return set().union(*(_json_keys(item) for item in value)) if value else set()
    return set()


def test_nothing_unpublished_or_restricted_in_any_output(app, catalog: Catalog):
    texts = outputs(app, catalog, {})
    for dataset in catalog.published:
        assert dataset["registration_code"] in texts["/catalog.ttl"]
        assert dataset["registration_code"] in texts["/catalog/export.nt"]
    assert_nothing_leaks(texts, catalog, list(catalog.unpublished.values()))


def test_a_sysadmin_gets_the_same_public_outputs(app, catalog: Catalog):
    sysadmin = catalog.world.sysadmin
    shown = helpers.call_action("package_show", {"user": sysadmin["name"]},
                                id=catalog.published[0]["id"])
    assert shown["contact_email"] in restricted_values(catalog.published[0])
    texts = outputs(app, catalog, {"Authorization": sysadmin["token"]})
    assert_nothing_leaks(texts, catalog, list(catalog.unpublished.values()))


def test_search_parameters_cannot_widen_the_catalogue(app, catalog: Catalog):
    for query in ("fq=registration_status:pending", "q=registration_status:revoked",
                  "fq=-registration_status:registered", "fq=capacity:private"):
        response = app.get(f"/catalog.ttl?{query}")
        assert response.status_code == 200
        assert_nothing_leaks({query: response.body}, catalog, list(catalog.unpublished.values()))
    refused = app.get("/catalog.ttl?fq=contact_email:*")
    assert refused.status_code == 409


def test_revocation_removes_a_registration_everywhere(app, catalog: Catalog):
    """Revoke a resource a product uses, after the export cache holds both."""
    product = next(d for d in catalog.published if d["type"] == "data-product")
    source = product["_sources"][0]
    before = app.get("/catalog/export.ttl").body
    assert source["id"] in before and source["registration_code"] in before
    _clerk, reviewer = reviewer_of(catalog, source)
    call_as(reviewer, "registration_revoke", package_id=source["id"],
            ground="certificate_misuse", reasons="违规使用凭证")
    catalog.published.remove(source)
    texts = outputs(app, catalog, {})
    assert_nothing_leaks(texts, catalog, [*catalog.unpublished.values(), source])
    # The product still names the code it was built on, but no longer links the dataset.
    assert source["registration_code"] in texts["/catalog/export.ttl"]


def test_expired_certificates_are_not_published(app, catalog: Catalog):
    product = next(d for d in catalog.published if d["type"] == "data-product")
    until = dt.date.fromisoformat(product["certificate_valid_until"])
    app.get("/catalog/export.ttl")  # fills the export cache
    with freeze_time(until):
        assert product["registration_code"] in app.get("/catalog.ttl").body
    with freeze_time(until + dt.timedelta(days=1)):
        catalog.published.remove(product)
        texts = outputs(app, catalog, {})
        assert_nothing_leaks(texts, catalog, [*catalog.unpublished.values(), product])
