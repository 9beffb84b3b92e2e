"""The registration workflow (Chapter 4 of the Tianjin rules) as one declared state machine.

``STATES`` and ``TRANSITIONS`` below are the single source of truth. Actions, auth
functions, templates, indexing, notifications and tests all read them:

* a transition names the public API action performing it, the roles allowed to
  perform it, the inputs it requires, an optional guard, the effects it has and
  who is notified;
* ``perform()`` is the only code that changes an application's or a registration's
  state. It locks the row, checks the transition, role, guard and inputs, applies
  the effects, appends the hash-chained history event and the notifications, all in
  the caller's database transaction (see ``transaction()``).

Two subjects move through the machine: an *application* (登记申请: initial, change,
correction or cancellation) and a dataset's *registration* (registered, revoked,
cancelled, expired). A dataset's ``registration_status`` is derived from both.

Integration points for the certificate and publicity subsystem:

* ``close_publicity(application_id)``: publicity period over, no objection pending:
  publicity -> approved (awaiting issuance).
* ``terminate(application_id, reasons)``: an objection was upheld (Art. 20):
  publicity -> terminated.
* ``on_issued(application_id, data=None)``: the certificate was issued:
  approved -> issued; the dataset becomes registered (initial) or the proposed
  version is applied (change/correction).
* ``expire(package_id)``: the certificate expired: registered -> expired.
* Objections (``objections.py``): ``receive_objection`` moves an application in
  publicity to ``objection_pending``; while any objection is undecided the
  publicity cannot close, so no certificate is issued. ``dismiss_objection``
  returns it to publicity once none is pending; an upheld objection
  terminates it (``terminate``).
* Revocation, cancellation and a reversed revocation change the certificate's
  status in the same transaction (effects ``revoke_certificate``,
  ``cancel_certificate``, ``reinstate_certificate``).
* After every transition into ``approved`` the workflow calls
  ``ckanext.tjregistry.certificates.on_application_approved(application_id)`` if that
  function exists (after the commit; a failure there leaves the application approved
  and awaiting issuance).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry import (
    agencies,
    evidence,
    history,
    jurisdiction,
    prefetch,
    signals,
    workdays,
)
from ckanext.tjregistry.model import Application, Registration

log = logging.getLogger(__name__)

APPLICATION = "application"
REGISTRATION = "registration"

# Pseudo-states: an application before it exists, a dataset never registered, and
# "go back to the state the application was in before the withdrawal request".
NEW = "new"
UNREGISTERED = "unregistered"
RESUME = "(resume)"

# Roles. "system" is the platform itself (scheduled sweeps, the certificate subsystem).
REGISTRANT = "registrant"
REVIEWER = "reviewer"
CITY_REVIEWER = "city_reviewer"
SYSTEM = "system"
ROLES = (REGISTRANT, REVIEWER, CITY_REVIEWER, SYSTEM)

APPLICATION_TYPES = ("initial", "change", "correction", "cancellation")

# Art. 23 不予登记 grounds and Art. 29 撤销 grounds.
REFUSAL_GROUNDS = ("duplicate", "concealment_or_falsification", "ownership_dispute",
                   "other_legal_ground")
REVOCATION_GROUNDS = ("false_materials", "certificate_tampering", "certificate_misuse",
                      "other_violation")

# registration_status values (the cross-team contract).
REGISTRATION_STATUSES = ("unregistered", "pending", "publicity", "registered", "expired",
                         "revoked", "cancelled")


def L(zh: str, en: str) -> dict[str, str]:
    return {"zh_Hans_CN": zh, "en": en}


@dataclass(frozen=True)
class State:
    name: str
    subject: str
    label: dict[str, str]
    terminal: bool = False
    # What an application in this state makes the dataset show while it is not registered.
    dataset_status: str | None = None
    # The deadline that runs in this state (a column of the application).
    due_field: str | None = None


@dataclass(frozen=True)
class Transition:
    name: str
    action: str
    subject: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    api: str | None
    label: dict[str, str]
    inputs: tuple[str, ...] = ()
    guard: str | None = None
    effects: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()


STATES: tuple[State, ...] = (
    State(NEW, APPLICATION, L("新建", "New")),
    State("submitted", APPLICATION, L("待受理", "Awaiting acceptance"),
          dataset_status="pending", due_field="accept_due"),
    State("supplement_requested", APPLICATION, L("待补正", "Supplement requested"),
          dataset_status="pending"),
    State("accepted", APPLICATION, L("审查中", "Under review"),
          dataset_status="pending", due_field="review_due"),
    State("publicity", APPLICATION, L("公示中", "In publicity"),
          dataset_status="publicity", due_field="publicity_end"),
    # Art. 20: an undecided objection holds the application before issuance.
    State("objection_pending", APPLICATION, L("异议处理中", "Objection under investigation"),
          dataset_status="publicity"),
    State("approved", APPLICATION, L("待发放登记凭证", "Approved, awaiting issuance"),
          dataset_status="pending"),
    State("withdrawal_requested", APPLICATION, L("撤回待同意", "Withdrawal requested"),
          dataset_status="pending"),
    State("issued", APPLICATION, L("已发证", "Issued"), terminal=True),
    State("completed", APPLICATION, L("已办结", "Completed"), terminal=True),
    State("rejected", APPLICATION, L("审核未通过", "Not approved"), terminal=True),
    State("refused", APPLICATION, L("不予登记", "Refused"), terminal=True),
    State("withdrawn", APPLICATION, L("已撤回", "Withdrawn"), terminal=True),
    State("terminated", APPLICATION, L("已终止", "Terminated"), terminal=True),
    State(UNREGISTERED, REGISTRATION, L("未登记", "Unregistered")),
    State("registered", REGISTRATION, L("已登记", "Registered")),
    State("revoked", REGISTRATION, L("已撤销", "Revoked")),
    State("cancelled", REGISTRATION, L("已注销", "Cancelled")),
    State("expired", REGISTRATION, L("已过期", "Expired")),
)

_BEFORE_ISSUANCE = ("submitted", "supplement_requested", "accepted", "publicity",
                    "objection_pending", "approved")

TRANSITIONS: tuple[Transition, ...] = (
    # Art. 18: after internal review (业务审核) and the pledge, the registrant applies.
    Transition("submit", "submit", APPLICATION, (NEW,), "submitted", (REGISTRANT,),
               "registration_submit", L("提交登记申请", "Submit application"),
               inputs=("package_id", "application_type", "pledge", "internal_review"),
               guard="may_apply",
               effects=("route", "snapshot", "find_duplicates", "check_late",
                        "start_acceptance_clock"),
               notify=("reviewers",)),
    # Art. 18: defects are returned once, with the complete list (一次性告知).
    Transition("request_supplement", "request_supplement", APPLICATION, ("submitted",),
               "supplement_requested", (REVIEWER,), "registration_request_supplement",
               L("一次性告知补正", "Request supplement"),
               inputs=("items",), guard="no_supplement_this_round",
               effects=("record_supplement",), notify=("registrant",)),
    Transition("resubmit", "resubmit", APPLICATION, ("supplement_requested",), "submitted",
               (REGISTRANT,), "registration_resubmit", L("补正后重新提交", "Resubmit"),
               inputs=("pledge", "internal_review"),
               effects=("snapshot", "find_duplicates", "next_round", "start_acceptance_clock"),
               notify=("reviewers",)),
    Transition("accept", "accept", APPLICATION, ("submitted",), "accepted", (REVIEWER,),
               "registration_accept", L("受理", "Accept"),
               effects=("start_review_clock",), notify=("registrant",)),
    # Art. 19/20/22: approval leads to publicity, to issuance, or ends a cancellation.
    Transition("approve_to_publicity", "approve", APPLICATION, ("accepted",), "publicity",
               (REVIEWER,), "registration_approve", L("审核通过并公示", "Approve (publicity)"),
               guard="publicity_required", effects=("record_decision", "start_publicity"),
               notify=("registrant",)),
    Transition("approve_to_issuance", "approve", APPLICATION, ("accepted",), "approved",
               (REVIEWER,), "registration_approve", L("审核通过", "Approve"),
               guard="issuance_without_publicity", effects=("record_decision",),
               notify=("registrant",)),
    Transition("approve_cancellation", "approve", APPLICATION, ("accepted",), "completed",
               (REVIEWER,), "registration_approve", L("准予注销", "Approve cancellation"),
               guard="is_cancellation",
               effects=("record_decision", "cancel_registration", "cancel_certificate"),
               notify=("registrant",)),
    # Art. 19: a negative decision states its reasons.
    Transition("reject", "reject", APPLICATION, ("accepted",), "rejected", (REVIEWER,),
               "registration_reject", L("审核不通过", "Reject"),
               inputs=("reasons",), effects=("record_decision",), notify=("registrant",)),
    # Art. 23: refusal on one of its grounds.
    Transition("refuse", "refuse", APPLICATION, ("submitted", "accepted"), "refused",
               (REVIEWER,), "registration_refuse", L("不予登记", "Refuse"),
               inputs=("ground", "reasons"), effects=("record_refusal",),
               notify=("registrant",)),
    Transition("close_publicity", "close_publicity", APPLICATION, ("publicity",), "approved",
               (SYSTEM,), None, L("公示期满", "Publicity ended"),
               guard="publicity_over", notify=("registrant", "reviewers")),
    # Art. 20: an upheld objection terminates the registration.
    Transition("terminate", "terminate", APPLICATION, ("publicity", "objection_pending"),
               "terminated", (REVIEWER, SYSTEM), None,
               L("异议成立,终止登记", "Terminate (objection upheld)"), inputs=("reasons",),
               effects=("record_decision", "note_objection", "close_objections"),
               notify=("registrant",)),
    # Art. 20: objections (objections.py). Anyone may object, so the platform records it.
    Transition("receive_objection", "receive_objection", APPLICATION,
               ("publicity", "objection_pending"), "objection_pending", (SYSTEM,), None,
               L("收到异议", "Objection received"), effects=("note_objection",),
               notify=("registrant", "reviewers")),
    Transition("respond_objection", "respond_objection", APPLICATION, ("objection_pending",),
               "objection_pending", (REGISTRANT,), None,
               L("登记主体答复异议", "Registrant responded to an objection"),
               effects=("note_objection",), notify=("reviewers",)),
    Transition("dismiss_objection", "dismiss_objection", APPLICATION, ("objection_pending",),
               "objection_pending", (REVIEWER,), None,
               L("异议不成立(另有异议待处理)", "Objection not upheld (others pending)"),
               inputs=("reasons",), guard="objections_still_pending",
               effects=("note_objection",), notify=("registrant",)),
    Transition("resume_publicity", "dismiss_objection", APPLICATION, ("objection_pending",),
               "publicity", (REVIEWER,), None,
               L("异议不成立,继续登记", "Objection not upheld: registration continues"),
               inputs=("reasons",), guard="no_objection_pending",
               effects=("note_objection",), notify=("registrant",)),
    # Art. 22: issuance by the certificate subsystem.
    Transition("issue", "issue", APPLICATION, ("approved",), "issued", (SYSTEM,), None,
               L("发放登记凭证", "Issue"), effects=("register",), notify=("registrant",)),
    # Art. 21: withdrawal before issuance, with written reasons and the institution's consent.
    Transition("request_withdrawal", "withdraw", APPLICATION, _BEFORE_ISSUANCE,
               "withdrawal_requested", (REGISTRANT,), "registration_withdraw",
               L("申请撤回", "Request withdrawal"), inputs=("reasons",),
               effects=("record_withdrawal_request",), notify=("reviewers",)),
    Transition("consent_withdrawal", "withdraw_decide", APPLICATION, ("withdrawal_requested",),
               "withdrawn", (REVIEWER,), "registration_withdraw_decide",
               L("同意撤回", "Consent to withdrawal"), guard="consent",
               effects=("close_objections",), notify=("registrant",)),
    Transition("deny_withdrawal", "withdraw_decide", APPLICATION, ("withdrawal_requested",),
               RESUME, (REVIEWER,), "registration_withdraw_decide",
               L("不同意撤回", "Deny withdrawal"), inputs=("reasons",), guard="no_consent",
               notify=("registrant",)),
    # Registrations.
    Transition("register", "register", REGISTRATION,
               (UNREGISTERED, "cancelled", "revoked", "expired"), "registered", (SYSTEM,),
               None, L("登记", "Register")),
    Transition("amend", "amend", REGISTRATION, ("registered",), "registered", (SYSTEM,), None,
               L("变更/更正生效", "Change applied")),
    Transition("cancel", "cancel", REGISTRATION, ("registered",), "cancelled", (SYSTEM,), None,
               L("注销", "Cancel")),
    Transition("expire", "expire", REGISTRATION, ("registered",), "expired", (SYSTEM,), None,
               L("凭证到期", "Expire")),
    # Art. 29: revocation; a district institution's revocation is filed with the city.
    Transition("revoke", "revoke", REGISTRATION, ("registered",), "revoked", (REVIEWER,),
               "registration_revoke", L("撤销登记", "Revoke"), inputs=("ground", "reasons"),
               effects=("record_revocation", "revoke_certificate"),
               notify=("registrant", "city_reviewers")),
    Transition("uphold_revocation", "revocation_review", REGISTRATION, ("revoked",), "revoked",
               (CITY_REVIEWER,), "registration_revocation_review",
               L("撤销备案无异议", "Uphold revocation"), guard="filing_pending_uphold",
               effects=("close_filing",), notify=("registrant", "reviewers")),
    Transition("reverse_revocation", "revocation_review", REGISTRATION, ("revoked",),
               "registered", (CITY_REVIEWER,), "registration_revocation_review",
               L("纠正撤销", "Reverse revocation"), inputs=("reasons",),
               guard="filing_pending_reverse", effects=("close_filing", "reinstate_certificate"),
               notify=("registrant", "reviewers")),
)

STATE_BY_NAME = {state.name: state for state in STATES}
TRANSITION_BY_NAME = {transition.name: transition for transition in TRANSITIONS}
OPEN_STATES = tuple(s.name for s in STATES
                    if s.subject == APPLICATION and not s.terminal and s.name != NEW)
API_ACTIONS = tuple(sorted({t.api for t in TRANSITIONS if t.api}))


def transitions_for(action: str, subject: str = APPLICATION) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and t.subject == subject]


def state_label(name: str | None, lang: str = "zh_Hans_CN") -> str:
    state = STATE_BY_NAME.get(name or "")
    if state is None:
        return name or ""
    return state.label.get(lang) or state.label["zh_Hans_CN"]


# ---------------------------------------------------------------------------
# Errors


class WorkflowError(tk.ValidationError):
    """A refused transition; a ``ValidationError`` so the API answers 409 with messages."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__({field_name: [message]})


