"""Workflow notifications: a row per recipient in the platform, and e-mail when configured.

Who is told about a transition is declared in its ``notify`` (see workflow.py):
``registrant`` (the registrant's editors and admins), ``reviewers`` (those of the
institution acting on the matter) and ``city_reviewers``. The rows are written in
the transition's transaction; e-mails go out after the commit through CKAN's mailer,
when ``smtp.server`` and ``smtp.mail_from`` are configured and
``tjregistry.notifications.email`` is on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction
from ckanext.tjregistry.model import Event, Notification
from ckanext.tjregistry.registration.declaration import state_label

if TYPE_CHECKING:
    from ckanext.tjregistry.registration.workflow import Outcome

log = logging.getLogger(__name__)


def _members(org_id: str | None) -> list[model.User]:
    if not org_id:
        return []
    rows = (model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == org_id, model.Member.table_name == "user",
                    model.Member.state == "active",
                    model.Member.capacity.in_(jurisdiction.ACTING_CAPACITIES),
                    model.User.state == "active").all())
    return rows


def acting_members(org_id: str | None) -> list[model.User]:
    """The organization's active editors and admins (who act for it)."""
    return _members(org_id)


def recipients(outcome: Outcome) -> list[model.User]:
    subject = outcome.application or outcome.registration
    assert subject is not None
    users: dict[str, model.User] = {}
    for audience in outcome.transition.notify:
        if audience == "registrant":
            found = _members(subject.registrant_id)
        elif audience == "reviewers":
            acting = jurisdiction.acting_institution(subject.institution_id)
            found = _members(acting.id if acting else None)
        elif audience == "city_reviewers":
            city = jurisdiction.city_institution()
            found = _members(city.id if city else None)
        else:
            found = []
        users.update((user.id, user) for user in found)
    return list(users.values())


def record(session: Any, outcome: Outcome, event: Event) -> list[Callable[[], None]]:
    """Write the in-platform notices; return the e-mail sends to run after the commit."""
    users = [u for u in recipients(outcome) if u.id != event.actor_id]
    application_id = outcome.application.id if outcome.application else None
    for user in users:
        session.add(Notification(user_id=user.id, application_id=application_id,
                                 package_id=outcome.package_id, event_id=event.id,
                                 action=outcome.transition.name, to_state=outcome.to_state))
    if not users or not email_enabled():
        return []
    message = compose(outcome, event)
    addresses = [(user.name, user.display_name, user.email) for user in users if user.email]
    return [lambda: send(addresses, *message)]


def email_enabled() -> bool:
    """E-mail is on, with an SMTP server and a sender address to send from.

    ``smtp.server`` defaults to ``localhost`` in CKAN, so it alone does not say that
    mail is configured; CKAN's mailer cannot send without ``smtp.mail_from`` (it fails
    outside its own MailerException).
    """
    return (bool(tk.config.get("tjregistry.notifications.email"))
            and bool(tk.config.get("smtp.server")) and bool(tk.config.get("smtp.mail_from")))


def compose(outcome: Outcome, event: Event) -> tuple[str, str]:
    package = model.Package.get(outcome.package_id)
    title = package.title if package else outcome.package_id
    transition = outcome.transition
    subject = (f"[{tk.config.get('ckan.site_title')}] {title}: "
               f"{transition.label['zh_Hans_CN']} / {transition.label['en']}")
    link = application_url(outcome)
    lines = [
        f"数据 / Dataset: {title}",
        f"事项 / Step: {transition.label['zh_Hans_CN']} / {transition.label['en']}",
        f"状态 / State: {state_label(outcome.to_state)} / {state_label(outcome.to_state, 'en')}",
    ]
    if event.note:
        lines.append(f"理由 / Reasons: {event.note}")
    items = (event.data or {}).get("items")
    if items:
        lines.append("补正事项 / Items to supplement:")
        lines.extend(f"  {index}. {item}" for index, item in enumerate(items, start=1))
    lines.append(f"详情 / Details: {link}")
    return subject, "\n".join(lines)


def application_url(outcome: Outcome) -> str:
    site = tk.config.get("ckan.site_url").rstrip("/")
    if outcome.application is not None:
        return f"{site}/registration/application/{outcome.application.id}"
    return f"{site}/registration/dataset/{outcome.package_id}/history"


def send(addresses: list[tuple[str, str, str]], subject: str, body: str) -> None:
    from ckan.lib.mailer import MailerException, mail_recipient

    for _name, display_name, email in addresses:
        try:
            mail_recipient(display_name, email, subject, body)
        except MailerException:
            log.exception("could not send workflow e-mail to %s", email)


def unread_count(user_id: str) -> int:
    return (model.Session.query(Notification)
            .filter(Notification.user_id == user_id, Notification.read_at.is_(None)).count())


def on_transition_recorded(outcome: Outcome, *, session: Any,
                           event: Event) -> list[Callable[[], None]]:
    """``signals.transition_recorded``: the notices of a transition (subscriptions.py)."""
    return record(session, outcome, event)
