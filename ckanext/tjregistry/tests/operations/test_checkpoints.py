"""Signed checkpoints anchor the history chain (operations/checkpoints.py).

The attack they answer: someone with the database's credentials edits an old event and
recomputes every later hash and the head, so the chain walk alone still passes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tarfile

import pytest
import requests
import sqlalchemy as sa

import ckan.model as model
from ckan.lib import jobs

from ckanext.tjregistry.certificates import signing
from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.model.checkpoint import HistoryCheckpoint
from ckanext.tjregistry.operations import backup as backups
from ckanext.tjregistry.operations import checkpoints
from ckanext.tjregistry.publicity.scheduler import Scheduler, send_tick
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

SECRET_NOTE = "内部审查意见 CANARY-NOTE-7f3a"


@pytest.fixture
def own_checkpoint_dirs(ckan_config, monkeypatch, tmp_path) -> dict[str, str]:
    """The checkpoint key and the published file in this test's own directory."""
    options = {
        "tjregistry.history.checkpoint_key_dir": str(tmp_path / "checkpoint-keys"),
        "tjregistry.history.checkpoint_file": str(tmp_path / "published" / "checkpoints.jsonl"),
    }
    for key, value in options.items():
        monkeypatch.setitem(ckan_config, key, value)
    return options


def _workflow_events(world, datasets: int) -> None:
    """Two events per dataset (submitted, accepted), by a clerk and a reviewer."""
    for _ in range(datasets):
        app = submit(world.hp_clerk, make_dataset(world.hp_reg))
        call_as(world.hp_reviewer, "registration_accept", id=app["id"])


def _event_ids() -> list[int]:
    return [row[0] for row in model.Session.query(Event.id).order_by(Event.id)]


def _with_trigger_off(table: str, trigger: str, statements: list[tuple[str, dict]]) -> None:
    """Write as the database's owner can: switch the append-only trigger off meanwhile."""
    connection = model.Session.connection()
    connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    for sql, params in statements:
        connection.execute(sa.text(sql), params)
    connection.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
    model.Session.commit()


def rewrite_chain_consistently(edited_id: int, note: str) -> None:
    """Edit one event's note in PostgreSQL and recompute every later hash and the head with
    the chain's own hash function: afterwards the chain itself is consistent."""
    events = model.Session.query(Event).order_by(Event.id).all()
    model.Session.expunge_all()
    statements = []
    prev_hash = history.GENESIS
    for event in events:
        if event.id == edited_id:
            event.note = note
        if event.id >= edited_id:
            event.prev_hash = prev_hash
            event.hash = history.event_hash(event)
            statements.append(("UPDATE tjregistry_event SET note = :note, prev_hash = :prev, "
                               "hash = :hash WHERE id = :id",
                               {"note": event.note, "prev": event.prev_hash,
                                "hash": event.hash, "id": event.id}))
        prev_hash = event.hash
    statements.append(("UPDATE tjregistry_history_head SET hash = :hash WHERE id = 1",
                       {"hash": prev_hash}))
    _with_trigger_off("tjregistry_event", "tjregistry_event_no_update", statements)


def _chain_problems(result: history.VerifyResult) -> list[dict]:
    return [p for p in result.problems if not p["problem"].startswith("checkpoint")]


