"""An uploaded certificate PDF is genuine only if it is byte for byte the issued file.

A real certificate comes out of the workflow; a forger covers its data name and
validity with new text (the signed data still attached, so every value the old check
looked for still occurs in the page's text). certificate_verify and the verification
page answer "not an original" for it and for a merely re-saved copy, "genuine" for the
issued file, and give the register's signed facts to compare with.
"""
from __future__ import annotations

import io
import os
import re
from typing import Any

import pypdf
import pypdfium2
import pytest
import requests
import sqlalchemy as sa
from fpdf import FPDF

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.certificates import files, issuance, pdf, register, signing
from ckanext.tjregistry.certificates.verification import attached_envelope
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, make_user, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
ANONYMOUS = {"user": "", "ignore_auth": False}
FORGED_DATE = "2099年12月31日"
FORGED_NAME = "全市人口基础信息库"


@pytest.fixture
def ckan_server_options(tmp_path) -> dict[str, str]:
    # The server signs and verifies with this test's keys (own_key_dir).
    return {"tjregistry.certificate.key_dir": str(tmp_path / "keys"),
            "tjregistry.ratelimit.verify": "1000/minute"}


def _issued_through_the_workflow(world) -> dict[str, Any]:
    """A data resource registered by submission, acceptance and approval by a second
    reviewer of the institution; approval issues the certificate."""
    dataset = make_dataset(world.hp_reg, title="和平区学校名录")
    application = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    approver = world.users.get("hp_reviewer_2") or make_user("hp_reviewer_b", world.hp_inst)
    call_as(approver, "registration_approve", id=application["id"])
    certificate = issuance.current_for_package(dataset["id"])
    assert certificate is not None and certificate.status == "valid"
    return {"code": certificate.code, "title": dataset["title"],
            "valid_until": certificate.valid_until}


