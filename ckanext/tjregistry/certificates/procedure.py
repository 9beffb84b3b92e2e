"""The certificates' part of the registration procedure (Art. 12, 22, 28–29).

Issuance after approval (subscribed to ``signals.application_approved`` in
``subscriptions.py``), the expiry sweep, and the effects the declaration names for
revocation, cancellation and a reversed revocation, registered with the engine.
"""
from __future__ import annotations

import logging
from typing import Any

import ckan.model as model

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.certificates.issuance import (
    due_for_expiry,
    expire_code,
    issue_certificate,
    reindex,
)
from ckanext.tjregistry.model import Application, Registration
from ckanext.tjregistry.registration import workflow

log = logging.getLogger(__name__)


def _record_certificate(ctx: dict[str, Any], certificate: dict[str, Any] | None) -> None:
    if certificate is not None:
        workflow.add_event_data(ctx, registration_code=certificate["code"],
                        certificate_version=certificate["version"],
                        certificate_status=certificate["status"])


@workflow.effect("revoke_certificate")
def _effect_revoke_certificate(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    reason = f"{ctx['inputs'].get('ground') or ''}: {ctx['inputs'].get('reasons') or ''}"
    _record_certificate(ctx, issuance.revoke_certificate(
        reg.package_id, reason=reason, actor_id=ctx["actor"].id))


@workflow.effect("cancel_certificate")
def _effect_cancel_certificate(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    reason = ctx["inputs"].get("reasons") or app.reasons or "cancellation"
    _record_certificate(ctx, issuance.cancel_certificate(
        app.package_id, reason=reason, actor_id=ctx["actor"].id))


@workflow.effect("reinstate_certificate")
def _effect_reinstate_certificate(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    _record_certificate(ctx, issuance.reinstate_certificate(
        reg.package_id, reason=ctx["inputs"].get("reasons") or "revocation reversed",
        actor_id=ctx["actor"].id))


def on_application_approved(application_id: str) -> dict[str, Any] | None:
    """Issue the certificate of an approved application and record the issuance.

    The certificate row and the workflow's ``approved -> issued`` transition
    commit together (``workflow.on_issued`` commits the shared session); if either
    fails, both roll back and the application stays approved, awaiting issuance.
    """
    application = model.Session.get(Application, application_id)
    if application is None or application.state != "approved":
        return None
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
        workflow.on_issued(application.id, data)
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
    expired: list[tuple[str, str]] = []
    for code, package_id in due_for_expiry(today):
        try:
            if not expire_code(code, today):
                continue
            workflow.expire(package_id)  # commits the certificate with the transition
        except Exception:  # one registration must not stop the sweep
            model.Session.rollback()
            log.exception("the workflow refused to expire %s; expiring the certificate alone", code)
            try:
                if not expire_code(code, today):
                    continue
                model.Session.commit()
            except Exception:  # e.g. a register row that fails its check is not re-signed
                model.Session.rollback()
                log.exception("certificate %s not expired (ckan tjregistry certificate check)",
                              code)
                continue
        expired.append((code, package_id))
        reindex([package_id])
    return expired
