"""The registration schemas: every field round-trips through the action API."""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.demo import data as demo
from ckanext.tjregistry.metadata import access, vocabularies
from ckanext.tjregistry.metadata import fields as metadata
from ckanext.tjregistry.tests import samples

# Field keys the other parts of the platform rely on (cross-team contract).
RESOURCE_KEYS = {
    "data_source", "update_frequency", "share_type", "open_type", "access_method",
    "open_platform_url", "in_authorized_operation", "security_level", "has_personal_info",
    "pi_treatment", "gov_catalog_code", "industry_code", "storage_location", "storage_mode",
    "temporal_start", "temporal_end", "spatial", "data_kind", "regist_object_type",
    "data_scale_records", "data_scale_bytes", "activity_start_date", "evidence_provider",
    "evidence_time", "evidence_hash", "evidence_cert_no",
}
PRODUCT_KEYS = {
    "product_form", "operator_name", "implementing_body", "source_regist_codes",
    "authorization_start", "authorization_end", "authorization_scope",
    "application_scenarios", "delivery_mode", "use_restrictions", "fee_standard",
    "first_delivery_date", "evidence_provider", "evidence_time", "evidence_hash",
    "evidence_cert_no", "regist_object_type", "industry_code",
}
ORGANIZATION_KEYS = {
    "org_kind", "admin_level", "district_code", "uscc", "registrant_type", "contact_name",
    "contact_phone", "contact_email", "pledge_on_file", "verified", "qualification_status",
}
TIANJIN_DISTRICTS = {
    "120101": "和平区", "120102": "河东区", "120103": "河西区", "120104": "南开区",
    "120105": "河北区", "120106": "红桥区", "120110": "东丽区", "120111": "西青区",
    "120112": "津南区", "120113": "北辰区", "120114": "武清区", "120115": "宝坻区",
    "120116": "滨海新区", "120117": "宁河区", "120118": "静海区", "120119": "蓟州区",
}


def _fields(dataset_type: str) -> dict[str, dict[str, Any]]:
    schema = scheming_helpers.scheming_get_dataset_schema(dataset_type)
    return {field["field_name"]: field for field in schema["dataset_fields"]}


def _expected(sent: dict[str, Any]) -> dict[str, Any]:
    """What package_show should return for the values a test sent."""
    expected = {k: v for k, v in sent.items() if k not in ("resources", "tag_string", "type")}
    if "evidence_hash" in expected:
        expected["evidence_hash"] = expected["evidence_hash"].lower()
    return expected


def _assert_round_trip(shown: dict[str, Any], sent: dict[str, Any]) -> None:
    for key, value in _expected(sent).items():
        assert shown.get(key) == value, key
    assert sorted(tag["name"] for tag in shown["tags"]) == sorted(
        sent["tag_string"].split(","))
    for shown_res, sent_res in zip(shown["resources"], sent["resources"], strict=True):
        for key, value in sent_res.items():
            assert shown_res.get(key) == value, key


# ------------------------------------------------------------ schema shape ---
def test_dataset_types_carry_the_contract_keys():
    assert set(_fields("data-resource")) >= RESOURCE_KEYS
    assert set(_fields("data-product")) >= PRODUCT_KEYS
    org_schema = scheming_helpers.scheming_get_organization_schema("organization")
    assert {f["field_name"] for f in org_schema["fields"]} >= ORGANIZATION_KEYS


@pytest.mark.parametrize("dataset_type", ["data-resource", "data-product"])
def test_every_field_has_chinese_and_english_labels_and_a_group(dataset_type: str):
    schema = scheming_helpers.scheming_get_dataset_schema(dataset_type)
    groups = {group["name"] for group in schema["field_groups"]}
    for field in schema["dataset_fields"] + schema["resource_fields"]:
        assert set(field["label"]) == {"zh_Hans_CN", "en"}, field["field_name"]
        help_text = field.get("help_text")
        if help_text:
            assert set(help_text) == {"zh_Hans_CN", "en"}, field["field_name"]
    for field in schema["dataset_fields"]:
        assert field["group"] in groups, field["field_name"]


def test_restricted_fields_cover_contacts_storage_security_evidence_and_review():
    for dataset_type in ("data-resource", "data-product"):
        restricted = access.restricted_dataset_fields(dataset_type)
        assert {"security_level", "has_personal_info", "pi_treatment", "evidence_provider",
                "evidence_time", "evidence_hash", "evidence_cert_no", "contact_name",
                "contact_phone", "contact_email", "internal_review_done",
                "internal_review_note"} <= restricted
        # What the publicity shows (Art. 20) stays public.
        assert not {"title", "notes", "owner_org", "share_type", "open_type"} & restricted
    assert {"storage_location", "storage_mode"} <= access.restricted_dataset_fields(
        "data-resource")
    assert access.restricted_organization_fields() == {
        "contact_name", "contact_phone", "contact_email"}