def _published() -> list[dict]:
    with open(checkpoints.published_path(), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ---------------------------------------------------------------------------


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_untouched_history_verifies_against_its_checkpoints(world, cli):
    _workflow_events(world, 2)
    first = checkpoints.checkpoint_now()
    assert (first.seq, first.count, first.new_events) == (1, 4, 4)
    _workflow_events(world, 1)
    second = checkpoints.checkpoint_now()
    assert (second.seq, second.count, second.new_events) == (2, 6, 2)
    ids = _event_ids()
    assert second.head_event_id == ids[-1]

    result = history.verify()
    assert result.ok, result.problems
    assert result.anchors["checkpoints"]["count"] == 2
    assert result.anchors["checkpoints"]["anchored_through_event_id"] == ids[-1]
    assert result.anchors["checkpoints"]["unanchored_events"] == 0

    answer = call_as(world.officer, "registration_history_verify")
    assert answer["ok"] is True and answer["first_bad_event_id"] is None
    assert answer["checkpoints"]["count"] == 2

    output = cli.invoke(tjregistry, ["verify-history"])
    assert output.exit_code == 0, output.output
    assert f"history intact: 6 events, 2 signed checkpoints (through event {ids[-1]})" \
        in output.output

    # The table and the file hold the same two signed lines, linked to each other.
    rows = model.Session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq).all()
    lines = _published()
    assert [checkpoints.entry_of(row) for row in rows] == lines
    assert lines[1]["content"]["previous_sha256"] == checkpoints.entry_sha256(lines[0])
    assert [pair[0] for pair in lines[0]["events"] + lines[1]["events"]] == ids


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_a_consistent_rewrite_of_the_whole_chain_is_caught_at_the_first_bad_event(world, cli):
    _workflow_events(world, 3)
    checkpoints.checkpoint_now()
    _workflow_events(world, 1)
    checkpoints.checkpoint_now()
    ids = _event_ids()
    edited = ids[2]

    rewrite_chain_consistently(edited, "篡改后的意见 / rewritten")

    result = history.verify()
    # The chain walk alone sees nothing: every hash and link was recomputed.
    assert _chain_problems(result) == []
    # The checkpoints do: the edited event differs from the hash signed in #1, and
    # every event of #2 (hashes recomputed from it) differs from #2.
    assert not result.ok
    assert result.first_bad_event_id == edited
    found = [(p["event_id"], p["problem"], p["checkpoint"]) for p in result.problems]
    assert found == [(edited, "checkpoint_mismatch", 1), (ids[6], "checkpoint_mismatch", 2)]

    answer = call_as(world.officer, "registration_history_verify")
    assert answer["ok"] is False and answer["first_bad_event_id"] == edited

    output = cli.invoke(tjregistry, ["verify-history"])
    assert output.exit_code == 1
    assert f"first bad event: {edited}" in output.output
    assert f"event {edited}: checkpoint_mismatch" in output.output

    # No checkpoint is signed over a history that no longer matches the last one.
    _workflow_events(world, 1)
    with pytest.raises(checkpoints.CheckpointError):
        checkpoints.checkpoint_now()
    assert model.Session.query(HistoryCheckpoint).count() == 2


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_rewriting_the_checkpoint_table_too_is_reported_and_the_file_still_catches_it(world):
    _workflow_events(world, 3)
    checkpoints.checkpoint_now()
    ids = _event_ids()
    edited = ids[1]
    rewrite_chain_consistently(edited, "rewritten")

    # The attacker also makes the stored checkpoint agree with the rewritten chain.
    row = model.Session.query(HistoryCheckpoint).one()
    envelope, _events = dict(row.envelope), list(row.events)
    model.Session.rollback()
    events = [[event_id, event_hash] for event_id, event_hash in
              model.Session.query(Event.id, Event.hash).order_by(Event.id)]
    envelope["content"] = {**envelope["content"],
                           "head": {**envelope["content"]["head"], "hash": events[-1][1]},
                           "covers": {**envelope["content"]["covers"],
                                      "events_sha256": checkpoints.events_sha256(events)}}
    _with_trigger_off("tjregistry_history_checkpoint", "tjregistry_history_checkpoint_no_update",
                      [("UPDATE tjregistry_history_checkpoint SET envelope = "
                        "CAST(:envelope AS jsonb), events = CAST(:events AS jsonb), "
                        "last_hash = :hash WHERE seq = 1",
                        {"envelope": json.dumps(envelope), "events": json.dumps(events),
                         "hash": events[-1][1]})])

    result = history.verify()
    found = [(p["event_id"], p["problem"], p.get("source")) for p in result.problems]
    assert (None, "checkpoint_invalid", "table") in found
    invalid = next(p for p in result.problems if p["problem"] == "checkpoint_invalid")
    assert invalid["detail"] == "checkpoint #1 in the database: bad_signature"
    assert (edited, "checkpoint_mismatch", None) in found
    assert result.first_bad_event_id == edited

    # Deleting the stored checkpoints does not help either: the published file remains.
    model.Session.execute(sa.text("DELETE FROM tjregistry_history_checkpoint"))
    model.Session.commit()
    result = history.verify()
    found = [(p["event_id"], p["problem"]) for p in result.problems]
    assert found == [(None, "checkpoint_missing"), (edited, "checkpoint_mismatch")]


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_a_published_line_whose_signature_does_not_verify_is_reported(world, cli, tmp_path):
    _workflow_events(world, 1)
    checkpoints.checkpoint_now()
    line = _published()[0]
    forged = {**line, "content": {**line["content"], "created": "2030-01-01T00:00:00Z"}}
    with open(checkpoints.published_path(), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(forged) + "\n")
        handle.write("not json\n")
    result = history.verify()
    assert not result.ok
    details = sorted(p["detail"] for p in result.problems)
    assert details == ["checkpoint #1 in line 2 of the published file: bad_signature",
                       "line 3 of the published file: not JSON"]

    # A copy kept elsewhere can be checked on its own (history verify-file).
    copy = tmp_path / "my-copy.jsonl"
    copy.write_text(json.dumps(line) + "\n", encoding="utf-8")
    output = cli.invoke(tjregistry, ["history", "verify-file", str(copy)])
    assert output.exit_code == 0, output.output
    assert "history matches 1 checkpoints" in output.output


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_the_command_signs_a_checkpoint_and_is_a_no_op_without_new_events(world, cli):
    output = cli.invoke(tjregistry, ["checkpoint-history"])
    assert output.exit_code == 0, output.output
    assert "nothing signed" in output.output  # no events at all yet

    _workflow_events(world, 1)
    output = cli.invoke(tjregistry, ["checkpoint-history"])
    assert output.exit_code == 0, output.output
    assert "checkpoint #1: 2 events" in output.output
    output = cli.invoke(tjregistry, ["history", "checkpoint"])
    assert output.exit_code == 0, output.output
    assert "no new events since the last checkpoint: nothing signed" in output.output
    assert model.Session.query(HistoryCheckpoint).count() == 1
    assert len(_published()) == 1

    _workflow_events(world, 1)
    output = cli.invoke(tjregistry, ["checkpoint-history"])
    assert "checkpoint #2: 4 events" in output.output and "(2 new)" in output.output
    assert len(_published()) == 2


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_the_scheduler_queues_a_checkpoint_every_interval(world, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.history.checkpoint_interval_hours", "6")
    monkeypatch.setattr(checkpoints, "_next_due", {})
    queue = jobs.get_queue(checkpoints._queue_name())
    queue.empty()
    _workflow_events(world, 1)
    start = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.timezone.utc)
    clock = {"now": start}
    scheduler = Scheduler(wait=lambda seconds: False, clock=lambda: clock["now"],
                          enqueue=lambda: None, tick=send_tick)

    def step_and_run() -> int:
        """One scheduler step; then the worker's part: run what was queued."""
        scheduler._pause(0)
        queued = [job for job in queue.get_jobs() if job.func_name
                  == "ckanext.tjregistry.operations.checkpoints.checkpoint_job"]
        for job in queued:
            job.perform()
        for job in queue.get_jobs():  # the other periodic work is tested on its own
            job.delete()
        return len(queued)

    assert step_and_run() == 1  # at start-up
    assert model.Session.query(HistoryCheckpoint).count() == 1
    clock["now"] = start + dt.timedelta(hours=5, minutes=59)
    assert step_and_run() == 0  # not due yet
    clock["now"] = start + dt.timedelta(hours=6)
    assert step_and_run() == 1  # due, but the head has not moved: a no-op
    assert model.Session.query(HistoryCheckpoint).count() == 1
    _workflow_events(world, 1)
    clock["now"] = start + dt.timedelta(hours=12)
    assert step_and_run() == 1
    assert [row.event_count for row in
            model.Session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq)] == [2, 4]
    assert history.verify().ok


