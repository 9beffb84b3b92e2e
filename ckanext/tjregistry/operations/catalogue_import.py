"""Convenient registration from the government data catalogue (政务数据目录, Art. 14).

``ckan tjregistry catalogue import FILE.csv|FILE.xlsx`` reads catalogue entries, keeps
each one in ``tjregistry_catalogue_entry`` (keyed on its catalogue code) and prefills a
draft registration (a ``data-resource`` dataset in CKAN's ``draft`` state) for the
registrant that provides it. The registrant completes the draft and applies.

Re-importing updates instead of duplicating: the entry with the same code is updated,
and so is its draft, unless the dataset is registered or its application is being
handled (changes then go through a change application; the entry is still updated).
Entries whose provider is not a registrant on the platform are kept in the catalogue
table only, so that statistics can list catalogue entries without a registration.

The column layout (first row: headers; one entry per row) is ``COLUMNS`` below and is
documented in the README. Values of coded fields may be written as the Chinese label
(e.g. ``有条件共享``), the English label or the code (``conditional``).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import multiprocessing
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import babel.support
import flask
import flask_babel
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry import i18n
from ckanext.tjregistry.common import bulk, history, jurisdiction
from ckanext.tjregistry.metadata import vocabularies
from ckanext.tjregistry.model import Registration
from ckanext.tjregistry.model.catalogue import CatalogueEntry, CatalogueImport
from ckanext.tjregistry.registration import workflow

DATASET_TYPE = "data-resource"
NAME_PREFIX = "gdc-"
BATCH = 200  # rows applied between two passes of sending datasets to Solr
WORKER_CHUNK = 100  # rows a worker process takes at a time
ROW_ATTEMPTS = 3
TAG_LOCK_SPACE = 0x746A  # first key of the transaction locks on new tag names

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
LOCKED = "locked"
OTHER_REGISTRANT = "other_registrant"
CATALOGUE_ONLY = "catalogue_only"
ERROR = "error"
# In the order the command prints them.
STATUSES = (CREATED, UPDATED, UNCHANGED, LOCKED, OTHER_REGISTRANT, CATALOGUE_ONLY, ERROR)
STATUS_LABELS = {
    CREATED: "已新建登记草稿 / draft registration created",
    UPDATED: "已更新 / updated",
    UNCHANGED: "无变化 / unchanged",
    LOCKED: "目录已更新;数据已登记或申请办理中,登记信息未改动 / catalogue entry updated; "
            "the registration is registered or being handled and was left unchanged",
    OTHER_REGISTRANT: "目录已更新;该编码的登记信息属于另一登记主体,未改动 / catalogue entry "
                      "updated; the registration with this code belongs to another "
                      "registrant and was left unchanged",
    CATALOGUE_ONLY: "仅记入目录:提供方不是平台上的登记主体 / kept in the catalogue only: the "
                    "provider is not a registrant on the platform",
    ERROR: "错误 / error",
}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _vocabulary(name: str) -> Callable[[str], str]:
    lookup: dict[str, str] = {}
    for term in vocabularies.VOCABULARIES[name]:
        for key in (term.value, term.zh, term.en):
            lookup[_normalise_label(key)] = term.value

    def parse(value: str) -> str:
        found = lookup.get(_normalise_label(value))
        if found is None:
            allowed = "、".join(term.zh for term in vocabularies.VOCABULARIES[name])
            raise ValueError(f"取值无效,应为:{allowed} / not an allowed value")
        return found

    return parse


def _normalise_label(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).lower()


# List separators: ASCII and full-width commas and semicolons, and the ideographic
# enumeration comma (、), as written in Chinese spreadsheets.
_LIST_SEPARATORS = ",;\uff0c\uff1b\u3001"
_LIST_SPLIT = re.compile(f"[{_LIST_SEPARATORS}]+")
_AREA_SPLIT = re.compile(f"[{_LIST_SEPARATORS}\\s]+")
# Digits in groups of three with an ASCII or full-width comma (after NFKC: ASCII).
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def _count(value: str) -> int:
    # NFKC turns full-width digits and the full-width comma into ASCII ones.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise ValueError("千位分隔符位置不正确 / misplaced thousands separator")
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise ValueError("应为非负整数 / must be a whole number") from None
    if number < 0 or number != int(number):
        raise ValueError("应为非负整数 / must be a whole number")
    return int(number)


def _districts(value: str) -> list[str]:
    parse = _vocabulary("district")
    return sorted({parse(part) for part in _AREA_SPLIT.split(value) if part})


def _tags(value: str) -> str:
    return ",".join(part.strip() for part in _LIST_SPLIT.split(value) if part.strip())


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    parse: Callable[[str], Any] | None = None
    note: str = ""


# The documented layout. ``key`` is the dataset field, except ``provider_*``, which
# name the registrant (by credit code first, then by name).
COLUMNS: tuple[Column, ...] = (
    Column("目录编码", "gov_catalog_code", True, note="政务数据目录中的资源编码,导入的主键"),
    Column("资源名称", "title", True),
    Column("资源摘要", "notes", True),
    Column("提供方名称", "provider_name", note="登记主体名称;与信用代码至少填一项"),
    Column("提供方统一社会信用代码", "provider_uscc"),
    Column("所属行业", "industry_code", parse=_vocabulary("industry"),
           note="GB/T 4754 门类名称或字母"),
    Column("数据类型", "data_kind", parse=_vocabulary("data_kind")),
    Column("来源系统", "data_source"),
    Column("更新周期", "update_frequency", parse=_vocabulary("update_frequency")),
    Column("共享属性", "share_type", parse=_vocabulary("share_type")),
    Column("共享条件", "share_condition"),
    Column("开放属性", "open_type", parse=_vocabulary("open_type")),
    Column("开放条件", "open_condition"),
    Column("开放平台地址", "open_platform_url"),
    Column("数据量(条)", "data_scale_records", parse=_count),
    Column("信息项数量", "data_scale_fields", parse=_count),
    Column("覆盖区域", "spatial", parse=_districts, note="行政区名称或代码,以顿号分隔"),
    Column("关键词", "tag_string", parse=_tags, note="以顿号或逗号分隔"),
)
_BY_HEADER = {_normalise_label(column.header): column for column in COLUMNS}
_HEADER_OF = {column.key: column.header for column in COLUMNS}
_BY_HEADER.update({_normalise_label(column.key): column for column in COLUMNS})


class ImportRefused(Exception):
    """The import cannot start (the message is bilingual); nothing was written."""


class ImportFileError(ImportRefused):
    """The file as a whole cannot be imported (format, headers)."""


class UnknownUser(ImportRefused):
    """``--user`` names no account on the platform."""


# ---------------------------------------------------------------------------
# Reading


Rows = Iterator[tuple[int, list[Any]]]


def read_rows(path: str) -> tuple[list[str], Rows]:
    """The header row and the data rows of a CSV or XLSX file.

    Each data row comes with its row number as a spreadsheet shows it (the first row
    of the sheet is 1): the header is the first non-empty row, and a CSV record whose
    quoted field spans several lines is one row.
    """
    extension = os.path.splitext(path)[1].lower()
    if extension == ".xlsx":
        return _read_xlsx(path)
    if extension in (".csv", ".txt"):
        return _read_csv(path)
    raise ImportFileError(f"不支持的文件类型 {extension} / Unsupported file type: use .csv or "
                          ".xlsx")


def _is_blank(values: Any) -> bool:
    return not any(_cell(cell) for cell in values)


def _header_and_rows(rows: Iterator[Any]) -> tuple[list[str], Rows]:
    numbered = enumerate(rows, start=1)
    for _number, header in numbered:
        if not _is_blank(header):
            return [_text(cell) for cell in header], (
                (number, list(values)) for number, values in numbered)
    raise ImportFileError("文件为空 / The file is empty")


def _read_csv(path: str) -> tuple[list[str], Rows]:
    with open(path, "rb") as handle:
        content = handle.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("无法识别文件编码(应为 UTF-8 或 GB18030) / Unknown encoding: "
                              "use UTF-8 or GB18030")
    # newline="": line breaks inside quoted fields stay part of the field (csv module).
    return _header_and_rows(_csv_records(csv.reader(io.StringIO(text, newline=""))))


def _csv_records(reader: Any) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        raise ImportFileError(f"CSV 格式错误(第 {reader.line_num} 行附近) / Malformed CSV near "
                              f"line {reader.line_num}: {error}") from None


def _read_xlsx(path: str) -> tuple[list[str], Rows]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise ImportFileError(f"无法读取 XLSX 文件 / Cannot read the XLSX file: {error}") \
            from None
    sheet = workbook.worksheets[0]
    # Some writers store a wrong used range; read every row the sheet holds. In
    # read-only mode openpyxl yields missing rows as empty ones, so the n-th row
    # yielded is the sheet's row n.
    sheet.reset_dimensions()
    return _header_and_rows(sheet.iter_rows(values_only=True))


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _text(value)


# ---------------------------------------------------------------------------
# One row


@dataclass
class RowResult:
    row: int
    code: str
    title: str
    status: str
    package_name: str = ""
    errors: list[str] = field(default_factory=list)
    package_id: str | None = None  # the dataset this row created or changed


@dataclass
class Row:
    """A non-blank row of the file, parsed once (by the process reading the file)."""
    number: int  # the row number in the spreadsheet
    fields: dict[str, Any]
    raw: dict[str, Any]
    errors: list[str]
    repeats_code: bool  # an earlier valid row of the file has the same catalogue code


def map_header(header: list[str]) -> dict[int, Column]:
    mapping: dict[int, Column] = {}
    for index, name in enumerate(header):
        column = _BY_HEADER.get(_normalise_label(_text(name)))
        if column is not None and column not in mapping.values():
            mapping[index] = column
    missing = [column.header for column in COLUMNS
               if column.required and column not in mapping.values()]
    if missing:
        raise ImportFileError(f"缺少必需的列:{'、'.join(missing)} / Missing required columns: "
                              f"{', '.join(missing)}")
    if not any(c.key in ("provider_name", "provider_uscc") for c in mapping.values()):
        raise ImportFileError("缺少提供方列(提供方名称或提供方统一社会信用代码) / Missing a "
                              "provider column (name or credit code)")
    return mapping


def parse_row(values: list[Any], mapping: dict[int, Column]) -> tuple[dict[str, Any],
                                                                      dict[str, Any],
                                                                      list[str]]:
    """(dataset fields, raw row keyed by header, errors) of one row."""
    fields: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    errors: list[str] = []
    for index, column in mapping.items():
        text = _cell(values[index]) if index < len(values) else ""
        raw[column.header] = text
        if not text:
            if column.required:
                errors.append(f"{column.header}:必填 / {column.key} is required")
            continue
        if column.parse is None:
            fields[column.key] = text
            continue
        try:
            fields[column.key] = column.parse(text)
        except ValueError as error:
            errors.append(f"{column.header}「{text}」:{error}")
    if not fields.get("provider_name") and not fields.get("provider_uscc"):
        errors.append("提供方名称或信用代码至少填一项 / provider name or credit code is required")
    return fields, raw, errors


class Registrants:
    """Registrant organizations by credit code, title and name (loaded once)."""

    def __init__(self) -> None:
        self.by_uscc: dict[str, str] = {}
        self.by_title: dict[str, str] = {}
        for group in (model.Session.query(model.Group)
                      .filter(model.Group.is_organization.is_(True),
                              model.Group.state == "active").all()):
            extras = group.extras or {}
            if extras.get("org_kind") != "registrant":
                continue
            if extras.get("uscc"):
                self.by_uscc[str(extras["uscc"]).upper()] = group.id
            self.by_title[_normalise_label(group.title or "")] = group.id
            self.by_title.setdefault(_normalise_label(group.name), group.id)

    def find(self, uscc: str | None, name: str | None) -> str | None:
        if uscc and uscc.upper() in self.by_uscc:
            return self.by_uscc[uscc.upper()]
        if name:
            return self.by_title.get(_normalise_label(name))
        return None


def dataset_name(code: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", code.lower()).strip("-")
    name = f"{NAME_PREFIX}{slug}"[:90].rstrip("-")
    taken = model.Session.query(model.Package.id).filter(model.Package.name == name).first()
    if taken is not None:
        name = f"{name[:81]}-{hashlib.sha1(code.encode('utf-8')).hexdigest()[:8]}"
    return name


def _content_sha256(fields: dict[str, Any], registrant_id: str | None) -> str:
    text = json.dumps({"fields": fields, "registrant_id": registrant_id}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dataset_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if not key.startswith("provider_")}


def _packages_by_code() -> dict[str, list[tuple[str, str]]]:
    """(dataset id, owner) of every dataset naming a catalogue code, by code (one query)."""
    if hasattr(model, "PackageExtra"):
        query = (model.Session.query(model.PackageExtra.value, model.Package.id,
                                     model.Package.owner_org)
                 .join(model.Package, model.PackageExtra.package_id == model.Package.id)
                 .filter(model.PackageExtra.key == "gov_catalog_code",
                         model.PackageExtra.state == "active"))
    else:  # CKAN 2.12 keeps extras in a JSONB column of the package table
        code = model.Package.extras["gov_catalog_code"].astext  # type: ignore[index]
        query = model.Session.query(code, model.Package.id, model.Package.owner_org).filter(
            code.isnot(None))
    found: dict[str, list[tuple[str, str]]] = {}
    for code_value, package_id, owner in (query.filter(model.Package.state != "deleted")
                                          .order_by(model.Package.name)):
        found.setdefault(code_value, []).append((package_id, owner))
    return found


def _editable(package_id: str) -> bool:
    reg = model.Session.get(Registration, package_id)
    if reg is not None and reg.status == "registered":
        return False
    app = workflow.open_application(package_id)
    return app is None or app.state == "supplement_requested"


class Importer:
    def __init__(self, source_file: str, user_name: str) -> None:
        self.source_file = source_file
        self.context_user = user_name
        self.registrants = Registrants()
        self.by_code = _packages_by_code()
        # Datasets created or changed and not yet sent to Solr.
        self.to_index: list[str] = []
        self.known_tags: set[str] = set()

    def _context(self) -> dict[str, Any]:
        return {"ignore_auth": True, "defer_commit": True, "return_id_only": True,
                "user": self.context_user}

    def _lock_new_tags(self, tag_string: str | None) -> None:
        """Make concurrent rows that introduce the same new keyword create one tag.

        The unique constraint on tags includes the vocabulary, which is NULL for free
        tags, so PostgreSQL would let two workers each create a tag of that name. A
        transaction lock per new name makes the second row wait for the first one's
        commit; CKAN then finds the tag instead of creating it again.
        """
        names = {name.strip() for name in (tag_string or "").split(",")} - {""}
        new = sorted(names - self.known_tags)
        if not new:
            return
        existing = {name for (name,) in model.Session.query(model.Tag.name).filter(
            model.Tag.name.in_(new), model.Tag.vocabulary_id.is_(None))}
        self.known_tags |= existing
        for name in new:
            if name not in existing:
                model.Session.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    TAG_LOCK_SPACE, sa.func.hashtext(name))))

    def _existing_package(self, code: str, registrant_id: str) -> model.Package | None:
        """A dataset of this registrant that already names the catalogue code."""
        for package_id, owner in self.by_code.get(code, []):
            if owner == registrant_id:
                return model.Package.get(package_id)
        return None

    def apply(self, row: Row, import_id: str) -> RowResult:
        """Apply one row in the session (the caller commits); ``result.package_id`` is
        the dataset written, if any."""
        fields, raw = row.fields, row.raw
        code = _text(fields.get("gov_catalog_code"))
        result = RowResult(row.number, code, _text(fields.get("title")), ERROR,
                           errors=list(row.errors))
        if row.repeats_code:
            result.errors.append("目录编码在文件中重复 / duplicate catalogue code in the file")
        if result.errors:
            return result
        registrant_id = self.registrants.find(fields.get("provider_uscc"),
                                              fields.get("provider_name"))
        entry = model.Session.get(CatalogueEntry, code)
        digest = _content_sha256(fields, registrant_id)
        now = dt.datetime.utcnow()
        package = model.Package.get(entry.package_id) if entry and entry.package_id else None
        if package is not None and package.state == "deleted":
            package = None
        if entry is None:
            entry = CatalogueEntry(code=code, first_imported=now, fields={}, raw={},
                                   content_sha256="", title="")
            model.Session.add(entry)
        elif entry.content_sha256 == digest and (package is not None or registrant_id is None):
            entry.last_imported = now
            entry.import_id = import_id
            result.status = UNCHANGED
            result.package_name = package.name if package else ""
            return result
        entry.title = fields["title"]
        entry.provider_name = fields.get("provider_name")
        entry.provider_uscc = fields.get("provider_uscc")
        entry.registrant_id = registrant_id
        entry.fields = fields
        entry.raw = raw
        entry.content_sha256 = digest
        entry.source_file = os.path.basename(self.source_file)
        entry.source_row = row.number
        entry.import_id = import_id
        entry.last_imported = now
        if registrant_id is None:
            entry.package_id = package.id if package else None
            result.status = CATALOGUE_ONLY
            return result
        if package is None:
            package = self._existing_package(code, registrant_id)
        data = _dataset_fields(fields)
        self._lock_new_tags(data.get("tag_string"))
        if package is None:
            name = dataset_name(code)
            entry.package_id = tk.get_action("package_create")(self._context(), {
                **data, "type": DATASET_TYPE, "name": name, "owner_org": registrant_id,
                "state": "draft"})
            result.status, result.package_name = CREATED, name
            result.package_id = entry.package_id
            return result
        entry.package_id = package.id
        result.package_name = package.name
        if package.owner_org != registrant_id:
            result.status = OTHER_REGISTRANT
            return result
        if not _editable(package.id):
            result.status = LOCKED
            return result
        tk.get_action("package_patch")(self._context(), {"id": package.id, **data})
        result.status, result.package_id = UPDATED, package.id
        return result

    def index(self) -> None:
        """Send the datasets touched since the last call to Solr, with one Solr commit."""
        bulk.index(self.to_index)
        self.to_index = []


REPORT_LOCALE = "zh_Hans_CN"


@functools.lru_cache(maxsize=1)
def _report_translations() -> list[babel.support.Translations]:
    """The platform's and CKAN's catalogues for the report's Chinese."""
    from ckan.lib.i18n import get_ckan_i18n_dir


    i18n.compile_catalogues()
    return [babel.support.Translations.load(str(i18n.DIRECTORY), [REPORT_LOCALE], i18n.DOMAIN),
            babel.support.Translations.load(get_ckan_i18n_dir(), [REPORT_LOCALE], "ckan")]


