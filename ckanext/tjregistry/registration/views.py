"""Registration workflow pages: registrants' applications, reviewers' queue, history, accounts.

Every page calls the same actions as the API; the buttons offered on an application
come from the transition table through ``allowed_actions``.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

import ckan.lib.helpers as h
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.tjregistry.common import jurisdiction, registry, texts, workdays
from ckanext.tjregistry.registration import agencies, freeze, workflow

registration = registry.blueprint(
    Blueprint("tjregistry_workflow", __name__, url_prefix="/registration"))

# Form posts accepted on an application page, mapped to their actions.
APPLICATION_ACTIONS = {
    "accept": "registration_accept",
    "transfer": "registration_transfer",
    "request_supplement": "registration_request_supplement",
    "approve": "registration_approve",
    "reject": "registration_reject",
    "refuse": "registration_refuse",
    "withdraw": "registration_withdraw",
    "withdraw_decide": "registration_withdraw_decide",
    "resubmit": "registration_resubmit",
}


# Decisions that end a procedure and cannot be undone: the page asks for a confirmation
# and the view decides only with it (the API takes the call itself as the decision).
FINAL_DECISIONS = ("reject", "refuse", "revoke")


def _context() -> dict[str, Any]:
    return {"user": current_user.name if current_user.is_authenticated else ""}


def _require_login() -> None:
    if not current_user.is_authenticated:
        tk.abort(403, tk._("Please log in first"))


def _flash_errors(error: tk.ValidationError, shown_in_form: tuple[str, ...] = ()) -> None:
    """A message per refused input, named by its label, not its key; inputs whose
    message the page shows next to the control (``shown_in_form``) are left out."""
    for field, messages in (error.error_dict or {}).items():
        if field in shown_in_form:
            continue
        text = _in_page_language(messages)
        label = workflow.INPUT_LABELS.get(field, field)
        if not (h.lang() or "zh").startswith("zh"):
            label = field.replace("_", " ")
        h.flash_error(str(text) if label in str(text) else f"{label}: {text}")


def _form() -> dict[str, Any]:
    return {key: value for key, value in request.form.items() if key != "_csrf_token"}


# The query-string parameters of the list pages, passed on to ``registration_list``.
LIST_FILTERS = ("state", "application_type", "overdue", "q", "sort", "order")
PAGE_SIZE = 50


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


@registration.route("/")
def index() -> ResponseReturnValue:
    """The caller's applications (registrants), queue (reviewers) or overview (authority),
    paged, with search, sort and filters kept in the query string."""
    _require_login()
    scope = request.args.get("scope") or "mine"
    filters = {key: request.args.get(key, "").strip() for key in LIST_FILTERS}
    filters["overdue"] = "1" if filters["overdue"] in ("1", "true", "on") else ""
    page = _page_number(request.args.get("page"))
    data: dict[str, Any] = {"scope": scope, "limit": PAGE_SIZE,
                            "offset": (page - 1) * PAGE_SIZE}
    data.update({key: value for key, value in filters.items() if value})
    errors: dict[str, Any] = {}
    try:
        result = tk.get_action("registration_list")(_context(), data)
    except tk.ValidationError as error:
        errors = error.error_dict or {}
        _flash_errors(error)
        result = {"count": 0, "results": []}
    user = tk.g.userobj or None
    # Every page link keeps the scope, the search, the filters and the sort.
    kept = {"scope": scope, **{key: value for key, value in filters.items() if value}}
    pager = h.Page(collection=[], page=page, item_count=result["count"],
                   items_per_page=PAGE_SIZE,
                   url=lambda page, **_: h.url_for("tjregistry_workflow.index", page=page,
                                                   **kept))
    return tk.render("tjregistry/workflow/index.html", {
        "applications": result["results"], "count": result["count"], "scope": scope,
        "state": filters["state"], "overdue": bool(filters["overdue"]), "filters": filters,
        "errors": errors, "page": pager, "page_number": page,
        "is_reviewer": bool(jurisdiction.reviewer_institutions(user)),
        "is_authority": jurisdiction.authority_scope(user) is not None or user.sysadmin,
        "states": [s for s in workflow.STATES if s.subject == workflow.APPLICATION
                   and s.name != workflow.NEW],
        "application_types": workflow.APPLICATION_TYPES,
    })


@registration.route("/queue")
def queue() -> ResponseReturnValue:
    return h.redirect_to("tjregistry_workflow.index", scope="queue")


def _is_registrant_member(user: Any) -> bool:
    return bool(jurisdiction.user_orgs(user, "registrant", acting=False)
                or agencies.represented_registrants(user))


@registration.route("/home")
def landing() -> ResponseReturnValue:
    """Where a login without ``came_from`` lands (``ckan.auth.route_after_login``):
    registrants on 我的登记, reviewers on their queue, everyone else on CKAN's dashboard."""
    _require_login()
    if _is_registrant_member(tk.g.userobj):
        return h.redirect_to("tjregistry_workflow.mine")
    if jurisdiction.reviewer_institutions(tk.g.userobj):
        return h.redirect_to("tjregistry_workflow.index", scope="queue")
    return h.redirect_to("dashboard.datasets")


