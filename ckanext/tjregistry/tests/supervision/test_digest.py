"""The institutions' daily digest of decisions falling due or overdue."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import ckan.model as model
from ckan.lib import jobs
from ckan.tests import helpers

from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application, Notification
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity.scheduler import Scheduler, send_tick
from ckanext.tjregistry.supervision import digest
from ckanext.tjregistry.tests.publicity_helpers import filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _set(app_id: str, **columns: Any) -> None:
    model.Session.query(Application).filter_by(id=app_id).update(columns)
    model.Session.commit()


@pytest.fixture
def matters(world) -> dict[str, Any]:
    today = workdays.local_today()
    late = submit(world.hp_clerk, make_dataset(world.hp_reg, title="逾期受理的数据"))
    _set(late["id"], accept_due=today - dt.timedelta(days=1))
    review = submit(world.hp_clerk, make_dataset(world.hp_reg, title="明日审结的数据"))
    call_as(world.hp_reviewer, "registration_accept", id=review["id"])
    _set(review["id"], review_due=workdays.add_workdays(today, 1))
    later = submit(world.hp_clerk, make_dataset(world.hp_reg, title="下月审结的数据"))
    call_as(world.hp_reviewer, "registration_accept", id=later["id"])
    _set(later["id"], review_due=today + dt.timedelta(days=40))
    withdrawing = submit(world.hp_clerk, make_dataset(world.hp_reg, title="申请撤回的数据"))
    call_as(world.hp_clerk, "registration_withdraw", id=withdrawing["id"], reasons="重新梳理")
    elsewhere = submit(world.bh_clerk, make_dataset(world.bh_reg, title="滨海逾期数据"))
    _set(elsewhere["id"], accept_due=today - dt.timedelta(days=3))
    _dataset, noticed = in_publicity(world, title="异议待决的数据")
    objection = helpers.call_action("objection_create", {"user": ""}, **filing(noticed["id"]))
    model.Session.query(Objection).filter_by(id=objection["id"]).update({"decide_due": today})
    model.Session.commit()
    return {"late": late["id"], "review": review["id"], "later": later["id"],
            "withdrawing": withdrawing["id"], "elsewhere": elsewhere["id"],
            "objected": noticed["id"], "objection": objection["number"]}


def _notices(user: dict[str, Any]) -> set[tuple[str, str, str]]:
    rows = model.Session.query(Notification).filter(
        Notification.user_id == user["id"],
        Notification.action.in_((digest.DUE, digest.OVERDUE, digest.WAITING))).all()
    return {(row.application_id, row.action, row.to_state) for row in rows}


def test_each_institution_is_told_what_falls_due_once_a_day(world, matters, smtp):
    written = digest.send()
    assert written == {"hp-inst": 8, "bh-inst": 2}  # two reviewers each
    expected = {(matters["late"], digest.OVERDUE, "submitted"),
                (matters["review"], digest.DUE, "accepted"),
                (matters["withdrawing"], digest.WAITING, "withdrawal_requested"),
                (matters["objected"], digest.DUE, "objection_pending")}
    assert _notices(world.hp_reviewer) == expected
    assert _notices(world.hp_reviewer_2) == expected
    assert _notices(world.bh_reviewer) == {(matters["elsewhere"], digest.OVERDUE, "submitted")}
    assert _notices(world.hp_clerk) == set()

    mail = smtp.to("hp_reviewer@example.org")
    assert len(mail) == 1
    body = mail[0].get_content()
    for text in ("逾期受理的数据", "已逾期 / overdue", "明日审结的数据", "即将到期 / due soon",
                 "申请撤回的数据", matters["objection"], "异议调查决定"):
        assert text in body, text
    assert "下月审结的数据" not in body and "滨海逾期数据" not in body

    # The notices read as such on the reviewer's list.
    listed = call_as(world.hp_reviewer, "registration_notification_list")["results"]
    labels = {item["label"].get("zh_Hans_CN") for item in listed}
    assert {"已超过办理期限", "办理期限将至", "待作出决定"} <= labels
    # Sent again the same day: nothing new, no second e-mail.
    assert sum(digest.send().values()) == 0
    assert len(smtp.to("hp_reviewer@example.org")) == 1


def test_the_scheduler_queues_it_each_working_morning(world, matters, monkeypatch):
    monkeypatch.setattr(digest, "_done_for", {})
    queue = jobs.get_queue("default")
    queue.empty()
    tianjin = workdays.timezone()
    clock = {"now": dt.datetime(2026, 12, 8, 8, 29, tzinfo=tianjin)}  # a Tuesday
    scheduler = Scheduler(wait=lambda seconds: False,
                          clock=lambda: clock["now"].astimezone(dt.timezone.utc),
                          enqueue=lambda: None, tick=send_tick)

    def step() -> list[Any]:
        scheduler._pause(0)
        queued = [job for job in queue.get_jobs()
                  if job.func_name == "ckanext.tjregistry.supervision.digest.digest_job"]
        for job in queue.get_jobs():
            job.delete()
        return queued

    assert step() == []  # before the digest time
    clock["now"] = clock["now"].replace(minute=31)
    (job,) = step()
    assert job.args == ["2026-12-08"]
    clock["now"] = clock["now"].replace(hour=15)
    assert step() == []  # once a day
    clock["now"] = dt.datetime(2026, 12, 12, 9, 0, tzinfo=tianjin)  # a Saturday
    assert step() == []


def test_the_command_shows_and_sends(cli, world, matters):
    shown = cli.invoke(tjregistry, ["report", "digest"])
    assert shown.exit_code == 0, shown.output
    assert "和平区登记机构" in shown.output and "逾期受理的数据" in shown.output
    assert _notices(world.hp_reviewer) == set()
    sent = cli.invoke(tjregistry, ["report", "digest", "--send"])
    assert "notices written: 10" in sent.output
    bad = cli.invoke(tjregistry, ["report", "digest", "--date", "someday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
