"""Signed checkpoints of the registration history: the chain anchored outside the database.

The hash chain (``common/history.py``) shows that no event was edited or removed *unless
the whole chain was rewritten*: whoever can write to the database can recompute every
later hash and the head row, and the walk still passes. A checkpoint closes that gap. At
intervals the platform signs the chain's head (last event id, its hash, the number of
events, the time) with an SM2 key that lives in a key directory, never in the database
(the certificate keys' mechanism, ``certificates/signing.py``, with its own key
directory), stores it in ``tjregistry_history_checkpoint`` and appends it to a published
file (``checkpoints.jsonl``) that anyone can download from
``/registration/history/checkpoints``.

The signed document
    ``{"format": "tjregistry-history-checkpoint/1", "alg": "SM2-SM3", "key_id",
    "signer": "history", "content"}`` in the canonical JSON of ``signing.canonical_json``,
    signed like a certificate (SM2 with SM3, signer id 1234567812345678, base64 r||s).
    ``content`` holds ``seq`` (1, 2, ...), ``site_id``, ``created`` (UTC), ``head``
    (``event_id``, ``hash``, ``count``), ``covers`` (``after_event_id``: the previous
    checkpoint's last event, ``events``: how many events since then, ``events_sha256``:
    SHA-256 of the canonical JSON of their ``[[id, hash], ...]`` list) and
    ``previous_sha256`` (SHA-256 of the previous checkpoint's canonical signed document
    with its signature; null for the first). The published line is the envelope plus
    ``events``, that list, so a verifier can name the first event that differs.

Checking (``check``, subscribed to ``signals.history_checked``, so ``ckan tjregistry
verify-history`` and ``registration_history_verify`` run it): every checkpoint of the
table and of the file must carry a valid signature of a published key and its list must
match its signed digest; each valid checkpoint's events must still be in the chain with
the signed hashes. The first event that differs is named, so a chain rewritten
consistently in PostgreSQL after an old event was edited is caught at that event.
Checkpoints are made by ``ckan tjregistry checkpoint-history`` and, every
``tjregistry.history.checkpoint_interval_hours``, by the scheduler (``on_scheduler_tick``
queues ``checkpoint_job``); a head that has not moved makes none.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import signing
from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Event, HistoryHead
from ckanext.tjregistry.model.checkpoint import HistoryCheckpoint

log = logging.getLogger(__name__)

FORMAT = "tjregistry-history-checkpoint/1"
SIGNER = "history"
SIGNED_FIELDS = ("format", "alg", "key_id", "signer", "content")
FILE_NAME = "checkpoints.jsonl"
JOB_TITLE = "tjregistry: sign a checkpoint of the registration history"
DEFAULT_INTERVAL_HOURS = 24.0
_BATCH = 1000


class CheckpointError(Exception):
    """No checkpoint can be made (no key, or the chain does not verify); bilingual."""


# ---------------------------------------------------------------------------
# Configuration: the key directory, the published file, the interval


def _storage(*parts: str) -> str:
    return os.path.join(tk.config.get("ckan.storage_path") or ".", "tjregistry", *parts)


def keystore() -> signing.KeyStore:
    """The checkpoint key store: ``<key_dir>/history/<key_id>.key.pem`` (as certificates')."""
    key_dir = tk.config.get("tjregistry.history.checkpoint_key_dir") or _storage(
        "checkpoint-keys")
    return signing.KeyStore(
        key_dir, tk.config.get("tjregistry.history.checkpoint_key_passphrase") or None)


def published_path() -> str:
    """Where the published checkpoint file lives (JSON Lines, append-only)."""
    return tk.config.get("tjregistry.history.checkpoint_file") or _storage(
        "history-checkpoints", FILE_NAME)


def interval() -> dt.timedelta:
    raw = tk.config.get("tjregistry.history.checkpoint_interval_hours")
    try:
        hours = float(raw) if raw not in (None, "") else DEFAULT_INTERVAL_HOURS
    except (TypeError, ValueError):
        hours = DEFAULT_INTERVAL_HOURS
    return dt.timedelta(hours=hours if hours > 0 else DEFAULT_INTERVAL_HOURS)


def generate_key(activate: bool = True) -> signing.PublicKeyInfo:
    return keystore().generate(SIGNER, activate=activate)


def public_keys() -> list[signing.PublicKeyInfo]:
    """The published checkpoint keys, old ones included."""
    return [info for info in keystore().all_public_keys() if info.institution == SIGNER]


def _signing_key() -> tuple[str, Any]:
    store = keystore()
    try:
        return store.private_key(SIGNER)
    except signing.SigningError:
        if not tk.asbool(tk.config.get("tjregistry.certificate.auto_generate_keys")):
            raise CheckpointError(
                "没有历史检查点签名密钥(ckan tjregistry history checkpoint-keygen) / No "
                "checkpoint signing key (ckan tjregistry history checkpoint-keygen)") from None
    info = store.generate(SIGNER)
    log.warning("generated history checkpoint key %s", info.key_id)
    return store.private_key(SIGNER)


# ---------------------------------------------------------------------------
# The signed document


def _iso(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def events_sha256(events: list[list[Any]]) -> str:
    return hashlib.sha256(signing.canonical_json(events)).hexdigest()


def signed_document(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: entry.get(name) for name in SIGNED_FIELDS}


def entry_sha256(entry: dict[str, Any]) -> str:
    """What the next checkpoint's ``previous_sha256`` names: the signed document and its
    signature."""
    document = {**signed_document(entry), "signature": entry.get("signature")}
    return hashlib.sha256(signing.canonical_json(document)).hexdigest()


def entry_of(row: HistoryCheckpoint) -> dict[str, Any]:
    """A stored checkpoint as its published line."""
    return {**(row.envelope or {}), "events": row.events}


def entry_problem(store: signing.KeyStore, entry: Any) -> str | None:
    """Why a checkpoint line is not genuine, or None when its signature and list hold."""
    if not isinstance(entry, dict) or entry.get("format") != FORMAT \
            or entry.get("alg") != signing.ALGORITHM or entry.get("signer") != SIGNER:
        return "malformed"
    content, events = entry.get("content"), entry.get("events")
    key_id, signature = entry.get("key_id"), entry.get("signature")
    if not isinstance(content, dict) or not isinstance(events, list) \
            or not isinstance(key_id, str) or not isinstance(signature, str):
        return "malformed"
    info = store.find_public_key(SIGNER, key_id)
    if info is None:
        return "unknown_key"
    try:
        message = signing.canonical_json(signed_document(entry))
        listed = events_sha256(events)
    except (TypeError, ValueError):
        return "malformed"
    if not signing.verify_bytes(signing.load_public_key(info.pem), message, signature):
        return "bad_signature"
    covers, head = content.get("covers"), content.get("head")
    if not isinstance(covers, dict) or not isinstance(head, dict) \
            or not isinstance(content.get("seq"), int):
        return "malformed"
    if covers.get("events_sha256") != listed or covers.get("events") != len(events):
        return "events_altered"
    if events and (events[-1] != [head.get("event_id"), head.get("hash")]):
        return "events_altered"
    return None


# ---------------------------------------------------------------------------
# Making a checkpoint


@dataclass
class Made:
    seq: int
    head_event_id: int
    count: int
    new_events: int


def _chain_problem(session: Any, after: HistoryCheckpoint | None,
                   rows: list[Event]) -> str | None:
    """Whether the events since the last checkpoint continue it, each with a sound hash."""
    prev_hash = history.GENESIS
    if after is not None:
        anchor = session.get(Event, after.last_event_id)
        if anchor is None or anchor.hash != after.last_hash:
            return (f"事件 {after.last_event_id} 与上一检查点不符 / event {after.last_event_id} "
                    f"differs from checkpoint #{after.seq}")
        prev_hash = after.last_hash
    for event in rows:
        if event.prev_hash != prev_hash or history.event_hash(event) != event.hash:
            return f"事件 {event.id} 未通过核验 / event {event.id} does not verify"
        prev_hash = event.hash
    return None


def create(session: Any | None = None, now: dt.datetime | None = None) -> Made | None:
    """Sign the chain's head if it moved since the last checkpoint (None otherwise), in
    the caller's transaction; ``publish`` after the commit writes it to the file."""
    session = session or model.Session
    # Appends lock the head row too: the head cannot move while it is being signed.
    head = session.get(HistoryHead, 1, with_for_update=True)
    if head is None or not head.length:
        return None
    last = (session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq.desc())
            .first())
    if last is not None and last.last_hash == head.hash and last.event_count == head.length:
        return None
    after_id = last.last_event_id if last else 0
    rows = (session.query(Event).filter(Event.id > after_id).order_by(Event.id).all())
    problem = _chain_problem(session, last, rows)
    count = (last.event_count if last else 0) + len(rows)
    if problem is None and (not rows or rows[-1].hash != head.hash or count != head.length):
        problem = "链头与事件不符 / the chain's head does not match its events"
    if problem:
        raise CheckpointError("登记历史未通过核验,不签署检查点 / The history does not verify; "
                              "no checkpoint is signed: " + problem)
    key_id, private_key = _signing_key()
    events = [[event.id, event.hash] for event in rows]
    created = (now or dt.datetime.utcnow()).replace(microsecond=0, tzinfo=None)
    seq = (last.seq if last else 0) + 1
    entry: dict[str, Any] = {
        "format": FORMAT, "alg": signing.ALGORITHM, "key_id": key_id, "signer": SIGNER,
        "content": {
            "seq": seq,
            "site_id": tk.config.get("ckan.site_id"),
            "created": _iso(created),
            "head": {"event_id": rows[-1].id, "hash": head.hash, "count": count},
            "covers": {"after_event_id": after_id, "events": len(events),
                       "events_sha256": events_sha256(events)},
            "previous_sha256": entry_sha256(entry_of(last)) if last else None,
        },
    }
    entry["signature"] = signing.sign_bytes(private_key,
                                            signing.canonical_json(signed_document(entry)))
    session.add(HistoryCheckpoint(seq=seq, created=created, last_event_id=rows[-1].id,
                                  last_hash=head.hash, event_count=count, key_id=key_id,
                                  envelope=entry, events=events))
    session.flush()
    return Made(seq=seq, head_event_id=rows[-1].id, count=count, new_events=len(events))


def checkpoint_now(now: dt.datetime | None = None) -> Made | None:
    """Make a checkpoint (if the head moved), commit it and publish it."""
    session = model.Session
    try:
        made = create(session, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    publish(session)
    return made


# ---------------------------------------------------------------------------
# The published file


@contextlib.contextmanager
def _locked_file(path: str) -> Iterator[Any]:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_file(path: str | None = None) -> tuple[list[tuple[int, Any]], list[int]]:
    """(line number, parsed entry) of every line of the published file, and the numbers
    of lines that are not JSON."""
    path = path or published_path()
    entries: list[tuple[int, Any]] = []
    broken: list[int] = []
    if not os.path.isfile(path):
        return entries, broken
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                entries.append((number, json.loads(text)))
            except ValueError:
                broken.append(number)
    return entries, broken


def publish(session: Any | None = None) -> int:
    """Append to the published file every genuine stored checkpoint it does not hold yet
    (lines already there are never rewritten); returns how many were appended."""
    session = session or model.Session
    store = keystore()
    with _locked_file(published_path()) as handle:
        handle.seek(0)
        present: set[int] = set()
        for text in handle:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                present.add(json.loads(text)["content"]["seq"])
        top = max(present, default=0)
        rows = (session.query(HistoryCheckpoint).filter(HistoryCheckpoint.seq > top)
                .order_by(HistoryCheckpoint.seq).all())
        written = 0
        for row in rows:
            entry = entry_of(row)
            if entry_problem(store, entry) is not None:
                log.error("history checkpoint #%s in the database is not genuine; not "
                          "published", row.seq)
                break
            handle.seek(0, os.SEEK_END)
            handle.write(_line(entry) + "\n")
            written += 1
        handle.flush()
        os.fsync(handle.fileno())
    session.rollback()
    return written


def published_lines(session: Any | None = None) -> str:
    """The file to download: the published file, or the stored checkpoints if none yet."""
    path = published_path()
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError:
            log.exception("the published checkpoint file cannot be read; serving the table's")
    session = session or model.Session
    return "".join(_line(entry_of(row)) + "\n" for row in
                   session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq))


def public_view(session: Any | None = None) -> list[dict[str, Any]]:
    """The genuine checkpoints (file first, then the table) for the public page, newest
    first: ids, hashes, counts, times and the signature only."""
    store = keystore()
    found: dict[int, dict[str, Any]] = {}
    try:
        published = read_file()[0]
    except OSError:
        log.exception("the published checkpoint file cannot be read")
        published = []
    for _number, entry in published:
        if entry_problem(store, entry) is None:
            found.setdefault(entry["content"]["seq"], entry)
    session = session or model.Session
    for row in session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq):
        entry = entry_of(row)
        if row.seq not in found and entry_problem(store, entry) is None:
            found[row.seq] = entry
    view = []
    for seq in sorted(found, reverse=True):
        entry = found[seq]
        content = entry["content"]
        view.append({
            "seq": seq, "created": content["created"], "head": content["head"],
            "covers": content["covers"], "previous_sha256": content["previous_sha256"],
            "key_id": entry["key_id"], "signature": entry["signature"],
        })
    return view


