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
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import history, jurisdiction, prefetch, signals, workdays
from ckanext.tjregistry.metadata import duplicates
from ckanext.tjregistry.metadata import fields as metadata
from ckanext.tjregistry.model import Application, Registration
from ckanext.tjregistry.registration import agencies, duties, evidence

# The declaration, re-exported: the engine's callers read it as workflow.STATES etc.
from ckanext.tjregistry.registration.declaration import (
    API_ACTIONS as API_ACTIONS,
)
from ckanext.tjregistry.registration.declaration import (
    APPLICATION as APPLICATION,
)
from ckanext.tjregistry.registration.declaration import (
    APPLICATION_TYPES as APPLICATION_TYPES,
)
from ckanext.tjregistry.registration.declaration import (
    CITY_REVIEWER as CITY_REVIEWER,
)
from ckanext.tjregistry.registration.declaration import (
    DECIDING_ROLES as DECIDING_ROLES,
)
from ckanext.tjregistry.registration.declaration import (
    NEW as NEW,
)
from ckanext.tjregistry.registration.declaration import (
    OPEN_STATES as OPEN_STATES,
)
from ckanext.tjregistry.registration.declaration import (
    REFUSAL_GROUNDS as REFUSAL_GROUNDS,
)
from ckanext.tjregistry.registration.declaration import (
    REGISTRANT as REGISTRANT,
)
from ckanext.tjregistry.registration.declaration import (
    REGISTRATION as REGISTRATION,
)
from ckanext.tjregistry.registration.declaration import (
    REGISTRATION_STATUSES as REGISTRATION_STATUSES,
)
from ckanext.tjregistry.registration.declaration import (
    RESUME as RESUME,
)
from ckanext.tjregistry.registration.declaration import (
    REVIEWER as REVIEWER,
)
from ckanext.tjregistry.registration.declaration import (
    REVOCATION_GROUNDS as REVOCATION_GROUNDS,
)
from ckanext.tjregistry.registration.declaration import (
    ROLE_LABELS as ROLE_LABELS,
)
from ckanext.tjregistry.registration.declaration import (
    ROLES as ROLES,
)
from ckanext.tjregistry.registration.declaration import (
    STATE_BY_NAME as STATE_BY_NAME,
)
from ckanext.tjregistry.registration.declaration import (
    STATES as STATES,
)
from ckanext.tjregistry.registration.declaration import (
    SYSTEM as SYSTEM,
)
from ckanext.tjregistry.registration.declaration import (
    TRANSITION_BY_NAME as TRANSITION_BY_NAME,
)
from ckanext.tjregistry.registration.declaration import (
    TRANSITIONS as TRANSITIONS,
)
from ckanext.tjregistry.registration.declaration import (
    UNREGISTERED as UNREGISTERED,
)
from ckanext.tjregistry.registration.declaration import (
    L as L,
)
from ckanext.tjregistry.registration.declaration import (
    State as State,
)
from ckanext.tjregistry.registration.declaration import (
    Transition as Transition,
)
from ckanext.tjregistry.registration.declaration import (
    state_label as state_label,
)
from ckanext.tjregistry.registration.declaration import (
    transitions_for as transitions_for,
)

log = logging.getLogger(__name__)

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


def held_roles(actor: Actor, *, registrant_id: str, institution_id: str) -> set[str]:
    """The roles the actor's memberships give, before recusal."""
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


def roles_for(actor: Actor, *, registrant_id: str, institution_id: str) -> set[str]:
    """The roles the actor may act in on the registrant's matters: a person tied to the
    registrant keeps its side only (recusal, duties.py)."""
    roles = held_roles(actor, registrant_id=registrant_id, institution_id=institution_id)
    if roles.intersection(DECIDING_ROLES) and duties.recusal(actor.user, registrant_id):
        roles.difference_update(DECIDING_ROLES)
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


