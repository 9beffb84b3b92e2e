"""Publicity scope (Art. 20): every application involving opened or authorised-operation
data is made public, a cancellation too, unless configured otherwise."""
from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.model import Application, Registration
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.publicity import period
from ckanext.tjregistry.tests.publicity_helpers import end_publicity, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _registered_open_dataset(world) -> dict:
    dataset, app = in_publicity(world, title="和平区公园开放数据")
    end_publicity(app["id"])
    period.sweep()
    model.Session.remove()
    assert model.Session.get(Registration, dataset["id"]).status == "registered"
    return dataset


def _cancellation(world, dataset: dict) -> dict:
    app = submit(world.hp_clerk, {"id": dataset["id"]}, application_type="cancellation",
                 reasons="该数据停止提供")
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    shown = call_as(world.hp_reviewer_2, "registration_show", id=app["id"])
    return {**app, "leads_to": shown["approval_leads_to"]}


def test_a_cancellation_of_opened_data_is_made_public_then_cancelled(world):
    dataset = _registered_open_dataset(world)
    cancellation = _cancellation(world, dataset)
    assert cancellation["leads_to"] == "publicity"
    approved = call_as(colleague(world.hp_reviewer), "registration_approve",
                       id=cancellation["id"])
    assert approved["state"] == "publicity"
    listed = helpers.call_action("registration_publicity_list", {"user": ""})["results"]
    (item,) = [row for row in listed if row["id"] == cancellation["id"]]
    assert item["registration_type"] == "cancellation"
    assert item["registration_type_label"]["zh_Hans_CN"] == "注销登记"
    assert item["data_name"] == "和平区公园开放数据"
    # Still registered during its publicity; cancelled when the period is over.
    assert model.Session.get(Registration, dataset["id"]).status == "registered"
    end_publicity(cancellation["id"])
    report = period.sweep()
    assert cancellation["id"] in report.closed
    model.Session.remove()
    assert model.Session.get(Application, cancellation["id"]).state == "completed"
    assert model.Session.get(Registration, dataset["id"]).status == "cancelled"
    statuses = {row.status for row in model.Session.query(Certificate)
                .filter_by(package_id=dataset["id"])}
    assert "cancelled" in statuses and "valid" not in statuses
    announced = helpers.call_action("announcement_list", {"user": ""}, kind="cancellation")
    assert [row["data_name"] for row in announced["results"]] == ["和平区公园开放数据"]


def test_configured_without_cancellations_it_is_cancelled_at_once(world, ckan_config,
                                                                  monkeypatch):
    dataset = _registered_open_dataset(world)
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.application_types",
                        ["initial", "change"])
    cancellation = _cancellation(world, dataset)
    assert cancellation["leads_to"] == "completed"
    done = call_as(colleague(world.hp_reviewer), "registration_approve", id=cancellation["id"])
    assert done["state"] == "completed"
    model.Session.remove()
    assert model.Session.get(Registration, dataset["id"]).status == "cancelled"
