"""The public catalogue is the register (visibility.py), proven over real HTTP.

Anyone sees registered records and records in publicity; drafts, applications under
way and ended registrations are seen by their registrant and by the institutions and
data authorities whose jurisdiction covers it, on every channel: search, the dataset
page, package_show, resources, package_list, activity streams, the status action.
"""
from __future__ import annotations

from typing import Any

import pytest
import requests
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.registration import visibility, workflow
from ckanext.tjregistry.tests.live_server import api_post, decoded
from ckanext.tjregistry.tests.publicity_helpers import in_publicity
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    dataset_fields,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "own_key_dir")

TOKEN = "可见性"


def register(world: Any, dataset: dict[str, Any]) -> None:
    """Submitted by the clerk, accepted and approved by the reviewer, certificate issued."""
    app = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert workflow.registration_status(dataset["id"]) == "registered"


@pytest.fixture
def catalogue() -> dict[str, Any]:
    world = build_world()
    datasets = {
        "hp_draft": make_dataset(world.hp_reg, name="vis-hp-draft", title=f"{TOKEN}和平草稿"),
        "hp_pending": make_dataset(world.hp_reg, name="vis-hp-pending",
                                   title=f"{TOKEN}和平待审"),
        "hp_registered": make_dataset(world.hp_reg, name="vis-hp-registered",
                                      title=f"{TOKEN}和平已登记"),
        "bh_draft": make_dataset(world.bh_reg, name="vis-bh-draft", title=f"{TOKEN}滨海草稿"),
    }
    submit(world.hp_clerk, datasets["hp_pending"])
    register(world, datasets["hp_registered"])
    datasets["hp_publicity"], publicity_app = in_publicity(
        world, name="vis-hp-publicity", title=f"{TOKEN}和平公示")
    return {"world": world, "datasets": datasets, "publicity_app": publicity_app}


PUBLIC = {"vis-hp-registered", "vis-hp-publicity"}
HIDDEN = {"vis-hp-draft", "vis-hp-pending", "vis-bh-draft"}


def _found(server: Any, token: str | None) -> set[str]:
    response = api_post(server, "package_search", token, q=TOKEN, rows=50,
                       include_private=True)
    assert response.status_code == 200, response.text
    return {dataset["name"] for dataset in response.json()["result"]["results"]}


def test_anonymous_callers_see_the_register_and_nothing_else(ckan_server, catalogue):
    assert _found(ckan_server, None) == PUBLIC
    listed = set(api_post(ckan_server, "package_list", None).json()["result"])
    assert listed >= PUBLIC and not HIDDEN & listed
    for name in HIDDEN:
        for action in ("package_show", "package_activity_list"):
            assert api_post(ckan_server, action, None, id=name).status_code == 403, (action, name)
        assert api_post(ckan_server, "registration_status_show", None,
                       package_id=name).status_code == 403
        page = requests.get(ckan_server.url(f"/data-resource/{name}"), timeout=60)
        assert page.status_code == 404, name
    hidden = catalogue["datasets"]["hp_draft"]
    resource_id = helpers.call_action("package_show", id=hidden["id"])["resources"][0]["id"]
    assert api_post(ckan_server, "resource_show", None, id=resource_id).status_code == 403
    for name in PUBLIC:
        assert api_post(ckan_server, "package_show", None, id=name).status_code == 200
    # A draft its clerk created over the API: its activity is the registrant's business.
    world = catalogue["world"]
    created = api_post(ckan_server, "package_create", world.hp_clerk["token"], **dataset_fields(
        owner_org=world.hp_reg["id"], name="vis-clerk-draft", title=f"{TOKEN}和平手工草稿"))
    assert created.status_code == 200, created.text
    for token, sees in ((None, False), (world.bh_clerk["token"], False),
                        (world.hp_clerk["token"], True)):
        recent = decoded(api_post(ckan_server, "recently_changed_packages_activity_list",
                                  token))
        org_stream = decoded(api_post(ckan_server, "organization_activity_list", token,
                                      id=world.hp_reg["name"]))
        for stream in (recent, org_stream):
            assert ("和平手工草稿" in stream) is sees, (token, stream[:300])
    listing = requests.get(ckan_server.url("/dataset/"), params={"q": TOKEN}, timeout=60).text
    assert "和平已登记" in listing and "和平公示" in listing
    assert "和平草稿" not in listing and "滨海草稿" not in listing


@pytest.mark.parametrize(("reader", "sees"), [
    ("hp_clerk", {"vis-hp-draft", "vis-hp-pending"}),
    ("bh_clerk", {"vis-bh-draft"}),
    ("hp_reviewer", {"vis-hp-draft", "vis-hp-pending"}),
    ("bh_reviewer", {"vis-bh-draft"}),
    ("city_reviewer", HIDDEN),
    ("officer", HIDDEN),
    ("outsider", set()),
    ("sysadmin", HIDDEN),
])
def test_the_registrant_and_the_covering_jurisdiction_see_the_rest(
        ckan_server, catalogue, reader, sees):
    token = catalogue["world"].users[reader]["token"]
    assert _found(ckan_server, token) == PUBLIC | sees
    for name in HIDDEN:
        status = api_post(ckan_server, "package_show", token, id=name).status_code
        assert status == (200 if name in sees else 403), (reader, name, status)


