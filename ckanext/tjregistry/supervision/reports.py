"""Periodic service reports of a registration institution (登记服务报告, Art. 27).

For one institution and period the report measures, from the hash-chained history:

* acceptance: every first response to a submission (accept, the one-time request to
  supplement, or a refusal before acceptance), in working days from that submission,
  against the acceptance limit (Art. 18, 3 working days);
* review: every decision after acceptance (approval, rejection, refusal), in working
  days from acceptance, against the review limit (Art. 19, 20 working days);
* how many of those were late, and which open applications are overdue now;
* revocations (Art. 29), with those the city institution later reversed;
* objections filed during publicity (Art. 20), as the objections module keeps them
  (``objection_counts.py``).

Each history event names the institution that acted, so work that the city
institution did for a suspended district institution counts for the city.
The report renders as a Chinese PDF (the certificates' CJK fonts) and as XLSX.
"""
from __future__ import annotations

import datetime as dt
import statistics as pystats
from collections import Counter
from dataclasses import dataclass
from typing import Any

import ckan.model as model

from ckanext.tjregistry.common import jurisdiction, tabular, workdays
from ckanext.tjregistry.common.texts import FieldError
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.supervision import objection_counts
from ckanext.tjregistry.supervision.statistics import L, Period, text

SUBMISSIONS = ("submit", "resubmit")
ACCEPTANCE_RESPONSES = ("accept", "request_supplement", "refuse")
REVIEW_DECISIONS = ("approve_to_publicity", "approve_to_issuance", "approve_cancellation",
                    "reject", "refuse")
COUNTED = ("submit", "resubmit", "accept", "request_supplement", "approve_to_publicity",
           "approve_to_issuance", "approve_cancellation", "reject", "refuse",
           "consent_withdrawal", "terminate", "issue", "revoke")

LABELS: dict[str, dict[str, str]] = {
    "title": L("登记服务报告", "Registration service report"),
    "institution": L("登记机构", "Institution"),
    "level": L("层级", "Level"),
    "qualification_status": L("资格状态", "Qualification"),
    "period": L("报告期间", "Period"),
    "generated": L("生成时间", "Generated"),
    "overview": L("业务量", "Workload"),
    "timeliness": L("办理时效(工作日)", "Timeliness (working days)"),
    "stage": L("环节", "Stage"),
    "acceptance": L("受理", "Acceptance"),
    "review": L("审查", "Review"),
    "limit": L("时限", "Limit"),
    "handled": L("办理件数", "Handled"),
    "on_time": L("按时", "On time"),
    "late": L("超时", "Late"),
    "on_time_rate": L("按时率", "On-time rate"),
    "average": L("平均", "Average"),
    "median": L("中位数", "Median"),
    "max": L("最长", "Longest"),
    "open_overdue": L("当前逾期未办结", "Open and overdue now"),
    "objections": L("异议", "Objections"),
    "objections_total": L("收到异议", "Objections received"),
    "objections_upheld": L("异议成立", "Upheld"),
    "objections_dismissed": L("异议不成立", "Dismissed"),
    "objections_pending": L("待处理", "Pending"),
    "objections_closed": L("已终结(申请撤回或已终止)", "Closed (application withdrawn or "
                                                     "terminated)"),
    "revocations": L("撤销登记", "Revocations"),
    "revocations_reversed": L("被市级登记机构纠正", "Reversed by the city institution"),
    "cases": L("办理明细", "Cases"),
    "late_cases": L("超时办理明细", "Late cases"),
    "application": L("申请编号", "Application"),
    "dataset": L("数据名称", "Data"),
    "registrant": L("登记主体", "Registrant"),
    "started": L("起算日期", "Clock started"),
    "finished": L("办结日期", "Handled on"),
    "workdays": L("用时(工作日)", "Working days"),
    "result": L("办理结果", "Result"),
    "due": L("截止日期", "Due"),
    "state": L("当前状态", "State"),
    "metric": L("指标", "Metric"),
    "value": L("数值", "Value"),
    "yes": L("是", "Yes"),
    "no": L("否", "No"),
    "none": L("无", "None"),
    "active": L("正常", "Active"),
    "suspended": L("已暂停", "Suspended"),
    "cancelled": L("已取消", "Cancelled"),
    "city": L("市级", "City"),
    "district": L("区级", "District"),
}
for _action in COUNTED:
    LABELS[f"count_{_action}"] = workflow.TRANSITION_BY_NAME[_action].label
