"""A demo-like published catalogue, built through the real workflow and certificates.

Registrations reach the catalogue the only way they can in production: the
registrant submits, the institution accepts and approves, publicity (when the
rules require it) runs out, and the certificate subsystem issues the certificate.
Every restricted field carries a value no public field uses, so that a test can
look for it in any output.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.dcat import publication
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.workflow_helpers import (
    World,
    build_world,
    call_as,
    colleague,
    set_org_fields,
    submit,
)

SECRET = "机密"
NATIONAL_CODE = "1201002026112700000001"


def secrets_for(tag: str) -> dict[str, Any]:
    """Restricted field values unique to one dataset (``tag``)."""
    return {
        "contact_name": f"{SECRET}联系人{tag}",
        "contact_phone": f"022-8{abs(hash(tag)) % 10**7:07d}",
        "contact_email": f"secret-{tag}@hidden.example.org",
        "storage_location": f"{SECRET}存储位置{tag}",
        "evidence_provider": f"{SECRET}存证机构{tag}",
        "evidence_cert_no": f"CZ-SECRET-{tag}",
        "internal_review_note": f"{SECRET}审核意见{tag}",
        "agent_name": f"{SECRET}代理机构{tag}",
    }


def restricted_values(dataset: dict[str, Any]) -> list[str]:
    """The distinctive restricted values a built dataset carries (see ``_distinctive``)."""
    return dataset["_secrets"]


def _distinctive(dataset: dict[str, Any]) -> list[str]:
    """Restricted values stored for ``dataset`` that no public field of it repeats.

    Read back as a sysadmin, because the platform fills some restricted fields itself
    (evidence details, for one); a value equal to a public one (the evidence provider
    may be the registrant itself) proves nothing and is left out.
    """
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})["name"]
    stored = helpers.call_action("package_show", {"user": site_user}, id=dataset["id"])
    public = json.dumps([
        helpers.call_action("package_show", {"user": ""}, id=dataset["id"]),
        helpers.call_action("organization_show", {"user": ""}, id=stored["owner_org"]),
    ], ensure_ascii=False)
    values = []
    for name in access.restricted_dataset_fields(stored["type"]):
        value = stored.get(name)
        if isinstance(value, str) and len(value) >= 6 and value not in public:
            values.append(value)
    return sorted(values)


# Schema fields CKAN keeps elsewhere: the URL name is local, the organization is
# the harvest source's, tag_string comes back as tags.
NOT_EXCHANGED = {"name", "owner_org", "tag_string"}
RESOURCE_KEYS = ("name", "description", "url", "format", "resource_kind", "data_dictionary")


def public_view(dataset_id: str) -> dict[str, Any]:
    """What anyone may read of a dataset (``package_show`` as an anonymous user)."""
    return helpers.call_action("package_show", {"user": "", "ignore_auth": False},
                               id=dataset_id)


def mapped_fields(dataset_type: str) -> list[str]:
    """The schema fields of ``dataset_type`` that the catalogue exchanges."""
    fields, _resource_fields = publication.public_field_names(dataset_type)
    return sorted(fields - NOT_EXCHANGED)


def normal(value: Any) -> Any:
    """A field value as compared across platforms (string lists unordered, empty is None)."""
    if isinstance(value, list):
        return sorted(normal(v) for v in value) if all(
            isinstance(v, str) for v in value) else value
    if value in (None, "", []):
        return None
    return value


@dataclass
class Catalog:
    world: World
    published: list[dict[str, Any]] = field(default_factory=list)
    unpublished: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_name(self, name: str) -> dict[str, Any]:
        for dataset in [*self.published, *self.unpublished.values()]:
            if dataset["name"] == name:
                return dataset
        raise KeyError(name)


def _create(org: dict[str, Any], builder: Any, tag: str, **overrides: Any) -> dict[str, Any]:
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})["name"]
    data = builder(org["id"], name=f"{tag}-{uuid.uuid4().hex[:6]}", **overrides)
    restricted = {k: v for k, v in secrets_for(tag).items() if k in data}
    data.update(restricted)
    created = helpers.call_action("package_create", {"ignore_auth": True, "user": site_user},
                                  **data)
    created["_tag"] = tag
    return created


def _decide(reviewer: dict[str, Any], app: dict[str, Any]) -> None:
    """Accept and approve an application; let publicity, if any, run out."""
    call_as(reviewer, "registration_accept", id=app["id"])
    app = call_as(colleague(reviewer), "registration_approve", id=app["id"])
    if app["state"] == "publicity":
        # Publicity lasts ten working days: let it run out, then close it as the platform does.
        with workflow.transaction() as session:
            session.query(Application).filter_by(id=app["id"]).update(
                {"publicity_end": workdays.local_today() - dt.timedelta(days=1)})
        workflow.close_publicity(app["id"])


def _evidence(clerk: dict[str, Any], dataset: dict[str, Any]) -> None:
    """Data under authorised operation is evidenced (存证) before it may be submitted."""
    if not dataset.get("in_authorized_operation"):
        return
    content = f"{dataset['name']} 数据文件\n".encode()
    call_as(clerk, "evidence_create", package_id=dataset["id"], manifest=[
        {"path": "data.csv", "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}])


def certify(clerk: dict[str, Any], reviewer: dict[str, Any],
            dataset: dict[str, Any]) -> dict[str, Any]:
    """Register ``dataset`` through the workflow until its certificate is issued."""
    _evidence(clerk, dataset)
    _decide(reviewer, submit(clerk, dataset))
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["registration_status"] == "registered", shown["registration_status"]
    assert shown["certificate_status"] == "valid" and shown["registration_code"]
    dataset.update({k: shown[k] for k in ("registration_code", "certificate_valid_until",
                                          "registration_status", "certificate_status")})
    return dataset


def change(clerk: dict[str, Any], reviewer: dict[str, Any], dataset: dict[str, Any],
           **proposed: Any) -> dict[str, Any]:
    """A change registration (变更登记) of ``dataset``, through to its new certificate."""
    _decide(reviewer, submit(clerk, dataset, application_type="change", proposed=proposed))
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert all(shown[key] == value for key, value in proposed.items()), (
        {key: shown.get(key) for key in proposed}, shown["registration_status"])
    assert shown["registration_status"] == "registered"
    return shown


def reviewer_of(catalog: Catalog, dataset: dict[str, Any]) -> tuple[dict[str, Any],
                                                                    dict[str, Any]]:
    """(clerk, reviewer) in charge of a dataset of the catalogue."""
    owner = next(k for k, org in catalog.world.orgs.items() if org["id"] == dataset["owner_org"])
    prefix = owner.split("_")[0]
    return catalog.world.users[f"{prefix}_clerk"], catalog.world.users[f"{prefix}_reviewer"]


def build_catalog() -> Catalog:
    world = build_world()
    for key, uscc in (("city_reg", samples.USCC_VALID[0]), ("hp_reg", samples.USCC_VALID[1]),
                      ("bh_reg", samples.USCC_VALID[2])):
        set_org_fields(world.orgs[key]["id"], uscc=uscc)
    catalog = Catalog(world)
    w = world

    # Published: resources of three registrants, with varied sharing and opening.
    bus = certify(w.city_clerk, w.city_reviewer, _create(w.city_reg, samples.data_resource, "bus"))
    # The national platform has assigned its unified code to this one.
    issuance.set_national_code(bus["registration_code"], NATIONAL_CODE)
    model.Session.commit()
    issuance.reindex([bus["id"]])
    bus["national_code"] = NATIONAL_CODE
    schools = certify(w.hp_clerk, w.hp_reviewer, _create(
        w.hp_reg, samples.data_resource, "schools", title="和平区中小学学校名录",
        industry_code="P", data_kind="semi_structured", update_frequency="annual",
        share_type="unconditional", share_condition="", open_type="unconditional",
        open_condition="", access_method="open", in_authorized_operation=False,
        spatial=["120101"], temporal_end="",
        resources=[{"url": "https://data.tj.gov.cn/schools.csv", "name": "学校名录",
                    "format": "CSV", "resource_kind": "data"},
                   {"url": "https://data.tj.gov.cn/schools-dict.xlsx", "name": "数据字典",
                    "format": "XLSX", "resource_kind": "dictionary"}]))
    air = certify(w.bh_clerk, w.bh_reviewer, _create(
        w.bh_reg, samples.data_resource, "air", title="滨海新区空气质量监测数据",
        industry_code="N", update_frequency="hourly", share_type="conditional",
        open_type="not_open", open_condition="", access_method="apply", open_platform_url="",
        in_authorized_operation=False, operator_name="", gov_catalog_code="",
        regist_object_type="public_data_resource",
        spatial=["120116"], resources=[]))
    catalog.published = [bus, schools, air]
    # A product built on two of them and on a registration held elsewhere.
    sources = [bus, air]
    product = certify(w.city_clerk, w.city_reviewer, _create(
        w.city_reg, samples.data_product, "mobility",
        source_regist_codes=[d["registration_code"] for d in sources] + ["TJ-EXTERNAL-0001"]))
    product["_sources"] = sources
    catalog.published.append(product)

    # Not published: never submitted, pending, revoked, and private.
    catalog.unpublished["unregistered"] = _create(
        w.hp_reg, samples.data_resource, "unreg", title="未登记的数据资源")
    pending = _create(w.hp_reg, samples.data_resource, "pending", title="登记办理中的数据资源",
                      open_type="not_open", open_condition="", access_method="apply",
                      open_platform_url="", in_authorized_operation=False,
                      regist_object_type="public_data_resource")
    submit(w.hp_clerk, pending)
    catalog.unpublished["pending"] = pending
    revoked = certify(w.city_clerk, w.city_reviewer, _create(
        w.city_reg, samples.data_resource, "revoked", title="已撤销登记的数据资源",
        open_type="not_open", open_condition="", access_method="apply", open_platform_url="",
        in_authorized_operation=False, regist_object_type="public_data_resource"))
    call_as(w.city_reviewer, "registration_revoke", package_id=revoked["id"],
            ground="false_materials", reasons="材料虚假")
    catalog.unpublished["revoked"] = revoked
    for dataset in [*catalog.published, *catalog.unpublished.values()]:
        dataset["_secrets"] = _distinctive(dataset)
    return catalog


def add_open_product(catalog: Catalog) -> dict[str, Any]:
    """Publish a product not under authorised operation, built on a published resource.

    Unlike the demo's product it needs no evidence (存证), whose fields are restricted
    and never exchanged, so another platform can create it from the catalogue alone.
    """
    w = catalog.world
    schools = next(d for d in catalog.published if d["_tag"] == "schools")
    product = certify(w.hp_clerk, w.hp_reviewer, _create(
        w.hp_reg, samples.data_product, "enrolment", title="和平区学位供需分析服务",
        in_authorized_operation=False, implementing_body="", authorization_scope="",
        authorization_start="", authorization_end="", product_form="data_report",
        spatial=["120101"], source_regist_codes=[schools["registration_code"]]))
    product["_sources"] = [schools]
    product["_secrets"] = _distinctive(product)
    catalog.published.append(product)
    return product
