"""Issuing, renewing and ending certificates: the Python API of this package.

Every function here works inside the caller's database transaction: it adds and
flushes rows on ``ckan.model.Session`` and never commits, so that a workflow
step and its certificate change commit or roll back together. After committing,
call :func:`reindex` for the datasets involved so that Solr sees the new
``registration_code`` / ``certificate_status`` values.

Errors are raised as ``ckan.plugins.toolkit.ValidationError`` with bilingual
(Chinese / English) messages keyed by field.

Every row change re-signs the row's register record (register.py) after checking
the record it replaces: a row edited in the database is refused, never re-signed.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import codes, register, signing, validity
from ckanext.tjregistry.certificates import content as content_module
from ckanext.tjregistry.certificates import pdf as pdf_module
from ckanext.tjregistry.common import prefetch, signals, workdays
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.model.certificate import Certificate, CertificateSequence

log = logging.getLogger(__name__)

ISSUE_REASON_REGISTRATION = "registration"
ISSUE_REASON_RENEWAL = "renewal"


# ---------------------------------------------------------------- configuration


def validity_years() -> int:
    return tk.asint(tk.config.get("tjregistry.certificate.validity_years") or 3)


def renewal_window_days() -> int:
    return tk.asint(tk.config.get("tjregistry.certificate.renewal_window_days") or 90)


def renewal_after_expiry_days() -> int:
    """Days after expiry in which a lapsed certificate may still be renewed (0: none)."""
    return max(tk.asint(tk.config.get("tjregistry.certificate.renewal_after_expiry_days")
                        or 0), 0)


def verify_base_url() -> str:
    return (
        tk.config.get("tjregistry.certificate.verify_base_url")
        or tk.config.get("ckan.site_url")
        or ""
    ).rstrip("/")


def local_today() -> dt.date:
    zone = ZoneInfo(tk.config.get("ckan.display_timezone") or "Asia/Shanghai")
    return dt.datetime.now(zone).date()


# ---------------------------------------------------------------- look-ups


def _current_query() -> Any:
    return model.Session.query(Certificate).filter(
        Certificate.status != validity.SUPERSEDED
    )


def current_for_code(code: str) -> Certificate | None:
    """The current (not superseded) version of a registration code."""
    return _current_query().filter(Certificate.code == code).one_or_none()


def version_for_code(code: str, version: int) -> Certificate | None:
    return (
        model.Session.query(Certificate)
        .filter(Certificate.code == code, Certificate.version == version)
        .one_or_none()
    )


def _speaking_first() -> tuple[Any, ...]:
    # A valid certificate first; otherwise the most recently issued current version
    # (an expired, revoked or cancelled certificate stays visible until a new one).
    return (sa.case((Certificate.status == validity.VALID, 0), else_=1),
            Certificate.issued_at.desc())


def current_for_package(package_id: str) -> Certificate | None:
    """The certificate that speaks for a dataset now (see ``_speaking_first``)."""
    found, certificate = prefetch.lookup(package_id, current_for_packages)
    if found:
        return certificate
    return (
        _current_query()
        .filter(Certificate.package_id == package_id)
        .order_by(*_speaking_first())
        .first()
    )


def current_for_packages(package_ids: list[str]) -> dict[str, Certificate | None]:
    """``current_for_package`` of many datasets, in one query."""
    found: dict[str, Certificate | None] = dict.fromkeys(package_ids)
    for certificate in (_current_query()
                        .filter(Certificate.package_id.in_(package_ids))
                        .order_by(Certificate.package_id, *_speaking_first())):
        if found[certificate.package_id] is None:
            found[certificate.package_id] = certificate
    return found


def versions_of(code: str) -> list[Certificate]:
    return (
        model.Session.query(Certificate)
        .filter(Certificate.code == code)
        .order_by(Certificate.version)
        .all()
    )


def effective_status(certificate: Certificate, today: dt.date | None = None) -> str:
    return validity.effective_status(
        certificate.status, certificate.valid_until, today or local_today()
    )


def pdf_url(code: str, version: int | None = None) -> str:
    url = f"{verify_base_url()}/registration/certificate/{code}.pdf"
    return f"{url}?version={version}" if version else url


def as_dict(
    certificate: Certificate, *, include_private: bool = False, today: dt.date | None = None
) -> dict[str, Any]:
    """The API representation of one certificate version."""
    result: dict[str, Any] = {
        "id": certificate.id,
        "code": certificate.code,
        "version": certificate.version,
        "package_id": certificate.package_id,
        "national_code": certificate.national_code,
        "object_type": certificate.object_type,
        "registration_type": certificate.registration_type,
        "status": effective_status(certificate, today),
        "issued_at": certificate.issued_at.isoformat(),
        "valid_from": certificate.valid_from.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "status_changed_at": (
            certificate.status_changed_at.isoformat() if certificate.status_changed_at else None
        ),
        "content": certificate.envelope["content"],
        "signed": certificate.envelope,
        "pdf_url": pdf_url(certificate.code, certificate.version),
        "verify_url": certificate.envelope["content"]["verify_url"],
        # SHA-256 of the issued PDF (None until the platform first hands it out).
        "file_sha256": certificate.file_sha256,
    }
    if include_private:
        result.update(
            status_reason=certificate.status_reason,
            application_id=certificate.application_id,
            created_by=certificate.created_by,
            status_changed_by=certificate.status_changed_by,
        )
    return result


# ---------------------------------------------------------------- gathering facts


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _organization(org_id: str, field: str) -> dict[str, Any]:
    try:
        return tk.get_action("organization_show")(
            _site_context(),
            {"id": org_id, "include_datasets": False, "include_users": False},
        )
    except tk.ObjectNotFound:
        raise field_error(field, "组织不存在", "organization not found") from None


def _operation_period(package: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    """The authorised operation period of a data product (Art. 12), else (None, None)."""
    if package.get("type") != "data-product":
        return None, None
    return workdays.parse_date(package.get("authorization_start")), workdays.parse_date(
        package.get("authorization_end")
    )


def _district(institution: dict[str, Any], registrant: dict[str, Any]) -> str:
    for org in (institution, registrant):
        code = str(org.get("district_code") or "")
        if len(code) == 6 and code.startswith("12") and code.isdigit():
            return code
    return codes.CITY_DISTRICT_CODE


def _facts(
    package_id: str, institution_id: str, dataset_changes: dict[str, Any] | None = None
) -> dict[str, Any]:
    try:
        package = tk.get_action("package_show")(_site_context(), {"id": package_id})
    except tk.ObjectNotFound:
        raise field_error("package_id", "数据集不存在", "dataset not found") from None
    if dataset_changes:
        # A change or correction is certified as it will read once applied.
        package = {
            **package,
            **{k: v for k, v in dataset_changes.items() if k not in ("id", "type")},
        }
    if package.get("type") not in codes.CATEGORY_LETTERS:
        raise field_error(
            "package_id",
            "只有公共数据资源和公共数据产品和服务可以发放登记凭证",
            "only data resources and data products receive certificates",
        )
    if not package.get("owner_org"):
        raise field_error("package_id", "数据集没有登记主体", "the dataset has no registrant")
    institution = _organization(institution_id, "institution_id")
    if institution.get("org_kind") not in (None, "", "institution"):
        raise field_error(
            "institution_id", "该组织不是登记机构", "the organization is not an institution"
        )
    if institution.get("qualification_status") in ("suspended", "cancelled"):
        raise field_error(
            "institution_id",
            "登记机构资格已暂停或取消，不能发放凭证",
            "the institution's qualification is suspended or cancelled",
        )
    registrant = _organization(package["owner_org"], "package_id")
    return {"package": package, "institution": institution, "registrant": registrant}


# ---------------------------------------------------------------- signing


def _keystore_for(institution_name: str) -> signing.KeyStore:
    store = signing.default_keystore()
    try:
        has_key = store.active_key_id(institution_name) is not None
    except signing.SigningError:
        has_key = False
    if not has_key:
        if tk.asbool(tk.config.get("tjregistry.certificate.auto_generate_keys")):
            info = store.generate(institution_name)
            log.warning("generated signing key %s for %s", info.key_id, institution_name)
        else:
            raise field_error(
                "institution_id",
                "登记机构尚未配置签名密钥（ckan tjregistry certificate keygen）",
                "the institution has no signing key (ckan tjregistry certificate keygen)",
            )
    return store


def _intact(certificate: Certificate, store: signing.KeyStore | None = None) -> signing.KeyStore:
    """Refuse to change a register row that fails its check; the store to re-sign with."""
    store = store or signing.default_keystore()
    try:
        register.ensure_intact(store, certificate)
    except register.RegisterTampered as error:
        raise field_error(
            "code",
            f"登记簿记录 {certificate.code} 第 {certificate.version} 版校验失败，可能被直接修改；"
            "请运行 ckan tjregistry certificate check",
            f"the register record of {certificate.code} version {certificate.version} fails "
            f"its integrity check ({', '.join(error.problems + error.fields)}); "
            "run ckan tjregistry certificate check",
        ) from None
    return store


def _reseal(certificate: Certificate, store: signing.KeyStore) -> None:
    model.Session.flush()
    try:
        register.seal(store, certificate)
    except signing.SigningError as error:
        raise field_error("institution_id", "签名失败", f"signing failed: {error}") from None
    model.Session.flush()


def _next_sequence(scope: str) -> int:
    table = CertificateSequence.__table__
    statement = (
        pg_insert(table)
        .values(scope=scope, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.scope], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )
    value = model.Session.execute(statement).scalar_one()
    if value > codes.MAX_SEQUENCE:
        raise field_error("code", "本年度登记编号已用尽",
                          "registration numbers exhausted for the year")
    return value


def _new_version(
    *,
    facts: dict[str, Any],
    code: str,
    version: int,
    national_code: str | None,
    registration_type: str,
    period: validity.Period,
    issue_reason: str,
    issued_at: dt.datetime,
    application_id: str | None,
    actor_id: str | None,
) -> Certificate:
    package, institution, registrant = facts["package"], facts["institution"], facts["registrant"]
    operation_start, operation_end = _operation_period(package)
    content = content_module.build_content(
        code=code,
        version=version,
        national_code=national_code,
        registrant_name=registrant.get("title") or registrant["name"],
        registrant_uscc=registrant.get("uscc"),
        object_category=package["type"],
        data_name=package.get("title") or package["name"],
        dataset_id=package["id"],
        registration_type=registration_type,
        institution_name=institution["name"],
        institution_title=institution.get("title") or institution["name"],
        issue_date=period.valid_from,
        valid_from=period.valid_from,
        valid_until=period.valid_until,
        operation_start=operation_start,
        operation_end=operation_end,
        verify_base_url=verify_base_url(),
    )
    content["issue_reason"] = issue_reason
    try:
        pdf_module.check_printable(content)
    except pdf_module.MissingGlyphsError as error:
        raise field_error(
            "package_id",
            f"凭证字体无法显示以下字符：{error.characters}",
            f"the certificate font cannot show: {error.characters}",
        ) from None
    store = _keystore_for(institution["name"])
    try:
        envelope = signing.sign_content(store, institution["name"], content)
    except signing.SigningError as error:
        raise field_error("institution_id", "签名失败", f"signing failed: {error}") from None
    certificate = Certificate(
        code=code,
        version=version,
        package_id=package["id"],
        application_id=application_id,
        registrant_id=registrant["id"],
        institution_id=institution["id"],
        object_type=package["type"],
        registration_type=registration_type,
        status=validity.VALID,
        issued_at=issued_at,
        valid_from=period.valid_from,
        valid_until=period.valid_until,
        term_end=period.term_end,
        national_code=national_code,
        envelope=envelope,
        canonical=signing.canonical_json(signing.signed_document(envelope)).decode("utf-8"),
        created_by=actor_id,
    )
    model.Session.add(certificate)
    _reseal(certificate, store)
    return certificate


def _supersede(certificate: Certificate, now: dt.datetime, actor_id: str | None) -> None:
    store = _intact(certificate)
    certificate.status = validity.SUPERSEDED
    certificate.status_changed_at = now
    certificate.status_changed_by = actor_id
    _reseal(certificate, store)


# ---------------------------------------------------------------- public API


def issue_certificate(
    package_id: str,
    *,
    institution_id: str,
    registration_type: str = "initial",
    application_id: str | None = None,
    actor_id: str | None = None,
    dataset_changes: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Issue (or, for a change or correction, re-issue) a dataset's certificate.

    ``registration_type``: ``initial`` allocates a new code and starts a term of
    ``validity_years``; ``change`` and ``correction`` add a version under the same
    code with the same term, re-capped by the product's authorisation end.
    ``dataset_changes`` are dataset fields that the application changes but that
    are not applied yet; the certificate states them as the new facts.
    Returns :func:`as_dict` of the new version. Does not commit.
    """
    if registration_type not in content_module.REGISTRATION_TYPES:
        raise field_error(
            "registration_type", "登记类型无效", f"unknown registration type {registration_type!r}"
        )
    today = today or local_today()
    now = dt.datetime.utcnow()
    facts = _facts(package_id, institution_id, dataset_changes)
    package = facts["package"]
    _, operation_end = _operation_period(package)
    existing = (
        model.Session.query(Certificate)
        .filter(Certificate.package_id == package["id"], Certificate.status == validity.VALID)
        .with_for_update()
        .one_or_none()
    )
    if existing is not None and validity.effective_status(
        existing.status, existing.valid_until, today
    ) != validity.VALID:
        store = _intact(existing)
        existing.status = validity.EXPIRED
        existing.status_changed_at = now
        _reseal(existing, store)
        existing = None
    try:
        if registration_type == "initial":
            if existing is not None:
                raise field_error(
                    "package_id",
                    f"该数据已登记，登记编号 {existing.code}（重复登记）",
                    f"already registered under {existing.code} (duplicate registration)",
                )
            period = validity.first_period(today, operation_end, validity_years())
            category = codes.category_letter(package["type"])
            district = _district(facts["institution"], facts["registrant"])
            scope = codes.sequence_scope(district, today.year, category)
            code = str(codes.make_code(district, today.year, category, _next_sequence(scope)))
            return as_dict(
                _new_version(
                    facts=facts,
                    code=code,
                    version=1,
                    national_code=None,
                    registration_type=registration_type,
                    period=period,
                    issue_reason=ISSUE_REASON_REGISTRATION,
                    issued_at=now,
                    application_id=application_id,
                    actor_id=actor_id,
                ),
                today=today,
            )
        if existing is None:
            raise field_error(
                "package_id",
                "该数据没有有效的登记凭证，不能办理变更或更正",
                "no valid certificate to change or correct",
            )
        period = validity.amended_period(today, existing.term_end, operation_end)
        _supersede(existing, now, actor_id)
        return as_dict(
            _new_version(
                facts=facts,
                code=existing.code,
                version=existing.version + 1,
                national_code=existing.national_code,
                registration_type=registration_type,
                period=period,
                issue_reason=ISSUE_REASON_REGISTRATION,
                issued_at=now,
                application_id=application_id,
                actor_id=actor_id,
            ),
            today=today,
        )
    except validity.ValidityError as error:
        raise field_error(error.field, "有效期规则不允许此操作", str(error)) from None


