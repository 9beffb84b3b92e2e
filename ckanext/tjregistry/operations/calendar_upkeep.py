"""Calendar upkeep: deadlines follow the holiday calendar when it is corrected, and the
platform warns before a year starts without the State Council's arrangement.

Deadlines are computed once, when their clock starts, and stored. When the working-day
calendar changes (the override file is corrected, e.g. the State Council publishes next
year's arrangement, or the ``chinese-calendar`` package learns a year), every open
deadline is computed again from the day its clock started:

* acceptance (``accept_due``): from the submission, resubmission or transfer (``submitted_at``);
* review (``review_due``): from acceptance (``accepted_at``);
* publicity (``publicity_start`` and ``publicity_end``): from the approval (``decided_at``);
* objection decisions (``decide_due``): from the objection's filing.

Each change is recorded in the hash-chained history (``recompute_deadline``, with the old
and the new date) and notified to the registrant and the institution's reviewers. The
calendar in force is identified by a digest of the override file and the package's known
years; the history keeps the digest last applied (``calendar_applied``), so the scheduler's
daily step notices a new calendar by itself (``on_scheduler_tick``), and ``ckan tjregistry
calendar recompute`` does it by hand.

From 1 November the platform warns (the calendar page, ``ckan tjregistry calendar
check``, the log) while next year's calendar is missing or provisional.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import pathlib
from dataclasses import dataclass
from typing import Any

import chinese_calendar

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history, jurisdiction, workdays
from ckanext.tjregistry.model import Application, Event, Notification
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.registration import notifications, workflow

log = logging.getLogger(__name__)

CALENDAR = "calendar"
APPLIED = "calendar_applied"
RECOMPUTE = "recompute_deadline"
ROLE = "operator"
WARN_FROM = (11, 1)  # month, day: from when next year's calendar is checked


# ---------------------------------------------------------------------------
# Which calendar is in force


def override_file() -> pathlib.Path:
    configured = tk.config.get("tjregistry.workdays.override_file") or ""
    return pathlib.Path(configured) if configured else workdays.DEFAULT_OVERRIDE_FILE


def digest() -> str:
    """Identifies the calendar in force: the override file and the package's years."""
    content = override_file().read_bytes()
    known = ",".join(str(year) for year in range(2004, 2100) if workdays.package_knows(year))
    return hashlib.sha256(content + b"\n" + known.encode("ascii")).hexdigest()


def last_applied(session: Any = None) -> str | None:
    session = session or model.Session
    event = (session.query(Event).filter(Event.subject == CALENDAR, Event.action == APPLIED)
             .order_by(Event.id.desc()).first())
    return (event.data or {}).get("digest") if event is not None else None


@dataclass(frozen=True)
class YearStatus:
    year: int
    source: str  # override | package | fallback
    provisional: bool

    @property
    def complete(self) -> bool:
        return self.source != "fallback" and not self.provisional


def year_status(year: int) -> YearStatus:
    calendar = workdays.calendar()
    override = calendar.overrides.get(year)
    return YearStatus(year, calendar.source(year),
                      bool(override is not None and override.provisional))


def warning(today: dt.date | None = None) -> dict[str, str] | None:
    """From 1 November: a bilingual warning while next year's calendar is incomplete."""
    today = today or workdays.local_today()
    if (today.month, today.day) < WARN_FROM:
        return None
    status = year_status(today.year + 1)
    if status.complete:
        return None
    if status.source == "fallback":
        zh = (f"{status.year}年节假日安排尚未载入:期限仅按周末和固定日期节日计算。"
              f"请在国务院办公厅通知发布后更新节假日文件。")
        en = (f"No holiday calendar for {status.year}: deadlines count only weekends and "
              "fixed-date holidays. Update the holiday file when the State Council publishes "
              "its notice.")
    else:
        zh = (f"{status.year}年节假日安排为暂定(仅含法定节日,无调休):"
              f"请在国务院办公厅通知发布后更新节假日文件。")
        en = (f"The {status.year} holiday calendar is provisional (statutory holidays only, no "
              "make-up days): update the holiday file when the State Council publishes its "
              "notice.")
    return {"zh_Hans_CN": zh, "en": en}


# ---------------------------------------------------------------------------
# Recomputing open deadlines


@dataclass(frozen=True)
class Change:
    application_id: str
    package_id: str
    field: str
    old: dt.date | None
    new: dt.date
    objection_number: str | None = None


def _day(moment: dt.datetime | None) -> dt.date | None:
    return workdays.local_date(moment) if moment is not None else None


