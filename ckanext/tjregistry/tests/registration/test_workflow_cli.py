"""``ckan tjregistry workflow ...`` commands on the real stack."""
from __future__ import annotations

import datetime as dt

import pytest

from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    make_dataset,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def test_overdue_and_late(cli):
    world = build_world()
    late_ds = make_dataset(world.hp_reg, activity_start_date="2025-09-01")
    app = submit(world.hp_clerk, late_ds)
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app["id"]).update(
            {"accept_due": dt.date(2025, 9, 30)})
    result = cli.invoke(tjregistry, ["workflow", "overdue"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "1 overdue"
    assert app["id"] in lines[0] and "due 2025-09-30" in lines[0] and "hp-inst" in lines[0]

    result = cli.invoke(tjregistry, ["workflow", "late"])
    assert result.exit_code == 0, result.output
    assert late_ds["name"] in result.output and result.output.strip().endswith("1 late")


def test_close_publicity_sweep(cli):
    world = build_world()
    ds = make_dataset(world.city_reg, open_type="unconditional", access_method="open",
                      open_platform_url="https://data.tj.gov.cn/x")
    app = submit(world.city_clerk, ds)
    call_as(world.city_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.city_reviewer), "registration_approve", id=app["id"])
    result = cli.invoke(tjregistry, ["workflow", "close-publicity"])
    assert "0 publicity periods closed" in result.output
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app["id"]).update(
            {"publicity_end": dt.date(2025, 10, 10)})
    result = cli.invoke(tjregistry, ["workflow", "close-publicity"])
    assert result.exit_code == 0, result.output
    assert "1 publicity periods closed" in result.output
    # Closed: awaiting issuance, or issued when the sweep also issues the certificate.
    state = call_as(world.city_clerk, "registration_show", id=app["id"])["state"]
    assert state in ("approved", "issued")
    assert workflow.registration_status(ds["id"]) == (
        "registered" if state == "issued" else "pending")


def test_the_scheduler_refuses_a_sweep_time_before_noon(cli, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time", "09:00")
    result = cli.invoke(tjregistry, ["workflow", "scheduler"])
    assert result.exit_code == 1
    assert "tjregistry.publicity.sweep_time must be a time HH:MM from 12:00 to 24:00, " \
           "not '09:00'" in result.output
