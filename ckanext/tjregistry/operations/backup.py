"""Backups kept for at least 30 years (Art. 14), and restoring them into an empty instance.

``ckan tjregistry backup`` writes one self-describing tar archive, readable without
this software: plain UTF-8 text, JSON Lines and PEM files, a README explaining every
part in Chinese and English, a manifest with the SHA-256 of every part, and a
``SHA256SUMS`` file that ``sha256sum -c`` checks. Database content is read in one
repeatable-read transaction, so the archive is a consistent point in time.

``ckan tjregistry restore`` checks the archive, refuses an instance that is not
initialised (``ckan db init``) or not empty (``EMPTY``), rebuilds users, organizations,
memberships, every ``tjregistry_*`` table, the datasets and the stored files, writes
the published signing keys to the key store, reindexes Solr, then verifies the
history chain and every certificate.

Not in the archive: password hashes, API tokens and reset keys (restored accounts set
a new password through "forgot password"), the institutions' private signing keys
(kept in their key escrow), and caches (search index, rendered certificate PDFs).
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry import schemas
from ckanext.tjregistry.certificates import signing, verification
from ckanext.tjregistry.common import bulk, history
from ckanext.tjregistry.metadata import vocabularies
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.operations import checkpoints
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.registration import agencies, evidence

FORMAT = "tjregistry-backup"
FORMAT_VERSION = 1
TABLE_PREFIX = "tjregistry_"
VERSION_TABLE = "tjregistry_alembic_version"
# Sub-directories of <storage_path>/tjregistry that are not archived: private signing
# keys (public keys are exported separately). The certificate PDFs handed out are kept:
# only those exact bytes verify as originals.
EXCLUDED_STORAGE = ("certificate-keys", "checkpoint-keys")
# Where the history checkpoints' public keys go in the archive (keys/<this>/<key id>.pub.pem).
CHECKPOINT_KEYS = "history-checkpoints"
USER_FIELDS = ("id", "name", "fullname", "email", "about", "created", "state", "sysadmin",
               "image_url")
GROUP_FIELDS = ("id", "name", "title", "type", "description", "image_url", "created",
                "is_organization", "approval_status", "state")
MEMBER_FIELDS = ("id", "group_id", "table_name", "table_id", "capacity", "state")
# package_show keys that are computed, not stored: dropped when recreating a dataset.
COMPUTED_DATASET_KEYS = (
    "registration_status", "registration_code", "national_code", "certificate_status",
    "certificate_valid_until", "metadata_created", "metadata_modified", "creator_user_id",
    "revision_id", "num_resources", "num_tags", "organization", "relationships_as_object",
    "relationships_as_subject", "tracking_summary", "isopen", "license_title", "license_url",
)
COMPUTED_RESOURCE_KEYS = ("package_id", "position", "tracking_summary", "datastore_active",
                          "revision_id")

Progress = Callable[[str], None]


class BackupError(Exception):
    """The archive cannot be written, read or restored (message is bilingual)."""


# What restore accepts as an empty instance. A new deployment holds its site user, and
# the production image also creates a sysadmin on its first start (CKAN_SYSADMIN_*).
EMPTY = ("空实例:没有数据集、组织或群组、登记记录(tjregistry_* 表),除站点用户和系统管理员外"
         "没有其他用户账号 / An empty instance has no datasets, organizations, groups or "
         "registration records (rows in tjregistry_* tables), and no user accounts other "
         "than the site user and sysadmins")
INIT_FIRST = ("请先运行 `ckan db init` 初始化数据库(建立 CKAN、activity 和 tjregistry 的表) / "
              "Run `ckan db init` first: it creates the tables of CKAN, activity and "
              "tjregistry")
# CKAN's own tables a restore writes to; their absence means `ckan db init` never ran.
CKAN_TABLES = ("package", "group", "user", "member")


def _storage_path() -> str:
    return tk.config.get("ckan.storage_path") or ""


def _site_user_name() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


# ---------------------------------------------------------------------------
# Values <-> JSON


def to_json_value(value: Any) -> Any:
    """A database value as JSON: times in ISO 8601 (UTC, as stored), bytes in base64."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def from_json_value(value: Any, sql_type: str) -> Any:
    """The inverse of ``to_json_value`` for a column of ``sql_type``."""
    if value is None:
        return None
    kind = sql_type.upper()
    if kind.startswith("TIMESTAMP") or kind == "DATETIME":
        return dt.datetime.fromisoformat(value)
    if kind == "DATE":
        return dt.date.fromisoformat(value)
    if kind.startswith("TIME"):
        return dt.time.fromisoformat(value)
    if kind.startswith(("NUMERIC", "DECIMAL")):
        return decimal.Decimal(value)
    if kind == "BYTEA":
        return base64.b64decode(value)
    return value


def _json_line(row: dict[str, Any]) -> bytes:
    return (json.dumps(row, ensure_ascii=False, sort_keys=True, default=to_json_value)
            + "\n").encode("utf-8")


