"""The certificate register's status and validity are signed: a database edit is detected.

Every change the platform makes (issue, revocation, cancellation, reinstatement, expiry,
renewal, change, national code, issued file) re-signs the row's register record; an
UPDATE made directly in the database makes verification answer "tampered", never
"valid", by code, by upload, in the API and on the page, and ``ckan tjregistry
certificate check`` names the row.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import issuance, register, signing
from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.tests.certificates.conftest import (
    certificate_pdf,
    issue,
    make_dataset,
)
from ckanext.tjregistry.tests.certificates.test_originals import (
    _issued_through_the_workflow,
    post_to_verify_page,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
ANONYMOUS = {"user": "", "ignore_auth": False}


@pytest.fixture
def ckan_server_options(tmp_path) -> dict[str, str]:
    return {"tjregistry.certificate.key_dir": str(tmp_path / "keys"),
            "tjregistry.ratelimit.verify": "1000/minute"}


def _verify(**data_dict: Any) -> dict[str, Any]:
    return helpers.call_action("certificate_verify", dict(ANONYMOUS), **data_dict)


def sql_update(code: str, **columns: str) -> None:
    """An UPDATE made directly in the database, outside the platform."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    model.Session.execute(
        sa.text(f"UPDATE tjregistry_certificate SET {assignments} "
                "WHERE code = :code AND status <> 'superseded'"),
        {**columns, "code": code})
    model.Session.commit()
    model.Session.remove()


def _check_command() -> tuple[int, str]:
    result = CliRunner().invoke(tjregistry, ["certificate", "check"])
    return result.exit_code, result.output


def _assert_tampered(result: dict[str, Any], reason: str = register.ALTERED) -> None:
    assert result["result"] == "tampered", result
    assert result["genuine"] is False
    assert [r["reason"] for r in result["reasons"]] == [reason]
    assert result["certificate"] is None and result["signed_facts"] is None
    assert result["status"] is None


def test_a_direct_update_of_valid_until_or_status_is_detected(app, world):
    issued = _issued_through_the_workflow(world)
    code, until = issued["code"], issued["valid_until"].isoformat()
    genuine = app.get(f"/registration/certificate/{code}.pdf").get_data()
    assert _verify(code=code)["result"] == "valid"
    exit_code, output = _check_command()
    assert exit_code == 0 and "register intact: 1 certificate versions" in output

    sql_update(code, valid_until="2099-12-31")
    _assert_tampered(_verify(code=code))
    _assert_tampered(_verify(upload=genuine))
    body = app.get("/registration/verify", query_string={"code": code}).get_data(as_text=True)
    assert 'data-result="tampered"' in body and "2099" not in body
    exit_code, output = _check_command()
    assert exit_code == 1
    assert f"{code} v1: record_altered (columns: valid_until)" in output
    # The platform refuses to act on (and so re-sign) the edited row.
    with pytest.raises(tk.ValidationError) as caught:
        issuance.revoke_certificate(issued_package(code), reason="核查")
    assert "校验失败" in caught.value.error_dict["code"][0]
    model.Session.rollback()

    sql_update(code, valid_until=until)
    assert _verify(code=code)["result"] == "valid"

    # A status edit: a valid certificate made to read revoked, a revoked one made valid.
    sql_update(code, status="revoked")
    _assert_tampered(_verify(code=code))
    sql_update(code, status="valid")
    issuance.revoke_certificate(issued_package(code), reason="提供虚假材料")
    model.Session.commit()
    assert _verify(code=code)["result"] == "revoked"
    sql_update(code, status="valid")
    _assert_tampered(_verify(code=code))
    _assert_tampered(_verify(upload=genuine))
    assert _check_command()[0] == 1
    sql_update(code, status="revoked")
    assert _verify(code=code)["result"] == "revoked"
    # The current version marked superseded, so that the code seems to have none.
    sql_update(code, status="superseded")
    _assert_tampered(_verify(code=code))


def issued_package(code: str) -> str:
    return model.Session.query(Certificate.package_id).filter_by(code=code).first()[0]


def test_other_edits_are_detected(resource_dataset, institution, sysadmin, registrant):
    first = issue(resource_dataset, institution)
    other_dataset = make_dataset(sysadmin, registrant, name="other", title="另一数据")
    other = issue(other_dataset, institution)
    certificate_pdf(first["code"])
    store = signing.default_keystore()

    # Another row's (genuinely signed) record put on this row.
    row = issuance.current_for_code(first["code"])
    seal = row.register_seal
    row.register_seal = issuance.current_for_code(other["code"]).register_seal
    model.Session.commit()
    _assert_tampered(_verify(code=first["code"]))
    row = issuance.current_for_code(first["code"])
    row.register_seal = seal
    model.Session.commit()
    assert _verify(code=first["code"])["result"] == "valid"

    # The file digest replaced (by the digest of another file), the record removed, the
    # record's signature broken.
    sql_update(first["code"], file_sha256="0" * 64)
    _assert_tampered(_verify(code=first["code"]))
    sql_update(first["code"], file_sha256=seal["content"]["file_sha256"])
    model.Session.execute(sa.text("UPDATE tjregistry_certificate SET register_seal = NULL "
                                  "WHERE code = :code"), {"code": other["code"]})
    model.Session.commit()
    _assert_tampered(_verify(code=other["code"]), register.UNSEALED)
    row = issuance.current_for_code(first["code"])
    forged = {**seal, "content": {**seal["content"], "valid_until": "2099-12-31"}}
    row.register_seal = forged
    row.valid_until = dt.date(2099, 12, 31)
    model.Session.commit()
    _assert_tampered(_verify(code=first["code"]), register.BAD_RECORD_SIGNATURE)
    count, failing = register.check_all(store, model.Session.query(Certificate))
    assert count == 2 and {p.code for p in failing} == {first["code"], other["code"]}