def _check_role(transition: Transition, actor: Actor, *, registrant_id: str,
                institution_id: str) -> None:
    roles = roles_for(actor, registrant_id=registrant_id, institution_id=institution_id)
    if roles.intersection(transition.roles):
        return
    held = held_roles(actor, registrant_id=registrant_id, institution_id=institution_id)
    recused = duties.recusal(actor.user, registrant_id)
    if recused is not None and held.intersection(transition.roles):
        raise tk.NotAuthorized(recused.bilingual())
    raise tk.NotAuthorized(
        "无权执行此操作或不在管辖范围内 / Not allowed to perform "
        f"'{transition.action}' (role or jurisdiction)")


def second_person_required(session: Any, transition: Transition, actor: Actor,
                           app: Application | None, package_id: str) -> bool:
    """Four eyes: whether the actor took the earlier step and so may not take this one."""
    if not transition.second_person_after or actor.system or not duties.four_eyes():
        return False
    earlier = duties.earlier_actor(session, actions=transition.second_person_after,
                                   application_id=app.id if app else None,
                                   package_id=package_id)
    return earlier is not None and earlier == actor.id


def _check_second_person(session: Any, transition: Transition, actor: Actor,
                         app: Application | None, package_id: str) -> None:
    if second_person_required(session, transition, actor, app, package_id):
        raise tk.NotAuthorized(duties.second_person_message(transition.second_person_after))


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
    "to_institution": "登记机构", "title": "名称", "name": "网址名称",
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
    _check_role(transition, actor, registrant_id=registrant.id, institution_id="")
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
    _check_role(transition, actor, registrant_id=app.registrant_id,
                institution_id=app.institution_id)
    _check_second_person(session, transition, actor, app, app.package_id)
    _check_inputs(transition, inputs)
    return _finish(session, transition, ctx, app.state)


def _apply_registration(session: Any, action: str, actor: Actor, reg: Registration,
                        inputs: dict[str, Any]) -> Outcome:
    ctx = _context(session, actor, None, inputs, reg=reg)
    transition = _choose(action, REGISTRATION, reg.status, ctx)
    _check_role(transition, actor, registrant_id=reg.registrant_id,
                institution_id=reg.institution_id)
    _check_second_person(session, transition, actor, None, reg.package_id)
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
    # Reactions inside the transaction (notifications); each returns its after-commit steps.
    for _receiver, steps in signals.transition_recorded.send(outcome, session=session,
                                                             event=event):
        outcome.after_commit.extend(steps or [])
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
# Guards and effects: named in TRANSITIONS, registered where they are defined (the
# engine's own below, a feature's in its procedure module) and checked at start-up.

Step = Callable[[dict[str, Any]], None]
GUARDS: dict[str, Step] = {}
EFFECTS: dict[str, Step] = {}


def _registrar(table: dict[str, Step], kind: str, name: str) -> Callable[[Step], Step]:
    def register(step: Step) -> Step:
        if name in table and table[name] is not step:
            raise RuntimeError(f"workflow {kind} {name!r} registered twice")
        table[name] = step
        return step

    return register


def guard(name: str) -> Callable[[Step], Step]:
    """Register a guard: it raises ``WorkflowError`` when its transition may not run."""
    return _registrar(GUARDS, "guard", name)


def effect(name: str) -> Callable[[Step], Step]:
    """Register an effect: it runs inside the transition's transaction."""
    return _registrar(EFFECTS, "effect", name)


def unregistered_steps() -> list[str]:
    """Guards and effects the declaration names that no module registered."""
    missing = set()
    for transition in TRANSITIONS:
        if transition.guard and transition.guard not in GUARDS:
            missing.add(f"guard {transition.guard}")
        missing.update(f"effect {name}" for name in transition.effects if name not in EFFECTS)
    return sorted(missing)


# ---------------------------------------------------------------------------
# Guards: raise WorkflowError when the transition may not happen


DATASET_TYPES = ("data-resource", "data-product")


@guard("may_apply")
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


