"""Objections (异议) during publicity (Art. 20): filing, answering, deciding, visibility.

* Anyone may object while an application's publicity runs, under their real name:
  name, identity document (type and number; resident ID numbers are checked with the
  GB 11643 check digit, credit codes with GB 32100) and a contact, with a statement
  and at least one evidence file. The objector receives a number and a secret token
  (shown once) to follow the objection.
* Filing moves the application to ``objection_pending`` (workflow ``receive_objection``)
  and notifies the registrant and the institution. The registrant may answer once
  (``respond_objection``). The institution handling the application decides, with a
  written finding: upheld terminates the registration (``terminate``), not upheld lets
  it continue (``dismiss_objection``: back to publicity once no objection is pending).
* Who sees what: the institution handling the application (its acting institution,
  see ``jurisdiction``) and sysadmins see everything; the registrant sees the
  statement, its answer and the decision, never the objector's identity, contacts or
  evidence; the objector, with the token, sees their own objection and its decision.
* Evidence files are checked by content (libmagic) against the allowed types and
  sizes and stored outside the web root under random names; every change happens in
  one transaction, and files written for a failed filing are removed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import magic
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction, ratelimit, workdays
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.metadata.validators import (
    EMAIL_PATTERN,
    LANDLINE_PATTERN,
    MOBILE_PATTERN,
    USCC_PATTERN,
    uscc_check_character,
)
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.model.objection import Objection, ObjectionFile, ObjectionSequence
from ckanext.tjregistry.publicity import objection_limits
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.registration import agencies, duties, notifications, workflow

log = logging.getLogger(__name__)

L = workflow.L

PENDING, UPHELD, NOT_UPHELD, CLOSED = "pending", "upheld", "not_upheld", "closed"
STATUS_LABELS = {
    PENDING: L("待处理", "Pending"),
    UPHELD: L("异议成立", "Upheld"),
    NOT_UPHELD: L("异议不成立", "Not upheld"),
    CLOSED: L("已终结", "Closed"),
}
DECISIONS = (UPHELD, NOT_UPHELD)
CATEGORY_LABELS = {
    "rights_dispute": L("数据权属争议", "Dispute over data rights"),
    "inaccurate_information": L("公示信息不实", "The published information is inaccurate"),
    "infringement": L("侵害合法权益(个人信息、商业秘密等)",
                      "Infringes lawful rights (personal information, trade secrets, ...)"),
    "other": L("其他", "Other"),
}
ID_TYPE_LABELS = {
    "resident_id": L("居民身份证(含港澳台居民居住证)",
                     "Resident identity card (incl. residence permits)"),
    "passport": L("护照", "Passport"),
    "hk_macao_permit": L("港澳居民来往内地通行证", "Mainland travel permit (Hong Kong/Macao)"),
    "taiwan_permit": L("台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
    "foreign_permanent_resident": L("外国人永久居留身份证",
                                    "Foreign permanent resident ID card"),
    "uscc": L("统一社会信用代码(单位)", "Unified social credit code (organizations)"),
}
CLOSED_REASON_LABELS = {
    "terminate": L("登记已因其他异议成立而终止", "The registration was terminated"),
    "consent_withdrawal": L("登记申请已撤回", "The application was withdrawn"),
}

# GB 11643-1999: weights and check characters of the 18-digit citizen identity number.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes, plus 81–83 (Hong Kong, Macao, Taiwan residence permits).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83"})
ID_PATTERNS = {
    "passport": re.compile(r"^[A-Z0-9]{5,17}$"),
    "hk_macao_permit": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    "taiwan_permit": re.compile(r"^\d{8}(\d{2})?$"),
    "foreign_permanent_resident": re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX])$"),
}
NAME_MAX = 100
STATEMENT_MIN = 10


def label(labels: dict[str, dict[str, str]], key: str | None, lang: str = "zh_Hans_CN") -> str:
    entry = labels.get(key or "")
    return (entry.get(lang) or entry["zh_Hans_CN"]) if entry else (key or "")


# ---------------------------------------------------------------------------
# Identity documents


def resident_id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight
                for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_problem(number: str, today: dt.date | None = None) -> str | None:
    """Why ``number`` is not a valid GB 11643 identity number, or None if it is.

    Reasons: ``format``, ``region``, ``birth_date`` or ``check``.
    """
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "format"
    if number[:2] not in PROVINCE_CODES:
        return "region"
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth_date"
    if born < dt.date(1900, 1, 1) or born > (today or dt.date.today()):
        return "birth_date"
    if resident_id_check_character(number[:17]) != number[17]:
        return "check"
    return None


_RESIDENT_ID_MESSAGES = {
    "format": ("身份证号码应为18位,最后一位可为X", "an identity number has 18 characters, "
               "17 digits and a digit or X"),
    "region": ("身份证号码的地区码无效", "the region code of the identity number is invalid"),
    "birth_date": ("身份证号码中的出生日期无效", "the birth date in the identity number is "
                   "invalid"),
    "check": ("身份证号码校验位不正确,请核对", "the check digit of the identity number is wrong"),
}


def normalise_identity(id_type: str, number: str) -> str:
    """The identity document number in canonical form, or a ``ValidationError``."""
    if id_type not in ID_TYPE_LABELS:
        raise field_error("id_type", "请选择证件类型", "choose an identity document type")
    number = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", number or "")).upper()
    if not number:
        raise field_error("id_number", "请填写证件号码", "the identity document number is required")
    if id_type == "resident_id":
        problem = resident_id_problem(number)
        if problem:
            raise field_error("id_number", *_RESIDENT_ID_MESSAGES[problem])
    elif id_type == "uscc":
        if not USCC_PATTERN.match(number) or uscc_check_character(number[:17]) != number[17]:
            raise field_error("id_number", "统一社会信用代码无效(18位,校验位须正确)",
                         "invalid unified social credit code (18 characters, check character)")
    elif not ID_PATTERNS[id_type].match(number):
        raise field_error("id_number", "证件号码格式不正确", "the document number is not in the "
                     "format of this document type")
    return number


def mask_identity(number: str) -> str:
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


# ---------------------------------------------------------------------------
# Configuration


def storage_dir() -> str:
    configured = tk.config.get("tjregistry.objection.storage_dir") or ""
    return configured or os.path.join(tk.config.get("ckan.storage_path") or ".",
                                      "tjregistry", "objections")


def max_file_bytes() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.max_file_bytes"))


def max_files() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.max_files"))


def allowed_types() -> list[str]:
    return tk.aslist(tk.config.get("tjregistry.objection.evidence_types"))


def statement_max() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.statement_max_length"))


def decision_days() -> int:
    return tk.asint(tk.config.get("tjregistry.limits.objection_decision"))


# ---------------------------------------------------------------------------
# Evidence files


@dataclass(frozen=True)
class Evidence:
    name: str
    data: bytes
    mime_type: str
    sha256: str


def _upload_name(upload: Any) -> str:
    return str(getattr(upload, "filename", "") or "")


def safe_filename(name: str) -> str:
    """A display name: no directories, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:120] or "evidence"


