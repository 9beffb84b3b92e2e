"""Automatic issuance when publicity ends (the scheduler, the RQ worker and the cron
command), and the certificate following revocation, cancellation, reversal and renewal of
a registration."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import redis
from click.testing import CliRunner

import ckan.lib.jobs as jobs
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.publicity.scheduler import Scheduler
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.certificates.conftest import move_term
from ckanext.tjregistry.tests.publicity_helpers import end_publicity, filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    colleague,
    make_dataset,
    search_everything,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "own_dirs")


def _state(app_id: str) -> str:
    model.Session.expire_all()
    return model.Session.get(Application, app_id).state


def _run_worker() -> None:
    """CKAN's RQ worker in burst mode against the real Redis (in-process: with_test_worker)."""
    jobs.Worker(["default"]).work(burst=True)


def _verify(code: str) -> str:
    return helpers.call_action("certificate_verify", {"user": ""}, code=code)["result"]


@pytest.mark.usefixtures("with_test_worker", "clean_queues")
def test_the_background_job_issues_when_publicity_has_ended(world):
    dataset, app = in_publicity(world)
    # Still running: the job leaves it alone.
    publicity.enqueue_sweep()
    _run_worker()
    assert _state(app["id"]) == "publicity"
    assert issuance.current_for_package(dataset["id"]) is None

    end_publicity(app["id"])
    job = publicity.enqueue_sweep()
    assert job.meta["title"] == publicity.SWEEP_JOB_TITLE
    assert jobs.get_queue().count == 1
    _run_worker()
    assert jobs.get_queue().count == 0
    assert _state(app["id"]) == "issued"
    certificate = issuance.current_for_package(dataset["id"])
    assert certificate is not None and certificate.status == "valid"
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["registration_status"] == "registered"
    assert shown["registration_code"] == certificate.code
    actions = [e["action"] for e in call_as(world.hp_clerk, "registration_history",
                                            id=app["id"])]
    assert actions[-4:] == ["close_publicity", "register", "issue", "issue:data"]
    assert history.verify().ok


@pytest.mark.usefixtures("with_test_worker", "clean_queues")
def test_no_certificate_while_an_objection_is_undecided(world):
    dataset, app = in_publicity(world)
    made = helpers.call_action("objection_create", {"user": ""}, **filing(app["id"]))
    end_publicity(app["id"])
    report = publicity.sweep()
    assert report.closed == [] and report.issued == []
    assert _state(app["id"]) == "objection_pending"
    assert issuance.current_for_package(dataset["id"]) is None

    # Not upheld after the period ended: the sweep is queued at once and issues.
    call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="not_upheld",
            finding="经调查,异议人未能提供权属证明,异议不成立。")
    assert _state(app["id"]) == "publicity"
    assert jobs.get_queue().count == 1
    _run_worker()
    assert _state(app["id"]) == "issued"
    assert _verify(issuance.current_for_package(dataset["id"]).code) == "valid"


def test_an_upheld_objection_means_no_certificate(world):
    dataset, app = in_publicity(world)
    made = helpers.call_action("objection_create", {"user": ""}, **filing(app["id"]))
    call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="upheld",
            finding="登记主体对该数据不享有管理职责,异议成立。")
    end_publicity(app["id"])
    publicity.sweep()
    assert _state(app["id"]) == "terminated"
    assert issuance.current_for_package(dataset["id"]) is None
    assert helpers.call_action("package_show", id=dataset["id"])["registration_status"] \
        == "unregistered"


def test_the_cron_command_runs_the_same_sweep(world):
    dataset, app = in_publicity(world)
    _other, waiting = in_publicity(world, org="city_reg")
    end_publicity(app["id"])
    result = CliRunner().invoke(tjregistry, ["workflow", "close-publicity"])
    assert result.exit_code == 0, result.output
    assert "1 publicity periods closed, 1 certificates issued" in result.output
    closes = publicity.ends_at(model.Session.get(Application, waiting["id"]).publicity_end)
    assert f"next period closes at {closes.isoformat(timespec='minutes')}" in result.output
    assert _state(app["id"]) == "issued"
    assert _state(waiting["id"]) == "publicity"
    assert issuance.current_for_package(dataset["id"]).status == "valid"


@pytest.mark.usefixtures("clean_queues")
def test_the_cron_command_can_hand_the_sweep_to_the_worker(world):
    result = CliRunner().invoke(tjregistry, ["workflow", "close-publicity", "--enqueue"])
    assert result.exit_code == 0, result.output
    job_id = result.output.split("queued job ")[1].strip()
    assert jobs.job_from_id(job_id).meta["title"] == publicity.SWEEP_JOB_TITLE


