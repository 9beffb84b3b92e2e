"""Evidence preservation (存证, Art. 15): manifests, records, verification, the submission rule."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tjregistry.common import history
from ckanext.tjregistry.demo import workflow as demo_workflow
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.evidence import Evidence
from ckanext.tjregistry.registration import evidence
from ckanext.tjregistry.tests.workflow_helpers import (
    REGISTRANT_FILE,
    call_as,
    make_dataset,
    make_org,
    make_user,
    set_org_fields,
    submit,
)

FILES = {"2025/trips.csv": b"id,route\n1,8\n2,9\n", "readme.txt": "公交线路数据\n".encode()}
EXTERNAL_EVIDENCE = {"evidence_provider": "某存证服务机构", "evidence_time": "2025-02-20T10:30:00",
                     "evidence_hash": "a" * 64}
AUTHORISED = {"in_authorized_operation": True, "operator_name": "天津数据运营有限公司",
              **EXTERNAL_EVIDENCE}


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_of(files: dict[str, bytes]) -> list[dict]:
    return [{"path": path, "bytes": len(content), "sha256": sha(content)}
            for path, content in files.items()]


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name)


# ---------------------------------------------------------------- manifests ---


def test_manifest_forms_give_one_fingerprint():
    as_list = evidence.parse_manifest(manifest_of(FILES))
    as_json = evidence.parse_manifest(json.dumps({"format": evidence.FORMAT,
                                                  "entries": manifest_of(FILES)}))
    assert as_list == as_json
    assert [entry.path for entry in as_list] == ["2025/trips.csv", "readme.txt"]
    canonical = json.dumps({"entries": [e.as_dict() for e in as_list],
                            "format": "tjregistry-evidence-manifest/1"},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert evidence.digest(as_list) == sha(canonical.encode())
    # sha256sum output carries no sizes, hence another fingerprint but the same files.
    text = "".join(f"{sha(c)}  {p}\n" for p, c in FILES.items())
    from_sums = evidence.parse_manifest(text)
    assert [(e.path, e.sha256, e.bytes) for e in from_sums] == [
        (e.path, e.sha256, None) for e in as_list]


@pytest.mark.parametrize(("manifest", "field_text"), [
    ([], "The manifest lists no files"),
    ([{"path": "../etc/passwd", "sha256": "a" * 64}], "Invalid file path"),
    ([{"path": "a.csv", "sha256": "xyz"}], "Invalid SHA-256"),
    ([{"path": "a.csv", "sha256": "a" * 64, "bytes": -3}], "Invalid size"),
    ([{"path": "a.csv", "sha256": "a" * 64}, {"path": "./a.csv", "sha256": "b" * 64}],
     "Duplicate path"),
    ("not json and not sha256sum", "is not '<sha256>  <path>'"),
    ("{broken", "not valid JSON"),
])
def test_bad_manifests_are_refused_in_both_languages(manifest, field_text):
    with pytest.raises(tk.ValidationError) as caught:
        evidence.parse_manifest(manifest)
    message = caught.value.error_dict["manifest"][0]
    assert field_text in message
    assert re.search(r"[\u4e00-\u9fff]", message)  # the Chinese half


def test_manifest_of_a_directory_and_comparison(tmp_path):
    for path, content in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    recorded = evidence.manifest_of_path(str(tmp_path))
    assert recorded == evidence.parse_manifest(manifest_of(FILES))
    assert evidence.compare(recorded, recorded).match

    (tmp_path / "readme.txt").write_bytes(b"changed")
    (tmp_path / "new.csv").write_bytes(b"x")
    (tmp_path / "2025" / "trips.csv").unlink()
    copy = evidence.manifest_of_path(str(tmp_path))
    result = evidence.compare(recorded, copy)
    assert result.as_dict() == {"match": False, "matched": [], "altered": ["readme.txt"],
                                "missing": ["2025/trips.csv"], "extra": ["new.csv"]}
    # A sample is found inside a larger copy; a full record must be the whole copy.
    sample = evidence.parse_manifest(manifest_of({"readme.txt": FILES["readme.txt"]}))
    larger = evidence.parse_manifest(manifest_of(FILES))
    assert evidence.compare(sample, larger, evidence.SAMPLE).match
    assert not evidence.compare(sample, larger, evidence.FULL).match


def test_authorised_operation_rule():
    assert evidence.requires_evidence({"in_authorized_operation": True})
    assert evidence.requires_evidence({"in_authorized_operation": "true"})
    assert evidence.requires_evidence({"access_method": "authorized_operation"})
    assert not evidence.requires_evidence({"in_authorized_operation": False,
                                           "access_method": "open"})


# ------------------------------------------------------------- the records ---


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_registrant_records_evidence_and_the_dataset_shows_it(world):
    dataset = make_dataset(world.hp_reg)
    first = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                    manifest=manifest_of(FILES), note="季度数据")
    year = first["number"].split("-")[1]
    assert re.fullmatch(r"TJCZ-\d{4}-000001", first["number"])
    assert first["made_by"]["id"] == world.hp_reg["id"] and first["agency_id"] is None
    assert first["created_by"] == world.hp_clerk["name"]
    assert first["manifest_sha256"] == evidence.digest(evidence.parse_manifest(manifest_of(FILES)))
    assert (first["file_count"], first["total_bytes"]) == (2, sum(map(len, FILES.values())))

    shown = call_as(world.hp_clerk, "package_show", id=dataset["id"])
    assert shown["evidence_cert_no"] == first["number"]
    assert shown["evidence_hash"] == f"sha256:{first['manifest_sha256']}"
    assert shown["evidence_provider"] == "和平区教育局"
    created = dt.datetime.fromisoformat(first["created"].removesuffix("Z"))
    assert shown["evidence_time"] == (created + dt.timedelta(hours=8)).isoformat()  # Beijing

    second = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest="".join(f"{sha(c)}  {p}\n" for p, c in FILES.items()))
    assert second["number"] == f"TJCZ-{year}-000002"
    listed = call_as(world.hp_reviewer, "evidence_list", package_id=dataset["id"])
    assert [row["number"] for row in listed] == [second["number"], first["number"]]

    # Each record is anchored in the hash-chained history.
    event = model.Session.get(Event, first["event_id"])
    assert (event.subject, event.action, event.package_id) == ("evidence", "record_evidence",
                                                               dataset["id"])
    assert event.data["evidence_number"] == first["number"]
    assert event.data["manifest_sha256"] == first["manifest_sha256"]
    assert history.verify().ok


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_sample_upload_is_kept_and_a_later_copy_verified(world, ckan_config):
    dataset = make_dataset(world.hp_reg)
    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     file=upload("样本.csv", b"id,name\n1,a\n"), file2=upload("b.csv", b"2\n"))
    assert record["kind"] == "sample"
    assert [f["path"] for f in record["stored_files"]] == ["b.csv", "样本.csv"]
    stored = os.path.join(ckan_config["ckan.storage_path"], "tjregistry", "evidence",
                          record["number"], "样本.csv")
    with open(stored, "rb") as handle:
        assert handle.read() == b"id,name\n1,a\n"

    same = call_as(world.hp_reviewer, "evidence_verify", id=record["number"],
                   file=upload("样本.csv", b"id,name\n1,a\n"), file2=upload("b.csv", b"2\n"))
    assert same["match"] and same["record_intact"]
    assert same["matched"] == ["b.csv", "样本.csv"]
    changed = call_as(world.hp_reviewer, "evidence_verify", id=record["id"],
                      manifest=[{"path": "样本.csv", "sha256": sha(b"id,name\n1,b\n")},
                                {"path": "b.csv", "sha256": sha(b"2\n")}])
    assert not changed["match"] and changed["altered"] == ["样本.csv"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_who_may_record_and_see_evidence(world):
    dataset = make_dataset(world.hp_reg)
    for user in (world.outsider, world.bh_clerk, world.hp_reviewer):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "evidence_create", package_id=dataset["id"],
                    manifest=manifest_of(FILES))
    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    for user in (world.hp_clerk, world.hp_reviewer, world.city_reviewer, world.officer):
        assert call_as(user, "evidence_show", id=record["number"])["record_intact"]
    for user in (world.outsider, world.bh_clerk, None):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "evidence_show", id=record["number"])
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "evidence_verify", id=record["number"], manifest=manifest_of(FILES))
    with pytest.raises(tk.ObjectNotFound):
        call_as(world.hp_clerk, "evidence_show", id="TJCZ-1999-000001")


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_bad_requests_write_nothing(world):
    dataset = make_dataset(world.hp_reg)
    attempts = [
        {"manifest": manifest_of(FILES), "kind": "partial"},
        {"manifest": [{"path": "a", "sha256": "zz"}]},
        {},
        {"manifest": manifest_of(FILES), "file": upload("a.csv", b"1")},
        {"file": upload("a.csv", b"1"), "kind": "full"},
        {"file": upload("empty.csv", b"")},
    ]
    for extra in attempts:
        with pytest.raises(tk.ValidationError) as caught:
            call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"], **extra)
        assert all(re.search(r"[\u4e00-\u9fff].* / [A-Za-z]", message)
                   for messages in caught.value.error_dict.values() for message in messages)
    assert model.Session.query(Evidence).count() == 0
    assert history.verify().length == 0
    shown = call_as(world.hp_clerk, "package_show", id=dataset["id"])
    assert shown["evidence_cert_no"] == dataset["evidence_cert_no"] == "CZ-2025-000123"


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_records_cannot_be_edited_and_tampering_is_detected(world):
    dataset = make_dataset(world.hp_reg)
    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        model.Session.execute(sa.text("UPDATE tjregistry_evidence SET note = 'x'"))
    model.Session.rollback()

    # Someone with database rights bypasses the trigger and swaps a file's hash.
    forged = manifest_of(FILES)
    forged[0]["sha256"] = sha(b"forged")
    model.Session.execute(sa.text("ALTER TABLE tjregistry_evidence DISABLE TRIGGER "
                                  "tjregistry_evidence_no_update"))
    model.Session.execute(sa.text("UPDATE tjregistry_evidence SET manifest = CAST(:m AS jsonb)"),
                          {"m": json.dumps(forged)})
    model.Session.execute(sa.text("ALTER TABLE tjregistry_evidence ENABLE TRIGGER "
                                  "tjregistry_evidence_no_update"))
    model.Session.commit()
    assert call_as(world.hp_clerk, "evidence_show", id=record["number"])["record_intact"] is False
    result = call_as(world.hp_reviewer, "evidence_verify", id=record["number"], manifest=forged)
    assert result["record_intact"] is False and result["match"] is False


# ------------------------------------------------------- the submission rule ---


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_authorised_operation_data_is_evidenced_before_applying(world):
    dataset = make_dataset(world.hp_reg, **AUTHORISED)
    events_before = history.verify().length
    with pytest.raises(tk.ValidationError) as caught:
        submit(world.hp_clerk, dataset)
    message = caught.value.error_dict["evidence"][0]
    assert "存证" in message and "evidenced before applying" in message
    assert model.Session.query(Application).count() == 0
    assert history.verify().length == events_before

    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    application = submit(world.hp_clerk, dataset)
    assert application["state"] == "submitted"
    shown = call_as(world.hp_clerk, "package_show", id=dataset["id"])
    assert shown["evidence_cert_no"] == record["number"]
    # The dataset is now being handled: another record leaves its fields alone.
    later = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                    manifest=manifest_of({"x.csv": b"x"}))
    shown = call_as(world.hp_clerk, "package_show", id=dataset["id"])
    assert shown["evidence_cert_no"] == record["number"] != later["number"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_data_outside_authorised_operation_needs_no_evidence(world):
    dataset = make_dataset(world.hp_reg)
    assert submit(world.hp_clerk, dataset)["state"] == "submitted"
    assert model.Session.query(Evidence).count() == 0


# ------------------------------------------------------------- jurisdiction ---


def _district_officer(name: str, district: str) -> dict:
    """An officer of a district data authority (read-only oversight of its district)."""
    authority = make_org(f"{name}-authority", "authority", "district", district,
                         title=f"{district} 数据主管部门")
    return make_user(name, authority, capacity="member")


def _may(user: dict, action: str, **data) -> bool:
    try:
        call_as(user, action, **data)
        return True
    except tk.NotAuthorized:
        return False


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_evidence_is_read_under_the_registration_jurisdiction(world, app):
    """A district's reviewers and officers read their district's evidence only, before
    and after applying, exactly as they may read the registration records."""
    hp_officer = _district_officer("hp_officer", "120101")
    bh_officer = _district_officer("bh_officer", "120116")
    dataset = make_dataset(world.hp_reg, **AUTHORISED)
    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    readers = (world.hp_reviewer, world.city_reviewer, world.officer, hp_officer)
    others = (world.bh_reviewer, bh_officer, world.bh_clerk)
    reads = (("evidence_show", {"id": record["number"]}),
             ("evidence_verify", {"id": record["number"], "manifest": manifest_of(FILES)}),
             ("evidence_list", {"package_id": dataset["id"]}))

    def check() -> None:
        for action, data in reads:
            assert [_may(user, action, **data) for user in readers] == [True] * 4, action
            assert [_may(user, action, **data) for user in others] == [False] * 3, action

    check()  # before applying: the institution the application will go to
    application = submit(world.hp_clerk, dataset)
    assert application["institution"]["id"] == world.hp_inst["id"]
    check()
    for user in readers + others[:2]:
        assert _may(user, "registration_show", id=application["id"]) == _may(
            user, "evidence_show", id=record["number"]), user["name"]
    # Through the API: 403 for the other district's reviewer, 200 for this one.
    url = "/api/3/action/evidence_show"
    assert app.post(url, json={"id": record["number"]},
                    headers={"Authorization": world.bh_reviewer["token"]}).status_code == 403
    shown = app.post(url, json={"id": record["number"]},
                     headers={"Authorization": world.hp_reviewer["token"]})
    assert shown.status_code == 200 and shown.json["result"]["number"] == record["number"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_cross_district_data_is_read_by_the_city_institution(world):
    """Data covering another district goes to the city institution (Art. 7): the
    registrant's district reviewer no longer reads its evidence, like its application."""
    dataset = make_dataset(world.hp_reg, spatial=["120101", "120116"])
    record = call_as(world.hp_clerk, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    application = submit(world.hp_clerk, dataset)
    assert application["institution"]["id"] == world.city_inst["id"]
    for user, allowed in ((world.city_reviewer, True), (world.officer, True),
                          (world.hp_clerk, True), (world.hp_reviewer, False),
                          (world.bh_reviewer, False)):
        assert _may(user, "evidence_show", id=record["number"]) is allowed, user["name"]
        assert _may(user, "registration_show", id=application["id"]) is allowed, user["name"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_sysadmins_record_evidence_only_as_the_registrants_staff(world):
    dataset = make_dataset(world.hp_reg, **AUTHORISED)
    context = {"user": world.sysadmin["name"]}
    # Authorization and the action agree: refused before anything is written.
    with pytest.raises(tk.NotAuthorized):
        tk.check_access("evidence_create", dict(context), {"package_id": dataset["id"]})
    with pytest.raises(tk.NotAuthorized):
        call_as(world.sysadmin, "evidence_create", package_id=dataset["id"],
                manifest=manifest_of(FILES))
    assert model.Session.query(Evidence).count() == 0
    # As an editor of the registrant, a sysadmin records evidence like its staff.
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id=world.hp_reg["id"], username=world.sysadmin["name"], role="editor")
    tk.check_access("evidence_create", dict(context), {"package_id": dataset["id"]})
    record = call_as(world.sysadmin, "evidence_create", package_id=dataset["id"],
                     manifest=manifest_of(FILES))
    assert record["made_by"]["id"] == world.hp_reg["id"]
    # Reading stays open to sysadmins.
    assert call_as(world.sysadmin, "evidence_list", package_id=dataset["id"])[0]["number"] == \
        record["number"]


# -------------------------------------------------------------- demo data ---


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_demo_evidences_authorised_operation_data_before_submitting():
    for name in ("tj-data-center", "tj-transport"):
        org = factories.Organization(name=name, title=name)
        set_org_fields(org["id"], **REGISTRANT_FILE)
    make_user("transport_clerk", {"id": model.Group.get("tj-transport").id})
    make_user("reviewer_city", {"id": model.Group.get("tj-data-center").id})
    make_user("reviewer_city_2", {"id": model.Group.get("tj-data-center").id})
    operated = make_dataset({"id": model.Group.get("tj-transport").id},
                            name="tj-transport-res-01", **AUTHORISED)

    summary = demo_workflow.load()
    assert not any("stopped" in line for line in summary), summary
    application = model.Session.query(Application).filter_by(package_id=operated["id"]).one()
    record = model.Session.query(Evidence).filter_by(package_id=operated["id"]).one()
    assert record.created_by == model.User.get("transport_clerk").id
    assert record.created <= application.submitted_at
    assert evidence.record_intact(record)
    # Loading again records no second evidence.
    assert demo_workflow.load() == []
    assert model.Session.query(Evidence).count() == 1