def _sha256_stream(handle: Any) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    while chunk := handle.read(1024 * 1024):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def _sha256_file(path: str) -> tuple[str, int]:
    with open(path, "rb") as handle:
        return _sha256_stream(handle)


# ---------------------------------------------------------------------------
# Writing


def registry_tables(connection: Any) -> list[str]:
    rows = connection.execute(sa.text(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
        "AND table_name LIKE :prefix ORDER BY table_name"), {"prefix": TABLE_PREFIX + "%"})
    return [row[0] for row in rows]


def _table_description(connection: Any, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=connection)


def _schema_revision(connection: Any) -> str | None:
    try:
        return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except sa.exc.DBAPIError:
        return None


class _ArchiveWriter:
    """Parts written to a staging directory, each with its SHA-256 and size."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.parts: list[dict[str, Any]] = []

    def path(self, relative: str) -> str:
        full = os.path.join(self.root, *relative.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        return full

    def add_lines(self, relative: str, rows: Iterable[dict[str, Any]],
                  description: str) -> int:
        count = 0
        with open(self.path(relative), "wb") as handle:
            for row in rows:
                handle.write(_json_line(row))
                count += 1
        self._register(relative, description, rows=count)
        return count

    def add_bytes(self, relative: str, content: bytes, description: str) -> None:
        with open(self.path(relative), "wb") as handle:
            handle.write(content)
        self._register(relative, description)

    def add_file(self, relative: str, source: str, description: str) -> None:
        shutil.copyfile(source, self.path(relative))
        self._register(relative, description)

    def _register(self, relative: str, description: str, rows: int | None = None) -> None:
        digest, size = _sha256_file(self.path(relative))
        part: dict[str, Any] = {"path": relative, "sha256": digest, "bytes": size,
                                "description": description}
        if rows is not None:
            part["rows"] = rows
        self.parts.append(part)


def _table_rows(connection: Any, table: sa.Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(stream_results=True).execute(
        sa.select(table).order_by(*order))
    for row in result.mappings():
        yield {key: to_json_value(value) for key, value in row.items()}


def _datasets(package_ids: list[str], user: str) -> Iterator[dict[str, Any]]:
    context = {"ignore_auth": True, "user": user, "for_view": False, "use_cache": False}
    for package_id in package_ids:
        yield tk.get_action("package_show")(dict(context), {"id": package_id})


def _organizations() -> Iterator[dict[str, Any]]:
    for group in model.Session.query(model.Group).order_by(model.Group.id):
        row = {name: to_json_value(getattr(group, name)) for name in GROUP_FIELDS}
        row["extras"] = dict(sorted((group.extras or {}).items()))
        yield row


def _users() -> Iterator[dict[str, Any]]:
    for user in model.Session.query(model.User).order_by(model.User.id):
        yield {name: to_json_value(getattr(user, name)) for name in USER_FIELDS}


def _memberships() -> Iterator[dict[str, Any]]:
    query = (model.Session.query(model.Member).filter(model.Member.table_name == "user")
             .order_by(model.Member.id))
    for member in query:
        yield {name: getattr(member, name) for name in MEMBER_FIELDS}


def file_areas() -> dict[str, str]:
    """Stored-file areas by their name in the archive (``files/<name>/...``) and where
    they live on this instance: uploads, and every folder under
    ``<storage_path>/tjregistry`` except the excluded ones; areas with their own
    setting (objection evidence) are found where that setting puts them."""
    storage = _storage_path()
    areas = {"resources": os.path.join(storage, "resources")}
    registry = os.path.join(storage, "tjregistry")
    if os.path.isdir(registry):
        for name in sorted(os.listdir(registry)):
            if name not in EXCLUDED_STORAGE and os.path.isdir(os.path.join(registry, name)):
                areas[f"tjregistry/{name}"] = os.path.join(registry, name)

    areas["tjregistry/evidence"] = evidence.evidence_dir()
    areas["tjregistry/delegations"] = agencies.documents_dir()
    areas["tjregistry/objections"] = objections.storage_dir()
    # The published history checkpoints (signed heads of the chain), wherever configured.
    areas["tjregistry/history-checkpoints"] = os.path.dirname(
        os.path.abspath(checkpoints.published_path()))
    return areas


def _storage_files() -> Iterator[tuple[str, str]]:
    """(archive path, source path) of every stored file that belongs in the archive."""
    for prefix, folder in sorted(file_areas().items()):
        if not os.path.isdir(folder):
            continue
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                source = os.path.join(root, name)
                if os.path.isfile(source) and not os.path.islink(source):
                    relative = os.path.relpath(source, folder).replace(os.sep, "/")
                    yield f"files/{prefix}/{relative}", source


def _public_keys() -> list[Any]:

    return signing.default_keystore().all_public_keys()


def _schema_files() -> Iterator[tuple[str, str]]:

    folder = os.path.dirname(os.path.abspath(schemas.__file__))
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            yield f"schemas/{name}", os.path.join(folder, name)


def _vocabularies() -> bytes:

    document = {name: [{"value": t.value, "zh_Hans_CN": t.zh, "en": t.en} for t in terms]
                for name, terms in sorted(vocabularies.VOCABULARIES.items())}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


@dataclass
class BackupResult:
    path: str
    sha256: str
    manifest: dict[str, Any]


def create(output: str, *, progress: Progress | None = None) -> BackupResult:
    """Write the archive to ``output`` (``.tar``, or ``.tar.gz``/``.tgz`` compressed)."""
    say = progress or (lambda message: None)
    now = dt.datetime.utcnow().replace(microsecond=0)
    top = f"tjregistry-backup-{now.strftime('%Y%m%dT%H%M%SZ')}"
    output = os.path.abspath(output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(output)) as staging:
        writer = _ArchiveWriter(os.path.join(staging, top))
        manifest = _write_parts(writer, now, say)
        _finish_archive(writer, manifest)
        say("archive")
        mode = "w:gz" if output.endswith((".tar.gz", ".tgz")) else "w"
        partial = output + ".partial"
        with tarfile.open(partial, mode, format=tarfile.PAX_FORMAT) as archive:
            for relative in ["README.txt", "manifest.json", "SHA256SUMS",
                             *sorted(p["path"] for p in writer.parts
                                     if p["path"] != "README.txt")]:
                archive.add(writer.path(relative), arcname=f"{top}/{relative}", recursive=False)
        os.replace(partial, output)
    digest, _ = _sha256_file(output)
    return BackupResult(output, digest, manifest)


def _write_parts(writer: _ArchiveWriter, now: dt.datetime, say: Progress) -> dict[str, Any]:
    import ckan


    session = model.Session
    reader = _site_user_name()  # may create the site user: before the read-only snapshot
    session.commit()
    # One consistent snapshot for every table and dataset read below.
    session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    try:
        connection = session.connection()
        site_user = (session.query(model.User)
                     .filter(model.User.name == tk.config.get("ckan.site_id")).first())
        tables: dict[str, Any] = {}
        for name in registry_tables(connection):
            if name == VERSION_TABLE:
                continue
            say(f"table {name}")
            table = _table_description(connection, name)
            rows = writer.add_lines(f"tables/{name}.jsonl", _table_rows(connection, table),
                                    f"All rows of the table {name}")
            tables[name] = {
                "rows": rows,
                "primary_key": [column.name for column in table.primary_key.columns],
                "columns": [{"name": column.name, "type": str(column.type),
                             "nullable": bool(column.nullable)} for column in table.columns],
            }
        say("users, organizations, memberships")
        counts = {
            "users": writer.add_lines("ckan/users.jsonl", _users(),
                                      "User accounts: public identity and contact e-mail"),
            "organizations": writer.add_lines("ckan/organizations.jsonl", _organizations(),
                                              "Organizations with their schema fields (extras)"),
            "memberships": writer.add_lines("ckan/memberships.jsonl", _memberships(),
                                            "Users' memberships of organizations"),
        }
        package_ids = [row[0] for row in session.query(model.Package.id)
                       .order_by(model.Package.id)]
        say(f"datasets ({len(package_ids)})")
        counts["datasets"] = writer.add_lines(
            "ckan/datasets.jsonl", _datasets(package_ids, reader),
            "Every dataset (registration record) as CKAN's package_show returns it")
        revision = _schema_revision(connection)
        history_check = history.verify(session)
    finally:
        session.rollback()
    say("files and keys")
    files = 0
    for relative, source in _storage_files():
        writer.add_file(relative, source, "Stored file")
        files += 1
    keys = []
    for info in _public_keys():
        relative = f"keys/{info.institution}/{info.key_id}.pub.pem"
        writer.add_bytes(relative, info.pem.encode("ascii"),
                         f"SM2 public key {info.key_id} of {info.institution}")
        keys.append({"institution": info.institution, "key_id": info.key_id,
                     "sm3_fingerprint": info.fingerprint, "active": info.active,
                     "path": relative})
    checkpoint_keys = []
    for info in checkpoints.public_keys():
        relative = f"keys/{CHECKPOINT_KEYS}/{info.key_id}.pub.pem"
        writer.add_bytes(relative, info.pem.encode("ascii"),
                         f"SM2 public key {info.key_id} of the history checkpoints")
        checkpoint_keys.append({"key_id": info.key_id, "sm3_fingerprint": info.fingerprint,
                                "active": info.active, "path": relative})
    for relative, source in _schema_files():
        writer.add_file(relative, source, "Field definitions (ckanext-scheming YAML)")
    writer.add_bytes("schemas/vocabularies.json", _vocabularies(),
                     "Codes of every controlled vocabulary with their labels")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": now.isoformat() + "Z",
        "site_id": tk.config.get("ckan.site_id"),
        "site_url": tk.config.get("ckan.site_url"),
        "site_user": site_user.name if site_user else None,
        "ckan_version": ckan.__version__,
        "schema_revision": revision,
        "counts": {**counts, "files": files, "public_keys": len(keys),
                   "tables": {name: info["rows"] for name, info in tables.items()}},
        "history": {"events": history_check.length, "intact": history_check.ok},
        "tables": tables,
        "public_keys": keys,
        "checkpoint_keys": checkpoint_keys,
    }


def _finish_archive(writer: _ArchiveWriter, manifest: dict[str, Any]) -> None:
    writer.add_bytes("README.txt", readme(manifest).encode("utf-8"),
                     "How to read this archive without the software")
    manifest["parts"] = sorted(writer.parts, key=lambda part: part["path"])
    content = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    with open(writer.path("manifest.json"), "w", encoding="utf-8") as handle:
        handle.write(content)
    sums = [f"{part['sha256']}  {part['path']}" for part in manifest["parts"]]
    manifest_sha, _ = _sha256_file(writer.path("manifest.json"))
    sums.append(f"{manifest_sha}  manifest.json")
    with open(writer.path("SHA256SUMS"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(sorted(sums, key=lambda line: line[66:])) + "\n")


# ---------------------------------------------------------------------------
# Reading an archive


@contextlib.contextmanager
def open_archive(path: str) -> Iterator[Archive]:
    try:
        readable = tarfile.is_tarfile(path)
    except OSError as error:
        raise BackupError(f"无法读取备份文件 / Cannot read the archive: {error}") from None
    if not readable:
        raise BackupError("备份文件不是 tar 文件 / The archive is not a tar file")
    with tarfile.open(path, "r:*") as tar:
        yield Archive(tar)


class Archive:
    """A backup archive opened for reading; every part is checked against the manifest."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members = {member.name: member for member in self.tar.getmembers()
                        if member.isfile()}
        tops = {name.split("/", 1)[0] for name in self.members}
        if len(tops) != 1:
            raise BackupError("备份文件结构无效 / Not a tjregistry backup archive")
        self.top = tops.pop()
        try:
            self.manifest = json.loads(self.read("manifest.json", check=False))
        except (KeyError, json.JSONDecodeError):
            raise BackupError("缺少或无法解析 manifest.json / manifest.json missing or "
                              "unreadable") from None
        if self.manifest.get("format") != FORMAT:
            raise BackupError("不是本平台的备份 / Not a tjregistry backup archive")
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"不支持的备份格式版本 {self.manifest.get('format_version')} / "
                              "Unsupported backup format version")
        self.parts = {part["path"]: part for part in self.manifest.get("parts", [])}

    def _member(self, relative: str) -> tarfile.TarInfo:
        member = self.members.get(f"{self.top}/{relative}")
        if member is None:
            raise KeyError(relative)
        return member

    def read(self, relative: str, check: bool = True) -> bytes:
        handle = self.tar.extractfile(self._member(relative))
        assert handle is not None
        content = handle.read()
        if check:
            part = self.parts[relative]
            if hashlib.sha256(content).hexdigest() != part["sha256"]:
                raise BackupError(f"{relative} 的 SHA-256 与清单不符 / {relative} does not match "
                                  "its SHA-256 in the manifest")
        return content

    def lines(self, relative: str) -> Iterator[dict[str, Any]]:
        for line in self.read(relative).decode("utf-8").splitlines():
            if line.strip():
                yield json.loads(line)

    def verify(self) -> list[str]:
        """Problems with the archive's integrity (empty when every part is intact)."""
        problems = []
        listed = set(self.parts)
        present = {name.split("/", 1)[1] for name in self.members}
        for relative in sorted(listed - present):
            problems.append(f"missing part {relative}")
        for relative in sorted(present - listed - {"manifest.json", "SHA256SUMS"}):
            problems.append(f"unlisted file {relative}")
        for relative in sorted(listed & present):
            handle = self.tar.extractfile(self._member(relative))
            assert handle is not None
            if _sha256_stream(handle)[0] != self.parts[relative]["sha256"]:
                problems.append(f"altered part {relative}")
        return problems


