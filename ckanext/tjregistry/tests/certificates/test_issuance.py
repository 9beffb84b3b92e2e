"""Issuing, amending, renewing, revoking, cancelling and expiring certificates (real DB/Solr)."""
from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest
from click.testing import CliRunner

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import codes, issuance, signing
from ckanext.tjregistry.model.certificate import Certificate, CertificateSequence
from ckanext.tjregistry.tests.certificates.conftest import certificate_count, make_dataset
from ckanext.tjregistry.tests.workflow_helpers import search_everything

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _issue(dataset, institution, **kwargs):
    result = issuance.issue_certificate(dataset["id"], institution_id=institution["id"], **kwargs)
    model.Session.commit()
    issuance.reindex([dataset["id"]])
    return result


def test_initial_certificate(resource_dataset, institution, registrant, today):
    certificate = _issue(resource_dataset, institution)
    code = codes.parse(certificate["code"])
    assert (code.district, code.year, code.category, code.sequence) == (
        "120101",
        today.year,
        "R",
        1,
    )
    assert certificate["code"] == str(code)
    assert certificate["status"] == "valid"
    assert certificate["version"] == 1
    assert certificate["valid_from"] == today.isoformat()
    assert certificate["valid_until"] == (
        today.replace(year=today.year + 3) - dt.timedelta(days=1)
    ).isoformat()
    content = certificate["content"]
    assert content["registrant"] == {"name": "天津市和平区交通运输局", "uscc": registrant["uscc"]}
    assert content["institution"]["title"] == "和平区数据发展中心"
    assert content["data_name"] == resource_dataset["title"]
    assert content["object_category"] == "data-resource"
    assert content["registration_type"] == "initial"
    assert content["operation_period"] is None
    # The code may end in "*" (a MOD 37-2 check character), which the URL escapes.
    url = urllib.parse.urlsplit(content["verify_url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "test.ckan.net", "/registration/verify")
    assert urllib.parse.parse_qs(url.query) == {"code": [certificate["code"]]}
    assert signing.verify_envelope(signing.default_keystore(), certificate["signed"]).genuine


def test_dataset_shows_and_indexes_certificate_fields(resource_dataset, institution):
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["registration_code"] is None and shown["certificate_status"] is None
    certificate = _issue(resource_dataset, institution)
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["registration_code"] == certificate["code"]
    assert shown["certificate_status"] == "valid"
    assert shown["certificate_valid_until"] == certificate["valid_until"]
    assert shown["national_code"] is None
    found = search_everything(fq=f'registration_code:"{certificate["code"]}"',
                              include_private=True)
    assert [d["id"] for d in found["results"]] == [resource_dataset["id"]]
    found = search_everything(fq="certificate_status:valid")
    assert found["count"] == 1


def test_sequence_counts_per_district_year_and_category(
    sysadmin, registrant, institution, resource_dataset, product_dataset
):
    second_resource = make_dataset(
        sysadmin, registrant, name="heping-stops", title="和平区公交站点"
    )
    first = codes.parse(_issue(resource_dataset, institution)["code"])
    product = codes.parse(_issue(product_dataset, institution)["code"])
    second = codes.parse(_issue(second_resource, institution)["code"])
    assert (first.category, first.sequence) == ("R", 1)
    assert (product.category, product.sequence) == ("P", 1)
    assert (second.category, second.sequence) == ("R", 2)


def test_city_level_institution_codes_use_the_city_district(sysadmin, resource_dataset):
    city = helpers.call_action(
        "organization_create",
        {"user": sysadmin["name"]},
        name="tj-data-center",
        title="天津市数据发展中心",
        org_kind="institution",
        admin_level="city",
        district_code="120000",
    )
    assert codes.parse(_issue(resource_dataset, city)["code"]).district == "120000"


def test_product_validity_follows_a_shorter_operation_period(product_dataset, institution):
    certificate = _issue(product_dataset, institution)
    end = product_dataset["authorization_end"]
    assert certificate["valid_until"] == end
    assert certificate["content"]["operation_period"] == {"start": "2025-07-01", "end": end}
    assert codes.parse(certificate["code"]).category == "P"


def test_duplicate_initial_registration_is_refused(resource_dataset, institution):
    first = _issue(resource_dataset, institution)
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(resource_dataset["id"], institution_id=institution["id"])
    model.Session.rollback()
    assert first["code"] in caught.value.error_dict["package_id"][0]
    assert certificate_count() == 1


def test_change_keeps_the_code_and_states_the_new_facts(resource_dataset, institution):
    first = _issue(resource_dataset, institution)
    changed = _issue(
        resource_dataset,
        institution,
        registration_type="change",
        dataset_changes={"title": "和平区公交线路与站点数据"},
    )
    assert changed["code"] == first["code"]
    assert changed["version"] == 2
    assert changed["valid_until"] == first["valid_until"]
    assert changed["content"]["data_name"] == "和平区公交线路与站点数据"
    assert changed["content"]["registration_type"] == "change"
    old = issuance.version_for_code(first["code"], 1)
    assert old.status == "superseded"
    assert issuance.current_for_code(first["code"]).version == 2


def test_change_without_a_valid_certificate_is_refused(resource_dataset, institution):
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(
            resource_dataset["id"], institution_id=institution["id"], registration_type="change"
        )
    model.Session.rollback()
    assert "package_id" in caught.value.error_dict
    assert certificate_count() == 0


def test_renewal_continues_the_term(resource_dataset, institution):
    first = _issue(resource_dataset, institution)
    valid_until = dt.date.fromisoformat(first["valid_until"])
    with pytest.raises(tk.ValidationError):
        issuance.renew_certificate(first["code"])
    model.Session.rollback()
    renewed = issuance.renew_certificate(first["code"], today=valid_until - dt.timedelta(days=10))
    model.Session.commit()
    assert renewed["code"] == first["code"]
    assert renewed["version"] == 2
    assert renewed["content"]["issue_reason"] == "renewal"
    expected_until = (valid_until + dt.timedelta(days=1)).replace(
        year=valid_until.year + 3
    ) - dt.timedelta(days=1)
    assert renewed["valid_until"] == expected_until.isoformat()
    assert issuance.version_for_code(first["code"], 1).status == "superseded"


def test_revocation_and_cancellation(sysadmin, registrant, resource_dataset, institution):
    first = _issue(resource_dataset, institution)
    revoked = issuance.revoke_certificate(
        resource_dataset["id"], reason="提供虚假登记材料", actor_id=sysadmin["id"]
    )
    model.Session.commit()
    assert revoked["status"] == "revoked"
    assert revoked["status_reason"] == "提供虚假登记材料"
    assert revoked["status_changed_by"] == sysadmin["id"]
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["certificate_status"] == "revoked"
    assert shown["registration_code"] == first["code"]
    assert issuance.revoke_certificate(resource_dataset["id"], reason="again") is None

    other = make_dataset(sysadmin, registrant, name="heping-taxis", title="和平区出租车数据")
    _issue(other, institution)
    cancelled = issuance.cancel_certificate(other["id"], reason="数据资源停止共享")
    model.Session.commit()
    assert cancelled["status"] == "cancelled"
    # A revoked dataset can be registered anew and gets a new code.
    again = _issue(resource_dataset, institution)
    assert again["code"] != first["code"]


def test_expiry_shows_at_once_and_the_sweep_stores_it(resource_dataset, institution, today):
    issued_long_ago = today.replace(year=today.year - 4)
    certificate = _issue(resource_dataset, institution, today=issued_long_ago)
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["certificate_status"] == "expired"
    row = issuance.current_for_code(certificate["code"])
    assert row.status == "valid"

    from ckanext.tjregistry.cli import tjregistry

    result = CliRunner().invoke(tjregistry, ["certificate", "expire"])
    assert result.exit_code == 0, result.output
    assert f"expired {certificate['code']}" in result.output
    model.Session.expire_all()
    assert issuance.current_for_code(certificate["code"]).status == "expired"
    found = search_everything(fq="certificate_status:expired")
    assert found["count"] == 1
    # An expired certificate no longer blocks a new initial registration.
    assert _issue(resource_dataset, institution)["code"] != certificate["code"]


def test_expire_with_a_date_and_nothing_due(resource_dataset, institution):
    certificate = _issue(resource_dataset, institution)
    from ckanext.tjregistry.cli import tjregistry

    result = CliRunner().invoke(tjregistry, ["certificate", "expire"])
    assert result.output.strip().endswith("0 certificate(s) expired")
    day_after = dt.date.fromisoformat(certificate["valid_until"]) + dt.timedelta(days=1)
    result = CliRunner().invoke(tjregistry, ["certificate", "expire", "--date", str(day_after)])
    assert "1 certificate(s) expired" in result.output


def test_failed_issue_leaves_nothing_behind(sysadmin, registrant, institution):
    dataset = make_dataset(sysadmin, registrant, title="表情符号😀数据")
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(dataset["id"], institution_id=institution["id"])
    model.Session.rollback()
    assert "😀" in caught.value.error_dict["package_id"][0]
    assert certificate_count() == 0
    assert model.Session.query(CertificateSequence).count() == 0


@pytest.mark.ckan_config("tjregistry.certificate.auto_generate_keys", "false")
def test_institution_without_a_key_cannot_issue(resource_dataset, institution):
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(resource_dataset["id"], institution_id=institution["id"])
    model.Session.rollback()
    assert "keygen" in caught.value.error_dict["institution_id"][0]
    assert certificate_count() == 0


def test_only_institutions_issue(resource_dataset, registrant):
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(resource_dataset["id"], institution_id=registrant["id"])
    model.Session.rollback()
    assert "institution_id" in caught.value.error_dict


def test_unknown_registration_type(resource_dataset, institution):
    with pytest.raises(tk.ValidationError) as caught:
        issuance.issue_certificate(
            resource_dataset["id"], institution_id=institution["id"], registration_type="renew"
        )
    assert "registration_type" in caught.value.error_dict


def test_national_code_is_kept_beside_the_signed_content(resource_dataset, institution):
    certificate = _issue(resource_dataset, institution)
    updated = issuance.set_national_code(certificate["code"], "1393264726771781632103")
    model.Session.commit()
    assert updated["national_code"] == "1393264726771781632103"
    assert updated["content"]["national_code"] is None
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["national_code"] == "1393264726771781632103"
    with pytest.raises(tk.ValidationError):
        issuance.set_national_code(certificate["code"], "含有空格 的码")
    # A later version carries it in its signed content.
    changed = _issue(resource_dataset, institution, registration_type="correction")
    assert changed["content"]["national_code"] == "1393264726771781632103"


def test_one_valid_certificate_per_dataset_is_enforced_by_the_database(
    resource_dataset, institution
):
    certificate = _issue(resource_dataset, institution)
    row = issuance.current_for_code(certificate["code"])
    clone = Certificate(
        code=certificate["code"].replace("-R-00001-", "-R-00002-"),
        version=1,
        package_id=row.package_id,
        institution_id=row.institution_id,
        object_type=row.object_type,
        registration_type=row.registration_type,
        status="valid",
        issued_at=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        term_end=row.term_end,
        envelope=row.envelope,
        canonical=row.canonical,
    )
    model.Session.add(clone)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        model.Session.flush()
    model.Session.rollback()