def test_a_failed_issuance_is_retried_by_the_next_sweep(world, monkeypatch):
    dataset, app = in_publicity(world)
    end_publicity(app["id"])

    def offline(*args, **kwargs):
        raise RuntimeError("signing device offline")

    with monkeypatch.context() as patch:
        patch.setattr("ckanext.tjregistry.certificates.issuance.signing.sign_content", offline)
        report = publicity.sweep()
    assert report.closed == [app["id"]] and report.awaiting_issuance == [app["id"]]
    assert "signing device offline" in report.failed[app["id"]]
    assert _state(app["id"]) == "approved"
    report = publicity.sweep()
    assert report.issued == [app["id"]] and not report.failed
    assert issuance.current_for_package(dataset["id"]).status == "valid"


def test_the_cron_command_fails_when_an_application_fails(world, ckan_config, monkeypatch):
    """No signing key and none may be generated: the period closes, the certificate cannot
    be issued, and the command says which application failed and exits with 1."""
    monkeypatch.setitem(ckan_config, "tjregistry.certificate.auto_generate_keys", "false")
    _dataset, app = in_publicity(world)
    end_publicity(app["id"])
    result = CliRunner().invoke(tjregistry, ["workflow", "close-publicity"])
    assert result.exit_code == 1, result.output
    assert "1 publicity periods closed, 0 certificates issued, 1 awaiting issuance" \
        in result.output
    assert f"1 applications failed: {app['id']}" in result.output
    assert f"{app['id']}: " in result.output and "signing key" in result.output
    assert _state(app["id"]) == "approved"


@pytest.fixture
def far_sweep_time(ckan_config, monkeypatch) -> None:
    """A sweep time at least six hours away from the clock, so that no test runs across the
    end of a period; in the evening it is noon, and a period ending today is over."""
    hour = dt.datetime.now(workdays.timezone()).hour
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.sweep_time",
                        "24:00" if hour < 18 else "12:00")


def _set_last_day(app_id: str, day: dt.date) -> None:
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app_id).update({"publicity_end": day})


@pytest.mark.usefixtures("far_sweep_time")
def test_a_period_closes_at_the_sweep_time_of_its_last_day_and_not_before(world):
    dataset, over = in_publicity(world)
    _other, running = in_publicity(world, org="city_reg")
    last = publicity.last_ended_day()
    _set_last_day(over["id"], last)
    _set_last_day(running["id"], last + dt.timedelta(days=1))

    report = publicity.sweep()
    assert report.closed == [over["id"]] and report.issued == [over["id"]]
    assert issuance.current_for_package(dataset["id"]).status == "valid"
    assert _state(running["id"]) == "publicity"
    # The workflow refuses to close a running period whoever asks.
    with pytest.raises(tk.ValidationError):
        workflow.close_publicity(running["id"])
    assert publicity.next_closing() == publicity.ends_at(last + dt.timedelta(days=1))
    assert [i["id"] for i in publicity.listing()["results"]] == [running["id"]]


# ---------------------------------------------------------------------------
# The scheduler


