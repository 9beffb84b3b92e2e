"""Public pages: the publicity (and its Atom feed), objections, and the registration query.

Every page calls the same actions as the API. Forms carry CKAN's CSRF token and
are checked here (CKAN 2.11 leaves extension blueprints to do so themselves).
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Blueprint, current_app, request, send_file
from flask.typing import ResponseReturnValue

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.tjregistry.certificates.content import CATEGORY_LABELS
from ckanext.tjregistry.common import ratelimit, registry, workdays
from ckanext.tjregistry.publicity import objection_limits, objections, public_query
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.registration import workflow

public_pages = registry.blueprint(
    Blueprint("tjregistry_publicity", __name__, url_prefix="/registration"))

PAGE_SIZE = 20
# Room for the multipart envelope and the text fields around the evidence files.
_FORM_OVERHEAD_BYTES = 256 * 1024


def _context() -> dict[str, Any]:
    return {"user": current_user.name if current_user.is_authenticated else ""}


def _protect() -> None:
    """CSRF check of a form post (as CKAN does for its own forms when CSRF is enabled)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()


def _form() -> dict[str, Any]:
    return {key: value for key, value in request.form.items()
            if key not in ("_csrf_token", "csrf_token")}


def _rate_limited(error: ratelimit.RateLimited) -> ResponseReturnValue:
    body = tk.render("tjregistry/publicity/rate_limited.html",
                     {"retry_after": error.retry_after})
    return body, 429, {"Retry-After": str(error.retry_after)}


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


# ---------------------------------------------------------------------------
# Publicity


