"""Registration certificates (登记凭证, TJ Art. 12, 22, 28–29).

Modules: ``codes`` (registration codes), ``signing`` (SM2/SM3 signatures and keys),
``validity`` (terms, renewal, statuses), ``content`` (what is signed and printed),
``pdf`` (the Chinese PDF), ``issuance`` (the Python API below), ``verification``
(by code or PDF), ``hooks`` (dataset fields) and ``cli``.

Python API for the registration workflow (all run in the caller's transaction and
never commit; see :mod:`issuance`):

* ``issue_certificate(package_id, *, institution_id, registration_type="initial",
  application_id=None, actor_id=None, dataset_changes=None, today=None) -> dict``
* ``revoke_certificate(package_id, *, reason, actor_id=None) -> dict | None``
* ``cancel_certificate(package_id, *, reason, actor_id=None) -> dict | None``
* ``reinstate_certificate(package_id, *, reason, actor_id=None) -> dict | None``
  (a reversed revocation)
* ``expire_due(today=None) -> list[(code, package_id)]`` (``expire_and_notify`` also
  moves the workflow's registrations to expired and commits per certificate)
* ``set_national_code(code, national_code) -> dict``
* ``reindex(package_ids)`` after the commit.

``on_application_approved(application_id)`` is the workflow's issuance hook.
"""
from __future__ import annotations

import importlib
import logging
from typing import Any

from ckanext.tjregistry.certificates.issuance import (
    cancel_certificate,
    current_for_code,
    current_for_package,
    due_for_expiry,
    expire_code,
    expire_due,
    issue_certificate,
    reindex,
    reinstate_certificate,
    renew_certificate,
    revoke_certificate,
    set_national_code,
)

log = logging.getLogger(__name__)

__all__ = [
    "cancel_certificate",
    "current_for_code",
    "current_for_package",
    "due_for_expiry",
    "expire_and_notify",
    "expire_code",
    "expire_due",
    "issue_certificate",
    "on_application_approved",
    "reindex",
    "reinstate_certificate",
    "renew_certificate",
    "revoke_certificate",
    "set_national_code",
]


def _workflow_function(name: str) -> Any:
    try:
        workflow = importlib.import_module("ckanext.tjregistry.workflow")
    except ImportError:
        return None
    return getattr(workflow, name, None)


def on_application_approved(application_id: str) -> dict[str, Any] | None:
    """Issue the certificate of an approved application and record the issuance.

    The certificate row and the workflow's ``approved -> issued`` transition
    commit together (``workflow.on_issued`` commits the shared session); if either
    fails, both roll back and the application stays approved, awaiting issuance.
    """
    import ckan.model as model

    from ckanext.tjregistry.model.application import Application

    application = model.Session.get(Application, application_id)
    if application is None or application.state != "approved":
        return None
    on_issued = _workflow_function("on_issued")
    try:
        certificate = issue_certificate(
            application.package_id,
            institution_id=application.institution_id,
            registration_type=application.application_type,
            application_id=application.id,
            dataset_changes=(
                application.proposed if application.application_type != "initial" else None
            ),
        )
        data = {
            "registration_code": certificate["code"],
            "certificate_version": certificate["version"],
        }
        if on_issued is None:
            model.Session.commit()
        else:
            on_issued(application.id, data)
    except Exception:
        model.Session.rollback()
        log.exception("issuing the certificate of application %s failed", application_id)
        raise
    reindex([certificate["package_id"]])
    return certificate


def expire_and_notify(today: Any = None) -> list[tuple[str, str]]:
    """The expiry sweep: expire certificates and move their registrations to expired.

    Each certificate commits with the workflow's ``expire`` transition; when the
    workflow refuses (the registration is not in a state that can expire), the
    certificate still expires on its own and the refusal is logged.
    """
    import ckan.model as model

    workflow_expire = _workflow_function("expire")
    expired: list[tuple[str, str]] = []
    for code, package_id in due_for_expiry(today):
        try:
            if not expire_code(code, today):
                continue
            if workflow_expire is None:
                model.Session.commit()
            else:
                workflow_expire(package_id)  # commits the certificate with the transition
        except Exception:  # one registration must not stop the sweep
            model.Session.rollback()
            log.exception("the workflow refused to expire %s; expiring the certificate alone", code)
            if not expire_code(code, today):
                continue
            model.Session.commit()
        expired.append((code, package_id))
        reindex([package_id])
    return expired
