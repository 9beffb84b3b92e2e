"""The channel inventory (channels.py): every action and route is classified, every
write channel is guarded, and no read channel gives a restricted value away.

The read sweep runs over real HTTP against ``ckan run``: the datasets are created
over the API by their registrant's clerk, with a unique canary value in every
restricted field (and in the registrant's restricted contact fields); then every read
action and every read page is asked by an anonymous caller, by another registrant's
clerk and by another district's reviewer, in JSON, HTML and RDF, and the raw answers
are searched for the canaries.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
import requests

import ckan.logic as logic
from ckan.tests import helpers

from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.registration import freeze, workflow
from ckanext.tjregistry.safeguards import channels
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.live_server import api_post, decoded
from ckanext.tjregistry.tests.supervision_helpers import register
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    dataset_fields,
    make_user,
    set_org_fields,
)


def _registered_actions() -> set[str]:
    logic.get_action("package_show")  # resolves the plugins' actions
    return set(logic._actions)


def _registered_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.flask_app.url_map.iter_rules()}


# ------------------------------------------------------------- inventory ---
def test_every_action_is_classified():
    missing = channels.unclassified(_registered_actions(), channels.ACTIONS)
    assert not missing, f"classify these actions in channels.py: {missing}"


def test_every_route_is_classified(app):
    missing = channels.unclassified(_registered_endpoints(app), channels.ROUTES)
    assert not missing, f"classify these routes in channels.py: {missing}"


def test_the_inventory_finds_a_new_action_and_a_new_route(app, monkeypatch):
    """The test of the test: a new action or page registered without classification."""
    logic.get_action("package_show")
    monkeypatch.setitem(logic._actions, "dataset_rewrite_everything", lambda c, d: None)
    assert channels.unclassified(_registered_actions(), channels.ACTIONS) == [
        "dataset_rewrite_everything"]
    endpoints = _registered_endpoints(app) | {"newfeature.secret_page"}
    assert channels.unclassified(endpoints, channels.ROUTES) == ["newfeature.secret_page"]
    with pytest.raises(ValueError, match="classified twice"):
        channels.classification({"read": frozenset({"a"}), "neither": frozenset({"a"})})


def test_every_frozen_write_is_guarded_by_the_freeze():
    guarded = set(freeze.guarded_actions())
    assert guarded == set(channels.ACTIONS[channels.FROZEN_WRITE])
    # The guards are the auth functions CKAN runs, and they bind sysadmins too.
    import ckan.authz as authz

    for name in guarded:
        function = authz._AuthFunctions.get(name)
        assert getattr(function, "auth_sysadmins_check", False), name


# ---------------------------------------------------------- the read sweep ---
CANARY = "CANARY7Q"


def _canaries(dataset_type: str, tag: str) -> dict[str, Any]:
    """A canary value of the right shape for every restricted field of a type."""
    values: dict[str, Any] = {}
    for name in access.restricted_dataset_fields(dataset_type):
        values[name] = f"{CANARY}-{tag}-{name}"
    overrides = {
        "contact_phone": "022-77770000", "contact_email": f"canary.{tag}@hpedu.tj.gov.cn",
        "evidence_time": "2025-02-20T10:30:00",
        "evidence_hash": hashlib.sha256(tag.encode()).hexdigest(),
        "security_level": "general", "has_personal_info": False, "storage_mode": "gov_cloud",
        "internal_review_done": True,
    }
    values.pop("pi_treatment", None)  # a choice, and only with personal information
    values.update({k: v for k, v in overrides.items() if k in values})
    return values


def _secret_strings(datasets: list[dict[str, Any]]) -> list[str]:
    found = []
    for dataset in datasets:
        for name in access.restricted_dataset_fields(dataset["type"]):
            value = dataset["_planted"].get(name)
            if isinstance(value, str) and len(value) >= 8 and value not in ("gov_cloud",
                                                                             "general"):
                found.append(value)
    return found


@pytest.fixture
def landscape(ckan_server, monkeypatch):
    monkeypatch.setattr(workflow, "_call_issuer", lambda application_id: None)
    world = build_world()
    org_secrets = {"contact_name": f"{CANARY}-org-contact", "contact_phone": "022-66660000",
                   "contact_email": "org.canary@hpedu.tj.gov.cn"}
    set_org_fields(world.hp_reg["id"], **org_secrets)
    clerk = world.hp_clerk
    resource_fields = _canaries("data-resource", "res")
    planted_resource = dict(resource_fields)
    created = api_post(ckan_server, "package_create", clerk["token"], **{
        **dataset_fields(owner_org=world.hp_reg["id"], name="canary-resource",
                         title="和平区学校名录金丝雀", spatial=["120101"]),
        **planted_resource})
    assert created.status_code == 200, created.text
    resource_ds = created.json()["result"]
    product_fields = _canaries("data-product", "prd")
    created = api_post(ckan_server, "package_create", clerk["token"], **{
        **samples.data_product(world.hp_reg["id"], name="canary-product",
                               title="和平区教育数据产品金丝雀", spatial=["120101"],
                               in_authorized_operation=False),
        **product_fields})
    assert created.status_code == 200, created.text
    product_ds = created.json()["result"]
    resource_ds["_planted"], product_ds["_planted"] = planted_resource, product_fields
    # One registered (a certificate, publicity, history), one under review.
    register(world, clerk, world.hp_reviewer, resource_ds)
    app = workflow_submit(clerk, product_ds)
    follower = make_user("canary_follower")
    for dataset in (resource_ds, product_ds):
        api_post(ckan_server, "follow_dataset", follower["token"], id=dataset["id"])
    api_post(ckan_server, "follow_group", follower["token"], id=world.hp_reg["id"])
    secrets = [*_secret_strings([resource_ds, product_ds]), org_secrets["contact_name"],
               org_secrets["contact_phone"], org_secrets["contact_email"]]
    return {"world": world, "datasets": [resource_ds, product_ds], "app": app,
            "follower": follower, "secrets": secrets}


def workflow_submit(clerk: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    from ckanext.tjregistry.tests.workflow_helpers import submit

    return submit(clerk, dataset)


def _action_arguments(action: str, land: dict[str, Any]) -> list[dict[str, Any]]:
    dataset, product = land["datasets"]
    world = land["world"]
    resource_id = dataset["resources"][0]["id"]
    org, user = world.hp_reg["name"], world.hp_clerk["name"]
    code = helpers.call_action("package_show", id=dataset["id"])["registration_code"]
    explicit: dict[str, list[dict[str, Any]]] = {
        "resource_show": [{"id": resource_id}],
        "resource_view_list": [{"id": resource_id}],
        "resource_view_show": [{"id": resource_id}],
        "resource_search": [{"query": "name:数据"}],
        "package_search": [{"q": "*:*", "include_private": True},
                           {"q": "金丝雀", "facet.field": ["organization", "tags"]}],
        "package_autocomplete": [{"q": "canary"}],
        "organization_show": [{"id": org, "include_datasets": True, "include_extras": True,
                               "include_users": True}],
        "organization_list": [{"all_fields": True, "include_extras": True,
                               "include_dataset_count": True}],
        "organization_list_for_user": [{"id": user, "include_dataset_count": True}],
        "group_show": [{"id": org, "include_datasets": True}],
        "group_list": [{"all_fields": True, "include_extras": True}],
        "group_package_show": [{"id": org}],
        "member_list": [{"id": org}],
        "user_show": [{"id": user, "include_datasets": True}],
        "user_list": [{}],
        "tag_show": [{"id": "交通出行", "include_datasets": True}],
        "tag_search": [{"query": "交通"}],
        "tag_list": [{"all_fields": True}],
        "dcat_dataset_show": [{"id": dataset["id"], "format": "ttl"},
                              {"id": product["id"], "format": "jsonld"}],
        "dcat_catalog_show": [{"format": "ttl"}, {"format": "xml"}],
        "dcat_catalog_search": [{"q": "*:*", "format": "ttl"}],
        "certificate_show": [{"package_id": dataset["id"]}, {"code": code}],
        "certificate_verify": [{"code": code}],
        "registration_query": [{"q": "金丝雀"}, {"code": code}, {"registrant": org}],
        "registration_show": [{"id": land["app"]["id"]}],
        "registration_submission_show": [{"id": land["app"]["id"]}],
        "registration_history": [{"package_id": dataset["id"]}, {"id": land["app"]["id"]}],
        "registration_status_show": [{"package_id": product["id"]}],
        "registration_export_show": [{"id": dataset["id"]}],
        "institution_service_report": [{"institution_id": world.hp_inst["id"]}],
        "followee_list": [{"id": land["follower"]["id"]}],
        "dataset_followee_list": [{"id": land["follower"]["id"]}],
        "organization_followee_list": [{"id": land["follower"]["id"]}],
        "user_followee_list": [{"id": land["follower"]["id"]}],
        "package_collaborator_list_for_user": [{"id": user}],
        "user_activity_list": [{"id": user}],
        "organization_activity_list": [{"id": org}],
        "group_activity_list": [{"id": org}],
    }
    if action in explicit:
        return explicit[action]
    if action.startswith("activity_"):
        activities = helpers.call_action("package_activity_list", id=dataset["id"])
        return [{"id": a["id"], "object_type": "package"} for a in activities[:2]]
    return [{"id": dataset["id"], "package_id": dataset["id"]},
            {"id": product["id"], "package_id": product["id"]}]


def _readers(land: dict[str, Any]) -> dict[str, str | None]:
    world = land["world"]
    return {"anonymous": None, "other registrant": world.bh_clerk["token"],
            "other-district reviewer": world.bh_reviewer["token"]}


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_no_read_action_gives_a_restricted_value_away(ckan_server, landscape):
    readers = _readers(landscape)
    # The follower's own lists and dashboard are read as the follower too.
    readers["follower"] = landscape["follower"]["token"]
    failures = []
    for action in sorted(channels.ACTIONS[channels.READ]):
        for arguments in _action_arguments(action, landscape):
            for reader, token in readers.items():
                response = api_post(ckan_server, action, token, **arguments)
                if response.status_code >= 500:
                    failures.append((action, reader, response.status_code,
                                     sorted(arguments)))
                leaked = _leaks(response.text, landscape["secrets"])
                if leaked:
                    failures.append((action, reader, "leaked", leaked))
    assert not failures, "\n".join(map(str, failures))
    # The sweep reads real content: the clerk sees the canaries through the same channels.
    own = api_post(ckan_server, "package_show", landscape["world"].hp_clerk["token"],
                id=landscape["datasets"][0]["id"])
    assert _leaks(own.text, landscape["secrets"])


_PLACEHOLDER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([A-Za-z_]+)>")


def _page_paths(app, land: dict[str, Any]) -> list[str]:
    dataset, product = land["datasets"]
    world = land["world"]
    activities = helpers.call_action("package_activity_list", id=dataset["id"])
    code = helpers.call_action("package_show", id=dataset["id"])["registration_code"]
    org_activity = helpers.call_action("organization_activity_list", id=world.hp_reg["id"])
    values_by_blueprint = {
        "organization": {"id": world.hp_reg["name"]},
        "group": {"id": world.hp_reg["name"]},
        "user": {"id": world.hp_clerk["name"]},
        "feeds": {"id": world.hp_reg["name"]},
    }
    common = {"id": dataset["name"], "resource_id": dataset["resources"][0]["id"],
              "activity_id": activities[-1]["id"], "package_id": dataset["id"],
              "_id": dataset["name"], "_format": "ttl", "fmt": "csv", "code": code,
              "app_id": land["app"]["id"], "institution_id": world.hp_inst["id"],
              "lang": "zh_Hans_CN", "filename": "data.csv", "view_id": "none"}
    paths = []
    for rule in app.flask_app.url_map.iter_rules():
        if rule.endpoint not in channels.ROUTES[channels.READ] or "GET" not in rule.methods:
            continue
        if rule.endpoint == "api.action" or "<path:" in rule.rule or "<int(" in rule.rule:
            continue
        blueprint = rule.endpoint.split(".")[0]
        values = {**common, **values_by_blueprint.get(blueprint, {})}
        if rule.endpoint in ("activity.package_changes",):
            values["id"] = activities[0]["id"]
        if rule.endpoint in ("activity.organization_changes",):
            values["id"] = org_activity[0]["id"]
        if rule.endpoint in ("activity.organization_activity", "activity.group_activity"):
            values["id"] = world.hp_reg["name"]
        if rule.endpoint == "activity.user_activity":
            values["id"] = world.hp_clerk["name"]
        if rule.endpoint.startswith("data-product"):
            values["id"] = product["name"]
            values["resource_id"] = product["resources"][0]["id"]
        names = _PLACEHOLDER.findall(rule.rule)
        if any(name not in values for name in names):
            continue
        path = _PLACEHOLDER.sub(lambda match, known=values: str(known[match.group(1)]),
                                rule.rule)
        paths.append(path)
    paths += [f"/dataset/{dataset['name']}.jsonld", "/catalog.xml",
              "/registration/query?q=金丝雀", f"/registration/verify?code={code}",
              "/dataset/?q=金丝雀", "/organization/?q=和平"]
    return sorted(set(paths))


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_no_page_gives_a_restricted_value_away(app, ckan_server, landscape):
    paths = _page_paths(app, landscape)
    assert len(paths) > 60, paths
    failures = []
    for path in paths:
        for reader, token in _readers(landscape).items():
            headers = {"Authorization": token} if token else {}
            response = requests.get(ckan_server.url(path), headers=headers, timeout=120,
                                    allow_redirects=False)
            if response.status_code >= 500:
                failures.append((path, reader, response.status_code))
            leaked = _leaks(response.text, landscape["secrets"])
            if leaked:
                failures.append((path, reader, "leaked", leaked))
    assert not failures, "\n".join(map(str, failures))


def _outsiders(land: dict[str, Any]) -> dict[str, str | None]:
    return {**_readers(land), "follower": land["follower"]["token"]}


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_no_channel_shows_a_dataset_outside_the_register_to_outsiders(app, ckan_server,
                                                                      landscape):
    """The product under review is outside the public register (visibility.py): its
    title reaches no one but its registrant and the institutions covering it."""
    product = landscape["datasets"][1]
    secret = [product["title"]]
    failures = []
    for action in sorted(channels.ACTIONS[channels.READ]):
        for arguments in _action_arguments(action, landscape):
            for reader, token in _outsiders(landscape).items():
                response = api_post(ckan_server, action, token, **arguments)
                if _leaks(decoded(response), secret):
                    failures.append((action, reader, sorted(arguments)))
    for path in _page_paths(app, landscape):
        for reader, token in _outsiders(landscape).items():
            headers = {"Authorization": token} if token else {}
            response = requests.get(ckan_server.url(path), headers=headers, timeout=120,
                                    allow_redirects=False)
            if _leaks(decoded(response), secret):
                failures.append((path, reader))
    assert not failures, "\n".join(map(str, failures))
    # The same channels carry it to its registrant.
    own = api_post(ckan_server, "package_search", landscape["world"].hp_clerk["token"],
                q="金丝雀", include_private=True)
    assert _leaks(decoded(own), secret)
