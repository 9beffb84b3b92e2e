"""certificate_show, certificate_verify, certificate_renew and certificate_key_list."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json

import pypdf
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import codes, issuance, pdf, signing
from ckanext.tjregistry.certificates.content import build_content
from ckanext.tjregistry.tests.certificates.conftest import certificate_pdf, issue, swap_attachment

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
ANONYMOUS = {"user": "", "ignore_auth": False}


def _verify(**data_dict):
    return helpers.call_action("certificate_verify", dict(ANONYMOUS), **data_dict)


def test_show_by_code_package_and_version(resource_dataset, institution, today):
    first = issue(resource_dataset, institution)
    issue(resource_dataset, institution, registration_type="correction")
    shown = helpers.call_action("certificate_show", dict(ANONYMOUS), code=first["code"].lower())
    assert shown["code"] == first["code"] and shown["version"] == 2
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert [v["status"] for v in shown["versions"]] == ["superseded", "valid"]
    assert "status_reason" not in shown
    by_package = helpers.call_action(
        "certificate_show", dict(ANONYMOUS), package_id=resource_dataset["id"]
    )
    assert by_package["id"] == shown["id"]
    old = helpers.call_action("certificate_show", dict(ANONYMOUS), code=first["code"], version=1)
    assert old["status"] == "superseded" and old["content"]["registration_type"] == "initial"
    assert (
        shown["pdf_url"]
        == f"http://test.ckan.net/registration/certificate/{first['code']}.pdf?version=2"
    )


def test_show_errors(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    typo = (
        certificate["code"][:-3]
        + ("A" if certificate["code"][-3] != "A" else "B")
        + "-"
        + (certificate["code"][-1])
    )
    with pytest.raises(tk.ValidationError) as caught:
        helpers.call_action("certificate_show", dict(ANONYMOUS), code=typo)
    assert "校验位" in caught.value.error_dict["code"][0]
    unknown = str(codes.make_code("120101", 2020, "R", 99))
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("certificate_show", dict(ANONYMOUS), code=unknown)
    with pytest.raises(tk.ValidationError):
        helpers.call_action(
            "certificate_show", dict(ANONYMOUS), code=certificate["code"], version="x"
        )
    with pytest.raises(tk.ValidationError):
        helpers.call_action("certificate_show", dict(ANONYMOUS))


def test_staff_see_status_reasons(resource_dataset, institution, institution_staff):
    certificate = issue(resource_dataset, institution)
    issuance.revoke_certificate(resource_dataset["id"], reason="伪造电子凭证")
    model.Session.commit()
    staff_view = helpers.call_action(
        "certificate_show", {"user": institution_staff["name"]}, code=certificate["code"]
    )
    assert staff_view["status"] == "revoked" and staff_view["status_reason"] == "伪造电子凭证"
    public_view = helpers.call_action("certificate_show", dict(ANONYMOUS), code=certificate["code"])
    assert public_view["status"] == "revoked" and "status_reason" not in public_view


def test_verify_by_code_reports_each_status(
    sysadmin, registrant, institution, resource_dataset, today
):
    from ckanext.tjregistry.tests.certificates.conftest import make_dataset

    valid = issue(resource_dataset, institution)
    assert _verify(code=valid["code"])["result"] == "valid"
    revoked_ds = make_dataset(sysadmin, registrant, name="revoked-ds", title="已撤销数据")
    revoked = issue(revoked_ds, institution)
    issuance.revoke_certificate(revoked_ds["id"], reason="虚假材料")
    cancelled_ds = make_dataset(sysadmin, registrant, name="cancelled-ds", title="已注销数据")
    cancelled = issue(cancelled_ds, institution)
    issuance.cancel_certificate(cancelled_ds["id"], reason="停止共享")
    model.Session.commit()
    expired_ds = make_dataset(sysadmin, registrant, name="expired-ds", title="已过期数据")
    expired = issue(expired_ds, institution, today=today.replace(year=today.year - 4))
    assert _verify(code=revoked["code"])["result"] == "revoked"
    assert _verify(code=cancelled["code"])["result"] == "cancelled"
    result = _verify(code=expired["code"])
    assert result["result"] == "expired" and result["genuine"]
    assert result["certificate"]["content"]["data_name"] == "已过期数据"
    unknown = _verify(code=str(codes.make_code("120101", 2020, "R", 7)))
    assert unknown["result"] == "not_found" and unknown["certificate"] is None


def test_verify_by_code_rejects_typos(resource_dataset, institution):
    code = issue(resource_dataset, institution)["code"]
    compact = codes.normalize(code)
    i = next(i for i in range(18, 23) if compact[i] != compact[i + 1])
    swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
    assert swapped != compact
    with pytest.raises(tk.ValidationError) as caught:
        _verify(code=swapped)
    assert "code" in caught.value.error_dict
    with pytest.raises(tk.ValidationError):
        _verify()


def test_verify_detects_a_tampered_register_row(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    row = issuance.current_for_code(certificate["code"])
    envelope = copy.deepcopy(row.envelope)
    envelope["content"]["valid_until"] = "2099-12-31"
    row.envelope = envelope
    model.Session.commit()
    result = _verify(code=certificate["code"])
    assert result["result"] == "tampered" and not result["genuine"]
    assert [r["reason"] for r in result["reasons"]] == ["register_mismatch"]
    assert result["certificate"] is None and result["signed_facts"] is None


def test_verify_genuine_pdf(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    result = _verify(upload=certificate_pdf(certificate["code"]))
    assert result["result"] == "valid" and result["genuine"] and result["reasons"] == []
    assert result["certificate"]["code"] == certificate["code"]


def _attached(pdf_bytes: bytes) -> dict:
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    return json.loads(reader.attachments[pdf.ATTACHMENT_NAME][0])


def test_verify_pdf_with_altered_content(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    genuine = certificate_pdf(certificate["code"])
    envelope = _attached(genuine)
    envelope["content"]["valid_until"] = "2099-12-31"
    altered = pdf.render(envelope)
    result = _verify(upload=altered)
    assert result["result"] == "not_genuine"
    assert [r["reason"] for r in result["reasons"]] == ["bad_signature"]


def test_verify_pdf_resigned_with_another_key(resource_dataset, institution, tmp_path):
    certificate = issue(resource_dataset, institution)
    envelope = _attached(certificate_pdf(certificate["code"]))
    forger = signing.KeyStore(tmp_path / "forger")
    forger.generate(institution["name"])
    content = {**envelope["content"], "valid_until": "2099-12-31"}
    forged = signing.sign_content(forger, institution["name"], content)
    assert _verify(upload=pdf.render(forged))["reasons"][0]["reason"] == "unknown_key"
    forged["key_id"] = envelope["key_id"]
    assert _verify(upload=pdf.render(forged))["reasons"][0]["reason"] == "bad_signature"


def test_verify_pdf_whose_printed_text_differs(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    genuine = certificate_pdf(certificate["code"])
    envelope = _attached(genuine)
    shown = copy.deepcopy(envelope)
    shown["content"]["data_name"] = "另一个数据名称"
    forged = swap_attachment(
        pdf.render(shown), json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    )
    result = _verify(upload=forged)
    assert result["result"] == "not_original" and result["original"] is False
    assert [r["reason"] for r in result["reasons"]] == ["file_differs"]
    assert result["signed_facts"]["data_name"] == resource_dataset["title"]


def test_verify_pdf_signed_but_not_in_the_register(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    store = signing.default_keystore()
    content = build_content(
        code=str(codes.make_code("120101", 2026, "R", 4321)),
        version=1,
        national_code=None,
        registrant_name="天津市和平区交通运输局",
        registrant_uscc=None,
        object_category="data-resource",
        data_name="登记簿之外的凭证",
        dataset_id=certificate["package_id"],
        registration_type="initial",
        institution_name=institution["name"],
        institution_title=institution["title"],
        issue_date=dt.date(2026, 1, 5),
        valid_from=dt.date(2026, 1, 5),
        valid_until=dt.date(2029, 1, 4),
        operation_start=None,
        operation_end=None,
        verify_base_url="http://test.ckan.net",
    )
    stray = signing.sign_content(store, institution["name"], content)
    result = _verify(upload=pdf.render(stray))
    assert [r["reason"] for r in result["reasons"]] == ["not_in_register"]


def test_verify_pdf_without_signed_data(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    stripped = swap_attachment(certificate_pdf(certificate["code"]), None)
    result = _verify(upload=stripped)
    assert [r["reason"] for r in result["reasons"]] == ["no_signed_data"]


def test_verify_old_version_after_renewal_is_superseded(resource_dataset, institution, today):
    start = today.replace(year=today.year - 3) + dt.timedelta(days=30)
    certificate = issue(resource_dataset, institution, today=start)
    old_pdf = certificate_pdf(certificate["code"])
    issuance.renew_certificate(certificate["code"])
    model.Session.commit()
    result = _verify(upload=old_pdf)
    assert result["result"] == "superseded" and result["genuine"]
    assert result["current"]["version"] == 2
    assert _verify(upload=certificate_pdf(certificate["code"]))["result"] == "valid"


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\ngarbage"])
def test_verify_rejects_files_that_are_not_pdfs(data):
    with pytest.raises(tk.ValidationError) as caught:
        _verify(upload=data or b" ")
    assert "upload" in caught.value.error_dict


@pytest.mark.ckan_config("tjregistry.certificate.max_upload_bytes", "2048")
def test_verify_rejects_large_files(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    with pytest.raises(tk.ValidationError) as caught:
        _verify(upload=certificate_pdf(certificate["code"]))
    assert "2 KB" in caught.value.error_dict["upload"][0]


def _in_renewal_window(resource_dataset, institution, today):
    start = today.replace(year=today.year - 3) + dt.timedelta(days=30)
    return issue(resource_dataset, institution, today=start)


def test_renew_by_institution_staff(resource_dataset, institution, institution_staff, today):
    certificate = _in_renewal_window(resource_dataset, institution, today)
    renewed = helpers.call_action(
        "certificate_renew",
        {"user": institution_staff["name"], "ignore_auth": False},
        code=certificate["code"],
    )
    assert renewed["version"] == 2 and renewed["status"] == "valid"
    assert renewed["valid_until"] > certificate["valid_until"]
    shown = helpers.call_action("package_show", id=resource_dataset["id"])
    assert shown["certificate_valid_until"] == renewed["valid_until"]
    row = issuance.current_for_code(certificate["code"])
    user = model.User.get(institution_staff["name"])
    assert row.created_by == user.id


def test_renew_is_refused_to_others(
    resource_dataset, institution, registrant_admin, institution_staff, today
):
    certificate = _in_renewal_window(resource_dataset, institution, today)
    for context in (dict(ANONYMOUS), {"user": registrant_admin["name"], "ignore_auth": False}):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("certificate_renew", context, code=certificate["code"])
    assert issuance.current_for_code(certificate["code"]).version == 1


def test_renew_outside_the_window(resource_dataset, institution, institution_staff):
    certificate = issue(resource_dataset, institution)
    with pytest.raises(tk.ValidationError) as caught:
        helpers.call_action(
            "certificate_renew", {"user": institution_staff["name"]}, code=certificate["code"]
        )
    assert "renewal is possible from" in caught.value.error_dict["code"][0]
    assert issuance.current_for_code(certificate["code"]).version == 1


def test_key_list_is_public(resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    keys = helpers.call_action("certificate_key_list", dict(ANONYMOUS))
    assert [k["key_id"] for k in keys] == [certificate["signed"]["key_id"]]
    key = keys[0]
    assert key["institution"] == institution["name"] and key["active"]
    assert key["institution_title"] == "和平区数据发展中心"
    assert key["algorithm"] == "SM2-SM3" and key["signer_id"] == "1234567812345678"
    assert signing.load_public_key(key["public_key_pem"])
