"""Input schemas of the certificate actions (navl), one per action (``common/validation.py``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjregistry.certificates import codes, verification
from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.common.validation import (
    Schema,
    Validator,
    integer,
    refuse,
    required,
    required_unless,
    text,
)
from ckanext.tjregistry.common.validation import validator as _v

MISSING_CODE = bilingual("请填写登记编号", "Missing value")
CODE_OR_PDF = bilingual("请填写登记编号或上传凭证 PDF", "Give a code or a PDF")
VERSION = bilingual("版本号必须是整数", "Must be an integer")
NOT_A_FILE = bilingual("请上传 PDF 文件", "Upload a PDF file")
_CODE_ERRORS = {
    "length": "登记编号长度不正确",
    "format": "登记编号格式不正确",
    "check": "登记编号校验位不符，可能输入有误",
}


def _code(*, required: bool = False) -> Validator:
    """A registration code typed in any grouping, in its canonical form. An empty value is
    None, or refused when ``required``."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        value = data.get(key)
        if value is tk.missing or not value:
            if required:
                refuse(key, errors, MISSING_CODE)
            data[key] = None
            raise tk.StopOnError
        if not isinstance(value, str):
            refuse(key, errors, MISSING_CODE)
        try:
            data[key] = str(codes.parse(value))
        except codes.InvalidCode as error:
            refuse(key, errors, bilingual(_CODE_ERRORS[error.reason], str(error)))
    return validator


def _uploaded(value: Any) -> bool:
    return value is not tk.missing and value is not None and value != ""


def _ignored_with_upload(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                         context: Context) -> None:
    """Verifying an uploaded PDF ignores the code."""
    if _uploaded(data.get(key[:-1] + ("upload",))):
        data[key] = None
        raise tk.StopOnError


def _blank_is_missing(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                      context: Context) -> None:
    if data.get(key) == "":
        data.pop(key, None)
        raise tk.StopOnError


def _pdf_bytes(value: Any) -> bytes:
    """The uploaded file's content, up to one byte over the size limit (which is enough
    to know the file is too large)."""
    limit = verification.max_upload_bytes()
    if isinstance(value, bytes):
        return value[: limit + 1]
    stream = getattr(value, "stream", None) or getattr(value, "file", None) or value
    if not hasattr(stream, "read"):
        raise tk.Invalid(NOT_A_FILE)
    return stream.read(limit + 1)


def certificate_show() -> Schema:
    return {
        "code": [required_unless("package_id", MISSING_CODE), _code()],
        "package_id": [_v("ignore_missing"), text(numbers=True)],
        "version": [_v("ignore_missing"), _blank_is_missing, integer(VERSION)],
    }


def certificate_verify() -> Schema:
    return {
        "code": [_ignored_with_upload, required_unless("upload", CODE_OR_PDF), _code()],
        "upload": [_v("ignore_missing"), _blank_is_missing, _pdf_bytes],
    }


def certificate_renew() -> Schema:
    return {"code": [_code(required=True)]}


NOTE_MAX = 2000
DECISIONS = ("approve", "reject")
TOO_LONG = bilingual(f"不能超过 {NOTE_MAX} 个字符", f"At most {NOTE_MAX} characters")
DECISION = bilingual("决定应为 approve（批准）或 reject（不予批准）",
                     "decision must be approve or reject")
REASONS_REQUIRED = bilingual("不予批准应当说明理由", "Give the reasons for a rejection")


def _at_most(limit: int) -> Validator:
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: Context) -> None:
        value = data.get(key)
        if isinstance(value, str) and len(value) > limit:
            refuse(key, errors, TOO_LONG)
    return validator


def _decision(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
              context: Context) -> None:
    value = data.get(key)
    if not isinstance(value, str) or value.strip().lower() not in DECISIONS:
        refuse(key, errors, DECISION)
    data[key] = value.strip().lower()


def _reasons_for_rejection(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                           context: Context) -> None:
    value = data.get(key)
    if value is tk.missing or value is None:
        value = ""
    data[key] = value.strip() or None
    if data.get(key[:-1] + ("decision",)) == "reject" and not data[key]:
        refuse(key, errors, REASONS_REQUIRED)


def certificate_renewal_request() -> Schema:
    return {"code": [_code(required=True)],
            "note": [_v("ignore_missing"), text(strip=True), _at_most(NOTE_MAX)]}


def certificate_renewal_decide() -> Schema:
    return {"code": [_code(required=True)],
            "decision": [required(DECISION), text(strip=True), _decision],
            "reasons": [text(strip=True), _at_most(NOTE_MAX), _reasons_for_rejection]}


def certificate_renewal_list() -> Schema:
    return {"code": [_v("ignore_missing"), _code()]}


def certificate_national_code_set() -> Schema:
    return {"code": [_code(required=True)],
            "national_code": [_v("not_missing"), text(strip=True)]}


def certificate_national_code_import() -> Schema:
    return {"csv": [_v("not_missing"), text()]}


def certificate_key_list() -> Schema:
    return {}
