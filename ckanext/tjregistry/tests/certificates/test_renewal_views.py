"""The renewal form on the certificate's page (/registration/verify?code=...) and its POST
route: shown only to staff of the issuing institution, a renewal inside the window, and
refusals (outside the window, someone else, no CSRF token) as messages or 4xx, never 500."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ckan.tests import factories

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.tests.certificates.conftest import issue

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
VERIFY = "/registration/verify"


@pytest.fixture
def client(app):
    """One browser: keeps the session cookie that the CSRF token and messages live in."""
    return app.test_client()


def _as(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _page(client, code: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(VERIFY, query_string={"code": code}, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _csrf(body: str) -> dict[str, str]:
    match = re.search(r'name="(_?csrf_token)" value="([^"]+)"', body)
    assert match, "the page carries a CSRF token"
    return {match.group(1): match.group(2)}


def _in_window(resource_dataset, institution, today) -> dict[str, Any]:
    """A certificate issued almost three years ago: its renewal window is open."""
    start = today.replace(year=today.year - 3) + dt.timedelta(days=30)
    return issue(resource_dataset, institution, today=start)


def _renew(client, code: str, headers: dict[str, str]) -> str:
    token = _csrf(_page(client, code, headers))
    response = client.post(f"/registration/certificate/{code}/renew", data=token,
                           headers=headers, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_staff_renew_in_the_window(client, resource_dataset, institution, institution_staff,
                                   today):
    certificate = _in_window(resource_dataset, institution, today)
    staff = _as(institution_staff)
    body = _page(client, certificate["code"], staff)
    assert 'id="tjr-renew-form"' in body and 'id="tjr-renew-button"' in body
    assert "续展登记凭证" in body

    body = _renew(client, certificate["code"], staff)
    current = issuance.current_for_code(certificate["code"])
    assert current.version == 2 and current.status == "valid"
    assert current.valid_until > dt.date.fromisoformat(certificate["valid_until"])
    assert "登记凭证已续展" in body
    assert f"{current.valid_until.year}年{current.valid_until.month}月" in body
    assert 'data-result="valid"' in body


def test_outside_the_window_the_form_says_when_and_a_post_is_refused(
        client, resource_dataset, institution, institution_staff):
    certificate = issue(resource_dataset, institution)
    staff = _as(institution_staff)
    body = _page(client, certificate["code"], staff)
    assert 'id="tjr-renew-form"' in body and 'id="tjr-renew-not-yet"' in body
    assert 'id="tjr-renew-button"' not in body

    body = _renew(client, certificate["code"], staff)
    assert "未续展" in body and "不符合续展条件" in body
    assert issuance.current_for_code(certificate["code"]).version == 1


def test_others_see_no_form_and_are_refused_with_a_message(
        client, resource_dataset, institution, registrant_admin, today):
    certificate = _in_window(resource_dataset, institution, today)
    assert 'id="tjr-renew-form"' not in _page(client, certificate["code"])
    owner = _as(registrant_admin)
    assert 'id="tjr-renew-form"' not in _page(client, certificate["code"], owner)

    body = _renew(client, certificate["code"], owner)
    assert "只有发证的登记机构可以续展" in body
    body = _renew(client, certificate["code"], {})
    assert "请以发证登记机构工作人员的身份登录后续展" in body
    assert issuance.current_for_code(certificate["code"]).version == 1


def test_english_page_and_message(client, resource_dataset, institution, institution_staff,
                                  today):
    certificate = _in_window(resource_dataset, institution, today)
    staff = _as(institution_staff)
    body = client.get(f"/en{VERIFY}", query_string={"code": certificate["code"]},
                      headers=staff).get_data(as_text=True)
    assert "Renew the registration certificate" in body
    response = client.post(f"/en/registration/certificate/{certificate['code']}/renew",
                           data=_csrf(body), headers=staff, follow_redirects=True)
    assert response.status_code == 200
    assert "The certificate was renewed: version 2" in response.get_data(as_text=True)


def test_unknown_code_and_missing_csrf_token(client, resource_dataset, institution,
                                             institution_staff, today):
    certificate = _in_window(resource_dataset, institution, today)
    staff = _as(institution_staff)
    token = _csrf(_page(client, certificate["code"], staff))
    response = client.post("/registration/certificate/TJ-NOPE/renew", data=token,
                           headers=staff, follow_redirects=True)
    assert response.status_code == 200
    assert "登记凭证未续展:登记编号长度不正确" in response.get_data(as_text=True)
    response = client.post(f"/registration/certificate/{certificate['code']}/renew",
                           headers=staff)
    assert response.status_code == 400
    assert issuance.current_for_code(certificate["code"]).version == 1