class FakeClock:
    """The scheduler's clock and sleep: sleeping moves the clock on, without waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.naps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.naps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        return False


@pytest.mark.usefixtures("with_test_worker", "clean_queues")
def test_a_scheduler_iteration_queues_the_sweep_and_the_worker_issues(world, tmp_path):
    dataset, app = in_publicity(world)
    end_publicity(app["id"])
    tianjin = zoneinfo.ZoneInfo("Asia/Shanghai")
    # Friday 26 September 2025, 10:00: the next trigger is that evening at 23:30.
    clock = FakeClock(dt.datetime(2025, 9, 26, 10, 0, tzinfo=tianjin))
    queued_at: list[dt.datetime] = []

    def enqueue():
        queued_at.append(clock())
        return publicity.enqueue_sweep()

    heartbeat = tmp_path / "alive"
    scheduler = Scheduler(wait=clock.wait, clock=clock, enqueue=enqueue, heartbeat=heartbeat)
    job = scheduler.run_once()
    trigger = dt.datetime(2025, 9, 26, 23, 30, tzinfo=tianjin)
    assert queued_at == [trigger]
    assert sum(clock.naps) == (trigger - dt.datetime(2025, 9, 26, 10, 0, tzinfo=tianjin)) \
        .total_seconds()
    assert max(clock.naps) <= scheduler.poll_seconds and heartbeat.exists()
    assert job.meta["title"] == publicity.SWEEP_JOB_TITLE
    assert [j.id for j in jobs.get_queue().jobs] == [job.id]
    assert _state(app["id"]) == "publicity"  # the worker issues, not the scheduler

    _run_worker()
    assert jobs.get_queue().count == 0
    assert _state(app["id"]) == "issued"
    assert _verify(issuance.current_for_package(dataset["id"]).code) == "valid"

    # The next iteration waits for the end of the next working day (Sunday, make-up day).
    scheduler.run_once()
    assert queued_at[-1] == dt.datetime(2025, 9, 28, 23, 30, tzinfo=tianjin)


@pytest.mark.usefixtures("with_test_worker", "clean_queues")
def test_the_scheduler_catches_up_at_start(world):
    dataset, app = in_publicity(world)
    waiting = Scheduler(wait=lambda seconds: False)
    assert waiting.catch_up() is None  # the period runs: nothing to catch up
    assert jobs.get_queue().count == 0

    end_publicity(app["id"], days_ago=3)  # ended while the scheduler was down
    job = waiting.catch_up()
    assert job is not None and jobs.get_queue().count == 1
    _run_worker()
    assert _state(app["id"]) == "issued"
    assert issuance.current_for_package(dataset["id"]).status == "valid"


@pytest.mark.usefixtures("clean_queues")
def test_the_scheduler_retries_while_redis_cannot_be_reached(world):
    _dataset, app = in_publicity(world)
    end_publicity(app["id"])
    attempts = []

    def enqueue():
        attempts.append(1)
        if len(attempts) < 3:
            raise redis.exceptions.ConnectionError("Connection refused")
        return publicity.enqueue_sweep()

    naps: list[float] = []
    scheduler = Scheduler(wait=lambda seconds: naps.append(seconds) or False,
                          enqueue=enqueue, retry_seconds=30)
    job = scheduler.catch_up()
    assert len(attempts) == 3 and naps == [30, 30]
    assert [j.id for j in jobs.get_queue().jobs] == [job.id]


@pytest.mark.usefixtures("clean_queues")
def test_the_scheduler_stops_when_told_while_waiting(world):
    _dataset, app = in_publicity(world)
    end_publicity(app["id"])
    scheduler = Scheduler(wait=lambda seconds: True, enqueue=lambda: pytest.fail("queued"))
    scheduler.run_once()  # told to stop during the first wait
    assert scheduler.stopped
    scheduler.run()  # returns at once: neither catch-up nor trigger
    assert jobs.get_queue().count == 0


@pytest.mark.usefixtures("clean_queues")
def test_a_waiting_sweep_is_not_queued_twice():
    first = publicity.enqueue_sweep()
    assert publicity.enqueue_sweep().id == first.id
    assert jobs.get_queue().count == 1


# ---------------------------------------------------------------------------
# The certificate follows the registration


def _registered(world) -> tuple[dict, str]:
    """A dataset registered through the workflow, with its certificate code."""
    dataset = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, dataset)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert _state(app["id"]) == "issued"
    code = issuance.current_for_package(dataset["id"]).code
    assert _verify(code) == "valid"
    return dataset, code


def test_revocation_revokes_the_certificate_and_a_reversal_restores_it(world):
    dataset, code = _registered(world)
    call_as(world.hp_reviewer, "registration_revoke", package_id=dataset["id"],
            ground="false_materials", reasons="登记材料中的数据来源系伪造")
    assert _verify(code) == "revoked"
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["registration_status"] == "revoked"
    assert shown["certificate_status"] == "revoked"
    assert search_everything(fq="certificate_status:revoked",
                             include_private=True)["count"] == 1
    events = call_as(world.hp_reviewer, "registration_history", package_id=dataset["id"])
    assert events[-1]["action"] == "revoke"
    assert events[-1]["data"]["registration_code"] == code
    assert events[-1]["data"]["certificate_status"] == "revoked"

    # The district revocation is filed with the city, which reverses it (Art. 29).
    call_as(world.city_reviewer, "registration_revocation_review", package_id=dataset["id"],
            decision="reverse", reasons="核实后数据来源真实,撤销不当")
    assert _verify(code) == "valid"
    assert helpers.call_action("package_show", id=dataset["id"])["certificate_status"] \
        == "valid"
    assert history.verify().ok


def test_a_failed_revocation_leaves_the_certificate_valid(world, monkeypatch):
    dataset, code = _registered(world)

    def broken(*args, **kwargs):
        raise RuntimeError("history store unavailable")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr("ckanext.tjregistry.common.history.append", broken)
        call_as(world.hp_reviewer, "registration_revoke", package_id=dataset["id"],
                ground="false_materials", reasons="撤销失败时凭证不应改变")
    model.Session.remove()
    assert _verify(code) == "valid"
    assert model.Session.query(Certificate).filter_by(code=code).one().status == "valid"


def test_cancellation_cancels_the_certificate(world):
    dataset, code = _registered(world)
    app = submit(world.hp_clerk, dataset, application_type="cancellation",
                 reasons="该数据资源已停止提供")
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    assert _verify(code) == "cancelled"
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["registration_status"] == "cancelled"
    assert shown["certificate_status"] == "cancelled"
    certificate = model.Session.query(Certificate).filter_by(code=code).one()
    assert certificate.status_reason == "该数据资源已停止提供"


def test_renewal_enters_the_history(world):
    dataset, code = _registered(world)
    move_term(code, workdays.local_today() + dt.timedelta(days=30))
    renewed = call_as(world.hp_reviewer, "certificate_renew", code=code)
    assert renewed["version"] == 2
    events = call_as(world.hp_reviewer, "registration_history", package_id=dataset["id"])
    event = events[-1]
    assert event["action"] == "renew_certificate"
    assert event["data"] == {"registration_code": code, "certificate_version": 2,
                             "valid_until": renewed["valid_until"]}
    assert event["role"] == "reviewer"
    assert event["from_state"] == event["to_state"] == "registered"
    assert history.verify().ok