def _in_both_languages(message: str) -> str:
    """``中文 / English`` for a validation message given in English (its msgid)."""
    for translations in _report_translations():
        chinese = translations.gettext(message)
        if chinese != message:
            return f"{chinese} / {message}"
    return message


@contextlib.contextmanager
def _messages_in_english() -> Iterator[None]:
    """CKAN's validators translate their messages when they raise. The report gives each
    in Chinese and English, so the rows are applied with English (the msgids) even when
    the caller runs in a Chinese request; outside a request, as on the command line,
    the messages are the msgids already."""
    if flask.has_request_context():
        with flask_babel.force_locale("en"):
            yield
    else:
        yield


def _validation_messages(error: tk.ValidationError) -> list[str]:
    messages = []
    for key, value in (error.error_dict or {}).items():
        texts = value if isinstance(value, list) else [value]
        field_name = f"{_HEADER_OF[key]} {key}" if key in _HEADER_OF else key
        messages.append(f"{field_name}: " + "; ".join(
            _in_both_languages(text) if isinstance(text, str) else str(text) for text in texts))
    return messages or [str(error)]


@dataclass
class Summary:
    import_id: str
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    report_path: str = ""
    results: list[RowResult] = field(default_factory=list)


def default_report_path(source: str) -> str:
    stem = os.path.splitext(source)[0]
    return f"{stem}.report-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.csv"


