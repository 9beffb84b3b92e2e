"""Verifying a certificate by its code or by the PDF someone holds.

Results: ``valid``, ``expired``, ``revoked``, ``cancelled`` (the register's status
of a genuine certificate), ``superseded`` (genuine, but an earlier version of a
registration that has since been renewed, changed or corrected), ``not_genuine``
(with reasons) and ``not_found`` (no such code in the register).

A PDF is genuine only if all of these hold:
1. it carries the signed envelope as an attachment;
2. the SM2 signature verifies with the published key the envelope names, and
   that key belongs to the institution the envelope names;
3. the register holds that code and version with the very same signed document;
4. every value printed on the page appears in the page's text, so the visible
   certificate cannot differ from what was signed.
"""
from __future__ import annotations

import io
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pypdf
from pypdf.errors import PdfReadError

from ckanext.tjregistry.certificates import codes, issuance, signing, validity
from ckanext.tjregistry.certificates.content import printed_fields
from ckanext.tjregistry.certificates.pdf import ATTACHMENT_NAME
from ckanext.tjregistry.model.certificate import Certificate

NOT_GENUINE = "not_genuine"
NOT_FOUND = "not_found"
RESULTS = (*validity.STATUSES, NOT_GENUINE, NOT_FOUND)
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# Machine-readable reasons for NOT_GENUINE, with bilingual explanations.
REASONS: dict[str, tuple[str, str]] = {
    "no_signed_data": ("文件中没有登记凭证签名数据", "the file carries no signed certificate data"),
    "malformed": ("签名数据格式错误", "the signed data is malformed"),
    "unknown_key": ("签名密钥不是登记机构公布的公钥", "the signing key is not a published key"),
    "bad_signature": ("电子签名验证失败，内容被篡改或签名无效", "the signature does not verify"),
    "not_in_register": ("登记簿中没有该凭证", "the register holds no such certificate"),
    "register_mismatch": ("凭证内容与登记簿记录不一致", "the content differs from the register"),
    "printed_text_differs": (
        "凭证页面显示的内容与签名内容不一致",
        "the printed text differs from the signed content",
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
    certificate: Certificate | None = None
    current: Certificate | None = None

    @property
    def genuine(self) -> bool:
        return self.result not in (NOT_GENUINE, NOT_FOUND)


def _status_of(certificate: Certificate) -> Verification:
    if certificate.status == validity.SUPERSEDED:
        return Verification(
            validity.SUPERSEDED,
            certificate=certificate,
            current=issuance.current_for_code(certificate.code),
        )
    return Verification(issuance.effective_status(certificate), certificate=certificate)


def _register_copy_is_genuine(store: signing.KeyStore, certificate: Certificate) -> bool:
    envelope = certificate.envelope
    canonical = signing.canonical_json(signing.signed_document(envelope)).decode("utf-8")
    return canonical == certificate.canonical and signing.verify_envelope(store, envelope).genuine


def verify_code(text: str, store: signing.KeyStore | None = None) -> Verification:
    """Look a code up; raises :class:`codes.InvalidCode` for malformed or mistyped codes."""
    code = str(codes.parse(text))
    certificate = issuance.current_for_code(code)
    if certificate is None:
        return Verification(NOT_FOUND)
    # A register row whose own signature fails has been altered outside the platform.
    if not _register_copy_is_genuine(store or signing.default_keystore(), certificate):
        return Verification(NOT_GENUINE, ["register_mismatch"], certificate=certificate)
    return _status_of(certificate)


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


def _squash(text: str) -> str:
    """Drop whitespace and control characters (text extraction inserts both)."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C")


def _printed_text_matches(reader: pypdf.PdfReader, content: dict[str, Any]) -> bool:
    try:
        text = _squash("".join(page.extract_text() or "" for page in reader.pages))
    except Exception:  # any extraction failure means we cannot vouch for it
        return False
    return all(_squash(value) in text for _, value in printed_fields(content))


def verify_pdf(data: bytes, store: signing.KeyStore | None = None) -> Verification:
    """Verify an uploaded certificate PDF; raises :class:`UploadError` for bad files."""
    store = store or signing.default_keystore()
    reader = read_pdf(data)
    try:
        attachments = reader.attachments
        payloads = attachments.get(ATTACHMENT_NAME) or []
    except (PdfReadError, ValueError, KeyError, TypeError):
        payloads = []
    if len(payloads) != 1:
        return Verification(NOT_GENUINE, ["no_signed_data"])
    try:
        envelope = json.loads(payloads[0].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Verification(NOT_GENUINE, ["malformed"])
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
        return Verification(NOT_GENUINE, ["not_in_register"])
    canonical = signing.canonical_json(signing.signed_document(envelope)).decode("utf-8")
    if canonical != certificate.canonical:
        return Verification(NOT_GENUINE, ["register_mismatch"], certificate=certificate)
    if not _printed_text_matches(reader, content):
        return Verification(NOT_GENUINE, ["printed_text_differs"], certificate=certificate)
    return _status_of(certificate)