LABELS["count_submit"] = L("收到新申请", "New applications received")
LABELS["count_resubmit"] = L("补正后重新提交", "Resubmissions")
LABELS["count_revoke"] = L("撤销登记", "Revocations")


class ReportError(FieldError):
    pass


def reports_visible_to(user: model.User | None) -> list[jurisdiction.OrgProfile]:
    """Institutions whose service reports ``user`` may read.

    Data-authority officers read those of their area (the city authority all of them,
    a district authority its district's); institution staff read their own.
    """
    if user is None:
        return []
    everything = jurisdiction.organizations("institution")
    if user.sysadmin:
        return everything
    scope = jurisdiction.authority_scope(user)
    own = {org.id for org in jurisdiction.user_orgs(user, "institution", acting=False)}
    return [inst for inst in everything
            if inst.id in own or scope == "city" or (scope and inst.district == scope)]


# ---------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class Case:
    stage: str
    application_id: str
    package_id: str
    action: str
    started: dt.date
    finished: dt.date
    workdays: int
    limit: int

    @property
    def on_time(self) -> bool:
        return self.workdays <= self.limit


def _events_in_period(institution_id: str, period: Period) -> list[Event]:
    low, high = period.utc_bounds()
    rows = (model.Session.query(Event)
            .filter(Event.institution_id == institution_id,
                    Event.subject.in_((workflow.APPLICATION, workflow.REGISTRATION)),
                    Event.created >= low, Event.created < high)
            .order_by(Event.id).all())
    return [event for event in rows if period.contains(workdays.local_date(event.created))]


def _timelines(application_ids: set[str]) -> dict[str, list[Event]]:
    result: dict[str, list[Event]] = {app_id: [] for app_id in application_ids}
    if not application_ids:
        return result
    rows = (model.Session.query(Event)
            .filter(Event.application_id.in_(application_ids),
                    Event.subject == workflow.APPLICATION)
            .order_by(Event.id).all())
    for event in rows:
        result[event.application_id].append(event)
    return result


def _latest_before(timeline: list[Event], event: Event, actions: tuple[str, ...]) -> Event | None:
    found = None
    for earlier in timeline:
        if earlier.id >= event.id:
            break
        if earlier.action in actions:
            found = earlier
    return found


def measure(events: list[Event]) -> list[Case]:
    """The acceptance and review cases among ``events`` (one institution's, one period's)."""
    relevant = [e for e in events if e.subject == workflow.APPLICATION and e.application_id
                and e.action in ACCEPTANCE_RESPONSES + REVIEW_DECISIONS]
    timelines = _timelines({e.application_id for e in relevant})
    limits = {"acceptance": workdays.limit("acceptance"), "review": workdays.limit("review")}
    cases = []
    for event in relevant:
        if event.from_state == "submitted" and event.action in ACCEPTANCE_RESPONSES:
            stage, starts = "acceptance", SUBMISSIONS
        elif event.from_state == "accepted" and event.action in REVIEW_DECISIONS:
            stage, starts = "review", ("accept",)
        else:
            continue
        start = _latest_before(timelines[event.application_id], event, starts)
        if start is None:
            continue
        started = workdays.local_date(start.created)
        finished = workdays.local_date(event.created)
        cases.append(Case(stage, event.application_id, event.package_id or "", event.action,
                          started, finished, workdays.workdays_between(started, finished),
                          limits[stage]))
    return cases


def _timeliness(cases: list[Case], stage: str, limit: int) -> dict[str, Any]:
    days = [case.workdays for case in cases if case.stage == stage]
    on_time = sum(1 for case in cases if case.stage == stage and case.on_time)
    return {
        "stage": stage, "label": LABELS[stage], "limit": limit, "handled": len(days),
        "on_time": on_time, "late": len(days) - on_time,
        "on_time_rate": round(on_time / len(days), 4) if days else None,
        "average": round(pystats.fmean(days), 1) if days else None,
        "median": pystats.median(days) if days else None,
        "max": max(days) if days else None,
    }


