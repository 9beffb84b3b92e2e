"""The reviewer's queue (registration_list: paging, search, sort, filters, validation) and
each round's submitted content (registration_submission_show)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.model.submission import Submission
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _queue(world, **params):
    return call_as(world.city_reviewer, "registration_list", scope="queue", **params)


def _ids(result) -> list[str]:
    return [row["id"] for row in result["results"]]


def _set(app_id: str, **values) -> None:
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app_id).update(values)


@pytest.fixture
def three(world):
    """Three city applications submitted one after the other, with distinct deadlines."""
    titles = ("公交线路数据", "地铁客流数据", "出租车运营数据")
    apps = [submit(world.city_clerk, make_dataset(world.city_reg, title=title))
            for title in titles]
    base = dt.datetime(2026, 11, 2, 9, 0)
    # Submitted in title order; the deadlines run the other way.
    for index, app in enumerate(apps):
        _set(app["id"], submitted_at=base + dt.timedelta(days=index),
             accept_due=workdays.local_today() + dt.timedelta(days=30 - index))
    return apps


def test_paging_counts_everything_and_pages_do_not_overlap(world, three):
    first = _queue(world, limit=2, offset=0, sort="submitted")
    second = _queue(world, limit=2, offset=2, sort="submitted")
    assert first["count"] == second["count"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert _ids(first) + _ids(second) == [app["id"] for app in three]
    assert _queue(world, limit=2, offset=10)["results"] == []


def test_sort_by_submission_deadline_and_state_both_ways(world, three):
    ids = [app["id"] for app in three]
    assert _ids(_queue(world, sort="submitted")) == ids
    assert _ids(_queue(world, sort="submitted", order="desc")) == ids[::-1]
    # The queue's default: the most urgent deadline first.
    assert _ids(_queue(world)) == ids[::-1]
    assert _ids(_queue(world, sort="deadline", order="desc")) == ids
    call_as(world.city_reviewer, "registration_accept", id=ids[1])
    # Procedure order: 待受理 before 审查中; ties by submission time.
    assert _ids(_queue(world, sort="state")) == [ids[0], ids[2], ids[1]]
    assert _ids(_queue(world, sort="state", order="desc"))[0] == ids[1]


def test_search_by_title_registrant_code_and_application_number(world, three):
    assert _ids(_queue(world, q="地铁")) == [three[1]["id"]]
    assert _queue(world, q="交通运输委员会")["count"] == 3  # the registrant's name
    assert _queue(world, q="city-reg")["count"] == 3
    assert _ids(_queue(world, q=three[2]["id"][:8])) == [three[2]["id"]]
    assert _queue(world, q="地铁 出租车")["count"] == 0  # every word must occur
    assert _queue(world, q="100%_")["count"] == 0  # LIKE wildcards are plain characters
    # The registration code a dataset keeps for life.
    with workflow.transaction() as session:
        session.add(Certificate(code="TJ-120000-2026-DR-000042", version=1,
                                package_id=three[0]["package_id"],
                                application_id=three[0]["id"],
                                institution_id=world.city_inst["id"],
                                object_type="data_resource", registration_type="initial",
                                status="valid", issued_at=dt.datetime(2026, 11, 30),
                                valid_from=dt.date(2026, 11, 30),
                                valid_until=dt.date(2029, 11, 29),
                                term_end=dt.date(2029, 11, 29), envelope={}, canonical="{}"))
    assert _ids(_queue(world, q="DR-000042")) == [three[0]["id"]]


def test_filters_state_type_and_overdue_in_sql(world, three):
    call_as(world.city_reviewer, "registration_accept", id=three[0]["id"])
    assert _ids(_queue(world, state="accepted")) == [three[0]["id"]]
    assert _queue(world, state="submitted")["count"] == 2
    assert _queue(world, application_type="initial")["count"] == 3
    assert _queue(world, application_type="change")["count"] == 0
    _set(three[2]["id"], accept_due=dt.date(2025, 1, 6))
    overdue = _queue(world, overdue=True)
    assert _ids(overdue) == [three[2]["id"]] and overdue["results"][0]["overdue"]
    assert _queue(world, overdue="on")["count"] == 1  # a ticked checkbox
    # Overdue is counted in the database, so the count and the pages agree.
    assert _queue(world, overdue="1", limit=1, offset=1) == {"count": 1, "results": []}


@pytest.mark.parametrize("params, field", [
    ({"sort": "title"}, "sort"),
    ({"order": "sideways"}, "order"),
    ({"state": "registered"}, "state"),
    ({"application_type": "renewal"}, "application_type"),
    ({"scope": "everything"}, "scope"),
    ({"q": "x" * 201}, "q"),
    ({"q": ["公交"]}, "q"),
    ({"overdue": "maybe"}, "overdue"),
    ({"limit": "many"}, "limit"),
    ({"offset": -1}, "offset"),
])
def test_bad_list_parameters_are_validation_errors(world, params, field):
    with pytest.raises(tk.ValidationError) as raised:
        call_as(world.city_reviewer, "registration_list", **{"scope": "queue", **params})
    messages = raised.value.error_dict[field]
    assert messages and all(isinstance(m, str) for m in messages)
    if field in ("sort", "order", "state", "application_type", "scope", "q"):
        # Written in both languages for API clients.
        assert " / " in messages[0] and any("\u4e00" <= ch <= "\u9fff" for ch in messages[0])


def test_empty_choices_mean_no_filter(world, three):
    assert _queue(world, state="", application_type="", sort="", order="", q="  ")["count"] == 3


def test_a_page_of_the_queue_costs_a_bounded_number_of_queries(world):
    for _ in range(12):
        submit(world.city_clerk, make_dataset(world.city_reg))
    statements: list[str] = []

    def count(*args, **kwargs) -> None:
        statements.append(args[2])

    _queue(world, limit=2)  # warm up caches that do not depend on the page
    sa.event.listen(model.meta.engine, "before_cursor_execute", count)
    try:
        _queue(world, limit=2)
        few = len(statements)
        statements.clear()
        _queue(world, limit=12)
        many = len(statements)
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", count)
    # Ten more rows cost no more than a couple of extra statements, not ten per row.
    assert many - few <= 3, (few, many, statements)


def test_each_round_keeps_what_was_submitted_and_what_changed(world):
    ds = make_dataset(world.hp_reg, title="和平区学校名录", notes="第一版简介")
    app = submit(world.hp_clerk, ds)
    first = call_as(world.hp_reviewer, "registration_submission_show", id=app["id"])
    assert first["round"] == 1 and first["rounds"] == [1]
    assert first["previous_round"] is None and first["changes"] == []
    assert first["fingerprint_matches"] is True
    assert first["dataset_sha256"] == app["dataset_sha256"]
    fields = {row["field"]: row["value"] for row in first["fields"]}
    assert fields["title"] == "和平区学校名录" and fields["notes"] == "第一版简介"
    assert "id" not in fields and "metadata_modified" not in fields
    assert fields["tags"] and all(isinstance(tag, str) for tag in fields["tags"])  # names

    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
            items=["补充简介"])
    call_as(world.hp_clerk, "package_patch", id=ds["id"], notes="补充后的简介",
            title="和平区中小学名录")
    resubmitted = call_as(world.hp_clerk, "registration_resubmit", id=app["id"], pledge=True,
                          internal_review=True)
    second = call_as(world.hp_reviewer, "registration_submission_show", id=app["id"])
    assert second["round"] == 2 and second["rounds"] == [1, 2]
    assert second["previous_round"] == 1
    assert second["dataset_sha256"] == resubmitted["dataset_sha256"] != first["dataset_sha256"]
    changes = {c["field"]: c for c in second["changes"]}
    assert set(changes) == {"title", "notes"}
    assert (changes["notes"]["before"], changes["notes"]["after"]) == ("第一版简介", "补充后的简介")
    assert changes["title"]["kind"] == "changed"
    # An earlier round stays readable as it was.
    again = call_as(world.hp_clerk, "registration_submission_show", id=app["id"], round=1)
    assert {r["field"]: r["value"] for r in again["fields"]}["notes"] == "第一版简介"
    # The rows are append-only.
    with pytest.raises(sa.exc.DBAPIError), workflow.transaction() as session:
        session.query(Submission).filter_by(application_id=app["id"]).update(
            {"dataset_sha256": "0" * 64})


def test_submission_show_is_for_those_who_may_see_the_application(world):
    app = submit(world.hp_clerk, make_dataset(world.hp_reg))
    with pytest.raises(tk.NotAuthorized):
        call_as(world.bh_reviewer, "registration_submission_show", id=app["id"])
    with pytest.raises(tk.ObjectNotFound):
        call_as(world.hp_reviewer, "registration_submission_show", id="nothing")
    with pytest.raises(tk.ObjectNotFound):
        call_as(world.hp_reviewer, "registration_submission_show", id=app["id"], round=5)
    with pytest.raises(tk.ValidationError) as raised:
        call_as(world.hp_reviewer, "registration_submission_show", id=app["id"], round="two")
    assert "round" in raised.value.error_dict