# ---------------------------------------------------------------------------
# Checking the chain against the checkpoints


def _first_difference(session: Any, seq: int, after: int, upto: int,
                      listed: list[Any]) -> dict[str, Any] | None:
    """The first event of the checkpoint's range that is not as signed."""
    expected = iter(listed)
    want = next(expected, None)
    last_id = after
    while True:
        rows = (session.query(Event.id, Event.hash)
                .filter(Event.id > last_id, Event.id <= upto)
                .order_by(Event.id).limit(_BATCH).all())
        for event_id, event_hash in rows:
            last_id = event_id
            if want is None or event_id < want[0]:
                return {"event_id": event_id, "problem": "checkpoint_event_inserted",
                        "checkpoint": seq,
                        "detail": f"event not in signed checkpoint #{seq}"}
            if event_id > want[0]:
                return {"event_id": want[0], "problem": "checkpoint_event_missing",
                        "checkpoint": seq,
                        "detail": f"event signed in checkpoint #{seq} is missing"}
            if event_hash != want[1]:
                return {"event_id": event_id, "problem": "checkpoint_mismatch",
                        "checkpoint": seq,
                        "detail": f"hash differs from the one signed in checkpoint #{seq}"}
            want = next(expected, None)
        if len(rows) < _BATCH:
            break
    if want is not None:
        return {"event_id": want[0], "problem": "checkpoint_event_missing", "checkpoint": seq,
                "detail": f"event signed in checkpoint #{seq} is missing"}
    return None