@pytest.mark.usefixtures("own_checkpoint_dirs")
def test_backups_keep_the_checkpoints_and_the_public_key_only(world, tmp_path):
    _workflow_events(world, 1)
    checkpoints.checkpoint_now()
    key_id = checkpoints.public_keys()[0].key_id
    result = backups.create(str(tmp_path / "backup.tar"))
    assert result.manifest["history"]["intact"] is True
    assert result.manifest["checkpoint_keys"][0]["key_id"] == key_id
    assert result.manifest["counts"]["tables"]["tjregistry_history_checkpoint"] == 1
    with tarfile.open(result.path) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames()]
    assert "files/tjregistry/history-checkpoints/checkpoints.jsonl" in names
    assert f"keys/history-checkpoints/{key_id}.pub.pem" in names
    assert not [name for name in names if name.endswith(".key.pem")]


# ---------------------------------------------------------------------------
# The public page and file, over real HTTP


@pytest.fixture
def ckan_server_options(own_checkpoint_dirs) -> dict[str, str]:
    return own_checkpoint_dirs


def test_public_page_and_file_show_the_checkpoints_and_nothing_restricted(world, ckan_server):
    _workflow_events(world, 2)
    app = submit(world.hp_clerk, make_dataset(world.hp_reg, title="机密数据资源甲"))
    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
            items=[SECRET_NOTE])
    first = checkpoints.checkpoint_now()
    _workflow_events(world, 1)
    checkpoints.checkpoint_now()
    events = model.Session.query(Event).order_by(Event.id).all()
    assert any(SECRET_NOTE in json.dumps([event.note, event.data], ensure_ascii=False)
               for event in events)
    key = checkpoints.public_keys()[0]
    # What must not leak: people, institutions, notes, datasets, applications.
    users = [world.hp_clerk, world.hp_reviewer]
    secrets = [SECRET_NOTE, "机密数据资源甲", app["id"], app["package_id"]]
    secrets += [value for user in users for value in (user["id"], user["name"])]
    secrets += [value for event in events for value in
                (event.actor_id, event.institution_id, event.application_id)
                if value]

    for prefix in ("", "/en"):
        page = requests.get(ckan_server.url(f"{prefix}/registration/history/checkpoints"),
                            timeout=60)
        assert page.status_code == 200
        for event in (events[-1], model.Session.get(Event, first.head_event_id)):
            assert event.hash in page.text
        assert key.key_id in page.text and key.fingerprint in page.text
        assert 'id="checkpoint-2"' in page.text and 'id="checkpoint-1"' in page.text
        assert not [secret for secret in secrets if secret in page.text]

    download = requests.get(ckan_server.url("/registration/history/checkpoints.jsonl"),
                            timeout=60)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert not [secret for secret in secrets if secret in download.text]
    lines = [json.loads(text) for text in download.text.splitlines()]
    assert [line["content"]["seq"] for line in lines] == [1, 2]
    pem = requests.get(ckan_server.url(f"/registration/history/checkpoint-keys/"
                                       f"{lines[0]['key_id']}.pem"), timeout=60)
    assert pem.status_code == 200
    public_key = signing.load_public_key(pem.text)
    listed = []
    for line in lines:
        # Only ids, hashes, counts, times, the key id and the signature.
        assert set(line) == {"format", "alg", "key_id", "signer", "content", "signature",
                             "events"}
        assert set(line["content"]) == {"seq", "site_id", "created", "head", "covers",
                                        "previous_sha256"}
        # Verified independently, as anyone holding the file and the key would.
        document = {name: line[name] for name in ("format", "alg", "key_id", "signer",
                                                   "content")}
        message = json.dumps(document, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":")).encode("utf-8")
        assert signing.verify_bytes(public_key, message, line["signature"])
        digest = hashlib.sha256(json.dumps(line["events"], separators=(",", ":"))
                                .encode("utf-8")).hexdigest()
        assert digest == line["content"]["covers"]["events_sha256"]
        listed += line["events"]
    assert listed == [[event.id, event.hash] for event in events]
    assert lines[-1]["content"]["head"] == {"event_id": events[-1].id, "hash": events[-1].hash,
                                            "count": len(events)}
    assert os.path.isfile(checkpoints.published_path())
