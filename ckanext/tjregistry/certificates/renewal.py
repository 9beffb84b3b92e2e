"""Renewal (续展) of certificates: reminders, the registrant's request, the decision.

* Reminders: ``tjregistry.certificate.renewal_reminders`` (days before the last valid
  day, default "90 30 7"). For each valid certificate, the tightest threshold reached is
  sent once per certificate version: an in-platform notice (``renewal_reminder``) to the
  registrant's editors and admins, and an e-mail when e-mail is configured. A version
  first seen inside several thresholds gets one reminder, for the nearest. The
  scheduler's first step of each Tianjin day queues the run (``on_scheduler_tick``);
  ``ckan tjregistry certificate remind`` runs it by hand.
* Request: the registrant (its editors and admins, or an agency under a delegation in
  force) asks for renewal while the renewal window is open (``renewal_window_days``
  before the last valid day) or, when ``renewal_after_expiry_days`` is set, within that
  many days after expiry. One pending request per code. Recorded in the registration
  history; the competent institution's reviewers are told.
* Decision: by the competent institution, the one that issued the certificate or, when
  its qualification is suspended, the city institution (``jurisdiction.
  acting_institution``); a reviewer tied to the registrant is recused. Approval renews
  the certificate (same code, next version, a term that follows the old one); a
  rejection states reasons. The registrant is told either way.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import issuance, validity
from ckanext.tjregistry.common import jurisdiction, workdays
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.model import Notification, Registration
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.model.renewal import (
    APPROVED,
    PENDING,
    REJECTED,
    RenewalReminder,
    RenewalRequest,
)
from ckanext.tjregistry.registration import duties, notifications, workflow

log = logging.getLogger(__name__)

REMINDER = "renewal_reminder"
REQUESTED = "renewal_requested"
APPROVED_EVENT = "renewal_approved"
REJECTED_EVENT = "renewal_rejected"
JOB_TITLE = "tjregistry certificate renewal reminders"
DEFAULT_REMINDERS = (90, 30, 7)
_queued_for: dict[str, dt.date] = {}


# ---------------------------------------------------------------- configuration


def reminder_days() -> tuple[int, ...]:
    """The reminder thresholds, largest first (empty: no reminders)."""
    raw = tk.config.get("tjregistry.certificate.renewal_reminders")
    if raw is None:
        return DEFAULT_REMINDERS
    values = {int(part) for part in str(raw).replace(",", " ").split() if part.strip()}
    return tuple(sorted((value for value in values if value >= 0), reverse=True))


# ---------------------------------------------------------------- the window


def window(certificate: Certificate, today: dt.date | None = None) -> dict[str, Any]:
    """The renewal window of a certificate's current version: ``opens``, ``closes`` (the
    last day a request may be made), ``is_open`` and ``lapsed`` (past its last day)."""
    today = today or workdays.local_today()
    opens = validity.renewal_window_opens(certificate.valid_until, issuance.renewal_window_days())
    grace = issuance.renewal_after_expiry_days()
    closes = certificate.valid_until + dt.timedelta(days=grace)
    status = issuance.effective_status(certificate, today)
    usable = status == validity.VALID or (status == validity.EXPIRED and grace > 0)
    return {"opens": opens, "closes": closes, "valid_until": certificate.valid_until,
            "after_expiry_days": grace, "status": status,
            "lapsed": today > certificate.valid_until,
            "is_open": usable and opens <= today <= closes}


def _check_window(certificate: Certificate, today: dt.date) -> None:
    info = window(certificate, today)
    status = info["status"]
    if status in validity.FINAL_STATUSES:
        raise field_error("code", "该登记已撤销或注销，不能续展",
                          f"a {status} registration cannot be renewed")
    if today < info["opens"]:
        raise field_error(
            "code", f"续展申请可自 {info['opens'].isoformat()} 起提出（到期前 "
            f"{issuance.renewal_window_days()} 日内）",
            f"a renewal may be requested from {info['opens'].isoformat()}, "
            f"{issuance.renewal_window_days()} days before expiry")
    if today > info["closes"] or status not in (validity.VALID, validity.EXPIRED):
        if info["after_expiry_days"]:
            raise field_error(
                "code", f"凭证已于 {certificate.valid_until.isoformat()} 到期，超过 "
                f"{info['after_expiry_days']} 日的续展期限，需重新办理首次登记（新的登记编号）",
                f"the certificate expired on {certificate.valid_until.isoformat()}, more than "
                f"{info['after_expiry_days']} days ago; a new initial registration (with a "
                "new code) is needed")
        raise field_error(
            "code", f"凭证已于 {certificate.valid_until.isoformat()} 到期，不能续展，"
            "需重新办理首次登记（新的登记编号）",
            f"the certificate expired on {certificate.valid_until.isoformat()}; it can no "
            "longer be renewed, a new initial registration (with a new code) is needed")


# ---------------------------------------------------------------- who may do what


def competent_institution(certificate: Certificate) -> jurisdiction.OrgProfile | None:
    """The institution that decides: the issuer, or the city one if the issuer is suspended."""
    return jurisdiction.acting_institution(certificate.institution_id)


def may_request(user: model.User | None, certificate: Certificate) -> bool:
    if user is None or not certificate.registrant_id:
        return False
    roles = workflow.roles_for(workflow.Actor(user=user), registrant_id=certificate.registrant_id,
                               institution_id=certificate.institution_id)
    return workflow.REGISTRANT in roles


def is_decider(user: model.User | None, certificate: Certificate) -> bool:
    """Staff (editor, admin) of the competent institution, or a sysadmin: before recusal."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    acting = competent_institution(certificate)
    return acting is not None and jurisdiction.acts_for(user, acting.id)