def illegal(action: str, state: str) -> WorkflowError:
    return WorkflowError(
        "state",
        f"当前状态({state_label(state)})不允许此操作 / "
        f"'{action}' is not allowed in state '{state_label(state, 'en')}'")


# ---------------------------------------------------------------------------
# Actors and roles


@dataclass(frozen=True)
class Actor:
    user: model.User | None
    system: bool = False

    @property
    def id(self) -> str | None:
        return self.user.id if self.user else None

    @classmethod
    def system_actor(cls) -> Actor:
        return cls(user=None, system=True)


def roles_for(actor: Actor, *, registrant_id: str, institution_id: str) -> set[str]:
    if actor.system:
        return {SYSTEM}
    roles: set[str] = set()
    if actor.user is None:
        return roles
    # An agency acts as the registrant under a delegation in force (Art. 16).
    if (jurisdiction.acts_for(actor.user, registrant_id)
            or agencies.acts_for(actor.user, registrant_id, agencies.APPLICATION)):
        roles.add(REGISTRANT)
    if jurisdiction.is_reviewer_for(actor.user, institution_id):
        roles.add(REVIEWER)
    if jurisdiction.is_city_reviewer(actor.user):
        roles.add(CITY_REVIEWER)
    return roles


# ---------------------------------------------------------------------------
# Transactions


