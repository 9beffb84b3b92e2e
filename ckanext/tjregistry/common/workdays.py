"""Working days (工作日) on the Chinese public-holiday calendar, and the workflow's time limits.

Every time limit of the Tianjin rules is counted in working days. A day is a working
day unless it is a weekend or a public holiday, and a weekend day can be a make-up
working day (调休上班). The calendar comes from the ``chinese-calendar`` package for
the years it knows; an override file (``data/holidays.yaml`` by default) supplies
or corrects other years. For a year neither knows, the statutory fixed-date holidays
and the weekend apply, and a warning is logged once per year.

Counting follows the usual legal rule that the starting day is not counted: a limit
of *n* working days from day *d* ends on the *n*-th working day after *d*.
"""
from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import logging
import pathlib
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import chinese_calendar
import yaml

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common.texts import FieldError

log = logging.getLogger(__name__)

# Shipped with the package (setup.py: package data data/*), wherever this module lives.
DEFAULT_OVERRIDE_FILE = pathlib.Path(str(importlib.resources.files("ckanext.tjregistry")
                                         / "data" / "holidays.yaml"))

# Fixed-date statutory holidays (全国年节及纪念日放假办法), used only for unknown years.
_FIXED_STATUTORY = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))

# Config keys of the time limits, with the Tianjin defaults declared in config_declaration.yaml.
LIMIT_KEYS = {
    "acceptance": "tjregistry.limits.acceptance",
    "review": "tjregistry.limits.review",
    "publicity": "tjregistry.limits.publicity",
    "first_filing": "tjregistry.limits.first_filing",
    "transition": "tjregistry.limits.transition",
}


@dataclass(frozen=True)
class YearOverride:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    provisional: bool = False


class CalendarFileError(ValueError):
    """The override file is malformed."""


def load_overrides(path: pathlib.Path) -> dict[int, YearOverride]:
    """Parse an override file: ``{year: {holidays: [...], workdays: [...], provisional: bool}}``."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    if not isinstance(raw, dict):
        raise CalendarFileError(f"{path}: expected a mapping of years")
    result: dict[int, YearOverride] = {}
    for year, entry in raw.items():
        if not isinstance(year, int) or not isinstance(entry, dict):
            raise CalendarFileError(f"{path}: bad entry for {year!r}")
        days: dict[str, frozenset[dt.date]] = {}
        for key in ("holidays", "workdays"):
            values = entry.get(key) or []
            parsed = set()
            for value in values:
                if not isinstance(value, dt.date) or value.year != year:
                    raise CalendarFileError(
                        f"{path}: {value!r} in {year}/{key} is not a date of {year}")
                parsed.add(value)
            days[key] = frozenset(parsed)
        if days["holidays"] & days["workdays"]:
            raise CalendarFileError(f"{path}: {year} lists a day both as holiday and workday")
        result[year] = YearOverride(
            days["holidays"], days["workdays"], bool(entry.get("provisional")))
    return result


class WorkdayCalendar:
    """Answers whether a date is a working day; see the module docstring for the sources."""

    def __init__(self, overrides: dict[int, YearOverride] | None = None) -> None:
        self.overrides = overrides or {}
        self._warned: set[int] = set()

    def source(self, year: int) -> str:
        """Where a year's calendar comes from: ``override``, ``package`` or ``fallback``."""
        if year in self.overrides:
            return "override"
        if _package_knows(year):
            return "package"
        return "fallback"

    def is_workday(self, day: dt.date) -> bool:
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.workdays:
                return True
            if day in override.holidays:
                return False
            return day.weekday() < 5
        if _package_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        if day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("No holiday calendar for %s: only weekends and fixed-date holidays apply; "
                        "add the year to the workday override file", day.year)
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_STATUTORY

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def next_workday(self, start: dt.date) -> dt.date:
        return self.add_workdays(start, 1)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count


def package_knows(year: int) -> bool:
    """Whether the ``chinese-calendar`` package has the State Council's arrangement for ``year``."""
    return _package_knows(year)


@functools.lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8)
def _calendar_for(path: str, modified_ns: int) -> WorkdayCalendar:
    return WorkdayCalendar(load_overrides(pathlib.Path(path)))


def calendar() -> WorkdayCalendar:
    """The platform calendar, built from the configured override file (read again when the
    file changes, so a corrected calendar applies without a restart)."""
    configured = tk.config.get("tjregistry.workdays.override_file") or ""
    path = configured or str(DEFAULT_OVERRIDE_FILE)
    try:
        modified_ns = pathlib.Path(path).stat().st_mtime_ns
    except OSError:
        modified_ns = 0
    return _calendar_for(path, modified_ns)


def forget_calendar() -> None:
    """Build the calendar again on next use (after the override file was replaced)."""
    _calendar_for.cache_clear()


def add_workdays(start: dt.date, count: int) -> dt.date:
    return calendar().add_workdays(start, count)


def workdays_between(start: dt.date, end: dt.date) -> int:
    return calendar().workdays_between(start, end)


def timezone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(tk.config.get("tjregistry.workdays.timezone") or "Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date of a naive-UTC (as CKAN stores them) or aware datetime, in local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(timezone()).date()


def local_today() -> dt.date:
    return local_date(dt.datetime.now(dt.timezone.utc))


def limit(name: str) -> int:
    """A time limit in working days (``acceptance``, ``review``, ``publicity``, ...)."""
    return int(tk.config.get(LIMIT_KEYS[name]))


def rules_effective_date() -> dt.date:
    return dt.date.fromisoformat(str(tk.config.get("tjregistry.rules.effective_date")))


def filing_deadline(activity_start: dt.date) -> dt.date:
    """Art. 18: first registration is due 20 working days after the activity started,
    or 30 working days after the rules took effect for activity that started earlier."""
    effective = rules_effective_date()
    if activity_start < effective:
        return add_workdays(effective, limit("transition"))
    return add_workdays(activity_start, limit("first_filing"))


def parse_date(value: Any, field: str | None = None, *, required: bool = False) -> dt.date | None:
    """A date from an ISO string (a timestamp's date part), a date or a datetime.

    Empty: None, or a field error when ``required``. Malformed: a field error naming
    ``field``, or None when no field is named (stored values read leniently).
    """
    if value in (None, ""):
        if required:
            raise FieldError(field or "date", "缺少日期", "A date is required")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        if field is None:
            return None
        raise FieldError(field, "日期格式应为 YYYY-MM-DD", "Must be a date (YYYY-MM-DD)") from None