@guard("no_supplement_this_round")
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


@guard("publicity_required")
def _guard_publicity_required(ctx: dict[str, Any]) -> None:
    if not publicity_required(ctx["app"]):
        raise WorkflowError("state", "无需公示 / No publicity required")


@guard("issuance_without_publicity")
def _guard_issuance_without_publicity(ctx: dict[str, Any]) -> None:
    if ctx["app"].application_type == "cancellation" or publicity_required(ctx["app"]):
        raise WorkflowError("state", "需要公示 / Publicity required")


@guard("is_cancellation")
def _guard_is_cancellation(ctx: dict[str, Any]) -> None:
    """A cancellation decided at once (one the publicity rule covers goes to publicity)."""
    if ctx["app"].application_type != "cancellation":
        raise WorkflowError("state", "不是注销申请 / Not a cancellation")
    if publicity_required(ctx["app"]):
        raise WorkflowError("state", "需要公示 / Publicity required")


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


@guard("consent")
def _guard_consent(ctx: dict[str, Any]) -> None:
    if not _decision(ctx):
        raise WorkflowError("consent", "未同意 / No consent")


@guard("no_consent")
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


@guard("filing_pending_uphold")
def _guard_filing_pending_uphold(ctx: dict[str, Any]) -> None:
    _review_decision(ctx, "uphold")


@guard("filing_pending_reverse")
def _guard_filing_pending_reverse(ctx: dict[str, Any]) -> None:
    _review_decision(ctx, "reverse")




# ---------------------------------------------------------------------------
# Effects


def _today(ctx: dict[str, Any]) -> dt.date:
    return workdays.local_date(ctx["now"])


@effect("route")
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


@effect("snapshot")
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


@effect("find_duplicates")
def _effect_find_duplicates(ctx: dict[str, Any]) -> None:

    app: Application = ctx["app"]
    app.duplicates = duplicates.find(app.package_id, app.registrant_id, app.proposed or {})


@effect("check_late")
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