@contextlib.contextmanager
def transaction() -> Iterator[Any]:
    """One database transaction: commit at the end, roll everything back on any error."""
    session = model.Session
    try:
        yield session
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if "tjregistry_application_one_open" in str(error.orig):
            raise WorkflowError(
                "package_id",
                "该数据已有办理中的登记申请 / The dataset already has an open application",
            ) from error
        raise
    except BaseException:
        session.rollback()
        raise


# ---------------------------------------------------------------------------
# The engine


@dataclass
class Outcome:
    transition: Transition
    application: Application | None
    registration: Registration | None
    event_id: int
    from_state: str
    to_state: str
    package_id: str
    after_commit: list[Callable[[], None]] = field(default_factory=list)


def _choose(action: str, subject: str, state: str, ctx: dict[str, Any]) -> Transition:
    candidates = [t for t in transitions_for(action, subject) if state in t.sources]
    if not candidates:
        raise illegal(action, state)
    failures: list[WorkflowError] = []
    for transition in candidates:
        if transition.guard is None:
            return transition
        try:
            GUARDS[transition.guard](ctx)
            return transition
        except WorkflowError as failure:
            failures.append(failure)
    raise failures[0]


def _check_role(transition: Transition, roles: set[str]) -> None:
    if not roles.intersection(transition.roles):
        raise tk.NotAuthorized(
            "无权执行此操作或不在管辖范围内 / Not allowed to perform "
            f"'{transition.action}' (role or jurisdiction)")


def _check_inputs(transition: Transition, inputs: dict[str, Any]) -> None:
    errors = {}
    for name in transition.inputs:
        value = inputs.get(name)
        if value in (None, "", [], False):
            errors[name] = [f"{INPUT_LABELS.get(name, name)}不能为空 / {name} is required"]
    if errors:
        raise tk.ValidationError(errors)


INPUT_LABELS = {
    "reasons": "理由", "items": "补正事项", "ground": "依据", "pledge": "诚信承诺",
    "internal_review": "业务审核确认", "package_id": "数据", "application_type": "登记类型",
}


def perform(action: str, *, actor: Actor, application_id: str | None = None,
            package_id: str | None = None, inputs: dict[str, Any] | None = None,
            session: Any = None) -> Outcome:
    """Perform ``action`` inside the current transaction; the caller commits.

    Applications are addressed by ``application_id`` (or, for ``submit``, created
    for ``package_id``); registrations by ``package_id``.
    """
    session = session or model.Session
    inputs = dict(inputs or {})
    if action == "submit":
        return _submit(session, actor, inputs)
    subject = REGISTRATION if transitions_for(action, REGISTRATION) else APPLICATION
    if subject == APPLICATION:
        app = (session.query(Application).filter(Application.id == application_id)
               .populate_existing().with_for_update().one_or_none())
        if app is None:
            raise tk.ObjectNotFound("登记申请不存在 / Application not found")
        return _apply(session, action, actor, app, inputs)
    reg = (session.query(Registration).filter(Registration.package_id == package_id)
           .populate_existing().with_for_update().one_or_none())
    if reg is None:
        raise illegal(action, UNREGISTERED)
    return _apply_registration(session, action, actor, reg, inputs)


