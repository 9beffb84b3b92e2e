"""API actions for certificates: show, verify, renew, and the published keys."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import (
    issuance,
    national_codes,
    renewal,
    signing,
    verification,
)
from ckanext.tjregistry.certificates.logic import schema as schemas
from ckanext.tjregistry.certificates.logic.auth import is_institution_staff
from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.registration import workflow


def _public_summary(certificate: Any) -> dict[str, Any] | None:
    if certificate is None:
        return None
    return issuance.as_dict(certificate)


@registry.action
@tk.side_effect_free
def certificate_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """A certificate by ``code`` (optionally ``version``) or by ``package_id``.

    Returns the current version unless ``version`` is given, with ``versions``
    listing every version of the registration. Staff of the issuing institution
    also see the reasons for status changes.
    """
    data = validated(data_dict, schemas.certificate_show(), context)
    tk.check_access("certificate_show", context, data)
    if data.get("package_id") and not data["code"]:
        package = model.Package.get(data["package_id"])
        certificate = issuance.current_for_package(package.id) if package else None
    elif data.get("version") is not None:
        certificate = issuance.version_for_code(data["code"], data["version"])
    else:
        certificate = issuance.current_for_code(data["code"])
    if certificate is None:
        raise tk.ObjectNotFound(bilingual("未找到登记凭证", "Certificate not found"))
    result = issuance.as_dict(
        certificate,
        include_private=is_institution_staff(context.get("user"), certificate.institution_id),
    )
    result["versions"] = [
        {
            "version": item.version,
            "status": issuance.effective_status(item),
            "issued_at": item.issued_at.isoformat(),
            "valid_until": item.valid_until.isoformat(),
        }
        for item in issuance.versions_of(certificate.code)
    ]
    return result


@registry.action
@tk.side_effect_free
def certificate_verify(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Verify by ``code`` or by an uploaded certificate PDF (``upload``).

    ``result`` is one of valid, expired, revoked, cancelled, superseded (the
    register's signed status of a genuine certificate or original file);
    not_original (an upload that is not byte-for-byte the issued file),
    not_provable (an upload of a certificate whose file was issued before digests
    were recorded), tampered (the register row was edited outside the platform),
    not_genuine or not_found; ``reasons`` explain. ``original`` is True for an
    upload identical to the issued file, False for one that is not. ``status`` and
    ``signed_facts`` give what the register signs about the certificate concerned
    (code, data name, registrant, validity, status), to compare with a paper copy.
    """
    data = validated(data_dict, schemas.certificate_verify(), context)
    tk.check_access("certificate_verify", context, data)
    if data.get("upload") is not None:
        try:
            outcome = verification.verify_pdf(data["upload"])
        except verification.UploadError as error:
            raise tk.ValidationError({"upload": [str(error)]}) from None
    else:
        outcome = verification.verify_code(data["code"])
    return {
        "result": outcome.result,
        "result_label": bilingual(*verification.result_label(outcome.result)),
        "genuine": outcome.genuine,
        "original": outcome.original,
        "code": outcome.code,
        "status": outcome.status,
        "reasons": [
            {"reason": reason, "message": bilingual(*verification.REASONS[reason])}
            for reason in outcome.reasons
        ],
        "signed_facts": outcome.facts,
        "certificate": _public_summary(outcome.certificate),
        "current": _public_summary(outcome.current),
    }