def test_vocabulary_fields_offer_their_vocabulary_in_both_languages():
    for dataset_type in ("data-resource", "data-product"):
        for field in _fields(dataset_type).values():
            if "vocabulary" not in field:
                continue
            choices = tk.h.tjregistry_vocabulary_choices(field)
            assert choices, field["field_name"]
            for choice in choices:
                assert choice["label"]["zh_Hans_CN"] and choice["label"]["en"]


def test_districts_are_tianjins_sixteen_by_gbt_2260_code():
    districts = {term.value: term.zh for term in vocabularies.district_terms()}
    assert districts == TIANJIN_DISTRICTS
    assert vocabularies.label("district", "120000") == "天津市(市级)"
    assert vocabularies.label("district", "120116", "en") == "Binhai New Area"


def test_sharing_and_opening_vocabularies_follow_the_catalogue_guide():
    assert [t.zh for t in vocabularies.SHARE_TYPE] == ["无条件共享", "有条件共享", "不予共享"]
    assert [t.zh for t in vocabularies.OPEN_TYPE] == ["无条件开放", "有条件开放", "不予开放"]
    assert len(vocabularies.INDUSTRY) == 20  # GB/T 4754-2017 sections A-T


# ------------------------------------------------------------- round trips ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_data_resource_round_trips_every_field():
    user = factories.User()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    context = {"user": user["name"], "ignore_auth": False}
    sent = samples.data_resource(org["id"])

    created = helpers.call_action("package_create", context=dict(context), **sent)
    shown = helpers.call_action("package_show", context=dict(context), id=created["id"])
    _assert_round_trip(shown, sent)
    assert set(_fields("data-resource")) - {"tag_string"} <= set(shown), \
        "every schema field is returned"

    changed = samples.data_resource(
        org["id"], id=created["id"], update_frequency="daily", spatial=["120000"],
        data_scale_records=0, in_authorized_operation=False, access_method="apply",
        open_type="not_open", regist_object_type="public_data_resource",
        open_platform_url="", operator_name="")
    for name in ("evidence_provider", "evidence_time", "evidence_hash", "evidence_cert_no",
                 "open_condition"):
        changed.pop(name)
    helpers.call_action("package_update", context=dict(context), **changed)
    shown = helpers.call_action("package_show", context=dict(context), id=created["id"])
    assert shown["update_frequency"] == "daily"
    assert shown["spatial"] == ["120000"]
    assert shown["data_scale_records"] == 0
    assert shown["in_authorized_operation"] is False
    for cleared in ("open_platform_url", "operator_name", "evidence_hash", "open_condition"):
        assert cleared not in shown, cleared


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_data_product_round_trips_every_field():
    user = factories.User()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    context = {"user": user["name"], "ignore_auth": False}
    sent = samples.data_product(org["id"])

    created = helpers.call_action("package_create", context=dict(context), **sent)
    shown = helpers.call_action("package_show", context=dict(context), id=created["id"])
    _assert_round_trip(shown, sent)
    assert set(_fields("data-product")) - {"tag_string"} <= set(shown) | {"pi_treatment"}

    helpers.call_action("package_patch", context=dict(context), id=created["id"],
                        delivery_mode="file", source_regist_codes="TJ-R-1\nTJ-R-2, TJ-R-3")
    shown = helpers.call_action("package_show", context=dict(context), id=created["id"])
    assert shown["delivery_mode"] == ["file"]
    assert shown["source_regist_codes"] == ["TJ-R-1", "TJ-R-2", "TJ-R-3"]
    # The patch kept the restricted values the editor did not send.
    assert shown["evidence_hash"] == "b" * 64


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_product_operator_defaults_to_the_registrant():
    org = factories.Organization(title="天津数据运营有限公司")
    dataset = helpers.call_action(
        "package_create", context={"user": factories.Sysadmin()["name"]},
        **samples.data_product(org["id"], operator_name=""))
    assert dataset["operator_name"] == "天津数据运营有限公司"


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_draft_may_leave_registration_fields_empty_until_submission():
    org = factories.Organization()
    context = {"user": factories.Sysadmin()["name"]}
    draft = helpers.call_action("package_create", context=dict(context),
                                type="data-resource", name="draft-resource",
                                title="天津市出租车运营数据", notes="出租车运营记录。",
                                owner_org=org["id"])
    # The object category follows from the (missing) opening attribute.
    assert draft["regist_object_type"] == "public_data_resource"
    product = helpers.call_action("package_create", context=dict(context),
                                  type="data-product", name="draft-product",
                                  title="出行指数", notes="产品说明。", owner_org=org["id"])
    assert product["regist_object_type"] == "data_product"
    missing = metadata.completeness_errors(draft)
    assert {"data_kind", "industry_code", "update_frequency", "share_type", "open_type",
            "security_level", "storage_mode", "in_authorized_operation"} <= set(missing)
    assert all(messages for messages in missing.values())

    complete = helpers.call_action("package_show", context=dict(context), id=helpers.call_action(
        "package_create", context=dict(context), **samples.data_resource(org["id"]))["id"])
    assert metadata.completeness_errors(complete) == {}