def _read(upload: Any, limit: int) -> bytes:
    stream = getattr(upload, "stream", None) or getattr(upload, "file", None) or upload
    if not hasattr(stream, "read"):
        raise field_error("evidence", "请上传证据材料文件", "upload the evidence as files")
    return stream.read(limit + 1)


def uploads_in(data: dict[str, Any]) -> list[Any]:
    """Uploaded evidence: ``evidence`` (one or a list) and ``evidence_<n>`` keys (the API)."""
    found: list[Any] = []
    value = data.get("evidence")
    if isinstance(value, list | tuple):
        found.extend(value)
    elif value not in (None, ""):
        found.append(value)
    for key in sorted(k for k in data if re.fullmatch(r"evidence_\d+", str(k))):
        if data[key] not in (None, ""):
            found.append(data[key])
    return [upload for upload in found if _upload_name(upload) or isinstance(upload, bytes)]


def read_evidence(uploads: list[Any]) -> list[Evidence]:
    """Read and check the evidence files (count, size, type by content)."""
    if not uploads:
        raise field_error("evidence", "请上传至少一份证据材料",
                          "at least one evidence file is required")
    if len(uploads) > max_files():
        raise field_error("evidence", f"证据材料最多 {max_files()} 份",
                     f"at most {max_files()} evidence files")
    limit = max_file_bytes()
    allowed = allowed_types()
    result = []
    for upload in uploads:
        name = safe_filename(_upload_name(upload))
        data = _read(upload, limit)
        if not data:
            raise field_error("evidence", f"文件为空:{name}", f"the file is empty: {name}")
        if len(data) > limit:
            raise field_error("evidence", f"文件过大:{name}(每份不超过 {limit // 1024} KB)",
                         f"file too large: {name} (at most {limit // 1024} KB each)")
        mime_type = magic.from_buffer(data, mime=True)
        if mime_type not in allowed:
            raise field_error("evidence", f"不接受的文件类型:{name}({mime_type})",
                         f"file type not accepted: {name} ({mime_type})")
        result.append(Evidence(name, data, mime_type, hashlib.sha256(data).hexdigest()))
    return result


