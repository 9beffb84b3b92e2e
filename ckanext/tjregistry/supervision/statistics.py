"""Registration statistics for the data authorities (Art. 27).

Counts the registration objects (the ``data-resource`` and ``data-product``
datasets) by district, registrant, category and registration status, the
applications of a period by registration type and outcome, a monthly series of
submissions, new registrations, revocations, cancellations and expiries, and the
units that have not registered as required: those with late first registrations
(``late.py``, Art. 18) and, where the government data catalogue has been imported,
those whose catalogue entries have no registration (Art. 14).

Who sees what (Art. 9: statistics derived from registration information are not
disclosed outside the prescribed procedure): sysadmins, the city data authority and
the city institution see the whole city; a district authority or a district
institution sees the registrants of its district. Everyone else sees nothing.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import charts as svg
from ckanext.tjregistry.common import jurisdiction, tabular, workdays
from ckanext.tjregistry.common.texts import FieldError
from ckanext.tjregistry.metadata import vocabularies
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.registration import late, workflow
from ckanext.tjregistry.supervision import catalogue_gaps

CITY = "city"
# Longest period a monthly series covers (ten years).
MAX_MONTHS = 120

# The application outcomes the "by type" breakdown distinguishes.
OUTCOMES = ("open", "granted", "not_granted", "withdrawn")
_OUTCOME_OF_STATE = {
    "issued": "granted", "completed": "granted",
    "rejected": "not_granted", "refused": "not_granted", "terminated": "not_granted",
    "withdrawn": "withdrawn",
}
# Registration events counted per month, by their transition name.
MONTHLY_EVENTS = ("register", "amend", "revoke", "cancel", "expire")


def L(zh: str, en: str) -> dict[str, str]:
    return {"zh_Hans_CN": zh, "en": en}


LABELS: dict[str, dict[str, str]] = {
    "district": L("区域", "Area"),
    "registrant": L("登记主体", "Registrant"),
    "registrant_type": L("主体类型", "Registrant type"),
    "category": L("登记对象类别", "Category"),
    "status": L("登记状态", "Registration status"),
    "application_type": L("登记类型", "Registration type"),
    "application_state": L("申请状态", "Application state"),
    "month": L("月份", "Month"),
    "total": L("合计", "Total"),
    "count": L("数量", "Count"),
    "applications": L("申请数", "Applications"),
    "open": L("办理中", "In progress"),
    "granted": L("已准予", "Granted"),
    "not_granted": L("未准予", "Not granted"),
    "withdrawn": L("已撤回", "Withdrawn"),
    "submitted": L("提交申请", "Applications submitted"),
    "register": L("新登记", "New registrations"),
    "amend": L("变更/更正生效", "Changes applied"),
    "revoke": L("撤销", "Revocations"),
    "cancel": L("注销", "Cancellations"),
    "expire": L("凭证到期", "Expiries"),
    "datasets": L("登记对象", "Registration objects"),
    "registered": L("已登记", "Registered"),
    "in_progress": L("办理中", "In progress"),
    "late_units": L("未按要求登记的单位", "Units not registered as required"),
    "late_datasets": L("逾期未登记的数据", "Late registrations"),
    "catalogue_gaps": L("目录未登记条目", "Catalogue entries not registered"),
    "dataset": L("数据名称", "Data"),
    "activity_start": L("起算日期", "Clock started"),
    "deadline": L("登记截止日期", "Registration due"),
    "first_submitted": L("首次提交日期", "First submitted"),
    "workdays_late": L("逾期工作日", "Working days late"),
    "reason": L("原因", "Reason"),
    "late_filing": L("逾期登记", "Late first registration"),
    "not_filed": L("逾期未登记", "Not registered, overdue"),
    "catalogue_unregistered": L("政务数据目录条目未登记", "Catalogue entry not registered"),
    "catalogue_code": L("目录编码", "Catalogue code"),
    "period": L("统计期间", "Period"),
    "scope": L("统计范围", "Scope"),
    "generated": L("生成时间", "Generated"),
    "metric": L("指标", "Metric"),
    "value": L("数值", "Value"),
}

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "data-resource": L("公共数据资源", "Public data resource"),
    "data-product": L("公共数据产品和服务", "Public data product or service"),
}

STATUS_COLORS = {
    "registered": "#009E73", "pending": "#0072B2", "publicity": "#56B4E9",
    "unregistered": "#999999", "expired": "#E69F00", "revoked": "#D55E00",
    "cancelled": "#CC79A7",
}


def vocabulary_label(vocabulary: str, value: str) -> dict[str, str]:
    return L(vocabularies.label(vocabulary, value), vocabularies.label(vocabulary, value, "en"))


def status_label(status: str) -> dict[str, str]:
    return vocabulary_label("registration_status", status)


def area_label(area: str) -> dict[str, str]:
    if area == CITY:
        return L("天津市(全市)", "Tianjin (whole city)")
    return vocabulary_label("district", area)


class StatisticsError(FieldError):
    pass


# ---------------------------------------------------------------------------
# Who may see which area


def viewer_area(user: model.User | None) -> str | None:
    """``city``, a district code, or None when ``user`` may not see statistics.

    Members of a data authority or of a registration institution in any capacity
    may read; suspended institutions keep read access to their own figures.
    """
    if user is None:
        return None
    if user.sysadmin:
        return CITY
    authority = jurisdiction.authority_scope(user)
    institutions = jurisdiction.user_orgs(user, "institution", acting=False)
    if authority == CITY or any(inst.is_city for inst in institutions):
        return CITY
    if authority:
        return authority
    for inst in institutions:
        if inst.district in jurisdiction.DISTRICTS:
            return inst.district
    return None


def resolve_area(user: model.User | None, district: str | None) -> str:
    """The area to report on: the viewer's own, or a district within it."""
    area = viewer_area(user)
    if area is None:
        raise tk.NotAuthorized("无权查看登记统计 / Not allowed to see registration statistics")
    if not district or district == area:
        return area
    if district not in jurisdiction.DISTRICTS and district != jurisdiction.CITY_CODE:
        raise StatisticsError("district", "区划代码无效", "Unknown district code")
    if area != CITY:
        raise tk.NotAuthorized("只能查看本区的登记统计 / Only your own district's statistics")
    return district