def _submit(session: Any, actor: Actor, inputs: dict[str, Any]) -> Outcome:
    # The dataset's row is locked before its snapshot is taken, and every direct edit
    # holds the same lock when it re-checks the freeze (freeze.recheck_write): an edit
    # racing the submission either lands before the snapshot or is refused.
    package = (session.query(model.Package)
               .filter(sa.or_(model.Package.id == (inputs.get("package_id") or ""),
                              model.Package.name == (inputs.get("package_id") or "")))
               .populate_existing().with_for_update().one_or_none())
    if package is None or package.state != "active" or package.type not in DATASET_TYPES:
        raise tk.ObjectNotFound("数据不存在 / Dataset not found")
    if not package.owner_org:
        raise WorkflowError("package_id", "数据未关联登记主体 / The dataset has no registrant")
    registrant = jurisdiction.profile(package.owner_org)
    if registrant is None:
        raise WorkflowError("package_id", "登记主体不存在 / Registrant not found")
    app = Application(package_id=package.id, registrant_id=registrant.id, state=NEW,
                      application_type=inputs.get("application_type") or "initial",
                      institution_id="", created_by=actor.id)
    ctx = _context(session, actor, app, inputs)
    transition = _choose("submit", APPLICATION, NEW, ctx)
    _check_role(transition, roles_for(actor, registrant_id=registrant.id, institution_id=""))
    _check_inputs(transition, inputs)
    session.add(app)
    return _finish(session, transition, ctx, NEW)


def _context(session: Any, actor: Actor, app: Application | None, inputs: dict[str, Any],
             reg: Registration | None = None) -> dict[str, Any]:
    package_id = app.package_id if app is not None else reg.package_id  # type: ignore[union-attr]
    if reg is None:
        reg = session.get(Registration, package_id)
    return {"session": session, "actor": actor, "app": app, "reg": reg, "inputs": inputs,
            "package_id": package_id, "now": dt.datetime.utcnow(), "after_commit": []}


def _apply(session: Any, action: str, actor: Actor, app: Application,
           inputs: dict[str, Any]) -> Outcome:
    ctx = _context(session, actor, app, inputs)
    transition = _choose(action, APPLICATION, app.state, ctx)
    _check_role(transition, roles_for(actor, registrant_id=app.registrant_id,
                                      institution_id=app.institution_id))
    _check_inputs(transition, inputs)
    return _finish(session, transition, ctx, app.state)


def _apply_registration(session: Any, action: str, actor: Actor, reg: Registration,
                        inputs: dict[str, Any]) -> Outcome:
    ctx = _context(session, actor, None, inputs, reg=reg)
    transition = _choose(action, REGISTRATION, reg.status, ctx)
    _check_role(transition, roles_for(actor, registrant_id=reg.registrant_id,
                                      institution_id=reg.institution_id))
    _check_inputs(transition, inputs)
    return _finish(session, transition, ctx, reg.status)


def _finish(session: Any, transition: Transition, ctx: dict[str, Any],
            from_state: str) -> Outcome:
    app: Application | None = ctx["app"]
    ctx["transition"] = transition
    for effect in transition.effects:
        EFFECTS[effect](ctx)
    target = transition.target
    if transition.subject == APPLICATION:
        assert app is not None
        if target == RESUME:
            target = app.resume_state or "submitted"
            app.resume_state = None
        app.state = target
        app.is_open = not STATE_BY_NAME[target].terminal
        app.modified = ctx["now"]
        reg = ctx["reg"]
        institution_id = app.institution_id
    else:
        reg = ctx["reg"]
        reg.status = target
        reg.modified = ctx["now"]
        institution_id = reg.institution_id
    session.flush()
    acting = jurisdiction.acting_institution(institution_id) if institution_id else None
    role = _role_label(transition, ctx["actor"], app, reg)
    event_data = ctx.get("event_data") or None
    if role == REGISTRANT:
        event_data = agencies.on_behalf_data(
            ctx["actor"].user, (app or reg).registrant_id, event_data)  # type: ignore[union-attr]
    event = history.append(
        session, subject=transition.subject, application_id=app.id if app else None,
        package_id=ctx["package_id"], action=transition.name, from_state=from_state,
        to_state=target, actor_id=ctx["actor"].id, role=role,
        institution_id=acting.id if acting else None,
        note=_note(ctx["inputs"]), data=event_data,
    )
    outcome = Outcome(transition, app, reg, event.id, from_state, target, ctx["package_id"],
                      list(ctx["after_commit"]))
    from ckanext.tjregistry import notifications

    outcome.after_commit.extend(notifications.record(session, outcome, event))
    outcome.after_commit.append(lambda: reindex(outcome.package_id))
    if app is not None and target == "approved":
        outcome.after_commit.append(lambda: _call_issuer(app.id))
    return outcome


def _role_label(transition: Transition, actor: Actor, app: Application | None,
                reg: Registration | None) -> str:
    if actor.system:
        return SYSTEM
    subject = app or reg
    roles = roles_for(actor, registrant_id=subject.registrant_id,  # type: ignore[union-attr]
                      institution_id=subject.institution_id)  # type: ignore[union-attr]
    for role in transition.roles:
        if role in roles:
            return role
    return ""


def _note(inputs: dict[str, Any]) -> str | None:
    return inputs.get("reasons") or None


def run(action: str, **kwargs: Any) -> Outcome:
    """``perform`` in its own transaction, then the after-commit steps."""
    with transaction():
        outcome = perform(action, **kwargs)
    for step in outcome.after_commit:
        try:
            step()
        except Exception:
            log.exception("after-commit step failed for %s", outcome.package_id)
    return outcome


# ---------------------------------------------------------------------------
# Guards: raise WorkflowError when the transition may not happen


DATASET_TYPES = ("data-resource", "data-product")


