"""Automatic expiry: the scheduler's first step of each Tianjin day queues the expiry
sweep, and every view follows as soon as the worker has run it."""
from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.lib import jobs
from ckan.tests import helpers

from ckanext.tjregistry.certificates import expiry
from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.publicity.scheduler import Scheduler, send_tick
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import (
    register_dataset,
    search_everything,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def test_a_certificate_expires_at_the_first_step_after_tianjin_midnight(world, monkeypatch):
    monkeypatch.setattr(expiry, "_queued_for", {})
    queue = jobs.get_queue(expiry._queue_name())
    queue.empty()
    dataset = register_dataset(world, title="和平区体育场馆开放数据")
    certificate = model.Session.query(Certificate).filter_by(package_id=dataset["id"]).one()
    code, last_day = certificate.code, certificate.valid_until
    tianjin = workdays.timezone()
    clock = {"now": dt.datetime.combine(last_day, dt.time(23, 59), tianjin)}
    scheduler = Scheduler(wait=lambda seconds: False,
                          clock=lambda: clock["now"].astimezone(dt.timezone.utc),
                          enqueue=lambda: None, tick=send_tick)

    def step_and_run() -> int:
        """One scheduler step; then the worker's part: run the expiry sweeps queued."""
        scheduler._pause(0)
        ran = 0
        for job in queue.get_jobs():
            if job.func_name == "ckanext.tjregistry.certificates.expiry.expiry_job":
                job.perform()
                ran += 1
            job.delete()
        model.Session.remove()
        return ran

    def status() -> str:
        return workflow.registration_status(dataset["id"])

    # The last valid day, a minute before midnight: the day's sweep runs, nothing lapses.
    assert step_and_run() == 1
    assert status() == "registered"
    clock["now"] += dt.timedelta(seconds=30)
    assert step_and_run() == 0  # once a day
    # A minute after Tianjin midnight (16:01 UTC): the next day's sweep expires it.
    clock["now"] = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 1), tianjin)
    assert step_and_run() == 1
    assert status() == "expired"
    assert model.Session.query(Certificate).filter_by(code=code).one().status == "expired"
    # Every view follows: the index (status facet), the public query and the announcements.
    found = search_everything(fq=f'id:"{dataset["id"]}"')["results"]
    assert found[0]["registration_status"] == "expired"
    query = helpers.call_action("registration_query", {"user": ""}, code=code)
    assert [row["registration_status"] for row in query["results"]] == ["expired"]
    announced = helpers.call_action("announcement_list", {"user": ""}, kind="expiry")
    assert [item["registration_code"] for item in announced["results"]] == [code]

