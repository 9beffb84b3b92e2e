"""Organizations and datasets for certificate tests, created through CKAN's actions."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_uscc(first17: str) -> str:
    """Complete a unified social credit code with its GB 32100 check character."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


@pytest.fixture(autouse=True)
def _no_keys_yet(own_key_dir):
    """Each test starts with no signing keys (institutions get one on first issue)."""


@pytest.fixture
def sysadmin() -> dict[str, Any]:
    return factories.Sysadmin()


@pytest.fixture
def institution_staff() -> dict[str, Any]:
    return factories.User(name="heping-reviewer")


@pytest.fixture
def institution(sysadmin, institution_staff) -> dict[str, Any]:
    return helpers.call_action(
        "organization_create",
        {"user": sysadmin["name"]},
        name="heping-data-center",
        title="和平区数据发展中心",
        org_kind="institution",
        admin_level="district",
        district_code="120101",
        users=[{"name": institution_staff["name"], "capacity": "editor"}],
    )


@pytest.fixture
def registrant_admin() -> dict[str, Any]:
    return factories.User(name="heping-transport-admin")


@pytest.fixture
def registrant(sysadmin, registrant_admin) -> dict[str, Any]:
    return helpers.call_action(
        "organization_create",
        {"user": sysadmin["name"]},
        name="heping-transport",
        title="天津市和平区交通运输局",
        org_kind="registrant",
        admin_level="district",
        district_code="120101",
        uscc=valid_uscc("11120101MB0312345"),
        registrant_type="party_gov",
        users=[{"name": registrant_admin["name"], "capacity": "admin"}],
    )


def make_dataset(sysadmin, registrant, **fields) -> dict[str, Any]:
    values = {
        "type": "data-resource",
        "name": "heping-bus-lines",
        "title": "和平区公交线路数据（蓟州区·滨海新区联运）",
        "notes": "公交线路、站点与运营时间。",
        "owner_org": registrant["id"],
    }
    values.update(fields)
    return helpers.call_action("package_create", {"user": sysadmin["name"]}, **values)


@pytest.fixture
def resource_dataset(sysadmin, registrant) -> dict[str, Any]:
    return make_dataset(sysadmin, registrant)


@pytest.fixture
def product_dataset(sysadmin, registrant, today) -> dict[str, Any]:
    # The operation period ends within the three years a certificate would otherwise run.
    return make_dataset(
        sysadmin,
        registrant,
        type="data-product",
        name="heping-bus-arrival-service",
        title="和平区公交实时到站服务",
        authorization_start="2025-07-01",
        authorization_end=(today + dt.timedelta(days=550)).isoformat(),
    )


@pytest.fixture
def today() -> dt.date:
    from ckanext.tjregistry.certificates.issuance import local_today

    return local_today()


def certificate_count() -> int:
    from ckanext.tjregistry.model.certificate import Certificate

    return model.Session.query(Certificate).count()


def issue(dataset: dict[str, Any], institution: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Issue through the Python API, commit and re-index, as the workflow does."""
    from ckanext.tjregistry.certificates import issuance

    result = issuance.issue_certificate(dataset["id"], institution_id=institution["id"], **kwargs)
    model.Session.commit()
    issuance.reindex([dataset["id"]])
    return result


def certificate_pdf(code: str, version: int | None = None) -> bytes:
    """The file the platform issues for the version (recording its digest), committed."""
    from ckanext.tjregistry.certificates import files, issuance

    row = (
        issuance.version_for_code(code, version) if version else issuance.current_for_code(code)
    )
    data = files.issued_pdf(row)
    model.Session.commit()
    return data


def swap_attachment(pdf_bytes: bytes, attachment: bytes | None) -> bytes:
    """The same pages with the signed-data attachment replaced (or removed)."""
    import io

    import pypdf

    from ckanext.tjregistry.certificates.pdf import ATTACHMENT_NAME

    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(pdf_bytes)))
    if attachment is not None:
        writer.add_attachment(ATTACHMENT_NAME, attachment)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def move_term(code: str, valid_until: dt.date) -> None:
    """Give the current version of ``code`` another last valid day, as if the platform had
    issued it so: content re-signed, columns set, register record re-signed. (An UPDATE of
    the column alone reads as tampered.) Commits."""
    from ckanext.tjregistry.certificates import issuance, register, signing

    row = issuance.current_for_code(code)
    store = signing.default_keystore()
    content = {**row.envelope["content"], "valid_until": valid_until.isoformat()}
    row.envelope = signing.sign_content(store, row.envelope["institution"], content)
    row.canonical = signing.canonical_json(signing.signed_document(row.envelope)).decode()
    row.valid_until = row.term_end = valid_until
    register.seal(store, row)
    model.Session.commit()
