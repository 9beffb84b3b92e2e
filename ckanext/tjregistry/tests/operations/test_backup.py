"""Backups (Art. 14): the archive is readable without the software, and a restore into a
fresh database and a fresh Solr core gives back an instance whose certificates and
history still verify. The CKAN command line runs in subprocesses against each instance.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import textwrap
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.certificates import files, issuance
from ckanext.tjregistry.common import history
from ckanext.tjregistry.operations import backup
from ckanext.tjregistry.tests.publicity_helpers import PDF_BYTES, filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import (
    build_world,
    call_as,
    colleague,
    make_dataset,
    make_org,
    make_user,
    submit,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")
SAMPLE = {"样本.csv": b"trip,route\n1,8\n", "readme.txt": b"sample of the bus data\n"}
RESOURCE_FILE = "id,name\n1,和平路小学\n".encode()
ATTORNEY = b"%PDF-1.4 power of attorney"
OPERATOR_PASSWORD = "Local-operator-2026"
# The hashed fields of a history event, as the archive's README lists them.
HASHED = ("id", "subject", "application_id", "package_id", "action", "from_state", "to_state",
          "actor_id", "role", "institution_id", "note", "data", "created", "prev_hash")


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name)


def run_ckan(env: dict[str, str], *args: str, check: bool = True,
             input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([CKAN, "-c", os.path.join(ROOT, "test.ini"), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=900, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"ckan {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# ------------------------------------------------------------- a fresh instance ---


def _replace_last(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def new_instance(tmp_path, initialise: bool = True) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database and Solr core, initialised by `ckan db init` or not."""
    suffix = uuid.uuid4().hex[:8]
    db, core = f"tjr_ops_restore_{suffix}", f"ckan_ops_restore_{suffix}"
    subprocess.run(["bash", "services/stack.sh", "ensure-db", db], cwd=ROOT, check=True,
                   capture_output=True)
    subprocess.run(["bash", "services/stack.sh", "ensure-core", core], cwd=ROOT, check=True,
                   capture_output=True)
    db_url = _replace_last(os.environ["CKAN_SQLALCHEMY_URL"], db)
    solr_url = _replace_last(os.environ["CKAN_SOLR_URL"], core)
    env = dict(os.environ, CKAN_SQLALCHEMY_URL=db_url, CKAN_SOLR_URL=solr_url,
               CKAN_STORAGE_PATH=str(tmp_path / f"restored-storage-{suffix}"),
               CKAN_INI=os.path.join(ROOT, "test.ini"))
    os.makedirs(env["CKAN_STORAGE_PATH"])
    try:
        if initialise:
            run_ckan(env, "db", "init")
        yield env
    finally:
        parsed = urllib.parse.urlsplit(db_url)
        connection = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432,
                                      user=parsed.username, password=parsed.password,
                                      dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))
            cursor.execute(f'DROP DATABASE IF EXISTS "{db}"')
        connection.close()
        base = solr_url.rsplit("/", 1)[0]
        query = urllib.parse.urlencode({"action": "UNLOAD", "core": core, "deleteIndex": "true",
                                        "deleteDataDir": "true", "deleteInstanceDir": "true"})
        urllib.request.urlopen(f"{base}/admin/cores?{query}", timeout=60).read()


@pytest.fixture
def fresh_instance(tmp_path):
    """A new database and Solr core initialised by `ckan db init`."""
    with new_instance(tmp_path) as env:
        yield env


# ----------------------------------------------------------------- the source ---