# ---------------------------------------------------------------------------
# Restoring


@dataclass
class RestoreResult:
    counts: dict[str, int] = field(default_factory=dict)
    history_events: int = 0
    history_intact: bool = False
    certificates: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.history_intact and not self.problems


def initialisation_problems(connection: Any) -> list[str]:
    """Tables missing because the database was never initialised with ``ckan db init``."""
    present = set(sa.inspect(connection).get_table_names())
    missing = [name for name in CKAN_TABLES if name not in present]
    if VERSION_TABLE not in present:
        missing.append(VERSION_TABLE)
    return missing


def emptiness_problems() -> list[str]:
    """Why this instance is not empty (``EMPTY``: a restore only rebuilds an empty
    instance; the site user and sysadmin accounts may exist)."""
    problems = []
    if model.Session.query(model.Package.id).first() is not None:
        problems.append("datasets exist")
    if model.Session.query(model.Group.id).first() is not None:
        problems.append("organizations or groups exist")
    site_id = tk.config.get("ckan.site_id")
    others = (model.Session.query(model.User.name)
              .filter(model.User.name != site_id, model.User.sysadmin.is_(False))
              .order_by(model.User.name).limit(5).all())
    if others:
        problems.append("user accounts other than sysadmins exist ("
                        + ", ".join(row[0] for row in others) + ")")
    connection = model.Session.connection()
    for name in registry_tables(connection):
        if name == VERSION_TABLE:
            continue
        if connection.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
            problems.append(f"table {name} has rows")
    return problems