def decision_refusal(user: model.User | None, certificate: Certificate) -> str | None:
    """Why ``user`` may not decide on the certificate's renewal, or None."""
    if not is_decider(user, certificate):
        return ("只有发证的登记机构可以续展（其资格暂停时由市级登记机构决定） / only the issuing "
                "institution may renew (the city institution while it is suspended)")
    tie = duties.recusal(user, certificate.registrant_id or "")
    if tie is not None:
        return f"{tie.message()} / {tie.message('en')}"
    return None


# ---------------------------------------------------------------- look-ups


def pending_for(code: str) -> RenewalRequest | None:
    return (model.Session.query(RenewalRequest)
            .filter(RenewalRequest.code == code, RenewalRequest.status == PENDING)
            .one_or_none())


def requests_for(code: str) -> list[RenewalRequest]:
    return (model.Session.query(RenewalRequest).filter(RenewalRequest.code == code)
            .order_by(RenewalRequest.requested_at.desc()).all())


def pending_for_institutions(institution_ids: list[str]) -> list[RenewalRequest]:
    """Pending requests the institutions are competent for (theirs, and the suspended
    institutions' for the city)."""
    rows = (model.Session.query(RenewalRequest).filter(RenewalRequest.status == PENDING)
            .order_by(RenewalRequest.requested_at).all())
    wanted = set(institution_ids)
    result = []
    for row in rows:
        acting = jurisdiction.acting_institution(row.institution_id)
        if acting is not None and acting.id in wanted:
            result.append(row)
    return result


def as_dict(row: RenewalRequest) -> dict[str, Any]:
    package = model.Package.get(row.package_id)
    acting = jurisdiction.acting_institution(row.institution_id)
    return {
        "id": row.id, "code": row.code, "package_id": row.package_id,
        "package_title": package.title if package else None,
        "registrant_id": row.registrant_id, "institution_id": row.institution_id,
        "competent_institution_id": acting.id if acting else None,
        "certificate_version": row.certificate_version, "status": row.status,
        "note": row.note, "requested_by": row.requested_by,
        "requested_at": row.requested_at.isoformat() if row.requested_at else None,
        "decided_by": row.decided_by, "decided_institution_id": row.decided_institution_id,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "reasons": row.reasons, "renewed_version": row.renewed_version,
    }


# ---------------------------------------------------------------- notices


def _registration_state(package_id: str) -> str | None:
    reg = model.Session.get(Registration, package_id)
    return reg.status if reg is not None else None


def _notify(users: list[model.User], *, package_id: str, action: str, event_id: int | None,
            subject: str, body: str, exclude: str | None = None) -> Callable[[], None] | None:
    """In-platform notices (in the caller's transaction); the e-mail to send after commit."""
    users = [user for user in users if user.id != exclude and not user.sysadmin]
    state = _registration_state(package_id)
    for user in users:
        model.Session.add(Notification(user_id=user.id, package_id=package_id,
                                       event_id=event_id, action=action, to_state=state))
    addresses = [(user.name, user.display_name, user.email) for user in users if user.email]
    if not addresses or not notifications.email_enabled():
        return None
    return lambda: notifications.send(addresses, subject, body)


def _subject(package_id: str, action: str) -> str:
    package = model.Package.get(package_id)
    title = package.title if package else package_id
    label = workflow.EVENT_LABELS[action]
    return f"[{tk.config.get('ckan.site_title')}] {title}: {label['zh_Hans_CN']} / {label['en']}"


