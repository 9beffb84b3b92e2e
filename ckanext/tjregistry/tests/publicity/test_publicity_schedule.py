"""When a publicity period is over, and when the scheduler queues the sweep: the pure
time computations over weekends, holidays and make-up working days (no database)."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.publicity import period as publicity

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
EVENING = 23 * 60 + 30  # the default sweep time, 23:30
MIDNIGHT = 24 * 60
# 2025 from the chinese-calendar package: National Day holidays 1-8 October, make-up
# working days Sunday 28 September and Saturday 11 October.
PACKAGE = workdays.WorkdayCalendar()


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize("text, minutes", [
    ("23:30", EVENING), ("24:00", MIDNIGHT), ("12:00", 720), ("18:05", 18 * 60 + 5),
    (" 19:00 ", 19 * 60),
])
def test_sweep_times_from_noon_to_midnight(text, minutes):
    assert publicity.parse_sweep_time(text) == minutes


@pytest.mark.parametrize("text", ["11:59", "00:00", "24:01", "23:60", "25:00", "7pm", "2330",
                                  "", "23:30:00"])
def test_other_sweep_times_are_refused(text):
    with pytest.raises(ValueError, match="tjregistry.publicity.sweep_time"):
        publicity.parse_sweep_time(text)


@pytest.mark.parametrize("now, over", [
    (local(2025, 10, 9, 23, 59), False),         # the day before the last day
    (local(2025, 10, 10, 9, 0), False),          # the morning of the last day
    (local(2025, 10, 10, 23, 29, 59), False),    # just before the sweep time
    (local(2025, 10, 10, 23, 30), True),         # the evening of the last day, not a day late
    (local(2025, 10, 11, 0, 0), True),
    (local(2025, 10, 20, 12, 0), True),
    # Naive datetimes are UTC, as CKAN stores them: 15:30 UTC is 23:30 in Tianjin.
    (dt.datetime(2025, 10, 10, 15, 29), False),
    (dt.datetime(2025, 10, 10, 15, 30), True),
])
def test_a_period_is_over_from_the_sweep_time_of_its_last_day(now, over):
    assert publicity.period_over(dt.date(2025, 10, 10), now, EVENING, TZ) is over


def test_a_sweep_time_of_midnight_ends_the_period_with_its_last_day():
    last_day = dt.date(2025, 10, 10)
    assert not publicity.period_over(last_day, local(2025, 10, 10, 23, 59, 59), MIDNIGHT, TZ)
    assert publicity.period_over(last_day, local(2025, 10, 11, 0, 0), MIDNIGHT, TZ)


@pytest.mark.parametrize("now, trigger", [
    # Friday before the trigger, at it, after it: Saturday is a rest day, Sunday is a
    # make-up working day.
    (local(2025, 9, 26, 10, 0), local(2025, 9, 26, 23, 30)),
    (local(2025, 9, 26, 23, 29, 59), local(2025, 9, 26, 23, 30)),
    (local(2025, 9, 26, 23, 30), local(2025, 9, 28, 23, 30)),
    (local(2025, 9, 26, 23, 45), local(2025, 9, 28, 23, 30)),
    (local(2025, 9, 27, 12, 0), local(2025, 9, 28, 23, 30)),
    # The last working day before National Day: the next trigger is after the holidays.
    (local(2025, 9, 30, 23, 31), local(2025, 10, 9, 23, 30)),
    (local(2025, 10, 3, 23, 30), local(2025, 10, 9, 23, 30)),
    # Saturday 11 October is a make-up working day, Sunday is not.
    (local(2025, 10, 10, 23, 40), local(2025, 10, 11, 23, 30)),
    (local(2025, 10, 11, 23, 40), local(2025, 10, 13, 23, 30)),
    # Spring Festival 2026: 14 February (Saturday) is a working day, 15-23 are not.
    (local(2026, 2, 14, 23, 30), local(2026, 2, 24, 23, 30)),
    # A UTC clock: 15:29 UTC is 23:29 in Tianjin, 15:31 UTC is past the trigger.
    (dt.datetime(2025, 9, 26, 15, 29, tzinfo=dt.timezone.utc), local(2025, 9, 26, 23, 30)),
    (dt.datetime(2025, 9, 26, 15, 31, tzinfo=dt.timezone.utc), local(2025, 9, 28, 23, 30)),
])
def test_next_trigger_is_the_end_of_the_next_working_day(now, trigger):
    assert publicity.next_sweep_at(now, PACKAGE.is_workday, EVENING, TZ) == trigger


@pytest.mark.parametrize("now, trigger", [
    (local(2025, 9, 26, 23, 59), local(2025, 9, 27, 0, 0)),   # the end of Friday
    (local(2025, 9, 27, 0, 0), local(2025, 9, 29, 0, 0)),     # the end of Sunday 28th
    (local(2025, 9, 27, 10, 0), local(2025, 9, 29, 0, 0)),
])
def test_next_trigger_with_a_sweep_time_of_midnight(now, trigger):
    assert publicity.next_sweep_at(now, PACKAGE.is_workday, MIDNIGHT, TZ) == trigger


def test_next_trigger_follows_the_override_file_calendar():
    """A year the package does not know, from an override file: a Wednesday holiday and
    a Saturday make-up working day."""
    holiday, make_up = dt.date(2031, 1, 1), dt.date(2031, 1, 4)
    calendar = workdays.WorkdayCalendar({2031: workdays.YearOverride(
        holidays=frozenset({holiday}), workdays=frozenset({make_up}))})
    assert publicity.next_sweep_at(local(2030, 12, 31, 23, 30), calendar.is_workday,
                                   EVENING, TZ) == local(2031, 1, 2, 23, 30)
    assert publicity.next_sweep_at(local(2031, 1, 3, 23, 30), calendar.is_workday,
                                   EVENING, TZ) == local(2031, 1, 4, 23, 30)
    assert publicity.next_sweep_at(local(2031, 1, 4, 23, 30), calendar.is_workday,
                                   EVENING, TZ) == local(2031, 1, 6, 23, 30)


@pytest.mark.parametrize("minutes", [12 * 60, EVENING, MIDNIGHT])
def test_every_period_is_swept_at_its_end_and_never_before(minutes):
    """Over two months around National Day, stepping through the scheduler's triggers: a
    period whose last day is a working day is over exactly at the trigger of that day, so
    the sweep the scheduler queues then closes it; no working day is skipped."""
    moment = local(2025, 9, 1, 8, 0)
    triggers = []
    while moment < local(2025, 11, 1):
        moment = publicity.next_sweep_at(moment, PACKAGE.is_workday, minutes, TZ)
        triggers.append(moment)
    working_days = [day for day in (dt.date(2025, 9, 1) + dt.timedelta(days=n)
                                    for n in range(61)) if PACKAGE.is_workday(day)]
    assert triggers[:len(working_days)] == [
        publicity.end_of_day(day, minutes, TZ) for day in working_days]
    for day, trigger in zip(working_days, triggers[:len(working_days)], strict=True):
        assert publicity.period_over(day, trigger, minutes, TZ)
        assert not publicity.period_over(day, trigger - dt.timedelta(microseconds=1),
                                         minutes, TZ)


def test_the_configured_sweep_time_and_time_zone(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.workdays.timezone", "Asia/Shanghai")
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time", "22:00")
    last_day = dt.date(2025, 10, 10)
    before = dt.datetime(2025, 10, 10, 13, 59, tzinfo=dt.timezone.utc)  # 21:59 in Tianjin
    at = dt.datetime(2025, 10, 10, 14, 0, tzinfo=dt.timezone.utc)
    assert not publicity.has_ended(last_day, before)
    assert publicity.has_ended(last_day, at)
    assert publicity.last_ended_day(before) == dt.date(2025, 10, 9)
    assert publicity.last_ended_day(at) == last_day
    assert publicity.ends_at(last_day) == local(2025, 10, 10, 22, 0)
    assert publicity.next_trigger(before) == local(2025, 10, 10, 22, 0)
    assert publicity.next_trigger(at) == local(2025, 10, 11, 22, 0)  # make-up Saturday
    assert publicity.terms()["closes_at"] == "22:00"

    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time", "08:00")
    with pytest.raises(ValueError, match="from 12:00 to 24:00"):
        publicity.has_ended(last_day, at)


def test_the_declared_sweep_time_is_half_past_eleven(ckan_config):
    assert ckan_config["tjregistry.publicity.sweep_time"] == "23:30"
    assert publicity.sweep_time_label() == "23:30"
