"""Each round's submitted content, and what changed from one round to the next.

A submission and every resubmission after a supplement request (补正) keep the dataset
content they sent (``model/submission.py``), written in the transition's transaction
(``on_transition_recorded``, connected in subscriptions.py). The application page shows
the current round's fields and, from round 2 on, a field-by-field comparison with the
round before, so that the reviewer sees what the registrant corrected.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckan.model as model

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.submission import Submission

# The transitions that send the dataset's content (the ``snapshot`` effect).
SUBMITTING = ("submit", "resubmit")
# Bookkeeping keys of a dataset dict: not registration information a reviewer compares.
BOOKKEEPING_KEYS = frozenset((
    "id", "name", "type", "owner_org", "state", "private", "metadata_created",
    "metadata_modified", "revision_id", "creator_user_id", "extras", "groups",
    "relationships_as_object", "relationships_as_subject", "num_resources", "num_tags",
    "tracking_summary", "organization", "url", "version", "license_id", "license_title",
    "license_url", "isopen", "author", "author_email", "maintainer", "maintainer_email",
))
# Resource keys that describe a resource (not its bookkeeping) when comparing rounds.
RESOURCE_KEYS = ("name", "url", "format", "description", "resource_kind")


def on_transition_recorded(outcome: Any, *, session: Any,
                           event: Event) -> list[Callable[[], None]]:
    """``signals.transition_recorded``: keep the content of a submission round."""
    app: Application | None = outcome.application
    if (app is None or outcome.transition.name not in SUBMITTING or app.proposed is None
            or app.dataset_sha256 is None):
        return []
    session.add(Submission(application_id=app.id, round=app.round, snapshot=app.proposed,
                           dataset_sha256=app.dataset_sha256, event_id=event.id))
    return []


def rounds(application_id: str) -> list[Submission]:
    return (model.Session.query(Submission)
            .filter(Submission.application_id == application_id)
            .order_by(Submission.round).all())


def fingerprint_matches(submission: Submission) -> bool:
    """Whether the kept content still hashes to the SHA-256 of its round, and that hash is
    the one the hash-chained history recorded for the round (when the event is known)."""
    digest = history.sha256_hex(history.canonical_json(submission.snapshot))
    if digest != submission.dataset_sha256:
        return False
    if submission.event_id is None:
        return True
    event = model.Session.get(Event, submission.event_id)
    return event is not None and (event.data or {}).get("dataset_sha256") == digest


def _comparable(key: str, value: Any) -> Any:
    if key == "tags" and isinstance(value, list):  # CKAN's tag objects: their names
        return sorted(str((item or {}).get("name") if isinstance(item, dict) else item)
                      for item in value)
    if key == "resources" and isinstance(value, list):
        return [{k: (item or {}).get(k) for k in RESOURCE_KEYS if (item or {}).get(k)}
                for item in value if isinstance(item, dict)]
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def registration_fields(snapshot: dict[str, Any], order: list[str]) -> list[dict[str, Any]]:
    """The registration information of a snapshot: the schema's fields in ``order``, then
    any other non-bookkeeping key, then the resources."""
    keys = [key for key in order if key in snapshot and key not in BOOKKEEPING_KEYS]
    keys += sorted(key for key in snapshot
                   if key not in BOOKKEEPING_KEYS and key not in keys and key != "resources")
    if "resources" in snapshot:
        keys.append("resources")
    return [{"field": key, "value": _comparable(key, snapshot.get(key))} for key in keys]


def changes(before: dict[str, Any], after: dict[str, Any],
            order: list[str]) -> list[dict[str, Any]]:
    """The fields whose value differs between two rounds (an empty value on one side
    counts as added or removed), in the order of ``registration_fields``."""
    keys = [row["field"] for row in registration_fields({**before, **after}, order)]
    result = []
    for key in keys:
        old, new = _comparable(key, before.get(key)), _comparable(key, after.get(key))
        if old == new or (_empty(old) and _empty(new)):
            continue
        kind = "added" if _empty(old) else "removed" if _empty(new) else "changed"
        result.append({"field": key, "before": old, "after": new, "kind": kind})
    return result