def renew_certificate(
    code: str, *, actor_id: str | None = None, today: dt.date | None = None,
    institution_id: str | None = None,
) -> dict[str, Any]:
    """Renew (续展) a valid certificate within the renewal window, or an expired one within
    ``renewal_after_expiry_days``. ``institution_id``: the institution that issues the new
    version (default: the one that issued the current version; the city institution when
    that one is suspended). Does not commit."""
    today = today or local_today()
    now = dt.datetime.utcnow()
    current = _current_query().filter(Certificate.code == code).with_for_update().one_or_none()
    if current is None:
        raise field_error("code", "登记编号不存在", "no such registration code")
    _intact(current)
    status = effective_status(current, today)
    lapsed_in_grace = (status == validity.EXPIRED
                       and today <= current.valid_until
                       + dt.timedelta(days=renewal_after_expiry_days()))
    if status != validity.VALID and not lapsed_in_grace:
        raise field_error(
            "code",
            f"凭证状态为「{content_module.label(content_module.STATUS_LABELS, status)}」，不能续展",
            f"a {status} certificate cannot be renewed",
        )
    facts = _facts(current.package_id, institution_id or current.institution_id)
    _, operation_end = _operation_period(facts["package"])
    try:
        period = validity.renewed_period(
            today,
            current.valid_until,
            current.term_end,
            operation_end,
            validity_years(),
            renewal_window_days(),
            renewal_after_expiry_days(),
        )
    except validity.ValidityError as error:
        raise field_error(error.field, "不符合续展条件", str(error)) from None
    _supersede(current, now, actor_id)
    renewed = _new_version(
        facts=facts,
        code=current.code,
        version=current.version + 1,
        national_code=current.national_code,
        registration_type=current.registration_type,
        period=period,
        issue_reason=ISSUE_REASON_RENEWAL,
        issued_at=now,
        application_id=current.application_id,
        actor_id=actor_id,
    )
    return as_dict(renewed, today=today)


