"""The declared state machine itself: consistent, complete, every state reachable, none dead."""
from __future__ import annotations

import datetime as dt

import pytest

import ckan.plugins.toolkit as tk
from ckan.logic import get_action

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.registration.logic import auth as auth_module

APP_STATES = {s.name for s in workflow.STATES if s.subject == workflow.APPLICATION}
REG_STATES = {s.name for s in workflow.STATES if s.subject == workflow.REGISTRATION}


def _graph(subject: str) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for t in workflow.TRANSITIONS:
        if t.subject != subject:
            continue
        for source in t.sources:
            targets = graph.setdefault(source, set())
            if t.target == workflow.RESUME:
                # Back to any state a withdrawal may be requested from.
                targets.update(workflow.TRANSITION_BY_NAME["request_withdrawal"].sources)
            else:
                targets.add(t.target)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_names_are_unique_and_every_reference_is_declared():
    assert len(workflow.STATE_BY_NAME) == len(workflow.STATES)
    assert len(workflow.TRANSITION_BY_NAME) == len(workflow.TRANSITIONS)
    for t in workflow.TRANSITIONS:
        states = APP_STATES if t.subject == workflow.APPLICATION else REG_STATES
        assert set(t.sources) <= states, t.name
        assert t.target in states or t.target == workflow.RESUME, t.name
        assert set(t.roles) <= set(workflow.ROLES), t.name
        assert t.guard is None or t.guard in workflow.GUARDS, t.name
        assert set(t.effects) <= set(workflow.EFFECTS), t.name
        assert set(t.notify) <= {"registrant", "reviewers", "city_reviewers"}, t.name
        assert t.label["zh_Hans_CN"] and t.label["en"], t.name


def test_every_state_is_reachable_from_the_start():
    assert _reachable(_graph(workflow.APPLICATION), workflow.NEW) == APP_STATES
    assert _reachable(_graph(workflow.REGISTRATION), workflow.UNREGISTERED) == REG_STATES


def test_no_dead_states():
    """A non-final state always has a way out, and a final one has none."""
    graph = _graph(workflow.APPLICATION)
    for state in workflow.STATES:
        if state.subject != workflow.APPLICATION:
            continue
        if state.terminal:
            assert state.name not in graph, state.name
        else:
            assert graph.get(state.name), state.name
            assert any(workflow.STATE_BY_NAME[s].terminal
                       for s in _reachable(graph, state.name)), state.name


def test_registration_states_can_all_be_left_or_are_records():
    graph = _graph(workflow.REGISTRATION)
    # Every registration state can be left (a new registration restarts ended ones).
    for state in REG_STATES:
        assert graph.get(state), state


def test_states_that_run_a_clock_name_an_application_column():
    for state in workflow.STATES:
        if state.due_field:
            assert hasattr(workflow.Application, state.due_field)
        if state.subject == workflow.APPLICATION and not state.terminal and state.name != "new":
            assert state.dataset_status in workflow.REGISTRATION_STATUSES


def test_every_public_api_action_has_an_action_and_an_auth_function():
    contract = {
        "registration_submit", "registration_show", "registration_list",
        "registration_history", "registration_accept", "registration_request_supplement",
        "registration_resubmit", "registration_approve", "registration_reject",
        "registration_refuse", "registration_withdraw", "registration_withdraw_decide",
        "registration_revoke", "registration_revocation_review", "registration_transfer",
    }
    assert set(workflow.API_ACTIONS) <= contract
    registered_auth = registry.collect("auth")
    for name in contract:
        assert get_action(name)
        assert name in registered_auth
    # Auth functions grant exactly the roles the table declares.
    for api in workflow.API_ACTIONS:
        declared = {r for t in workflow.TRANSITIONS if t.api == api for r in t.roles}
        assert auth_module.api_roles(api) == declared


def test_system_only_transitions_have_no_public_action():
    for t in workflow.TRANSITIONS:
        if set(t.roles) == {workflow.SYSTEM}:
            assert t.api is None, t.name


def test_every_transition_that_needs_reasons_records_them():
    # Negative decisions must carry reasons (Art. 19, 21, 23, 29).
    for name in ("reject", "refuse", "terminate", "request_withdrawal", "deny_withdrawal",
                 "revoke", "reverse_revocation"):
        assert "reasons" in workflow.TRANSITION_BY_NAME[name].inputs, name


def test_state_label_in_both_languages():
    assert workflow.state_label("publicity") == "公示中"
    assert workflow.state_label("publicity", "en") == "In publicity"
    assert workflow.state_label("nonsense") == "nonsense"


def test_illegal_transition_error_is_bilingual():
    error = workflow.illegal("accept", "issued")
    message = error.error_dict["state"][0]
    assert "不允许" in message and "not allowed" in message
    assert isinstance(error, tk.ValidationError)


@pytest.mark.parametrize(("rule", "types", "data", "expected"), [
    ("open_or_authorized", "initial change", {"open_type": "unconditional"}, True),
    ("open_or_authorized", "initial change", {"access_method": "authorized_operation"}, True),
    ("open_or_authorized", "initial change", {"in_authorized_operation": True}, True),
    ("open_or_authorized", "initial change", {"type": "data-product"}, True),
    ("open_or_authorized", "initial change", {"open_type": "not_open"}, False),
    ("all", "initial change", {}, True),
    ("none", "initial change", {"open_type": "unconditional"}, False),
    ("open_or_authorized", "change", {"open_type": "unconditional"}, False),
])
def test_publicity_rule_is_configurable(ckan_config, monkeypatch, rule, types, data, expected):
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.rule", rule)
    monkeypatch.setitem(ckan_config, "tjregistry.publicity.application_types", types.split())
    app = workflow.Application(application_type="initial", proposed=data)
    assert workflow.publicity_required(app) is expected


def test_activity_start_reads_the_right_field():
    assert workflow.activity_start({"type": "data-resource",
                                    "activity_start_date": "2025-03-01"}) == dt.date(2025, 3, 1)
    assert workflow.activity_start({"type": "data-product",
                                    "first_delivery_date": "2025-04-01"}) == dt.date(2025, 4, 1)
    assert workflow.activity_start({"type": "data-resource"}) is None
    assert workflow.activity_start({"activity_start_date": "not a date"}) is None
