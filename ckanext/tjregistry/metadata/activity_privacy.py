"""CKAN's activity stream never holds nor hands out a restricted value (Art. 9, 25).

The activity plugin stores a whole ``package_show`` (or ``group_show``) answer in
each activity row and serves it back through ``package_activity_list``,
``activity_show``, ``activity_diff``, the dashboards, the e-mail digests and the
history pages. What those answers contain depends on who CKAN believed the reader
was when the row was written, which inside a request is the acting clerk. So the
rule is enforced on the row itself, not on the callers:

* before an activity row is inserted or updated, restricted dataset fields are
  removed from ``data.package`` and restricted organization fields from
  ``data.group`` / ``data.organization`` (and from a dataset's nested
  ``organization``);
* whenever a row is loaded from the database, the same is done to what was loaded
  (without marking the row changed), so rows written before this rule existed
  never reach any reader either;
* migration ``0600_scrub_activity`` and ``ckan tjregistry activity scrub`` clean the
  rows already stored.
"""
from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy import event
from sqlalchemy.orm.attributes import set_committed_value


@functools.lru_cache(maxsize=1)
def restricted_names() -> tuple[frozenset[str], frozenset[str]]:
    """(dataset, organization) restricted field names, read from the shipped schemas.

    Read from the YAML files rather than from scheming's loaded schemas, so that the
    rule also holds in commands and migrations that load no plugin.
    """
    dataset: set[str] = set()
    organization: set[str] = set()
    schemas = importlib.resources.files("ckanext.tjregistry.schemas")
    for path in sorted(schemas.iterdir(), key=lambda entry: entry.name):
        if not path.name.endswith(".yaml"):
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(document, dict):
            continue
        for key, target in (("dataset_fields", dataset), ("resource_fields", dataset),
                            ("fields", organization)):
            for field in document.get(key) or []:
                if isinstance(field, dict) and field.get("restricted"):
                    target.add(str(field["field_name"]))
    return frozenset(dataset), frozenset(organization)


def _strip(data: Any, names: frozenset[str]) -> bool:
    """Remove ``names`` (as keys and as ``extras`` entries) from a dict; True if any was."""
    if not isinstance(data, dict):
        return False
    changed = False
    for name in names & data.keys():
        del data[name]
        changed = True
    extras = data.get("extras")
    if isinstance(extras, list):
        kept = [e for e in extras if not (isinstance(e, dict) and e.get("key") in names)]
        if len(kept) != len(extras):
            data["extras"] = kept
            changed = True
    return changed


def scrub(data: Any) -> bool:
    """Remove every restricted value from an activity's ``data``, in place; True if any was."""
    if not isinstance(data, dict):
        return False
    dataset_names, organization_names = restricted_names()
    changed = False
    package = data.get("package")
    if isinstance(package, dict):
        changed |= _strip(package, dataset_names)
        for resource in package.get("resources") or []:
            changed |= _strip(resource, dataset_names)
        changed |= _strip(package.get("organization"), organization_names)
    for key in ("group", "organization"):
        changed |= _strip(data.get(key), organization_names)
    return changed


def scrubbed(data: Any) -> Any:
    """A copy of ``data`` without restricted values (``data`` itself when it has none)."""
    copied = copy.deepcopy(data)
    return copied if scrub(copied) else data


# ------------------------------------------------------------ model events ---
def _on_write(_mapper: Any, _connection: Any, activity: Any) -> None:
    if activity.data is not None:
        activity.data = scrubbed(activity.data)


def _on_load(activity: Any, *_args: Any) -> None:
    data = activity.__dict__.get("data")
    if data is not None:
        cleaned = scrubbed(data)
        if cleaned is not data:
            set_committed_value(activity, "data", cleaned)


def install() -> None:
    """Attach the rule to CKAN's Activity model (idempotent)."""
    from ckanext.activity.model.activity import Activity

    for name, handler in (("before_insert", _on_write), ("before_update", _on_write),
                          ("load", _on_load), ("refresh", _on_load)):
        if not event.contains(Activity, name, handler):
            event.listen(Activity, name, handler)


# ------------------------------------------------------------- stored rows ---
def scrub_stored(connection: sa.engine.Connection, batch: int = 500) -> int:
    """Clean every stored activity row; returns how many rows changed."""
    table = sa.table("activity", sa.column("id"), sa.column("data"))
    changed = 0
    last_id = ""
    while True:
        rows = connection.execute(
            sa.text("SELECT id, data FROM activity WHERE id > :last AND data IS NOT NULL "
                    "ORDER BY id LIMIT :batch"),
            {"last": last_id, "batch": batch}).fetchall()
        if not rows:
            return changed
        for row_id, raw in rows:
            last_id = row_id
            data = _as_dict(raw)
            if data is not None and scrub(data):
                connection.execute(sa.update(table).where(table.c.id == row_id)
                                   .values(data=_json_text(data)))
                changed += 1


def _as_dict(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str | bytes):
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)