def _end(package_id: str, status: str, reason: str, actor_id: str | None) -> dict[str, Any] | None:
    current = (
        _current_query()
        .filter(Certificate.package_id == package_id)
        .filter(Certificate.status.in_((validity.VALID, validity.EXPIRED)))
        .order_by(Certificate.issued_at.desc())
        .with_for_update()
        .first()
    )
    if current is None:
        return None
    store = _intact(current)
    current.status = status
    current.status_reason = reason
    current.status_changed_at = dt.datetime.utcnow()
    current.status_changed_by = actor_id
    _reseal(current, store)
    return as_dict(current, include_private=True)


def revoke_certificate(
    package_id: str, *, reason: str, actor_id: str | None = None
) -> dict[str, Any] | None:
    """Mark the dataset's current certificate revoked (撤销, Art. 29). Does not commit.

    Returns the updated certificate, or None when the dataset has none to revoke.
    """
    return _end(package_id, validity.REVOKED, reason, actor_id)


def cancel_certificate(
    package_id: str, *, reason: str, actor_id: str | None = None
) -> dict[str, Any] | None:
    """Mark the dataset's current certificate cancelled (注销登记). Does not commit."""
    return _end(package_id, validity.CANCELLED, reason, actor_id)


def reinstate_certificate(
    package_id: str, *, reason: str, actor_id: str | None = None
) -> dict[str, Any] | None:
    """Undo a revocation that the city institution reversed (Art. 29). Does not commit.

    The revoked version becomes valid again (or expired, if its term ran out
    meanwhile); returns it, or None when the dataset has no revoked certificate.
    """
    current = (
        _current_query()
        .filter(Certificate.package_id == package_id, Certificate.status == validity.REVOKED)
        .order_by(Certificate.issued_at.desc())
        .with_for_update()
        .first()
    )
    if current is None:
        return None
    store = _intact(current)
    current.status = validity.VALID
    current.status_reason = reason
    current.status_changed_at = dt.datetime.utcnow()
    current.status_changed_by = actor_id
    _reseal(current, store)
    return as_dict(current, include_private=True)


