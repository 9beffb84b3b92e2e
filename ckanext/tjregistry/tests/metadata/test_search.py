"""Chinese-aware search and the catalogue's facets, through the real Solr core."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from ckan.tests import factories, helpers

from ckanext.tjregistry.metadata import fields as metadata
from ckanext.tjregistry.registration import visibility
from ckanext.tjregistry.tests import samples

# These tests measure the analysis and the facets over a catalogue of drafts, so every
# public dataset is searchable here; who sees what is tested in test_visibility.py.
pytestmark = pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "*")

# (name, title, notes, extra fields)
CATALOGUE = [
    ("bus-routes", "天津市公交线路实时数据", "全市公交线路、站点与车辆实时位置。",
     {"gov_catalog_code": "120000-JT-0001/00012", "share_type": "unconditional",
      "spatial": ["120000"], "update_frequency": "realtime"}),
    ("bus-operations", "天津市公交车辆运营里程与班次统计汇总数据",
     "公交企业按月报送的运营里程、班次与客运量。",
     {"share_type": "conditional", "spatial": ["120101", "120116"],
      "update_frequency": "monthly"}),
    ("metro-transfer", "天津市地铁与公交换乘客流分析数据", "地铁站与公交站之间的换乘客流。",
     {"share_type": "conditional", "spatial": ["120101"], "update_frequency": "monthly"}),
    ("public-transport", "天津市公共交通出行数据", "市民乘坐公共交通工具的出行记录汇总。",
     {"share_type": "not_shared", "open_type": "not_open", "update_frequency": "daily",
      "spatial": ["120000"]}),
    ("road-permits", "天津市道路运输许可信息",
     "道路运输经营许可,含公交、公交场站、公交客运企业、长途客运和货运许可。",
     {"share_type": "unconditional", "update_frequency": "irregular", "spatial": ["120000"]}),
    ("bus-api", "Tianjin bus routes API", "Real-time bus positions and route timetables.",
     {"share_type": "unconditional", "update_frequency": "realtime", "spatial": ["120000"]}),
]


@pytest.fixture
def catalogue() -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    city = helpers.call_action("organization_create", context=dict(context),
                               **samples.registrant_org())
    district = helpers.call_action(
        "organization_create", context=dict(context), **samples.registrant_org(
            name="hp-transport", title="和平区交通局", admin_level="district",
            district_code="120101", uscc=samples.USCC_VALID[2]))
    for index, (name, title, notes, fields) in enumerate(CATALOGUE):
        owner = district if name == "metro-transfer" else city
        changes: dict[str, Any] = {
            "name": name, "title": title, "notes": notes, "tag_string": "交通",
            "data_source": "业务系统", "open_platform_url": f"https://data.tj.gov.cn/open/{index}",
            "gov_catalog_code": f"120000-JT-0002/{index:05d}",
            "resources": [{"url": f"https://data.tj.gov.cn/{name}", "name": "数据文件",
                           "format": "CSV"}],
            **fields,
        }
        if fields.get("open_type") == "not_open":
            changes.update(access_method="apply", regist_object_type="public_data_resource")
            for key in ("open_condition", "open_platform_url"):
                changes[key] = None
        data = samples.data_resource(owner["id"], **changes)
        helpers.call_action("package_create", context=dict(context),
                            **{k: v for k, v in data.items() if v is not None})
    product_owner = helpers.call_action(
        "organization_create", context=dict(context), **samples.registrant_org(
            name="tj-data-ops", title="天津数据运营有限公司", registrant_type="operator",
            uscc=samples.USCC_VALID[1]))
    helpers.call_action("package_create", context=dict(context),
                        **samples.data_product(product_owner["id"]))
    return {"context": context}


def _search(**params: Any) -> dict[str, Any]:
    return helpers.call_action("package_search", **params)


def _names(result: dict[str, Any]) -> list[str]:
    return [dataset["name"] for dataset in result["results"]]


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_part_of_a_chinese_title_finds_it_first_among_similar_titles():
    result = _search(q="公交", fq="dataset_type:data-resource")
    names = _names(result)
    assert names[0] == "bus-routes"
    assert set(names) == {"bus-routes", "bus-operations", "metro-transfer", "road-permits"}
    # 公共交通 does not contain the word 公交: no false match across characters.
    assert "public-transport" not in names


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_longer_chinese_phrases_and_words_in_the_summary_match():
    assert _names(_search(q="公交线路"))[0] == "bus-routes"
    assert _names(_search(q="换乘客流")) == ["metro-transfer"]
    assert _names(_search(q="站点")) == ["bus-routes"]  # only in the summary
    assert set(_names(_search(q="公共交通"))) == {"public-transport"}
    assert _search(q="地铁公交")["count"] == 0  # the two words never adjoin


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_english_words_and_codes_still_match():
    bus = _names(_search(q="bus"))
    assert bus[0] == "bus-api"  # in the title; the others only in their URL names
    assert set(bus) == {"bus-api", "bus-routes", "bus-operations"}
    assert _names(_search(q="route positions")) == ["bus-api"]  # stemmed: routes
    assert _names(_search(q="TIMETABLE")) == ["bus-api"]
    assert _names(_search(q="120000-JT-0001/00012")) == ["bus-routes"]
    assert _names(_search(q="JT-0001")) == ["bus-routes"]
    assert _names(_search(fq='gov_catalog_code:"120000-JT-0001/00012"')) == ["bus-routes"]
    assert _names(_search(q="name:bus-api")) == ["bus-api"]


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_facets_count_single_and_multi_valued_fields():
    facet_fields = list(metadata.dataset_facets(OrderedDict(), "data-resource"))
    result = _search(q="*:*", rows=0,
                     **{"facet.field": [*facet_fields, "spatial_ms", "delivery_mode_ms"]})
    facets = result["facets"]
    assert facets["share_type"] == {"unconditional": 3, "conditional": 2, "not_shared": 1}
    assert facets["regist_object_type"] == {"open_data_resource": 5, "public_data_resource": 1,
                                            "data_product": 1}
    assert facets["registrant_district"] == {"120000": 6, "120101": 1}
    assert facets["industry_code"] == {"G": 7}
    assert facets["spatial_ms"]["120101"] == 2  # one dataset covers two districts
    assert facets["spatial_ms"]["120116"] == 1
    assert facets["delivery_mode_ms"] == {"api": 1, "report": 1}
    assert facets["organization"]["tj-transport"] == 5
    assert "registration_status" in facets  # filled in by the registration workflow
    # Filtering on a facet value narrows the results.
    assert _search(fq="spatial_ms:120116")["count"] == 1
    assert _search(fq="registrant_district:120101")["count"] == 1


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_facet_items_show_vocabulary_labels():
    result = _search(q="*:*", **{"facet.field": ["share_type", "registrant_district",
                                                 "update_frequency"]})
    labels = {item["name"]: item["display_name"]
              for facet in result["search_facets"].values() for item in facet["items"]}
    assert labels["conditional"] == "有条件共享"
    assert labels["120101"] == "和平区"
    assert labels["realtime"] == "实时"


def test_facet_titles_follow_the_catalogue():
    facets = metadata.dataset_facets(OrderedDict([("groups", "Groups"), ("tags", "Tags"),
                                                  ("license_id", "Licenses")]), "data-resource")
    assert list(facets)[:8] == ["registration_status", "regist_object_type",
                                "registrant_district", "organization", "share_type",
                                "open_type", "update_frequency", "industry_code"]
    assert "groups" not in facets and "license_id" not in facets
    assert "product_form" in metadata.dataset_facets(OrderedDict(), "data-product")


@pytest.mark.usefixtures("clean_db", "clean_index", "catalogue")
def test_search_page_facets_in_chinese_and_english(app):
    page = app.get("/data-resource/", query_string={"q": "公交"}).body
    assert "天津市公交线路实时数据" in page
    for text in ("共享属性", "有条件共享", "所属行政区", "和平区", "更新频率", "登记状态"):
        assert text in page, text
    page = app.get("/en/data-resource/", query_string={"q": "公交"}).body
    for text in ("Sharing attribute", "Conditionally shared", "District", "Heping District",
                 "Update frequency", "Registration status"):
        assert text in page, text
