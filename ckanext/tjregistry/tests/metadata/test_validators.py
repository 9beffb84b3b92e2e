"""Validators of the registration schemas: good and bad values, through the action API.

Bad input must come back as a ValidationError that names the offending field.
"""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tjregistry.metadata import validators as v
from ckanext.tjregistry.tests import samples


# ------------------------------------------------------------ pure checks ---
@pytest.mark.parametrize("code", samples.USCC_VALID)
def test_uscc_accepts_codes_with_a_correct_check_character(code: str):
    assert v.tjregistry_uscc(code) == code
    assert v.tjregistry_uscc(code.lower()) == code  # normalised to capitals
    assert v.tjregistry_uscc(" " + code[:9] + " " + code[9:]) == code


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",   # wrong check character
    "91350100M000100Y4",    # 17 characters
    "91350100M000100Y433",  # 19 characters
    "91350100M00010OY43",   # the letter O is not used
    "9135010AM000100Y43",   # the division code must be digits
    "统一社会信用代码错误了了了了了了了了",
])
def test_uscc_rejects_malformed_codes_and_wrong_check_characters(code: str):
    with pytest.raises(tk.Invalid):
        v.tjregistry_uscc(code)


def test_uscc_check_character_matches_gb_32100():
    # The check character of every valid sample is the one the standard computes.
    for code in samples.USCC_VALID:
        assert v.uscc_check_character(code[:17]) == code[17]
    # A check value of 0 maps to "0" (31 - 0 mod 31 wraps around).
    assert v.uscc_check_character("00000000000000000") == "0"


@pytest.mark.parametrize("value,expected", [
    ("13802212345", "13802212345"), ("+8613802212345", "+8613802212345"),
    ("022-23456789", "022-23456789"), ("02223456789", "02223456789"),
    ("022-2345678-801", "022-2345678-801"), ("(022) 2345 6789", "02223456789"),
])
def test_phone_accepts_mobile_and_landline_numbers(value: str, expected: str):
    assert v.tjregistry_phone(value) == expected


@pytest.mark.parametrize("value", ["12345", "2345678", "10802212345", "022-12", "phone"])
def test_phone_rejects_other_text(value: str):
    with pytest.raises(tk.Invalid):
        v.tjregistry_phone(value)


@pytest.mark.parametrize("value,ok", [
    ("wangfang@jtw.tj.gov.cn", True), ("a.b+c@example.com", True),
    ("wangfang", False), ("wang@fang", False), ("wang fang@tj.gov.cn", False),
])
def test_email(value: str, ok: bool):
    if ok:
        assert v.tjregistry_email(value) == value
    else:
        with pytest.raises(tk.Invalid):
            v.tjregistry_email(value)


@pytest.mark.parametrize("value,expected", [
    (0, "0"), ("0", "0"), (1250000, "1250000"), ("1,250,000", "1250000"), (12.0, "12"),
])
def test_counts_accept_whole_non_negative_numbers(value: Any, expected: str):
    assert v.tjregistry_non_negative_integer(value) == expected


@pytest.mark.parametrize("value", [-1, "-5", 1.5, "12.5", "many", True])
def test_counts_reject_negative_fractional_and_non_numbers(value: Any):
    with pytest.raises(tk.Invalid):
        v.tjregistry_non_negative_integer(value)


@pytest.mark.parametrize("value,expected", [
    ("2025-03-01", "2025-03-01"), ("2025-03-01T10:00:00", "2025-03-01"),
    ("2025-03-01 10:00", "2025-03-01"),
])
def test_dates(value: str, expected: str):
    assert v.tjregistry_date(value) == expected


@pytest.mark.parametrize("value", ["2025-13-01", "2025-02-30", "01/03/2025", "明天"])
def test_dates_reject_impossible_or_foreign_formats(value: str):
    with pytest.raises(tk.Invalid):
        v.tjregistry_date(value)


@pytest.mark.parametrize("value,expected", [
    ("2025-02-20T10:30", "2025-02-20T10:30:00"),
    ("2025-02-20 10:30:15", "2025-02-20T10:30:15"),
    ("2025-02-20T02:30:00Z", "2025-02-20T10:30:00"),  # UTC shown in Beijing time
])
def test_datetimes(value: str, expected: str):
    assert v.tjregistry_datetime(value) == expected


@pytest.mark.parametrize("value", ["2025-02-20T25:00", "yesterday", "20/02/2025 10:30"])
def test_datetimes_reject_bad_values(value: str):
    with pytest.raises(tk.Invalid):
        v.tjregistry_datetime(value)


@pytest.mark.parametrize("value,ok", [
    ("https://data.tj.gov.cn/dataset/1", True), ("http://data.tj.gov.cn", True),
    ("ftp://data.tj.gov.cn", False), ("data.tj.gov.cn", False), ("https://", False),
])
def test_urls(value: str, ok: bool):
    if ok:
        assert v.tjregistry_url(value) == value
    else:
        with pytest.raises(tk.Invalid):
            v.tjregistry_url(value)