def due_for_expiry(today: dt.date | None = None) -> list[tuple[str, str]]:
    """``(code, package_id)`` of valid certificates past their last valid day."""
    today = today or local_today()
    rows = (
        model.Session.query(Certificate.code, Certificate.package_id)
        .filter(Certificate.status == validity.VALID, Certificate.valid_until < today)
        .order_by(Certificate.valid_until)
        .all()
    )
    return [(row.code, row.package_id) for row in rows]


def expire_code(code: str, today: dt.date | None = None) -> bool:
    """Store ``expired`` on the code's certificate if it is due. Does not commit."""
    today = today or local_today()
    certificate = (
        _current_query()
        .filter(
            Certificate.code == code,
            Certificate.status == validity.VALID,
            Certificate.valid_until < today,
        )
        .with_for_update()
        .one_or_none()
    )
    if certificate is None:
        return False
    store = _intact(certificate)
    certificate.status = validity.EXPIRED
    certificate.status_changed_at = dt.datetime.utcnow()
    _reseal(certificate, store)
    return True


def expire_due(today: dt.date | None = None) -> list[tuple[str, str]]:
    """Expire every due certificate. Does not commit; returns ``(code, package_id)``."""
    due = due_for_expiry(today)
    return [(code, package_id) for code, package_id in due if expire_code(code, today)]


# Letters and digits of the Latin alphabet (str.isalnum would let Chinese through).
_NATIONAL_CODE = re.compile(r"[A-Za-z0-9]{1,64}")


def set_national_code(code: str, national_code: str) -> dict[str, Any]:
    """Record the national unified code (登记结果查询码) for a registration.

    Stored beside the certificate, not in the signed content: it appears on
    certificates issued afterwards (renewal, change) and in every API result.
    Does not commit.
    """
    national_code = (national_code or "").strip()
    if not _NATIONAL_CODE.fullmatch(national_code):
        raise field_error("national_code", "全国统一查询码格式无效", "invalid national code")
    current = current_for_code(code)
    if current is None:
        raise field_error("code", "登记编号不存在", "no such registration code")
    versions = versions_of(code)
    store = signing.default_keystore()
    for certificate in versions:
        _intact(certificate, store)
    for certificate in versions:
        certificate.national_code = national_code
        _reseal(certificate, store)
    return as_dict(current)


def reindex(package_ids: list[str] | set[str]) -> None:
    """Re-index datasets after a committed certificate change."""
    from ckan.lib.search import rebuild

    for package_id in set(package_ids):
        rebuild(package_id)
        signals.registration_changed.send(package_id)