def _link(code: str) -> str:
    return f"{tk.config.get('ckan.site_url', '').rstrip('/')}/registration/verify?code={code}"


# ---------------------------------------------------------------- request and decision


def request(code: str, user: model.User, note: str | None = None,
            today: dt.date | None = None) -> dict[str, Any]:
    """Record the registrant's renewal request. Commits; raises ValidationError."""
    today = today or workdays.local_today()
    sends: list[Callable[[], None]] = []
    try:
        certificate = (model.Session.query(Certificate)
                       .filter(Certificate.code == code,
                               Certificate.status != validity.SUPERSEDED)
                       .with_for_update().one_or_none())
        if certificate is None:
            raise field_error("code", "登记编号不存在", "no such registration code")
        _check_window(certificate, today)
        if pending_for(code) is not None:
            raise field_error("code", "该登记已有待决定的续展申请",
                              "a renewal request for this registration is already pending")
        row = RenewalRequest(code=code, package_id=certificate.package_id,
                             registrant_id=certificate.registrant_id,
                             institution_id=certificate.institution_id,
                             certificate_version=certificate.version, status=PENDING,
                             note=note or None, requested_by=user.id)
        model.Session.add(row)
        model.Session.flush()
        event = workflow.record_registration_event(
            model.Session, certificate.package_id, REQUESTED, actor=workflow.Actor(user=user),
            data={"registration_code": code, "certificate_version": certificate.version,
                  "request_id": row.id, "note": row.note})
        acting = competent_institution(certificate)
        body = "\n".join([f"登记编号 / Registration code: {code}",
                          f"有效期至 / Valid until: {certificate.valid_until.isoformat()}",
                          *( [f"说明 / Note: {row.note}"] if row.note else []),
                          f"详情 / Details: {_link(code)}"])
        send = _notify(notifications.acting_members(acting.id if acting else None),
                       package_id=certificate.package_id, action=REQUESTED,
                       event_id=getattr(event, "id", None),
                       subject=_subject(certificate.package_id, REQUESTED), body=body,
                       exclude=user.id)
        if send:
            sends.append(send)
        result = as_dict(row)
        model.Session.commit()
    except sa.exc.IntegrityError:
        model.Session.rollback()
        raise field_error("code", "该登记已有待决定的续展申请",
                          "a renewal request for this registration is already pending") from None
    except Exception:
        model.Session.rollback()
        raise
    for send in sends:
        send()
    return result


def decide(code: str, user: model.User, *, approve: bool, reasons: str | None = None,
           today: dt.date | None = None) -> dict[str, Any]:
    """Approve (renew) or reject the pending request of ``code``. Commits. The caller has
    checked that ``user`` may decide (``decision_refusal``)."""
    today = today or workdays.local_today()
    sends: list[Callable[[], None]] = []
    renewed: dict[str, Any] | None = None
    try:
        row = (model.Session.query(RenewalRequest)
               .filter(RenewalRequest.code == code, RenewalRequest.status == PENDING)
               .with_for_update().one_or_none())
        if row is None:
            raise field_error("code", "该登记没有待决定的续展申请",
                              "there is no pending renewal request for this registration")
        certificate = issuance.current_for_code(code)
        assert certificate is not None
        acting = competent_institution(certificate)
        actor = workflow.Actor(user=user)
        if approve:
            renewed = issuance.renew_certificate(
                code, actor_id=user.id, today=today,
                institution_id=acting.id if acting else None)
            row.status = APPROVED
            row.renewed_version = renewed["version"]
            reg = model.Session.get(Registration, certificate.package_id)
            if reg is not None and reg.status == "expired":
                # Renewed within the days allowed after expiry: registered again.
                workflow.perform("register", actor=workflow.Actor.system_actor(),
                                 package_id=certificate.package_id)
            workflow.record_registration_event(
                model.Session, renewed["package_id"], "renew_certificate", actor=actor,
                data={"registration_code": renewed["code"],
                      "certificate_version": renewed["version"],
                      "valid_until": renewed["valid_until"], "request_id": row.id})
        else:
            row.status = REJECTED
        row.reasons = reasons or None
        row.decided_by = user.id
        row.decided_at = dt.datetime.utcnow()
        row.decided_institution_id = acting.id if acting else None
        action = APPROVED_EVENT if approve else REJECTED_EVENT
        event = workflow.record_registration_event(
            model.Session, row.package_id, action, actor=actor,
            data={"registration_code": code, "request_id": row.id,
                  "reasons": row.reasons,
                  "certificate_version": renewed["version"] if renewed else None,
                  "valid_until": renewed["valid_until"] if renewed else None})
        lines = [f"登记编号 / Registration code: {code}"]
        if renewed:
            lines.append(f"新的有效期至 / New validity until: {renewed['valid_until']}")
        if row.reasons:
            lines.append(f"理由 / Reasons: {row.reasons}")
        lines.append(f"详情 / Details: {_link(code)}")
        send = _notify(notifications.acting_members(row.registrant_id),
                       package_id=row.package_id, action=action,
                       event_id=getattr(event, "id", None),
                       subject=_subject(row.package_id, action), body="\n".join(lines),
                       exclude=user.id)
        if send:
            sends.append(send)
        result = as_dict(row)
        result["certificate"] = renewed
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        raise
    if renewed:
        issuance.reindex([renewed["package_id"]])
    for send in sends:
        send()
    return result