def build_source(tmp_path) -> dict:
    """Registrations in several states, evidence, an agency, uploads and the catalogue."""
    world = build_world()
    agency = make_org("tj-shulian", "agency", "city", "120000", title="天津数链咨询有限公司")
    agent = make_user("agent", agency)
    delegation = call_as(world.hp_clerk, "agency_delegation_create", registrant_id="hp-reg",
                         agency_id="tj-shulian", scope=["application", "evidence"],
                         valid_until="2099-12-31", document_no="WT-2026-007",
                         document=upload("委托书.pdf", ATTORNEY))

    registered = make_dataset(world.hp_reg, title="和平区学校名录")
    application = submit(world.hp_clerk, registered)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])
    certificate = issuance.current_for_package(registered["id"])
    assert certificate is not None and certificate.status == "valid"
    # The file as the platform hands it out (its digest recorded in the register).
    (tmp_path / "certificate.pdf").write_bytes(files.issued_pdf(certificate))
    model.Session.commit()

    operated = make_dataset(world.hp_reg, title="和平区公交客流", in_authorized_operation=True,
                            operator_name="天津数据运营有限公司", evidence_provider="外部机构",
                            evidence_time="2025-02-20T10:30:00", evidence_hash="a" * 64)
    record = call_as(agent, "evidence_create", package_id=operated["id"],
                     **{f"file{i}": upload(name, content)
                        for i, (name, content) in enumerate(SAMPLE.items())})
    pending = call_as(agent, "registration_submit", package_id=operated["id"], pledge=True,
                      internal_review=True)

    # An objection with its evidence file, during another application's publicity.
    _dataset, in_publicity_app = in_publicity(world, "city_reg")
    objection = helpers.call_action("objection_create", {"user": ""},
                                    **filing(in_publicity_app["id"]))

    with_file = make_dataset(world.bh_reg, title="滨海新区学校名单", private=True)
    resource = helpers.call_action("resource_create", {"ignore_auth": True,
                                                       "user": world.sysadmin["name"]},
                                   package_id=with_file["id"], name="学校名单",
                                   resource_kind="data", format="CSV", url="schools.csv",
                                   upload=upload("schools.csv", RESOURCE_FILE))
    deleted = make_dataset(world.bh_reg, title="已删除的草稿")
    helpers.call_action("package_delete", {"ignore_auth": True, "user": world.sysadmin["name"]},
                        id=deleted["id"])

    catalogue = tmp_path / "catalogue.csv"
    with open(catalogue, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["目录编码", "资源名称", "资源摘要", "提供方名称"])
        writer.writerow(["120101-JY-0009", "和平区学位数据", "学位分配。", "和平区教育局"])
        writer.writerow(["120000-XX-0001", "中央驻津单位数据", "简介。", "中央驻津单位"])
    from ckanext.tjregistry.operations import catalogue_import

    catalogue_import.run(str(catalogue), report_path=str(tmp_path / "report.csv"))
    model.Session.remove()
    return {"world": world, "delegation": delegation, "registered": registered,
            "application": application, "code": certificate.code, "operated": operated,
            "evidence": record, "pending": pending, "with_file": with_file,
            "resource": resource, "deleted": deleted, "objection": objection,
            "history_length": history.verify().length,
            "datasets": model.Session.query(model.Package).count(),
            "password_hash": model.User.get("hp_clerk").password}


# ------------------------------------------------------------------ reading ---


def read_archive(path: str) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile()]
        top = {name.split("/", 1)[0] for name in names}
        assert len(top) == 1
        return {name.split("/", 1)[1]: archive.extractfile(name).read() for name in names}


def jsonl(content: bytes) -> list[dict]:
    return [json.loads(line) for line in content.decode("utf-8").splitlines() if line]


