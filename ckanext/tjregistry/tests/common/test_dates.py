"""Timestamps in Tianjin's time zone and one format per language (common/dates.py)."""
from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model

from ckanext.tjregistry.common import dates
from ckanext.tjregistry.model import Notification
from ckanext.tjregistry.tests.workflow_helpers import make_dataset, submit

# 02:34 on 7 December in Tianjin is 18:34 UTC on 6 December.
FILED_UTC = dt.datetime(2026, 12, 6, 18, 34, 56, 123456)


@pytest.mark.ckan_config("ckan.display_timezone", "Asia/Shanghai")
@pytest.mark.parametrize(("value", "language", "with_time", "shown"), [
    (FILED_UTC, "zh_Hans_CN", True, "2026年12月7日 02:34"),
    (FILED_UTC, "zh_Hans_CN", False, "2026年12月7日"),
    (FILED_UTC, "en", True, "7 Dec 2026, 02:34"),
    (FILED_UTC.replace(tzinfo=dt.timezone.utc), "zh_Hans_CN", True, "2026年12月7日 02:34"),
    ("2026-12-06T18:34:56.123456", "zh_Hans_CN", True, "2026年12月7日 02:34"),
    ("2026-12-06T18:34:56+00:00", "en", False, "7 Dec 2026"),
    ("2026-12-07T10:34:00+08:00", "zh_Hans_CN", True, "2026年12月7日 10:34"),
    # A calendar date has no time zone: it stays the same day.
    (dt.date(2026, 12, 7), "zh_Hans_CN", True, "2026年12月7日"),
    ("2027-01-15", "en", True, "15 Jan 2027"),
    (None, "zh_Hans_CN", True, ""),
    ("", "en", True, ""),
    ("not a date", "zh_Hans_CN", True, "not a date"),
])
def test_format(value, language, with_time, shown):
    assert dates.format_datetime(value, language, with_time=with_time) == shown


@pytest.mark.ckan_config("ckan.display_timezone", "UTC")
def test_the_display_time_zone_is_configured():
    assert dates.format_datetime(FILED_UTC, "zh_Hans_CN") == "2026年12月6日 18:34"


@pytest.mark.usefixtures("clean_db")
def test_a_filing_at_night_shows_its_own_day_on_the_page(app, world):
    """The registrant's notifications show a 02:34 event as 7 December, in the page's
    language, not UTC's 6 December nor a raw ISO timestamp."""
    dataset = make_dataset(world.hp_reg)
    submit(world.hp_clerk, dataset)
    clerk_id = world.hp_clerk["id"]
    notice = Notification(user_id=clerk_id, package_id=dataset["id"], action="submit",
                          to_state="submitted", created=FILED_UTC)
    model.Session.add(notice)
    model.Session.commit()
    headers = {"Authorization": world.hp_clerk["token"]}

    chinese = app.get("/registration/notifications", headers=headers).get_data(as_text=True)
    assert "2026年12月7日 02:34" in chinese
    assert "2026-12-06" not in chinese and "18:34" not in chinese
    english = app.get("/en/registration/notifications", headers=headers).get_data(as_text=True)
    assert "7 Dec 2026, 02:34" in english
