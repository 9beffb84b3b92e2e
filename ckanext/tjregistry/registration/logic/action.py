"""API actions of this extension (registered by ``tk.blanket.actions``).

The registration workflow actions are thin: validate the input (logic/schema.py),
check access (logic/auth.py), and let ``workflow.run`` perform the declared
transition in one transaction.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from typing import Any

import sqlalchemy as sa

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.common import history, jurisdiction, prefetch, registry, workdays
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.model import Application, Notification, Registration
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.registration import (
    agencies,
    duties,
    late,
    notifications,
    submissions,
    visibility,
    workflow,
)
from ckanext.tjregistry.registration.logic import schema as schemas


def _actor(context: Context) -> workflow.Actor:
    return workflow.Actor(user=user_of(context))


def _application(app_id: str) -> Application:
    app = model.Session.get(Application, app_id)
    if app is None:
        raise tk.ObjectNotFound("登记申请不存在 / Application not found")
    return app


def _org_brief(org_id: str | None) -> dict[str, Any] | None:
    # Remembered for a whole list (prefetch batch): a queue names few organizations often.
    org = prefetch.memo(("tjregistry.org_profile", org_id),
                        lambda: jurisdiction.profile(org_id)) if org_id else None
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "title": org.title, "admin_level": org.level,
            "district_code": org.district}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _roles(user: model.User | None, app: Application) -> set[str]:
    return prefetch.memo(
        ("tjregistry.roles", user.id if user else None, app.registrant_id, app.institution_id),
        lambda: workflow.roles_for(workflow.Actor(user), registrant_id=app.registrant_id,
                                   institution_id=app.institution_id))


def allowed_actions(user: model.User | None, app: Application) -> list[dict[str, Any]]:
    """The API actions ``user`` may take on ``app`` now, from the transition table."""
    roles = _roles(user, app)
    actor = workflow.Actor(user)
    seen: dict[str, dict[str, Any]] = {}
    for transition in workflow.TRANSITIONS:
        if (transition.subject != workflow.APPLICATION or not transition.api
                or app.state not in transition.sources or not roles & set(transition.roles)):
            continue
        if transition.guard == "no_supplement_this_round" and app.supplement_round == app.round:
            continue
        if workflow.second_person_required(model.Session, transition, actor, app,
                                           app.package_id):
            continue
        entry = seen.setdefault(transition.api, {
            "action": transition.api, "name": transition.action, "transitions": [],
            "label": transition.label, "inputs": []})
        entry["transitions"].append(transition.name)
        entry["inputs"] = sorted(set(entry["inputs"]) | set(transition.inputs))
    return list(seen.values())


def decision_limits(user: model.User | None, app: Application) -> list[dict[str, str]]:
    """Why a reviewer of the application's institution may not decide on it now: recusal
    (a tie to the registrant) or four eyes (they took the earlier step)."""
    if user is None or app.state not in workflow.OPEN_STATES:
        return []
    actor = workflow.Actor(user)
    held = prefetch.memo(
        ("tjregistry.held_roles", user.id, app.registrant_id, app.institution_id),
        lambda: workflow.held_roles(actor, registrant_id=app.registrant_id,
                                    institution_id=app.institution_id))
    if not held & set(workflow.DECIDING_ROLES):
        return []
    recused = prefetch.memo(("tjregistry.recusal", user.id, app.registrant_id),
                            lambda: duties.recusal(user, app.registrant_id))
    if recused is not None:
        return [{"reason": "recusal", "zh_Hans_CN": recused.message("zh_Hans_CN"),
                 "en": recused.message("en")}]
    for transition in workflow.TRANSITIONS:
        if (transition.subject == workflow.APPLICATION and app.state in transition.sources
                and workflow.second_person_required(model.Session, transition, actor, app,
                                                    app.package_id)):
            return [{"reason": "four_eyes",
                     **duties.second_person_texts(transition.second_person_after)}]
    return []


def _may_see_duplicates(user: model.User | None, app: Application) -> bool:
    if user is None:
        return False
    return prefetch.memo(
        ("tjregistry.sees_duplicates", user.id, app.institution_id),
        lambda: bool(user.sysadmin or jurisdiction.is_reviewer_for(user, app.institution_id)
                     or jurisdiction.authority_scope(user) is not None))


def _changes(app: Application) -> list[dict[str, Any]]:
    if app.application_type not in ("change", "correction") or not app.proposed:
        return []
    reg = model.Session.get(Registration, app.package_id)
    current = (reg.snapshot if reg is not None and reg.snapshot else {}) or {}
    result = []
    for key in sorted(set(current) | set(app.proposed)):
        if key in workflow.VOLATILE_KEYS or key in ("metadata_created", "resources",
                                                     "revision_id", "state"):
            continue
        before, after = current.get(key), app.proposed.get(key)
        if before != after and (before or after):
            result.append({"field": key, "current": before, "proposed": after})
    return result


def _approval_leads_to(app: Application) -> str:
    """The state an approval would move the application to: ``publicity`` (the publicity
    rule applies), ``approved`` (issuance) or ``completed`` (a cancellation)."""
    if workflow.publicity_required(app):
        return "publicity"
    return "completed" if app.application_type == "cancellation" else "approved"


def application_dict(app: Application, user: model.User | None) -> dict[str, Any]:
    package = model.Package.get(app.package_id)
    acting = prefetch.memo(
        ("tjregistry.acting_institution", app.institution_id),
        lambda: jurisdiction.acting_institution(app.institution_id)
    ) if app.institution_id else None
    due = workflow.due_date(app)
    result = {
        "id": app.id,
        "package_id": app.package_id,
        "package_name": package.name if package else None,
        "package_title": package.title if package else None,
        "dataset_type": package.type if package else None,
        "application_type": app.application_type,
        "state": app.state,
        "state_label": workflow.STATE_BY_NAME[app.state].label,
        "is_open": app.is_open,
        "registrant": _org_brief(app.registrant_id),
        "institution": _org_brief(app.institution_id),
        "acting_institution": _org_brief(acting.id if acting else None),
        "routing": app.routing,
        "round": app.round,
        "submitted_at": _iso(app.submitted_at),
        "accept_due": _iso(app.accept_due),
        "accepted_at": _iso(app.accepted_at),
        "review_due": _iso(app.review_due),
        "decided_at": _iso(app.decided_at),
        "publicity_start": _iso(app.publicity_start),
        "publicity_end": _iso(app.publicity_end),
        "due_date": _iso(due),
        "overdue": workflow.is_overdue(app),
        "workdays_left": (workdays.workdays_between(workdays.local_today(), due)
                          if due is not None else None),
        "refusal_ground": app.refusal_ground,
        "reasons": app.reasons,
        "withdrawal_reason": app.withdrawal_reason,
        "supplement_items": app.supplement_items or [],
        "supplement_round": app.supplement_round,
        "pledge": app.pledge,
        "internal_review": app.internal_review,
        "internal_review_note": app.internal_review_note,
        "late": app.late,
        "filing_deadline": _iso(app.filing_deadline),
        "dataset_sha256": app.dataset_sha256,
        "changes": _changes(app),
        "approval_leads_to": _approval_leads_to(app),
        "registration_status": workflow.registration_status(app.package_id),
        "created": _iso(app.created),
        "modified": _iso(app.modified),
        "allowed_actions": allowed_actions(user, app),
        "decision_limits": decision_limits(user, app),
    }
    if _may_see_duplicates(user, app):
        result["duplicates"] = app.duplicates or []
    return result


def _run(context: Context, action: str, **kwargs: Any) -> workflow.Outcome:
    return workflow.run(action, actor=_actor(context), **kwargs)


def _validate_proposed(package_id: str, changes: Any, context: Context) -> dict[str, Any]:
    """The full proposed dataset of a change/correction, validated like package_update."""
    if not isinstance(changes, dict) or not changes:
        raise tk.ValidationError({"proposed": [
            "请提交变更或更正后的内容 / The changed content is required"]})
    package = model.Package.get(package_id)
    if package is None:
        raise tk.ObjectNotFound("数据不存在 / Dataset not found")
    current = tk.get_action("package_show")(workflow.site_context(), {"id": package.id})
    fixed = {"id": package.id, "name": package.name, "type": package.type,
             "owner_org": package.owner_org}
    proposed = {k: v for k, v in {**current, **changes, **fixed}.items()
                if k not in workflow.VOLATILE_KEYS}
    plugin = lib_plugins.lookup_package_plugin(package.type)
    validation_context: Context = {"model": model, "session": model.Session,
                                   "user": context.get("user", ""), "package": package,
                                   "ignore_auth": True}
    _data, errors = lib_plugins.plugin_validate(
        plugin, validation_context, dict(proposed), plugin.update_package_schema(),
        "package_update")
    if errors:
        raise tk.ValidationError(errors)
    return proposed


# ---------------------------------------------------------------------------
# Transitions (the public contract)


@registry.action
def registration_submit(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Submit a registration application for a dataset.

    :param package_id: the dataset (``data-resource`` or ``data-product``)
    :param application_type: ``initial`` (default), ``change``, ``correction`` or ``cancellation``
    :param pledge: the registrant signs the integrity pledge (诚信承诺), required
    :param internal_review: the registrant's internal business review (业务审核) is done, required
    :param internal_review_note: optional note on the internal review
    :param proposed: for change/correction, the changed dataset fields (dict)
    :param reasons: for correction and cancellation, why
    """
    data = validated(data_dict, schemas.submit(), context)
    tk.check_access("registration_submit", context, data)
    if data.get("application_type") in ("change", "correction"):
        data["proposed"] = _validate_proposed(data["package_id"], data.get("proposed"), context)
    else:
        data.pop("proposed", None)
    outcome = _run(context, "submit", inputs=data)
    return application_dict(outcome.application, user_of(context))  # type: ignore[arg-type]