def count_rows(path: str) -> int:
    """Data rows in the file (for the progress bar)."""
    header, rows = read_rows(path)
    return sum(1 for _number, values in rows if not _is_blank(values))


def importing_user(user_name: str | None) -> model.User | None:
    """The account ``--user`` names (recorded as the importer), None without one."""
    if not user_name:
        return None
    user = model.User.get(user_name)
    if user is None or user.state != "active":
        raise UnknownUser(f"用户 {user_name} 不存在 / No active user account {user_name!r} "
                          "(--user)")
    return user


def run(path: str, *, report_path: str | None = None, user_name: str | None = None,
        progress: Callable[[int], None] | None = None, workers: int = 1) -> Summary:
    """Import the catalogue file at ``path``; returns the summary and writes the report.

    Each row is applied in its own transaction, so that a bad row is reported and
    skipped without losing the others. Datasets go to Solr once each, every ``BATCH``
    rows, with one Solr commit. With ``workers`` > 1 that many forked processes apply
    the rows, ``WORKER_CHUNK`` at a time; the report still lists them in file order.
    The run, not each draft, is recorded: its row in ``tjregistry_catalogue_import``
    and one event in the hash-chained history (CKAN's activity stream would otherwise
    store a full copy of every draft, which doubles the cost of an import).
    """
    actor = importing_user(user_name)
    header, rows = read_rows(path)
    mapping = map_header(header)
    with open(path, "rb") as handle:
        source_sha256 = hashlib.sha256(handle.read()).hexdigest()
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    run_row = CatalogueImport(id=str(uuid.uuid4()), source_file=os.path.basename(path),
                              source_sha256=source_sha256,
                              created_by=actor.id if actor else None)
    model.Session.add(run_row)
    model.Session.commit()
    summary = Summary(run_row.id)
    importer = Importer(path, site_user)
    # No activity-stream copy of each draft (see the docstring): CKAN's activity plugin
    # records datasets through this signal.
    with tk.signals.action_succeeded.muted(), _messages_in_english():
        _apply_rows(importer, rows, mapping, summary, progress, workers)
    run_row = model.Session.get(CatalogueImport, summary.import_id)
    run_row.finished = dt.datetime.utcnow()
    run_row.rows = summary.rows
    run_row.created = summary.counts.get(CREATED, 0)
    run_row.updated = summary.counts.get(UPDATED, 0)
    run_row.unchanged = summary.counts.get(UNCHANGED, 0)
    run_row.locked = summary.counts.get(LOCKED, 0)
    run_row.other_registrant = summary.counts.get(OTHER_REGISTRANT, 0)
    run_row.catalogue_only = summary.counts.get(CATALOGUE_ONLY, 0)
    run_row.errors = summary.counts.get(ERROR, 0)
    history.append(
        model.Session, subject="catalogue", application_id=None, package_id=None,
        action="import", from_state=None, to_state=None, actor_id=run_row.created_by,
        role=None, institution_id=None, note=None,
        data={"import_id": run_row.id, "source_file": run_row.source_file,
              "source_sha256": source_sha256, "rows": summary.rows,
              "counts": dict(sorted(summary.counts.items()))})
    model.Session.commit()
    summary.report_path = report_path or default_report_path(path)
    write_report(summary.report_path, summary.results)
    return summary


