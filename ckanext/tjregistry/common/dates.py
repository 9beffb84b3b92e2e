"""Dates and times as people read them: in the platform's time zone, one format per language.

Timestamps are stored in UTC (naive ``datetime`` columns, ISO strings in action results);
a filing at 02:34 Tianjin time is 18:34 UTC the day before, so a timestamp is converted to
``ckan.display_timezone`` (Asia/Shanghai) before its date is taken. Calendar dates
(deadlines, publicity periods, validity) have no time zone and are shown as they are.

Chinese: ``2026年12月7日 10:34``; English: ``7 Dec 2026, 10:34``.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import ckan.plugins.toolkit as tk

DEFAULT_TIMEZONE = "Asia/Shanghai"
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def display_timezone() -> dt.tzinfo:
    name = tk.config.get("ckan.display_timezone") or DEFAULT_TIMEZONE
    if name == "server":  # CKAN's value for the server's own zone
        return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


def parse(value: Any) -> dt.datetime | dt.date | None:
    """A ``datetime`` (aware; naive ones are UTC) or a calendar ``date``; ``None`` when
    ``value`` is empty or not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _is_chinese(language: str) -> bool:
    return language.lower().startswith("zh")


def format_date(day: dt.date, language: str) -> str:
    if _is_chinese(language):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def format_datetime(value: Any, language: str, with_time: bool = True) -> str:
    """``value`` (datetime, date or ISO string) for display in ``language``.

    A moment is shown in the display time zone, with hours and minutes if ``with_time``;
    a calendar date stays a date. A string that is not a date comes back unchanged, so a
    template never fails on an odd value.
    """
    parsed = parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if not isinstance(parsed, dt.datetime):
        return format_date(parsed, language)
    local = parsed.astimezone(display_timezone())
    day = format_date(local.date(), language)
    if not with_time:
        return day
    separator = " " if _is_chinese(language) else ", "
    return f"{day}{separator}{local:%H:%M}"
