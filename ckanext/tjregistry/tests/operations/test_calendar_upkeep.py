"""Calendar upkeep: a corrected holiday calendar moves open deadlines (history, notices),
and the platform warns from 1 November while next year's calendar is incomplete."""
from __future__ import annotations

import datetime as dt
import pathlib

import pytest
import yaml
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.lib import jobs
from ckan.tests import helpers

from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.model import Application, Event, Notification
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.operations import calendar_upkeep as upkeep
from ckanext.tjregistry.tests.publicity_helpers import filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

OPTION = "tjregistry.workdays.override_file"


def _calendar_file(path: pathlib.Path, extra: dict[int, dict]) -> pathlib.Path:
    years = yaml.safe_load(workdays.DEFAULT_OVERRIDE_FILE.read_text(encoding="utf-8"))
    years.update(extra)
    path.write_text(yaml.safe_dump(years, allow_unicode=True), encoding="utf-8")
    return path


def _weekdays_after(day: dt.date, count: int) -> list[dt.date]:
    found = []
    while len(found) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            found.append(day)
    return found


@pytest.fixture
def open_matters(world):
    submitted = submit(world.hp_clerk, make_dataset(world.hp_reg, title="待受理的数据"))
    accepted = submit(world.hp_clerk, make_dataset(world.hp_reg, title="审查中的数据"))
    call_as(world.hp_reviewer, "registration_accept", id=accepted["id"])
    _dataset, noticed = in_publicity(world, title="公示中的数据")
    objection = helpers.call_action("objection_create", {"user": ""}, **filing(noticed["id"]))
    return {"submitted": submitted["id"], "accepted": accepted["id"],
            "publicity": noticed["id"], "objection": objection["number"]}


def test_a_corrected_calendar_moves_every_open_deadline(world, open_matters, ckan_config,
                                                        monkeypatch, tmp_path):
    # The calendar in force is applied once (nothing to change), then corrected: the next
    # three weekdays become holidays (as a State Council notice might add bridge days).
    monkeypatch.setitem(ckan_config, OPTION, str(_calendar_file(tmp_path / "before.yaml", {})))
    assert upkeep.recompute() == []
    today = workdays.local_today()
    year = today.year
    base = _weekdays_after(today, 3)
    holidays = sorted(set(base) | {d for d in _official_holidays(year)})
    corrected = _calendar_file(tmp_path / "after.yaml", {year: {
        "holidays": [d for d in holidays if d.year == year],
        "workdays": _official_workdays(year)}})
    monkeypatch.setitem(ckan_config, OPTION, str(corrected))
    assert upkeep.calendar_changed()
    before = {key: model.Session.get(Application, open_matters[key])
              for key in ("submitted", "accepted", "publicity")}
    old = {"accept_due": before["submitted"].accept_due,
           "review_due": before["accepted"].review_due,
           "publicity_end": before["publicity"].publicity_end}

    changes = upkeep.upkeep_job()

    model.Session.remove()
    submitted = model.Session.get(Application, open_matters["submitted"])
    accepted = model.Session.get(Application, open_matters["accepted"])
    noticed = model.Session.get(Application, open_matters["publicity"])
    objection = model.Session.query(Objection).filter_by(number=open_matters["objection"]).one()
    assert submitted.accept_due == workdays.add_workdays(
        workdays.local_date(submitted.submitted_at), 3) > old["accept_due"]
    assert accepted.review_due == workdays.add_workdays(
        workdays.local_date(accepted.accepted_at), 20)
    assert noticed.publicity_end == workdays.add_workdays(
        workdays.local_date(noticed.decided_at), 10)
    assert objection.decide_due == workdays.add_workdays(
        workdays.local_date(objection.created), 10)
    moved = {(change.application_id, change.field) for change in changes}
    assert (submitted.id, "accept_due") in moved
    # Each change is in the history, which still verifies, and was notified.
    event = (model.Session.query(Event)
             .filter_by(application_id=submitted.id, action="recompute_deadline").one())
    assert event.data["old"] == old["accept_due"].isoformat()
    assert event.data["new"] == submitted.accept_due.isoformat()
    assert history.verify().ok
    told = {row.user_id for row in model.Session.query(Notification)
            .filter_by(application_id=submitted.id, action="recompute_deadline")}
    assert {world.hp_clerk["id"], world.hp_reviewer["id"]} <= told
    listed = call_as(world.hp_clerk, "registration_notification_list")["results"]
    assert "按更新的节假日安排重算期限" in {n["label"].get("zh_Hans_CN") for n in listed}
    # Applied once: the next daily check finds nothing to do.
    assert not upkeep.calendar_changed() and upkeep.upkeep_job() == []


