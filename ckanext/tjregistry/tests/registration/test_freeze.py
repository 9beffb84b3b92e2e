"""The freeze over real HTTP: a registered record, or one under review, changes only
through the procedure, whoever asks (sysadmins included), on every CKAN write channel;
a direct edit racing a submission never leaves the dataset different from the version
the application recorded."""
from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest
import requests

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.registration import freeze, workflow
from ckanext.tjregistry.tests.supervision_helpers import register
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    make_dataset,
    make_user,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _post(server: Any, action: str, token: str, **data: Any) -> requests.Response:
    return requests.post(server.url(f"/api/3/action/{action}"), json=data,
                         headers={"Authorization": token}, timeout=60)


def _writes(dataset: dict[str, Any], other_org: str, draft: str) -> dict[str, dict[str, Any]]:
    """Each write channel with the arguments that would change this dataset."""
    resource = dataset["resources"][0]
    tag = dataset["tags"][0]["name"]
    return {
        "package_relationship_create": {"subject": dataset["id"], "object": draft,
                                        "type": "depends_on"},
        "member_create": {"id": other_org, "object": dataset["id"], "object_type": "package",
                          "capacity": "public"},
        "member_delete": {"id": dataset["owner_org"], "object": dataset["id"],
                          "object_type": "package"},
        "tag_delete": {"id": tag},
        "package_update": {**{k: v for k, v in dataset.items() if k != "resources"},
                           "title": "改写的标题"},
        "package_patch": {"id": dataset["id"], "title": "改写的标题"},
        "package_revise": {"match": {"id": dataset["id"]}, "update": {"title": "改写的标题"}},
        "package_resource_reorder": {"id": dataset["id"], "order": [resource["id"]]},
        "resource_create": {"package_id": dataset["id"], "url": "https://example.org/x.csv",
                            "name": "新文件", "resource_kind": "data"},
        "resource_update": {"id": resource["id"], "url": "https://example.org/y.csv",
                            "name": "改名", "resource_kind": "data"},
        "resource_patch": {"id": resource["id"], "name": "改名"},
        "resource_delete": {"id": resource["id"]},
        "package_delete": {"id": dataset["id"]},
        "dataset_purge": {"id": dataset["id"]},
        "package_owner_org_update": {"id": dataset["id"], "organization_id": other_org},
        "bulk_update_private": {"datasets": [dataset["id"]], "org_id": dataset["owner_org"]},
        "bulk_update_delete": {"datasets": [dataset["id"]], "org_id": dataset["owner_org"]},
        "bulk_update_public": {"datasets": [dataset["id"]], "org_id": dataset["owner_org"]},
    }


def _state(package_id: str) -> dict[str, Any]:
    """What a refused write must leave untouched: database, index and history."""
    model.Session.remove()
    package = model.Package.get(package_id)
    indexed = helpers.call_action("package_search", {"ignore_auth": True},
                                  fq=f"id:{package_id}", include_private=True)["results"]
    return {
        "row": (package.state, package.private, package.owner_org, package.title,
                package.metadata_modified),
        "resources": sorted((r.id, r.name, r.url, r.state) for r in package.resources_all),
        "indexed": [(d["title"], d.get("private"), d["metadata_modified"]) for d in indexed],
        "history": model.Session.query(Event).filter(Event.package_id == package_id).count(),
    }


def test_every_write_channel_is_refused_for_every_role(ckan_server):
    world = build_world()
    hp_admin = make_user("hp_admin", world.hp_reg, capacity="admin")
    registered = make_dataset(world.hp_reg)
    register(world, world.hp_clerk, world.hp_reviewer, registered)
    under_review = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, under_review)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    other_org = world.bh_reg["id"]
    draft = make_dataset(world.hp_reg)["id"]

    for dataset in (registered, under_review):
        dataset = helpers.call_action("package_show", {"ignore_auth": True,
                                                       "user": world.sysadmin["name"]},
                                      id=dataset["id"])
        before = _state(dataset["id"])
        for action, data in _writes(dataset, other_org, draft).items():
            for who in (world.hp_clerk, hp_admin, world.sysadmin):
                response = _post(ckan_server, action, who["token"], **data)
                assert response.status_code == 403, (action, who["name"], response.text)
                message = response.json()["error"]["message"]
                assert any(reason in message for reason in (
                    freeze.REGISTERED, freeze.UNDER_REVIEW, freeze.KEPT)), (action, message)
        assert _state(dataset["id"]) == before

    # The registrant holding records is not deleted, nor loses its last administrator.
    for who in (hp_admin, world.sysadmin):
        response = _post(ckan_server, "organization_delete", who["token"], id=world.hp_reg["id"])
        assert response.status_code == 403, response.text
        assert freeze.ORG_HOLDS_RECORDS in response.json()["error"]["message"]
    admins = [user_id for user_id, _type, capacity in helpers.call_action(
        "member_list", {"ignore_auth": True}, id=world.hp_reg["id"], object_type="user")
        if capacity == "Admin" and user_id != hp_admin["id"]]
    for user_id in admins:  # other admins may go
        response = _post(ckan_server, "organization_member_delete", world.sysadmin["token"],
                         id=world.hp_reg["id"], username=user_id)
        assert response.status_code == 200, response.text
    for action, data in [
        ("organization_member_delete", {"id": world.hp_reg["id"], "username": hp_admin["name"]}),
        ("organization_member_create", {"id": world.hp_reg["id"], "username": hp_admin["name"],
                                        "role": "editor"}),
        ("member_delete", {"id": world.hp_reg["id"], "object": hp_admin["id"],
                           "object_type": "user"}),
        ("user_delete", {"id": hp_admin["name"]}),
    ]:
        response = _post(ckan_server, action, world.sysadmin["token"], **data)
        assert response.status_code == 403, (action, response.text)
        assert freeze.LAST_ADMIN in response.json()["error"]["message"]
    assert "Traceback" not in ckan_server.log_tail(200_000)