@registry.action
def certificate_renew(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Renew (续展) the certificate ``code`` within the renewal window (or, when
    ``tjregistry.certificate.renewal_after_expiry_days`` allows, after expiry).

    For staff of the competent institution (the issuer, or the city institution while
    the issuer is suspended), not tied to the registrant. When the registrant has a
    renewal request pending, this approves it (``certificate_renewal_decide``);
    otherwise it renews ex officio (e.g. on a request made on paper). Returns the new
    certificate version.
    """
    data = validated(data_dict, schemas.certificate_renew(), context)
    code = data["code"]
    tk.check_access("certificate_renew", context, data)
    user = model.User.get(context.get("user") or "")
    if user is not None and renewal.pending_for(code) is not None:
        return renewal.decide(code, user, approve=True)["certificate"]
    certificate = issuance.current_for_code(code)
    acting = renewal.competent_institution(certificate) if certificate else None
    try:
        renewed = issuance.renew_certificate(
            code, actor_id=user.id if user else None,
            institution_id=acting.id if acting else None)
        # The renewal joins the hash-chained registration history, in the same transaction.
        workflow.record_registration_event(
            model.Session, renewed["package_id"], "renew_certificate",
            actor=workflow.Actor(user=user),
            data={"registration_code": renewed["code"], "certificate_version": renewed["version"],
                  "valid_until": renewed["valid_until"]})
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        raise
    issuance.reindex([renewed["package_id"]])
    return renewed


@registry.action
def certificate_renewal_request(context: dict[str, Any],
                                data_dict: dict[str, Any]) -> dict[str, Any]:
    """The registrant requests renewal (续展) of its certificate ``code``.

    Allowed from ``renewal_window_days`` before the last valid day until that day, or
    ``renewal_after_expiry_days`` after it; one pending request per code. Recorded in
    the registration history; the competent institution's reviewers are notified.

    :param code: the registration code
    :param note: optional note to the institution (at most 2000 characters)
    :returns: the request (``status`` pending)
    """
    data = validated(data_dict, schemas.certificate_renewal_request(), context)
    tk.check_access("certificate_renewal_request", context, data)
    user = model.User.get(context.get("user") or "")
    assert user is not None
    return renewal.request(data["code"], user, data.get("note"))


@registry.action
def certificate_renewal_decide(context: dict[str, Any],
                               data_dict: dict[str, Any]) -> dict[str, Any]:
    """Decide on the pending renewal request of ``code``: ``approve`` renews the
    certificate (same code, next version, the next term), ``reject`` needs ``reasons``.
    For staff of the competent institution not tied to the registrant (recusal).

    :param code: the registration code
    :param decision: approve or reject
    :param reasons: the reasons (required for reject)
    :returns: the request, with ``certificate`` (the new version) when approved
    """
    data = validated(data_dict, schemas.certificate_renewal_decide(), context)
    tk.check_access("certificate_renewal_decide", context, data)
    user = model.User.get(context.get("user") or "")
    assert user is not None
    return renewal.decide(data["code"], user, approve=data["decision"] == "approve",
                          reasons=data.get("reasons"))


@registry.action
@tk.side_effect_free
def certificate_renewal_list(context: dict[str, Any],
                             data_dict: dict[str, Any]) -> dict[str, Any]:
    """Renewal requests: of ``code`` (newest first, for the registrant and the competent
    institution), or without ``code`` the pending requests the caller's institutions
    decide on.
    """
    data = validated(data_dict, schemas.certificate_renewal_list(), context)
    tk.check_access("certificate_renewal_list", context, data)
    if data.get("code"):
        rows = renewal.requests_for(data["code"])
    else:
        user = model.User.get(context.get("user") or "")
        institutions = [org.id for org in jurisdiction.reviewer_institutions(user)]
        rows = renewal.pending_for_institutions(institutions)
    return {"results": [renewal.as_dict(row) for row in rows]}


@registry.action
def certificate_national_code_set(context: dict[str, Any],
                                  data_dict: dict[str, Any]) -> dict[str, Any]:
    """Record the national platform's result code (登记结果查询码) of a registration, on
    every version of its certificate; recorded in the registration history.

    :param code: the registration code
    :param national_code: the national code (letters and digits, at most 64)
    """
    data = validated(data_dict, schemas.certificate_national_code_set(), context)
    tk.check_access("certificate_national_code_set", context, data)
    user = model.User.get(context.get("user") or "")
    try:
        result = national_codes.record(data["code"], data["national_code"], user)
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        raise
    issuance.reindex([result["package_id"]])
    return result


@registry.action
def certificate_national_code_import(context: dict[str, Any],
                                     data_dict: dict[str, Any]) -> dict[str, Any]:
    """Record national codes in bulk from CSV text: one ``registration_code,national_code``
    per line (a header line is skipped). The whole file is checked first and recorded in
    one transaction: any bad line records nothing and is named in the error.

    :param csv: the file's text (UTF-8)
    :returns: ``recorded`` (count) and ``codes``
    """
    data = validated(data_dict, schemas.certificate_national_code_import(), context)
    tk.check_access("certificate_national_code_import", context, data)
    rows, errors = national_codes.parse_csv(data["csv"])
    for row in rows:
        try:
            tk.check_access("certificate_national_code_set", context, {"code": row.code})
        except tk.NotAuthorized as refused:
            errors.setdefault(f"line {row.line}", []).append(str(refused))
    if errors:
        raise tk.ValidationError(errors)
    user = model.User.get(context.get("user") or "")
    recorded = []
    try:
        for row in rows:
            try:
                recorded.append(national_codes.record(row.code, row.national_code, user))
            except tk.ValidationError as error:
                raise tk.ValidationError({f"line {row.line}": [
                    message for messages in error.error_dict.values() for message in messages]}
                ) from error
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        raise
    issuance.reindex([item["package_id"] for item in recorded])
    return {"recorded": len(recorded), "codes": [item["code"] for item in recorded]}


@registry.action
@tk.side_effect_free
def certificate_key_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> list[dict[str, Any]]:
    """The published SM2 public keys of every institution, old keys included."""
    data = validated(data_dict, schemas.certificate_key_list(), context)
    tk.check_access("certificate_key_list", context, data)
    titles = {
        group.name: group.title
        for group in model.Session.query(model.Group).filter(model.Group.is_organization)
    }
    return [
        {
            "institution": info.institution,
            "institution_title": titles.get(info.institution) or info.institution,
            "key_id": info.key_id,
            "algorithm": info.algorithm,
            "signer_id": signing.SIGNER_ID,
            "fingerprint_sm3": info.fingerprint,
            "active": info.active,
            "public_key_pem": info.pem,
        }
        for info in signing.default_keystore().all_public_keys()
    ]
