"""Publicity (公示, Art. 20): what is published, while when, and the end-of-period sweep.

An approved application that must be made public is published at once and stays
public until the end of its last working day (``publicity_end``, counted by the
working-day calendar in ``workdays.py``). Exactly the items Art. 20 names are
published: the registrant's name, the registration type, the data name and the
content summary, with the period's start and end.

When a period has ended with no objection pending, the sweep closes it
(``publicity -> approved``), after which the workflow hands the application to the
certificate subsystem and the certificate is issued. The sweep runs as a CKAN
background job (``enqueue_sweep``, run by ``ckan jobs worker``) and from the
command line (``ckan tjregistry workflow close-publicity``) for cron; it also
retries issuance for applications approved earlier whose certificate could not
be issued then. An application with an objection pending is in
``objection_pending``, never swept, so no certificate is issued for it.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry import jurisdiction, workdays, workflow
from ckanext.tjregistry.model import Application

log = logging.getLogger(__name__)

# Application states in which the publicity is running.
PUBLICITY_STATES = ("publicity", "objection_pending")
SWEEP_JOB_TITLE = "tjregistry: close ended publicity periods and issue certificates"


def is_running(app: Application, today: dt.date | None = None) -> bool:
    """Whether ``app`` is published now (objections are accepted while it is)."""
    today = today or workdays.local_today()
    return (app.state in PUBLICITY_STATES and app.publicity_end is not None
            and today <= app.publicity_end)


def _running_query(today: dt.date) -> Any:
    return (model.Session.query(Application)
            .filter(Application.state.in_(PUBLICITY_STATES),
                    Application.publicity_end.isnot(None),
                    Application.publicity_end >= today))


def running(app_id: str, today: dt.date | None = None) -> Application | None:
    """The application ``app_id`` if its publicity is running, else None."""
    today = today or workdays.local_today()
    return _running_query(today).filter(Application.id == app_id).one_or_none()


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
            today: dt.date | None = None) -> dict[str, Any]:
    """Running publicity items, newest first; ``q`` filters on the data name."""
    today = today or workdays.local_today()
    query = _running_query(today)
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
    from ckanext.tjregistry.certificates import on_application_approved

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


def sweep(today: dt.date | None = None) -> SweepReport:
    """Close every publicity period that ended with no objection pending, and issue.

    Each application commits on its own: one failure is reported and the rest go on.
    """
    today = today or workdays.local_today()
    report = SweepReport()
    for app_id in [app.id for app in workflow.due_publicity(today)]:
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


def sweep_job() -> dict[str, Any]:
    """The background job: run by CKAN's RQ worker (``ckan jobs worker``)."""
    report = sweep()
    if report.closed or report.failed:
        log.info("publicity sweep: %s", report.as_dict())
    return report.as_dict()


def enqueue_sweep() -> Any:
    """Hand the sweep to the background worker; returns the RQ job."""
    return tk.enqueue_job(sweep_job, title=SWEEP_JOB_TITLE,
                          queue=tk.config.get("tjregistry.publicity.job_queue") or "default")


def next_closing(today: dt.date | None = None) -> dt.date | None:
    """The next day on which a running publicity period will be swept."""
    today = today or workdays.local_today()
    last = (model.Session.query(sa.func.min(Application.publicity_end))
            .filter(Application.state == "publicity", Application.publicity_end >= today)
            .scalar())
    return last + dt.timedelta(days=1) if last else None