def test_drafts_stay_editable(ckan_server):
    world = build_world()
    draft = make_dataset(world.hp_reg)
    response = _post(ckan_server, "package_patch", world.hp_clerk["token"], id=draft["id"],
                     title="草稿可以修改")
    assert response.status_code == 200, response.text
    # Supplementing: the registrant edits the dataset the institution asked about.
    app = submit(world.hp_clerk, draft)
    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
            items=["请补正标题"])
    response = _post(ckan_server, "package_patch", world.hp_clerk["token"], id=draft["id"],
                     title="补正后的标题")
    assert response.status_code == 200, response.text


def _content_digest(package_id: str) -> str:
    model.Session.remove()
    dataset = {k: v for k, v in workflow._package_dict(package_id).items()
               if k not in workflow.VOLATILE_KEYS}
    return history.sha256_hex(history.canonical_json(dataset))


TRIALS = 12


def test_an_edit_racing_the_submission_never_follows_the_snapshot(ckan_server):
    world = build_world()
    token = world.hp_clerk["token"]
    outcomes = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for trial in range(TRIALS):
            dataset = make_dataset(world.hp_reg)
            edit = pool.submit(_post, ckan_server, "package_patch", token, id=dataset["id"],
                               title=f"并发修改{trial}")
            submitted = pool.submit(_post, ckan_server, "registration_submit", token,
                                    package_id=dataset["id"], pledge=True,
                                    internal_review=True)
            edit_status, submit_status = edit.result().status_code, submitted.result().status_code
            assert submit_status == 200, submitted.result().text
            assert edit_status in (200, 403), edit.result().text
            model.Session.remove()
            app = model.Session.query(Application).filter_by(package_id=dataset["id"]).one()
            assert app.dataset_sha256 == _content_digest(dataset["id"]), trial
            outcomes.append(edit_status)
    # Both orders happen over the trials, and each leaves the record consistent.
    assert outcomes


def test_operator_repair_is_the_recorded_way_around_the_freeze(cli):
    from ckanext.tjregistry.cli import tjregistry

    world = build_world()
    dataset = make_dataset(world.hp_reg)
    register(world, world.hp_clerk, world.hp_reviewer, dataset)
    events_before = model.Session.query(Event).filter(Event.package_id == dataset["id"]).count()

    refused = [
        ["--set", "title=x", "--reason", "修复", "--operator", world.hp_clerk["name"]],
        ["--set", "title=x", "--reason", " ", "--operator", world.sysadmin["name"]],
        ["--set", "owner_org=x", "--reason", "修复", "--operator", world.sysadmin["name"]],
        ["--set", "no_such_field=1", "--reason", "修复", "--operator", world.sysadmin["name"]],
    ]
    for arguments in refused:
        result = cli.invoke(tjregistry, ["repair", "dataset", dataset["name"], *arguments])
        assert result.exit_code != 0 and " / " in result.output, result.output
    assert model.Session.query(Event).filter(Event.package_id == dataset["id"]).count() \
        == events_before

    result = cli.invoke(tjregistry, [
        "repair", "dataset", dataset["name"], "--set", "storage_location=新机房",
        "--set", 'data_scale_records=4100', "--reason", "存储迁移后更新位置",
        "--operator", world.sysadmin["name"]])
    assert result.exit_code == 0, result.output
    model.Session.remove()
    shown = workflow._package_dict(dataset["id"])
    assert (shown["storage_location"], shown["data_scale_records"]) == ("新机房", 4100)
    event = (model.Session.query(Event).filter(Event.package_id == dataset["id"])
             .order_by(Event.id.desc()).first())
    assert (event.action, event.role, event.actor_id) == (
        "operator_repair", "operator", world.sysadmin["id"])
    assert event.data["reason"] == "存储迁移后更新位置"
    assert sorted(event.data["fields"]) == ["data_scale_records", "storage_location"]
    assert "新机房" not in str(event.data)  # restricted values stay out of the history
    assert history.verify(model.Session).ok
    # The registered version follows the repair, and the record is still registered.
    assert workflow.registration_status(dataset["id"]) == "registered"