def _marked_rows(rows: Rows, mapping: dict[int, Column]) -> Iterator[Row]:
    """The file's non-blank rows, each marked if an earlier valid row had its code."""
    seen: set[str] = set()
    for number, values in rows:
        if _is_blank(values):
            continue
        fields, raw, errors = parse_row(values, mapping)
        code = _text(fields.get("gov_catalog_code"))
        repeats = bool(code) and code in seen
        if code and not errors:
            seen.add(code)
        yield Row(number, fields, raw, errors, repeats)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _apply_row(importer: Importer, row: Row, import_id: str) -> RowResult:
    """Apply one row in a transaction of its own: a bad row is rolled back alone."""
    for attempt in range(1, ROW_ATTEMPTS + 1):
        try:
            result = importer.apply(row, import_id)
            bulk.commit_without_indexing()
        except tk.ValidationError as error:
            model.Session.rollback()  # CKAN's actions have rolled back already
            return _error_result(row, _validation_messages(error))
        except IntegrityError as error:
            # Another worker wrote a dataset with the same name a moment earlier;
            # applied again, the row sees it and takes another name.
            model.Session.rollback()
            if attempt < ROW_ATTEMPTS:
                continue
            return _error_result(row, [f"数据库拒绝写入 / the database refused the row: "
                                       f"{str(error.orig)[:300]}"])
        if result.package_id:
            importer.to_index.append(result.package_id)
        return result
    raise AssertionError("unreachable")


