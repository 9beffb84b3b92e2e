"""Bulk indexing (catalogue import, restore) writes the Solr documents CKAN's own
indexing writes, while the platform's hooks look up a whole batch at once."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

import ckan.model as model
from ckan.lib import search
from ckan.lib.search.common import make_connection

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.common import bulk
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# Set by Solr or by the moment of indexing, not by the dataset.
VOLATILE = {"_version_", "indexed_ts"}


# Indexed by the platform's hooks but not stored: read back through facets.
HOOK_FIELDS = ("registration_status", "certificate_status", "registration_code",
               "registrant_district", "registrant_type")


def _solr_documents(package_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each dataset's stored fields, and the values indexed in ``HOOK_FIELDS``."""
    connection = make_connection()
    found = connection.search(
        "*:*", fq=f"id:({' OR '.join(package_ids)})", fl="*", rows=len(package_ids))
    documents = {doc["id"]: {key: value for key, value in doc.items() if key not in VOLATILE}
                 for doc in found.docs}
    for package_id, document in documents.items():
        facets = connection.search("*:*", fq=f"id:{package_id}", rows=0, facet="true",
                                   **{"facet.field": list(HOOK_FIELDS), "facet.mincount": 1})
        for name, counts in facets.facets["facet_fields"].items():
            document[f"indexed:{name}"] = sorted(counts[::2])
        document["has:record_modified_date"] = connection.search(
            "*:*", fq=[f"id:{package_id}", "record_modified_date:[* TO *]"], rows=0).hits
    return documents


def _datasets_in_every_state(world) -> dict[str, dict[str, Any]]:
    registered = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, registered)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    pending = make_dataset(world.hp_reg)
    submit(world.hp_clerk, pending)
    other_registrant = make_dataset(world.bh_reg)
    never_applied = make_dataset(world.hp_reg)
    return {"registered": registered, "pending": pending,
            "other_registrant": other_registrant, "never_applied": never_applied}


def test_bulk_index_writes_what_ckan_indexing_writes(world):
    datasets = _datasets_in_every_state(world)
    ids = [dataset["id"] for dataset in datasets.values()]
    assert issuance.current_for_package(datasets["registered"]["id"]) is not None
    assert workflow.registration_status(datasets["pending"]["id"]) == "pending"

    for package_id in ids:
        search.rebuild(package_id)  # CKAN's own path: one dataset, hooks query each time
    by_ckan = _solr_documents(ids)
    search.clear_all()
    assert _solr_documents(ids) == {}

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(model.meta.engine, "before_cursor_execute", record)
    try:
        bulk.index(ids)
    finally:
        event.remove(model.meta.engine, "before_cursor_execute", record)
    by_bulk = _solr_documents(ids)

    assert by_bulk == by_ckan
    registered = by_bulk[datasets["registered"]["id"]]
    assert registered["indexed:registration_status"] == ["registered"]
    assert registered["indexed:certificate_status"] == ["valid"]
    assert registered["has:record_modified_date"] == 1
    assert registered["indexed:registrant_district"] == ["120101"]
    assert by_bulk[datasets["pending"]["id"]]["indexed:registration_status"] == ["pending"]
    assert by_bulk[datasets["never_applied"]["id"]]["indexed:registration_status"] == [
        "unregistered"]
    assert by_bulk[datasets["other_registrant"]["id"]]["indexed:registrant_district"] == [
        "120116"]
    # The platform's look-ups were made once for the batch, not once per dataset.
    platform_reads = [s for s in statements if "FROM tjregistry_" in s]
    assert len(platform_reads) <= 6, platform_reads