def check_without_the_software(files: dict[str, bytes], source: dict) -> None:
    """What a reader in thirty years can check with sha256sum and a JSON parser."""
    sums = files["SHA256SUMS"].decode("utf-8").splitlines()
    assert len(sums) == len(files) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    manifest = json.loads(files["manifest.json"])
    assert (manifest["format"], manifest["format_version"]) == ("tjregistry-backup", 1)
    assert {part["path"] for part in manifest["parts"]} == set(files) - {"manifest.json",
                                                                         "SHA256SUMS"}
    readme = files["README.txt"].decode("utf-8")
    assert "30" in readme and "sha256sum -c SHA256SUMS" in readme
    assert ", ".join(HASHED) in readme

    # The history chain, recomputed by the README's recipe.
    events = sorted(jsonl(files["tables/tjregistry_event.jsonl"]), key=lambda e: e["id"])
    assert len(events) == source["history_length"] > 0
    previous = "0" * 64
    for event in events:
        content = {name: event[name] for name in HASHED}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == event["hash"]
        assert event["prev_hash"] == previous
        previous = event["hash"]
    head = jsonl(files["tables/tjregistry_history_head.jsonl"])
    assert head == [{"id": 1, "length": len(events), "hash": previous}]

    # Registration tables, registrations, restricted fields and the catalogue.
    for table in ("tjregistry_application", "tjregistry_registration", "tjregistry_certificate",
                  "tjregistry_evidence", "tjregistry_delegation", "tjregistry_catalogue_entry",
                  "tjregistry_notification"):
        assert f"tables/{table}.jsonl" in files
    assert "tables/tjregistry_alembic_version.jsonl" not in files
    datasets = {d["id"]: d for d in jsonl(files["ckan/datasets.jsonl"])}
    assert len(datasets) == source["datasets"]
    assert datasets[source["operated"]["id"]]["evidence_cert_no"] == source["evidence"]["number"]
    assert datasets[source["deleted"]["id"]]["state"] == "deleted"
    certificates = jsonl(files["tables/tjregistry_certificate.jsonl"])
    assert [c["code"] for c in certificates] == [source["code"]]
    envelope = certificates[0]["envelope"]
    signed = {key: envelope[key] for key in ("format", "alg", "key_id", "institution",
                                              "content")}
    assert json.dumps(signed, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False) == certificates[0]["canonical"]
    assert f"keys/{envelope['institution']}/{envelope['key_id']}.pub.pem" in files
    # The PDF handed out is kept: only those bytes verify as the original.
    handed_out = files[f"files/tjregistry/certificate-pdf/{certificates[0]['id']}.pdf"]
    assert hashlib.sha256(handed_out).hexdigest() == certificates[0]["file_sha256"]
    evidence = jsonl(files["tables/tjregistry_evidence.jsonl"])[0]
    for entry in evidence["manifest"]:
        stored = files[f"files/tjregistry/evidence/{evidence['number']}/{entry['path']}"]
        assert hashlib.sha256(stored).hexdigest() == entry["sha256"]
    objection_files = jsonl(files["tables/tjregistry_objection_file.jsonl"])
    assert len(objection_files) == 1
    stored = objection_files[0]["stored_name"]
    assert files[f"files/tjregistry/objections/{stored[:2]}/{stored}"] == PDF_BYTES
    assert hashlib.sha256(PDF_BYTES).hexdigest() == objection_files[0]["sha256"]
    delegation = jsonl(files["tables/tjregistry_delegation.jsonl"])[0]
    attorney = files[f"files/tjregistry/delegations/{delegation['document_path']}"]
    assert hashlib.sha256(attorney).hexdigest() == delegation["document_sha256"]

    # Public identity only: no password hashes, tokens or private keys anywhere.
    users = jsonl(files["ckan/users.jsonl"])
    assert {"hp_clerk", "agent", "city_reviewer"} <= {u["name"] for u in users}
    assert not {"password", "apikey", "reset_key", "plugin_extras"} & set().union(*users)
    everything = b"".join(files.values())
    assert source["password_hash"].encode() not in everything
    assert b"PRIVATE KEY" not in everything


# ------------------------------------------------------------------ the tests ---