def check(session: Any | None = None, *, path: str | None = None) -> dict[str, Any]:
    """Problems of the checkpoints themselves and of the chain against them; see the
    module docstring. ``path`` checks a downloaded file instead of the published one."""
    session = session or model.Session
    store = keystore()
    problems: list[dict[str, Any]] = []

    def bad(source: str, seq: Any, reason: str, line: int | None = None) -> None:
        where = f"line {line} of the published file" if source == "file" else "the database"
        named = f"checkpoint #{seq} in {where}" if seq is not None else where
        problems.append({"event_id": None, "problem": "checkpoint_invalid", "checkpoint": seq,
                         "source": source, "detail": f"{named}: {reason}"})

    genuine: dict[int, dict[str, Any]] = {}
    in_file: set[int] = set()
    try:
        file_entries, broken = read_file(path)
    except OSError as error:
        file_entries, broken = [], []
        problems.append({"event_id": None, "problem": "checkpoint_file_unreadable",
                         "checkpoint": None, "source": "file",
                         "detail": f"the published checkpoint file cannot be read: {error}"})
    for number in broken:
        bad("file", None, "not JSON", number)
    for number, entry in file_entries:
        seq = entry.get("content", {}).get("seq") if isinstance(entry, dict) \
            and isinstance(entry.get("content"), dict) else None
        reason = entry_problem(store, entry)
        if reason:
            bad("file", seq, reason, number)
            continue
        in_file.add(seq)
        genuine.setdefault(seq, entry)
    in_table: set[int] = set()
    for row in session.query(HistoryCheckpoint).order_by(HistoryCheckpoint.seq):
        in_table.add(row.seq)
        entry = entry_of(row)
        reason = entry_problem(store, entry)
        if reason is None and entry["content"]["seq"] != row.seq:
            reason = "stored under another number"
        if reason:
            bad("table", row.seq, reason)
            continue
        if row.seq in genuine and entry_sha256(genuine[row.seq]) != entry_sha256(entry):
            bad("table", row.seq, "differs from the published checkpoint of that number")
            continue
        genuine.setdefault(row.seq, entry)
    for seq in sorted(in_file - in_table):
        problems.append({"event_id": None, "problem": "checkpoint_missing", "checkpoint": seq,
                         "source": "table",
                         "detail": f"checkpoint #{seq} is published but not in the database"})
    for seq in sorted(genuine):
        previous = genuine.get(seq - 1)
        named = genuine[seq]["content"].get("previous_sha256")
        if previous is not None and named != entry_sha256(previous):
            problems.append({"event_id": None, "problem": "checkpoint_sequence",
                             "checkpoint": seq,
                             "detail": f"checkpoint #{seq} does not follow #{seq - 1}"})
    for seq in sorted(genuine):
        content = genuine[seq]["content"]
        found = _first_difference(session, seq, int(content["covers"]["after_event_id"]),
                                  int(content["head"]["event_id"]), genuine[seq]["events"])
        if found:
            problems.append(found)
    summary: dict[str, Any] = {"count": len(genuine)}
    if genuine:
        newest = genuine[max(genuine)]["content"]
        anchored_through = int(newest["head"]["event_id"])
        summary.update({
            "last_seq": newest["seq"], "last_created": newest["created"],
            "anchored_through_event_id": anchored_through,
            "anchored_events": newest["head"]["count"],
            "unanchored_events": session.query(sa.func.count(Event.id))
            .filter(Event.id > anchored_through).scalar(),
        })
    return {"problems": problems, "summary": {"checkpoints": summary}}


