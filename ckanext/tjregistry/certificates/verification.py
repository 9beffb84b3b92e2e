"""Verifying a certificate by its code or by the PDF someone holds.

Results
    ``valid``, ``expired``, ``revoked``, ``cancelled`` (the status the register's
    signed record gives a genuine certificate), ``superseded`` (genuine, but an
    earlier version of a registration since renewed, changed or corrected);
    ``not_original`` (非原件: the uploaded PDF names a real certificate but is not
    byte-for-byte the file the platform issued; the signed facts are returned to
    compare with the paper in hand); ``not_provable`` (无法证明为原件: the same, for a
    certificate whose file was handed out before file digests were recorded);
    ``tampered`` (the register row fails its check: edited outside the platform);
    ``not_genuine`` (with reasons) and ``not_found`` (no such code in the register).

A PDF is an original only if its SHA-256 equals the digest the register recorded,
under the register record's signature, when the platform issued the file
(files.py). Otherwise its attached signed envelope, if any, identifies the
certificate it claims to be (signature, published key, register copy), so that the
answer can say which certificate it imitates.

By code, and for every answer about a certificate, status and validity come from
the register's signed record (register.py), never from unsigned columns.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pypdf
from pypdf.errors import PdfReadError

from ckanext.tjregistry.certificates import codes, files, issuance, register, signing, validity
from ckanext.tjregistry.certificates.content import STATUS_LABELS
from ckanext.tjregistry.certificates.pdf import ATTACHMENT_NAME
from ckanext.tjregistry.model.certificate import Certificate

NOT_ORIGINAL = "not_original"
NOT_PROVABLE = "not_provable"
TAMPERED = "tampered"
NOT_GENUINE = "not_genuine"
NOT_FOUND = "not_found"
RESULTS = (*validity.STATUSES, NOT_ORIGINAL, NOT_PROVABLE, TAMPERED, NOT_GENUINE, NOT_FOUND)
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# (zh_Hans_CN, en) labels of the results that are not statuses.
RESULT_LABELS: dict[str, tuple[str, str]] = {
    NOT_ORIGINAL: ("非原件", "Not an original"),
    NOT_PROVABLE: ("无法证明为原件", "Cannot be proven original"),
    TAMPERED: ("登记簿记录被篡改", "Register record tampered"),
    NOT_GENUINE: ("非真实凭证", "Not genuine"),
    NOT_FOUND: ("未找到凭证", "No such certificate"),
}



def result_label(result: str) -> tuple[str, str]:
    """(zh_Hans_CN, en) label of a result."""
    return RESULT_LABELS.get(result) or STATUS_LABELS.get(result) or (result, result)


# Machine-readable reasons, with bilingual explanations.
REASONS: dict[str, tuple[str, str]] = {
    "no_signed_data": ("文件中没有登记凭证签名数据", "the file carries no signed certificate data"),
    "malformed": ("签名数据格式错误", "the signed data is malformed"),
    "unknown_key": ("签名密钥不是登记机构公布的公钥", "the signing key is not a published key"),
    "bad_signature": ("电子签名验证失败，内容被篡改或签名无效", "the signature does not verify"),
    "not_in_register": ("登记簿中没有该凭证", "the register holds no such certificate"),
    register.ENVELOPE_BROKEN: (
        "凭证内容与登记簿记录不一致", "the content differs from the register"
    ),
    register.UNSEALED: (
        "登记簿记录没有电子签名，无法确认其状态和有效期",
        "the register record is not signed; its status and validity cannot be confirmed",
    ),
    register.BAD_RECORD_SIGNATURE: (
        "登记簿记录的电子签名验证失败",
        "the signature of the register record does not verify",
    ),
    register.ALTERED: (
        "登记簿记录（状态、有效期或文件摘要）与其电子签名不一致，已被直接修改",
        "the register record (status, validity or file digest) differs from what was signed",
    ),
    "file_differs": (
        "该文件与登记平台出具的凭证文件不是同一文件（内容已被修改或重新保存），"
        "请以下方登记簿签名信息为准核对纸面凭证",
        "the file is not the file the platform issued (it was altered or re-saved); "
        "compare the paper in hand with the signed facts below",
    ),
    "file_not_recorded": (
        "该凭证文件出具于登记平台记录文件摘要之前，上传文件无法证明为原件，"
        "请以下方登记簿签名信息为准核对",
        "the certificate's file was issued before file digests were recorded, so the "
        "upload cannot be proven original; compare it with the signed facts below",
    ),
}


class UploadError(ValueError):
    """The upload is not a PDF we can read, or is too large."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.reason = reason


@dataclass
class Verification:
    result: str
    reasons: list[str] = field(default_factory=list)
    # Set only when the certificate's register row passed its check.
    certificate: Certificate | None = None
    current: Certificate | None = None
    code: str | None = None
    # The status the register's signed record gives ``certificate`` today.
    status: str | None = None
    # For uploads: True byte-identical to the issued file, False not, None unknown.
    original: bool | None = None
    # What the register signs about ``certificate`` (register.signed_facts).
    facts: dict[str, Any] | None = None

    @property
    def genuine(self) -> bool:
        """A genuine certificate (by code) or an original file (by upload)."""
        return self.result in validity.STATUSES


