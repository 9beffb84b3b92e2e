"""Separation of duties: recusal of people tied to the registrant, and four eyes."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.registration import declaration
from ckanext.tjregistry.tests import live_server
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    make_dataset,
    make_org,
    make_user,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _member(org: dict[str, Any], user: dict[str, Any], capacity: str) -> None:
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id=org["id"], username=user["name"], role=capacity)


def _refusal(user: dict[str, Any], action: str, **data: Any) -> str:
    with pytest.raises(tk.NotAuthorized) as refused:
        call_as(user, action, **data)
    return str(refused.value)


def _state(app_id: str) -> str:
    model.Session.remove()
    return model.Session.get(Application, app_id).state


def _delegate(world, agency: dict[str, Any]) -> None:
    today = workdays.local_today()
    call_as(world.hp_clerk, "agency_delegation_create", registrant_id=world.hp_reg["name"],
            agency_id=agency["name"], scope=["application"],
            valid_from=today.isoformat(),
            valid_until=(today + dt.timedelta(days=365)).isoformat(),
            document_no="WT-2026-101")


# ---------------------------------------------------------------------------
# Recusal


def test_a_member_of_both_sides_cannot_decide_on_their_own_application(world, app):
    both = make_user("both_sides", world.hp_reg)
    _member(world.hp_inst, both, "editor")
    application = submit(both, make_dataset(world.hp_reg))

    message = _refusal(both, "registration_accept", id=application["id"])
    assert "回避" in message and "recused" in message and "和平区教育局" in message
    for action, data in (("registration_request_supplement", {"items": ["x"]}),
                         ("registration_refuse", {"ground": "duplicate", "reasons": "r"})):
        _refusal(both, action, id=application["id"], **data)
    assert model.Session.get(Application, application["id"]).state == "submitted"

    # The page tells them why and offers no decision.
    page = BeautifulSoup(app.get(f"/registration/application/{application['id']}",
                                 headers={"Authorization": both["token"]}).body, "html.parser")
    limits = page.find(id="tjr-decision-limits")
    assert limits is not None and "回避" in limits.text and "和平区教育局" in limits.text
    assert page.find(id="tjr-action-accept") is None
    queue = BeautifulSoup(app.get("/registration/?scope=queue",
                                  headers={"Authorization": both["token"]}).body, "html.parser")
    row = queue.find("tr", attrs={"data-application": application["id"]})
    assert row.find(attrs={"data-tjr-limit": "recusal"}) is not None

    # A colleague outside the registrant decides; the registrant side is untouched.
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    _refusal(both, "registration_approve", id=application["id"])
    call_as(world.hp_reviewer_2, "registration_approve", id=application["id"])
    # Approved without publicity: the certificate is issued at once.
    model.Session.remove()
    assert model.Session.get(Application, application["id"]).state == "issued"
    _refusal(both, "registration_revoke", package_id=application["package_id"],
             ground="false_materials", reasons="r")


@pytest.mark.parametrize("capacity", ["member", "editor", "admin"])
def test_any_capacity_in_the_registrant_recuses(world, capacity):
    reviewer = make_user(f"reviewer_{capacity}", world.hp_inst)
    _member(world.hp_reg, reviewer, capacity)
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    assert "回避" in _refusal(reviewer, "registration_accept", id=application["id"])
    # Not tied to another registrant's matters.
    bh_application = submit(world.bh_clerk, make_dataset(world.bh_reg))
    _member(world.bh_inst, reviewer, "editor")
    assert call_as(reviewer, "registration_accept",
                   id=bh_application["id"])["state"] == "accepted"


def test_a_member_of_an_agency_acting_for_the_registrant_is_recused(world):
    agency = make_org("sod-agency", "agency", "city", "120000", title="数链咨询")
    agent = make_user("sod_agent", agency)
    _delegate(world, agency)
    _member(world.hp_inst, agent, "editor")
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    message = _refusal(agent, "registration_accept", id=application["id"])
    assert "代理机构" in message and "数链咨询" in message


def test_the_city_institutions_own_data_is_reviewed_outside_the_filing_organization(world):
    # The city institution's staff file data held by their own organization.
    own = make_org("city-own", "registrant", "city", "120000", verified=True,
                   title="天津市数据发展中心(数据持有)")
    filer = make_user("city_filer", own)
    _member(world.city_inst, filer, "editor")
    _member(own, world.city_reviewer, "member")
    application = submit(filer, make_dataset(own))
    assert application["acting_institution"]["name"] == "city-inst"
    for person in (filer, world.city_reviewer):
        assert "回避" in _refusal(person, "registration_accept", id=application["id"])
    assert call_as(world.city_reviewer2, "registration_accept",
                   id=application["id"])["state"] == "accepted"


def test_a_recused_reviewer_does_not_see_the_objector(world):
    from ckanext.tjregistry.tests.publicity_helpers import filing, in_publicity

    _dataset, application = in_publicity(world)
    objection = helpers.call_action("objection_create", {"user": ""},
                                    **filing(application["id"]))
    tied = make_user("tied_reviewer", world.hp_inst)
    _member(world.hp_reg, tied, "member")
    shown = call_as(tied, "objection_show", id=objection["id"])
    assert "objector_name" not in shown and "id_number" not in shown
    with pytest.raises(tk.NotAuthorized):
        call_as(tied, "objection_decide", id=objection["id"], decision="upheld",
                finding="调查结论:异议成立,理由充分。")
    full = call_as(world.hp_reviewer, "objection_show", id=objection["id"])
    assert full["objector_name"] == "张三"


def test_recusal_holds_over_http_against_a_running_server(world, ckan_server):
    both = make_user("http_both", world.hp_reg)
    _member(world.hp_inst, both, "editor")
    token = factories.APIToken(user=both["name"])["token"]
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    model.Session.commit()
    response = live_server.api_post(ckan_server, "registration_accept", token,
                                    id=application["id"])
    assert response.status_code == 403
    assert "回避" in live_server.decoded(response)
    model.Session.remove()
    assert model.Session.get(Application, application["id"]).state == "submitted"


# ---------------------------------------------------------------------------
# Four eyes


def test_the_acceptor_does_not_approve(world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    message = _refusal(world.hp_reviewer, "registration_approve", id=application["id"])
    assert "双人审核" in message and "four eyes" in message
    shown = call_as(world.hp_reviewer, "registration_show", id=application["id"])
    assert [limit["reason"] for limit in shown["decision_limits"]] == ["four_eyes"]
    assert "registration_approve" not in {a["action"] for a in shown["allowed_actions"]}
    # Rejecting what one accepted stays possible: four eyes guards the positive decision.
    assert "registration_reject" in {a["action"] for a in shown["allowed_actions"]}
    call_as(world.hp_reviewer_2, "registration_approve", id=application["id"])
    assert _state(application["id"]) == "issued"


@pytest.mark.ckan_config("tjregistry.workflow.four_eyes", "false")
def test_four_eyes_can_be_switched_off(world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(world.hp_reviewer, "registration_approve", id=application["id"])
    assert _state(application["id"]) == "issued"


def test_the_revoker_does_not_review_the_revocation(world):
    # One person on the staff of both the district and the city institution.
    double = make_user("double_hat", world.hp_inst)
    _member(world.city_inst, double, "editor")
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(world.hp_reviewer_2, "registration_approve", id=application["id"])
    assert _state(application["id"]) == "issued"
    package_id = application["package_id"]
    call_as(double, "registration_revoke", package_id=package_id, ground="false_materials",
            reasons="材料虚假")
    message = _refusal(double, "registration_revocation_review", package_id=package_id,
                       decision="uphold")
    assert "双人审核" in message
    call_as(world.city_reviewer, "registration_revocation_review", package_id=package_id,
            decision="uphold")


# ---------------------------------------------------------------------------
# Property: over random memberships and role overlaps, nobody decides on an application
# of an organization they belong to (or act for), the acceptor never approves, and an
# untied reviewer is never stopped (so the rules are not met by refusing everyone).

CAPACITIES = (None, "member", "editor", "admin")
person = st.fixed_dictionaries({
    "registrant": st.sampled_from(CAPACITIES),
    "institution": st.sampled_from(CAPACITIES),
    "agency": st.sampled_from(CAPACITIES),
})
DECISIONS: dict[str, dict[str, Any]] = {
    "registration_accept": {},
    "registration_request_supplement": {"items": ["补充数据字典"]},
    "registration_approve": {},
    "registration_reject": {"reasons": "材料不全"},
    "registration_refuse": {"ground": "duplicate", "reasons": "重复登记"},
    "registration_withdraw_decide": {"consent": True},
}
REGISTRANT_STEPS: dict[str, dict[str, Any]] = {
    "registration_resubmit": {"pledge": True, "internal_review": True},
    "registration_withdraw": {"reasons": "重新梳理"},
}
move = st.tuples(st.sampled_from(sorted(DECISIONS) + sorted(REGISTRANT_STEPS)),
                 st.integers(min_value=0, max_value=3))


def _people(world, agency: dict[str, Any], drawn: list[dict[str, str | None]]
            ) -> list[tuple[dict[str, Any], dict[str, str | None]]]:
    people = []
    for ties in drawn:
        user = make_user(f"p_{uuid.uuid4().hex[:10]}")
        for org, key in ((world.hp_reg, "registrant"), (world.hp_inst, "institution"),
                         (agency, "agency")):
            if ties[key]:
                _member(org, user, ties[key])
        people.append((user, ties))
    return people


def _tied(ties: dict[str, str | None]) -> bool:
    return bool(ties["registrant"] or ties["agency"])


def _reviewer(ties: dict[str, str | None]) -> bool:
    return ties["institution"] in ("editor", "admin")


def _acceptor(app_id: str) -> str | None:
    event = (model.Session.query(Event).filter(Event.application_id == app_id,
                                               Event.action == "accept")
             .order_by(Event.id.desc()).first())
    return event.actor_id if event else None


@pytest.fixture
def agency_world(world):
    world.orgs["agency"] = make_org("sod-prop-agency", "agency", "city", "120000",
                                    title="属性测试代理机构")
    _delegate(world, world.agency)
    return world


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=st.lists(person, min_size=2, max_size=4),
       submitter=st.integers(min_value=0, max_value=3),
       moves=st.lists(move, min_size=1, max_size=10))
def test_nobody_decides_on_their_own_organizations_application(agency_world, drawn,
                                                                submitter, moves):
    world = agency_world
    people = _people(world, world.agency, drawn)
    filer = people[submitter % len(people)]
    # Anyone acting for the registrant may file (its editor or admin); else its clerk.
    by = filer[0] if filer[1]["registrant"] in ("editor", "admin") else world.hp_clerk
    app_id = submit(by, make_dataset(world.hp_reg))["id"]
    for name, who in moves:
        model.Session.remove()
        app = model.Session.get(Application, app_id)
        before, acceptor = app.state, _acceptor(app_id)
        user, ties = people[who % len(people)]
        data = DECISIONS.get(name, REGISTRANT_STEPS.get(name))
        refusal: type[Exception] | None = None
        try:
            call_as(user, name, id=app_id, **data)
        except (tk.NotAuthorized, tk.ValidationError) as error:
            refusal = type(error)
        done = refusal is None
        model.Session.remove()
        after = model.Session.get(Application, app_id).state
        transitions = [t for t in declaration.TRANSITIONS if t.api == name]
        legal = any(before in t.sources for t in transitions)
        if name in DECISIONS:
            assert all(t.is_decision for t in transitions)
            if done:
                assert _reviewer(ties) and not _tied(ties), (name, ties)
                if name == "registration_approve":
                    assert acceptor != user["id"]
            elif legal and _reviewer(ties) and not _tied(ties) and not (
                    name == "registration_approve" and acceptor == user["id"]):
                # Guards may still refuse (e.g. one supplement per round); never the person.
                assert refusal is tk.ValidationError, (name, ties)
        if not done:
            assert after == before
    # Over the whole history: every decision's actor is untied, and accept ≠ approve.
    events = model.Session.query(Event).filter(Event.application_id == app_id).all()
    tied_ids = {user["id"] for user, ties in people if _tied(ties)}
    for event in events:
        transition = declaration.TRANSITION_BY_NAME[event.action]
        if transition.is_decision and event.actor_id:
            assert event.actor_id not in tied_ids
    accepted = {e.actor_id for e in events if e.action == "accept"}
    approved = {e.actor_id for e in events if e.action.startswith("approve")}
    assert not accepted & approved
