"""Automatic expiry: on the day a certificate lapses, its registration becomes expired.

A certificate is valid through its last valid day (``valid_until``, a Tianjin date); from
the next Tianjin midnight it has expired. The platform's scheduler (``ckan tjregistry
workflow scheduler``, also the docker deployment's ``scheduler`` service) announces each
step as ``signals.scheduler_tick``; at the first step of every Tianjin day, and at its
start-up, ``on_scheduler_tick`` queues ``expiry_job`` for that day, and the worker runs
the expiry sweep (``procedure.expire_and_notify``): the certificate and the registration
expire in one transaction, the registrant is notified, the dataset is reindexed, so
statistics, the status facet, the public query, the announcements and DCAT follow at once.
``ckan tjregistry certificate expire`` runs the same sweep by hand.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates.procedure import expire_and_notify
from ckanext.tjregistry.common import workdays

log = logging.getLogger(__name__)

JOB_TITLE = "tjregistry certificate expiry"
# The Tianjin day for which the sweep was last queued by this scheduler process.
_queued_for: dict[str, dt.date] = {}


def _queue_name() -> str:
    return tk.config.get("tjregistry.publicity.job_queue") or "default"


def expiry_job(day: str | None = None) -> list[tuple[str, str]]:
    """The queued job: expire what lapsed before ``day`` (a Tianjin date, ISO), or before
    today if the job runs later than the day it was queued for."""
    today = workdays.local_today()
    if day:
        today = max(today, dt.date.fromisoformat(day))
    expired = expire_and_notify(today)
    log.info("certificate expiry for %s: %d expired (%s)", today.isoformat(), len(expired),
             ", ".join(code for code, _ in expired) or "none")
    return expired


def queued_job() -> Any:
    from ckan.lib import jobs

    function = f"{__name__}.{expiry_job.__name__}"
    for job in jobs.get_queue(_queue_name()).get_jobs():
        if job.func_name == function:
            return job
    return None


def on_scheduler_tick(now: dt.datetime) -> None:
    """``signals.scheduler_tick``: queue the day's expiry sweep once per Tianjin day."""
    today = workdays.local_date(now)
    if _queued_for.get("day") == today:
        return
    job = queued_job() or tk.enqueue_job(expiry_job, [today.isoformat()], title=JOB_TITLE,
                                         queue=_queue_name())
    _queued_for["day"] = today
    log.info("certificate expiry for %s queued (job %s)", today.isoformat(), job.id)