@public_pages.route("/publicity")
def index() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()[:100]
    page = _page()
    result = tk.get_action("registration_publicity_list")(
        _context(), {"q": q, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    pager = h.Page(collection=result["results"], page=page, item_count=result["count"],
                   items_per_page=PAGE_SIZE,
                   url=lambda page: h.url_for("tjregistry_publicity.index", q=q or None,
                                              page=page),
                   presliced_list=True)
    return tk.render("tjregistry/publicity/index.html", {
        "items": result["results"], "count": result["count"], "q": q, "page": pager,
        "today": workdays.local_today().isoformat()})


@public_pages.route("/publicity.atom")
def feed() -> ResponseReturnValue:
    limit = tk.asint(tk.config.get("tjregistry.publicity.feed_limit"))
    result = tk.get_action("registration_publicity_list")(_context(), {"limit": limit})
    site = tk.config.get("ckan.site_url").rstrip("/")
    generator = FeedGenerator()
    generator.id(f"{site}/registration/publicity")
    generator.title(f"{tk.config.get('ckan.site_title')} · 登记公示 / Registration publicity")
    generator.link(href=f"{site}/registration/publicity", rel="alternate")
    generator.link(href=f"{site}/registration/publicity.atom", rel="self")
    generator.language("zh-CN")
    generator.updated(dt.datetime.now(dt.timezone.utc))
    for item in reversed(result["results"]):  # feedgen prepends each new entry
        entry = generator.add_entry()
        url = f"{site}/registration/publicity/{item['id']}"
        entry.id(url)
        entry.title(item["data_name"])
        entry.link(href=url, rel="alternate")
        entry.author({"name": item["registrant_name"]})
        start = dt.date.fromisoformat(item["publicity_start"])
        entry.published(dt.datetime.combine(start, dt.time(), workdays.timezone()))
        entry.updated(dt.datetime.combine(start, dt.time(), workdays.timezone()))
        entry.category(term=item["registration_type"],
                       label=item["registration_type_label"]["zh_Hans_CN"])
        entry.summary(item["content_summary"])
        entry.content("\n".join([
            f"登记主体名称 / Registrant: {item['registrant_name']}",
            f"登记类型 / Registration type: {item['registration_type_label']['zh_Hans_CN']}"
            f" / {item['registration_type_label']['en']}",
            f"登记数据名称 / Data name: {item['data_name']}",
            f"数据内容简介 / Content summary: {item['content_summary']}",
            f"公示期 / Publicity period: {item['publicity_start']} – {item['publicity_end']}",
        ]), type="text")
    response = current_app.response_class(generator.atom_str(pretty=True),
                                          mimetype="application/atom+xml")
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


def _running_item(app_id: str) -> dict[str, Any]:
    app = publicity.running(app_id)
    if app is None:
        return tk.abort(404, tk._("This publicity does not exist or has ended."))
    return publicity.item(app)


@public_pages.route("/publicity/<app_id>")
def read(app_id: str) -> ResponseReturnValue:
    return tk.render("tjregistry/publicity/read.html", {"item": _running_item(app_id)})


def _objection_form(item: dict[str, Any], form: dict[str, Any],
                    errors: dict[str, Any]) -> str:
    return tk.render("tjregistry/objections/form.html", {
        "item": item, "form": form, "errors": errors,
        "id_types": objections.ID_TYPE_LABELS, "categories": objections.CATEGORY_LABELS,
        "interests": objection_limits.INTEREST_LABELS,
        "interest_min": objection_limits.interest_min(),
        "max_files": objections.max_files(),
        "max_file_kb": objections.max_file_bytes() // 1024,
        "accept": ",".join(objections.allowed_types()),
    })


@public_pages.route("/publicity/<app_id>/objection", methods=["GET", "POST"])
def object_to(app_id: str) -> ResponseReturnValue:
    item = _running_item(app_id)
    if request.method == "GET":
        return _objection_form(item, {}, {})
    limit = objections.max_files() * objections.max_file_bytes() + _FORM_OVERHEAD_BYTES
    if (request.content_length or 0) > limit:
        return tk.abort(413, tk._("The files are too large."))
    _protect()
    form = _form()
    data = {**form, "application_id": app_id,
            "evidence": [f for f in request.files.getlist("evidence") if f.filename]}
    try:
        made = tk.get_action("objection_create")(_context(), data)
    except ratelimit.RateLimited as error:
        return _rate_limited(error)
    except tk.ValidationError as error:
        return _objection_form(item, form, error.error_dict), 400
    body = tk.render("tjregistry/objections/receipt.html", {"item": item, "made": made})
    # The token is shown once: keep the page out of every cache.
    return body, 201, {"Cache-Control": "no-store"}


@public_pages.route("/objection/track", methods=["GET", "POST"])
def track() -> ResponseReturnValue:
    """The objector follows an objection with its number and token."""
    objection = None
    errors: dict[str, Any] = {}
    number = ""
    if request.method == "POST":
        _protect()
        number = (request.form.get("number") or "").strip()[:40]
        token = (request.form.get("token") or "").strip()[:100]
        try:
            objection = tk.get_action("objection_show")(_context(),
                                                        {"id": number, "token": token})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            # One answer for both, so numbers cannot be probed.
            errors = {"number": [tk._("No objection matches this number and token.")]}
        except tk.ValidationError as error:
            errors = error.error_dict
    return tk.render("tjregistry/objections/track.html", {
        "objection": objection, "errors": errors, "number": number,
        "id_types": objections.ID_TYPE_LABELS})


# ---------------------------------------------------------------------------
# Objections: the institution and the registrant


def _require_login() -> None:
    if not current_user.is_authenticated:
        tk.abort(403, tk._("Please log in first"))


@public_pages.route("/objections")
def objection_index() -> ResponseReturnValue:
    _require_login()
    status = request.args.get("status") or ""
    data: dict[str, Any] = {"limit": 200}
    if status in objections.STATUS_LABELS:
        data["status"] = status
    result = tk.get_action("objection_list")(_context(), data)
    return tk.render("tjregistry/objections/index.html", {
        "objections": result["results"], "count": result["count"], "status": status,
        "statuses": objections.STATUS_LABELS})


def _allowed(auth: str, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(auth, _context(), data)
    except tk.NotAuthorized:
        return False
    return True


@public_pages.route("/objections/<objection_id>")
def objection_read(objection_id: str) -> ResponseReturnValue:
    _require_login()
    try:
        objection = tk.get_action("objection_show")(_context(), {"id": objection_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Objection not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to see this objection"))
    pending = objection["status"] == objections.PENDING
    return tk.render("tjregistry/objections/read.html", {
        "objection": objection,
        "may_respond": pending and not objection.get("response")
        and _allowed("objection_respond", {"id": objection["id"]}),
        "may_decide": pending and _allowed("objection_decide", {"id": objection["id"]}),
        "id_types": objections.ID_TYPE_LABELS,
    })


@public_pages.route("/objections/<objection_id>/<name>", methods=["POST"])
def objection_action(objection_id: str, name: str) -> ResponseReturnValue:
    _require_login()
    actions = {"respond": "objection_respond", "decide": "objection_decide"}
    if name not in actions:
        return tk.abort(404, tk._("Unknown action"))
    _protect()
    data = {**_form(), "id": objection_id}
    try:
        tk.get_action(actions[name])(_context(), data)
        h.flash_success(tk._("Done."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Objection not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        for field_name, messages in (error.error_dict or {}).items():
            text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else messages
            h.flash_error(f"{field_name}: {text}")
    return h.redirect_to("tjregistry_publicity.objection_read", objection_id=objection_id)


@public_pages.route("/objections/<objection_id>/evidence/<file_id>")
def evidence(objection_id: str, file_id: str) -> ResponseReturnValue:
    """An evidence file, for the institution handling the objection and sysadmins only."""
    _require_login()
    try:
        objection = objections.get(objection_id)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Objection not found"))
    if not objections.handles(tk.g.userobj or None, objection):
        return tk.abort(403, tk._("Not authorized to see this objection"))
    stored = next((f for f in objections.files_of(objection) if f.id == file_id), None)
    if stored is None:
        return tk.abort(404, tk._("File not found"))
    path = objections.file_path(stored.stored_name)
    if not os.path.isfile(path):
        return tk.abort(404, tk._("File not found"))
    response = send_file(path, mimetype=stored.mime_type, as_attachment=True,
                         download_name=stored.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------
# The public registration query (Art. 24)


@public_pages.route("/query")
def query() -> ResponseReturnValue:
    fields = {key: (request.args.get(key) or "").strip()[:100]
              for key in ("code", "registrant", "name", "q", "status")}
    searched = any(fields.values())
    result: dict[str, Any] = {"count": 0, "results": []}
    errors: dict[str, Any] = {}
    page = _page()
    if searched:
        try:
            ratelimit.hit("query")
            result = tk.get_action("registration_query")(
                _context(), {**{k: v for k, v in fields.items() if v},
                             "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
        except ratelimit.RateLimited as error:
            return _rate_limited(error)
        except tk.ValidationError as error:
            errors = error.error_dict
    pager = h.Page(collection=result["results"], page=page, item_count=result["count"],
                   items_per_page=PAGE_SIZE,
                   url=lambda page: h.url_for("tjregistry_publicity.query", page=page,
                                              **{k: v for k, v in fields.items() if v}),
                   presliced_list=True)
    return tk.render("tjregistry/publicity/query.html", {
        "fields": fields, "searched": searched, "result": result, "errors": errors,
        "page": pager, "statuses": public_query.QUERY_STATUSES,
        "categories": {key: workflow.L(*pair) for key, pair in CATEGORY_LABELS.items()},
        "field_labels": _field_labels()})


def _field_labels() -> dict[str, dict[str, Any]]:
    """``{dataset type: {field name: label}}`` from the scheming schemas."""
    schemas = tk.h.scheming_dataset_schemas() or {}
    return {name: {f["field_name"]: f.get("label") for f in schema.get("dataset_fields", [])}
            for name, schema in schemas.items()}