def _error_result(row: Row, errors: list[str]) -> RowResult:
    return RowResult(row.number, row.raw.get(_HEADER_OF["gov_catalog_code"], ""),
                     row.raw.get(_HEADER_OF["title"], ""), ERROR, errors=errors)


def _apply_chunk(importer: Importer, rows: list[Row], import_id: str,
                 progress: Callable[[int], None] | None = None) -> list[RowResult]:
    """Apply these rows, then send the datasets they wrote to Solr together."""
    results = []
    try:
        for row in rows:
            results.append(_apply_row(importer, row, import_id))
            if progress is not None:
                progress(1)
    finally:
        model.Session.rollback()
        importer.index()
    return results


def _record(summary: Summary, results: list[RowResult]) -> None:
    for result in results:
        summary.rows += 1
        summary.results.append(result)
        summary.counts[result.status] = summary.counts.get(result.status, 0) + 1


# What a forked worker works with: set by the parent just before the fork.
_worker_job: tuple[Importer, str] | None = None


def _worker_started() -> None:
    # A forked worker opens connections of its own; those it inherited are the parent's.
    model.meta.engine.dispose(close=False)


def _worker_chunk(rows: list[Row]) -> list[RowResult]:
    assert _worker_job is not None
    importer, import_id = _worker_job
    return _apply_chunk(importer, rows, import_id)