def _certificate_of(package_id: str) -> dict[str, Any] | None:
    try:
        return tk.get_action("certificate_show")(_context(), {"package_id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None


def _objection_count(app_id: str | None) -> int:
    if not app_id:
        return 0
    try:
        return tk.get_action("objection_list")(
            _context(), {"application_id": app_id, "limit": 1})["count"]
    except (tk.NotAuthorized, tk.ValidationError):
        return 0


@registration.route("/mine")
def mine() -> ResponseReturnValue:
    """我的登记: every dataset of the caller's registrants with its state, open application,
    deadline, registration code, validity and certificate."""
    _require_login()
    page_size = 50
    try:
        page_number = max(int(request.args.get("page") or 1), 1)
    except ValueError:
        page_number = 1
    result = tk.get_action("registration_dataset_list")(
        _context(), {"limit": page_size, "offset": (page_number - 1) * page_size})
    records = []
    for dataset in result["results"]:
        registration_record = dataset["registration"] or {}
        certificate = _certificate_of(dataset["id"]) if registration_record else None
        app = dataset["open_application"]
        # Objections are raised on the application in publicity: the open one, or the
        # one that led to the registration.
        objection_app = (app or {}).get("id") or registration_record.get("application_id")
        records.append({**dataset, "certificate": certificate,
                        "objections": _objection_count(objection_app)})
    pager = h.Page(collection=[], page=page_number, item_count=result["count"],
                   items_per_page=page_size,
                   url=lambda page, **_: h.url_for("tjregistry_workflow.mine", page=page))
    return tk.render("tjregistry/workflow/mine.html", {
        "records": records, "count": result["count"], "page": pager,
        "registrants": jurisdiction.user_orgs(tk.g.userobj, "registrant", acting=False),
        "may_create": bool(jurisdiction.user_orgs(tk.g.userobj, "registrant")),
    })


@registration.route("/application/<app_id>")
def application(app_id: str, form: dict[str, Any] | None = None,
                errors: dict[str, Any] | None = None) -> ResponseReturnValue:
    """The application page; after a refused decision or resubmission, with what was typed
    (``form``) and the refusal (``errors``) next to the controls."""
    _require_login()
    try:
        app = tk.get_action("registration_show")(_context(), {"id": app_id})
        events = tk.get_action("registration_history")(_context(), {"id": app_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Application not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to see this application"))
    submission = tk.get_action("registration_submission_show")(_context(), {"id": app_id})
    return tk.render("tjregistry/workflow/application.html", {
        "app": app, "events": events,
        "refusal_grounds": workflow.REFUSAL_GROUNDS, "ground_labels": workflow.GROUND_LABELS,
        "submission": submission, "fields": _field_labels(app["dataset_type"]),
        "publicity": _publicity_if_approved_today(),
        "form": form or {}, "errors": errors or {}, "final_decisions": FINAL_DECISIONS,
        "transfer_targets": _transfer_targets(app),
    })


def _transfer_targets(app: dict[str, Any]) -> list[Any]:
    """Active institutions other than the one handling it (the guard checks competence)."""
    if not any(action["name"] == "transfer" for action in app["allowed_actions"]):
        return []
    acting = (app.get("acting_institution") or {}).get("id")
    return [inst for inst in jurisdiction.organizations("institution")
            if inst.active and inst.id != acting]


def _field_labels(dataset_type: str | None) -> dict[str, dict[str, Any]]:
    """Label and choice labels of each field of the dataset type, in the page's language."""
    schema = tk.h.scheming_get_dataset_schema(dataset_type) if dataset_type else None
    result: dict[str, dict[str, Any]] = {}
    for field in (schema or {}).get("dataset_fields", []):
        choices = tk.h.scheming_field_choices(field) if (
            "choices" in field or "choices_helper" in field) else None
        result[field["field_name"]] = {
            "label": tk.h.scheming_language_text(field.get("label")) or field["field_name"],
            # Shown as local dates and times, not as stored (ISO, UTC).
            "kind": {"tjregistry_date": "date", "tjregistry_datetime": "datetime"}.get(
                field.get("preset") or "", "text"),
            "choices": {str(choice["value"]): tk.h.scheming_language_text(choice["label"])
                        for choice in choices or []},
        }
    return result


def _publicity_if_approved_today() -> dict[str, Any]:
    """The public notice an approval into publicity starts (publicity/procedure.py): from the
    next working day, for the configured number of working days."""
    days = workdays.limit("publicity")
    today = workdays.local_today()
    return {"days": days, "start": workdays.add_workdays(today, 1),
            "end": workdays.add_workdays(today, days)}


@registration.route("/application/<app_id>/<name>", methods=["POST"])
def application_action(app_id: str, name: str) -> ResponseReturnValue:
    _require_login()
    action = APPLICATION_ACTIONS.get(name)
    if action is None:
        return tk.abort(404, tk._("Unknown action"))
    data = _form()
    data["id"] = app_id
    if name in FINAL_DECISIONS and not data.pop("confirmed", None):
        # The page asks (a dialog, or a required checkbox without JavaScript); a post
        # without the answer decides nothing.
        h.flash_error(tk._("Confirm the decision: it is final and cannot be undone."))
        return application(app_id, form=data)
    if name == "request_supplement":
        data["items"] = [line.strip() for line in (data.get("items") or "").splitlines()
                         if line.strip()]
    try:
        tk.get_action(action)(_context(), data)
        h.flash_success(tk._("Done."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Application not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        # Shown again with what was typed: a refused resubmission keeps its note.
        _flash_errors(error, shown_in_form=("pledge", "internal_review"))
        return application(app_id, form=data, errors=error.error_dict)
    return h.redirect_to("tjregistry_workflow.application", app_id=app_id)


def _editable_fields(dataset_type: str) -> list[dict[str, Any]]:
    schema = tk.h.scheming_get_dataset_schema(dataset_type) or {}
    return [field for field in schema.get("dataset_fields", [])
            if field["field_name"] not in ("name", "owner_org")]


def _submit_input_messages() -> dict[str, str]:
    """The submit page's own inputs: their refusals are shown next to the control."""
    return {
        "pledge": tk._("Sign the integrity pledge to submit the application."),
        "internal_review": tk._("Confirm that your internal business review is done."),
        "reasons": tk._("Give the reasons for this application."),
    }


def _in_page_language(message: Any) -> str:
    """The page language's half of an inline bilingual API message ("中文 / English")."""
    return texts.in_language(message, h.lang() or "zh_Hans_CN")


def _submit_problems(errors: dict[str, Any], dataset_type: str) -> list[dict[str, Any]]:
    """The refusals that are not about a control of the submit page: missing record or
    registrant fields (named by their labels, linked to the form that edits them) and
    workflow refusals (e.g. an application already under way)."""
    schema = tk.h.scheming_get_dataset_schema(dataset_type) or {}
    labels = {field["field_name"]: tk.h.scheming_language_text(field.get("label"))
              for field in schema.get("dataset_fields", [])}
    inputs = _submit_input_messages()
    problems = []
    for key, message in sorted(errors.items()):
        if key in inputs:
            continue
        if key.startswith("registrant_"):
            problems.append({"key": key, "where": "registrant",
                             "message": _in_page_language(message)})
        elif key in labels:
            problems.append({"key": key, "where": "dataset", "label": labels[key],
                             "message": _in_page_language(message)})
        else:
            problems.append({"key": key, "where": None, "message": _in_page_language(message)})
    return problems


@registration.route("/submit/<package_id>", methods=["GET", "POST"])
def submit(package_id: str) -> ResponseReturnValue:
    """Submit an application: type, pledge, internal review; the change form for edits.

    A refusal comes back on the page with every typed value kept, each message next to
    its control or, for the record's own fields, linked to the field in the record form.
    While an application is under way the page says so and offers none."""
    _require_login()
    try:
        dataset = tk.get_action("package_show")(_context(), {"id": package_id})
        status = tk.get_action("registration_status_show")(_context(), {"package_id": package_id})
        tk.check_access("registration_submit", _context(), {"package_id": dataset["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the registrant's editors can apply"))
    if dataset["type"] not in workflow.DATASET_TYPES:
        return tk.abort(400, tk._("Only public data resources and data products and services "
                                  "are registered; this record has no registration metadata."))
    registered = status["registration_status"] == "registered"
    application_type = request.values.get("application_type") or (
        "change" if registered else "initial")
    errors: dict[str, Any] = {}
    data: dict[str, Any] = dict(dataset)
    form: dict[str, Any] = {}
    open_application = status.get("open_application")
    if request.method == "POST" and open_application is None:
        form = _form()
        payload: dict[str, Any] = {
            "package_id": dataset["id"], "application_type": application_type,
            "pledge": form.get("pledge") == "on",
            "internal_review": form.get("internal_review") == "on",
            "internal_review_note": form.get("internal_review_note") or "",
            "reasons": form.get("reasons") or "",
        }
        if application_type in ("change", "correction"):
            fields = {f["field_name"] for f in _editable_fields(dataset["type"])}
            changes = {}
            for key in fields & set(form):
                current = dataset.get(key)
                if isinstance(current, list):
                    values = [v for v in request.form.getlist(key) if v]
                    if values != [str(v) for v in current]:
                        changes[key] = values
                elif form[key] != _as_form_value(current):
                    changes[key] = form[key]
            payload["proposed"] = changes
            data.update(changes)
        try:
            app = tk.get_action("registration_submit")(_context(), payload)
            h.flash_success(tk._("The application was submitted."))
            return h.redirect_to("tjregistry_workflow.application", app_id=app["id"])
        except tk.ValidationError as error:
            errors = error.error_dict or {}
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
    input_errors = {key: message for key, message in _submit_input_messages().items()
                    if key in errors}
    return tk.render("tjregistry/workflow/submit.html", {
        "dataset": dataset, "data": data, "errors": errors, "status": status,
        "registered": registered, "application_type": application_type,
        "fields": _editable_fields(dataset["type"]) if application_type in (
            "change", "correction") else [],
        "registrant": jurisdiction.profile(dataset["owner_org"]),
        "form": form, "input_errors": input_errors,
        "problems": _submit_problems(errors, dataset["type"]),
        "open_application": open_application,
    })


def _as_form_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@registration.route("/dataset/<package_id>/history")
def dataset_history(package_id: str) -> ResponseReturnValue:
    _require_login()
    try:
        dataset = tk.get_action("package_show")(_context(), {"id": package_id})
        events = tk.get_action("registration_history")(_context(), {"package_id": dataset["id"]})
        status = tk.get_action("registration_status_show")(_context(),
                                                           {"package_id": dataset["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to see this history"))
    current = status["registration_status"]
    may_revoke = (_starts_from("revoke", current)
                  and _allowed("registration_revoke", {"package_id": dataset["id"]}))
    may_review = (_starts_from("revocation_review", current)
                  and _allowed("registration_revocation_review", {"package_id": dataset["id"]}))
    return tk.render("tjregistry/workflow/dataset_history.html", {
        "dataset": dataset, "events": events, "status": status, "may_revoke": may_revoke,
        "may_review": may_review, "revocation_grounds": workflow.REVOCATION_GROUNDS,
        "ground_labels": workflow.GROUND_LABELS,
    })


def _starts_from(action: str, registration_status: str) -> bool:
    """Whether the transition table lets ``action`` start from the registration's status."""
    return any(registration_status in transition.sources
               for transition in workflow.transitions_for(action, workflow.REGISTRATION))


def _allowed(auth: str, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(auth, _context(), data)
    except tk.NotAuthorized:
        return False
    return True


@registration.route("/dataset/<package_id>/<name>", methods=["POST"])
def dataset_action(package_id: str, name: str) -> ResponseReturnValue:
    _require_login()
    actions = {"revoke": "registration_revoke",
               "revocation_review": "registration_revocation_review"}
    if name not in actions:
        return tk.abort(404, tk._("Unknown action"))
    data = _form()
    data["package_id"] = package_id
    if name in FINAL_DECISIONS and not data.pop("confirmed", None):
        h.flash_error(tk._("Confirm the decision: it is final and cannot be undone."))
        return h.redirect_to("tjregistry_workflow.dataset_history", package_id=package_id)
    try:
        tk.get_action(actions[name])(_context(), data)
        h.flash_success(tk._("Done."))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        _flash_errors(error)
    return h.redirect_to("tjregistry_workflow.dataset_history", package_id=package_id)


@registration.route("/notifications", methods=["GET", "POST"])
def notifications() -> ResponseReturnValue:
    _require_login()
    mark = request.method == "POST"
    result = tk.get_action("registration_notification_list")(
        _context(), {"limit": 100, "mark_read": mark})
    if mark:
        return h.redirect_to("tjregistry_workflow.notifications")
    return tk.render("tjregistry/workflow/notifications.html", {"result": result})


@registration.route("/accounts", methods=["GET", "POST"])
def accounts() -> ResponseReturnValue:
    """The city institution creates party-government accounts and verifies registrants."""
    _require_login()
    if not _allowed("registrant_account_create", {}):
        return tk.abort(403, tk._("Only the city registration institution manages accounts"))
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = _form()
        try:
            if form.get("mode") == "bulk":
                result = tk.get_action("registrant_account_bulk_create")(
                    _context(), {"csv": form.get("csv") or ""})
                h.flash_success(tk._("{count} accounts created.").format(
                    count=len(result["created"])))
            elif form.get("mode") == "identity":
                tk.get_action("registrant_identity_change_decide")(_context(), {
                    "id": form.get("id"), "approve": form.get("approve", "true"),
                    "reasons": form.get("reasons") or ""})
                h.flash_success(tk._("Done."))
            elif form.get("mode") == "verify":
                tk.get_action("registrant_verify")(
                    _context(), {"id": form.get("id"), "verified": form.get("verified", "true")})
                h.flash_success(tk._("Done."))
            else:
                tk.get_action("registrant_account_create")(_context(), form)
                h.flash_success(tk._("The account was created."))
            return h.redirect_to("tjregistry_workflow.accounts")
        except tk.ValidationError as error:
            _flash_errors(error)
    registrants = jurisdiction.organizations("registrant")
    changes = tk.get_action("registrant_identity_change_list")(_context(), {})
    titles = {org.id: org.title for org in registrants}
    return tk.render("tjregistry/workflow/accounts.html", {
        "registrants": registrants, "form": form, "districts": jurisdiction.DISTRICTS,
        "identity_changes": [{**change, "title": titles.get(change["organization_id"], "")}
                             for change in changes]})


@registration.route("/register", methods=["GET", "POST"])
def register_registrant() -> ResponseReturnValue:
    """Self-registration of a registrant organization (verified later by the city)."""
    _require_login()
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = _form()
        try:
            made = tk.get_action("registrant_register")(_context(), form)
            h.flash_success(tk._("Registered. The city registration institution will verify "
                                 "your organization before you can apply."))
            return h.redirect_to("organization.read", id=made["organization"])
        except tk.ValidationError as error:
            _flash_errors(error)
    return tk.render("tjregistry/workflow/register.html", {
        "form": form, "districts": jurisdiction.DISTRICTS})


# --------------------------------------------------- CKAN's dataset form pages ---
def _dataset_form_view() -> tuple[str, str]:
    """(dataset type, view) when the request is for a registration type's dataset or data
    file form, else ("", "")."""
    blueprint, _dot, view = (request.endpoint or "").partition(".")
    dataset_type = blueprint.removesuffix("_resource")
    if dataset_type not in workflow.DATASET_TYPES:
        return "", ""
    return dataset_type, ("resource_" + view if blueprint.endswith("_resource") else view)


@registration.before_app_request
def _why_not_editable() -> ResponseReturnValue | None:
    """管理 on a registered record or one under review: the 403 says why (freeze.py), as
    the API does, instead of CKAN's bare "not authorized to edit"."""
    dataset_type, view = _dataset_form_view()
    if view != "edit" or not current_user.is_authenticated:
        return None
    package_id = (request.view_args or {}).get("id") or ""
    try:
        # Only those who may see the record learn why (an outsider gets CKAN's answer).
        tk.check_access("package_show", _context(), {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
    try:
        tk.check_access("package_update", _context(), {"id": package_id})
    except tk.NotAuthorized:
        reason = freeze.locked_reason(_package_id(package_id))
        if reason == freeze.REGISTERED:
            return tk.abort(403, tk._(
                "This record is registered: it changes only through a change, correction or "
                "cancellation application, made from the record page."))
        if reason == freeze.UNDER_REVIEW:
            return tk.abort(403, tk._(
                "This record cannot be edited while its registration application is being "
                "handled. It can be edited again if the institution asks for a supplement, "
                "or after the application is decided or withdrawn."))
    except tk.ObjectNotFound:
        return None
    return None


def _package_id(name_or_id: str) -> str:
    package = model.Package.get(name_or_id)
    return package.id if package is not None else ""


@registration.after_app_request
def _flash_dataset_saved(response: Any) -> Any:
    """A success message when the record form or its data file form has saved (CKAN's
    views redirect without one)."""
    if request.method != "POST" or response.status_code not in (302, 303):
        return response
    dataset_type, view = _dataset_form_view()
    location = response.headers.get("Location") or ""
    if view == "new" and "/resource/new" in location:
        h.flash_success(tk._("The record was saved as a draft. Add its data files, then "
                             "apply for registration."))
    elif view == "new" or (view == "resource_new" and request.form.get("save") == "go-metadata"):
        h.flash_success(tk._("The record was created. You can now apply for its registration."))
    elif view == "edit":
        h.flash_success(tk._("The changes were saved."))
    return response