def _check_tables(archive: Archive, connection: Any) -> dict[str, sa.Table]:
    """This instance's tables for the archived ones, in foreign-key order."""
    present = set(registry_tables(connection))
    metadata = sa.MetaData()
    for name, info in archive.manifest["tables"].items():
        if name not in present:
            raise BackupError(f"目标库缺少表 {name} / The table {name} does not exist here. "
                              + INIT_FIRST)
        table = sa.Table(name, metadata, autoload_with=connection)
        missing = [c["name"] for c in info["columns"] if c["name"] not in table.columns]
        if missing:
            raise BackupError(f"表 {name} 缺少列 {', '.join(missing)} / The table {name} lacks "
                              f"the columns {', '.join(missing)}. " + INIT_FIRST)
    archived = set(archive.manifest["tables"])
    return {table.name: table for table in metadata.sorted_tables if table.name in archived}


def restore(path: str, *, progress: Progress | None = None) -> RestoreResult:
    """Rebuild this empty instance from the archive at ``path``; see the module docstring."""
    say = progress or (lambda message: None)
    with open_archive(path) as archive:
        say("checking the archive")
        problems = archive.verify()
        if problems:
            raise BackupError("备份文件不完整或已被改动 / The archive is incomplete or altered: "
                              + "; ".join(problems))
        model.Session.rollback()
        missing = initialisation_problems(model.Session.connection())
        if missing:
            raise BackupError("数据库尚未初始化(缺少表 " + ", ".join(missing) + ") / The "
                              "database is not initialised (missing tables: "
                              + ", ".join(missing) + "). " + INIT_FIRST)
        busy = emptiness_problems()
        if busy:
            raise BackupError("只能恢复到空实例 / Restore needs an empty instance: "
                              + "; ".join(busy) + ". " + EMPTY)
        targets = _check_tables(archive, model.Session.connection())
        result = RestoreResult()
        written: list[str] = []
        try:
            say("files")
            result.counts["files"] = _restore_files(archive, written)
            result.counts["public_keys"] = _restore_public_keys(archive, written)
            result.counts["checkpoint_keys"] = _restore_checkpoint_keys(archive, written)
            _restore_database(archive, targets, result, say)
        except BaseException:
            model.Session.rollback()
            for target in reversed(written):
                if os.path.isfile(target):
                    os.remove(target)
            raise
    say("search index")
    _reindex()
    say("verifying")
    _verify_restored(result)
    return result