VERIFY_RESTORED = textwrap.dedent("""
    import hashlib, json, os, sys
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(os.environ["CKAN_INI"]))
    with app._wsgi_app.test_request_context():
        import ckan.model as model
        import ckan.plugins.toolkit as tk
        from ckanext.tjregistry.common import history
        from ckanext.tjregistry.publicity import objections
        from ckanext.tjregistry.registration import agencies, evidence
        from ckanext.tjregistry.certificates import verification
        from ckanext.tjregistry.model.agency import Delegation
        from ckanext.tjregistry.model.catalogue import CatalogueEntry
        from ckanext.tjregistry.model.objection import ObjectionFile

        args = json.loads(sys.argv[1])
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        context = {"ignore_auth": True, "user": site}
        chain = history.verify()
        found = tk.get_action("package_search")(dict(context), {
            "q": "*:*", "include_private": True, "include_drafts": True, "rows": 100})
        registered = tk.get_action("package_search")(dict(context), {
            "fq": "registration_status:registered", "include_private": True})
        pending = tk.get_action("package_search")(dict(context), {
            "fq": "registration_status:pending", "include_private": True})
        operated = tk.get_action("package_show")(dict(context), {"id": args["operated"]})
        shown = tk.get_action("package_show")(dict(context), {"id": args["registered"]})
        record = evidence.get(args["evidence"])
        copy = [evidence.Entry(path, hashlib.sha256(content.encode("latin-1")).hexdigest(),
                               len(content.encode("latin-1")))
                for path, content in args["sample"].items()]
        delegation = model.Session.get(Delegation, args["delegation"])
        storage = tk.config["ckan.storage_path"]
        attorney = os.path.join(storage, "tjregistry", "delegations", delegation.document_path)
        resource = args["resource"]
        resource_path = os.path.join(storage, "resources", resource[:3], resource[3:6],
                                     resource[6:])
        with open(args["pdf"], "rb") as handle:
            pdf_result = verification.verify_pdf(handle.read()).result
        history_events = tk.get_action("registration_history")(
            dict(context), {"package_id": args["registered"]})
        print(json.dumps({
            "history_ok": chain.ok, "history_length": chain.length,
            "code": verification.verify_code(args["code"]).result, "pdf": pdf_result,
            "search_count": found["count"],
            "registered": [r["id"] for r in registered["results"]],
            "pending": [r["id"] for r in pending["results"]],
            "evidence_cert_no": operated.get("evidence_cert_no"),
            "registration_code": shown.get("registration_code"),
            "metadata_created": shown["metadata_created"],
            "evidence_intact": evidence.record_intact(record),
            "evidence_match": evidence.verify(record, copy)["match"],
            "delegation_in_force": agencies.as_dict(delegation)["in_force"],
            "agent_acts": agencies.acts_for(model.User.get("agent"), delegation.registrant_id),
            "attorney_sha256": hashlib.sha256(open(attorney, "rb").read()).hexdigest(),
            "resource_file": open(resource_path, "rb").read().decode("utf-8"),
            "catalogue_entries": model.Session.query(CatalogueEntry).count(),
            "objection_evidence": [hashlib.sha256(open(objections.file_path(f.stored_name),
                                                       "rb").read()).hexdigest()
                                   for f in model.Session.query(ObjectionFile)],
            "clerk_password": model.User.get("hp_clerk").password,
            "clerk_reviewer_memberships": [m.capacity for m in model.Session.query(model.Member)
                .filter(model.Member.table_id == model.User.get("hp_reviewer").id,
                        model.Member.table_name == "user")],
            "history_events_for_registered": len(history_events),
            "deleted_state": tk.get_action("package_show")(
                dict(context), {"id": args["deleted"]})["state"],
            "operators": {name: [user.id, user.sysadmin, user.state,
                                 user.validate_password(args["operator_password"])]
                          for name in ("tjsysadmin", "ops_admin")
                          for user in [model.User.get(name)]},
        }))
""")


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_backup_then_restore_into_a_fresh_database_and_solr_core(tmp_path, fresh_instance):
    source = build_source(tmp_path)
    archive_path = str(tmp_path / "backups" / "tjregistry.tar.gz")
    output = run_ckan(dict(os.environ), "tjregistry", "backup", "-o", archive_path).stdout
    assert f"archive: {archive_path}" in output
    digest = re.search(r"sha256: ([0-9a-f]{64})", output).group(1)
    with open(archive_path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest

    check_without_the_software(read_archive(archive_path), source)
    assert run_ckan(fresh_instance, "tjregistry", "restore", "--check-only",
                    archive_path).returncode == 0

    # The production image's first start creates a sysadmin (CKAN_SYSADMIN_*): here one
    # with the name of an archived sysadmin and one the archive does not know.
    for name in ("tjsysadmin", "ops_admin"):
        run_ckan(fresh_instance, "sysadmin", "add", name, f"email={name}@example.gov.cn",
                 f"password={OPERATOR_PASSWORD}", input="y\n")
    local_id = run_ckan(fresh_instance, "sysadmin", "list").stdout
    assert "name=tjsysadmin" in local_id and source["world"].sysadmin["id"] not in local_id

    restored = run_ckan(fresh_instance, "tjregistry", "restore", archive_path)
    assert f"history: {source['history_length']} events, intact" in restored.stdout
    assert "certificates: valid 1" in restored.stdout
    assert f"restored datasets: {source['datasets']}" in restored.stdout

    args = {"operated": source["operated"]["id"], "registered": source["registered"]["id"],
            "evidence": source["evidence"]["number"], "delegation": source["delegation"]["id"],
            "resource": source["resource"]["id"], "deleted": source["deleted"]["id"],
            "code": source["code"], "pdf": str(tmp_path / "certificate.pdf"),
            "sample": {k: v.decode("latin-1") for k, v in SAMPLE.items()},
            "operator_password": OPERATOR_PASSWORD}
    checked = subprocess.run([sys.executable, "-c", VERIFY_RESTORED, json.dumps(args)],
                             cwd=ROOT, env=fresh_instance, capture_output=True, text=True,
                             timeout=600)
    assert checked.returncode == 0, checked.stderr
    facts = json.loads(checked.stdout.strip().splitlines()[-1])
    registered = helpers.call_action("package_show", id=source["registered"]["id"])
    assert facts == {
        "history_ok": True, "history_length": source["history_length"],
        "code": "valid", "pdf": "valid",
        "search_count": source["datasets"] - 1,  # the deleted one is not found
        "registered": [source["registered"]["id"]],
        "pending": [source["operated"]["id"]],
        "evidence_cert_no": source["evidence"]["number"],
        "registration_code": source["code"],
        "metadata_created": registered["metadata_created"],
        "evidence_intact": True, "evidence_match": True,
        "delegation_in_force": True, "agent_acts": True,
        "attorney_sha256": hashlib.sha256(ATTORNEY).hexdigest(),
        "resource_file": RESOURCE_FILE.decode("utf-8"),
        "catalogue_entries": 2,
        "objection_evidence": [hashlib.sha256(PDF_BYTES).hexdigest()],
        "clerk_password": None,
        "clerk_reviewer_memberships": ["editor"],
        "history_events_for_registered": len(helpers.call_action(
            "registration_history", {"user": source["world"].sysadmin["name"]},
            package_id=source["registered"]["id"])),
        "deleted_state": "deleted",
        # The archived account takes the place of the local one of the same name, which
        # keeps its password and rights; the other local sysadmin stays as it was.
        "operators": {"tjsysadmin": [source["world"].sysadmin["id"], True, "active", True],
                      "ops_admin": [facts["operators"]["ops_admin"][0], True, "active", True]},
    }

    # A second restore finds the instance no longer empty and changes nothing.
    again = run_ckan(fresh_instance, "tjregistry", "restore", archive_path, check=False)
    assert again.returncode != 0 and "empty instance" in again.stderr
    assert "datasets exist" in again.stderr and "other than the site user and sysadmins" \
        in again.stderr


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_restore_into_a_database_never_initialised_says_to_run_db_init(tmp_path):
    archive_path = str(tmp_path / "b.tar")
    backup.create(archive_path)
    with new_instance(tmp_path, initialise=False) as env:
        refused = run_ckan(env, "tjregistry", "restore", archive_path, check=False)
        assert refused.returncode != 0
        assert "The database is not initialised" in refused.stderr
        assert "Run `ckan db init` first" in refused.stderr
        # After `ckan db init` the same archive restores.
        run_ckan(env, "db", "init")
        restored = run_ckan(env, "tjregistry", "restore", archive_path)
        assert "history: 0 events, intact" in restored.stdout


@pytest.mark.usefixtures("clean_db")
def test_an_instance_with_only_the_site_user_and_sysadmins_is_empty():
    from ckan.tests import factories

    helpers.call_action("get_site_user", {"ignore_auth": True})
    factories.Sysadmin(name="docker_admin")
    assert backup.emptiness_problems() == []
    factories.User(name="someone")
    assert backup.emptiness_problems() == ["user accounts other than sysadmins exist (someone)"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_an_altered_archive_and_a_busy_instance_are_refused(tmp_path):
    world = build_world()
    dataset = make_dataset(world.hp_reg)
    archive_path = str(tmp_path / "b.tar")
    result = backup.create(archive_path)
    assert result.manifest["counts"]["datasets"] == 1

    # Restoring over live data is refused before anything is written.
    with pytest.raises(backup.BackupError, match="empty instance"):
        backup.restore(archive_path)
    assert helpers.call_action("package_show", id=dataset["id"])["title"] == dataset["title"]

    # One changed byte in one part is found.
    altered = str(tmp_path / "altered.tar")
    with tarfile.open(archive_path) as source, tarfile.open(altered, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name.endswith("ckan/datasets.jsonl"):
                content = content.replace("测试数据资源".encode(), "伪造数据资源".encode())
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    with backup.open_archive(altered) as opened:
        assert opened.verify() == ["altered part ckan/datasets.jsonl"]
    with pytest.raises(backup.BackupError, match="altered"):
        backup.restore(altered)
    with pytest.raises(backup.BackupError, match="not a tar file"):
        backup.restore(__file__)


def test_values_survive_the_json_round_trip():
    import datetime as dt
    import decimal

    values = [(dt.datetime(2026, 11, 27, 8, 30, 1), "TIMESTAMP WITHOUT TIME ZONE"),
              (dt.date(2026, 11, 27), "DATE"), (decimal.Decimal("12.50"), "NUMERIC(10, 2)"),
              (b"\x00\xff", "BYTEA"), ({"a": [1, "二"]}, "JSONB"), (None, "TEXT")]
    for value, sql_type in values:
        as_json = json.loads(json.dumps(backup.to_json_value(value)))
        assert backup.from_json_value(as_json, sql_type) == value
