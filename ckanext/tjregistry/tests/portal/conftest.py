"""The home page and menu tests: a small public register (``Register``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.publicity import period
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.publicity_helpers import end_publicity, in_publicity
from ckanext.tjregistry.tests.supervision_helpers import make_product, register
from ckanext.tjregistry.tests.workflow_helpers import (
    World,
    call_as,
    colleague,
    make_dataset,
    submit,
)


@dataclass
class Register:
    """What is public and what is not: one registered resource (和平区), one registered
    product (city registrant), one resource in publicity (和平区) and one draft (滨海新区)."""

    resource: dict[str, Any]
    product: dict[str, Any]
    in_publicity: dict[str, Any]
    notice: dict[str, Any]
    draft: dict[str, Any]


def _register_product(world: World) -> dict[str, Any]:
    """A product goes through publicity; its period ends and the sweep registers it."""
    product = make_product(world.city_reg, title="城市交通出行指数服务")
    app = submit(world.city_clerk, product)
    call_as(world.city_reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(world.city_reviewer), "registration_approve", id=app["id"])
    if app["state"] == "publicity":
        end_publicity(app["id"])
        period.sweep()
    from ckan import model

    model.Session.remove()
    if model.Session.get(Application, app["id"]).state == "approved":
        workflow.on_issued(app["id"])
    return product


@pytest.fixture
def public_register(world: World) -> Register:
    resource = make_dataset(world.hp_reg, title="和平区学校名录")
    register(world, world.hp_clerk, world.hp_reviewer, resource)
    product = _register_product(world)
    dataset, notice = in_publicity(world, title="和平区公交站点客流")
    draft = make_dataset(world.bh_reg, title="滨海新区草稿数据")
    return Register(resource=resource, product=product, in_publicity=dataset, notice=notice,
                    draft=draft)