def _zh(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _overlay(page_width: float, page_height: float) -> pypdf.PageObject:
    """A transparent page that whites out the data name and validity rows and prints
    other values in their place."""
    sheet = FPDF(unit="pt", format=(page_width, page_height))
    pdf.add_fonts(sheet)
    sheet.add_page()
    mm = 72 / 25.4
    sheet.set_fill_color(255, 255, 255)
    sheet.rect(69 * mm, 105 * mm, 115 * mm, 75 * mm, style="F")
    sheet.set_text_color(30, 30, 30)
    sheet.set_font("serif", size=12)
    sheet.set_xy(70 * mm, 107 * mm)
    sheet.cell(0, 8 * mm, FORGED_NAME)
    sheet.set_xy(70 * mm, 148 * mm)
    sheet.cell(0, 8 * mm, FORGED_DATE)
    return pypdf.PdfReader(io.BytesIO(bytes(sheet.output()))).pages[0]


def forge(genuine: bytes) -> bytes:
    """The genuine PDF with new text drawn over its data name and validity; pages,
    fonts and the signed-data attachment are kept."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(genuine)))
    page = writer.pages[0]
    page.merge_page(_overlay(float(page.mediabox.width), float(page.mediabox.height)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def resave(genuine: bytes) -> bytes:
    """The same document written again by another PDF library: looks identical."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(genuine)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _verify(**data_dict: Any) -> dict[str, Any]:
    return helpers.call_action("certificate_verify", dict(ANONYMOUS), **data_dict)


def _assert_not_original(result: dict[str, Any], issued: dict[str, Any]) -> None:
    assert result["result"] == "not_original"
    assert result["genuine"] is False and result["original"] is False
    assert [r["reason"] for r in result["reasons"]] == ["file_differs"]
    assert "非原件" in result["result_label"]
    facts = result["signed_facts"]
    assert facts["code"] == issued["code"] and facts["data_name"] == issued["title"]
    assert facts["registrant"] == "和平区教育局"
    assert facts["valid_until"] == issued["valid_until"].isoformat()
    assert facts["status"] == "valid" and result["status"] == "valid"


def test_a_forged_overlay_and_a_resaved_copy_are_not_originals(app, world):
    issued = _issued_through_the_workflow(world)
    response = app.get(f"/registration/certificate/{issued['code']}.pdf")
    assert response.status_code == 200
    genuine = response.get_data()
    row = issuance.current_for_code(issued["code"])
    assert row.file_sha256 == files.sha256(genuine)
    assert register.check(signing.default_keystore(), row) == []

    forged = forge(genuine)
    # What the forger achieved: the page reads the new values, the signed data is still
    # attached and verifies, and every signed value still occurs in the text.
    text = _page_text(forged)
    assert FORGED_DATE in text and FORGED_NAME in text
    assert attached_envelope(forged) == row.envelope
    assert issued["title"] in text and _zh(issued["valid_until"]) in text

    _assert_not_original(_verify(upload=forged), issued)
    copy = resave(genuine)
    assert copy != genuine and attached_envelope(copy) == row.envelope
    _assert_not_original(_verify(upload=copy), issued)

    result = _verify(upload=genuine)
    assert result["result"] == "valid" and result["genuine"] and result["original"] is True
    assert result["reasons"] == [] and result["signed_facts"]["code"] == issued["code"]
    # Downloading again hands out the same file.
    assert app.get(f"/registration/certificate/{issued['code']}.pdf").get_data() == genuine
    # Verification by code is unchanged.
    by_code = _verify(code=issued["code"])
    assert by_code["result"] == "valid" and by_code["genuine"] and by_code["original"] is None


def _page_result(body: str) -> str | None:
    match = re.search(r'data-result="([a-z_]+)"', body)
    return match.group(1) if match else None


def post_to_verify_page(server, data: bytes) -> str:
    browser = requests.Session()
    page = browser.get(server.url("/registration/verify"), timeout=60)
    token = re.search(r'name="(_?csrf_token)" value="([^"]+)"', page.text)
    assert token, "the form carries a CSRF token"
    response = browser.post(
        server.url("/registration/verify"),
        data={token.group(1): token.group(2)},
        files={"certificate_pdf": ("凭证.pdf", data, "application/pdf")},
        timeout=120,
    )
    assert response.status_code == 200, response.text[:500]
    return response.text


def api_verify_upload(server, data: bytes) -> dict[str, Any]:
    response = requests.post(server.url("/api/3/action/certificate_verify"),
                             files={"upload": ("c.pdf", data, "application/pdf")}, timeout=120)
    assert response.status_code == 200, response.text[:500]
    return response.json()["result"]


def test_over_http_a_forged_certificate_is_not_an_original(world, ckan_server):
    issued = _issued_through_the_workflow(world)
    model.Session.commit()
    response = requests.get(ckan_server.url(f"/registration/certificate/{issued['code']}.pdf"),
                            timeout=120)
    assert response.status_code == 200
    genuine = response.content
    model.Session.remove()
    assert issuance.current_for_code(issued["code"]).file_sha256 == files.sha256(genuine)
    forged = forge(genuine)

    _assert_not_original(api_verify_upload(ckan_server, forged), issued)
    _assert_not_original(api_verify_upload(ckan_server, resave(genuine)), issued)
    result = api_verify_upload(ckan_server, genuine)
    assert result["result"] == "valid" and result["original"] is True

    body = post_to_verify_page(ckan_server, forged)
    assert _page_result(body) == "not_original"
    assert 'id="verification-not-original"' in body and 'id="verification-compare"' in body
    # The signed facts to compare with: the real data name and validity, not the forged ones.
    assert issued["code"] in body and issued["title"] in body and "和平区教育局" in body
    assert FORGED_NAME not in body and "2099" not in body
    until = re.search(r'id="verification-valid-until">([^<]*)<', body).group(1)
    assert str(issued["valid_until"].year) in until
    assert 'id="verification-register-status"' in body

    assert _page_result(post_to_verify_page(ckan_server, resave(genuine))) == "not_original"
    body = post_to_verify_page(ckan_server, genuine)
    assert _page_result(body) == "valid" and 'id="verification-original"' in body
    assert "Traceback" not in ckan_server.log_tail(200_000)


def test_certificates_issued_before_digests_were_recorded(app, world):
    """The migration's backfill: a stored file is recorded; without one, no upload of that
    version can be proven original, and the answer says so."""
    issued = _issued_through_the_workflow(world)
    code = issued["code"]
    genuine = app.get(f"/registration/certificate/{code}.pdf").get_data()
    store = signing.default_keystore()

    def as_before_the_migration() -> None:
        model.Session.execute(Certificate.__table__.update()
                              .values(file_sha256=None, register_seal=sa.null()))
        model.Session.commit()
        assert _verify(code=code)["result"] == "tampered"  # unsigned rows are not trusted

    # The file is in storage: its digest is recorded and the file is an original.
    as_before_the_migration()
    sealed, skipped = files.seal_unsealed(model.Session.connection(), store)
    model.Session.commit()
    assert (sealed, skipped) == (1, [])
    assert _verify(upload=genuine)["original"] is True
    assert _verify(upload=forge(genuine))["result"] == "not_original"

    # The file is gone: nothing can be proven; by code the certificate still verifies.
    as_before_the_migration()
    row = issuance.current_for_code(code)
    os.remove(files.file_path(row.id))
    sealed, _ = files.seal_unsealed(model.Session.connection(), store)
    model.Session.commit()
    assert sealed == 1
    model.Session.remove()
    assert _verify(code=code)["result"] == "valid"
    for upload in (genuine, forge(genuine)):
        result = _verify(upload=upload)
        assert result["result"] == "not_provable" and result["original"] is None
        assert [r["reason"] for r in result["reasons"]] == ["file_not_recorded"]
        assert "无法证明为原件" in result["reasons"][0]["message"]
        assert result["signed_facts"]["data_name"] == issued["title"]
    # Handed out again now, the file is recorded; other copies still cannot be proven.
    again = app.get(f"/registration/certificate/{code}.pdf").get_data()
    assert _verify(upload=again)["original"] is True
    assert _verify(upload=forge(again))["result"] == "not_provable"