def _official_holidays(year: int) -> list[dt.date]:
    calendar = workdays.calendar()
    day, found = dt.date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and not calendar.is_workday(day):
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def _official_workdays(year: int) -> list[dt.date]:
    calendar = workdays.calendar()
    day, found = dt.date(year, 1, 1), []
    while day.year == year:
        if day.weekday() >= 5 and calendar.is_workday(day):
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def test_warnings_from_the_first_of_november(ckan_config, monkeypatch, tmp_path):
    # The shipped file holds a provisional 2027.
    assert upkeep.warning(dt.date(2026, 10, 31)) is None
    warned = upkeep.warning(dt.date(2026, 11, 1))
    assert "2027" in warned["zh_Hans_CN"] and "provisional" in warned["en"]
    missing = upkeep.warning(dt.date(2027, 11, 1))
    assert "No holiday calendar for 2028" in missing["en"]
    final = _calendar_file(tmp_path / "final.yaml", {2027: {"holidays": [dt.date(2027, 1, 1)],
                                                            "workdays": []}})
    monkeypatch.setitem(ckan_config, OPTION, str(final))
    assert upkeep.warning(dt.date(2026, 11, 1)) is None


def test_calendar_sources(cli):
    result = cli.invoke(tjregistry, ["calendar", "check", "2025", "2027", "2031"])
    assert result.output.splitlines()[:3] == [
        "2025\tpackage", "2027\toverride (provisional)", "2031\tfallback"]


def test_the_command_and_the_page(cli, app, world, open_matters):
    checked = cli.invoke(tjregistry, ["calendar", "check"])
    # Today (from 1 November) 2027's calendar is provisional: a warning and exit status 1.
    if upkeep.warning() is not None:
        assert checked.exit_code == 1 and "warning:" in checked.output
    assert f"{workdays.local_today().year}\t" in checked.output
    dry = cli.invoke(tjregistry, ["calendar", "recompute", "--dry-run"])
    assert dry.exit_code == 0 and "deadline(s) would change" in dry.output
    page = BeautifulSoup(app.get("/registration/calendar").body, "html.parser")
    rows = page.select("#tjr-calendar-years tr[data-year]")
    assert [row["data-year"] for row in rows] == [
        str(workdays.local_today().year + offset) for offset in range(3)]
    assert (page.find(id="tjr-calendar-warning") is not None) == (upkeep.warning() is not None)


def test_the_scheduler_applies_a_new_calendar_once_a_day(ckan_config, monkeypatch, tmp_path):
    from ckanext.tjregistry.publicity.scheduler import Scheduler, send_tick

    monkeypatch.setattr(upkeep, "_checked_for", {})
    queue = jobs.get_queue("default")
    queue.empty()
    clock = {"now": dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.timezone.utc)}
    scheduler = Scheduler(wait=lambda seconds: False, clock=lambda: clock["now"],
                          enqueue=lambda: None, tick=send_tick)

    def upkeep_jobs() -> int:
        scheduler._pause(0)
        queued = [job for job in queue.get_jobs() if job.func_name ==
                  "ckanext.tjregistry.operations.calendar_upkeep.upkeep_job"]
        for job in queued:
            job.perform()
        for job in queue.get_jobs():
            job.delete()
        return len(queued)

    assert upkeep_jobs() == 1  # never applied yet: applied now
    assert upkeep.last_applied() == upkeep.digest()
    monkeypatch.setitem(ckan_config, OPTION, str(_calendar_file(tmp_path / "new.yaml", {
        2028: {"holidays": [dt.date(2028, 1, 3)], "workdays": []}})))
    assert upkeep_jobs() == 0  # once a day
    clock["now"] += dt.timedelta(days=1)
    assert upkeep_jobs() == 1
    assert upkeep.last_applied() == upkeep.digest()
