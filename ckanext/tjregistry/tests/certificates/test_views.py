"""The verification page, the certificate PDF route, the key pages and the keygen command."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from click.testing import CliRunner

import ckan.model as model
from ckan.tests import factories

from ckanext.tjregistry.certificates import codes, issuance, signing
from ckanext.tjregistry.tests.certificates.conftest import certificate_pdf, issue

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
VERIFY = "/registration/verify"


@pytest.fixture
def client(app):
    """One browser: keeps the session cookie that the CSRF token is bound to."""
    return app.test_client()


def _csrf_token(client) -> dict[str, str]:
    """The hidden CSRF field of the form, as form data."""
    page = client.get(VERIFY)
    match = re.search(r'name="(_?csrf_token)" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the form carries a CSRF token"
    return {match.group(1): match.group(2)}


def _result(body: str) -> str | None:
    match = re.search(r'data-result="([a-z_]+)"', body)
    return match.group(1) if match else None


def test_form_is_shown(app):
    response = app.get(VERIFY)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in body
    assert 'name="certificate_pdf"' in body and 'name="code"' in body
    assert _result(body) is None


def test_verify_by_code_link(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    body = app.get(VERIFY, query_string={"code": certificate["code"]}).get_data(as_text=True)
    assert _result(body) == "valid"
    assert certificate["code"] in body
    assert resource_dataset["title"] in body
    assert "和平区数据发展中心" in body


def test_the_qr_code_link_verifies(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    url = certificate["content"]["verify_url"].removeprefix("http://test.ckan.net")
    assert _result(app.get(url).get_data(as_text=True)) == "valid"


def test_revoked_status_is_shown(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    issuance.revoke_certificate(resource_dataset["id"], reason="伪造")
    model.Session.commit()
    body = app.get(VERIFY, query_string={"code": certificate["code"]}).get_data(as_text=True)
    assert _result(body) == "revoked"
    assert "伪造" not in body


def test_typo_and_hostile_input_are_answered_escaped(app):
    hostile = '<script>alert("x")</script>'
    response = app.get(VERIFY, query_string={"code": hostile})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
    assert "error-block" in body


def test_post_without_csrf_token_is_refused(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    response = app.post(VERIFY, data={"code": certificate["code"]})
    assert response.status_code == 400
    assert _result(response.get_data(as_text=True)) is None


def test_post_code_with_csrf_token(client, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    token = _csrf_token(client)
    response = client.post(VERIFY, data={"code": certificate["code"], **token})
    assert response.status_code == 200
    assert _result(response.get_data(as_text=True)) == "valid"


def test_upload_pdf(client, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    token = _csrf_token(client)
    response = client.post(
        VERIFY,
        data={
            **token,
            "certificate_pdf": (
                io.BytesIO(certificate_pdf(certificate["code"])),
                "凭证.pdf",
                "application/pdf",
            ),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert _result(response.get_data(as_text=True)) == "valid"


def test_upload_of_a_tampered_pdf(client, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    data = certificate_pdf(certificate["code"])
    # Change one signed character inside the attached data, keeping every length the same.
    tampered = data.replace(b'"valid_until": "20', b'"valid_until": "29', 1)
    assert tampered != data
    token = _csrf_token(client)
    response = client.post(
        VERIFY,
        data={
            **token,
            "certificate_pdf": (io.BytesIO(tampered), "cert.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _result(body) == "not_genuine"
    assert "电子签名验证失败" in body


def test_upload_of_something_else(client):
    token = _csrf_token(client)
    response = client.post(
        VERIFY,
        data={
            **token,
            "certificate_pdf": (io.BytesIO(b"MZ\x90\x00"), "a.exe", "application/x-msdownload"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _result(body) is None and "error-block" in body
    response = client.post(
        VERIFY,
        data={**token, "certificate_pdf": (io.BytesIO(b"not a pdf"), "a.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "error-block" in response.get_data(as_text=True)


@pytest.mark.ckan_config("tjregistry.certificate.max_upload_bytes", "1024")
def test_oversized_upload_is_refused(client):
    token = _csrf_token(client)
    response = client.post(
        VERIFY,
        data={
            **token,
            "certificate_pdf": (
                io.BytesIO(b"%PDF-" + b"0" * 200_000),
                "big.pdf",
                "application/pdf",
            ),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_certificate_pdf_route(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    response = app.get(f"/registration/certificate/{certificate['code']}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    assert "tjregistry-certificate.json" in reader.attachments
    # Served from the cache the second time, byte for byte.
    again = app.get(f"/registration/certificate/{codes.normalize(certificate['code'])}.pdf")
    assert again.get_data() == response.get_data()


def test_certificate_pdf_versions_and_unknown_codes(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    issue(resource_dataset, institution, registration_type="correction")
    old = app.get(
        f"/registration/certificate/{certificate['code']}.pdf", query_string={"version": 1}
    )
    assert old.status_code == 200
    assert (
        app.get(
            f"/registration/certificate/{certificate['code']}.pdf", query_string={"version": 9}
        ).status_code
        == 404
    )
    unknown = str(codes.make_code("120101", 2020, "R", 5))
    assert app.get(f"/registration/certificate/{unknown}.pdf").status_code == 404
    assert app.get("/registration/certificate/not-a-code.pdf").status_code == 404


def test_revoked_certificate_pdf_is_gone_for_the_public(
    app, resource_dataset, institution, institution_staff
):
    certificate = issue(resource_dataset, institution)
    issuance.revoke_certificate(resource_dataset["id"], reason="虚假材料")
    model.Session.commit()
    url = f"/registration/certificate/{certificate['code']}.pdf"
    assert app.get(url).status_code == 410
    token = factories.APIToken(user=institution_staff["name"])["token"]
    response = app.get(url, headers={"Authorization": token})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"


def test_key_pages(app, resource_dataset, institution):
    certificate = issue(resource_dataset, institution)
    key_id = certificate["signed"]["key_id"]
    body = app.get("/registration/certificate-keys").get_data(as_text=True)
    assert key_id in body and "BEGIN PUBLIC KEY" in body
    assert "和平区数据发展中心" in body
    pem = app.get(f"/registration/certificate-keys/{key_id}.pem")
    assert pem.status_code == 200
    assert signing.load_public_key(pem.get_data())
    assert app.get("/registration/certificate-keys/sm2-0000000000000000.pem").status_code == 404


def test_keygen_command(institution, ckan_config):
    from ckanext.tjregistry.cli import tjregistry

    result = CliRunner().invoke(tjregistry, ["certificate", "keygen", institution["name"]])
    assert result.exit_code == 0, result.output
    key_id = re.search(r"key_id: (sm2-[0-9a-f]{16})", result.output).group(1)
    store = signing.default_keystore()
    assert store.active_key_id(institution["name"]) == key_id
    spare = CliRunner().invoke(
        tjregistry, ["certificate", "keygen", institution["name"], "--no-activate"]
    )
    assert spare.exit_code == 0 and "active: False" in spare.output
    assert store.active_key_id(institution["name"]) == key_id
    missing = CliRunner().invoke(tjregistry, ["certificate", "keygen", "no-such-org"])
    assert missing.exit_code != 0 and "no organization" in missing.output


def test_page_is_chinese_by_default_and_english_on_request(app):
    def heading(body: str) -> str:
        return re.search(r'<h1 class="page-heading">([^<]+)</h1>', body).group(1).strip()

    chinese = heading(app.get(VERIFY).get_data(as_text=True))
    english = heading(app.get("/en" + VERIFY).get_data(as_text=True))
    assert english == "Verify a registration certificate"
    assert "登记凭证" in chinese