def _guard_may_apply(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    reg: Registration | None = ctx["reg"]
    if app.application_type not in APPLICATION_TYPES:
        raise WorkflowError("application_type", "登记类型无效 / Unknown application type")
    registered = reg is not None and reg.status == "registered"
    if app.application_type == "initial" and registered:
        raise WorkflowError("application_type",
                            "该数据已登记,请申请变更、更正或注销登记 / Already registered: "
                            "apply for a change, correction or cancellation")
    if app.application_type != "initial" and not registered:
        raise WorkflowError("application_type",
                            "该数据尚未登记,请申请首次登记 / Not registered: apply for an "
                            "initial registration")
    if app.application_type in ("change", "correction") and not ctx["inputs"].get("proposed"):
        raise WorkflowError("proposed",
                            "请提交变更或更正后的内容 / The changed content is required")
    if app.application_type in ("correction", "cancellation") and not ctx["inputs"].get("reasons"):
        raise WorkflowError("reasons", "请说明更正或注销的理由 / Give the reasons")
    _check_complete(app, ctx["inputs"])
    registrant = jurisdiction.profile(app.registrant_id)
    if registrant is None or registrant.kind != "registrant":
        raise WorkflowError("package_id",
                            "数据所属组织不是登记主体 / The owner is not a registrant")
    if not registrant.verified:
        raise WorkflowError("registrant",
                            "登记主体尚未通过认证 / The registrant is not verified yet")
    lacking = evidence.missing_for_application(app, ctx["inputs"].get("proposed"))
    if lacking:
        raise WorkflowError("evidence", lacking)


def _check_complete(app: Application, inputs: dict[str, Any]) -> None:
    """Fields the schemas mark ``registration_required``, of the dataset and the registrant."""
    from ckanext.tjregistry import metadata

    if app.application_type == "cancellation":
        return
    dataset = inputs.get("proposed") or _package_dict(app.package_id)
    errors = metadata.completeness_errors(dataset)
    organization = tk.get_action("organization_show")(
        site_context(), {"id": app.registrant_id, "include_datasets": False,
                         "include_users": False})
    for key, messages in metadata.completeness_errors(organization).items():
        errors[f"registrant_{key}"] = messages
    if errors:
        raise tk.ValidationError(errors)


def _guard_no_supplement_this_round(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    if app.supplement_round == app.round:
        raise WorkflowError("items", "本轮已一次性告知补正事项 / Defects were already returned "
                                     "once in this round")


def publicity_required(app: Application) -> bool:
    if app.application_type not in tk.config.get("tjregistry.publicity.application_types"):
        return False
    rule = tk.config.get("tjregistry.publicity.rule")
    if rule == "all":
        return True
    if rule == "none":
        return False
    data = app.proposed or {}
    if data.get("type") == "data-product":
        return True
    return (data.get("open_type") in ("unconditional", "conditional")
            or data.get("access_method") in ("open", "authorized_operation")
            or str(data.get("in_authorized_operation")).lower() in ("true", "yes", "1"))


def _guard_publicity_required(ctx: dict[str, Any]) -> None:
    if ctx["app"].application_type == "cancellation" or not publicity_required(ctx["app"]):
        raise WorkflowError("state", "无需公示 / No publicity required")


def _guard_issuance_without_publicity(ctx: dict[str, Any]) -> None:
    if ctx["app"].application_type == "cancellation" or publicity_required(ctx["app"]):
        raise WorkflowError("state", "需要公示 / Publicity required")


def _guard_is_cancellation(ctx: dict[str, Any]) -> None:
    if ctx["app"].application_type != "cancellation":
        raise WorkflowError("state", "不是注销申请 / Not a cancellation")


def _guard_publicity_over(ctx: dict[str, Any]) -> None:
    from ckanext.tjregistry import publicity

    app: Application = ctx["app"]
    if app.publicity_end is None or not publicity.has_ended(app.publicity_end, ctx["now"]):
        raise WorkflowError("state", "公示期未满 / The publicity period has not ended")


def _decision(ctx: dict[str, Any]) -> bool:
    value = ctx["inputs"].get("consent")
    if isinstance(value, str):
        value = value.strip().lower()
        if value not in ("true", "false", "1", "0", "yes", "no"):
            raise WorkflowError("consent", "请选择是否同意 / Choose whether to consent")
        return value in ("true", "1", "yes")
    if value is None:
        raise WorkflowError("consent", "请选择是否同意 / Choose whether to consent")
    return bool(value)


def _guard_consent(ctx: dict[str, Any]) -> None:
    if not _decision(ctx):
        raise WorkflowError("consent", "未同意 / No consent")


def _guard_no_consent(ctx: dict[str, Any]) -> None:
    if _decision(ctx):
        raise WorkflowError("consent", "已同意 / Consent given")


def _review_decision(ctx: dict[str, Any], wanted: str) -> None:
    reg: Registration = ctx["reg"]
    if reg.revocation_filing != "pending":
        raise WorkflowError("state", "没有待审查的撤销备案 / No revocation filing is pending")
    decision = ctx["inputs"].get("decision")
    if decision not in ("uphold", "reverse"):
        raise WorkflowError("decision", "请选择维持或纠正 / Choose uphold or reverse")
    if decision != wanted:
        raise WorkflowError("decision", f"decision is {decision}")


def _pending_objections(ctx: dict[str, Any]) -> int:
    from ckanext.tjregistry import objections

    return objections.pending_count(ctx["session"], ctx["app"].id)


def _guard_objections_still_pending(ctx: dict[str, Any]) -> None:
    if not _pending_objections(ctx):
        raise WorkflowError("state", "没有其他待处理的异议 / No other objection is pending")


def _guard_no_objection_pending(ctx: dict[str, Any]) -> None:
    if _pending_objections(ctx):
        raise WorkflowError("state", "仍有异议待处理 / Another objection is still pending")


GUARDS: dict[str, Callable[[dict[str, Any]], None]] = {
    "may_apply": _guard_may_apply,
    "no_supplement_this_round": _guard_no_supplement_this_round,
    "publicity_required": _guard_publicity_required,
    "issuance_without_publicity": _guard_issuance_without_publicity,
    "is_cancellation": _guard_is_cancellation,
    "publicity_over": _guard_publicity_over,
    "consent": _guard_consent,
    "no_consent": _guard_no_consent,
    "filing_pending_uphold": lambda ctx: _review_decision(ctx, "uphold"),
    "filing_pending_reverse": lambda ctx: _review_decision(ctx, "reverse"),
    "objections_still_pending": _guard_objections_still_pending,
    "no_objection_pending": _guard_no_objection_pending,
}


# ---------------------------------------------------------------------------
# Effects


def _today(ctx: dict[str, Any]) -> dt.date:
    return workdays.local_date(ctx["now"])


def _effect_route(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    registrant = jurisdiction.profile(app.registrant_id)
    assert registrant is not None
    data = ctx["inputs"].get("proposed") or _package_dict(app.package_id)
    routing = jurisdiction.route(registrant, data)
    app.institution_id = routing.institution_id
    app.routing = routing.reason
    app.round = 1


def site_context() -> dict[str, Any]:
    """The platform's own context: it reads every field, restricted ones included."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"ignore_auth": True, "user": site_user["name"], "for_view": False}


def _package_dict(package_id: str) -> dict[str, Any]:
    """The whole dataset, restricted fields included (the registered or proposed version)."""
    return tk.get_action("package_show")({**site_context(), "use_cache": False},
                                         {"id": package_id})


def _effect_snapshot(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    inputs = ctx["inputs"]
    if app.application_type in ("change", "correction"):
        proposed = inputs.get("proposed") or app.proposed
    else:
        proposed = _package_dict(app.package_id)
    proposed = {k: v for k, v in proposed.items() if k not in VOLATILE_KEYS}
    app.proposed = proposed
    app.dataset_sha256 = history.sha256_hex(history.canonical_json(proposed))
    app.pledge = bool(inputs.get("pledge"))
    app.internal_review = bool(inputs.get("internal_review"))
    app.internal_review_note = inputs.get("internal_review_note") or None
    if inputs.get("reasons"):
        app.reasons = inputs["reasons"]
    ctx["event_data"] = {
        "dataset_sha256": app.dataset_sha256,
        "attachments": attachment_hashes(proposed),
        "application_type": app.application_type,
        "round": app.round,
    }


# Keys that change on every read and do not belong to the dataset's content.
VOLATILE_KEYS = ("registration_status", "registration_code", "national_code",
                 "certificate_status", "certificate_valid_until", "metadata_modified",
                 "tracking_summary", "num_resources", "num_tags", "relationships_as_object",
                 "relationships_as_subject", "organization")


def attachment_hashes(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    """SHA-256 of every uploaded file of the dataset, as recorded in the history."""
    from ckan.lib import uploader

    result = []
    for resource in dataset.get("resources") or []:
        if resource.get("url_type") != "upload" or not resource.get("id"):
            continue
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        try:
            with open(path, "rb") as handle:
                digest = history.sha256_hex(handle.read())
        except OSError:
            digest = None
        result.append({"resource_id": resource["id"], "name": resource.get("name") or "",
                       "sha256": digest})
    return result


def _effect_find_duplicates(ctx: dict[str, Any]) -> None:
    from ckanext.tjregistry import duplicates

    app: Application = ctx["app"]
    app.duplicates = duplicates.find(app.package_id, app.registrant_id, app.proposed or {})


def _effect_check_late(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    if app.application_type != "initial":
        return
    start = activity_start(app.proposed or {})
    if start is None:
        return
    app.filing_deadline = workdays.filing_deadline(start)
    app.late = _today(ctx) > app.filing_deadline


def activity_start(dataset: dict[str, Any]) -> dt.date | None:
    """When sharing, opening or operation started (resources) or delivery (products)."""
    key = "first_delivery_date" if dataset.get("type") == "data-product" else "activity_start_date"
    value = dataset.get(key) or dataset.get("activity_start_date")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _effect_start_acceptance_clock(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.submitted_at = ctx["now"]
    app.accept_due = workdays.add_workdays(_today(ctx), workdays.limit("acceptance"))


def _effect_next_round(ctx: dict[str, Any]) -> None:
    ctx["app"].round += 1
    ctx["event_data"]["round"] = ctx["app"].round


def _effect_record_supplement(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    items = ctx["inputs"]["items"]
    if isinstance(items, str):
        items = [line.strip() for line in items.splitlines() if line.strip()]
    if not items:
        raise WorkflowError("items", "补正事项不能为空 / items is required")
    app.supplement_items = [str(item) for item in items]
    app.supplement_round = app.round
    ctx["event_data"] = {"items": app.supplement_items, "round": app.round}


def _effect_start_review_clock(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.accepted_at = ctx["now"]
    app.review_due = workdays.add_workdays(_today(ctx), workdays.limit("review"))


def _effect_record_decision(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.decided_at = ctx["now"]
    if ctx["inputs"].get("reasons"):
        app.reasons = ctx["inputs"]["reasons"]


def _effect_record_refusal(ctx: dict[str, Any]) -> None:
    ground = ctx["inputs"]["ground"]
    if ground not in REFUSAL_GROUNDS:
        raise WorkflowError("ground", "不予登记依据无效 / Unknown refusal ground")
    _effect_record_decision(ctx)
    ctx["app"].refusal_ground = ground
    ctx["event_data"] = {"ground": ground}


def _effect_start_publicity(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    today = _today(ctx)
    app.publicity_start = workdays.add_workdays(today, 1)
    app.publicity_end = workdays.add_workdays(today, workdays.limit("publicity"))


def _effect_record_withdrawal_request(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.resume_state = app.state
    app.withdrawal_reason = ctx["inputs"]["reasons"]


def _effect_cancel_registration(ctx: dict[str, Any]) -> None:
    _registration_step(ctx, "cancel")


def _effect_register(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    reg: Registration | None = ctx["reg"]
    if app.application_type in ("change", "correction"):
        _apply_proposed(ctx)
        _registration_step(ctx, "amend")
        return
    if reg is None:
        reg = Registration(package_id=app.package_id, status=UNREGISTERED,
                           registrant_id=app.registrant_id, institution_id=app.institution_id)
        ctx["session"].add(reg)
        ctx["reg"] = reg
    reg.registrant_id = app.registrant_id
    reg.institution_id = app.institution_id
    reg.revocation_filing = None
    reg.revocation_ground = None
    reg.revocation_reasons = None
    _registration_step(ctx, "register")


def _apply_proposed(ctx: dict[str, Any]) -> None:
    """Publish the approved version of a change or correction, in the same transaction."""
    app: Application = ctx["app"]
    data = dict(app.proposed or {})
    data["id"] = app.package_id
    user = ctx["actor"].user
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    # return_id_only: with defer_commit alone, CKAN 2.12.0's package_update rolls back the
    # savepoint holding the new version (its commit branch is skipped when the commit is
    # deferred); asking only for the id returns before that, leaving the version to our commit.
    # The index is refreshed after the commit (see _finish).
    tk.get_action("package_update")(
        {"ignore_auth": True, "defer_commit": True, "return_id_only": True,
         "tjregistry_apply_application": app.id,
         "user": user.name if user else site_user["name"]}, data)


def _registration_step(ctx: dict[str, Any], action: str) -> None:
    """Move the dataset's registration as part of an application transition."""
    app: Application = ctx["app"]
    reg: Registration = ctx["reg"]
    if reg is None:
        raise illegal(action, UNREGISTERED)
    (transition,) = transitions_for(action, REGISTRATION)
    if reg.status not in transition.sources:
        raise illegal(action, reg.status)
    from_state = reg.status
    reg.status = transition.target
    reg.application_id = app.id
    if action in ("register", "amend"):
        reg.registered_at = ctx["now"]
        reg.snapshot = _package_dict(app.package_id)
    ctx["session"].flush()
    history.append(
        ctx["session"], subject=REGISTRATION, application_id=app.id, package_id=app.package_id,
        action=transition.name, from_state=from_state, to_state=reg.status,
        actor_id=ctx["actor"].id, role=SYSTEM if ctx["actor"].system else None,
        institution_id=app.institution_id, note=None,
        data={"application_type": app.application_type},
    )


def _effect_record_revocation(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    ground = ctx["inputs"]["ground"]
    if ground not in REVOCATION_GROUNDS:
        raise WorkflowError("ground", "撤销依据无效 / Unknown revocation ground")
    acting = jurisdiction.acting_institution(reg.institution_id)
    reg.revocation_ground = ground
    reg.revocation_reasons = ctx["inputs"]["reasons"]
    reg.revoked_at = ctx["now"]
    reg.revoked_by = acting.id if acting else None
    # Art. 29: a district institution's revocation is filed with the city institution.
    reg.revocation_filing = "pending" if acting is not None and not acting.is_city else None
    ctx["event_data"] = {"ground": ground, "filed_with_city": reg.revocation_filing == "pending"}


def _effect_close_filing(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    decision = ctx["inputs"]["decision"]
    reg.revocation_filing = "upheld" if decision == "uphold" else "reversed"
    ctx["event_data"] = {"decision": decision}


def _add_event_data(ctx: dict[str, Any], **values: Any) -> None:
    ctx["event_data"] = {**(ctx.get("event_data") or {}), **values}


def _effect_note_objection(ctx: dict[str, Any]) -> None:
    # Only the objection's number enters the history: the objector's identity is not
    # for the registrant's eyes.
    number = ctx["inputs"].get("objection_number")
    if number:
        _add_event_data(ctx, objection=number)


def _effect_close_objections(ctx: dict[str, Any]) -> None:
    from ckanext.tjregistry import objections

    closed = objections.close_pending(ctx["session"], ctx["app"], now=ctx["now"],
                                      reason=ctx["transition"].name)
    if closed:
        _add_event_data(ctx, objections_closed=closed)


def _certificates() -> Any:
    return importlib.import_module("ckanext.tjregistry.certificates")


def _record_certificate(ctx: dict[str, Any], certificate: dict[str, Any] | None) -> None:
    if certificate is not None:
        _add_event_data(ctx, registration_code=certificate["code"],
                        certificate_version=certificate["version"],
                        certificate_status=certificate["status"])


def _effect_revoke_certificate(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    reason = f"{ctx['inputs'].get('ground') or ''}: {ctx['inputs'].get('reasons') or ''}"
    _record_certificate(ctx, _certificates().revoke_certificate(
        reg.package_id, reason=reason, actor_id=ctx["actor"].id))


def _effect_cancel_certificate(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    reason = ctx["inputs"].get("reasons") or app.reasons or "cancellation"
    _record_certificate(ctx, _certificates().cancel_certificate(
        app.package_id, reason=reason, actor_id=ctx["actor"].id))


def _effect_reinstate_certificate(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    _record_certificate(ctx, _certificates().reinstate_certificate(
        reg.package_id, reason=ctx["inputs"].get("reasons") or "revocation reversed",
        actor_id=ctx["actor"].id))


EFFECTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "route": _effect_route,
    "snapshot": _effect_snapshot,
    "find_duplicates": _effect_find_duplicates,
    "check_late": _effect_check_late,
    "start_acceptance_clock": _effect_start_acceptance_clock,
    "next_round": _effect_next_round,
    "record_supplement": _effect_record_supplement,
    "start_review_clock": _effect_start_review_clock,
    "record_decision": _effect_record_decision,
    "record_refusal": _effect_record_refusal,
    "start_publicity": _effect_start_publicity,
    "record_withdrawal_request": _effect_record_withdrawal_request,
    "cancel_registration": _effect_cancel_registration,
    "register": _effect_register,
    "record_revocation": _effect_record_revocation,
    "close_filing": _effect_close_filing,
    "note_objection": _effect_note_objection,
    "close_objections": _effect_close_objections,
    "revoke_certificate": _effect_revoke_certificate,
    "cancel_certificate": _effect_cancel_certificate,
    "reinstate_certificate": _effect_reinstate_certificate,
}


# ---------------------------------------------------------------------------
# Dataset status, indexing and the certificate subsystem


def dataset_status(registration: str | None, open_application: str | None) -> str:
    """A dataset's status from its registration's status and its open application's
    state (None for none)."""
    if registration is not None and registration != UNREGISTERED:
        return registration
    if open_application is None:
        return UNREGISTERED
    return STATE_BY_NAME[open_application].dataset_status or "pending"


def registration_status(package_id: str, session: Any = None) -> str:
    found, status = prefetch.lookup(package_id, registration_statuses)
    if found:
        return status
    session = session or model.Session
    reg = session.get(Registration, package_id)  # sees changes not yet flushed
    if reg is not None and reg.status != UNREGISTERED:
        return reg.status
    app = (session.query(Application)
           .filter(Application.package_id == package_id, Application.is_open.is_(True))
           .one_or_none())
    return dataset_status(None, app.state if app else None)


def registration_statuses(package_ids: list[str] | None = None) -> dict[str, str]:
    """``registration_status`` of these datasets from committed data (two queries); without
    ids, of every dataset that has a registration or an open application."""
    registered = model.Session.query(Registration.package_id, Registration.status)
    applying = (model.Session.query(Application.package_id, Application.state)
                .filter(Application.is_open.is_(True)))
    if package_ids is not None:
        registered = registered.filter(Registration.package_id.in_(package_ids))
        applying = applying.filter(Application.package_id.in_(package_ids))
    statuses, states = dict(registered.all()), dict(applying.all())
    ids = package_ids if package_ids is not None else {*statuses, *states}
    return {package_id: dataset_status(statuses.get(package_id), states.get(package_id))
            for package_id in ids}


def open_application(package_id: str) -> Application | None:
    return (model.Session.query(Application)
            .filter(Application.package_id == package_id, Application.is_open.is_(True))
            .one_or_none())


def reindex(package_id: str) -> None:
    from ckan.lib.search import rebuild

    rebuild(package_id)
    signals.registration_changed.send(package_id)


def _call_issuer(application_id: str) -> None:
    try:
        certificates = importlib.import_module("ckanext.tjregistry.certificates")
    except ImportError:
        return
    hook = getattr(certificates, "on_application_approved", None)
    if hook is not None:
        hook(application_id)


def close_publicity(application_id: str) -> Outcome:
    return run("close_publicity", actor=Actor.system_actor(), application_id=application_id)


def terminate(application_id: str, reasons: str) -> Outcome:
    return run("terminate", actor=Actor.system_actor(), application_id=application_id,
               inputs={"reasons": reasons})


def on_issued(application_id: str, data: dict[str, Any] | None = None) -> Outcome:
    """Record issuance (approved -> issued) and register the dataset, in one transaction.

    ``data`` (e.g. the certificate's code) is stored in the history event.
    """
    with transaction() as session:
        outcome = perform("issue", actor=Actor.system_actor(), application_id=application_id,
                          session=session)
        if data:
            outcome_event_data(session, outcome, data)
    for step in outcome.after_commit:
        try:
            step()
        except Exception:
            log.exception("after-commit step failed for %s", outcome.package_id)
    return outcome


def outcome_event_data(session: Any, outcome: Outcome, data: dict[str, Any]) -> None:
    """Record extra data about a finished transition as its own history entry."""
    history.append(
        session, subject=outcome.transition.subject,
        application_id=outcome.application.id if outcome.application else None,
        package_id=outcome.package_id, action=f"{outcome.transition.name}:data",
        from_state=outcome.to_state, to_state=outcome.to_state, actor_id=None, role=SYSTEM,
        institution_id=None, note=None, data=data)


def record_registration_event(session: Any, package_id: str, action: str, *,
                              actor: Actor, data: dict[str, Any],
                              role: str | None = None) -> Any:
    """Record a fact about a registration that does not change its state (e.g. a
    certificate renewal) in the history, in the caller's transaction."""
    reg = session.get(Registration, package_id)
    status = reg.status if reg is not None else registration_status(package_id, session)
    role = role or (SYSTEM if actor.system else None)
    acting = None
    if reg is not None:
        acting = jurisdiction.acting_institution(reg.institution_id)
        if role is None and REVIEWER in roles_for(actor, registrant_id=reg.registrant_id,
                                                  institution_id=reg.institution_id):
            role = REVIEWER
    return history.append(
        session, subject=REGISTRATION, application_id=reg.application_id if reg else None,
        package_id=package_id, action=action, from_state=status, to_state=status,
        actor_id=actor.id, role=role, institution_id=acting.id if acting else None,
        note=None, data=data)


def expire(package_id: str) -> Outcome:
    return run("expire", actor=Actor.system_actor(), package_id=package_id)


def due_publicity(now: dt.datetime | None = None) -> list[Application]:
    """Applications in publicity whose period is over (``publicity.has_ended``)."""
    from ckanext.tjregistry import publicity

    return (model.Session.query(Application)
            .filter(Application.state == "publicity",
                    Application.publicity_end <= publicity.last_ended_day(now))
            .order_by(Application.publicity_end).all())


def overdue(today: dt.date | None = None) -> list[tuple[Application, str, dt.date]]:
    """Open applications past the deadline of their current state."""
    today = today or workdays.local_today()
    result = []
    for state in STATES:
        if state.due_field is None or state.name == "publicity":
            continue
        column = getattr(Application, state.due_field)
        rows = (model.Session.query(Application)
                .filter(Application.state == state.name, column < today)
                .order_by(column).all())
        result.extend((app, state.name, getattr(app, state.due_field)) for app in rows)
    return result


def due_date(app: Application) -> dt.date | None:
    state = STATE_BY_NAME.get(app.state)
    if state is None or state.due_field is None:
        return None
    return getattr(app, state.due_field)


def is_overdue(app: Application, today: dt.date | None = None) -> bool:
    due = due_date(app)
    if due is None or app.state == "publicity":
        return False
    return (today or workdays.local_today()) > due


def count_by_state(session: Any = None) -> dict[str, int]:
    session = session or model.Session
    rows = session.execute(sa.select(Application.state, sa.func.count())
                           .group_by(Application.state)).all()
    return {state: count for state, count in rows}


def show_hook(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """package_show: add the dataset's ``registration_status``."""
    if pkg_dict.get("type") in DATASET_TYPES and pkg_dict.get("id"):
        pkg_dict["registration_status"] = registration_status(pkg_dict["id"])
    return pkg_dict


def index_hook(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Solr document: index ``registration_status`` for filtering and facets."""
    if pkg_dict.get("dataset_type", pkg_dict.get("type")) in DATASET_TYPES and pkg_dict.get("id"):
        status = registration_status(pkg_dict["id"])
        pkg_dict["registration_status"] = status
        # Search results are served from the stored validated dict: keep it in step.
        stored = pkg_dict.get("validated_data_dict")
        if stored:
            validated = json.loads(stored)
            validated["registration_status"] = status
            pkg_dict["validated_data_dict"] = json.dumps(validated)
    return pkg_dict


# Labels of grounds and routing reasons, for pages, e-mails and the API's consumers.
GROUND_LABELS: dict[str, dict[str, str]] = {
    "duplicate": L("重复登记", "Duplicate registration"),
    "concealment_or_falsification": L("隐瞒事实或弄虚作假", "Concealment or falsification"),
    "ownership_dispute": L("存在数据权属争议", "Dispute over data rights"),
    "other_legal_ground": L("法律法规规定的其他情形", "Other statutory ground"),
    "false_materials": L("隐瞒事实、弄虚作假或提供虚假登记材料", "False registration materials"),
    "certificate_tampering": L("擅自复制、篡改、损毁、伪造电子凭证",
                               "Copying, tampering with or forging the certificate"),
    "certificate_misuse": L("非法使用或利用电子凭证不正当获利", "Misuse of the certificate"),
    "other_violation": L("其他违反法律法规的情况", "Other violation of laws"),
}
ROUTING_LABELS: dict[str, dict[str, str]] = {
    jurisdiction.ROUTE_CITY_LEVEL: L("市级登记主体", "City-level registrant"),
    jurisdiction.ROUTE_DISTRICT: L("区级登记主体,属地办理", "District registrant"),
    jurisdiction.ROUTE_CROSS: L("跨层级或跨区,由市级登记机构办理",
                                "Cross-level or cross-district: city institution"),
    jurisdiction.ROUTE_UNDETERMINED: L("无法确定管辖,由市级登记机构办理",
                                       "Jurisdiction undeterminable: city institution"),
    jurisdiction.ROUTE_NO_DISTRICT_INSTITUTION: L("本区登记机构不可用,由市级登记机构办理",
                                                  "District institution unavailable: city"),
}
# History entries that record a fact without a transition (record_registration_event).
EVENT_LABELS: dict[str, dict[str, str]] = {
    "renew_certificate": L("登记凭证续展", "Certificate renewed"),
    # Institution supervision (supervision.py, Art. 28).
    "suspend_institution": L("暂停登记机构资格", "Institution qualification suspended"),
    "reinstate_institution": L("恢复登记机构资格", "Institution qualification reinstated"),
    "reassign": L("改由市级登记机构办理", "Reassigned to the city institution"),
    # Evidence (evidence.py, Art. 15), agencies (agencies.py, Art. 16), the catalogue import.
    "record_evidence": L("数据存证", "Evidence recorded"),
    "delegate": L("委托第三方专业服务机构", "Agency commissioned"),
    "revoke_delegation": L("撤销委托", "Delegation revoked"),
    "import": L("导入政务数据目录", "Government data catalogue imported"),
}
APPLICATION_TYPE_LABELS: dict[str, dict[str, str]] = {
    "initial": L("首次登记", "Initial registration"),
    "change": L("变更登记", "Change registration"),
    "correction": L("更正登记", "Correction registration"),
    "cancellation": L("注销登记", "Cancellation"),
}
