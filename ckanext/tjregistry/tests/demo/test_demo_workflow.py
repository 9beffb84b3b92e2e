"""The demo drives datasets through the real workflow into its various states, once."""
from __future__ import annotations

from collections import Counter

import pytest

import ckan.model as model
from ckan.tests import factories

from ckanext.tjregistry.common import history
from ckanext.tjregistry.demo import workflow as demo_workflow
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import (
    REGISTRANT_FILE,
    make_dataset,
    make_user,
    search_everything,
    set_org_fields,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _demo_organizations() -> None:
    for name in demo_workflow.PROFILES:
        org = factories.Organization(name=name, title=name)
        set_org_fields(org["id"], **REGISTRANT_FILE)
    for org, user in demo_workflow.CLERKS.items():
        make_user(user, {"id": model.Group.get(org).id})
    for org, user in demo_workflow.REVIEWERS.items():
        make_user(user, {"id": model.Group.get(org).id})
    for org, user in demo_workflow.APPROVERS.items():
        make_user(user, {"id": model.Group.get(org).id})


def test_demo_reaches_many_states_through_the_real_actions_and_is_idempotent():
    _demo_organizations()
    districts = {"hp-education": ["120101"], "bh-ecology": ["120116"]}
    for org in ("tj-transport", "hp-education", "bh-ecology"):
        for index in range(9):
            extra = {}
            if org == "tj-transport" and index == 4:
                extra = {"open_type": "unconditional", "access_method": "open",
                         "open_platform_url": "https://data.tj.gov.cn/demo"}
            make_dataset({"id": model.Group.get(org).id}, name=f"{org}-{index}",
                         spatial=districts.get(org, []), **extra)

    summary = demo_workflow.load()
    states = Counter(app.state for app in model.Session.query(Application))
    assert {"submitted", "accepted", "supplement_requested", "refused", "withdrawn",
            "rejected", "publicity"} <= set(states)
    # Approved ones are issued by the certificate subsystem, or await issuance without it.
    assert states["issued"] + states["approved"] == 5
    assert sum(states.values()) == 3 * 8
    assert not any("stopped" in line for line in summary)
    assert search_everything(fq="registration_status:pending",
                             include_private=True)["count"] >= 9
    # District datasets were handled by their district institutions.
    hp_apps = model.Session.query(Application).filter_by(
        registrant_id=model.Group.get("hp-education").id).all()
    assert {a.institution_id for a in hp_apps} == {model.Group.get("hp-registry").id}

    assert demo_workflow.load() == []
    assert model.Session.query(Application).count() == 24
    assert history.verify().ok
    assert workflow.count_by_state()["submitted"] == states["submitted"]
