"""Publicity (公示, Art. 20): what is published, until when, and the end-of-period sweep.

An approved application that must be made public is published at once and stays
public until the end of its last working day (``publicity_end``, counted by the
working-day calendar in ``workdays.py``). Exactly the items Art. 20 names are
published: the registrant's name, the registration type, the data name and the
content summary, with the period's start and end.

The end of a day is the configured sweep time (``tjregistry.publicity.sweep_time``,
local time in ``tjregistry.workdays.timezone``): a period is over from that moment
of its last day on (``has_ended``), and this module is the one place that decides
it. When a period has ended with no objection pending, the sweep closes it
(``publicity -> approved``), after which the workflow hands the application to the
certificate subsystem and the certificate is issued. The sweep runs as a CKAN
background job (``enqueue_sweep``, run by ``ckan jobs worker``), queued at the end
of every working day by the scheduler (``publicity_scheduler.py``), and from the
command line (``ckan tjregistry workflow close-publicity``) for cron; it also
retries issuance for applications approved earlier whose certificate could not
be issued then. An application with an objection pending is in
``objection_pending``, never swept, so no certificate is issued for it.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates.procedure import on_application_approved
from ckanext.tjregistry.common import jurisdiction, workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow

log = logging.getLogger(__name__)

# Application states in which the publicity is running.
PUBLICITY_STATES = ("publicity", "objection_pending")
SWEEP_JOB_TITLE = "tjregistry: close ended publicity periods and issue certificates"
SWEEP_TIME_KEY = "tjregistry.publicity.sweep_time"
DEFAULT_SWEEP_TIME = "23:30"
_DAY_MINUTES = 24 * 60
# The earliest sweep time: a period is never closed in the morning of its last day.
_EARLIEST_SWEEP_MINUTES = 12 * 60


# ---------------------------------------------------------------------------
# When a period ends


def parse_sweep_time(text: str) -> int:
    """Minutes after midnight of a sweep time ``HH:MM`` from 12:00 to 24:00."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (text or "").strip())
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not match or int(match.group(2)) > 59 \
            or not _EARLIEST_SWEEP_MINUTES <= minutes <= _DAY_MINUTES:
        raise ValueError(f"{SWEEP_TIME_KEY} must be a time HH:MM from 12:00 to 24:00, "
                         f"not {text!r}")
    return minutes


def sweep_minutes() -> int:
    """The configured end of a working day, in minutes after midnight (local time)."""
    return parse_sweep_time(str(tk.config.get(SWEEP_TIME_KEY) or DEFAULT_SWEEP_TIME))


def sweep_time_label() -> str:
    minutes = sweep_minutes()
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def end_of_day(day: dt.date, minutes: int, tz: dt.tzinfo) -> dt.datetime:
    """The moment ``minutes`` after the local midnight that starts ``day`` (24:00 is the next
    midnight), as an aware datetime."""
    if minutes >= _DAY_MINUTES:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tz)


