"""The public registration query (Art. 24): public fields for everyone, restricted ones per
access.py, and the per-address rate limits of the query and verification pages."""
from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import codes, issuance
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _register(world, org: str, **fields) -> tuple[dict, str]:
    clerk, reviewer = {"hp_reg": ("hp_clerk", "hp_reviewer"),
                       "city_reg": ("city_clerk", "city_reviewer")}[org]
    dataset = make_dataset(world.orgs[org], contact_name="赵六", contact_phone="13900001111",
                           storage_location="天津市政务云", **fields)
    app = submit(world.users[clerk], dataset)
    call_as(world.users[reviewer], "registration_accept", id=app["id"])
    call_as(colleague(world.users[reviewer]), "registration_approve", id=app["id"])
    return dataset, issuance.current_for_package(dataset["id"]).code


@pytest.fixture
def registry(world):
    bus, bus_code = _register(world, "hp_reg", title="和平区公交线路数据",
                              notes="公交线路与站点。")
    school, school_code = _register(world, "city_reg", title="天津市学校名录",
                                    notes="全市中小学名录与地址。")
    pending = make_dataset(world.hp_reg, title="和平区公交客流数据")
    submit(world.hp_clerk, pending)
    return {"bus": (bus, bus_code), "school": (school, school_code), "pending": pending}


def _query(user=None, **data):
    return call_as(user, "registration_query", **data)


def test_query_by_code_registrant_name_and_keyword(world, registry):
    bus, bus_code = registry["bus"]
    school, school_code = registry["school"]
    compact = codes.normalize(bus_code)
    for code in (bus_code, compact, compact.lower()):
        (found,) = _query(code=code)["results"]
        assert found["id"] == bus["id"] and found["registration_code"] == bus_code
    assert [r["id"] for r in _query(registrant="教育局")["results"]] == [bus["id"]]
    assert [r["id"] for r in _query(registrant="city-reg")["results"]] == [school["id"]]
    assert _query(registrant="不存在的单位")["count"] == 0
    assert [r["id"] for r in _query(name="学校名录")["results"]] == [school["id"]]
    # Every word must occur; the pending dataset is not a registration yet.
    assert [r["id"] for r in _query(q="站点")["results"]] == [bus["id"]]
    assert [r["id"] for r in _query(q="公交 站点")["results"]] == [bus["id"]]
    assert _query(q="站点 名录")["count"] == 0
    assert _query()["count"] == 2
    found = _query(code=school_code)["results"][0]
    assert found["registrant"]["title"] == "市交通运输委员会"
    assert found["registration_status"] == "registered"
    assert found["certificate_status"] == "valid"


def test_ended_registrations_stay_findable(world, registry):
    bus, bus_code = registry["bus"]
    call_as(world.hp_reviewer, "registration_revoke", package_id=bus["id"],
            ground="false_materials", reasons="材料虚假")
    (found,) = _query(code=bus_code)["results"]
    assert found["registration_status"] == "revoked" and found["certificate_status"] == "revoked"
    assert [r["id"] for r in _query(status="revoked")["results"]] == [bus["id"]]
    assert _query(status="registered")["count"] == 1


def test_public_fields_only_and_more_for_institutions_with_jurisdiction(world, registry):
    bus, bus_code = registry["bus"]
    restricted = access.restricted_dataset_fields("data-resource")
    assert {"contact_name", "contact_phone", "storage_location"} <= restricted
    for user in (None, world.outsider, world.bh_reviewer, world.city_clerk):
        (found,) = _query(user, code=bus_code)["results"]
        assert not restricted & set(found), user
        assert "restricted" not in found
        assert found["title"] == "和平区公交线路数据" and found["notes"] == "公交线路与站点。"
    for user in (world.hp_reviewer, world.city_reviewer, world.hp_clerk, world.sysadmin):
        (found,) = _query(user, code=bus_code)["results"]
        assert found["restricted"]["contact_name"] == "赵六", user
        assert found["restricted"]["storage_location"] == "天津市政务云"
        assert not restricted & set(found)


def test_bad_input(world, registry):
    bus, bus_code = registry["bus"]
    compact = codes.normalize(bus_code)
    typo = compact[:-2] + ("A" if compact[-2] != "A" else "B") + compact[-1]
    with pytest.raises(tk.ValidationError) as error:
        _query(code=typo)
    assert "校验位" in error.value.error_dict["code"][0]
    with pytest.raises(tk.ValidationError):
        _query(code="TJ-12")
    with pytest.raises(tk.ValidationError):
        _query(status="pending")
    # Solr syntax in the user's words is taken literally, never widening the search.
    assert _query(q="站点")["count"] == 1
    assert _query(q='站点" OR *:*')["count"] <= 1
    assert _query(q="*:*")["count"] == 0
    assert _query(q='name:* OR title:*')["count"] == 0
    # Punctuation is not searched; a wildcard is not a wildcard.
    assert [r["id"] for r in _query(name='公交"')["results"]] == [bus["id"]]
    assert _query(name="*")["count"] == 0
    assert _query(code="1393264726771781632103")["count"] == 0


def test_national_code_lookup(world, registry):
    bus, bus_code = registry["bus"]
    issuance.set_national_code(bus_code, "1393264726771781632103")
    model.Session.commit()
    issuance.reindex([bus["id"]])
    (found,) = _query(code="1393264726771781632103")["results"]
    assert found["id"] == bus["id"]


def test_query_page(app, world, registry):
    bus, bus_code = registry["bus"]
    page = app.get("/registration/query", query_string={"code": bus_code})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "和平区公交线路数据" in body and "和平区教育局" in body and "已登记" in body
    assert "赵六" not in body and "tjr-query-restricted" not in body
    own = app.get("/registration/query", query_string={"code": bus_code},
                  headers={"Authorization": world.hp_reviewer["token"]})
    assert "赵六" in own.get_data(as_text=True)
    english = app.get("/en/registration/query", query_string={"name": "公交"})
    assert "Registration code" in english.get_data(as_text=True)
    typo = app.get("/registration/query", query_string={"code": "<b>TJ</b>"})
    assert typo.status_code == 200 and "<b>TJ</b>" not in typo.get_data(as_text=True)


@pytest.mark.usefixtures("clean_redis")
@pytest.mark.ckan_config("tjregistry.ratelimit.enabled", True)
@pytest.mark.ckan_config("tjregistry.ratelimit.query", "3/minute")
@pytest.mark.ckan_config("tjregistry.ratelimit.verify", "2/minute")
def test_query_and_verification_pages_are_rate_limited(app, world, registry):
    _bus, bus_code = registry["bus"]
    # The empty forms are not counted.
    for _ in range(5):
        assert app.get("/registration/query").status_code == 200
        assert app.get("/registration/verify").status_code == 200
    statuses = [app.get("/registration/query", query_string={"q": "公交"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    statuses = [app.get("/registration/verify", query_string={"code": bus_code}).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = app.get("/registration/verify", query_string={"code": bus_code})
    assert "Retry-After" in limited.headers
    # The API stays available to programs (it is not the page).
    assert helpers.call_action("certificate_verify", {"user": ""}, code=bus_code)["result"] \
        == "valid"
