"""The institutions' daily digest: decisions falling due or overdue.

Every working morning (``tjregistry.digest.time``, Tianjin time, default 08:30) each
registration institution's reviewers are told which of its matters need a decision:
acceptances and reviews (the application's current deadline), objection decisions
(each objection's ``decide_due``) whose deadline falls within
``tjregistry.digest.days_ahead`` working days or has passed, and withdrawal requests
awaiting consent (the rules set no limit; they are listed as waiting). Each reviewer gets
one in-platform notice per matter (``deadline_due`` or ``deadline_overdue``, at most once
a day) and, when e-mail is configured, one e-mail listing them all. The scheduler's
first step after the digest time of a working day queues it (``on_scheduler_tick``);
``ckan tjregistry report digest`` shows or sends it by hand.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction, workdays
from ckanext.tjregistry.model import Application, Notification
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.registration import notifications, workflow

log = logging.getLogger(__name__)

DUE = "deadline_due"
OVERDUE = "deadline_overdue"
WAITING = "decision_waiting"
JOB_TITLE = "tjregistry institution digest"
MATTER_LABELS = {
    "submitted": workflow.L("受理", "Acceptance"),
    "accepted": workflow.L("审查决定", "Review decision"),
    "objection_pending": workflow.L("异议调查决定", "Objection decision"),
    "withdrawal_requested": workflow.L("撤回申请的同意", "Consent to withdrawal"),
}
_done_for: dict[str, dt.date] = {}


@dataclass(frozen=True)
class Item:
    application_id: str
    package_id: str
    title: str
    matter: str  # the application's state the decision is due in (MATTER_LABELS)
    due: dt.date | None
    kind: str  # DUE, OVERDUE or WAITING
    reference: str = ""  # the objection's number

    @property
    def label(self) -> dict[str, str]:
        return MATTER_LABELS[self.matter]


def days_ahead() -> int:
    return tk.asint(tk.config.get("tjregistry.digest.days_ahead", 2))


def digest_time() -> dt.time:
    raw = str(tk.config.get("tjregistry.digest.time") or "08:30")
    hours, minutes = raw.split(":")
    return dt.time(int(hours), int(minutes))


def _kind(due: dt.date, today: dt.date, horizon: dt.date) -> str | None:
    if due < today:
        return OVERDUE
    if due <= horizon:
        return DUE
    return None


def _title(package_id: str) -> str:
    package = model.Package.get(package_id)
    return package.title if package is not None else package_id


def items_by_institution(today: dt.date | None = None) -> dict[str, list[Item]]:
    """What each acting institution must decide soon, by institution id."""
    today = today or workdays.local_today()
    horizon = workdays.add_workdays(today, days_ahead())
    found: dict[str, list[Item]] = {}

    def add(institution_id: str, item: Item) -> None:
        acting = jurisdiction.acting_institution(institution_id)
        if acting is not None:
            found.setdefault(acting.id, []).append(item)

    apps = (model.Session.query(Application)
            .filter(Application.is_open.is_(True),
                    Application.state.in_(("submitted", "accepted", "withdrawal_requested")))
            .order_by(Application.created).all())
    for app in apps:
        if app.state == "withdrawal_requested":
            add(app.institution_id, Item(app.id, app.package_id, _title(app.package_id),
                                         app.state, None, WAITING))
            continue
        due = workflow.due_date(app)
        kind = _kind(due, today, horizon) if due is not None else None
        if kind:
            add(app.institution_id, Item(app.id, app.package_id, _title(app.package_id),
                                         app.state, due, kind))
    objections = (model.Session.query(Objection)
                  .filter(Objection.status == "pending", Objection.decide_due.isnot(None))
                  .order_by(Objection.decide_due).all())
    for objection in objections:
        kind = _kind(objection.decide_due, today, horizon)
        if kind:
            add(objection.institution_id, Item(
                objection.application_id, objection.package_id, _title(objection.package_id),
                "objection_pending", objection.decide_due, kind, objection.number))
    for items in found.values():
        items.sort(key=lambda item: (item.due or dt.date.max, item.title))
    return found


def _already_told(user_id: str, item: Item, since: dt.datetime) -> bool:
    return model.Session.query(Notification.id).filter(
        Notification.user_id == user_id, Notification.application_id == item.application_id,
        Notification.action == item.kind, Notification.to_state == item.matter,
        Notification.created >= since).first() is not None


def _line(item: Item) -> str:
    due = f"{item.due.isoformat()}" if item.due else "—"
    status = {OVERDUE: "已逾期 / overdue", DUE: "即将到期 / due soon",
              WAITING: "待处理 / waiting"}[item.kind]
    reference = f" [{item.reference}]" if item.reference else ""
    return (f"- {item.title}{reference}: {item.label['zh_Hans_CN']} / {item.label['en']}, "
            f"{status}, 期限 / due {due}")


def _mail(user: model.User, institution_title: str, items: list[Item]) -> None:
    site = tk.config.get("ckan.site_url").rstrip("/")
    subject = (f"[{tk.config.get('ckan.site_title')}] {institution_title}: "
               f"{len(items)} 项待办理 / {len(items)} matter(s) to decide")
    body = "\n".join([
        f"{institution_title} 今日待办理事项 / Matters to decide:", "",
        *(_line(item) for item in items), "",
        f"审查队列 / Review queue: {site}/registration/?scope=queue",
    ])
    notifications.send([(user.name, user.display_name, user.email)], subject, body)


def send(today: dt.date | None = None) -> dict[str, int]:
    """Notify each institution's reviewers; returns notices written per institution name."""
    today = today or workdays.local_today()
    since = dt.datetime.combine(today, dt.time(), workdays.timezone()).astimezone(
        dt.timezone.utc).replace(tzinfo=None)
    written: dict[str, int] = {}
    mails: list[tuple[model.User, str, list[Item]]] = []
    for institution_id, items in items_by_institution(today).items():
        institution = jurisdiction.profile(institution_id)
        # Its reviewers; sysadmins (and the site user) administer the platform, not review.
        reviewers = [user for user in notifications.acting_members(institution_id)
                     if not user.sysadmin]
        count = 0
        for user in reviewers:
            new = [item for item in items if not _already_told(user.id, item, since)]
            for item in new:
                model.Session.add(Notification(
                    user_id=user.id, application_id=item.application_id,
                    package_id=item.package_id, action=item.kind, to_state=item.matter))
            count += len(new)
            if new and user.email:
                mails.append((user, institution.title if institution else "", new))
        written[institution.name if institution else institution_id] = count
    model.Session.commit()
    if notifications.email_enabled():
        for user, title, new in mails:
            _mail(user, title, new)
    return written