def file_path(stored_name: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise ValueError("bad stored name")
    return os.path.join(storage_dir(), stored_name[:2], stored_name)


def _write(evidence: Evidence) -> str:
    stored_name = secrets.token_hex(16)
    path = file_path(stored_name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(evidence.data)
    return stored_name


def _remove(stored_names: list[str]) -> None:
    for stored_name in stored_names:
        try:
            os.remove(file_path(stored_name))
        except OSError:
            log.warning("could not remove evidence file %s", stored_name)


# ---------------------------------------------------------------------------
# Who may see what


def handles(user: model.User | None, objection: Objection) -> bool:
    """The institution handling the application (today's acting institution) and sysadmins;
    a reviewer tied to the registrant is recused and does not see the objector."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    return (jurisdiction.is_reviewer_for(user, objection.institution_id)
            and duties.recusal(user, objection.registrant_id) is None)


def may_decide(user: model.User | None, objection: Objection) -> bool:
    # As for every workflow decision, administering the platform does not make one a reviewer.
    return (jurisdiction.is_reviewer_for(user, objection.institution_id)
            and duties.recusal(user, objection.registrant_id) is None)


def may_respond(user: model.User | None, objection: Objection) -> bool:
    """Those who act for the registrant in its applications (the workflow's registrant role)."""
    return (jurisdiction.acts_for(user, objection.registrant_id)
            or agencies.acts_for(user, objection.registrant_id, agencies.APPLICATION))


def registrant_side(user: model.User | None, objection: Objection) -> bool:
    if user is None:
        return False
    return (jurisdiction.capacity(user, objection.registrant_id) is not None
            or agencies.acts_for(user, objection.registrant_id))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(objection: Objection, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(objection.token_hash, token_hash(str(token)))


def view_for(user: model.User | None, objection: Objection, token: str | None = None) -> str | None:
    """``institution``, ``registrant`` or ``objector``: which view of it the caller gets."""
    if handles(user, objection):
        return "institution"
    if token_matches(objection, token):
        return "objector"
    if registrant_side(user, objection):
        return "registrant"
    return None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _user_name(user_id: str | None) -> str | None:
    user = model.User.get(user_id) if user_id else None
    return user.display_name if user else None


def files_of(objection: Objection) -> list[ObjectionFile]:
    return (model.Session.query(ObjectionFile)
            .filter(ObjectionFile.objection_id == objection.id)
            .order_by(ObjectionFile.created, ObjectionFile.id).all())


def as_dict(objection: Objection, view: str) -> dict[str, Any]:
    """The objection as ``view`` may see it (see ``view_for``)."""
    app = model.Session.get(Application, objection.application_id)
    proposed = (app.proposed or {}) if app is not None else {}
    result: dict[str, Any] = {
        "id": objection.id,
        "number": objection.number,
        "application_id": objection.application_id,
        "package_id": objection.package_id,
        "data_name": proposed.get("title") or proposed.get("name") or "",
        "application_state": app.state if app is not None else None,
        "status": objection.status,
        "status_label": STATUS_LABELS[objection.status],
        "category": objection.category,
        "category_label": CATEGORY_LABELS.get(objection.category, L("", "")),
        "created": _iso(objection.created),
        "decide_due": _iso(objection.decide_due),
        "decided_at": _iso(objection.decided_at),
        "finding": objection.finding,
        "closed_reason": objection.closed_reason,
        "interest": objection.interest,
        "interest_label": objection_limits.interest_label(objection.interest),
    }
    if view in ("institution", "registrant"):
        result.update(statement=objection.statement, response=objection.response,
                      responded_at=_iso(objection.responded_at),
                      responded_by=_user_name(objection.responded_by))
    if view in ("institution", "objector"):
        # The explanation may say who the objector is: not for the registrant.
        result.update(interest_statement=objection.interest_statement)
    if view == "institution":
        result.update(
            withdrawal_requested_at=_iso(objection.withdrawal_requested_at),
            objector_name=objection.objector_name, id_type=objection.id_type,
            id_number=objection.id_number, contact_phone=objection.contact_phone,
            contact_email=objection.contact_email,
            decided_by=_user_name(objection.decided_by),
            files=[{"id": f.id, "name": f.original_name, "mime_type": f.mime_type,
                    "size": f.size, "sha256": f.sha256} for f in files_of(objection)])
    if view == "objector":
        result.update(statement=objection.statement, objector_name=objection.objector_name,
                      id_type=objection.id_type, id_number=mask_identity(objection.id_number),
                      files=[{"name": f.original_name, "size": f.size}
                             for f in files_of(objection)])
    return result


# ---------------------------------------------------------------------------
# Reading helpers for the workflow and the pages


def pending_count(session: Any, application_id: str) -> int:
    return (session.query(sa.func.count(Objection.id))
            .filter(Objection.application_id == application_id, Objection.status == PENDING)
            .scalar())


def close_pending(session: Any, app: Application, *, now: dt.datetime, reason: str) -> list[str]:
    """Close the undecided objections of an application that ended otherwise."""
    rows = (session.query(Objection)
            .filter(Objection.application_id == app.id, Objection.status == PENDING)
            .with_for_update().all())
    for row in rows:
        row.status = CLOSED
        row.closed_reason = reason
        row.decided_at = now
    session.flush()
    return sorted(row.number for row in rows)


def counts_for_institution(institution_ids: list[str], start: dt.date,
                           end: dt.date) -> dict[str, int]:
    """Objections filed in [start, end] (local dates) on applications of these institutions,
    by status, with their total (for the institutions' service reports)."""
    zone = workdays.timezone()
    since = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.timezone.utc)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(
        dt.timezone.utc)
    rows = (model.Session.query(Objection.status, sa.func.count(Objection.id))
            .filter(Objection.institution_id.in_(institution_ids or [""]),
                    Objection.created >= since.replace(tzinfo=None),
                    Objection.created < until.replace(tzinfo=None))
            .group_by(Objection.status).all())
    counts = dict.fromkeys(STATUS_LABELS, 0)
    counts.update({status: count for status, count in rows})
    counts["total"] = sum(count for _status, count in rows)
    return counts


def get(objection_id: str) -> Objection:
    """By id or by number."""
    found = (model.Session.query(Objection)
             .filter(sa.or_(Objection.id == objection_id, Objection.number == objection_id))
             .one_or_none())
    if found is None:
        raise tk.ObjectNotFound("异议不存在 / Objection not found")
    return found


def visible_query(user: model.User | None) -> Any:
    """Objections the user may list: as the handling institution or the registrant."""
    query = model.Session.query(Objection)
    if user is None:
        return query.filter(sa.false())
    if user.sysadmin:
        return query
    institutions = jurisdiction.institutions_in_jurisdiction(user)
    registrants = [org.id for org in jurisdiction.user_orgs(user, "registrant", acting=False)]
    registrants += agencies.represented_registrants(user)
    return query.filter(sa.or_(Objection.institution_id.in_(institutions or [""]),
                               Objection.registrant_id.in_(registrants or [""])))


# ---------------------------------------------------------------------------
# Changes (each in one transaction)


def _next_number(session: Any, year: int) -> str:
    table = ObjectionSequence.__table__
    value = session.execute(
        pg_insert(table).values(year=year, last_value=1)
        .on_conflict_do_update(index_elements=[table.c.year],
                               set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value)).scalar_one()
    return f"TJYY-{year}-{value:06d}"


def _lock_application(session: Any, application_id: str) -> Application:
    app = (session.query(Application).filter(Application.id == application_id)
           .populate_existing().with_for_update().one_or_none())
    if app is None:
        raise tk.ObjectNotFound("登记申请不存在 / Application not found")
    return app


def _lock(session: Any, objection_id: str) -> tuple[Objection, Application]:
    objection = get(objection_id)
    app = _lock_application(session, objection.application_id)
    objection = (session.query(Objection).filter(Objection.id == objection.id)
                 .populate_existing().with_for_update().one())
    return objection, app


def _after_commit(outcome: workflow.Outcome, extra: list[Callable[[], None]] = ()) -> None:
    for step in [*outcome.after_commit, *extra]:
        try:
            step()
        except Exception:
            log.exception("after-commit step failed for %s", outcome.package_id)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""


def validate_filing(data: dict[str, Any]) -> dict[str, Any]:
    """The objector's fields checked and normalised; every problem reported at once."""
    errors: dict[str, list[str]] = {}

    def fail(error: tk.ValidationError) -> None:
        for key, messages in error.error_dict.items():
            errors.setdefault(key, []).extend(messages)

    clean: dict[str, Any] = {}
    name = _text(data, "objector_name")
    if not name or len(name) > NAME_MAX or any(unicodedata.category(c)[0] == "C" for c in name):
        fail(field_error("objector_name", "请填写真实姓名或单位名称(不超过100字)",
                    "give your real name or your organization's name (at most 100 characters)"))
    clean["objector_name"] = name
    try:
        clean["id_type"] = _text(data, "id_type")
        clean["id_number"] = normalise_identity(clean["id_type"], _text(data, "id_number"))
    except tk.ValidationError as error:
        fail(error)
    if "id_type" in errors and not _text(data, "id_number"):
        # The number cannot be checked without its type, but a missing one is reported now.
        fail(field_error("id_number", "请填写证件号码", "the identity document number is required"))
    phone = re.sub(r"[\s()()]", "", _text(data, "contact_phone"))
    if not (MOBILE_PATTERN.match(phone) or LANDLINE_PATTERN.match(phone)):
        fail(field_error("contact_phone", "请填写手机号码或带区号的固定电话",
                    "give a mobile number or a landline number with area code"))
    clean["contact_phone"] = phone
    email = _text(data, "contact_email")
    if email and (len(email) > 200 or not EMAIL_PATTERN.match(email)):
        fail(field_error("contact_email", "电子邮箱格式不正确", "invalid e-mail address"))
    clean["contact_email"] = email or None
    category = _text(data, "category")
    if category not in CATEGORY_LABELS:
        fail(field_error("category", "请选择异议事由", "choose the ground of the objection"))
    clean["category"] = category
    statement = _text(data, "statement")
    if len(statement) < STATEMENT_MIN or len(statement) > statement_max():
        fail(field_error("statement", f"异议陈述应为 {STATEMENT_MIN}–{statement_max()} 字",
                    f"the statement must have {STATEMENT_MIN}–{statement_max()} characters"))
    clean["statement"] = statement
    # Art. 20 相关当事人: how the objector is concerned (objection_limits.py).
    clean["interest"] = _text(data, "interest")
    clean["interest_statement"] = _text(data, "interest_statement")
    for key, messages in objection_limits.validate_interest(
            clean["interest"], clean["interest_statement"], statement_max()).items():
        errors.setdefault(key, []).extend(messages)
    if not _text(data, "truthful") or not tk.asbool(data.get("truthful")):
        fail(field_error("truthful", "请确认所填信息真实并愿意承担相应责任",
                    "confirm that the information is true"))
    if errors:
        raise tk.ValidationError(errors)
    return clean


def create(data: dict[str, Any], uploads: list[Any], *,
           address: str | None = None) -> tuple[Objection, str]:
    """File an objection; returns it and the objector's token (shown once)."""
    application_id = _text(data, "application_id")
    if not application_id:
        raise field_error("application_id", "请指定公示事项", "application_id is required")
    errors: dict[str, Any] = {}
    try:
        clean = validate_filing(data)
    except tk.ValidationError as error:
        errors.update(error.error_dict)
    try:
        evidence = read_evidence(uploads)
    except tk.ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise tk.ValidationError(errors)
    # Count only well-formed filings against the address: typos should not lock anyone out.
    ratelimit.hit("objection", address)
    token = secrets.token_urlsafe(24)
    stored: list[str] = []
    try:
        with workflow.transaction() as session:
            app = _lock_application(session, application_id)
            today = workdays.local_today()
            if app.state not in ("publicity", "objection_pending") or app.publicity_end is None:
                raise field_error("application_id", "该事项不在公示期内,不能提出异议",
                             "the application is not in publicity")
            if publicity.has_ended(app.publicity_end):
                raise field_error("application_id", "公示期已结束,不能再提出异议",
                             "the publicity period has ended")
            objection_limits.check_identity(session, app.id, clean["id_type"],
                                            clean["id_number"])
            objection = Objection(
                number=_next_number(session, today.year), application_id=app.id,
                package_id=app.package_id, registrant_id=app.registrant_id,
                institution_id=app.institution_id, status=PENDING,
                token_hash=token_hash(token),
                client_hash=ratelimit.address_hash(address) if address else None,
                decide_due=workdays.add_workdays(today, decision_days()), **clean)
            session.add(objection)
            session.flush()
            for item in evidence:
                stored_name = _write(item)
                stored.append(stored_name)
                session.add(ObjectionFile(
                    objection_id=objection.id, stored_name=stored_name,
                    original_name=item.name, mime_type=item.mime_type, size=len(item.data),
                    sha256=item.sha256))
            session.flush()
            outcome = workflow.perform(
                "receive_objection", actor=workflow.Actor.system_actor(),
                application_id=app.id, inputs={"objection_number": objection.number},
                session=session)
    except IntegrityError as error:
        _remove(stored)
        if "tjregistry_objection_one_pending" in str(error.orig):
            raise field_error("id_number", "您对该事项已有待处理的异议",
                         "you already have a pending objection to this application") from error
        raise
    except BaseException:
        _remove(stored)
        raise
    _after_commit(outcome)
    return objection, token


def respond(objection_id: str, user: model.User, response: str) -> Objection:
    """The registrant's answer to an objection (once, while it is pending)."""
    response = unicodedata.normalize("NFC", response or "").strip()
    if len(response) < STATEMENT_MIN or len(response) > statement_max():
        raise field_error("response", f"答复应为 {STATEMENT_MIN}–{statement_max()} 字",
                     f"the response must have {STATEMENT_MIN}–{statement_max()} characters")
    with workflow.transaction() as session:
        objection, app = _lock(session, objection_id)
        if objection.status != PENDING:
            raise field_error("state", "该异议已处理,不能再答复", "the objection has been decided")
        if objection.response:
            raise field_error("response", "已答复过该异议", "the objection was already answered")
        objection.response = response
        objection.responded_at = dt.datetime.utcnow()
        objection.responded_by = user.id
        session.flush()
        outcome = workflow.perform(
            "respond_objection", actor=workflow.Actor(user=user), application_id=app.id,
            inputs={"objection_number": objection.number}, session=session)
    _after_commit(outcome)
    return objection


def decide(objection_id: str, user: model.User, decision: str, finding: str) -> Objection:
    """The institution's decision with its written finding.

    Upheld: the registration is terminated (Art. 20) and other pending objections
    are closed. Not upheld: once no objection is pending the application returns to
    publicity, and if the period is already over the sweep is queued at once so the
    certificate is issued without waiting for the next scheduled run.
    """
    finding = unicodedata.normalize("NFC", finding or "").strip()
    if decision not in DECISIONS:
        raise field_error("decision", "请选择异议成立或不成立",
                          "decision must be upheld or not_upheld")
    if len(finding) < STATEMENT_MIN or len(finding) > statement_max():
        raise field_error("finding", f"请填写书面调查结论({STATEMENT_MIN}–{statement_max()} 字)",
                     f"the written finding must have {STATEMENT_MIN}–{statement_max()} "
                     "characters")
    with workflow.transaction() as session:
        objection, app = _lock(session, objection_id)
        if objection.status != PENDING:
            raise field_error("state", "该异议已处理", "the objection has already been decided")
        objection.status = decision
        objection.finding = finding
        objection.decided_at = dt.datetime.utcnow()
        objection.decided_by = user.id
        session.flush()
        action = "terminate" if decision == UPHELD else "dismiss_objection"
        outcome = workflow.perform(
            action, actor=workflow.Actor(user=user), application_id=app.id,
            inputs={"reasons": finding, "objection_number": objection.number}, session=session)
    extra = [lambda: _tell_objector(objection)]
    if outcome.to_state == "publicity" and publicity.has_ended(app.publicity_end):
        extra.append(publicity.enqueue_sweep)
    _after_commit(outcome, extra)
    return objection


def _tell_objector(objection: Objection) -> None:
    if not objection.contact_email or not notifications.email_enabled():
        return
    subject = (f"[{tk.config.get('ckan.site_title')}] 异议处理结果 / Objection decided: "
               f"{objection.number}")
    body = "\n".join([
        f"异议编号 / Number: {objection.number}",
        f"结果 / Decision: {label(STATUS_LABELS, objection.status)} / "
        f"{label(STATUS_LABELS, objection.status, 'en')}",
        f"调查结论 / Finding: {objection.finding}",
    ])
    notifications.send([(objection.objector_name, objection.objector_name,
                         objection.contact_email)], subject, body)