def test_every_change_through_the_platform_stays_signed(
    resource_dataset, institution, sysadmin, registrant, today
):
    store = signing.default_keystore()

    def intact() -> None:
        count, failing = register.check_all(store, model.Session.query(Certificate))
        assert failing == [] and count > 0

    certificate = issue(resource_dataset, institution)
    code = certificate["code"]
    issuance.revoke_certificate(resource_dataset["id"], reason="撤销")
    model.Session.commit()
    intact()
    assert _verify(code=code)["result"] == "revoked"
    issuance.reinstate_certificate(resource_dataset["id"], reason="撤销决定被撤回")
    model.Session.commit()
    intact()
    assert _verify(code=code)["result"] == "valid"
    issuance.set_national_code(code, "1393264726771781632103")
    model.Session.commit()
    intact()
    issue(resource_dataset, institution, registration_type="correction")
    intact()
    assert _verify(code=code)["result"] == "valid"
    issuance.cancel_certificate(resource_dataset["id"], reason="注销")
    model.Session.commit()
    intact()
    assert _verify(code=code)["result"] == "cancelled"

    # Expiry: signed by the sweep; renewal: the old version superseded, the new one valid.
    old = make_dataset(sysadmin, registrant, name="old", title="早年登记的数据")
    expiring = issue(old, institution, today=today.replace(year=today.year - 4))
    assert _verify(code=expiring["code"])["result"] == "expired"
    assert issuance.expire_due() == [(expiring["code"], old["id"])]
    model.Session.commit()
    intact()
    assert _verify(code=expiring["code"])["result"] == "expired"
    due = make_dataset(sysadmin, registrant, name="due", title="待续展数据")
    start = today.replace(year=today.year - 3) + dt.timedelta(days=30)
    renewing = issue(due, institution, today=start)
    old_pdf = certificate_pdf(renewing["code"])
    issuance.renew_certificate(renewing["code"])
    model.Session.commit()
    intact()
    assert _verify(code=renewing["code"])["result"] == "valid"
    assert _verify(upload=old_pdf)["result"] == "superseded"
    assert _check_command()[0] == 0


def test_over_http_a_direct_update_reads_tampered(world, ckan_server):
    issued = _issued_through_the_workflow(world)
    code, until = issued["code"], issued["valid_until"].isoformat()
    model.Session.commit()

    def by_code() -> tuple[dict[str, Any], str]:
        api = requests.post(ckan_server.url("/api/3/action/certificate_verify"),
                            json={"code": code}, timeout=120)
        assert api.status_code == 200, api.text[:500]
        page = requests.get(ckan_server.url("/registration/verify"), params={"code": code},
                            timeout=120)
        assert page.status_code == 200
        result = re.search(r'data-result="([a-z_]+)"', page.text)
        return api.json()["result"], (result.group(1) if result else "") + "|" + page.text

    result, page = by_code()
    assert result["result"] == "valid" and page.startswith("valid|")
    genuine = requests.get(ckan_server.url(f"/registration/certificate/{code}.pdf"),
                           timeout=120).content

    sql_update(code, valid_until="2099-12-31")
    result, page = by_code()
    _assert_tampered(result)
    assert page.startswith("tampered|") and "2099" not in page
    assert 'id="verification-tampered-note"' in page
    assert post_to_verify_page(ckan_server, genuine).count('data-result="tampered"') == 1
    checked = ckan_server.ckan("tjregistry", "certificate", "check")
    assert checked.returncode == 1 and f"{code} v1: record_altered" in checked.stdout
    # The file is not handed out while the row reads tampered.
    assert requests.get(ckan_server.url(f"/registration/certificate/{code}.pdf"),
                        timeout=120).status_code == 409

    sql_update(code, valid_until=until, status="revoked")
    result, page = by_code()
    _assert_tampered(result)
    assert page.startswith("tampered|")
    sql_update(code, status="valid")
    result, page = by_code()
    assert result["result"] == "valid" and page.startswith("valid|")
    assert "Traceback" not in ckan_server.log_tail(200_000)


def test_the_expiry_sweep_signs_expiries_and_skips_a_tampered_row(
    sysadmin, registrant, institution, today
):
    from ckanext.tjregistry.certificates.procedure import expire_and_notify

    past = today.replace(year=today.year - 4)
    kept = issue(make_dataset(sysadmin, registrant, name="kept", title="按期过期的数据"),
                 institution, today=past)
    edited = issue(make_dataset(sysadmin, registrant, name="edited", title="被改动的数据"),
                   institution, today=past)
    sql_update(edited["code"], status_reason="在数据库中改过")
    assert [code for code, _ in expire_and_notify()] == [kept["code"]]
    assert issuance.current_for_code(kept["code"]).status == "expired"
    assert _verify(code=kept["code"])["result"] == "expired"
    _assert_tampered(_verify(code=edited["code"]))
    assert issuance.current_for_code(edited["code"]).status == "valid"