def _apply_rows(importer: Importer, rows: Rows, mapping: dict[int, Column], summary: Summary,
                progress: Callable[[int], None] | None, workers: int) -> None:
    marked = _marked_rows(rows, mapping)
    if workers <= 1:
        for chunk in _chunks(marked, BATCH):
            _record(summary, _apply_chunk(importer, chunk, summary.import_id, progress))
        return
    global _worker_job
    _worker_job = (importer, summary.import_id)
    model.Session.close()  # no connection of the parent's session goes into a worker
    try:
        with multiprocessing.get_context("fork").Pool(workers,
                                                      initializer=_worker_started) as pool:
            # In file order: the report lists the rows as the file does.
            for results in pool.imap(_worker_chunk, _chunks(marked, WORKER_CHUNK)):
                _record(summary, results)
                if progress is not None:
                    progress(len(results))
            pool.close()
            pool.join()
    finally:
        _worker_job = None


REPORT_HEADER = ("行号 row", "目录编码 code", "资源名称 title", "结果 status", "说明 meaning",
                 "数据标识 dataset", "错误 errors")


def write_report(path: str, results: list[RowResult]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_HEADER)
        for result in results:
            writer.writerow((result.row, result.code, result.title, result.status,
                             STATUS_LABELS[result.status], result.package_name,
                             " | ".join(result.errors)))


