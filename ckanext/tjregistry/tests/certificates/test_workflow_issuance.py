"""The workflow hands approved applications to the certificate subsystem, and expiry back."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.certificates import codes, issuance
from ckanext.tjregistry.certificates.procedure import expire_and_notify
from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Application, Registration
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _approve(world, dataset):
    application = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    return call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])


def test_approval_issues_the_certificate_and_registers_the_dataset(world):
    dataset = make_dataset(world.hp_reg)
    application = _approve(world, dataset)

    certificate = issuance.current_for_package(dataset["id"])
    assert certificate is not None and certificate.status == "valid"
    assert certificate.application_id == application["id"]
    assert certificate.institution_id == world.hp_inst["id"]
    assert codes.parse(certificate.code).district == "120101"
    assert certificate.envelope["content"]["registration_type"] == "initial"

    shown = call_as(world.hp_clerk, "registration_show", id=application["id"])
    assert shown["state"] == "issued"
    package = helpers.call_action("package_show", id=dataset["id"])
    assert package["registration_status"] == "registered"
    assert package["registration_code"] == certificate.code
    found = helpers.call_action(
        "package_search", fq=f'registration_code:"{certificate.code}"', include_private=True
    )
    assert found["count"] == 1 and found["results"][0]["registration_status"] == "registered"

    events = call_as(world.hp_clerk, "registration_history", package_id=dataset["id"])
    issued = [e for e in events if e["action"] == "issue:data"]
    assert issued[0]["data"]["registration_code"] == certificate.code
    assert history.verify().ok


def test_a_failed_issuance_leaves_the_application_approved(world, monkeypatch):
    dataset = make_dataset(world.hp_reg)

    def refuse(*args, **kwargs):
        raise RuntimeError("signing device offline")

    monkeypatch.setattr("ckanext.tjregistry.certificates.issuance.signing.sign_content", refuse)
    application = _approve(world, dataset)
    assert application["state"] == "approved"
    model.Session.expire_all()
    assert model.Session.get(Application, application["id"]).state == "approved"
    assert model.Session.query(Certificate).count() == 0
    monkeypatch.undo()

    from ckanext.tjregistry.certificates.procedure import on_application_approved

    certificate = on_application_approved(application["id"])
    assert certificate["status"] == "valid"
    assert model.Session.get(Application, application["id"]).state == "issued"
    # Issuing again is a no-op: the application is no longer approved.
    assert on_application_approved(application["id"]) is None


def test_expiry_sweep_moves_the_registration_to_expired(world):
    dataset = make_dataset(world.hp_reg)
    _approve(world, dataset)
    certificate = issuance.current_for_package(dataset["id"])
    day_after = certificate.valid_until + dt.timedelta(days=1)

    expired = expire_and_notify(day_after)
    assert expired == [(certificate.code, dataset["id"])]
    model.Session.expire_all()
    assert issuance.current_for_code(certificate.code).status == "expired"
    assert model.Session.get(Registration, dataset["id"]).status == "expired"
    package = helpers.call_action("package_show", id=dataset["id"])
    assert package["registration_status"] == "expired"
    assert package["certificate_status"] == "expired"


def test_expiry_without_a_workflow_registration_still_expires(resource_dataset, institution):
    certificate = issuance.issue_certificate(
        resource_dataset["id"], institution_id=institution["id"]
    )
    model.Session.commit()
    day_after = dt.date.fromisoformat(certificate["valid_until"]) + dt.timedelta(days=1)
    assert expire_and_notify(day_after) == [(certificate["code"], resource_dataset["id"])]
    model.Session.expire_all()
    assert issuance.current_for_code(certificate["code"]).status == "expired"
