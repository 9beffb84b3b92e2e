"""Objections through the pages (CSRF, rate limits, escaping, evidence access) and the rules
for identity documents, evidence files and rate-limit settings."""
from __future__ import annotations

import io
import re

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import ratelimit
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.tests.publicity_helpers import (
    PDF_BYTES,
    RESIDENT_ID,
    RESIDENT_ID_2,
    in_publicity,
    png_bytes,
)
from ckanext.tjregistry.tests.workflow_helpers import build_world

# ---------------------------------------------------------------------------
# Rules (no database)


@pytest.mark.parametrize("number, problem", [
    (RESIDENT_ID, None),
    (RESIDENT_ID_2, None),
    ("110105194912310021", "check"),
    ("11010519491231002", "format"),
    ("1101051949123100XX", "format"),
    ("990105194912310025", "region"),
    ("110105194913310029", "birth_date"),
    ("110105189912310023", "birth_date"),
    ("440524188001010014", "birth_date"),  # GB 11643's own example, born before 1900
])
def test_resident_id_numbers_follow_gb_11643(number, problem):
    assert objections.resident_id_problem(number) == problem


def test_every_single_digit_typo_is_caught():
    for position in range(17):
        for digit in "0123456789":
            if digit == RESIDENT_ID[position]:
                continue
            typo = RESIDENT_ID[:position] + digit + RESIDENT_ID[position + 1:]
            assert objections.resident_id_problem(typo) is not None, typo


@pytest.mark.parametrize("id_type, raw, expected", [
    ("resident_id", " 11010519491231002x ", RESIDENT_ID),
    ("resident_id", "１１０１０５１９４９１２３１００２Ｘ", RESIDENT_ID),
    ("passport", "e12345678", "E12345678"),
    ("hk_macao_permit", "H12345678", "H12345678"),
    ("taiwan_permit", "12345678", "12345678"),
    ("foreign_permanent_resident", "USA123456789012", "USA123456789012"),
    ("uscc", "91350100M000100Y43", "91350100M000100Y43"),
])
def test_identity_documents_are_normalised(id_type, raw, expected):
    assert objections.normalise_identity(id_type, raw) == expected


@pytest.mark.parametrize("id_type, raw", [
    ("passport", "E1"), ("hk_macao_permit", "X12345678"), ("taiwan_permit", "ABCDEFGH"),
    ("uscc", "91350100M000100Y44"), ("driving_licence", RESIDENT_ID), ("resident_id", ""),
])
def test_bad_identity_documents_are_refused_in_both_languages(id_type, raw):
    with pytest.raises(tk.ValidationError) as error:
        objections.normalise_identity(id_type, raw)
    (messages,) = error.value.error_dict.values()
    assert " / " in messages[0]


def test_identity_is_masked_for_the_objector():
    assert objections.mask_identity(RESIDENT_ID) == "110************02X"


@pytest.mark.parametrize("raw, safe", [
    ("../../etc/passwd", "passwd"), ("C:\\证据\\合同.pdf", "合同.pdf"),
    ("a\x00b\u202e.pdf", "ab.pdf"), ("...", "evidence"), ("x" * 300, "x" * 120),
])
def test_file_names_are_only_for_display(raw, safe):
    assert objections.safe_filename(raw) == safe


def test_stored_names_cannot_leave_the_storage_directory():
    with pytest.raises(ValueError):
        objections.file_path("../../etc/passwd")


@pytest.mark.parametrize("text, limit, window", [
    ("5/hour", 5, 3600), ("30/minute", 30, 60), ("2/days", 2, 86400), ("100/600", 100, 600),
])
def test_rate_limit_rules(text, limit, window):
    assert ratelimit.parse_rule(text) == ratelimit.Rule(limit, window)


@pytest.mark.parametrize("text", ["5", "x/hour", "5/fortnight", "0/hour", "5/0"])
def test_bad_rate_limit_rules(text):
    with pytest.raises(ratelimit.RuleError):
        ratelimit.parse_rule(text)


def test_no_rule_means_no_limit():
    assert ratelimit.parse_rule("") is None


# ---------------------------------------------------------------------------
# Pages (real database, Solr and Redis)


@pytest.fixture
def world(clean_db, clean_index):
    return build_world()


@pytest.fixture
def client(app):
    """One browser: keeps the session cookie that the CSRF token is bound to."""
    return app.test_client()


def _form(**overrides):
    data = {
        "objector_name": "王五", "id_type": "resident_id", "id_number": RESIDENT_ID,
        "contact_phone": "022-23456789", "contact_email": "", "category": "infringement",
        "statement": "公示的数据包含本人的个人信息,未经同意不应开放。", "truthful": "true",
        "interest": "own_data_or_rights",
        "interest_statement": "数据中的住址和电话是本人的个人信息。",
        "evidence": (io.BytesIO(PDF_BYTES), "证明.pdf", "application/pdf"),
    }
    data.update(overrides)
    return data