# ---------------------------------------------------------------------------
# Reading the catalogue (statistics, the catalogue_entry_list action)


def entries(*, registrant_id: str | None = None, unregistered: bool = False, limit: int = 100,
            offset: int = 0) -> dict[str, Any]:
    query = model.Session.query(CatalogueEntry, Registration.status).outerjoin(
        Registration, Registration.package_id == CatalogueEntry.package_id)
    if registrant_id:
        query = query.filter(CatalogueEntry.registrant_id == registrant_id)
    if unregistered:
        query = query.filter((Registration.status.is_(None))
                             | (Registration.status != "registered"))
    total = query.count()
    rows = query.order_by(CatalogueEntry.code).offset(offset).limit(limit).all()
    results = []
    for entry, status in rows:
        registrant = jurisdiction.profile(entry.registrant_id) if entry.registrant_id else None
        results.append({
            "code": entry.code, "title": entry.title, "provider_name": entry.provider_name,
            "provider_uscc": entry.provider_uscc,
            "registrant": ({"id": registrant.id, "name": registrant.name,
                            "title": registrant.title} if registrant else None),
            "package_id": entry.package_id,
            "registration_status": (workflow.registration_status(entry.package_id)
                                    if entry.package_id else "unregistered"),
            "registered": status == "registered",
            "last_imported": entry.last_imported.isoformat() if entry.last_imported else None,
        })
    return {"count": total, "results": results}
