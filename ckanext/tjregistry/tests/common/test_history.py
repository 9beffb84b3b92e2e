"""The hash-chained history detects edited, deleted and truncated events."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import build_world, call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def events():
    world = build_world()
    for _ in range(3):
        app = submit(world.hp_clerk, make_dataset(world.hp_reg))
        call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    ids = [e.id for e in model.Session.query(Event).order_by(Event.id)]
    assert len(ids) == 6
    return ids


def _as_superuser(sql: str, **params) -> None:
    """Bypass the append-only trigger the way a database administrator could."""
    connection = model.Session.connection()
    connection.execute(sa.text("ALTER TABLE tjregistry_event DISABLE TRIGGER "
                               "tjregistry_event_no_update"))
    connection.execute(sa.text(sql), params)
    connection.execute(sa.text("ALTER TABLE tjregistry_event ENABLE TRIGGER "
                               "tjregistry_event_no_update"))
    model.Session.commit()


def test_intact_chain_verifies(events):
    result = history.verify()
    assert result.ok and result.length == 6 and result.problems == []


def test_edited_event_is_detected(events):
    _as_superuser("UPDATE tjregistry_event SET note = 'rewritten' WHERE id = :id", id=events[2])
    result = history.verify()
    assert not result.ok
    assert result.problems == [{"event_id": events[2], "problem": "content_altered",
                                "detail": "hash does not match the event's content"}]


def test_edited_event_with_recomputed_hash_breaks_the_next_link(events):
    event = model.Session.get(Event, events[1])
    event.actor_id = "someone-else"
    forged = history.event_hash(event)
    model.Session.rollback()
    _as_superuser("UPDATE tjregistry_event SET actor_id = 'someone-else', hash = :h "
                  "WHERE id = :id", h=forged, id=events[1])
    problems = history.verify().problems
    assert [(p["event_id"], p["problem"]) for p in problems] == [(events[2], "broken_link")]


def test_deleted_event_is_detected(events):
    model.Session.execute(sa.text("DELETE FROM tjregistry_event WHERE id = :id"),
                          {"id": events[3]})
    model.Session.commit()
    problems = history.verify().problems
    assert (events[4], "broken_link") in [(p["event_id"], p["problem"]) for p in problems]
    assert "head_mismatch" in [p["problem"] for p in problems]


def test_deleting_the_newest_event_is_detected_by_the_head(events):
    model.Session.execute(sa.text("DELETE FROM tjregistry_event WHERE id = :id"),
                          {"id": events[-1]})
    model.Session.commit()
    problems = history.verify().problems
    assert [p["problem"] for p in problems] == ["head_mismatch"]


def test_the_database_refuses_edits(events):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        model.Session.execute(sa.text("UPDATE tjregistry_event SET note = 'x'"))
    model.Session.rollback()
    assert history.verify().ok


def test_cli_verify_history(events, cli):
    from ckanext.tjregistry.cli import tjregistry

    result = cli.invoke(tjregistry, ["verify-history"])
    assert result.exit_code == 0, result.output
    assert "6" in result.output
    _as_superuser("UPDATE tjregistry_event SET to_state = 'issued' WHERE id = :id", id=events[0])
    result = cli.invoke(tjregistry, ["history", "verify"])
    assert result.exit_code == 1
    assert f"{events[0]}" in result.output and "content_altered" in result.output


def test_hash_covers_every_recorded_field():
    event = Event(id=1, subject="application", application_id="a", package_id="p",
                  action="submit", from_state="new", to_state="submitted", actor_id="u",
                  role="registrant", institution_id="i", note=None, data={"k": 1},
                  created=None, prev_hash=history.GENESIS)
    base = history.event_hash(event)
    for name in history.HASHED_FIELDS:
        original = getattr(event, name)
        setattr(event, name, "changed" if not isinstance(original, int) else 2)
        assert history.event_hash(event) != base, name
        setattr(event, name, original)
    assert workflow.APPLICATION == "application"