def _objection_url(app_id: str) -> str:
    return f"/registration/publicity/{app_id}/objection"


def _csrf(client, url: str) -> dict[str, str]:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="(_?csrf_token)" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return {match.group(1): match.group(2)}


def _auth(user) -> dict[str, str]:
    return {"Authorization": user["token"]}


def test_filing_through_the_form(app, world):
    _dataset, application = in_publicity(world)
    page = app.get(_objection_url(application["id"])).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "居民身份证" in page
    response = app.post(_objection_url(application["id"]), data=_form(),
                        content_type="multipart/form-data")
    assert response.status_code == 201
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    number = re.search(r'id="tjr-objection-number">([^<]+)<', body).group(1)
    token = re.search(r'id="tjr-objection-token">([^<]+)<', body).group(1)
    objection = model.Session.query(Objection).filter_by(number=number).one()
    assert objection.contact_phone == "022-23456789" and objection.contact_email is None
    assert objections.token_matches(objection, token)
    assert model.Session.get(Application, application["id"]).state == "objection_pending"

    # The objector follows it with the number and the token; anything else tells nothing.
    tracked = app.post("/registration/objection/track", data={"number": number, "token": token})
    assert "王五" in tracked.get_data(as_text=True)
    assert RESIDENT_ID not in tracked.get_data(as_text=True)
    wrong = app.post("/registration/objection/track", data={"number": number, "token": "x"})
    assert "王五" not in wrong.get_data(as_text=True)
    assert "error-block" in wrong.get_data(as_text=True)


