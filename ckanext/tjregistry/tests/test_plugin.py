"""The platform runs on the real stack: plugins loaded, PostgreSQL, Solr and Redis reachable."""
from __future__ import annotations

import pysolr
import pytest

import ckan.lib.search as search
import ckan.model as model
import ckan.plugins as p
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories, helpers

from ckanext.tjregistry.tests.workflow_helpers import search_everything


def test_status_show_lists_the_platform_plugins():
    status = helpers.call_action("status_show")
    for plugin in ("tjregistry", "scheming_datasets", "dcat", "activity"):
        assert plugin in status["extensions"]
    assert p.plugin_loaded("tjregistry")


def test_solr_is_real_and_serves_the_tjregistry_schema():
    conn = search.make_connection()
    assert isinstance(conn, pysolr.Solr)
    # CKAN refuses to start unless the schema name is one it supports.
    search.check_solr_schema_version()
    assert conn.ping()


def test_redis_answers():
    assert connect_to_redis().ping() is True


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_chinese_title_is_found_through_solr():
    org = factories.Organization(title="天津市交通运输委员会")
    factories.Dataset(
        type="data-resource",
        owner_org=org["id"],
        title="天津市公交线路实时数据",
        notes="全市公交线路、站点与车辆实时位置。",
    )
    factories.Dataset(
        type="data-resource",
        owner_org=org["id"],
        title="天津市企业登记信息",
        notes="市场主体登记信息。",
    )
    # Drafts, so searched as the site user (the public sees the register: test_visibility.py).
    result = search_everything(q="公交", fq="dataset_type:data-resource")
    assert [d["title"] for d in result["results"]] == ["天津市公交线路实时数据"]
    # The hit really comes from the Solr core configured for the tests.
    raw = search.make_connection().search("title:公交", fl="name")
    assert raw.hits == 1


@pytest.mark.usefixtures("clean_db")
def test_extension_tables_exist_after_migrations():
    from ckanext.tjregistry.model import Application, Event

    assert model.Session.query(Application).count() == 0
    assert model.Session.query(Event).count() == 0
