"""A registration landscape for the statistics, report and supervision tests.

Datasets of three registrants are driven through the real workflow actions into
known states, so every figure the tests expect follows from what is built here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ckan.tests import helpers

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.workflow_helpers import (
    World,
    call_as,
    colleague,
    make_dataset,
    make_org,
    make_user,
    submit,
)


def today() -> dt.date:
    return workdays.local_today()


def long_ago() -> str:
    """An activity start whose first-registration deadline has long passed."""
    return (today() - dt.timedelta(days=200)).isoformat()


def recently() -> str:
    return today().isoformat()


def register(world: World, clerk: dict[str, Any], reviewer: dict[str, Any],
             dataset: dict[str, Any]) -> dict[str, Any]:
    """Submit, accept, approve and issue: the dataset becomes registered."""
    app = submit(clerk, dataset)
    call_as(reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(reviewer), "registration_approve", id=app["id"])
    assert app["state"] == "approved", app["state"]
    workflow.on_issued(app["id"])
    return app


def make_product(org: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    import uuid

    suffix = uuid.uuid4().hex[:8]
    # Not under authorised operation, so no prior evidence (Art. 15) is needed to apply.
    data = samples.data_product(org["id"], name=f"prod-{suffix}", title=f"数据产品{suffix}",
                                first_delivery_date=recently(), spatial=[],
                                in_authorized_operation=False)
    data.update(overrides)
    return helpers.call_action("package_create", {"ignore_auth": True,
                                                  "user": _site_user()}, **data)


def _site_user() -> str:
    return helpers.call_action("get_site_user", {"ignore_auth": True})["name"]


@dataclass
class Landscape:
    """What was built, by role: ``datasets[key]`` and the expected figures."""

    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_landscape(world: World) -> Landscape:
    """和平区 (hp): one registered, one pending (late filing), one never filed and late.
    滨海新区 (bh): one registered then revoked, one unregistered but not yet due.
    City (city_reg): one data product registered, one resource withdrawn.
    """
    land = Landscape()
    d, a = land.datasets, land.applications
    d["hp_registered"] = make_dataset(world.hp_reg, activity_start_date=recently())
    a["hp_registered"] = register(world, world.hp_clerk, world.hp_reviewer, d["hp_registered"])
    d["hp_late_filed"] = make_dataset(world.hp_reg, activity_start_date=long_ago())
    a["hp_late_filed"] = submit(world.hp_clerk, d["hp_late_filed"])
    d["hp_not_filed"] = make_dataset(world.hp_reg, activity_start_date=long_ago())

    d["bh_revoked"] = make_dataset(world.bh_reg, activity_start_date=recently())
    a["bh_revoked"] = register(world, world.bh_clerk, world.bh_reviewer, d["bh_revoked"])
    call_as(world.bh_reviewer, "registration_revoke", package_id=d["bh_revoked"]["id"],
            ground="false_materials", reasons="提供虚假登记材料")
    d["bh_not_due"] = make_dataset(world.bh_reg, activity_start_date=recently())

    d["city_product"] = make_product(world.city_reg)
    app = submit(world.city_clerk, d["city_product"])
    call_as(world.city_reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(world.city_reviewer), "registration_approve", id=app["id"])
    assert app["state"] == "publicity"
    a["city_product"] = app
    d["city_withdrawn"] = make_dataset(world.city_reg, activity_start_date=recently())
    app = submit(world.city_clerk, d["city_withdrawn"])
    call_as(world.city_clerk, "registration_withdraw", id=app["id"], reasons="数据范围调整")
    a["city_withdrawn"] = call_as(world.city_reviewer, "registration_withdraw_decide",
                                  id=app["id"], consent=True)
    return land


def add_district_authority(world: World, district: str = "120101") -> dict[str, Any]:
    """A 和平区 data authority with one officer (member) and one acting officer (editor)."""
    org = make_org(f"authority-{district}", "authority", "district", district,
                   title="和平区数据局")
    world.orgs["hp_authority"] = org
    world.users["hp_officer"] = make_user("hp_officer", org, capacity="member")
    world.users["hp_acting_officer"] = make_user("hp_acting_officer", org, capacity="editor")
    return org


def add_city_acting_officer(world: World) -> dict[str, Any]:
    user = make_user("city_acting_officer", world.authority, capacity="editor")
    world.users["city_acting_officer"] = user
    return user