def _open_overdue(institution_id: str, today: dt.date) -> list[dict[str, Any]]:
    """Open applications this institution acts on today that are past their deadline."""
    result = []
    for app, state, due in workflow.overdue(today):
        acting = jurisdiction.acting_institution(app.institution_id)
        if acting is None or acting.id != institution_id:
            continue
        result.append({"application_id": app.id, "package_id": app.package_id,
                       "state": state, "state_label": workflow.STATE_BY_NAME[state].label,
                       "due": due.isoformat(),
                       "workdays_late": workdays.workdays_between(due, today)})
    return result


def _revocations(events: list[Event]) -> dict[str, Any]:
    revoked = [e for e in events if e.subject == workflow.REGISTRATION and e.action == "revoke"]
    reversed_count = 0
    items = []
    for event in revoked:
        later = (model.Session.query(Event.id)
                 .filter(Event.package_id == event.package_id, Event.id > event.id,
                         Event.subject == workflow.REGISTRATION,
                         Event.action.in_(("reverse_revocation", "uphold_revocation", "revoke")))
                 .order_by(Event.id).first())
        outcome_event = model.Session.get(Event, later[0]) if later else None
        reversed_ = outcome_event is not None and outcome_event.action == "reverse_revocation"
        reversed_count += reversed_
        items.append({"package_id": event.package_id,
                      "date": workdays.local_date(event.created).isoformat(),
                      "ground": (event.data or {}).get("ground"), "reasons": event.note,
                      "reversed": reversed_})
    return {"count": len(revoked), "reversed": reversed_count, "items": items}


def _describe(cases: list[Case]) -> list[dict[str, Any]]:
    apps = {app.id: app for app in model.Session.query(Application)
            .filter(Application.id.in_({c.application_id for c in cases})).all()} if cases else {}
    result = []
    for case in cases:
        app = apps.get(case.application_id)
        package = model.Package.get(case.package_id) if case.package_id else None
        registrant = jurisdiction.profile(app.registrant_id) if app else None
        transition = workflow.TRANSITION_BY_NAME[case.action]
        result.append({
            "application_id": case.application_id, "package_id": case.package_id,
            "dataset": package.title if package else case.package_id,
            "registrant": registrant.title if registrant else "",
            "stage": case.stage, "stage_label": LABELS[case.stage],
            "action": case.action, "result_label": transition.label,
            "started": case.started.isoformat(), "finished": case.finished.isoformat(),
            "workdays": case.workdays, "limit": case.limit, "on_time": case.on_time,
        })
    return result


def compute(institution_id: str, period: Period, today: dt.date | None = None) -> dict[str, Any]:
    """The service report of one institution for ``period``."""
    today = today or workdays.local_today()
    inst = jurisdiction.institution(institution_id)
    group = model.Group.get(inst.id)
    assert group is not None
    events = _events_in_period(inst.id, period)
    cases = measure(events)
    counts = Counter(e.action for e in events if e.action in COUNTED)
    objections = objection_counts.for_institution(inst.id, period.start, period.end)
    overdue_now = _open_overdue(inst.id, today)
    return {
        "institution": {"id": inst.id, "name": inst.name, "title": inst.title,
                        "admin_level": inst.level, "district_code": inst.district,
                        "qualification_status": inst.status},
        "period": period.as_dict(),
        "generated": dt.datetime.now(workdays.timezone()).replace(microsecond=0).isoformat(),
        "as_of": today.isoformat(),
        "limits": {"acceptance": workdays.limit("acceptance"),
                   "review": workdays.limit("review")},
        "counts": {action: counts.get(action, 0) for action in COUNTED},
        "timeliness": [_timeliness(cases, "acceptance", workdays.limit("acceptance")),
                       _timeliness(cases, "review", workdays.limit("review"))],
        "late_handled": sum(1 for case in cases if not case.on_time),
        "open_overdue": {"count": len(overdue_now), "items": overdue_now},
        "objections": objections,
        "revocations": _revocations(events),
        "cases": _describe(cases),
    }


