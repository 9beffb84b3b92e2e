"""Working days on the Chinese public-holiday calendar, with make-up days and the override file."""
from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from ckanext.tjregistry.common import workdays

D = dt.date


@pytest.fixture
def cal() -> workdays.WorkdayCalendar:
    return workdays.calendar()


def test_national_day_2025_with_make_up_saturday(cal):
    # 10/1-10/8 off (National Day + Mid-Autumn), 9/28 (Sun) and 10/11 (Sat) are make-up days.
    assert cal.add_workdays(D(2025, 9, 30), 3) == D(2025, 10, 11)
    assert cal.is_workday(D(2025, 9, 28))
    assert cal.is_workday(D(2025, 10, 11))
    assert not cal.is_workday(D(2025, 10, 8))
    assert not cal.is_workday(D(2025, 10, 12))


def test_spring_festival_2025(cal):
    # 1/28-2/4 off; Sunday 1/26 and Saturday 2/8 are make-up working days.
    assert cal.is_workday(D(2025, 1, 26))
    assert not cal.is_workday(D(2025, 1, 28))
    assert not cal.is_workday(D(2025, 2, 4))
    assert cal.is_workday(D(2025, 2, 8))
    # From Friday 1/24: Sunday 1/26 and Monday 1/27 count, then 2/5.
    assert cal.add_workdays(D(2025, 1, 24), 3) == D(2025, 2, 5)
    # 20 working days of review starting just before the festival.
    assert cal.add_workdays(D(2025, 1, 20), 20) == D(2025, 2, 21)


def test_starting_day_is_not_counted_and_weekends_skip(cal):
    assert cal.add_workdays(D(2025, 6, 2), 0) == D(2025, 6, 2)
    assert cal.add_workdays(D(2025, 6, 6), 1) == D(2025, 6, 9)  # Friday -> Monday
    assert cal.next_workday(D(2025, 6, 6)) == D(2025, 6, 9)
    with pytest.raises(ValueError):
        cal.add_workdays(D(2025, 6, 6), -1)


def test_workdays_between_is_the_inverse_of_add(cal):
    start = D(2025, 9, 25)
    for count in (0, 1, 3, 10, 20):
        assert cal.workdays_between(start, cal.add_workdays(start, count)) == count
    assert cal.workdays_between(D(2025, 10, 11), D(2025, 9, 30)) == -3


def test_shipped_override_file_covers_the_year_the_package_does_not(cal):
    assert cal.source(2025) == "package"
    assert cal.source(2027) == "override"
    assert cal.overrides[2027].provisional
    assert not cal.is_workday(D(2027, 2, 8))  # 春节, a Monday
    assert not cal.is_workday(D(2027, 6, 9))  # 端午, a Wednesday
    assert cal.is_workday(D(2027, 6, 10))


def test_override_file_wins_over_the_package(tmp_path: pathlib.Path):
    path = tmp_path / "holidays.yaml"
    path.write_text(
        "2025:\n  holidays: [2025-06-03]\n  workdays: [2025-06-07]\n", encoding="utf-8")
    cal = workdays.WorkdayCalendar(workdays.load_overrides(path))
    assert not cal.is_workday(D(2025, 6, 3))   # a Tuesday declared off
    assert cal.is_workday(D(2025, 6, 7))       # a Saturday declared working
    # The override replaces the year: the package's National Day no longer applies.
    assert cal.is_workday(D(2025, 10, 2))
    assert cal.add_workdays(D(2025, 6, 2), 4) == D(2025, 6, 7)


@pytest.mark.parametrize("text", [
    "2025:\n  holidays: [2026-01-01]\n",                # a date outside its year
    "2025:\n  holidays: [2025-06-03]\n  workdays: [2025-06-03]\n",  # both
    "- 2025-01-01\n",                                    # not a mapping
    "2025:\n  holidays: [yesterday]\n",                  # not a date
])
def test_malformed_override_file_is_refused(tmp_path: pathlib.Path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(workdays.CalendarFileError):
        workdays.load_overrides(path)


def test_unknown_year_falls_back_to_weekends_and_fixed_holidays():
    cal = workdays.WorkdayCalendar({})
    assert cal.source(2031) == "fallback"
    assert not cal.is_workday(D(2031, 10, 1))
    assert not cal.is_workday(D(2031, 5, 2))
    assert cal.is_workday(D(2031, 10, 6))
    assert not cal.is_workday(D(2031, 10, 4))  # Saturday


def test_configured_override_file_is_used(tmp_path: pathlib.Path, ckan_config, monkeypatch):
    path = tmp_path / "custom.yaml"
    path.write_text("2025:\n  holidays: [2025-06-03]\n", encoding="utf-8")
    monkeypatch.setitem(ckan_config, "tjregistry.workdays.override_file", str(path))
    assert not workdays.calendar().is_workday(D(2025, 6, 3))
    monkeypatch.setitem(ckan_config, "tjregistry.workdays.override_file", "")
    assert workdays.calendar().is_workday(D(2025, 6, 3))


def test_limits_have_the_tianjin_defaults():
    assert {name: workdays.limit(name) for name in workdays.LIMIT_KEYS} == {
        "acceptance": 3, "review": 20, "publicity": 10, "first_filing": 20, "transition": 30}


@pytest.mark.ckan_config("tjregistry.limits.acceptance", "5")
def test_limits_are_configurable():
    assert workdays.limit("acceptance") == 5


@pytest.mark.ckan_config("tjregistry.rules.effective_date", "2025-03-03")
def test_filing_deadline_uses_the_transition_rule_for_earlier_activity():
    # Activity after the rules: 20 working days after it started.
    assert workdays.filing_deadline(D(2025, 9, 30)) == workdays.add_workdays(D(2025, 9, 30), 20)
    # Earlier activity: 30 working days after the rules took effect.
    assert workdays.filing_deadline(D(2024, 5, 1)) == workdays.add_workdays(D(2025, 3, 3), 30)


def test_local_date_uses_the_configured_time_zone():
    # 2025-09-30 17:00 UTC is already 10/1 in Tianjin.
    assert workdays.local_date(dt.datetime(2025, 9, 30, 17, 0)) == D(2025, 10, 1)
    assert workdays.local_date(dt.datetime(2025, 9, 30, 15, 0)) == D(2025, 9, 30)