def _restore_database(archive: Archive, targets: dict[str, sa.Table], result: RestoreResult,
                      say: Progress) -> None:
    session = model.Session
    manifest = archive.manifest
    site_id = tk.config.get("ckan.site_id")
    say("users")
    users = list(archive.lines("ckan/users.jsonl"))
    kept = _replace_local_accounts(session, {row["name"] for row in users}, site_id)
    for row in users:
        user = model.User()
        for name in USER_FIELDS:
            setattr(user, name, _user_value(name, row.get(name)))
        if row["name"] in kept:
            # The operator's account of this instance keeps its password (the stored
            # hash: assigning ``password`` would hash it again) and its rights.
            user._password = kept[row["name"]].password_hash
            user.sysadmin = True
            user.state = "active"
        session.add(user)
    say("organizations")
    groups: dict[str, model.Group] = {}
    for row in archive.lines("ckan/organizations.jsonl"):
        extras = row.pop("extras", {}) or {}
        row["created"] = from_json_value(row.get("created"), "TIMESTAMP")
        group = model.Group()
        for name in GROUP_FIELDS:
            setattr(group, name, row.get(name))
        session.add(group)
        session.flush()
        if hasattr(model, "GroupExtra"):
            for key, value in extras.items():
                group.extras[key] = value
        else:  # CKAN 2.12 keeps extras in a JSONB column of the group table
            group.extras = dict(extras)
        groups[group.id] = group
    memberships = 0
    for row in archive.lines("ckan/memberships.jsonl"):
        # Through the relationship: the constructor sets ``group``, which would
        # otherwise override ``group_id`` with NULL at the flush.
        member = model.Member(group=groups[row["group_id"]], table_id=row["table_id"],
                              table_name=row["table_name"], capacity=row["capacity"],
                              state=row["state"])
        member.id = row["id"]
        session.add(member)
        memberships += 1
    session.flush()
    say("registration tables")
    connection = session.connection()
    for name, table in targets.items():
        columns = {c["name"]: c["type"] for c in manifest["tables"][name]["columns"]}
        batch: list[dict[str, Any]] = []
        for row in archive.lines(f"tables/{name}.jsonl"):
            batch.append({key: from_json_value(value, columns[key])
                          for key, value in row.items()})
            if len(batch) >= 1000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
        _reset_sequences(connection, table)
        result.counts[name] = manifest["tables"][name]["rows"]
    say("datasets")
    datasets = _restore_datasets(archive)
    # Solr is rebuilt afterwards, once for every dataset (see _reindex).
    bulk.commit_without_indexing()
    result.counts.update({"users": len(users), "organizations": len(groups),
                          "memberships": memberships, "datasets": datasets})