@pytest.mark.parametrize("value,expected", [
    ("A" * 64, "a" * 64), ("SM3:" + "0" * 64, "sm3:" + "0" * 64),
    ("sha512:" + "f" * 128, "sha512:" + "f" * 128),
])
def test_evidence_hash_accepts_hex_digests(value: str, expected: str):
    assert v.tjregistry_evidence_hash(value) == expected


@pytest.mark.parametrize("value", ["a" * 63, "g" * 64, "md5:" + "a" * 64, "a" * 100])
def test_evidence_hash_rejects_other_text(value: str):
    with pytest.raises(tk.Invalid):
        v.tjregistry_evidence_hash(value)


@pytest.mark.parametrize("value,ok", [
    ("120000-JT-0001/00012", True), ("CZ.2025_1", True),
    ("has space", False), ("-leading-dash", False), ("x" * 65, False), ("编码", False),
])
def test_codes(value: str, ok: bool):
    if ok:
        assert v.tjregistry_code(value) == value
    else:
        with pytest.raises(tk.Invalid):
            v.tjregistry_code(value)


# ------------------------------------------------------- through the API ---
@pytest.fixture
def registrant() -> dict[str, Any]:
    user = factories.User()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    return {"user": user, "org": org}


def _create(registrant: dict[str, Any], builder=samples.data_resource, **changes: Any):
    data = builder(registrant["org"]["id"], **changes)
    for key in [k for k, value in changes.items() if value is None]:
        data.pop(key)
    return helpers.call_action("package_create", context={"user": registrant["user"]["name"]},
                               **data)


def _errors(registrant: dict[str, Any], builder=samples.data_resource, **changes: Any):
    with pytest.raises(tk.ValidationError) as raised:
        _create(registrant, builder, **changes)
    return raised.value.error_dict


BAD_FIELD_VALUES = [
    ("data_scale_records", -10),
    ("data_scale_bytes", "lots"),
    ("data_scale_fields", 2.5),
    ("temporal_start", "2025-02-30"),
    ("activity_start_date", "soon"),
    ("evidence_time", "not a time"),
    ("evidence_hash", "abc"),
    ("evidence_cert_no", "CZ 2025"),
    ("gov_catalog_code", "目录编码"),
    ("open_platform_url", "data.tj.gov.cn"),
    ("contact_phone", "12345"),
    ("contact_email", "nobody"),
    ("share_type", "sometimes"),
    ("update_frequency", "fortnightly"),
    ("industry_code", "Z"),
    ("spatial", ["130000"]),
    ("pi_treatment", ["sold"]),
    ("has_personal_info", "maybe"),
    ("regist_object_type", "data_product"),  # not a category of a data resource
    ("data_source", "数" * 501),
]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_bad_resource_values_are_validation_errors_naming_each_field(
    registrant: dict[str, Any]
):
    # Field validators are independent, so one request reports every bad field.
    errors = _errors(registrant, **dict(BAD_FIELD_VALUES))
    for field, _value in BAD_FIELD_VALUES:
        assert field in errors, field
        assert all(isinstance(message, str) and message for message in errors[field])


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.parametrize("field,value", BAD_FIELD_VALUES[:4])
def test_one_bad_value_is_enough(registrant: dict[str, Any], field: str, value: Any):
    assert set(_errors(registrant, **{field: value})) == {field}


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_bad_product_values_are_validation_errors_naming_each_field(
    registrant: dict[str, Any]
):
    bad = {"product_form": "toy", "delivery_mode": ["telepathy"],
           "source_regist_codes": ["TJ R 1"], "authorization_start": "2025-00-01",
           "first_delivery_date": "later", "regist_object_type": "open_data_resource"}
    errors = _errors(registrant, samples.data_product, **bad)
    assert set(bad) <= set(errors)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_bad_data_dictionary_item_names_the_item_field(registrant: dict[str, Any]):
    resources = [{"url": "https://data.tj.gov.cn/x", "name": "接口", "data_dictionary": [
        {"name": "route_id", "type": "varchar"}, {"type": "string"}]}]
    errors = _errors(registrant, resources=resources)
    items = errors["resources"][0]["data_dictionary"]
    assert "type" in items[0]
    assert "name" in items[1]


