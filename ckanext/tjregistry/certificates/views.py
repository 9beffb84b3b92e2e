"""Public certificate pages: the PDF, the verification page and the published keys."""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

import ckan.lib.helpers as h
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import (
    codes,
    files,
    issuance,
    register,
    renewal,
    signing,
    validity,
)
from ckanext.tjregistry.certificates.content import (
    CATEGORY_LABELS,
    REGISTRATION_TYPE_LABELS,
    STATUS_LABELS,
    label,
)
from ckanext.tjregistry.certificates.logic.auth import is_institution_staff
from ckanext.tjregistry.certificates.verification import max_upload_bytes, result_label
from ckanext.tjregistry.common import ratelimit, registry, texts

log = logging.getLogger(__name__)
certificates = registry.blueprint(Blueprint("tjregistry_certificates", __name__))

# Room for the multipart envelope and the other form fields around the file.
_FORM_OVERHEAD_BYTES = 64 * 1024


@certificates.route("/registration/certificate/<code>.pdf")
def certificate_pdf(code: str) -> ResponseReturnValue:
    try:
        canonical = str(codes.parse(code))
    except codes.InvalidCode:
        return tk.abort(404, tk._("Certificate not found"))
    version = request.args.get("version", type=int)
    certificate = (
        issuance.version_for_code(canonical, version)
        if version
        else issuance.current_for_code(canonical)
    )
    if certificate is None:
        return tk.abort(404, tk._("Certificate not found"))
    current = issuance.current_for_code(canonical)
    ended = current is not None and current.status in validity.FINAL_STATUSES
    if ended and not is_institution_staff(tk.current_user.name, certificate.institution_id):
        # A revoked or cancelled registration's certificate is no longer handed out.
        return tk.abort(410, tk._("This certificate has been revoked or cancelled."))
    try:
        # The issued file: rendered and recorded (digest, signed) on first hand-out.
        data = files.issued_pdf(certificate)
        model.Session.commit()
    except register.RegisterTampered as error:
        model.Session.rollback()
        log.error("certificate register row fails its check: %s", error)
        return tk.abort(409, tk._("The register record of this certificate fails its integrity "
                                  "check; the certificate file is not handed out."))
    except files.FileUnavailable:
        model.Session.rollback()
        return tk.abort(503, tk._("The issued certificate file is unavailable."))
    except Exception:
        model.Session.rollback()
        raise
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{certificate.code}-v{certificate.version}.pdf"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _labels(result: dict[str, Any] | None) -> dict[str, str]:
    if not result:
        return {}
    lang = "zh" if (tk.h.lang() or "zh").startswith("zh") else "en"
    zh, en = result_label(result["result"])
    labels = {"result": zh if lang == "zh" else en}
    if not result.get("certificate"):
        return labels
    certificate = result["certificate"]
    return {
        **labels,
        "register_status": label(STATUS_LABELS, result.get("status"), lang),
        "status": label(STATUS_LABELS, result["result"], lang),
        "category": label(CATEGORY_LABELS, certificate["object_type"], lang),
        "registration_type": label(
            REGISTRATION_TYPE_LABELS, certificate["registration_type"], lang
        ),
    }