def on_history_checked(session: Any) -> dict[str, Any]:
    """``signals.history_checked``: the chain against the signed checkpoints."""
    return check(session)


# ---------------------------------------------------------------------------
# At intervals: the scheduler queues the job, the worker signs


_next_due: dict[str, dt.datetime] = {}


def _queue_name() -> str:
    return tk.config.get("tjregistry.publicity.job_queue") or "default"


def checkpoint_job() -> None:
    """The queued job: a checkpoint if the head moved (a no-op otherwise)."""
    made = checkpoint_now()
    if made:
        log.info("history checkpoint #%s signed: %s events through event %s", made.seq,
                 made.count, made.head_event_id)
    else:
        log.info("history checkpoint: the head has not moved; nothing signed")


def queued_job() -> Any:
    from ckan.lib import jobs

    function = f"{__name__}.{checkpoint_job.__name__}"
    for job in jobs.get_queue(_queue_name()).get_jobs():
        if job.func_name == function:
            return job
    return None


def enqueue() -> Any:
    """Queue ``checkpoint_job`` unless one is already waiting; returns the job."""
    return queued_job() or tk.enqueue_job(checkpoint_job, title=JOB_TITLE,
                                          queue=_queue_name())


def on_scheduler_tick(now: dt.datetime) -> None:
    """``signals.scheduler_tick``: queue a checkpoint at start-up and then every interval."""
    due = _next_due.get("at")
    if due is not None and now < due:
        return
    job = enqueue()
    _next_due["at"] = now + interval()
    log.info("history checkpoint queued (job %s); next at %s", job.id,
             _next_due["at"].isoformat())