# ---------------------------------------------------------------------------
# Rendering


def _t(key: str, lang: str) -> str:
    return text(LABELS[key], lang)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


def summary_rows(report: dict[str, Any], lang: str = "zh_Hans_CN") -> list[list[str]]:
    inst = report["institution"]
    rows = [
        [_t("institution", lang), inst["title"]],
        [_t("level", lang), _t(inst["admin_level"], lang) if inst["admin_level"] in (
            "city", "district") else inst["admin_level"]],
        [_t("qualification_status", lang), _t(inst["qualification_status"], lang)],
        [_t("period", lang), f"{report['period']['from']} – {report['period']['to']}"],
        [_t("generated", lang), report["generated"]],
    ]
    return rows


def count_rows(report: dict[str, Any], lang: str = "zh_Hans_CN") -> list[list[Any]]:
    rows: list[list[Any]] = [[_t(f"count_{action}", lang), report["counts"][action]]
                             for action in COUNTED]
    rows.append([_t("open_overdue", lang), report["open_overdue"]["count"]])
    objections = report["objections"]
    rows.append([_t("objections_total", lang), objections["total"]])
    rows.append([_t("revocations_reversed", lang), report["revocations"]["reversed"]])
    return rows


def timeliness_headers(lang: str) -> list[str]:
    return [_t(key, lang) for key in ("stage", "limit", "handled", "on_time", "late",
                                      "on_time_rate", "average", "median", "max")]


def timeliness_rows(report: dict[str, Any], lang: str = "zh_Hans_CN") -> list[list[Any]]:
    return [[text(row["label"], lang), row["limit"], row["handled"], row["on_time"], row["late"],
             _rate(row["on_time_rate"]), _num(row["average"]), _num(row["median"]),
             _num(row["max"])] for row in report["timeliness"]]


def objection_rows(report: dict[str, Any], lang: str = "zh_Hans_CN") -> list[list[Any]]:
    objections = report["objections"]
    return [[_t(f"objections_{key}", lang), objections[key]]
            for key in ("total", "upheld", "dismissed", "pending", "closed")]


def case_headers(lang: str) -> list[str]:
    return [_t(key, lang) for key in ("stage", "dataset", "registrant", "result", "started",
                                      "finished", "workdays", "limit", "on_time", "application")]


def case_rows(cases: list[dict[str, Any]], lang: str = "zh_Hans_CN") -> list[list[Any]]:
    return [[text(c["stage_label"], lang), c["dataset"], c["registrant"],
             text(c["result_label"], lang), c["started"], c["finished"], c["workdays"],
             c["limit"], _t("yes" if c["on_time"] else "no", lang), c["application_id"]]
            for c in cases]


def filename(report: dict[str, Any], extension: str) -> str:
    period = report["period"]
    return (f"service-report-{report['institution']['name']}-{period['from']}-"
            f"{period['to']}.{extension}")


def to_xlsx(report: dict[str, Any], lang: str = "zh_Hans_CN") -> bytes:
    title = f"{report['institution']['title']} {_t('title', lang)}"
    period = f"{_t('period', lang)}: {report['period']['from']} – {report['period']['to']}"
    sheets = [
        tabular.Sheet(_t("overview", lang), [_t("metric", lang), _t("value", lang)],
                      summary_rows(report, lang) + count_rows(report, lang),
                      preamble=[title, period]),
        tabular.Sheet(_t("timeliness", lang), timeliness_headers(lang),
                      timeliness_rows(report, lang), preamble=[title, period]),
        tabular.Sheet(_t("objections", lang), [_t("metric", lang), _t("value", lang)],
                      objection_rows(report, lang),
                      preamble=[title, period] + ([text(report["objections"]["note"], lang)]
                                                  if report["objections"]["note"] else [])),
        tabular.Sheet(_t("cases", lang), case_headers(lang),
                      case_rows(report["cases"], lang), preamble=[title, period]),
    ]
    return tabular.to_xlsx(sheets, title=title, creator=report["institution"]["title"])