# ---------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[str]:
        result = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            result.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive-UTC instants that enclose the period's local days (with a day's margin)."""
        return (dt.datetime.combine(self.start - dt.timedelta(days=1), dt.time()),
                dt.datetime.combine(self.end + dt.timedelta(days=2), dt.time()))

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def default_period(today: dt.date | None = None) -> Period:
    """The last twelve months: from the first day of the month eleven months ago."""
    today = today or workdays.local_today()
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return Period(dt.date(year, month, 1), today)


def parse_period(date_from: Any, date_to: Any, today: dt.date | None = None) -> Period:
    default = default_period(today)
    start = workdays.parse_date(date_from, "date_from") or default.start
    end = workdays.parse_date(date_to, "date_to") or default.end
    if start > end:
        raise StatisticsError("date_to", "结束日期不能早于开始日期",
                              "The end date is before the start date")
    if len(Period(start, end).months()) > MAX_MONTHS:
        raise StatisticsError("date_from", f"统计期间不能超过{MAX_MONTHS // 12}年",
                              f"The period is limited to {MAX_MONTHS // 12} years")
    return Period(start, end)


# ---------------------------------------------------------------------------
# The registration objects


@dataclass(frozen=True)
class DatasetRow:
    id: str
    name: str
    title: str
    category: str
    registrant: jurisdiction.OrgProfile
    district: str
    status: str


def registrant_district(org: jurisdiction.OrgProfile) -> str:
    """A registrant's district code; city-level and undetermined ones count as the city."""
    if org.level == "district" and org.district in jurisdiction.DISTRICTS:
        return org.district
    return jurisdiction.CITY_CODE


def dataset_statuses() -> dict[str, str]:
    """Every dataset's ``registration_status`` in two queries (datasets absent from the
    result are unregistered)."""
    return workflow.registration_statuses()


def registrants() -> dict[str, jurisdiction.OrgProfile]:
    return {org.id: org for org in jurisdiction.organizations("registrant")}


def in_area(district: str, area: str) -> bool:
    return area == CITY or district == area


def datasets(area: str) -> list[DatasetRow]:
    orgs = registrants()
    statuses = dataset_statuses()
    rows = (model.Session.query(model.Package.id, model.Package.name, model.Package.title,
                                model.Package.type, model.Package.owner_org)
            .filter(model.Package.state == "active",
                    model.Package.type.in_(workflow.DATASET_TYPES))
            .order_by(model.Package.name).all())
    result = []
    for package_id, name, title, category, owner in rows:
        org = orgs.get(owner or "")
        if org is None:
            continue
        district = registrant_district(org)
        if not in_area(district, area):
            continue
        result.append(DatasetRow(package_id, name, title or name, category, org, district,
                                 statuses.get(package_id, "unregistered")))
    return result


