"""Who may do what, where: a table-driven matrix of roles and jurisdictions, and a property test."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, jurisdiction
from ckanext.tjregistry.model import Application, Event, Registration
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    colleague,
    make_dataset,
    make_org,
    make_user,
    set_org_fields,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")

ACTORS = ("hp_clerk", "bh_clerk", "hp_reviewer", "bh_reviewer", "city_reviewer", "officer",
          "outsider", "sysadmin", None)


def _allowed(actor: str | None, auth: str, data: dict[str, Any]) -> bool:
    context: dict[str, Any] = {"user": (actor and (actor if actor != "sysadmin" else "tjsysadmin"))
                               or ""}
    if actor is None:
        context = {"user": ""}
    try:
        helpers.call_auth(auth, context, **data)
    except tk.NotAuthorized:
        return False
    return True


# Expected permission of each actor for an application of a 和平区 registrant.
MATRIX = {
    "registration_submit": {"hp_clerk"},
    "registration_resubmit": {"hp_clerk"},
    "registration_withdraw": {"hp_clerk"},
    "registration_accept": {"hp_reviewer"},
    "registration_request_supplement": {"hp_reviewer"},
    "registration_approve": {"hp_reviewer"},
    "registration_reject": {"hp_reviewer"},
    "registration_refuse": {"hp_reviewer"},
    "registration_withdraw_decide": {"hp_reviewer"},
    "registration_transfer": {"hp_reviewer"},
    # The city institution manages all registration information (Art. 7): it may read.
    "registration_show": {"hp_clerk", "hp_reviewer", "city_reviewer", "officer", "sysadmin"},
    "registration_history": {"hp_clerk", "hp_reviewer", "city_reviewer", "officer",
                             "sysadmin"},
    "registration_revoke": {"hp_reviewer"},
    "registration_revocation_review": {"city_reviewer"},
}


def test_permission_matrix_for_a_district_application(world):
    ds = make_dataset(world.hp_reg, spatial=["120101"])
    app = submit(world.hp_clerk, ds)
    reg_ds = make_dataset(world.hp_reg)
    reg_app = submit(world.hp_clerk, reg_ds)
    call_as(world.hp_reviewer, "registration_accept", id=reg_app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=reg_app["id"])
    workflow.on_issued(reg_app["id"])
    problems = []
    for auth, allowed in MATRIX.items():
        if auth == "registration_submit":
            data = {"package_id": make_dataset(world.hp_reg)["id"]}
        elif auth in ("registration_revoke", "registration_revocation_review"):
            data = {"package_id": reg_ds["id"]}
        elif auth == "registration_history":
            data = {"id": app["id"]}
        else:
            data = {"id": app["id"]}
        for actor in ACTORS:
            if _allowed(actor, auth, data) != (actor in allowed):
                problems.append((auth, actor))
    assert problems == []


def test_city_level_application_belongs_to_the_city_institution(world):
    app = submit(world.city_clerk, make_dataset(world.city_reg))
    assert _allowed("city_reviewer", "registration_accept", {"id": app["id"]})
    for actor in ("hp_reviewer", "bh_reviewer", "officer", "sysadmin", "city_clerk"):
        assert not _allowed(actor, "registration_accept", {"id": app["id"]}), actor


@pytest.mark.parametrize(("spatial", "expected_inst", "routing"), [
    ([], "hp_inst", "district"),
    (["120101"], "hp_inst", "district"),
    (["120101", "120116"], "city_inst", "cross_level_or_district"),
    (["120000"], "city_inst", "cross_level_or_district"),
    (["120116"], "city_inst", "cross_level_or_district"),
])
def test_routing_by_level_and_area(world, spatial, expected_inst, routing):
    app = submit(world.hp_clerk, make_dataset(world.hp_reg, spatial=spatial))
    assert app["institution"]["id"] == world.orgs[expected_inst]["id"]
    assert app["routing"] == routing
    reviewer = "hp_reviewer" if expected_inst == "hp_inst" else "city_reviewer"
    other = "city_reviewer" if reviewer == "hp_reviewer" else "hp_reviewer"
    assert _allowed(reviewer, "registration_accept", {"id": app["id"]})
    assert not _allowed(other, "registration_accept", {"id": app["id"]})


def test_undeterminable_or_unserved_districts_go_to_the_city(world):
    nowhere = make_org("nowhere-reg", "registrant", "", "", verified=True)
    clerk = make_user("nowhere_clerk", nowhere)
    app = submit(clerk, make_dataset(nowhere))
    assert app["routing"] == "undeterminable"
    assert app["institution"]["id"] == world.city_inst["id"]
    jizhou = make_org("jz-reg", "registrant", "district", "120119", verified=True)
    jz_clerk = make_user("jz_clerk", jizhou)
    app = submit(jz_clerk, make_dataset(jizhou))
    assert app["routing"] == "district_institution_unavailable"
    assert app["institution"]["id"] == world.city_inst["id"]


def test_suspended_institution_cannot_act_and_the_city_takes_over(world):
    app = submit(world.hp_clerk, make_dataset(world.hp_reg))
    set_org_fields(world.hp_inst["id"], qualification_status="suspended")
    assert not _allowed("hp_reviewer", "registration_accept", {"id": app["id"]})
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    assert _allowed("city_reviewer", "registration_accept", {"id": app["id"]})
    accepted = call_as(world.city_reviewer, "registration_accept", id=app["id"])
    assert accepted["acting_institution"]["id"] == world.city_inst["id"]
    event = model.Session.query(Event).filter_by(action="accept").one()
    assert event.institution_id == world.city_inst["id"]
    # New applications of that district go straight to the city.
    new = submit(world.hp_clerk, make_dataset(world.hp_reg))
    assert new["institution"]["id"] == world.city_inst["id"]
    assert jurisdiction.institutions_in_jurisdiction(model.User.get("hp_reviewer")) == []


def test_queue_never_shows_other_jurisdictions(world):
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    submit(world.bh_clerk, make_dataset(world.bh_reg))
    hp = call_as(world.hp_reviewer, "registration_list", scope="queue")["results"]
    bh = call_as(world.bh_reviewer, "registration_list", scope="queue")["results"]
    assert [a["registrant"]["name"] for a in hp] == ["hp-reg"]
    assert [a["registrant"]["name"] for a in bh] == ["bh-reg"]
    assert call_as(world.bh_clerk, "registration_list", scope="mine")["count"] == 1


def test_registrant_member_without_editing_rights_cannot_submit(world):
    viewer = make_user("hp_viewer", world.hp_reg, capacity="member")
    ds = make_dataset(world.hp_reg)
    with pytest.raises(tk.NotAuthorized):
        submit(viewer, ds)
    app = submit(world.hp_clerk, ds)
    # ...but may follow the application of its organization.
    assert call_as(viewer, "registration_show", id=app["id"])["id"] == app["id"]


OPEN = {"open_type": "unconditional", "access_method": "open",
        "open_platform_url": "https://data.tj.gov.cn/x"}


def _drive(world, state: str, open_data: bool = False) -> dict[str, Any]:
    """An application of 和平区 in ``state``, reached through the real actions."""
    rev, clerk = world.hp_reviewer, world.hp_clerk
    fields = OPEN if state == "publicity" or open_data else {}
    ds = make_dataset(world.hp_reg, **fields)
    app = submit(clerk, ds)
    steps = {
        "submitted": [],
        "supplement_requested": [(rev, "registration_request_supplement", {"items": ["a"]})],
        "accepted": [(rev, "registration_accept", {})],
        "publicity": [(rev, "registration_accept", {}),
                      (colleague(rev), "registration_approve", {})],
        "approved": [(rev, "registration_accept", {}),
                     (colleague(rev), "registration_approve", {})],
        "withdrawal_requested": [(clerk, "registration_withdraw", {"reasons": "r"})],
        "rejected": [(rev, "registration_accept", {}),
                     (rev, "registration_reject", {"reasons": "r"})],
        "refused": [(rev, "registration_refuse", {"ground": "duplicate", "reasons": "r"})],
        "withdrawn": [(clerk, "registration_withdraw", {"reasons": "r"}),
                      (rev, "registration_withdraw_decide", {"consent": True})],
        "issued": [(rev, "registration_accept", {}), (colleague(rev), "registration_approve", {})],
    }[state]
    for user, action, data in steps:
        app = call_as(user, action, id=app["id"], **data)
    if state == "issued":
        workflow.on_issued(app["id"])
    assert model.Session.get(Application, app["id"]).state == state
    return app


VALID_INPUTS: dict[str, tuple[str, dict[str, Any]]] = {
    "registration_resubmit": ("hp_clerk", {"pledge": True, "internal_review": True}),
    "registration_withdraw": ("hp_clerk", {"reasons": "理由"}),
    "registration_accept": ("hp_reviewer", {}),
    "registration_request_supplement": ("hp_reviewer", {"items": ["事项"]}),
    "registration_approve": ("hp_reviewer_2", {}),
    "registration_reject": ("hp_reviewer", {"reasons": "理由"}),
    "registration_refuse": ("hp_reviewer", {"ground": "duplicate", "reasons": "理由"}),
    "registration_withdraw_decide": ("hp_reviewer", {"consent": True}),
    "registration_transfer": ("hp_reviewer", {"to_institution": "city-inst",
                                              "reasons": "跨区数据"}),
}


@pytest.mark.parametrize("state", ["submitted", "supplement_requested", "accepted", "publicity",
                                   "approved", "withdrawal_requested", "rejected", "refused",
                                   "withdrawn", "issued"])
def test_every_illegal_transition_is_refused_with_a_clear_error(world, state):
    app = _drive(world, state)
    events = model.Session.query(Event).count()
    legal = {t.api for t in workflow.TRANSITIONS
             if t.api and t.subject == workflow.APPLICATION and state in t.sources}
    for api, (actor, data) in VALID_INPUTS.items():
        if api in legal:
            continue
        with pytest.raises(tk.ValidationError) as error:
            call_as(world.users[actor], api, id=app["id"], **data)
        assert "state" in error.value.error_dict, (state, api)
    model.Session.remove()
    assert model.Session.get(Application, app["id"]).state == state
    assert model.Session.query(Event).count() == events


@pytest.mark.parametrize("transition", [t.name for t in workflow.TRANSITIONS
                                        if t.api and t.subject == workflow.APPLICATION
                                        and t.action != "submit"])
def test_every_application_transition_can_be_performed(world, transition):
    t = workflow.TRANSITION_BY_NAME[transition]
    app = _drive(world, t.sources[0], open_data=transition == "approve_to_publicity")
    if transition == "approve_cancellation":
        # Register the dataset, then apply for its cancellation.
        call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
        workflow.on_issued(app["id"])
        app = submit(world.hp_clerk, {"id": app["package_id"]},
                     application_type="cancellation", reasons="停止提供")
        call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    actor, data = VALID_INPUTS[t.api]  # type: ignore[index]
    if transition == "deny_withdrawal":
        data = {"consent": False, "reasons": "不同意"}
    result = call_as(world.users[actor], t.api, id=app["id"], **data)
    expected = t.target if t.target != workflow.RESUME else "submitted"
    assert result["state"] == expected


def test_registration_transitions_refuse_illegal_states(world):
    ds = make_dataset(world.hp_reg)
    with pytest.raises(tk.NotAuthorized):  # nothing registered yet
        call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
                ground="false_materials", reasons="r")
    app = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=app["id"])
    workflow.on_issued(app["id"])
    call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
            ground="false_materials", reasons="r")
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "registration_revoke", package_id=ds["id"],
                ground="false_materials", reasons="r")
    assert "state" in error.value.error_dict
    with pytest.raises(tk.ValidationError):
        workflow.expire(ds["id"])
    with pytest.raises(tk.ValidationError):
        workflow.on_issued(app["id"])


# ---------------------------------------------------------------------------
# Property: random actors doing random things never reach an illegal state.

ACTIONS: dict[str, list[dict[str, Any]]] = {
    "registration_resubmit": [{"pledge": True, "internal_review": True}, {}],
    "registration_withdraw": [{"reasons": "理由"}, {}],
    "registration_accept": [{}],
    "registration_request_supplement": [{"items": ["事项"]}, {}],
    "registration_approve": [{}],
    "registration_reject": [{"reasons": "理由"}, {}],
    "registration_refuse": [{"ground": "duplicate", "reasons": "理由"}, {"ground": "x"}],
    "registration_withdraw_decide": [{"consent": True}, {"consent": False, "reasons": "否"},
                                     {"consent": False}],
    "(issue)": [{}],
    "(close_publicity)": [{}],
}
RANDOM_ACTORS = ("hp_clerk", "hp_reviewer", "bh_reviewer", "city_reviewer", "bh_clerk",
                 "officer", "sysadmin")

step = st.tuples(st.sampled_from(sorted(ACTIONS)), st.sampled_from(RANDOM_ACTORS),
                 st.integers(min_value=0, max_value=2))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14), open_data=st.booleans())
def test_random_sequences_never_reach_an_illegal_state(world, steps, open_data):
    ds = make_dataset(world.hp_reg, **(OPEN if open_data else {}))
    app_id = submit(world.hp_clerk, ds)["id"]
    for action, actor, variant in steps:
        model.Session.remove()
        before = model.Session.get(Application, app_id).state
        data = ACTIONS[action][variant % len(ACTIONS[action])]
        try:
            if action == "(issue)":
                workflow.on_issued(app_id)
                actor = "system"
            elif action == "(close_publicity)":
                model.Session.query(Application).filter(
                    Application.id == app_id, Application.state == "publicity").update(
                    {"publicity_end": workflow.workdays.local_today().replace(year=2025)})
                model.Session.commit()
                workflow.close_publicity(app_id)
                actor = "system"
            else:
                call_as(world.users[actor], action, id=app_id, **data)
            ok = True
        except (tk.ValidationError, tk.NotAuthorized):
            ok = False
        model.Session.remove()
        app = model.Session.get(Application, app_id)
        after = app.state
        assert after in workflow.STATE_BY_NAME
        assert app.is_open == (not workflow.STATE_BY_NAME[after].terminal)
        if not ok:
            assert after == before
            continue
        # The change is one the table declares, by a role it allows.
        last = (model.Session.query(Event).filter(Event.application_id == app_id,
                                                  Event.subject == "application")
                .order_by(Event.id.desc()).first())
        t = workflow.TRANSITION_BY_NAME[last.action]
        assert before in t.sources and last.from_state == before and last.to_state == after
        assert t.target in (after, workflow.RESUME)
        assert last.role in t.roles
        if actor != "system":
            assert actor in {"hp_clerk", "hp_reviewer"}
        status = workflow.registration_status(ds["id"])
        reg = model.Session.get(Registration, ds["id"])
        if after == "issued":
            assert status == "registered" and reg.status == "registered"
        elif app.is_open:
            assert status == workflow.STATE_BY_NAME[after].dataset_status
        else:
            assert status == "unregistered"
    assert history.verify().ok
