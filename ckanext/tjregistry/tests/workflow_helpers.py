"""Builders for workflow tests: institutions, registrants, users and datasets on the real stack."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.tests import samples


def set_org_fields(org_id: str, **fields: Any) -> None:
    """Store organization-schema fields the way scheming stores them (group extras)."""
    group = model.Group.get(org_id)
    for key, value in fields.items():
        group.extras[key] = value if isinstance(value, str) else str(value).lower()
    model.Session.commit()


# What a registrant must have on file before it applies (registration_required fields).
REGISTRANT_FILE = {"uscc": samples.USCC_VALID[0], "pledge_on_file": True}


def make_org(name: str, kind: str, level: str, district: str, **fields: Any) -> dict[str, Any]:
    org = factories.Organization(name=name, title=fields.pop("title", name))
    if kind == "registrant":
        fields = {"registrant_type": "party_gov", **REGISTRANT_FILE, **fields}
    set_org_fields(org["id"], org_kind=kind, admin_level=level, district_code=district,
                   **fields)
    return org


def make_user(name: str, org: dict[str, Any] | None = None, capacity: str = "editor",
              **kwargs: Any) -> dict[str, Any]:
    # No picture, like the platform's accounts (CKAN's factory gives each a remote image).
    kwargs.setdefault("image_url", "")
    user = factories.UserWithToken(name=name, email=f"{name}@example.org", **kwargs)
    if org is not None:
        helpers.call_action("organization_member_create", {"ignore_auth": True},
                            id=org["id"], username=user["name"], role=capacity)
    return user


def dataset_fields(**overrides: Any) -> dict[str, Any]:
    """A complete data-resource that is neither opened nor under authorised operation."""
    suffix = uuid.uuid4().hex[:8]
    data = samples.data_resource(
        "", name=f"ds-{suffix}", title=f"测试数据资源{suffix}", gov_catalog_code="",
        open_type="not_open", access_method="apply", open_platform_url="",
        open_condition="", in_authorized_operation=False, operator_name="",
        activity_start_date=workdays.local_today().isoformat(), spatial=[],
        regist_object_type="public_data_resource",
        resources=[{"url": "https://example.org/data.csv", "name": "数据文件",
                    "format": "CSV", "resource_kind": "data"}])
    data.update(overrides)
    return data


def make_dataset(org: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = dataset_fields(owner_org=org["id"], **overrides)
    return helpers.call_action("package_create", {"ignore_auth": True,
                                                  "user": _site_user()}, **data)


def _site_user() -> str:
    return helpers.call_action("get_site_user", {"ignore_auth": True})["name"]


def search_everything(**params: Any) -> dict[str, Any]:
    """``package_search`` as the site user: every dataset, whatever the public may see."""
    return helpers.call_action("package_search", {"ignore_auth": True, "user": _site_user()},
                               **params)


def member_with_token(org: dict[str, Any], capacity: str = "editor") -> dict[str, Any]:
    """A new user in ``org`` with ``capacity``, carrying an API token as ``token``."""
    user = factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=user["name"],
                        role=capacity)
    user["token"] = factories.APIToken(user=user["name"])["token"]
    return user


def call_as(user: dict[str, Any] | None, action: str, **data: Any) -> Any:
    context: dict[str, Any] = {"ignore_auth": False}
    context["user"] = user["name"] if user else ""
    return helpers.call_action(action, context, **data)


def colleague(user: dict[str, Any]) -> dict[str, Any]:
    """A second person in every organization ``user`` belongs to, with the same capacity
    (created once): under four eyes, who approves what ``user`` accepted."""
    name = f"{user['name']}_2"
    existing = model.User.get(name)
    if existing is not None:
        return {"id": existing.id, "name": existing.name}
    second = make_user(name)
    memberships = (model.Session.query(model.Member.group_id, model.Member.capacity)
                   .filter(model.Member.table_name == "user",
                           model.Member.table_id == user["id"],
                           model.Member.state == "active").all())
    for group_id, capacity in memberships:
        helpers.call_action("organization_member_create", {"ignore_auth": True},
                            id=group_id, username=name, role=capacity)
    return second


def register_dataset(world: Any, org: str = "hp_reg", clerk: str = "hp_clerk",
                     reviewer: str = "hp_reviewer", **fields: Any) -> dict[str, Any]:
    """A dataset taken through submission, acceptance and approval (by a second reviewer:
    four eyes) to a registration in force, its certificate issued."""
    from ckanext.tjregistry.model import Application
    from ckanext.tjregistry.registration import workflow

    dataset = make_dataset(world.orgs[org], **fields)
    app = submit(world.users[clerk], dataset)
    call_as(world.users[reviewer], "registration_accept", id=app["id"])
    call_as(colleague(world.users[reviewer]), "registration_approve", id=app["id"])
    model.Session.remove()
    if model.Session.get(Application, app["id"]).state == "approved":
        workflow.on_issued(app["id"])
    return dataset


@dataclass
class World:
    """Two institutions and registrants on each level, their staff and an authority officer.

    * ``city_inst`` (市数据发展中心, 120000), ``hp_inst`` (和平区, 120101),
      ``bh_inst`` (滨海新区, 120116)
    * ``city_reg`` (a city-level registrant), ``hp_reg`` (a 和平区 registrant),
      ``bh_reg`` (a 滨海新区 registrant)
    """

    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> dict[str, Any]:
        if name in self.__dict__.get("orgs", {}):
            return self.orgs[name]
        if name in self.__dict__.get("users", {}):
            return self.users[name]
        raise AttributeError(name)


def build_world() -> World:
    world = World()
    o = world.orgs
    o["city_inst"] = make_org("city-inst", "institution", "city", "120000",
                              qualification_status="active", title="天津市数据发展中心")
    o["hp_inst"] = make_org("hp-inst", "institution", "district", "120101",
                            qualification_status="active", title="和平区登记机构")
    o["bh_inst"] = make_org("bh-inst", "institution", "district", "120116",
                            qualification_status="active", title="滨海新区登记机构")
    o["city_reg"] = make_org("city-reg", "registrant", "city", "120000", verified=True,
                             registrant_type="party_gov", title="市交通运输委员会")
    o["hp_reg"] = make_org("hp-reg", "registrant", "district", "120101", verified=True,
                           registrant_type="party_gov", title="和平区教育局")
    o["bh_reg"] = make_org("bh-reg", "registrant", "district", "120116", verified=True,
                           registrant_type="party_gov", title="滨海新区生态环境局")
    o["authority"] = make_org("city-authority", "authority", "city", "120000",
                              title="天津市数据局")
    u = world.users
    u["city_clerk"] = make_user("city_clerk", o["city_reg"])
    u["hp_clerk"] = make_user("hp_clerk", o["hp_reg"])
    u["bh_clerk"] = make_user("bh_clerk", o["bh_reg"])
    u["city_reviewer"] = make_user("city_reviewer", o["city_inst"])
    u["city_reviewer2"] = make_user("city_reviewer2", o["city_inst"])
    u["hp_reviewer"] = make_user("hp_reviewer", o["hp_inst"])
    u["bh_reviewer"] = make_user("bh_reviewer", o["bh_inst"])
    u["officer"] = make_user("officer", o["authority"], capacity="member")
    u["outsider"] = make_user("outsider")
    u["sysadmin"] = factories.SysadminWithToken(name="tjsysadmin")
    # Four eyes: a second reviewer in each district institution approves what the first accepted.
    u["hp_reviewer_2"] = colleague(u["hp_reviewer"])
    u["bh_reviewer_2"] = colleague(u["bh_reviewer"])
    return world


def submit(user: dict[str, Any], dataset: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {"package_id": dataset["id"], "pledge": True, "internal_review": True}
    data.update(extra)
    return call_as(user, "registration_submit", **data)