# ---------------------------------------------------------------------------
# Computing the statistics


def _status_breakdown(rows: list[DatasetRow], key: Any) -> dict[str, Counter[str]]:
    result: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        result[key(row)][row.status] += 1
    return result


def _status_entry(key: str, label: dict[str, str], counts: Counter[str],
                  **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "total": sum(counts.values()),
            "statuses": {status: counts.get(status, 0)
                         for status in workflow.REGISTRATION_STATUSES}, **extra}


def _by_district(rows: list[DatasetRow], area: str) -> list[dict[str, Any]]:
    counts = _status_breakdown(rows, lambda row: row.district)
    codes = [term.value for term in vocabularies.DISTRICT if in_area(term.value, area)]
    return [_status_entry(code, vocabulary_label("district", code), counts.get(code, Counter()))
            for code in codes]


def _by_registrant(rows: list[DatasetRow]) -> list[dict[str, Any]]:
    counts = _status_breakdown(rows, lambda row: row.registrant.id)
    profiles = {row.registrant.id: row.registrant for row in rows}
    entries = []
    for org_id, org_counts in counts.items():
        org = profiles[org_id]
        entries.append(_status_entry(
            org.id, L(org.title, org.title), org_counts, name=org.name,
            district=registrant_district(org),
            district_label=vocabulary_label("district", registrant_district(org)),
            registrant_type=org.registrant_type,
            registrant_type_label=vocabulary_label("registrant_type", org.registrant_type)))
    entries.sort(key=lambda entry: (-entry["total"], entry["name"]))
    return entries


def _by_category(rows: list[DatasetRow]) -> list[dict[str, Any]]:
    counts = _status_breakdown(rows, lambda row: row.category)
    return [_status_entry(category, CATEGORY_LABELS[category], counts.get(category, Counter()))
            for category in workflow.DATASET_TYPES]


def _by_status(rows: list[DatasetRow]) -> list[dict[str, Any]]:
    counts = Counter(row.status for row in rows)
    return [{"key": status, "label": status_label(status), "count": counts.get(status, 0)}
            for status in workflow.REGISTRATION_STATUSES]


def _applications(period: Period, area: str,
                  orgs: dict[str, jurisdiction.OrgProfile]) -> list[Application]:
    """Applications first submitted in the period (an application row is created on
    its first submission), of registrants in the area."""
    low, high = period.utc_bounds()
    rows = (model.Session.query(Application)
            .filter(Application.created >= low, Application.created < high)
            .order_by(Application.created).all())
    result = []
    for app in rows:
        org = orgs.get(app.registrant_id)
        if org is None or not in_area(registrant_district(org), area):
            continue
        if period.contains(workdays.local_date(app.created)):
            result.append(app)
    return result


