"""Publicity (公示) and objections (异议), Art. 20; the public registration query, Art. 24."""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Jobs queued before the feature packages name ckanext.tjregistry.publicity.sweep_job;
    # they still run (kept for one release). Imported on demand: the package must not
    # import its modules when one of them is being imported.
    if name == "sweep_job":
        from ckanext.tjregistry.publicity.period import sweep_job

        return sweep_job
    raise AttributeError(name)