def _about(store: signing.KeyStore, certificate: Certificate, today: dt.date) -> Verification:
    """The register's signed answer about one certificate version."""
    problems = register.check(store, certificate)
    if problems:
        return Verification(TAMPERED, problems, code=certificate.code)
    status = register.sealed_status(certificate, today)
    current = None
    if status == validity.SUPERSEDED:
        current = issuance.current_for_code(certificate.code)
        current_problems = (
            register.check(store, current) if current is not None else [register.ALTERED]
        )
        if current_problems:
            return Verification(TAMPERED, current_problems, code=certificate.code)
    return Verification(
        status,
        certificate=certificate,
        current=current,
        code=certificate.code,
        status=status,
        facts=register.signed_facts(certificate, today),
    )


def _register_copy_is_genuine(store: signing.KeyStore, certificate: Certificate) -> bool:
    """The row's certificate signature and its signed register record both check out
    (the backup's restore check uses it)."""
    return not register.check(store, certificate)


def verify_code(text: str, store: signing.KeyStore | None = None) -> Verification:
    """Look a code up; raises :class:`codes.InvalidCode` for malformed or mistyped codes."""
    store = store or signing.default_keystore()
    code = str(codes.parse(text))
    certificate = issuance.current_for_code(code)
    if certificate is None:
        versions = issuance.versions_of(code)
        if not versions:
            return Verification(NOT_FOUND, code=code)
        # Every version reads superseded: the current one was edited in the database.
        problems = register.check(store, versions[-1]) or [register.ALTERED]
        return Verification(TAMPERED, problems, code=code)
    return _about(store, certificate, issuance.local_today())


def max_upload_bytes() -> int:
    import ckan.plugins.toolkit as tk

    return tk.asint(
        tk.config.get("tjregistry.certificate.max_upload_bytes") or DEFAULT_MAX_UPLOAD_BYTES
    )


def read_pdf(data: bytes, limit: int | None = None) -> pypdf.PdfReader:
    limit = limit or max_upload_bytes()
    if len(data) > limit:
        raise UploadError(
            "too_large",
            f"文件超过 {limit // 1024} KB 上限",
            f"the file exceeds the {limit // 1024} KB limit",
        )
    if not data.startswith(b"%PDF-"):
        raise UploadError("not_pdf", "文件不是 PDF", "the file is not a PDF")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        _ = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise UploadError("not_pdf", "无法读取该 PDF 文件", "the PDF cannot be read") from None
    return reader


def _attached(reader: pypdf.PdfReader) -> dict[str, Any] | str:
    """The signed envelope attached to the PDF, or the reason there is none."""
    try:
        payloads = reader.attachments.get(ATTACHMENT_NAME) or []
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
        payloads = []
    if len(payloads) != 1:
        return "no_signed_data"
    try:
        envelope = json.loads(payloads[0].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "malformed"
    return envelope if isinstance(envelope, dict) else "malformed"


def attached_envelope(data: bytes) -> dict[str, Any] | None:
    """The signed envelope a PDF carries, if any (no size limit: for stored files)."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return None
    envelope = _attached(reader)
    return envelope if isinstance(envelope, dict) else None


def verify_pdf(data: bytes, store: signing.KeyStore | None = None) -> Verification:
    """Verify an uploaded certificate PDF; raises :class:`UploadError` for bad files."""
    store = store or signing.default_keystore()
    today = issuance.local_today()
    reader = read_pdf(data)
    issued = files.by_digest(hashlib.sha256(data).hexdigest())
    if issued is not None:
        # Byte for byte the file the platform issued for this version.
        answer = _about(store, issued, today)
        if answer.result != TAMPERED:
            answer.original = True
        return answer
    # Not an issued file. If it carries a genuine signed envelope, say which
    # certificate it imitates and what the register signs about it.
    envelope = _attached(reader)
    if isinstance(envelope, str):
        return Verification(NOT_GENUINE, [envelope])
    check = signing.verify_envelope(store, envelope)
    if not check.genuine:
        return Verification(NOT_GENUINE, [check.reason])
    content = envelope["content"]
    try:
        code, version = str(codes.parse(str(content.get("code")))), int(content.get("version"))
    except (codes.InvalidCode, TypeError, ValueError):
        return Verification(NOT_GENUINE, ["malformed"])
    certificate = issuance.version_for_code(code, version)
    if certificate is None:
        return Verification(NOT_GENUINE, ["not_in_register"], code=code)
    canonical = signing.canonical_json(signing.signed_document(envelope)).decode("utf-8")
    if canonical != certificate.canonical:
        return Verification(NOT_GENUINE, [register.ENVELOPE_BROKEN], code=code)
    answer = _about(store, certificate, today)
    if answer.result == TAMPERED:
        return answer
    if register.sealed(certificate)["file_record_complete"]:
        answer.result, answer.reasons, answer.original = NOT_ORIGINAL, ["file_differs"], False
    else:
        answer.result, answer.reasons = NOT_PROVABLE, ["file_not_recorded"]
    return answer