@dataclass(frozen=True)
class _LocalAccount:
    password_hash: str | None


def _replace_local_accounts(session: Any, archived: set[str],
                            site_id: str | None) -> dict[str, _LocalAccount]:
    """Make room for archived accounts that share a name with this instance's accounts.

    An empty instance holds only its site user and sysadmins (``EMPTY``). Where the
    archive has an account of the same name, the archived one (its id, memberships and
    history) takes the place of the local one; a local sysadmin other than the site
    user keeps its password and stays a sysadmin, so the operator can still log in.
    Returns those kept sysadmins by name.
    """
    kept: dict[str, _LocalAccount] = {}
    local = session.query(model.User).filter(model.User.name.in_(sorted(archived))).all()
    inspector = sa.inspect(session.connection())
    has_activity = "activity" in inspector.get_table_names()
    for user in local:
        if user.name != site_id:
            kept[user.name] = _LocalAccount(user._password)
        session.query(model.ApiToken).filter(model.ApiToken.user_id == user.id).delete()
        if has_activity:
            # Its "new user" activity would name an account that no longer exists.
            session.execute(sa.text(
                "DELETE FROM activity_detail WHERE activity_id IN (SELECT id FROM activity "
                "WHERE user_id = :id OR object_id = :id)"), {"id": user.id})
            session.execute(sa.text("DELETE FROM activity WHERE user_id = :id OR "
                                    "object_id = :id"), {"id": user.id})
        session.delete(user)
    session.flush()
    return kept


def _user_value(name: str, value: Any) -> Any:
    return from_json_value(value, "TIMESTAMP") if name == "created" else value


def _reset_sequences(connection: Any, table: sa.Table) -> None:
    """Serial columns continue after the restored rows."""
    for column in table.columns:
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if sequence:
            connection.execute(sa.text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                f'"{table.name}"), 0) + 1, false)'), {"s": sequence})


def _restore_datasets(archive: Archive) -> int:
    site_user = _site_user_name()
    context = {"ignore_auth": True, "defer_commit": True, "user": site_user,
               "tjregistry_restore": True}
    stamps = []
    count = 0
    for dataset in archive.lines("ckan/datasets.jsonl"):
        data = {key: value for key, value in dataset.items() if key not in COMPUTED_DATASET_KEYS}
        data["resources"] = [
            {key: value for key, value in resource.items() if key not in COMPUTED_RESOURCE_KEYS}
            for resource in dataset.get("resources") or []]
        data["groups"] = [{"id": group["id"]} for group in dataset.get("groups") or []]
        tk.get_action("package_create")(dict(context), data)
        stamps.append((dataset["id"], dataset.get("metadata_created"),
                       dataset.get("metadata_modified"), dataset.get("creator_user_id")))
        count += 1
    # package_create stamps the present time; the archive's times are the real ones.
    for package_id, created, modified, creator in stamps:
        package = model.Package.get(package_id)
        if package is None:
            continue
        if created:
            package.metadata_created = dt.datetime.fromisoformat(created)
        if modified:
            package.metadata_modified = dt.datetime.fromisoformat(modified)
        package.creator_user_id = creator
    return count


def _safe_target(base: str, relative: str) -> str:
    target = os.path.normpath(os.path.join(base, *relative.split("/")))
    if not target.startswith(os.path.normpath(base) + os.sep):
        raise BackupError(f"不安全的文件路径 / Unsafe path in the archive: {relative}")
    return target