# ----------------------------------------------------------- organizations ---
@pytest.mark.usefixtures("clean_db")
def test_registrant_organization_round_trips_every_field():
    sysadmin = factories.Sysadmin()
    sent = samples.registrant_org()
    created = helpers.call_action("organization_create",
                                  context={"user": sysadmin["name"]}, **sent)
    shown = helpers.call_action("organization_show", context={"user": sysadmin["name"]},
                                id=created["id"])
    for key, value in sent.items():
        assert shown[key] == value, key
    assert metadata.completeness_errors(shown) == {}


@pytest.mark.usefixtures("clean_db")
def test_registrant_admin_edits_own_details_but_not_platform_managed_fields():
    sysadmin = factories.Sysadmin()
    admin = factories.User()
    org = helpers.call_action(
        "organization_create", context={"user": sysadmin["name"]},
        users=[{"name": admin["name"], "capacity": "admin"}],
        **samples.registrant_org(verified=False, admin_level="district", district_code="120101"))
    context = {"user": admin["name"], "ignore_auth": False}

    # Partial update without the managed fields keeps them.
    helpers.call_action("organization_patch", context=dict(context), id=org["id"],
                        uscc=samples.USCC_VALID[1], contact_phone="022-88889999")
    shown = helpers.call_action("organization_show", context=dict(context), id=org["id"])
    assert shown["uscc"] == samples.USCC_VALID[1]
    assert shown["contact_phone"] == "022-88889999"
    assert (shown["org_kind"], shown["district_code"], shown["verified"]) == (
        "registrant", "120101", False)

    for field, value in (("verified", True), ("org_kind", "institution"),
                         ("district_code", "120116"), ("admin_level", "city")):
        with pytest.raises(tk.ValidationError) as raised:
            helpers.call_action("organization_patch", context=dict(context), id=org["id"],
                                **{field: value})
        assert field in raised.value.error_dict, field
    assert helpers.call_action("organization_show", id=org["id"])["verified"] is False

    # The platform may verify the registrant.
    helpers.call_action("organization_patch", context={"user": sysadmin["name"]},
                        id=org["id"], verified=True)
    assert helpers.call_action("organization_show", id=org["id"])["verified"] is True


@pytest.mark.usefixtures("clean_db")
def test_organizations_default_to_unverified_registrants():
    org = factories.Organization()
    shown = helpers.call_action("organization_show", id=org["id"])
    assert shown["org_kind"] == "registrant"
    assert shown["verified"] is False
    assert set(metadata.completeness_errors(shown)) == {
        "uscc", "registrant_type", "pledge_on_file"}


@pytest.mark.usefixtures("clean_db")
def test_institution_round_trips_with_its_jurisdiction():
    sysadmin = factories.Sysadmin()
    sent = samples.institution_org(name="hp-registry", title="和平区公共数据资源登记机构",
                                   admin_level="district", district_code="120101",
                                   qualification_status="suspended")
    org = helpers.call_action("organization_create", context={"user": sysadmin["name"]}, **sent)
    shown = helpers.call_action("organization_show", id=org["id"])
    for key, value in sent.items():
        assert shown[key] == value, key


# -------------------------------------------------------------------- demo ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_demo_organizations_and_registrations_are_complete():
    context = {"user": factories.Sysadmin()["name"]}
    for name, title, district in demo.REGISTRANTS:
        org = helpers.call_action("organization_create", context=dict(context), name=name,
                                  title=title, **demo._registrant_fields(name, district))
        assert metadata.completeness_errors(org) == {}, name
    authority = helpers.call_action(
        "organization_create", context=dict(context), name=demo.AUTHORITY[0],
        title=demo.AUTHORITY[1], **demo._institution_fields("city", "120000", "authority"))
    assert authority["org_kind"] == "authority"

    for org, titles in demo.RESOURCES.items():
        district = {r[0]: r[2] for r in demo.REGISTRANTS}[org]
        for index in (1, 2, 3):
            dataset = helpers.call_action(
                "package_create", context=dict(context), type="data-resource",
                name=f"{org}-{index}", title=titles[index - 1], notes="说明", owner_org=org,
                **demo._resource_fields(org, district, index, titles[index - 1]))
            assert metadata.completeness_errors(dataset) == {}, dataset["name"]
    for index, title in enumerate(demo.PRODUCTS["tj-data-ops"], start=1):
        dataset = helpers.call_action(
            "package_create", context=dict(context), type="data-product",
            name=f"product-{index}", title=title, notes="说明", owner_org="tj-data-ops",
            **demo._product_fields(index, title))
        assert metadata.completeness_errors(dataset) == {}, title
