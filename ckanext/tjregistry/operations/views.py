"""Public pages of the history checkpoints: the list, the file and the keys (checkpoints.py).

Everything shown is a public fact: checkpoint numbers, times, event ids, counts, hashes,
key ids and signatures; no actor, institution, note or dataset.
"""
from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.operations import calendar_upkeep, checkpoints

history_pages = registry.blueprint(
    Blueprint("tjregistry_history", __name__, url_prefix="/registration/history"))


@history_pages.route("/checkpoints")
def checkpoint_list() -> ResponseReturnValue:
    keys = [{"key_id": info.key_id, "fingerprint": info.fingerprint, "pem": info.pem,
             "active": info.active} for info in checkpoints.public_keys()]
    return tk.render("tjregistry/history/checkpoints.html", {
        "checkpoints": checkpoints.public_view(), "keys": keys,
        "interval_hours": f"{checkpoints.interval().total_seconds() / 3600:g}",
        "file_format": checkpoints.FORMAT,
    })


@history_pages.route("/checkpoints.jsonl")
def checkpoint_file() -> ResponseReturnValue:
    response = current_app.response_class(checkpoints.published_lines(),
                                          mimetype="application/jsonl")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{checkpoints.FILE_NAME}"')
    return response


@history_pages.route("/checkpoint-keys/<key_id>.pem")
def checkpoint_key(key_id: str) -> ResponseReturnValue:
    for info in checkpoints.public_keys():
        if info.key_id == key_id:
            response = current_app.response_class(info.pem, mimetype="application/x-pem-file")
            response.headers["Content-Disposition"] = f'attachment; filename="{key_id}.pem"'
            return response
    return tk.abort(404, tk._("Key not found"))


calendar_pages = registry.blueprint(
    Blueprint("tjregistry_calendar", __name__, url_prefix="/registration"))


@calendar_pages.route("/calendar")
def calendar_status() -> ResponseReturnValue:
    """Which calendar the working-day deadlines are counted on, year by year."""
    return tk.render("tjregistry/history/calendar.html", {
        "years": calendar_upkeep.years(), "warning": calendar_upkeep.warning(),
        "limits": {name: tk.asint(tk.config.get(key))
                   for name, key in calendar_upkeep.workdays.LIMIT_KEYS.items()},
    })