def _aware(moment: dt.datetime | None) -> dt.datetime:
    """``moment`` as an aware datetime; naive ones are UTC, as CKAN stores them; None is now."""
    if moment is None:
        return dt.datetime.now(dt.timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def period_over(last_day: dt.date, now: dt.datetime, minutes: int, tz: dt.tzinfo) -> bool:
    """Whether a period whose last working day is ``last_day`` is over at ``now``."""
    return _aware(now) >= end_of_day(last_day, minutes, tz)


def ends_at(last_day: dt.date) -> dt.datetime:
    """The moment a period whose last working day is ``last_day`` is over."""
    return end_of_day(last_day, sweep_minutes(), workdays.timezone())


def has_ended(last_day: dt.date, now: dt.datetime | None = None) -> bool:
    """Whether a period whose last working day is ``last_day`` is over (at ``now``)."""
    return period_over(last_day, _aware(now), sweep_minutes(), workdays.timezone())


def last_ended_day(now: dt.datetime | None = None) -> dt.date:
    """The latest last day whose period is over at ``now``: periods that end on it or
    earlier are over, later ones are running."""
    moment = _aware(now)
    today = moment.astimezone(workdays.timezone()).date()
    return today if has_ended(today, moment) else today - dt.timedelta(days=1)


def next_sweep_at(now: dt.datetime, is_workday: Callable[[dt.date], bool], minutes: int,
                  tz: dt.tzinfo) -> dt.datetime:
    """The first end of a working day strictly after ``now``: when the scheduler queues
    the sweep next."""
    moment = _aware(now)
    # With a sweep time of 24:00 the end of yesterday is today's midnight.
    day = moment.astimezone(tz).date() - dt.timedelta(days=1)
    for _ in range(400):
        if is_workday(day):
            trigger = end_of_day(day, minutes, tz)
            if trigger > moment:
                return trigger
        day += dt.timedelta(days=1)
    raise ValueError(f"no working day within a year after {moment.isoformat()}")


def next_trigger(now: dt.datetime | None = None) -> dt.datetime:
    """``next_sweep_at`` with the platform's calendar, sweep time and time zone."""
    return next_sweep_at(_aware(now), workdays.calendar().is_workday, sweep_minutes(),
                         workdays.timezone())


def terms() -> dict[str, Any]:
    """The configured publicity rule, as the public pages state it."""
    types = tk.config.get("tjregistry.publicity.application_types") or []
    if isinstance(types, str):
        types = types.split()
    return {
        "rule": tk.config.get("tjregistry.publicity.rule"),
        "days": workdays.limit("publicity"),
        "application_types": [workflow.APPLICATION_TYPE_LABELS[t] for t in types
                              if t in workflow.APPLICATION_TYPE_LABELS],
        "closes_at": sweep_time_label(),
    }


# ---------------------------------------------------------------------------
# What is published


def is_running(app: Application, now: dt.datetime | None = None) -> bool:
    """Whether ``app`` is published now (objections are accepted while it is)."""
    return (app.state in PUBLICITY_STATES and app.publicity_end is not None
            and not has_ended(app.publicity_end, now))


def _running_query(now: dt.datetime | None) -> Any:
    return (model.Session.query(Application)
            .filter(Application.state.in_(PUBLICITY_STATES),
                    Application.publicity_end.isnot(None),
                    Application.publicity_end > last_ended_day(now)))


def running(app_id: str, now: dt.datetime | None = None) -> Application | None:
    """The application ``app_id`` if its publicity is running, else None."""
    return _running_query(now).filter(Application.id == app_id).one_or_none()


def running_for_package(package_id: str, now: dt.datetime | None = None) -> Application | None:
    """The application of the dataset whose publicity is running now, if any."""
    return (_running_query(now).filter(Application.package_id == package_id)
            .order_by(Application.created.desc()).first())


def item(app: Application) -> dict[str, Any]:
    """The published items of one application (Art. 20), and nothing else."""
    data = app.proposed or {}
    registrant = jurisdiction.profile(app.registrant_id)
    return {
        "id": app.id,
        "registrant_name": registrant.title if registrant else "",
        "registration_type": app.application_type,
        "registration_type_label": workflow.APPLICATION_TYPE_LABELS.get(
            app.application_type, workflow.L(app.application_type, app.application_type)),
        "data_name": data.get("title") or data.get("name") or "",
        "content_summary": data.get("notes") or "",
        "publicity_start": app.publicity_start.isoformat() if app.publicity_start else None,
        "publicity_end": app.publicity_end.isoformat() if app.publicity_end else None,
    }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listing(*, q: str = "", limit: int = 20, offset: int = 0,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Running publicity items, newest first; ``q`` filters on the data name."""
    query = _running_query(now)
    if q:
        pattern = f"%{_escape_like(q)}%"
        query = query.filter(sa.or_(
            Application.proposed["title"].astext.ilike(pattern, escape="\\"),
            Application.proposed["notes"].astext.ilike(pattern, escape="\\")))
    count = query.count()
    rows = (query.order_by(Application.publicity_start.desc(), Application.decided_at.desc(),
                           Application.id)
            .offset(offset).limit(limit).all())
    return {"count": count, "results": [item(app) for app in rows]}


# ---------------------------------------------------------------------------
# The end-of-period sweep


@dataclass
class SweepReport:
    closed: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    awaiting_issuance: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"closed": self.closed, "issued": self.issued,
                "awaiting_issuance": self.awaiting_issuance, "failed": self.failed}


def _state(app_id: str) -> str | None:
    model.Session.expire_all()
    app = model.Session.get(Application, app_id)
    return app.state if app is not None else None


def _issue(app_id: str, report: SweepReport) -> None:
    try:
        on_application_approved(app_id)
    except Exception as error:  # one application must not stop the sweep
        model.Session.rollback()
        report.failed[app_id] = str(error)
    state = _state(app_id)
    if state == "issued":
        report.issued.append(app_id)
    elif state == "approved":
        report.awaiting_issuance.append(app_id)


def sweep(now: dt.datetime | None = None) -> SweepReport:
    """Close every publicity period that ended with no objection pending, and issue.

    Each application commits on its own: one failure is reported and the rest go on.
    """
    report = SweepReport()
    for app_id in [app.id for app in due_publicity(now)]:
        try:
            workflow.close_publicity(app_id)
        except (tk.ValidationError, tk.ObjectNotFound) as error:
            report.failed[app_id] = str(error)
            continue
        report.closed.append(app_id)
        # The workflow asked for the certificate after the commit; a failure there
        # leaves the application approved, and it is retried below.
        state = _state(app_id)
        if state == "issued":
            report.issued.append(app_id)
    retry = (model.Session.query(Application.id)
             .filter(Application.state == "approved")
             .order_by(Application.decided_at).all())
    for (app_id,) in retry:
        _issue(app_id, report)
    return report


def work_waiting(now: dt.datetime | None = None) -> bool:
    """Whether a sweep has something to do: a period is over, or a certificate awaits
    issuance."""
    due = sa.and_(Application.state == "publicity",
                  Application.publicity_end <= last_ended_day(now))
    return (model.Session.query(Application.id)
            .filter(sa.or_(due, Application.state == "approved")).first()) is not None


def sweep_job() -> dict[str, Any]:
    """The background job: run by CKAN's RQ worker (``ckan jobs worker``)."""
    report = sweep()
    if report.closed or report.failed:
        log.info("publicity sweep: %s", report.as_dict())
    return report.as_dict()


def _queue_name() -> str:
    return tk.config.get("tjregistry.publicity.job_queue") or "default"


def queued_sweep() -> Any:
    """The sweep job waiting in the queue (not yet started), if there is one."""
    from ckan.lib import jobs

    function = f"{__name__}.{sweep_job.__name__}"
    for job in jobs.get_queue(_queue_name()).get_jobs():
        if job.func_name == function:
            return job
    return None


def enqueue_sweep() -> Any:
    """Hand the sweep to the background worker; returns the RQ job.

    A sweep still waiting in the queue is returned instead of queueing another: it
    runs later and sees everything a new one would.
    """
    waiting = queued_sweep()
    if waiting is not None:
        return waiting
    return tk.enqueue_job(sweep_job, title=SWEEP_JOB_TITLE, queue=_queue_name())


def next_closing(now: dt.datetime | None = None) -> dt.datetime | None:
    """When the next running publicity period (no objection pending) ends."""
    last = (model.Session.query(sa.func.min(Application.publicity_end))
            .filter(Application.state == "publicity",
                    Application.publicity_end > last_ended_day(now))
            .scalar())
    return ends_at(last) if last else None


def due_publicity(now: dt.datetime | None = None) -> list[Application]:
    """Applications in publicity whose period is over (``has_ended``)."""
    return (model.Session.query(Application)
            .filter(Application.state == "publicity",
                    Application.publicity_end <= last_ended_day(now))
            .order_by(Application.publicity_end).all())