def digest_job(day: str | None = None) -> dict[str, int]:
    """The queued job: the digest of ``day`` (a Tianjin date, ISO) or of today."""
    today = workdays.local_today()
    if day:
        today = max(today, dt.date.fromisoformat(day))
    written = send(today)
    log.info("institution digest for %s: %s", today.isoformat(), written)
    return written


def on_scheduler_tick(now: dt.datetime) -> None:
    """``signals.scheduler_tick``: queue the digest once per working day, from its time on."""
    local = now.astimezone(workdays.timezone())
    today = local.date()
    if _done_for.get("day") == today or local.time() < digest_time():
        return
    _done_for["day"] = today
    if not workdays.calendar().is_workday(today):
        return
    queue = tk.config.get("tjregistry.publicity.job_queue") or "default"
    job = tk.enqueue_job(digest_job, [today.isoformat()], title=JOB_TITLE, queue=queue)
    log.info("institution digest for %s queued (job %s)", today.isoformat(), job.id)


def preview(today: dt.date | None = None) -> list[dict[str, Any]]:
    """The digest without sending it (the CLI's ``--dry-run``)."""
    result = []
    for institution_id, items in items_by_institution(today).items():
        institution = jurisdiction.profile(institution_id)
        result.append({"institution": institution.title if institution else institution_id,
                       "lines": [_line(item) for item in items]})
    return result