def test_invalid_filing_is_answered_with_the_form_escaped(app, world):
    _dataset, application = in_publicity(world)
    hostile = '<script>alert("x")</script>'
    response = app.post(_objection_url(application["id"]),
                        data=_form(objector_name=hostile, id_number="110105194912310021",
                                   statement=hostile),
                        content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "校验位" in body
    assert model.Session.query(Objection).count() == 0


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", True)
def test_a_post_without_the_csrf_token_is_refused(client, world):
    _dataset, application = in_publicity(world)
    url = _objection_url(application["id"])
    refused = client.post(url, data=_form(), content_type="multipart/form-data")
    assert refused.status_code == 400
    assert model.Session.query(Objection).count() == 0
    accepted = client.post(url, data={**_form(), **_csrf(client, url)},
                           content_type="multipart/form-data")
    assert accepted.status_code == 201
    assert model.Session.query(Objection).count() == 1


@pytest.mark.usefixtures("clean_redis")
@pytest.mark.ckan_config("tjregistry.ratelimit.enabled", True)
@pytest.mark.ckan_config("tjregistry.ratelimit.objection", "2/hour")
def test_filings_are_rate_limited_per_address(app, world):
    _dataset, application = in_publicity(world)
    url = _objection_url(application["id"])
    # A refused filing does not count against the address.
    assert app.post(url, data=_form(statement="短"),
                    content_type="multipart/form-data").status_code == 400
    for number in (RESIDENT_ID, RESIDENT_ID_2):
        response = app.post(url, data=_form(id_number=number),
                            content_type="multipart/form-data")
        assert response.status_code == 201
    third = app.post(url, data=_form(id_type="passport", id_number="E12345678"),
                     content_type="multipart/form-data")
    assert third.status_code == 429
    assert 0 < int(third.headers["Retry-After"]) <= 3600
    assert "tjr-rate-limited" in third.get_data(as_text=True)
    # Another address still may.
    other = app.post(url, data=_form(id_type="passport", id_number="E12345678"),
                     content_type="multipart/form-data",
                     environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 201
    assert model.Session.query(Objection).count() == 3


@pytest.mark.usefixtures("clean_redis")
@pytest.mark.ckan_config("tjregistry.ratelimit.enabled", True)
@pytest.mark.ckan_config("tjregistry.ratelimit.objection", "1/hour")
@pytest.mark.ckan_config("tjregistry.ratelimit.proxy_count", 1)
def test_behind_a_proxy_the_forwarded_address_counts(app, world):
    _dataset, application = in_publicity(world)
    url = _objection_url(application["id"])
    first = app.post(url, data=_form(), content_type="multipart/form-data",
                     headers={"X-Forwarded-For": "203.0.113.1"})
    second = app.post(url, data=_form(id_number=RESIDENT_ID_2),
                      content_type="multipart/form-data",
                      headers={"X-Forwarded-For": "203.0.113.2"})
    again = app.post(url, data=_form(id_type="passport", id_number="E12345678"),
                     content_type="multipart/form-data",
                     headers={"X-Forwarded-For": "spoofed, 203.0.113.1"})
    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 429)


def test_institution_and_registrant_pages(app, world):
    _dataset, application = in_publicity(world)
    app.post(_objection_url(application["id"]),
             data=_form(evidence=(io.BytesIO(png_bytes()), "现场照片.png", "image/png")),
             content_type="multipart/form-data")
    objection = model.Session.query(Objection).one()
    url = f"/registration/objections/{objection.id}"

    institution = app.get(url, headers=_auth(world.hp_reviewer)).get_data(as_text=True)
    assert "王五" in institution and RESIDENT_ID in institution and "现场照片.png" in institution
    assert 'id="tjr-objection-decide"' in institution
    assert 'id="tjr-objection-respond"' not in institution

    registrant = app.get(url, headers=_auth(world.hp_clerk)).get_data(as_text=True)
    assert "公示的数据包含本人的个人信息" in registrant
    assert "王五" not in registrant and RESIDENT_ID not in registrant
    assert "现场照片" not in registrant and "022-23456789" not in registrant
    assert 'id="tjr-objection-respond"' in registrant
    assert 'id="tjr-objection-decide"' not in registrant

    assert app.get(url, headers=_auth(world.bh_reviewer)).status_code == 403
    assert app.get(url).status_code == 403
    listing = app.get("/registration/objections", headers=_auth(world.hp_reviewer))
    assert objection.number in listing.get_data(as_text=True)

    # The registrant answers and the institution decides through the forms.
    app.post(f"{url}/respond", headers=_auth(world.hp_clerk),
             data={"response": "该数据已做去标识化处理,不含可识别个人的信息。"})
    app.post(f"{url}/decide", headers=_auth(world.hp_reviewer),
             data={"decision": "not_upheld", "finding": "经核查数据已去标识化,异议不成立。"})
    model.Session.expire_all()
    decided = model.Session.get(Objection, objection.id)
    assert decided.response.startswith("该数据已做去标识化")
    assert decided.status == "not_upheld"
    assert model.Session.get(Application, application["id"]).state == "publicity"


def test_evidence_is_served_only_to_the_institution(app, world):
    _dataset, application = in_publicity(world)
    app.post(_objection_url(application["id"]), data=_form(), content_type="multipart/form-data")
    objection = model.Session.query(Objection).one()
    (stored,) = objections.files_of(objection)
    url = f"/registration/objections/{objection.id}/evidence/{stored.id}"
    response = app.get(url, headers=_auth(world.hp_reviewer))
    assert response.status_code == 200
    assert response.get_data() == PDF_BYTES
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert app.get(url, headers=_auth(world.sysadmin)).status_code == 200
    for user in (world.hp_clerk, world.bh_reviewer, world.city_reviewer):
        assert app.get(url, headers=_auth(user)).status_code == 403
    assert app.get(url).status_code == 403
    assert app.get(f"/registration/objections/{objection.id}/evidence/nope",
                   headers=_auth(world.hp_reviewer)).status_code == 404


def test_oversized_posts_are_refused_before_reading(app, world, ckan_config, monkeypatch):
    _dataset, application = in_publicity(world)
    monkeypatch.setitem(ckan_config, "tjregistry.objection.max_file_bytes", 1024)
    monkeypatch.setitem(ckan_config, "tjregistry.objection.max_files", 1)
    big = (io.BytesIO(PDF_BYTES + b"%" * 400_000), "big.pdf", "application/pdf")
    response = app.post(_objection_url(application["id"]), data=_form(evidence=big),
                        content_type="multipart/form-data")
    assert response.status_code == 413
    assert model.Session.query(Objection).count() == 0


def test_filing_through_the_api_with_several_files(app, world):
    _dataset, application = in_publicity(world)
    data = {**_form(), "application_id": application["id"],
            "evidence_2": (io.BytesIO(png_bytes()), "照片.png", "image/png")}
    response = app.post("/api/3/action/objection_create", data=data,
                        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    made = response.json["result"]
    objection = model.Session.query(Objection).filter_by(number=made["number"]).one()
    assert sorted(f.mime_type for f in objections.files_of(objection)) == [
        "application/pdf", "image/png"]
    refused = app.post("/api/3/action/objection_create",
                       json={"application_id": application["id"], "objector_name": "赵七"})
    assert refused.status_code == 409
    errors = refused.json["error"]
    assert {"id_number", "contact_phone", "category", "statement", "truthful",
            "evidence"} <= set(errors)
