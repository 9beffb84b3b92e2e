"""The registration history: an append-only, hash-chained log of every transition.

Each event's hash covers its own content and the previous event's hash, so editing
or deleting any event breaks the chain from that point on. The head row keeps the
chain's length and last hash, so that deleting the newest events is detected too.
Appends take a transaction-scoped advisory lock, so concurrent transitions cannot
fork the chain; the lock is released when the caller's transaction ends.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.tjregistry.common import signals
from ckanext.tjregistry.model import Event, HistoryHead

GENESIS = "0" * 64
# Arbitrary constant identifying this extension's advisory lock.
_LOCK_KEY = 0x746A7265  # "tjre"

HASHED_FIELDS = (
    "id", "subject", "application_id", "package_id", "action", "from_state", "to_state",
    "actor_id", "role", "institution_id", "note", "data", "created", "prev_hash",
)


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, dates in ISO form."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value)!r}")


def sha256_hex(value: str | bytes) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return hashlib.sha256(value).hexdigest()


def event_hash(event: Event) -> str:
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    return sha256_hex(canonical_json(content))


def append(session: Any, **values: Any) -> Event:
    """Append one event in the caller's transaction (which must commit or roll back)."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    head = session.get(HistoryHead, 1, with_for_update=True)
    prev_hash = head.hash if head else GENESIS
    next_id = session.execute(sa.text("SELECT nextval('tjregistry_event_id_seq')")).scalar_one()
    # Microseconds are dropped so the hashed value survives the round trip unchanged.
    created = dt.datetime.utcnow().replace(microsecond=0)
    event = Event(id=next_id, created=created, prev_hash=prev_hash, **values)
    event.hash = event_hash(event)
    session.add(event)
    if head is None:
        session.add(HistoryHead(id=1, length=1, hash=event.hash))
    else:
        head.length += 1
        head.hash = event.hash
    session.flush()
    return event


@dataclass
class VerifyResult:
    ok: bool
    length: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    # What the further checks (``signals.history_checked``) report, e.g. the checkpoints.
    anchors: dict[str, Any] = field(default_factory=dict)

    @property
    def first_bad_event_id(self) -> int | None:
        """The lowest event id any problem names (None if none names one)."""
        ids = [p["event_id"] for p in self.problems if isinstance(p.get("event_id"), int)]
        return min(ids) if ids else None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "length": self.length, "problems": self.problems,
                "first_bad_event_id": self.first_bad_event_id, **self.anchors}


def verify(session: Any | None = None, batch: int = 1000) -> VerifyResult:
    """Walk the whole chain and report every event whose hash or link does not hold."""
    session = session or model.Session
    problems: list[dict[str, Any]] = []
    prev_hash = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = (session.query(Event).filter(Event.id > last_id)
                .order_by(Event.id).limit(batch).all())
        if not rows:
            break
        for event in rows:
            count += 1
            if event.prev_hash != prev_hash:
                problems.append({"event_id": event.id, "problem": "broken_link",
                                 "detail": "previous event missing or altered"})
            if event_hash(event) != event.hash:
                problems.append({"event_id": event.id, "problem": "content_altered",
                                 "detail": "hash does not match the event's content"})
            prev_hash = event.hash
            last_id = event.id
    head = session.get(HistoryHead, 1)
    if head is None:
        if count:
            problems.append({"event_id": None, "problem": "head_missing",
                             "detail": "events exist but the chain head is missing"})
    elif head.length != count or head.hash != prev_hash:
        problems.append({"event_id": last_id or None, "problem": "head_mismatch",
                         "detail": f"head records {head.length} events, found {count}"})
    # A chain rewritten consistently passes the walk above; the subscribers (the signed
    # checkpoints) compare it with what was recorded outside the database.
    anchors: dict[str, Any] = {}
    for _receiver, found in signals.history_checked.send(session):
        if found:
            problems.extend(found.get("problems") or [])
            anchors.update(found.get("summary") or {})
    return VerifyResult(ok=not problems, length=count, problems=problems, anchors=anchors)


def events_for(session: Any, *, application_id: str | None = None,
               package_id: str | None = None) -> list[Event]:
    query = session.query(Event)
    if application_id:
        query = query.filter(Event.application_id == application_id)
    if package_id:
        query = query.filter(Event.package_id == package_id)
    return query.order_by(Event.id).all()