@registry.action
def registration_resubmit(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Resubmit after a supplement request (补正); the acceptance clock restarts.

    :param id: the application
    :param pledge: required
    :param internal_review: required
    :param proposed: for change/correction, the corrected changed fields (optional)
    """
    data = validated(data_dict, schemas.resubmit(), context)
    app = _application(data["id"])
    tk.check_access("registration_resubmit", context, data)
    if app.application_type in ("change", "correction") and data.get("proposed"):
        data["proposed"] = _validate_proposed(app.package_id, data["proposed"], context)
    else:
        data.pop("proposed", None)
    outcome = _run(context, "resubmit", application_id=data["id"], inputs=data)
    return application_dict(outcome.application, user_of(context))  # type: ignore[arg-type]


def _transition_action(name: str, api: str, schema: dict[str, Any]) -> Any:
    def action(context: Context, data_dict: DataDict) -> dict[str, Any]:
        data = validated(data_dict, schema, context)
        _application(data["id"])
        tk.check_access(api, context, data)
        outcome = _run(context, name, application_id=data["id"], inputs=data)
        return application_dict(outcome.application, user_of(context))  # type: ignore[arg-type]

    action.__name__ = api
    return registry.action(action)


registration_accept = _transition_action("accept", "registration_accept", schemas.by_id())
registration_accept.__doc__ = """Accept a submitted application (受理); the review clock starts.

:param id: the application
"""
registration_transfer = _transition_action("transfer", "registration_transfer",
                                           schemas.transfer())
registration_transfer.__doc__ = """Transfer a submitted application not yet accepted to the
institution with jurisdiction (district <-> city, Art. 7), with written reasons; that
institution's acceptance period starts again from the transfer.

:param id: the application
:param to_institution: the competent institution (id or name)
:param reasons: why the application is transferred (shown to the registrant)
"""
registration_request_supplement = _transition_action(
    "request_supplement", "registration_request_supplement", schemas.request_supplement())
registration_request_supplement.__doc__ = """Return the application once with the complete list
of defects (一次性告知); one request per submission round.

:param id: the application
:param items: the items to supplement (list of strings, or one per line)
"""
registration_approve = _transition_action("approve", "registration_approve",
                                          schemas.with_reasons())
registration_approve.__doc__ = """Approve after review: into publicity when the publicity rule
applies, else awaiting issuance; a cancellation ends the registration.

:param id: the application
:param reasons: optional remarks
"""
registration_reject = _transition_action("reject", "registration_reject",
                                         schemas.with_reasons())
registration_reject.__doc__ = """Reject after review (审核未通过), with the reasons shown to the
registrant.

:param id: the application
:param reasons: required
"""
registration_refuse = _transition_action("refuse", "registration_refuse", schemas.refuse())
registration_refuse.__doc__ = """Refuse registration (不予登记, Art. 23).

:param id: the application
:param ground: duplicate | concealment_or_falsification | ownership_dispute | other_legal_ground
:param reasons: required
"""
registration_withdraw = _transition_action("withdraw", "registration_withdraw",
                                           schemas.with_reasons())
registration_withdraw.__doc__ = """Ask to withdraw an application before issuance (撤回, Art. 21).

:param id: the application
:param reasons: the written reasons, required
"""
registration_withdraw_decide = _transition_action(
    "withdraw_decide", "registration_withdraw_decide", schemas.withdraw_decide())
registration_withdraw_decide.__doc__ = """The institution consents to or denies a withdrawal.

:param id: the application
:param consent: true or false
:param reasons: required when denying
"""


@registry.action
def registration_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke a registration (撤销, Art. 29); a district revocation is filed with the city.

    :param package_id: the registered dataset
    :param ground: false_materials | certificate_tampering | certificate_misuse | other_violation
    :param reasons: required
    """
    data = validated(data_dict, schemas.revoke(), context)
    tk.check_access("registration_revoke", context, data)
    outcome = _run(context, "revoke", package_id=data["package_id"], inputs=data)
    return registration_dict(outcome.registration)  # type: ignore[arg-type]


@registry.action
def registration_revocation_review(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The city institution reviews a district revocation filing: uphold or reverse (纠正).

    :param package_id: the revoked dataset
    :param decision: ``uphold`` or ``reverse``
    :param reasons: required when reversing
    """
    data = validated(data_dict, schemas.revocation_review(), context)
    tk.check_access("registration_revocation_review", context, data)
    outcome = _run(context, "revocation_review", package_id=data["package_id"], inputs=data)
    return registration_dict(outcome.registration)  # type: ignore[arg-type]


def registration_dict(reg: Registration) -> dict[str, Any]:
    return {
        "package_id": reg.package_id,
        "status": reg.status,
        "registrant": _org_brief(reg.registrant_id),
        "institution": _org_brief(reg.institution_id),
        "application_id": reg.application_id,
        "registered_at": _iso(reg.registered_at),
        "revocation_ground": reg.revocation_ground,
        "revocation_reasons": reg.revocation_reasons,
        "revoked_at": _iso(reg.revoked_at),
        "revoked_by": _org_brief(reg.revoked_by),
        "revocation_filing": reg.revocation_filing,
    }


# ---------------------------------------------------------------------------
# Reading


@registry.action
@tk.side_effect_free
def registration_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One application, with its deadlines and the actions the caller may take.

    :param id: the application
    """
    data = validated(data_dict, schemas.by_id(), context)
    app = _application(data["id"])
    tk.check_access("registration_show", context, data)
    return application_dict(app, user_of(context))


@registry.action
@tk.side_effect_free
def registration_submission_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What the registrant submitted in one round of an application, and what changed since
    the round before (after a supplement request, 补正).

    Restricted fields are left out for callers not entitled to them.

    :param id: the application
    :param round: the round (default: the latest)
    :returns: ``round``, ``rounds`` (the rounds kept), ``submitted`` (when),
        ``dataset_sha256``, ``fingerprint_matches`` (the kept content still has the SHA-256
        the history recorded), ``fields`` (``field``, ``value`` in the schema's order),
        ``previous_round`` and ``changes`` (``field``, ``before``, ``after``, ``kind``:
        added, removed or changed); ``round`` is None when nothing was submitted yet
    """
    data = validated(data_dict, schemas.submission_show(), context)
    app = _application(data["id"])
    tk.check_access("registration_show", context, {"id": app.id})
    kept = submissions.rounds(app.id)
    wanted = data.get("round") or (kept[-1].round if kept else None)
    by_round = {row.round: row for row in kept}
    current = by_round.get(wanted) if wanted is not None else None
    if wanted is not None and current is None and kept:
        raise tk.ObjectNotFound("该轮次没有提交记录 / No submission in this round")
    result: dict[str, Any] = {
        "id": app.id, "rounds": [row.round for row in kept], "round": None,
        "submitted": None, "dataset_sha256": None, "fingerprint_matches": None,
        "fields": [], "previous_round": None, "changes": []}
    if current is None:
        return result
    package = model.Package.get(app.package_id)
    dataset_type = package.type if package else (current.snapshot or {}).get("type")
    schema = scheming_helpers.scheming_get_dataset_schema(dataset_type) or {}
    order = [field["field_name"] for field in schema.get("dataset_fields", [])]
    hidden: frozenset[str] = frozenset()
    if not access.may_see_restricted(user_of(context), app.registrant_id):
        hidden = access.restricted_dataset_fields(dataset_type)

    def visible(snapshot: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in (snapshot or {}).items() if k not in hidden}

    previous = max((row for row in kept if row.round < current.round),
                   key=lambda row: row.round, default=None)
    result.update({
        "round": current.round, "submitted": _iso(current.created),
        "dataset_sha256": current.dataset_sha256,
        "fingerprint_matches": submissions.fingerprint_matches(current),
        "fields": submissions.registration_fields(visible(current.snapshot), order),
    })
    if previous is not None:
        result["previous_round"] = previous.round
        result["changes"] = submissions.changes(visible(previous.snapshot),
                                                visible(current.snapshot), order)
    return result


@registry.action
@tk.side_effect_free
def registration_status_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A dataset's registration status, registration record and open application.

    :param package_id: the dataset
    """
    data = validated(data_dict, {"package_id": schemas.by_id()["id"]}, context)
    package = model.Package.get(data["package_id"])
    if package is None:
        raise tk.ObjectNotFound("数据不存在 / Dataset not found")
    tk.check_access("registration_status_show", context, {"package_id": package.id})
    reg = model.Session.get(Registration, package.id)
    app = workflow.open_application(package.id)
    user = user_of(context)
    visible_app = None
    if app is not None and _can("registration_show", context, {"id": app.id}):
        visible_app = application_dict(app, user)
    return {"package_id": package.id,
            "registration_status": workflow.registration_status(package.id),
            "registration": registration_dict(reg) if reg is not None else None,
            "open_application": visible_app}


def _can(auth: str, context: Context, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(auth, dict(context), data)  # type: ignore[arg-type]
    except tk.NotAuthorized:
        return False
    return True


@registry.action
@tk.side_effect_free
def registration_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Applications visible to the caller.

    :param scope: ``mine`` (the caller's registrants), ``queue`` (open applications in the
        caller's jurisdiction as a reviewer), or ``all`` (the city institution, authority
        officers and sysadmins; district officers see their district)
    :param state: filter by state
    :param application_type: filter by type (initial, change, correction, cancellation)
    :param package_id: filter by dataset
    :param overdue: only applications past the deadline of their state
    :param q: words found in the dataset's title or name, the registrant's name, the
        registration code, or the start of the application id
    :param sort: ``submitted`` (submission time), ``deadline`` (the deadline of the current
        state) or ``state`` (in the order of the procedure); default ``deadline`` for the
        queue, else ``submitted``
    :param order: ``asc`` (default) or ``desc``; applications without a value come last
    :param limit: default 50, at most 1000
    :param offset: default 0
    :returns: ``count`` (all matching) and ``results`` (the page)
    """
    data = validated(data_dict, schemas.listing(), context)
    tk.check_access("registration_list", context, data)
    user = user_of(context)
    query = model.Session.query(Application)
    scope = data["scope"]
    if scope == "mine":
        orgs = [org.id for org in jurisdiction.user_orgs(user, "registrant", acting=False)]
        orgs += agencies.represented_registrants(user)  # an agency's principals (Art. 16)
        query = query.filter(Application.registrant_id.in_(orgs))
    elif scope == "queue":
        institutions = jurisdiction.institutions_in_jurisdiction(user)
        query = query.filter(Application.institution_id.in_(institutions),
                             Application.is_open.is_(True))
    else:
        # Sysadmins and the city institution (which manages all registration information,
        # Art. 7) see everything; data-authority officers see their area.
        everything = user is not None and (user.sysadmin or jurisdiction.is_city_reviewer(user))
        area = "city" if everything else jurisdiction.authority_scope(user)
        if area != "city":
            district = jurisdiction.district_institution(area or "")
            query = query.filter(Application.institution_id == (district.id if district else ""))
    if data.get("state"):
        query = query.filter(Application.state == data["state"])
    if data.get("application_type"):
        query = query.filter(Application.application_type == data["application_type"])
    if data.get("package_id"):
        query = query.filter(Application.package_id == data["package_id"])
    if data.get("overdue"):
        query = query.filter(_overdue_clause(workdays.local_today()))
    if data.get("q"):
        query = query.filter(_search_clause(data["q"]))
    total = query.count()
    sort = data.get("sort") or ("deadline" if scope == "queue" else "submitted")
    rows = (query.order_by(*_list_order(sort, data.get("order") or "asc"))
            .offset(data["offset"]).limit(data["limit"]).all())
    return {"count": total, "results": application_dicts(rows, user)}


def _due_column() -> Any:
    """The deadline of each application's current state, as a SQL expression."""
    return sa.case({state.name: getattr(Application, state.due_field)
                    for state in workflow.STATES if state.due_field},
                   value=Application.state, else_=sa.null())


def _overdue_clause(today: dt.date) -> Any:
    """``workflow.is_overdue`` in SQL: past the deadline of the current state (publicity
    ends, it is not overdue)."""
    return sa.or_(*(sa.and_(Application.state == state.name,
                            getattr(Application, state.due_field) < today)
                    for state in workflow.STATES
                    if state.due_field and state.name != "publicity"))


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_clause(q: str) -> Any:
    """Every word of ``q`` occurs in the dataset's title or name, the registrant's title or
    name, the dataset's registration code, or begins the application id."""
    clauses = []
    for word in q.split():
        like = _like(word)
        packages = sa.select(model.Package.id).where(sa.or_(
            model.Package.title.ilike(like), model.Package.name.ilike(like)))
        registrants = sa.select(model.Group.id).where(sa.or_(
            model.Group.title.ilike(like), model.Group.name.ilike(like)))
        codes = sa.select(Certificate.package_id).where(Certificate.code.ilike(like))
        clauses.append(sa.or_(
            Application.package_id.in_(packages), Application.registrant_id.in_(registrants),
            Application.package_id.in_(codes), Application.id.ilike(like[1:])))
    return sa.and_(*clauses)


def _list_order(sort: str, order: str) -> list[Any]:
    """ORDER BY of a list: the chosen key (missing values last), then submission and id so
    that pages never overlap."""
    if sort == "deadline":
        key = _due_column()
    elif sort == "state":
        key = sa.case({state.name: position for position, state in enumerate(workflow.STATES)},
                      value=Application.state, else_=len(workflow.STATES))
    else:
        key = Application.submitted_at
    direction = key.desc() if order == "desc" else key.asc()
    return [direction.nullslast(), Application.submitted_at.asc().nullslast(), Application.id]


def application_dicts(apps: list[Application], user: model.User | None) -> list[dict[str, Any]]:
    """``application_dict`` of many applications, their datasets, registrations, registrants
    and the caller's roles loaded once for all (a page of the queue costs a few queries,
    not a dozen per row)."""
    package_ids = [app.package_id for app in apps]
    # Loaded into the session (and held here: its identity map keeps objects only while
    # they are referenced), so that the per-row ``get``s below find them there.
    loaded = [
        model.Session.query(model.Package).filter(model.Package.id.in_(package_ids)).all(),
        model.Session.query(Registration).filter(Registration.package_id.in_(package_ids)).all(),
    ] if package_ids else []
    with prefetch.prefetched(package_ids):
        result = [application_dict(app, user) for app in apps]
    del loaded
    return result


def _registrants_of(user: model.User | None) -> list[str]:
    """The registrants ``user`` belongs to, and those an agency of theirs represents."""
    orgs = [org.id for org in jurisdiction.user_orgs(user, "registrant", acting=False)]
    return orgs + agencies.represented_registrants(user)  # an agency's principals (Art. 16)


@registry.action
@tk.side_effect_free
def registration_dataset_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The caller's registrants' datasets (drafts too), newest change first, each with its
    registration status, registration record and open application (``我的登记``).

    :param limit: default 100, at most 500
    :param offset: default 0
    """
    data = validated(data_dict, schemas.dataset_listing(), context)
    tk.check_access("registration_dataset_list", context, data)
    user = user_of(context)
    query = (model.Session.query(model.Package)
             .filter(model.Package.owner_org.in_(_registrants_of(user)),
                     model.Package.type.in_(workflow.DATASET_TYPES),
                     model.Package.state.in_(("active", "draft"))))
    total = query.count()
    packages = (query.order_by(model.Package.metadata_modified.desc(), model.Package.id)
                .offset(data["offset"]).limit(data["limit"]).all())
    statuses = workflow.registration_statuses([package.id for package in packages])
    results = []
    for package in packages:
        reg = model.Session.get(Registration, package.id)
        app = workflow.open_application(package.id)
        results.append({
            "id": package.id, "name": package.name, "title": package.title,
            "type": package.type, "state": package.state,
            "metadata_modified": _iso(package.metadata_modified),
            "registrant": _org_brief(package.owner_org),
            "registration_status": statuses[package.id],
            "registration": registration_dict(reg) if reg is not None else None,
            "open_application": application_dict(app, user) if app is not None else None,
        })
    return {"count": total, "results": results}


@registry.action
@tk.side_effect_free
def registration_history(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The history events of an application (``id``) or of a dataset (``package_id``).

    :param id: the application
    :param package_id: the dataset (all its applications and registration events)
    """
    data = validated(data_dict, schemas.history(), context)
    if not data.get("id") and not data.get("package_id"):
        raise tk.ValidationError({"id": ["请指定申请或数据 / Give id or package_id"]})
    tk.check_access("registration_history", context, data)
    events = history.events_for(model.Session, application_id=data.get("id"),
                                package_id=data.get("package_id"))
    result = []
    for event in events:
        actor = model.User.get(event.actor_id) if event.actor_id else None
        result.append({
            "id": event.id, "subject": event.subject, "application_id": event.application_id,
            "package_id": event.package_id, "action": event.action,
            "from_state": event.from_state, "to_state": event.to_state,
            "actor": actor.name if actor else None, "role": event.role,
            "institution": _org_brief(event.institution_id), "reasons": event.note,
            # An agency acting for the registrant (Art. 16), named in the event's data.
            "agency": _org_brief((event.data or {}).get("agency_id")),
            "data": event.data or {}, "created": _iso(event.created),
            "hash": event.hash, "prev_hash": event.prev_hash,
        })
    return result


@registry.action
@tk.side_effect_free
def registration_history_verify(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Verify the whole hash chain of the history; lists every broken or altered event."""
    tk.check_access("registration_history_verify", context, data_dict)
    return history.verify(model.Session).as_dict()


@registry.action
@tk.side_effect_free
def registration_late_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Datasets whose first registration is late (Art. 18: 20 working days after the activity
    started, 30 after the rules took effect for earlier activity).

    :param catalogue: also list government catalogue entries whose registration is overdue
        though nobody started it (``source: catalogue``; counted from the first import)
    """
    data = validated(data_dict, schemas.late_list(), context)
    tk.check_access("registration_late_list", context, data)

    # Each caller sees the late datasets of the registrants under their jurisdiction.
    reader = user_of(context)
    rows = [{**row, "source": "dataset"} for row in late.late_registrations()
            if visibility.may_see(reader, model.Package.get(row["package_id"]))]
    if data.get("catalogue"):
        rows += [{**row, "source": "catalogue"} for row in late.catalogue_obligations()
                 if _oversees_registrant(reader, row["registrant_id"])]
    return rows


def _oversees_registrant(user: model.User | None, registrant_id: str | None) -> bool:
    """Officials over the registrant's institution; an entry with no registrant on the
    platform is the city institution's (and the city authority's) to pursue."""
    registrant = jurisdiction.profile(registrant_id) if registrant_id else None
    if registrant is None:
        city = jurisdiction.city_institution()
        return city is not None and jurisdiction.oversees(user, city.id)
    return jurisdiction.oversees(user, jurisdiction.home_institution(registrant))


@registry.action
def registration_notification_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The caller's workflow notifications, newest first.

    :param limit: default 50
    :param mark_read: mark the returned ones as read
    """
    data = validated(data_dict, schemas.notifications(), context)
    tk.check_access("registration_notification_list", context, data)
    user = user_of(context)
    assert user is not None
    rows = (model.Session.query(Notification).filter(Notification.user_id == user.id)
            .order_by(Notification.created.desc(), Notification.id).limit(data["limit"]).all())
    result = []
    for row in rows:
        package = model.Package.get(row.package_id) if row.package_id else None
        transition = workflow.TRANSITION_BY_NAME.get(row.action)
        result.append({
            "id": row.id, "application_id": row.application_id, "package_id": row.package_id,
            "package_title": package.title if package else None, "action": row.action,
            "label": (transition.label if transition
                      else workflow.EVENT_LABELS.get(row.action, {})), "to_state": row.to_state,
            "created": _iso(row.created), "read": row.read_at is not None})
    unread = notifications.unread_count(user.id)
    if data["mark_read"]:
        with workflow.transaction() as session:
            (session.query(Notification)
             .filter(Notification.user_id == user.id, Notification.read_at.is_(None))
             .update({"read_at": dt.datetime.utcnow()}))
    return {"unread": unread, "results": result}


# ---------------------------------------------------------------------------
# Registrant accounts (Art. 13)


def _set_org_fields(org_id: str, fields: dict[str, Any]) -> None:
    group = model.Group.get(org_id)
    assert group is not None
    for key, value in fields.items():
        group.extras[key] = value if isinstance(value, str) else str(value).lower()


def _create_account(context: Context, entry: dict[str, Any]) -> dict[str, Any]:
    """Create a party-government registrant, its admin user and the membership (no commit)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    base: Context = {"ignore_auth": True, "defer_commit": True, "user": site_user["name"]}
    level = entry.get("admin_level") or "city"
    district = entry.get("district_code") or jurisdiction.CITY_CODE
    if level not in ("city", "district") or (
            level == "district" and district not in jurisdiction.DISTRICTS):
        raise tk.ValidationError({"district_code": [
            "行政层级与区划代码不符 / admin_level and district_code do not match"]})
    password = entry.get("user_password") or secrets.token_urlsafe(18)
    user = tk.get_action("user_create")(dict(base), {
        "name": entry["user_name"], "email": entry["user_email"],
        "fullname": entry.get("user_fullname") or entry["org_title"], "password": password})
    org = tk.get_action("organization_create")(dict(base), {
        "name": entry["org_name"], "title": entry["org_title"],
        "users": [{"name": user["name"], "capacity": "admin"}]})
    _set_org_fields(org["id"], {
        "org_kind": "registrant", "registrant_type": "party_gov", "admin_level": level,
        "district_code": district, "uscc": entry.get("uscc") or "", "verified": "true",
        "contact_name": entry.get("contact_name") or "",
        "contact_phone": entry.get("contact_phone") or "",
        "contact_email": entry.get("contact_email") or entry["user_email"]})
    return {"organization": org["name"], "organization_id": org["id"], "user": user["name"]}


@registry.action
def registrant_account_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The city institution creates a party-government registrant account (Art. 13).

    :param org_name, org_title, uscc, admin_level, district_code, contact_name,
        contact_phone, contact_email: the registrant organization
    :param user_name, user_fullname, user_email, user_password: its first administrator
    """
    tk.check_access("registrant_account_create", context, data_dict)
    data = validated(data_dict, schemas.account(), context)
    with workflow.transaction():
        return _create_account(context, data)


@registry.action
def registrant_account_bulk_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create many party-government registrant accounts at once, all or none.

    :param accounts: list of dicts as for ``registrant_account_create``, or
    :param csv: CSV text with those keys as its header row
    """
    tk.check_access("registrant_account_bulk_create", context, data_dict)
    entries = data_dict.get("accounts")
    if entries is None and data_dict.get("csv"):
        entries = list(csv.DictReader(io.StringIO(str(data_dict["csv"]).strip())))
    if not entries or not isinstance(entries, list):
        raise tk.ValidationError({"accounts": ["请提供账号列表 / accounts is required"]})
    accounts, errors = [], {}
    for index, entry in enumerate(entries, start=1):
        try:
            accounts.append(validated(dict(entry), schemas.account(), context))
        except tk.ValidationError as error:
            errors[f"row {index}"] = [str(error.error_dict)]
    if errors:
        raise tk.ValidationError(errors)
    created = []
    with workflow.transaction():
        for index, entry in enumerate(accounts, start=1):
            try:
                created.append(_create_account(context, entry))
            except tk.ValidationError as error:
                raise tk.ValidationError({f"row {index}": [str(error.error_dict)]}) from error
    return {"created": created}


@registry.action
def registrant_register(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Self-registration of a registrant that is not a party-government body (Art. 13).

    The caller becomes the organization's admin; the organization can submit
    applications once the city institution has verified it.
    """
    tk.check_access("registrant_register", context, data_dict)
    data = validated(data_dict, schemas.self_register(), context)
    if data["registrant_type"] not in ("public_institution", "enterprise", "operator", "other"):
        raise tk.ValidationError({"registrant_type": [
            "主体类型无效 / registrant_type must be public_institution, enterprise, operator "
            "or other"]})
    user = user_of(context)
    assert user is not None
    with workflow.transaction():
        org = tk.get_action("organization_create")(
            {"ignore_auth": True, "defer_commit": True, "user": user.name},
            {"name": data["org_name"], "title": data["org_title"]})
        _set_org_fields(org["id"], {
            "org_kind": "registrant", "registrant_type": data["registrant_type"],
            "admin_level": data["admin_level"], "district_code": data["district_code"],
            "uscc": data.get("uscc") or "", "verified": "false",
            "contact_name": data.get("contact_name") or "",
            "contact_phone": data.get("contact_phone") or "",
            "contact_email": data.get("contact_email") or user.email or ""})
    return {"organization": org["name"], "organization_id": org["id"], "verified": False}


@registry.action
def registrant_verify(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The city institution verifies (or un-verifies) a self-registered registrant.

    :param id: the registrant organization
    :param verified: default true
    """
    data = validated(data_dict, schemas.verify(), context)
    tk.check_access("registrant_verify", context, data)
    org = jurisdiction.profile(data["id"])
    if org is None or org.kind != "registrant":
        raise tk.ObjectNotFound("登记主体不存在 / Registrant not found")
    with workflow.transaction():
        _set_org_fields(org.id, {"verified": "true" if data["verified"] else "false"})
    return {"id": org.id, "name": org.name, "verified": bool(data["verified"])}