def _by_type(apps: list[Application]) -> list[dict[str, Any]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for app in apps:
        outcome = "open" if app.is_open else _OUTCOME_OF_STATE.get(app.state, "open")
        counts[app.application_type][outcome] += 1
    return [{"key": kind, "label": workflow.APPLICATION_TYPE_LABELS[kind],
             "total": sum(counts[kind].values()),
             "outcomes": {outcome: counts[kind].get(outcome, 0) for outcome in OUTCOMES}}
            for kind in workflow.APPLICATION_TYPES]


def _by_application_state(apps: list[Application]) -> list[dict[str, Any]]:
    counts = Counter(app.state for app in apps)
    return [{"key": state.name, "label": state.label, "count": counts.get(state.name, 0)}
            for state in workflow.STATES
            if state.subject == workflow.APPLICATION and state.name != workflow.NEW]


def _monthly(period: Period, apps: list[Application],
             package_district: dict[str, str], area: str) -> list[dict[str, Any]]:
    months = period.months()
    series: dict[str, Counter[str]] = {month: Counter() for month in months}
    for app in apps:
        series[workdays.local_date(app.created).strftime("%Y-%m")]["submitted"] += 1
    low, high = period.utc_bounds()
    events = (model.Session.query(Event.package_id, Event.action, Event.created)
              .filter(Event.subject == workflow.REGISTRATION,
                      Event.action.in_(MONTHLY_EVENTS),
                      Event.created >= low, Event.created < high).all())
    for package_id, action, created in events:
        district = package_district.get(package_id or "")
        day = workdays.local_date(created)
        if district is None or not in_area(district, area) or not period.contains(day):
            continue
        series[day.strftime("%Y-%m")][action] += 1
    return [{"month": month, "submitted": series[month].get("submitted", 0),
             **{action: series[month].get(action, 0) for action in MONTHLY_EVENTS}}
            for month in months]


def _unit(units: dict[str, dict[str, Any]], key: str, name: str, label: str,
          district: str | None) -> dict[str, Any]:
    """The entry of one unit in the list of units not registered as required."""
    return units.setdefault(key, {
        "key": key, "name": name, "label": label, "district": district,
        "district_label": (vocabulary_label("district", district) if district
                           else L("未确定", "Undetermined")),
        "late_filing": 0, "not_filed": 0, "catalogue_unregistered": 0,
        "max_workdays_late": 0, "datasets": []})


def _late(area: str, orgs: dict[str, jurisdiction.OrgProfile], today: dt.date,
          units: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Late first registrations (late.py), added to their units."""
    datasets_late = []
    for entry in late.late_registrations(today):
        org = orgs.get(entry["owner_org"] or "")
        if org is None or not in_area(registrant_district(org), area):
            continue
        reason = "late_filing" if entry["submitted"] else "not_filed"
        item = {**entry, "reason": reason, "reason_label": LABELS[reason],
                "registrant": org.title}
        datasets_late.append(item)
        unit = _unit(units, org.id, org.name, org.title, registrant_district(org))
        unit[reason] += 1
        unit["max_workdays_late"] = max(unit["max_workdays_late"], entry["workdays_late"])
        unit["datasets"].append(item)
    return datasets_late


def _catalogue(area: str, orgs: dict[str, jurisdiction.OrgProfile],
               units: dict[str, dict[str, Any]]) -> catalogue_gaps.Gaps:
    """Unregistered catalogue entries (Art. 14), added to their units.

    Entries of providers that are not registrants on the platform belong to no
    district, so only city-wide statistics list them, under the provider's name.
    """
    gaps = catalogue_gaps.unregistered_entries(
        lambda org_id: org_id in orgs and in_area(registrant_district(orgs[org_id]), area),
        include_unmatched=area == CITY)
    statuses = dataset_statuses() if gaps.entries else {}
    for entry in gaps.entries:
        org = orgs.get(entry["owner_org"] or "")
        if org is not None:
            unit = _unit(units, org.id, org.name, org.title, registrant_district(org))
            entry["registrant"] = org.title
        else:
            provider = entry["provider_uscc"] or entry["provider_name"]
            unit = _unit(units, f"provider:{provider}", entry["provider_uscc"],
                         entry["provider_name"] or entry["provider_uscc"], None)
            entry["registrant"] = entry["provider_name"]
        entry["registration_status"] = (statuses.get(entry["package_id"], "unregistered")
                                        if entry["package_id"] else "unregistered")
        unit["catalogue_unregistered"] += 1
    return gaps


def compute(area: str, period: Period, today: dt.date | None = None) -> dict[str, Any]:
    """All statistics of ``area`` (``city`` or a district code) for ``period``."""
    today = today or workdays.local_today()
    orgs = registrants()
    rows = datasets(area)
    package_district = {row.id: row.district for row in rows}
    apps = _applications(period, area, orgs)
    units: dict[str, dict[str, Any]] = {}
    late_datasets = _late(area, orgs, today, units)
    gaps = _catalogue(area, orgs, units)
    unit_list = sorted(units.values(), key=lambda unit: (
        -(unit["late_filing"] + unit["not_filed"] + unit["catalogue_unregistered"]),
        unit["name"]))
    statuses = Counter(row.status for row in rows)
    return {
        "area": area,
        "area_label": area_label(area),
        "period": period.as_dict(),
        "generated": dt.datetime.now(workdays.timezone()).replace(microsecond=0).isoformat(),
        "statuses": [{"key": status, "label": status_label(status),
                      "color": STATUS_COLORS[status]}
                     for status in workflow.REGISTRATION_STATUSES],
        "totals": {
            "datasets": len(rows),
            "registered": statuses.get("registered", 0),
            "in_progress": statuses.get("pending", 0) + statuses.get("publicity", 0),
            "applications": len(apps),
            "late_units": len(unit_list),
            "late_datasets": len(late_datasets),
            "catalogue_gaps": len(gaps.entries),
        },
        "by_district": _by_district(rows, area),
        "by_registrant": _by_registrant(rows),
        "by_category": _by_category(rows),
        "by_status": _by_status(rows),
        "by_type": _by_type(apps),
        "by_application_state": _by_application_state(apps),
        "monthly": _monthly(period, apps, package_district, area),
        "late_units": unit_list,
        "late_datasets": late_datasets,
        "catalogue": {"available": gaps.available, "note": gaps.note,
                      "entries": gaps.entries},
    }


# ---------------------------------------------------------------------------
# Tables (CSV and XLSX) and charts


def text(label: dict[str, str] | str, lang: str) -> str:
    if isinstance(label, str):
        return label
    return label.get("en" if lang.startswith("en") else "zh_Hans_CN") or label["zh_Hans_CN"]


SECTIONS = ("summary", "district", "registrant", "category", "status", "type", "monthly",
            "late")
SECTION_LABELS: dict[str, dict[str, str]] = {
    "summary": L("概览", "Summary"),
    "district": L("按区域", "By area"),
    "registrant": L("按登记主体", "By registrant"),
    "category": L("按登记对象类别", "By category"),
    "status": L("按登记状态", "By status"),
    "type": L("按登记类型", "By registration type"),
    "monthly": L("按月趋势", "By month"),
    "late": L("未按要求登记", "Not registered as required"),
}


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _status_headers(stats: dict[str, Any], lang: str) -> list[str]:
    return [text(status["label"], lang) for status in stats["statuses"]]


def _status_values(entry: dict[str, Any]) -> list[int]:
    return [entry["statuses"][status] for status in workflow.REGISTRATION_STATUSES]


def table(stats: dict[str, Any], section: str, lang: str = "zh_Hans_CN") -> Table:
    """One section of ``stats`` as a table of plain values."""
    t = lambda key: text(LABELS[key], lang)  # noqa: E731
    title = text(SECTION_LABELS[section], lang)
    if section == "summary":
        totals = stats["totals"]
        rows: list[list[Any]] = [
            [t("scope"), text(stats["area_label"], lang)],
            [t("period"), f"{stats['period']['from']} – {stats['period']['to']}"],
            [t("generated"), stats["generated"]],
        ] + [[t(key), totals[key]] for key in (
            "datasets", "registered", "in_progress", "applications", "late_units",
            "late_datasets")]
        if stats["catalogue"]["available"]:
            rows.append([t("catalogue_gaps"), totals["catalogue_gaps"]])
        return Table(section, title, [t("metric"), t("value")], rows)
    if section == "district":
        return Table(section, title, [t("district"), t("total"), *_status_headers(stats, lang)],
                     [[text(e["label"], lang), e["total"], *_status_values(e)]
                      for e in stats["by_district"]])
    if section == "registrant":
        return Table(section, title,
                     [t("registrant"), t("district"), t("registrant_type"), t("total"),
                      *_status_headers(stats, lang)],
                     [[text(e["label"], lang), text(e["district_label"], lang),
                       text(e["registrant_type_label"], lang), e["total"], *_status_values(e)]
                      for e in stats["by_registrant"]])
    if section == "category":
        return Table(section, title, [t("category"), t("total"), *_status_headers(stats, lang)],
                     [[text(e["label"], lang), e["total"], *_status_values(e)]
                      for e in stats["by_category"]])
    if section == "status":
        return Table(section, title, [t("status"), t("count")],
                     [[text(e["label"], lang), e["count"]] for e in stats["by_status"]])
    if section == "type":
        return Table(section, title,
                     [t("application_type"), t("applications"), *[t(o) for o in OUTCOMES]],
                     [[text(e["label"], lang), e["total"],
                       *[e["outcomes"][o] for o in OUTCOMES]] for e in stats["by_type"]])
    if section == "monthly":
        return Table(section, title,
                     [t("month"), t("submitted"), *[t(a) for a in MONTHLY_EVENTS]],
                     [[e["month"], e["submitted"], *[e[a] for a in MONTHLY_EVENTS]]
                      for e in stats["monthly"]])
    if section == "late":
        rows = [[e["registrant"], e["title"], text(e["reason_label"], lang),
                 e["activity_start"], e["deadline"], e["submitted"] or "", e["workdays_late"],
                 ""] for e in stats["late_datasets"]]
        for entry in stats["catalogue"]["entries"]:
            rows.append([entry["registrant"], entry["title"],
                         text(LABELS["catalogue_unregistered"], lang), "", "", "", "",
                         entry["code"]])
        return Table(section, title,
                     [t("registrant"), t("dataset"), t("reason"), t("activity_start"),
                      t("deadline"), t("first_submitted"), t("workdays_late"),
                      t("catalogue_code")], rows)
    raise StatisticsError("section", "未知的统计表", f"Unknown section {section!r}")


def tables(stats: dict[str, Any], lang: str = "zh_Hans_CN") -> list[Table]:
    return [table(stats, section, lang) for section in SECTIONS]


# Sections drawn as Excel charts: the chart type and the first charted column (1-based;
# the columns from there to the last one, e.g. the statuses without the total).
XLSX_CHARTS = {"district": ("bar", 3), "registrant": ("bar", 5), "category": ("bar", 3),
               "type": ("bar", 3), "monthly": ("line", 2)}


def to_xlsx(stats: dict[str, Any], lang: str = "zh_Hans_CN") -> bytes:
    """Every section as a sheet, with an Excel chart where one helps."""

    period = f"{text(LABELS['period'], lang)}: {stats['period']['from']} – {stats['period']['to']}"
    heading = f"{text(stats['area_label'], lang)} {text(LABELS['status'], lang)}"
    sheets = []
    for item in tables(stats, lang):
        chart, first = XLSX_CHARTS.get(item.name, (None, 0))
        sheets.append(tabular.Sheet(
            item.title, item.headers, item.rows, preamble=[f"{heading} · {item.title}", period],
            chart=chart, chart_columns=(first, len(item.headers)) if chart else None))
    return tabular.to_xlsx(sheets, title=heading)


def charts(stats: dict[str, Any], lang: str = "zh_Hans_CN") -> dict[str, Any]:
    """The page's SVG charts, keyed by chart id."""

    status_series = [svg.Series(s["key"], text(s["label"], lang), s["color"])
                     for s in stats["statuses"]]
    t = lambda key: text(LABELS[key], lang)  # noqa: E731
    districts = [(text(e["label"], lang), e["statuses"]) for e in stats["by_district"]]
    top_registrants = [(text(e["label"], lang), e["statuses"])
                       for e in stats["by_registrant"][:15]]
    categories = [(text(e["label"], lang), e["statuses"]) for e in stats["by_category"]]
    outcome_colors = {"open": "#0072B2", "granted": "#009E73", "not_granted": "#D55E00",
                      "withdrawn": "#999999"}
    outcome_series = [svg.Series(o, t(o), outcome_colors[o]) for o in OUTCOMES]
    types = [(text(e["label"], lang), e["outcomes"]) for e in stats["by_type"]]
    months = [e["month"] for e in stats["monthly"]]
    monthly_keys = ("submitted", "register", "revoke", "cancel")
    monthly = [(svg.Series(key, t(key), svg.palette(index)), [e[key] for e in stats["monthly"]])
               for index, key in enumerate(monthly_keys)]
    by_status = [(svg.Series(e["key"], text(e["label"], lang), STATUS_COLORS[e["key"]]),
                  e["count"]) for e in stats["by_status"]]
    return {
        "by_status": svg.donut("tjr-chart-status", text(SECTION_LABELS["status"], lang),
                               by_status),
        "by_district": svg.stacked_bars("tjr-chart-district",
                                        text(SECTION_LABELS["district"], lang), districts,
                                        status_series, label_width=110),
        "by_registrant": svg.stacked_bars("tjr-chart-registrant",
                                          text(SECTION_LABELS["registrant"], lang),
                                          top_registrants, status_series, label_width=210),
        "by_category": svg.stacked_bars("tjr-chart-category",
                                        text(SECTION_LABELS["category"], lang), categories,
                                        status_series, label_width=170),
        "by_type": svg.stacked_bars("tjr-chart-type", text(SECTION_LABELS["type"], lang),
                                    types, outcome_series, label_width=110),
        "monthly": svg.line_chart("tjr-chart-monthly", text(SECTION_LABELS["monthly"], lang),
                                  months, monthly),
    }