def _application_changes(app: Application) -> list[Change]:
    wanted: dict[str, dt.date] = {}
    if app.state == "submitted" and app.submitted_at is not None:
        wanted["accept_due"] = workdays.add_workdays(_day(app.submitted_at),
                                                     workdays.limit("acceptance"))
    if app.state == "accepted" and app.accepted_at is not None:
        wanted["review_due"] = workdays.add_workdays(_day(app.accepted_at),
                                                     workdays.limit("review"))
    if app.state in ("publicity", "objection_pending") and app.decided_at is not None:
        approved = _day(app.decided_at)
        wanted["publicity_start"] = workdays.add_workdays(approved, 1)
        wanted["publicity_end"] = workdays.add_workdays(approved, workdays.limit("publicity"))
    return [Change(app.id, app.package_id, name, getattr(app, name), value)
            for name, value in wanted.items() if getattr(app, name) != value]


def planned_changes(session: Any = None) -> list[Change]:
    """What recomputing would change, without changing it."""
    session = session or model.Session
    changes: list[Change] = []
    apps = (session.query(Application).filter(Application.is_open.is_(True))
            .order_by(Application.created).all())
    for app in apps:
        changes.extend(_application_changes(app))
    pending = (session.query(Objection).filter(Objection.status == objections.PENDING)
               .order_by(Objection.created).all())
    for objection in pending:
        due = workdays.add_workdays(_day(objection.created), objections.decision_days())
        if objection.decide_due != due:
            changes.append(Change(objection.application_id, objection.package_id,
                                  "decide_due", objection.decide_due, due, objection.number))
    return changes


def _notify(session: Any, app: Application, event: Event) -> None:
    acting = jurisdiction.acting_institution(app.institution_id)
    people = {user.id for user in notifications.acting_members(app.registrant_id)}
    people |= {user.id for user in notifications.acting_members(acting.id if acting else None)
               if not user.sysadmin}
    for user_id in sorted(people):
        session.add(Notification(user_id=user_id, application_id=app.id,
                                 package_id=app.package_id, event_id=event.id, action=RECOMPUTE,
                                 to_state=app.state))


def recompute(*, reason: str = "") -> list[Change]:
    """Apply the calendar in force to every open deadline, in one transaction."""
    applied = digest()
    with workflow.transaction() as session:
        changes = planned_changes(session)
        for change in changes:
            app = (session.query(Application).filter(Application.id == change.application_id)
                   .with_for_update().one())
            if change.field == "decide_due":
                (session.query(Objection)
                 .filter(Objection.number == change.objection_number)
                 .update({"decide_due": change.new}))
            else:
                setattr(app, change.field, change.new)
            session.flush()
            event = history.append(
                session, subject=workflow.APPLICATION, application_id=app.id,
                package_id=app.package_id, action=RECOMPUTE, from_state=app.state,
                to_state=app.state, actor_id=None, role=ROLE,
                institution_id=app.institution_id, note=reason or None,
                data={"field": change.field,
                      "old": change.old.isoformat() if change.old else None,
                      "new": change.new.isoformat(), "calendar": applied,
                      **({"objection": change.objection_number}
                         if change.objection_number else {})})
            _notify(session, app, event)
        history.append(session, subject=CALENDAR, application_id=None, package_id=None,
                       action=APPLIED, from_state=None, to_state=None, actor_id=None,
                       role=ROLE, institution_id=None, note=reason or None,
                       data={"digest": applied, "changes": len(changes)})
    for package_id in sorted({change.package_id for change in changes}):
        workflow.reindex(package_id)
    return changes


def calendar_changed() -> bool:
    return last_applied() != digest()


def upkeep_job() -> list[Change]:
    """The queued job: recompute when the calendar in force is not the one last applied."""
    if not calendar_changed():
        return []
    workdays.forget_calendar()
    changes = recompute(reason="节假日安排已更新 / The holiday calendar was updated")
    log.warning("holiday calendar changed: %d open deadline(s) recomputed", len(changes))
    return changes


_checked_for: dict[str, dt.date] = {}


def on_scheduler_tick(now: dt.datetime) -> None:
    """``signals.scheduler_tick``: once a day, warn about next year and apply a new calendar."""
    today = workdays.local_date(now)
    if _checked_for.get("day") == today:
        return
    _checked_for["day"] = today
    warned = warning(today)
    if warned:
        log.warning("calendar: %s", warned["en"])
    workdays.forget_calendar()
    if calendar_changed():
        queue = tk.config.get("tjregistry.publicity.job_queue") or "default"
        tk.enqueue_job(upkeep_job, title="tjregistry calendar upkeep", queue=queue)


def years(today: dt.date | None = None) -> list[YearStatus]:
    """This year and the next two, as the calendar page shows them."""
    today = today or workdays.local_today()
    return [year_status(year) for year in range(today.year, today.year + 3)]


def package_version() -> str:
    return getattr(chinese_calendar, "__version__", "")
