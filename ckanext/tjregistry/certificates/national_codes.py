"""National results (登记结果查询码, Art. 11): recording the code the national registration
platform gives each registration.

The code is stored beside every version of the certificate and covered by the signed
register record (``issuance.set_national_code``); each recording is an event of the
hash-chained registration history (``record_national_code``, with the previous code).
Staff of the issuing institution and of the city institution record it one at a time
(action, page, CLI) or in bulk from a CSV file of ``registration_code,national_code``
rows; a bulk file is checked whole first and recorded in one transaction, so a bad row
records nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import ckan.model as model

from ckanext.tjregistry.certificates import codes, issuance
from ckanext.tjregistry.common.texts import bilingual
from ckanext.tjregistry.registration import workflow

EVENT = "record_national_code"
MAX_ROWS = 10000


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    national_code: str


def record(code: str, national_code: str, user: model.User | None) -> dict[str, Any]:
    """Record one code in the caller's transaction (does not commit)."""
    current = issuance.current_for_code(code)
    previous = current.national_code if current is not None else None
    result = issuance.set_national_code(code, national_code)
    if previous != result["national_code"]:
        workflow.record_registration_event(
            model.Session, result["package_id"], EVENT, actor=workflow.Actor(user=user),
            data={"registration_code": result["code"], "national_code": result["national_code"],
                  "previous": previous})
    return result


def parse_csv(text: str) -> tuple[list[Row], dict[str, list[str]]]:
    """The rows of a CSV file, and a field error per bad line (``line N``)."""
    rows: list[Row] = []
    errors: dict[str, list[str]] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, fields in enumerate(reader, start=1):
        cells = [cell.strip() for cell in fields]
        if not any(cells):
            continue
        if line == 1 and cells[0].lower() in ("registration_code", "code", "登记编号"):
            continue
        if len(cells) != 2 or not all(cells):
            errors[f"line {line}"] = [bilingual("每行应为:登记编号,登记结果查询码",
                                                "each line is: registration_code,national_code")]
            continue
        try:
            code = str(codes.parse(cells[0]))
        except codes.InvalidCode:
            errors[f"line {line}"] = [bilingual(f"登记编号无效:{cells[0]}",
                                                f"invalid registration code: {cells[0]}")]
            continue
        rows.append(Row(line, code, cells[1]))
        if len(rows) > MAX_ROWS:
            errors["file"] = [bilingual(f"最多 {MAX_ROWS} 行", f"at most {MAX_ROWS} lines")]
            break
    if not rows and not errors:
        errors["file"] = [bilingual("文件中没有数据行", "the file has no rows")]
    seen: dict[str, int] = {}
    for row in rows:
        if row.code in seen:
            errors[f"line {row.line}"] = [bilingual(
                f"与第 {seen[row.code]} 行的登记编号重复", f"same code as line {seen[row.code]}")]
        seen.setdefault(row.code, row.line)
    return rows, errors