def test_each_result_names_its_status_and_code_and_links_its_notice(ckan_server, catalogue):
    registered = helpers.call_action("package_show",
                                     id=catalogue["datasets"]["hp_registered"]["id"])
    assert registered["registration_code"] == issuance.current_for_package(
        registered["id"]).code
    page = requests.get(ckan_server.url("/dataset/"), params={"q": TOKEN},
                        headers={"Accept-Language": "zh-CN"}, timeout=60).text
    assert registered["registration_code"] in page
    assert "tjr-status-registered" in page and "tjr-status-publicity" in page
    assert f"/registration/publicity/{catalogue['publicity_app']['id']}" in page


def test_registration_and_revocation_move_a_record_and_its_history_in_and_out(
        ckan_server, catalogue):
    world = catalogue["world"]
    moving = call_as(world.hp_clerk, "package_create", **dataset_fields(
        owner_org=world.hp_reg["id"], name="vis-moving", title=f"{TOKEN}和平流转"))

    def public_history() -> int:
        return api_post(ckan_server, "package_activity_list", None, id="vis-moving").status_code

    def in_public_stream() -> bool:
        return "和平流转" in decoded(
            api_post(ckan_server, "recently_changed_packages_activity_list", None))

    assert (public_history(), in_public_stream()) == (403, False)
    register(world, moving)
    assert "vis-moving" in _found(ckan_server, None)
    # Whoever may see a dataset may see its (scrubbed) history: the clerk's draft edits
    # become part of the public record when it is registered, and leave it again.
    assert (public_history(), in_public_stream()) == (200, True)
    call_as(world.hp_reviewer, "registration_revoke", package_id=moving["id"],
            ground="false_materials", reasons="提供虚假登记材料")
    assert "vis-moving" not in _found(ckan_server, None)
    assert api_post(ckan_server, "package_show", None, id="vis-moving").status_code == 403
    assert (public_history(), in_public_stream()) == (403, False)
    # An ended registration stays in the public registration query, public fields only.
    query = api_post(ckan_server, "registration_query", None, q="和平流转").json()["result"]
    assert [r["name"] for r in query["results"]] == ["vis-moving"]
    assert query["results"][0]["registration_status"] == "revoked"
    assert not query["results"][0]["in_catalogue"]


@pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "*")
def test_every_public_dataset_is_in_the_catalogue_when_so_configured():
    world = build_world()
    make_dataset(world.hp_reg, name="vis-open-draft", title=f"{TOKEN}草稿")
    anonymous = {"user": None, "ignore_auth": False}
    found = helpers.call_action("package_search", anonymous, q=TOKEN)["results"]
    assert [dataset["name"] for dataset in found] == ["vis-open-draft"]
    assert "vis-open-draft" in helpers.call_action("package_list", anonymous)


@pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "registered expired")
def test_the_statuses_are_configurable():
    world = build_world()
    dataset = make_dataset(world.hp_reg, name="vis-configured", title=f"{TOKEN}配置")
    assert visibility.public_statuses() == frozenset({"registered", "expired"})
    package = model.Package.get(dataset["id"])
    assert not visibility.in_public_register(package)
    register(world, dataset)
    model.Session.remove()
    assert visibility.in_public_register(model.Package.get(dataset["id"]))


def test_relabel_gives_rows_recorded_before_the_rule_the_dataset_visibility(cli):
    from ckanext.tjregistry.cli import tjregistry

    world = build_world()
    # Created by the clerk: CKAN leaves the site user's own activities out of the streams.
    draft = call_as(world.hp_clerk, "package_create", **dataset_fields(
        owner_org=world.hp_reg["id"], name="vis-old-draft", title=f"{TOKEN}旧草稿"))
    # A row as recorded before the rule: every public dataset's activity was public.
    model.Session.execute(sa.text(
        "UPDATE activity SET permission_labels = ARRAY['public'] WHERE object_id = :id"),
        {"id": draft["id"]})
    model.Session.commit()
    anonymous = {"user": None, "ignore_auth": False}

    def anonymous_stream() -> str:
        return str(helpers.call_action("recently_changed_packages_activity_list", anonymous))

    assert "旧草稿" in anonymous_stream()
    result = cli.invoke(tjregistry, ["visibility", "relabel"])
    assert result.exit_code == 0, result.output
    assert "1 datasets re-indexed, 1 activity rows relabelled" in result.output
    model.Session.remove()
    assert "旧草稿" not in anonymous_stream()
    registrant = {"user": world.hp_clerk["name"], "ignore_auth": False}
    assert "旧草稿" in str(helpers.call_action("recently_changed_packages_activity_list",
                                              registrant))