@effect("start_acceptance_clock")
def _effect_start_acceptance_clock(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.submitted_at = ctx["now"]
    app.accept_due = workdays.add_workdays(_today(ctx), workdays.limit("acceptance"))


@guard("transfer_target")
def _guard_transfer_target(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    wanted = str(ctx["inputs"].get("to_institution") or "")
    target = jurisdiction.profile(wanted) if wanted else None
    if target is None or not target.is_institution:
        raise WorkflowError("to_institution", "请选择登记机构 / Choose a registration institution")
    if not target.active:
        raise WorkflowError("to_institution",
                            "该登记机构资格已暂停 / That institution is suspended")
    acting = jurisdiction.acting_institution(app.institution_id)
    if acting is not None and acting.id == target.id:
        raise WorkflowError("to_institution",
                            "申请已由该登记机构办理 / The application is already there")
    if not target.is_city:
        registrant = jurisdiction.profile(app.registrant_id)
        areas = jurisdiction.area_codes(_package_dict(app.package_id))
        if target.district not in areas | {registrant.district if registrant else ""}:
            raise WorkflowError(
                "to_institution",
                "该区登记机构对本申请无管辖权(登记主体或数据不属于该区) / That district "
                "institution has no jurisdiction (neither the registrant nor the data is there)")
    ctx["transfer_target"] = target


@effect("transfer")
def _effect_transfer(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    target = ctx["transfer_target"]
    previous = app.institution_id
    app.institution_id = target.id
    app.routing = ROUTE_TRANSFERRED
    # The competent institution has the full acceptance period from the transfer, as after
    # a resubmission: the acceptance clock (submitted_at) starts again.
    app.submitted_at = ctx["now"]
    app.accept_due = workdays.add_workdays(_today(ctx), workdays.limit("acceptance"))
    ctx["event_data"] = {"from_institution": previous, "to_institution": target.id,
                         "accept_due": app.accept_due.isoformat()}


@effect("next_round")
def _effect_next_round(ctx: dict[str, Any]) -> None:
    ctx["app"].round += 1
    ctx["event_data"]["round"] = ctx["app"].round


@effect("record_supplement")
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


@effect("start_review_clock")
def _effect_start_review_clock(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.accepted_at = ctx["now"]
    app.review_due = workdays.add_workdays(_today(ctx), workdays.limit("review"))


@effect("record_decision")
def _effect_record_decision(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.decided_at = ctx["now"]
    if ctx["inputs"].get("reasons"):
        app.reasons = ctx["inputs"]["reasons"]


@effect("record_refusal")
def _effect_record_refusal(ctx: dict[str, Any]) -> None:
    ground = ctx["inputs"]["ground"]
    if ground not in REFUSAL_GROUNDS:
        raise WorkflowError("ground", "不予登记依据无效 / Unknown refusal ground")
    _effect_record_decision(ctx)
    ctx["app"].refusal_ground = ground
    ctx["event_data"] = {"ground": ground}


@effect("start_publicity")
def _effect_start_publicity(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    today = _today(ctx)
    app.publicity_start = workdays.add_workdays(today, 1)
    app.publicity_end = workdays.add_workdays(today, workdays.limit("publicity"))


@effect("record_withdrawal_request")
def _effect_record_withdrawal_request(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    app.resume_state = app.state
    app.withdrawal_reason = ctx["inputs"]["reasons"]


@effect("cancel_registration")
def _effect_cancel_registration(ctx: dict[str, Any]) -> None:
    _registration_step(ctx, "cancel")


@effect("register")
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


@effect("record_revocation")
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


@effect("close_filing")
def _effect_close_filing(ctx: dict[str, Any]) -> None:
    reg: Registration = ctx["reg"]
    decision = ctx["inputs"]["decision"]
    reg.revocation_filing = "upheld" if decision == "uphold" else "reversed"
    ctx["event_data"] = {"decision": decision}


def add_event_data(ctx: dict[str, Any], **values: Any) -> None:
    ctx["event_data"] = {**(ctx.get("event_data") or {}), **values}




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
    """After the commit of an approval: whoever issues certificates reacts."""
    signals.application_approved.send(application_id)


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
ROUTE_TRANSFERRED = "transferred"
ROUTING_LABELS: dict[str, dict[str, str]] = {
    ROUTE_TRANSFERRED: L("由原登记机构移送", "Transferred by the institution first applied to"),
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
    # Renewal requests and reminders (certificates/renewal.py).
    "renewal_reminder": L("登记凭证即将到期，请申请续展", "Certificate expiring: renewal reminder"),
    "renewal_requested": L("申请续展", "Renewal requested"),
    "renewal_approved": L("续展申请已批准", "Renewal approved"),
    "renewal_rejected": L("续展申请不予批准", "Renewal rejected"),
    "record_national_code": L("记录登记结果查询码", "National result code recorded"),
    # The institutions' daily digest (supervision/digest.py): notices, not events.
    "deadline_due": L("办理期限将至", "Deadline approaching"),
    "deadline_overdue": L("已超过办理期限", "Past the deadline"),
    "decision_waiting": L("待作出决定", "Awaiting a decision"),
    # Calendar upkeep (operations/calendar_upkeep.py).
    "recompute_deadline": L("按更新的节假日安排重算期限", "Deadline recomputed (calendar updated)"),
    "calendar_applied": L("启用更新的节假日安排", "Updated holiday calendar applied"),
    # Institution supervision (supervision.py, Art. 28).
    "suspend_institution": L("暂停登记机构资格", "Institution qualification suspended"),
    "reinstate_institution": L("恢复登记机构资格", "Institution qualification reinstated"),
    "cancel_institution_qualification": L("取消登记机构资格",
                                          "Institution qualification cancelled"),
    "supervision_record": L("记录约谈或现场指导", "Interview or on-site guidance recorded"),
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