# ------------------------------------------------------- conditional rules ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_authorised_operation_requires_the_evidence_fields(registrant: dict[str, Any]):
    errors = _errors(registrant, evidence_provider=None, evidence_time=None,
                     evidence_hash=None, evidence_cert_no=None)
    assert {"evidence_provider", "evidence_time", "evidence_hash"} <= set(errors)
    # Without authorised operation no evidence is needed (and the certificate
    # number is optional even with it: in-house evidence has none).
    _create(registrant, in_authorized_operation=False, access_method="apply",
            evidence_provider=None, evidence_time=None, evidence_hash=None,
            evidence_cert_no=None)
    _create(registrant, name="with-in-house-evidence", evidence_cert_no=None)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_product_of_authorised_operation_requires_period_body_and_evidence(
    registrant: dict[str, Any]
):
    errors = _errors(registrant, samples.data_product, authorization_start=None,
                     authorization_end=None, implementing_body=None, evidence_hash=None)
    assert {"authorization_start", "authorization_end", "implementing_body",
            "evidence_hash"} <= set(errors)
    _create(registrant, samples.data_product, in_authorized_operation=False,
            authorization_start=None, authorization_end=None, implementing_body=None,
            evidence_provider=None, evidence_time=None, evidence_hash=None)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_open_resource_requires_its_open_platform_url(registrant: dict[str, Any]):
    errors = _errors(registrant, open_platform_url=None)
    assert "open_platform_url" in errors
    errors = _errors(registrant, open_type="unconditional", open_condition=None,
                     access_method="sharing_platform", open_platform_url=None)
    assert "open_platform_url" in errors
    _create(registrant, open_type="not_open", open_condition=None,
            regist_object_type="public_data_resource", access_method="sharing_platform",
            open_platform_url=None)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_opening_and_access_route_must_agree(registrant: dict[str, Any]):
    errors = _errors(registrant, open_type="not_open", open_condition=None)
    assert "access_method" in errors  # "from the open platform" but not open
    assert "open_type" in errors  # an open data resource that is not open
    errors = _errors(registrant, access_method="authorized_operation",
                     in_authorized_operation=False, operator_name=None)
    assert {"in_authorized_operation", "operator_name"} <= set(errors)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_conditional_sharing_and_opening_need_their_conditions(registrant: dict[str, Any]):
    errors = _errors(registrant, share_condition=None, open_condition=None)
    assert {"share_condition", "open_condition"} <= set(errors)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_personal_information_needs_its_handling(registrant: dict[str, Any]):
    assert "pi_treatment" in _errors(registrant, pi_treatment=None)
    assert "pi_treatment" in _errors(registrant, samples.data_product, has_personal_info=True)
    _create(registrant, has_personal_info=False, pi_treatment=None)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_end_dates_follow_start_dates(registrant: dict[str, Any]):
    assert "temporal_end" in _errors(registrant, temporal_start="2025-01-02",
                                     temporal_end="2025-01-01")
    _create(registrant, name="one-day", temporal_start="2025-01-01", temporal_end="2025-01-01")
    assert "authorization_end" in _errors(registrant, samples.data_product,
                                          authorization_end="2025-01-01")
    assert "authorization_end" in _errors(registrant, samples.data_product,
                                          authorization_end="2024-06-30")
    assert "first_delivery_date" in _errors(registrant, samples.data_product,
                                            first_delivery_date="2024-12-31")


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_failed_create_writes_nothing(registrant: dict[str, Any]):
    _errors(registrant, evidence_hash="abc")
    result = helpers.call_action("package_search", q="*:*", include_private=True)
    assert result["count"] == 0
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", id="tj-bus-routes-realtime")


# ------------------------------------------------------------ organizations ---
BAD_ORGANIZATIONS = [
    ({"uscc": "91350100M000100Y44"}, "uscc"),
    ({"contact_phone": "110"}, "contact_phone"),
    ({"contact_email": "li@"}, "contact_email"),
    ({"registrant_type": "club"}, "registrant_type"),
    ({"district_code": "110101"}, "district_code"),
    ({"admin_level": "city", "district_code": "120101"}, "district_code"),
    ({"admin_level": "district", "district_code": "120000"}, "district_code"),
    ({"org_kind": "institution", "admin_level": None}, "admin_level"),
    ({"pledge_date": "2025-02-31"}, "pledge_date"),
    ({"verified": "perhaps"}, "verified"),
]


@pytest.mark.usefixtures("clean_db")
def test_bad_organization_values_name_the_field():
    sysadmin = factories.Sysadmin()
    for changes, field in BAD_ORGANIZATIONS:
        data = samples.registrant_org(**changes)
        for key in [k for k, value in changes.items() if value is None]:
            data.pop(key)
        with pytest.raises(tk.ValidationError) as raised:
            helpers.call_action("organization_create", context={"user": sysadmin["name"]},
                                **data)
        assert field in raised.value.error_dict, (changes, raised.value.error_dict)


@pytest.mark.usefixtures("clean_db")
def test_only_the_platform_creates_institutions_or_verified_registrants():
    user = factories.User()
    with helpers.changed_config("ckan.auth.user_create_organizations", True):
        for field, value in (("org_kind", "institution"), ("verified", True)):
            with pytest.raises(tk.ValidationError) as raised:
                helpers.call_action("organization_create", context={"user": user["name"]},
                                    name=f"self-made-{field.replace('_', '-')}",
                                    title="自建机构", **{field: value})
            assert field in raised.value.error_dict
        created = helpers.call_action("organization_create", context={"user": user["name"]},
                                      name="plain-registrant", title="普通登记主体")
    assert (created["org_kind"], created["verified"]) == ("registrant", False)