def _verify(data_dict: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    try:
        result = tk.get_action("certificate_verify")({"user": tk.current_user.name}, data_dict)
    except tk.ValidationError as error:
        return None, error.error_dict
    return result, {}


@certificates.route("/registration/verify", methods=["GET", "POST"])
def verify() -> ResponseReturnValue:
    result: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    code = ""
    limit = max_upload_bytes()
    if request.method == "POST" or request.args.get("code"):
        try:
            ratelimit.hit("verify")
        except ratelimit.RateLimited as error:
            body = tk.render("tjregistry/publicity/rate_limited.html",
                             {"retry_after": error.retry_after})
            return body, 429, {"Retry-After": str(error.retry_after)}
    if request.method == "POST":
        if (request.content_length or 0) > limit + _FORM_OVERHEAD_BYTES:
            return tk.abort(413, tk._("The file is too large."))
        current_app.extensions["csrf"].protect()
        code = (request.form.get("code") or "").strip()
        upload = request.files.get("certificate_pdf")
        if upload is not None and upload.filename:
            if upload.mimetype not in ("application/pdf", "application/octet-stream"):
                errors = {"upload": [tk._("Upload a PDF file.")]}
            else:
                result, errors = _verify({"upload": upload})
        elif code:
            result, errors = _verify({"code": code})
        else:
            errors = {"code": [tk._("Enter a registration code or choose a PDF file.")]}
    elif request.args.get("code"):
        code = request.args["code"].strip()
        result, errors = _verify({"code": code})
    return tk.render(
        "tjregistry/certificates/verify.html",
        {
            "code": code[:64],
            "result": result,
            "errors": errors,
            "labels": _labels(result),
            "max_upload_kb": limit // 1024,
            "renewal": _renewal(result),
            "renewal_request": _renewal_request(result),
            "national_code_form": _national_code_form(result),
        },
    )


def _user_name() -> str:
    return tk.current_user.name if tk.current_user.is_authenticated else ""


def _renewal(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The renewal form of a valid certificate's current version, for those who may
    renew it (staff of the issuing institution): the day its renewal window opens."""
    if not result or result.get("result") not in ("valid", "expired") or not _user_name():
        return None
    certificate = result["certificate"]
    try:
        tk.check_access("certificate_renew", {"user": _user_name()},
                        {"code": certificate["code"]})
    except tk.NotAuthorized:
        return None
    row = issuance.current_for_code(certificate["code"])
    if row is None or row.version != certificate["version"]:
        return None
    info = renewal.window(row)
    pending = renewal.pending_for(row.code)
    if result["result"] == "expired" and pending is None and not info["is_open"]:
        return None
    return {"code": certificate["code"], "valid_until": row.valid_until, "opens": info["opens"],
            "days": issuance.renewal_window_days(), "is_open": info["is_open"],
            "pending": renewal.as_dict(pending) if pending else None,
            "requester": _display_name(pending.requested_by) if pending else None}


def _display_name(user_id: str | None) -> str:
    user = model.User.get(user_id) if user_id else None
    return user.display_name if user else ""


def _renewal_request(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The registrant's side: the renewal window, its requests' status and, while the
    window is open and nothing is pending, the form to request renewal."""
    if not result or not result.get("certificate") or not _user_name():
        return None
    code = result["certificate"]["code"]
    try:
        tk.check_access("certificate_renewal_request", {"user": _user_name()}, {"code": code})
    except tk.NotAuthorized:
        return None
    row = issuance.current_for_code(code)
    if row is None or row.status in validity.FINAL_STATUSES:
        return None
    info = renewal.window(row)
    requests = [renewal.as_dict(item) for item in renewal.requests_for(code)]
    pending = next((item for item in requests if item["status"] == "pending"), None)
    return {"code": code, **info, "days": issuance.renewal_window_days(),
            "pending": pending, "latest": requests[0] if requests else None,
            "can_request": info["is_open"] and pending is None}


@certificates.route("/registration/certificate/<code>/renewal-request", methods=["POST"])
def renewal_request(code: str) -> ResponseReturnValue:
    """The registrant requests renewal (续展) from the certificate's page."""
    current_app.extensions["csrf"].protect()
    code = code.strip()[:64]
    if not _user_name():
        return tk.abort(403, tk._("Log in as the registrant to request renewal."))
    try:
        tk.get_action("certificate_renewal_request")(
            {"user": _user_name()}, {"code": code, "note": request.form.get("note", "")})
    except tk.NotAuthorized as error:
        return tk.abort(403, _in_page_language(str(error)))
    except tk.ValidationError as error:
        h.flash_error(tk._("The renewal was not requested: {reason}").format(
            reason="; ".join(_messages(error))))
    else:
        h.flash_success(tk._("Renewal requested. The registration institution will decide."))
    return h.redirect_to("tjregistry_certificates.verify", code=code)


@certificates.route("/registration/certificate/<code>/renewal-decision", methods=["POST"])
def renewal_decide(code: str) -> ResponseReturnValue:
    """The competent institution approves or rejects the pending renewal request."""
    current_app.extensions["csrf"].protect()
    code = code.strip()[:64]
    if not _user_name():
        return tk.abort(403, tk._("Log in as registration institution staff."))
    try:
        decided = tk.get_action("certificate_renewal_decide")(
            {"user": _user_name()},
            {"code": code, "decision": request.form.get("decision", ""),
             "reasons": request.form.get("reasons", "")})
    except tk.NotAuthorized as error:
        return tk.abort(403, _in_page_language(str(error)))
    except tk.ValidationError as error:
        h.flash_error(tk._("No decision was recorded: {reason}").format(
            reason="; ".join(_messages(error))))
    else:
        if decided.get("certificate"):
            h.flash_success(tk._(
                "The certificate was renewed: version {version}, valid until {date}.").format(
                version=decided["certificate"]["version"],
                date=tk.h.tjregistry_date(decided["certificate"]["valid_until"])))
        else:
            h.flash_success(tk._("The renewal request was rejected."))
    return h.redirect_to("tjregistry_certificates.verify", code=code)


def _messages(error: tk.ValidationError) -> list[str]:
    return [_in_page_language(value) for values in (error.error_dict or {}).values()
            for value in (values if isinstance(values, list) else [values])]


def _national_code_form(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The national code form, for those who may record it (issuing or city institution)."""
    if not result or not result.get("certificate") or not _user_name():
        return None
    certificate = result["certificate"]
    try:
        tk.check_access("certificate_national_code_set", {"user": _user_name()},
                        {"code": certificate["code"]})
    except tk.NotAuthorized:
        return None
    return {"code": certificate["code"], "national_code": certificate.get("national_code")}


@certificates.route("/registration/certificate/<code>/national-code", methods=["POST"])
def record_national_code(code: str) -> ResponseReturnValue:
    # CSRF: CKAN's protection covers this blueprint (ignore_extensions is off).
    code = code.strip()[:64]
    if not _user_name():
        return tk.abort(403, tk._("Log in as registration institution staff."))
    try:
        tk.get_action("certificate_national_code_set")(
            {"user": _user_name()},
            {"code": code, "national_code": request.form.get("national_code", "")})
    except tk.NotAuthorized as error:
        return tk.abort(403, _in_page_language(str(error)))
    except tk.ValidationError as error:
        messages = [_in_page_language(value) for values in (error.error_dict or {}).values()
                    for value in (values if isinstance(values, list) else [values])]
        h.flash_error("; ".join(messages))
    else:
        h.flash_success(tk._("The national result code was recorded."))
    return h.redirect_to("tjregistry_certificates.verify", code=code)


@certificates.route("/registration/national-codes", methods=["GET", "POST"])
def national_code_import() -> ResponseReturnValue:
    """Record national result codes from a CSV file (registration_code,national_code)."""
    if not _user_name():
        return tk.abort(403, tk._("Log in as registration institution staff."))
    try:
        tk.check_access("certificate_national_code_import", {"user": _user_name()}, {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only registration institution staff record national codes."))
    errors: dict[str, Any] = {}
    result = None
    if request.method == "POST":
        upload = request.files.get("csv_file")
        raw = upload.read(2 * 1024 * 1024 + 1) if upload else b""
        try:
            if len(raw) > 2 * 1024 * 1024:
                raise tk.ValidationError({"file": [tk._("The file is larger than 2 MB.")]})
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise tk.ValidationError(
                    {"file": [tk._("The file is not UTF-8 text.")]}) from None
            result = tk.get_action("certificate_national_code_import")(
                {"user": _user_name()}, {"csv": text})
        except tk.ValidationError as error:
            errors = {key: [_in_page_language(v) for v in (values if isinstance(values, list)
                                                           else [values])]
                      for key, values in (error.error_dict or {}).items()}
    status = 400 if errors else 200
    return tk.render("tjregistry/certificates/national_codes.html",
                     {"errors": errors, "result": result}), status


def _in_page_language(message: Any) -> str:
    """The page language's half of an inline bilingual action message ("中文 / English")."""
    return texts.in_language(message, h.lang() or "zh_Hans_CN")


@certificates.route("/registration/certificate/<code>/renew", methods=["POST"])
def renew(code: str) -> ResponseReturnValue:
    """Renew (续展) a certificate from its page; a refusal comes back as a message."""
    current_app.extensions["csrf"].protect()
    code = code.strip()[:64]
    if not _user_name():
        h.flash_error(tk._("Log in as staff of the issuing registration institution to renew "
                           "a certificate."))
        return h.redirect_to("tjregistry_certificates.verify", code=code)
    try:
        renewed = tk.get_action("certificate_renew")({"user": _user_name()}, {"code": code})
    except tk.NotAuthorized as error:
        h.flash_error(_in_page_language(str(error))
                      or tk._("You may not renew this certificate."))
    except tk.ValidationError as error:
        messages = [_in_page_language(value)
                    for value in (error.error_dict or {}).values()]
        h.flash_error(tk._("The certificate was not renewed: {reason}").format(
            reason="; ".join(messages)))
    else:
        h.flash_success(tk._(
            "The certificate was renewed: version {version}, valid until {date}.").format(
            version=renewed["version"], date=tk.h.tjregistry_date(renewed["valid_until"])))
    return h.redirect_to("tjregistry_certificates.verify", code=code)


@certificates.route("/registration/certificate-keys")
def keys() -> ResponseReturnValue:
    key_list = tk.get_action("certificate_key_list")({"user": tk.current_user.name}, {})
    return tk.render("tjregistry/certificates/keys.html", {"keys": key_list})


@certificates.route("/registration/certificate-keys/<key_id>.pem")
def key_pem(key_id: str) -> ResponseReturnValue:
    for info in signing.default_keystore().all_public_keys():
        if info.key_id == key_id:
            response = current_app.response_class(info.pem, mimetype="application/x-pem-file")
            response.headers["Content-Disposition"] = f'attachment; filename="{key_id}.pem"'
            return response
    return tk.abort(404, tk._("Key not found"))