# ---------------------------------------------------------------- reminders


def _threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The nearest threshold reached (the smallest one at or above ``days_left``)."""
    reached = [days for days in thresholds if days_left <= days]
    return min(reached) if reached else None


def due_reminders(today: dt.date | None = None) -> list[tuple[Certificate, int]]:
    """(certificate, threshold) of every valid certificate owed a reminder today."""
    today = today or workdays.local_today()
    thresholds = reminder_days()
    if not thresholds:
        return []
    horizon = today + dt.timedelta(days=max(thresholds))
    rows = (model.Session.query(Certificate)
            .filter(Certificate.status == validity.VALID, Certificate.valid_until >= today,
                    Certificate.valid_until <= horizon)
            .order_by(Certificate.valid_until, Certificate.code).all())
    due = []
    for certificate in rows:
        threshold = _threshold((certificate.valid_until - today).days, thresholds)
        if threshold is None:
            continue
        sent = (model.Session.query(RenewalReminder.days)
                .filter(RenewalReminder.code == certificate.code,
                        RenewalReminder.version == certificate.version,
                        RenewalReminder.days <= threshold).first())
        if sent is None:
            due.append((certificate, threshold))
    return due


def send_reminders(today: dt.date | None = None) -> list[tuple[str, int]]:
    """Send the reminders due today; ``(code, threshold)`` of each sent. Commits each."""
    today = today or workdays.local_today()
    sent: list[tuple[str, int]] = []
    for certificate, threshold in due_reminders(today):
        send = None
        try:
            users = notifications.acting_members(certificate.registrant_id)
            info = window(certificate, today)
            body = "\n".join([
                f"登记编号 / Registration code: {certificate.code}",
                f"有效期至 / Valid until: {certificate.valid_until.isoformat()} "
                f"（还有 {(certificate.valid_until - today).days} 日 / "
                f"{(certificate.valid_until - today).days} days left）",
                f"可申请续展自 / Renewal may be requested from: {info['opens'].isoformat()}",
                f"申请续展 / Request renewal: {_link(certificate.code)}",
            ])
            send = _notify(users, package_id=certificate.package_id, action=REMINDER,
                           event_id=None, subject=_subject(certificate.package_id, REMINDER),
                           body=body)
            model.Session.add(RenewalReminder(
                code=certificate.code, version=certificate.version, days=threshold,
                package_id=certificate.package_id,
                recipients=len([u for u in users if not u.sysadmin])))
            model.Session.commit()
        except Exception:  # one certificate must not stop the others
            model.Session.rollback()
            log.exception("renewal reminder for %s not sent", certificate.code)
            continue
        if send:
            send()
        sent.append((certificate.code, threshold))
    return sent


def reminder_job(day: str | None = None) -> list[tuple[str, int]]:
    """The queued job: the reminders of ``day`` (a Tianjin date, ISO) or of today."""
    today = workdays.local_today()
    if day:
        today = max(today, dt.date.fromisoformat(day))
    sent = send_reminders(today)
    log.info("renewal reminders for %s: %d sent", today.isoformat(), len(sent))
    return sent


def on_scheduler_tick(now: dt.datetime) -> None:
    """``signals.scheduler_tick``: queue the day's reminders once per Tianjin day."""
    today = workdays.local_date(now)
    if _queued_for.get("day") == today:
        return
    _queued_for["day"] = today
    if not reminder_days():
        return
    queue = tk.config.get("tjregistry.publicity.job_queue") or "default"
    job = tk.enqueue_job(reminder_job, [today.isoformat()], title=JOB_TITLE, queue=queue)
    log.info("renewal reminders for %s queued (job %s)", today.isoformat(), job.id)