def _restore_files(archive: Archive, written: list[str]) -> int:
    storage = _storage_path()
    if not storage:
        raise BackupError("未配置 ckan.storage_path / ckan.storage_path is not configured")
    areas = file_areas()
    count = 0
    for relative in sorted(archive.parts):
        if not relative.startswith("files/"):
            continue
        inside = relative.removeprefix("files/")
        area = next((name for name in sorted(areas, key=len, reverse=True)
                     if inside.startswith(name + "/")), None)
        if area is None:
            target = _safe_target(storage, inside)
        else:
            target = _safe_target(areas[area], inside.removeprefix(area + "/"))
        if os.path.exists(target):
            raise BackupError(f"文件已存在 / A file already exists: {target}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        content = archive.read(relative)
        with open(target, "wb") as handle:
            handle.write(content)
        written.append(target)
        count += 1
    return count


def _write_public_key(key_dir: str, relative: str, key_id: str, pem: bytes,
                      written: list[str]) -> bool:
    """Put a published key into a key store; an existing file must be identical. Returns
    whether a file was written."""
    if signing.key_id_for(signing.load_public_key(pem)) != key_id:
        raise BackupError(f"公钥 {key_id} 与其编号不符 / The public key "
                          f"{key_id} does not match its id")
    target = _safe_target(key_dir, relative)
    if os.path.exists(target):
        with open(target, "rb") as handle:
            if handle.read().strip() != pem.strip():
                raise BackupError(f"密钥库中的公钥 {key_id} 与备份不同 / The key store "
                                  f"holds a different key {key_id}")
        return False
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(pem)
    written.append(target)
    return True


def _restore_public_keys(archive: Archive, written: list[str]) -> int:
    """Published keys go to the key store so that every certificate verifies; an
    existing key file must be identical (private keys come from the key escrow)."""
    key_dir = str(signing.default_keystore().key_dir)
    return sum(_write_public_key(key_dir, f"{key['institution']}/{key['key_id']}.pub.pem",
                                 key["key_id"], archive.read(key["path"]), written)
               for key in archive.manifest.get("public_keys", []))


def _restore_checkpoint_keys(archive: Archive, written: list[str]) -> int:
    """The history checkpoints' public keys go to their key store, so that the restored
    checkpoints verify (the private key comes from its escrow, like the institutions')."""
    key_dir = str(checkpoints.keystore().key_dir)
    return sum(_write_public_key(key_dir, f"{checkpoints.SIGNER}/{key['key_id']}.pub.pem",
                                 key["key_id"], archive.read(key["path"]), written)
               for key in archive.manifest.get("checkpoint_keys", []))


def _reindex() -> None:
    from ckan.lib import search

    search.rebuild(defer_commit=True, quiet=True, clear=True)
    search.commit()


def _verify_restored(result: RestoreResult) -> None:

    check = history.verify(model.Session)
    result.history_events = check.length
    result.history_intact = check.ok
    result.problems += [f"history event {p['event_id']}: {p['problem']}" for p in check.problems]
    store = signing.default_keystore()
    tally: dict[str, int] = {}
    for certificate in model.Session.query(Certificate).order_by(Certificate.code,
                                                                  Certificate.version):
        # Every version's signature and register copy; the current one also by its code,
        # as anyone holding the certificate would check it.
        if not verification._register_copy_is_genuine(store, certificate):
            outcome = verification.NOT_GENUINE
        elif certificate.status == "superseded":
            outcome = "superseded"
        else:
            outcome = verification.verify_code(certificate.code, store).result
        tally[outcome] = tally.get(outcome, 0) + 1
        if outcome in (verification.NOT_GENUINE, verification.NOT_FOUND):
            result.problems.append(f"certificate {certificate.code} v{certificate.version} "
                                   "does not verify")
    result.certificates = tally


# ---------------------------------------------------------------------------
# The README inside every archive


def readme(manifest: dict[str, Any]) -> str:

    counts = manifest["counts"]
    table_lines = "\n".join(f"  tables/{name}.jsonl  ({info['rows']} rows)"
                            for name, info in sorted(manifest["tables"].items()))
    hashed = ", ".join(history.HASHED_FIELDS)
    return README_TEMPLATE.format(
        created=manifest["created"], site_url=manifest["site_url"],
        site_id=manifest["site_id"], format=FORMAT, version=FORMAT_VERSION,
        ckan_version=manifest["ckan_version"], revision=manifest["schema_revision"],
        datasets=counts["datasets"], organizations=counts["organizations"],
        users=counts["users"], files=counts["files"], keys=counts["public_keys"],
        events=manifest["history"]["events"], tables=table_lines, hashed=hashed,
        genesis=history.GENESIS)


README_TEMPLATE = """\
天津市公共数据资源登记平台 登记信息备份
Tianjin Public Data Resource Registration Platform: registration records backup
==============================================================================

备份时间 Created (UTC): {created}
平台 Site: {site_url} (site_id {site_id})
格式 Format: {format}, version {version}; CKAN {ckan_version}; registry schema {revision}
内容 Content: {datasets} datasets, {organizations} organizations, {users} users,
  {events} history events, {files} stored files, {keys} public signing keys.

本文件说明如何在没有本软件的情况下阅读和核验本备份。按《天津市公共数据资源登记管理实施细则》
第十四条,登记信息备份原则上保存不少于30年。
This file explains how to read and check this backup without the software that wrote
it. Registration records are kept for at least 30 years (Tianjin rules, Art. 14).

1. 文件格式 Formats
-------------------
* The archive is a POSIX tar file (pax format), optionally gzip-compressed.
* Every text file is UTF-8. *.jsonl files are JSON Lines: one JSON object (RFC 8259)
  per line. *.pem files are PEM-encoded public keys. *.yaml files are YAML 1.2.
* Times are ISO 8601 in UTC without a zone suffix (e.g. 2026-11-27T08:30:00);
  dates are ISO 8601 (2026-11-27). Binary database values, if any, are base64.

2. 完整性核验 Checking integrity
-------------------------------
SHA256SUMS lists the SHA-256 of every file. In the archive's top folder run
    sha256sum -c SHA256SUMS
manifest.json lists the same digests with sizes, row counts and a description of
every part, plus the columns and SQL types of every table.

3. 内容 What is inside
----------------------
  README.txt             this file
  manifest.json          parts, digests, table columns, counts, public keys
  SHA256SUMS             sha256sum-compatible digests of every file
  ckan/datasets.jsonl    every dataset (one registration record each): the fields
                         defined in schemas/*.yaml (labels in Chinese and English),
                         with the registration status at backup time
  ckan/organizations.jsonl  registrants, registration institutions, data
                         authorities and agencies; their fields are under "extras"
                         (org_kind, admin_level, district_code, uscc, ...)
  ckan/users.jsonl       user accounts: id, name, full name, e-mail, state. No
                         password hashes, API tokens or reset keys.
  ckan/memberships.jsonl which user belongs to which organization, in which capacity
  schemas/*.yaml         field definitions; schemas/vocabularies.json lists every
                         code (e.g. share_type "conditional" = 有条件共享)
  keys/<institution>/<key id>.pub.pem   the institutions' SM2 public keys
  keys/history-checkpoints/<key id>.pub.pem   the key of the history checkpoints
  files/resources/...    uploaded files of datasets (path: the resource id split as
                         <first 3>/<next 3>/<rest>)
  files/tjregistry/...   evidence sample files (evidence/<evidence number>/...),
                         powers of attorney (delegations/<delegation id>/...),
                         objection evidence (objections/...), the signed
                         history checkpoints (history-checkpoints/checkpoints.jsonl)
                         and other registration materials
  Registration tables (one row per line, column names as keys):
{tables}

Main tables:
  tjregistry_application   registration applications: type (initial, change,
                           correction, cancellation), state, deadlines, decisions
  tjregistry_registration  one row per registered dataset: status and the
                           registered version (snapshot)
  tjregistry_event         the registration history (append-only, hash-chained)
  tjregistry_certificate   registration certificates (登记凭证), with the signed
                           envelope of every version
  tjregistry_evidence      evidence records (存证): SHA-256 manifests of the data
  tjregistry_delegation    delegations of registrants to third-party agencies
  tjregistry_catalogue_entry  the imported government data catalogue

4. 核验登记历史 Verifying the registration history
-----------------------------------------------
Sort tjregistry_event rows by "id". For each row take the fields
    {hashed}
into a JSON object and write it in canonical form: keys sorted, no spaces
(separators "," and ":"), non-ASCII characters as themselves, UTF-8. Its SHA-256
(lower-case hex) must equal the row's "hash", and the row's "prev_hash" must equal
the previous row's "hash" ({genesis} for the first row). The table
tjregistry_history_head holds the number of events and the last hash, so that a
missing last event is detected too.

Signed checkpoints anchor the chain: files/tjregistry/history-checkpoints/
checkpoints.jsonl (and the table tjregistry_history_checkpoint) hold one JSON object
per checkpoint. Its fields format, alg, key_id, signer and content, in the canonical
form above, are signed like a certificate (section 5) with the key
keys/history-checkpoints/<key_id>.pub.pem. content.head names the last event's id and
hash and the number of events; "events" lists [id, hash] of the events since the
previous checkpoint, and the SHA-256 of its canonical JSON is content.covers.events_sha256.
Every listed event must be in tjregistry_event with that hash: a history rewritten
after the checkpoint no longer matches it, even with every later hash recomputed.

5. 核验登记凭证 Verifying certificates
------------------------------------
Each tjregistry_certificate row has an "envelope". The signed document is the
envelope's fields format, alg, key_id, institution and content, written in the same
canonical JSON form (it is also stored as the row's "canonical"). "signature" is
base64 of r||s (32 bytes each) of an SM2 signature with SM3 (GB/T 32918, signer id
1234567812345678) over that text, made with the key
keys/<institution>/<key_id>.pub.pem. Any SM2 tool (e.g. GmSSL, Tongsuo) verifies it.

6. 核验存证 Verifying evidence
----------------------------
A tjregistry_evidence row's "manifest" lists files as {{"path", "bytes", "sha256"}}
sorted by path; "manifest_sha256" is the SHA-256 of the canonical JSON of
{{"entries": <manifest>, "format": "tjregistry-evidence-manifest/1"}}. A copy of the
data matches when every listed file has the listed size and SHA-256.

7. 恢复 Restoring
----------------
With the platform software: install the same version, create an empty database and
search core (`ckan db init`), copy the institutions' private signing keys back from
their key escrow if new certificates must be signed, then run
    ckan tjregistry restore <this archive>
It checks every digest, refuses a non-empty instance (one with datasets,
organizations, registration records or accounts other than the site user and
sysadmins), rebuilds users, organizations,
memberships, the registration tables, the datasets and stored files, rebuilds the
search index, and verifies the history chain and every certificate. Restored users
set a new password with "forgot password".
Without the software: every part is plain JSON; load the tables into any database
using the columns listed in manifest.json.
"""
