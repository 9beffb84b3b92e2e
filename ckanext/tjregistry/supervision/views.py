"""Supervision pages (Art. 27, 28): statistics, service reports and institution supervision.

Each page calls the same actions as the API, so the access rules are those of
``logic/supervision_auth.py``: anyone else gets a 403.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.tjregistry.common import charts as svg
from ckanext.tjregistry.common import registry, tabular, workdays
from ckanext.tjregistry.metadata import vocabularies
from ckanext.tjregistry.supervision import qualification as supervision
from ckanext.tjregistry.supervision import report_pdf, reports, statistics

supervision_pages = registry.blueprint(
    Blueprint("tjregistry_statistics", __name__, url_prefix="/registration"))

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _context() -> dict[str, Any]:
    return {"user": current_user.name if current_user.is_authenticated else ""}


def _lang() -> str:
    return "en" if (h.lang() or "").startswith("en") else "zh_Hans_CN"


def _flash_errors(error: tk.ValidationError) -> None:
    for field, messages in (error.error_dict or {}).items():
        text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else messages
        h.flash_error(f"{field}: {text}")


def _download(data: bytes, fmt: str, filename: str) -> Response:
    return Response(data, mimetype=CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Type": CONTENT_TYPES[fmt],
                             "Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


def _filters() -> dict[str, str]:
    return {key: (request.args.get(key) or "").strip()
            for key in ("date_from", "date_to", "district") if request.args.get(key)}


def _statistics(filters: dict[str, str]) -> dict[str, Any]:
    """The statistics, or a 403 page for those who may not see them."""
    try:
        return tk.get_action("registration_statistics_show")(_context(), filters)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))


# ---------------------------------------------------------------------------
# Statistics


@supervision_pages.route("/statistics")
def statistics_page() -> ResponseReturnValue:
    filters = _filters()
    try:
        stats = tk.get_action("registration_statistics_show")(_context(), filters)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        _flash_errors(error)
        filters = {}
        stats = _statistics(filters)
    lang = _lang()
    area = statistics.viewer_area(tk.g.userobj or None)
    districts = list(vocabularies.DISTRICT) if area == statistics.CITY else []
    return tk.render("tjregistry/statistics/index.html", {
        "stats": stats, "charts": statistics.charts(stats, lang), "filters": filters,
        "districts": districts, "lang": lang, "sections": statistics.SECTIONS,
        "section_labels": statistics.SECTION_LABELS, "labels": statistics.LABELS,
        "outcomes": statistics.OUTCOMES, "monthly_events": statistics.MONTHLY_EVENTS,
        "limits": {"first_filing": workdays.limit("first_filing"),
                   "transition": workdays.limit("transition")},
    })


@supervision_pages.route("/statistics/download.<fmt>")
def statistics_download(fmt: str) -> ResponseReturnValue:
    if fmt not in ("csv", "xlsx"):
        return tk.abort(404, tk._("Unknown format"))
    try:
        stats = tk.get_action("registration_statistics_show")(_context(), _filters())
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        return tk.abort(400, "; ".join(f"{k}: {v}" for k, v in error.error_dict.items()))
    lang = request.args.get("lang") or _lang()
    name = (f"registration-statistics-{stats['area']}-{stats['period']['from']}-"
            f"{stats['period']['to']}")
    if fmt == "csv":
        section = request.args.get("section") or "district"
        if section not in statistics.SECTIONS:
            return tk.abort(400, tk._("Unknown section"))
        table = statistics.table(stats, section, lang)
        return _download(tabular.to_csv(table.headers, table.rows), "csv",
                         f"{name}-{section}.csv")
    return _download(statistics.to_xlsx(stats, lang), "xlsx", f"{name}.xlsx")


# ---------------------------------------------------------------------------
# Service reports


@supervision_pages.route("/reports/service")
def service_report_page() -> ResponseReturnValue:
    user = tk.g.userobj or None
    visible = reports.reports_visible_to(user)
    if not visible:
        return tk.abort(403, tk._("Not authorized to see service reports"))
    wanted = (request.args.get("institution") or visible[0].name).strip()
    data = {"institution": wanted, "date_from": request.args.get("date_from") or "",
            "date_to": request.args.get("date_to") or ""}
    try:
        report = tk.get_action("institution_service_report")(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Registration institution not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        _flash_errors(error)
        data.update(date_from="", date_to="")
        report = tk.get_action("institution_service_report")(_context(), data)
    lang = _lang()

    bars = [(statistics.text(row["label"], lang), {"on_time": row["on_time"], "late": row["late"]})
            for row in report["timeliness"]]
    series = [svg.Series("on_time", statistics.text(reports.LABELS["on_time"], lang), "#009E73"),
              svg.Series("late", statistics.text(reports.LABELS["late"], lang), "#D55E00")]
    chart = svg.stacked_bars("tjr-chart-timeliness",
                             statistics.text(reports.LABELS["timeliness"], lang), bars, series,
                             label_width=80)
    return tk.render("tjregistry/reports/service.html", {
        "report": report, "institutions": visible, "filters": data, "lang": lang,
        "chart": chart, "labels": reports.LABELS, "counted": reports.COUNTED,
        "summary": reports.summary_rows(report, lang), "counts": reports.count_rows(report, lang),
        "timeliness_headers": reports.timeliness_headers(lang),
        "timeliness": reports.timeliness_rows(report, lang),
        "objections": reports.objection_rows(report, lang),
        "case_headers": reports.case_headers(lang),
        "cases": reports.case_rows(report["cases"], lang),
    })


@supervision_pages.route("/reports/service/download.<fmt>")
def service_report_download(fmt: str) -> ResponseReturnValue:
    if fmt not in ("pdf", "xlsx"):
        return tk.abort(404, tk._("Unknown format"))
    if not reports.reports_visible_to(tk.g.userobj or None):
        return tk.abort(403, tk._("Not authorized to see service reports"))
    data = {key: request.args.get(key) or "" for key in ("institution", "date_from", "date_to")}
    try:
        report = tk.get_action("institution_service_report")(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Registration institution not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        return tk.abort(400, "; ".join(f"{k}: {v}" for k, v in error.error_dict.items()))
    content = report_pdf.render(report) if fmt == "pdf" else reports.to_xlsx(report, _lang())
    return _download(content, fmt, reports.filename(report, fmt))


# ---------------------------------------------------------------------------
# Institution supervision


@supervision_pages.route("/supervision")
def supervision_page() -> ResponseReturnValue:
    try:
        result = tk.get_action("institution_qualification_list")(_context(), {})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    titles = {inst["id"]: inst["title"] for inst in result["institutions"]}
    return tk.render("tjregistry/statistics/supervision.html", {
        "institutions": result["institutions"], "events": list(reversed(result["events"])),
        "titles": titles, "district_label": lambda code: vocabularies.label(
            "district", code, _lang()),
    })


@supervision_pages.route("/supervision/<institution_id>/<step>", methods=["POST"])
def supervision_action(institution_id: str, step: str) -> ResponseReturnValue:
    actions = {"suspend": "institution_suspend", "reinstate": "institution_reinstate",
               "cancel": "institution_qualification_cancel"}
    if step not in actions:
        return tk.abort(404, tk._("Unknown action"))
    if not current_user.is_authenticated:
        return tk.abort(403, tk._("Please log in first"))
    try:
        result = tk.get_action(actions[step])(
            _context(), {"id": institution_id, "reasons": request.form.get("reasons") or ""})
        if step == "suspend":
            h.flash_success(tk._("The institution was suspended; {n} open applications were "
                                 "reassigned to the city institution.").format(
                                     n=len(result["reassigned"])))
        elif step == "cancel":
            h.flash_success(tk._("The institution's qualification was cancelled; {n} open "
                                 "applications were reassigned to the city institution.")
                            .format(n=len(result["reassigned"])))
        else:
            h.flash_success(tk._("The institution was reinstated."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Registration institution not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        _flash_errors(error)
    return h.redirect_to("tjregistry_statistics.supervision_page")


RECORD_FIELDS = ("kind", "date", "participants", "summary", "follow_up")


def _records_page(institution_id: str, form: dict[str, str]) -> ResponseReturnValue:
    try:
        result = tk.get_action("institution_supervision_record_list")(
            _context(), {"id": institution_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Registration institution not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    return tk.render("tjregistry/statistics/supervision_records.html", {
        "institution": result["institution"], "records": result["records"],
        "kinds": supervision.RECORD_KINDS,
        "form": form, "today": workdays.local_today().isoformat(),
    })


@supervision_pages.route("/supervision/<institution_id>/records")
def supervision_records(institution_id: str) -> ResponseReturnValue:
    """An institution's interview and on-site guidance records (never public)."""
    if not current_user.is_authenticated:
        return tk.abort(403, tk._("Please log in first"))
    return _records_page(institution_id, {})


@supervision_pages.route("/supervision/<institution_id>/records", methods=["POST"])
def supervision_record_create(institution_id: str) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return tk.abort(403, tk._("Please log in first"))
    data = {key: request.form.get(key) or "" for key in RECORD_FIELDS}
    try:
        tk.get_action("institution_supervision_record_create")(
            _context(), {"id": institution_id, **data})
        h.flash_success(tk._("The record was saved."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Registration institution not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized"))
    except tk.ValidationError as error:
        # The page again, with what was typed (not in a URL) and the messages.
        _flash_errors(error)
        return _records_page(institution_id, data)
    return h.redirect_to("tjregistry_statistics.supervision_records",
                         institution_id=institution_id)
