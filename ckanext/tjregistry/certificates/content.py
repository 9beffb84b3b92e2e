"""The content of a certificate: the facts that are signed, printed and verified.

Content is a JSON object of strings, integers and nulls only (see signing.py for
the canonical form). Dates are ISO 8601 calendar dates (``YYYY-MM-DD``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

# (zh_Hans_CN, en) labels of the coded values; the PDF is Chinese, pages bilingual.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "data-resource": ("公共数据资源", "Public data resource"),
    "data-product": ("公共数据产品和服务", "Public data product or service"),
}
REGISTRATION_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "initial": ("首次登记", "Initial registration"),
    "change": ("变更登记", "Change registration"),
    "correction": ("更正登记", "Correction registration"),
}
REGISTRATION_TYPES = tuple(REGISTRATION_TYPE_LABELS)
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "valid": ("有效", "Valid"),
    "expired": ("已过期", "Expired"),
    "revoked": ("已撤销", "Revoked"),
    "cancelled": ("已注销", "Cancelled"),
    "superseded": ("已被新版本替代", "Superseded by a newer version"),
}


def label(labels: dict[str, tuple[str, str]], key: str | None, lang: str = "zh") -> str:
    pair = labels.get(key or "")
    if pair is None:
        return key or ""
    return pair[0] if lang.startswith("zh") else pair[1]


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/registration/verify?{urlencode({'code': code})}"


def build_content(
    *,
    code: str,
    version: int,
    national_code: str | None,
    registrant_name: str,
    registrant_uscc: str | None,
    object_category: str,
    data_name: str,
    dataset_id: str,
    registration_type: str,
    institution_name: str,
    institution_title: str,
    issue_date: dt.date,
    valid_from: dt.date,
    valid_until: dt.date,
    operation_start: dt.date | None,
    operation_end: dt.date | None,
    verify_base_url: str,
) -> dict[str, Any]:
    operation_period = None
    if operation_start or operation_end:
        operation_period = {
            "start": operation_start.isoformat() if operation_start else None,
            "end": operation_end.isoformat() if operation_end else None,
        }
    return {
        "code": code,
        "version": version,
        "national_code": national_code or None,
        "registrant": {"name": registrant_name, "uscc": registrant_uscc or None},
        "object_category": object_category,
        "data_name": data_name,
        "dataset_id": dataset_id,
        "registration_type": registration_type,
        "institution": {"name": institution_name, "title": institution_title},
        "issue_date": issue_date.isoformat(),
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "operation_period": operation_period,
        "verify_url": verify_url(verify_base_url, code),
    }


def printed_fields(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows printed on the certificate, in order, in Chinese."""
    rows = [("登记编号", content["code"])]
    if content.get("national_code"):
        rows.append(("登记结果查询码", content["national_code"]))
    registrant = content.get("registrant") or {}
    rows += [
        ("登记主体", registrant.get("name") or ""),
        ("统一社会信用代码", registrant.get("uscc") or "—"),
        ("登记对象类别", label(CATEGORY_LABELS, content.get("object_category"))),
        ("数据名称", content.get("data_name") or ""),
        ("登记类型", label(REGISTRATION_TYPE_LABELS, content.get("registration_type"))),
        ("登记机构", (content.get("institution") or {}).get("title") or ""),
        ("发证日期", _zh_date(content["issue_date"])),
        ("有效期至", _zh_date(content["valid_until"])),
    ]
    period = content.get("operation_period")
    if period:
        start = _zh_date(period["start"]) if period.get("start") else "—"
        end = _zh_date(period["end"]) if period.get("end") else "—"
        rows.append(("授权运营期限", f"{start} 至 {end}"))
    if int(content.get("version") or 1) > 1:
        renewed = "（续展）" if content.get("issue_reason") == "renewal" else ""
        rows.append(("凭证版本", f"第 {content['version']} 版{renewed}"))
    return rows


def _zh_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"
