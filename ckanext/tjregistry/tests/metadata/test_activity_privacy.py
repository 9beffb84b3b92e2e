"""CKAN's activity stream over real HTTP: no restricted value for anyone not entitled.

The dataset is created and edited over HTTP by a registrant's clerk, as in production:
inside a request CKAN names the logged-in clerk as the reader of every internal
``ignore_auth`` read, which is how the activity plugin used to store restricted values.
The readers then ask a real ``ckan run`` server anonymously, as another registrant and
as a reviewer of another district, through every activity action and page.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

import ckan.model as model
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories, helpers

from ckanext.tjregistry.metadata import activity_privacy
from ckanext.tjregistry.registration import visibility
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.workflow_helpers import member_with_token

# Unique values of restricted fields, searched for in whole raw answers.
SECRETS = {
    "storage_location": "机密机房HTTP-9931",
    "contact_phone": "022-29993311",
    "contact_email": "activity.secret@hpedu.tj.gov.cn",
    "internal_review_note": "内审意见ACT7Q",
    "evidence_cert_no": "CZ-ACT-SECRET-5512",
    "agent_contact": "代理人钱密 13922223333",
}
EDITED_SECRET = "机密机房HTTP-EDIT-4471"

# The dataset here is a draft, which the default catalogue shows to no outsider at all
# (test_visibility.py); with every public dataset visible, outsiders read its activity and
# must still find no restricted value in it.
pytestmark = pytest.mark.ckan_config(visibility.PUBLIC_STATUSES_OPTION, "*")


@pytest.fixture
def ckan_server_options() -> dict[str, str]:
    return {visibility.PUBLIC_STATUSES_OPTION: "*"}


@pytest.fixture
def people() -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    owner = helpers.call_action("organization_create", context=dict(context),
                                **samples.registrant_org(
                                    name="hp-education", title="和平区教育局",
                                    admin_level="district", district_code="120101"))
    other = helpers.call_action("organization_create", context=dict(context),
                                **samples.registrant_org(
                                    name="tj-market", title="天津市市场监督管理委员会",
                                    uscc=samples.USCC_VALID[1]))
    binhai = helpers.call_action("organization_create", context=dict(context),
                                 **samples.institution_org(
                                     name="bh-registry", title="滨海新区登记机构",
                                     admin_level="district", district_code="120116"))
    return {"owner": owner, "clerk": member_with_token(owner), "outsider": member_with_token(other),
            "other_district_reviewer": member_with_token(binhai)}


def _post(server: Any, action: str, token: str | None = None, **data: Any) -> dict[str, Any]:
    headers = {"Authorization": token} if token else {}
    response = requests.post(server.url(f"/api/3/action/{action}"), json=data,
                             headers=headers, timeout=60)
    assert response.status_code == 200, (action, response.status_code, response.text[:2000])
    return response.json()["result"]


def _get(server: Any, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": token} if token else {}
    return requests.get(server.url(path), headers=headers, timeout=60)


def _assert_clean(where: str, text: str) -> None:
    for name, value in {**SECRETS, "edited": EDITED_SECRET}.items():
        assert value not in text, f"{where}: restricted {name} leaked"


def _stored_activity_text() -> str:
    with model.meta.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT data FROM activity")).fetchall()
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_no_activity_channel_leaks_a_restricted_value(people, ckan_server):
    clerk = people["clerk"]
    dataset = _post(ckan_server, "package_create", clerk["token"], **samples.data_resource(
        people["owner"]["id"], name="hp-activity-secrets", title="和平区活动流保密测试数据",
        **SECRETS))
    # The clerk is entitled and sees the values: the test data really is there.
    assert _post(ckan_server, "package_show", clerk["token"],
                 id=dataset["id"])["storage_location"] == SECRETS["storage_location"]
    _post(ckan_server, "package_patch", clerk["token"], id=dataset["id"],
          storage_location=EDITED_SECRET, notes="更新说明")
    _post(ckan_server, "follow_dataset", people["outsider"]["token"], id=dataset["id"])

    # What is stored holds no restricted value at all.
    stored = _stored_activity_text()
    assert "hp-activity-secrets" in stored
    _assert_clean("activity table", stored)

    activities = _post(ckan_server, "package_activity_list", id=dataset["id"])
    assert {a["activity_type"] for a in activities} >= {"new package", "changed package"}
    newest, oldest = activities[0]["id"], activities[-1]["id"]
    owner, clerk_name = people["owner"]["name"], clerk["name"]
    api = "/api/3/action/"
    paths = [
        f"{api}package_activity_list?id={dataset['id']}",
        f"{api}recently_changed_packages_activity_list",
        f"{api}organization_activity_list?id={owner}",
        f"{api}user_activity_list?id={clerk_name}",
        f"{api}activity_show?id={newest}",
        f"{api}activity_data_show?id={newest}",
        f"{api}activity_data_show?id={oldest}&object_type=package",
        f"{api}activity_diff?id={newest}&object_type=package",
        f"{api}activity_diff?id={newest}&object_type=package&diff_type=html",
        f"/dataset/activity/{dataset['name']}",
        f"/dataset/changes/{newest}",
        f"/dataset/{dataset['name']}/history/{oldest}",
        f"/organization/activity/{owner}",
        f"/user/activity/{clerk_name}",
    ]
    readers = {"anonymous": None, "other registrant": people["outsider"]["token"],
               "other-district reviewer": people["other_district_reviewer"]["token"]}
    for reader, token in readers.items():
        for path in paths:
            response = _get(ckan_server, path, token)
            assert response.status_code in (200, 403), (
                reader, path, response.status_code, response.text[:3000])
            _assert_clean(f"{reader} {path}", response.text)
    # The follower's dashboard and its API.
    outsider = people["outsider"]["token"]
    dashboard = _post(ckan_server, "dashboard_activity_list", outsider)
    assert dashboard
    _assert_clean("dashboard_activity_list", json.dumps(dashboard, ensure_ascii=False))
    _assert_clean("/dashboard/", _get(ckan_server, "/dashboard/", outsider).text)
    assert "Traceback" not in ckan_server.log_tail(200_000)


def _leak_into_stored_rows(package_id: str) -> None:
    """Write restricted values into stored rows the way an older version did (raw SQL,
    bypassing the model)."""
    with model.meta.engine.begin() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, data FROM activity WHERE object_id = :id"), {"id": package_id}).fetchall()
        assert rows
        for row_id, raw in rows:
            data = json.loads(raw)
            data["package"].update(SECRETS)
            data["package"].setdefault("extras", []).append(
                {"key": "storage_location", "value": SECRETS["storage_location"]})
            connection.execute(sa.text("UPDATE activity SET data = :data WHERE id = :id"),
                               {"data": json.dumps(data, ensure_ascii=False), "id": row_id})


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_old_rows_are_stripped_when_read_and_cleaned_by_the_migration(people):
    dataset = helpers.call_action(
        "package_create", context={"user": people["clerk"]["name"]},
        **samples.data_resource(people["owner"]["id"], name="hp-old-rows", **SECRETS))
    _leak_into_stored_rows(dataset["id"])
    assert SECRETS["contact_phone"] in _stored_activity_text()

    # Read before cleaning: every reader gets the row without the values.
    model.Session.remove()
    for context in ({"user": ""}, {"user": people["clerk"]["name"]}):
        listed = helpers.call_action("package_activity_list", context=dict(context),
                                     id=dataset["id"])
        _assert_clean("package_activity_list", json.dumps(listed, ensure_ascii=False))
    # Reading did not write: the stored rows still hold them until the migration runs.
    assert SECRETS["contact_phone"] in _stored_activity_text()

    runner = CliRunner()
    down = runner.invoke(ckan_command, ["db", "downgrade", "-p", "tjregistry",
                                        "--version", "0500_catalogue_import_counts"])
    assert down.exit_code == 0, down.output
    up = runner.invoke(ckan_command, ["db", "upgrade", "-p", "tjregistry"])
    assert up.exit_code == 0, up.output
    stored = _stored_activity_text()
    assert "hp-old-rows" in stored
    _assert_clean("activity table after the migration", stored)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_scrub_command_cleans_and_counts(people, cli):
    from ckanext.tjregistry.cli import tjregistry

    dataset = helpers.call_action(
        "package_create", context={"user": people["clerk"]["name"]},
        **samples.data_resource(people["owner"]["id"], name="hp-scrub", **SECRETS))
    _leak_into_stored_rows(dataset["id"])
    result = cli.invoke(tjregistry, ["activity", "scrub"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("1 activity rows cleaned")
    _assert_clean("activity table after scrub", _stored_activity_text())
    again = cli.invoke(tjregistry, ["activity", "scrub"])
    assert again.output.strip().endswith("0 activity rows cleaned")


def test_restricted_names_come_from_every_schema():
    dataset_names, organization_names = activity_privacy.restricted_names()
    assert set(SECRETS) <= dataset_names
    assert {"contact_phone", "contact_email"} <= organization_names
    assert not {"title", "notes", "name", "owner_org"} & dataset_names
