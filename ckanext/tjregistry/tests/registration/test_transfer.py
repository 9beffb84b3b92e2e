"""Transfer of a misrouted application to the institution with jurisdiction (Art. 7)."""
from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    make_dataset,
    set_org_fields,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _app(app_id: str) -> Application:
    model.Session.remove()
    return model.Session.get(Application, app_id)


def test_a_district_institution_transfers_to_the_city(world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    # Backdated, to show that the city's acceptance period starts at the transfer.
    model.Session.query(Application).filter_by(id=application["id"]).update(
        {"accept_due": workdays.local_today() - dt.timedelta(days=2)})
    model.Session.commit()
    result = call_as(world.hp_reviewer, "registration_transfer", id=application["id"],
                     to_institution="city-inst", reasons="数据涉及多个区,应由市级登记机构办理")
    assert result["state"] == "submitted"
    assert result["acting_institution"]["name"] == "city-inst"
    stored = _app(application["id"])
    assert stored.routing == "transferred"
    assert stored.accept_due == workdays.add_workdays(workdays.local_today(), 3)
    event = (model.Session.query(Event).filter_by(application_id=application["id"],
                                                   action="transfer").one())
    assert event.note == "数据涉及多个区,应由市级登记机构办理"
    assert event.data["to_institution"] == world.city_inst["id"]
    assert event.data["from_institution"] == world.hp_inst["id"]
    # Now only the city institution acts on it.
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    assert call_as(world.city_reviewer, "registration_accept",
                   id=application["id"])["state"] == "accepted"
    # The registrant was told.
    notices = call_as(world.hp_clerk, "registration_notification_list")["results"]
    assert "transfer" in {notice["action"] for notice in notices}


def test_a_district_receives_only_what_is_in_its_area(world):
    city_app = submit(world.city_clerk, make_dataset(world.city_reg))
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.city_reviewer, "registration_transfer", id=city_app["id"],
                to_institution="hp-inst", reasons="误报")
    assert "无管辖权" in refused.value.error_dict["to_institution"][0]
    local = submit(world.city_clerk, make_dataset(world.city_reg, spatial=["120101"]))
    moved = call_as(world.city_reviewer, "registration_transfer", id=local["id"],
                    to_institution="hp-inst", reasons="数据仅涉及和平区")
    assert moved["acting_institution"]["name"] == "hp-inst"


@pytest.mark.parametrize("data, field", [
    ({"to_institution": "city-inst"}, "reasons"),
    ({"reasons": "r"}, "to_institution"),
    ({"to_institution": "hp-reg", "reasons": "r"}, "to_institution"),
    ({"to_institution": "nowhere", "reasons": "r"}, "to_institution"),
    ({"to_institution": "hp-inst", "reasons": "r"}, "to_institution"),
    ({"to_institution": ["city-inst"], "reasons": "r"}, "to_institution"),
])
def test_bad_transfers_are_field_errors(world, data, field):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    events = model.Session.query(Event).count()
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.hp_reviewer, "registration_transfer", id=application["id"], **data)
    assert field in refused.value.error_dict
    assert _app(application["id"]).institution_id == world.hp_inst["id"]
    assert model.Session.query(Event).count() == events


def test_not_to_a_suspended_institution_and_not_after_acceptance(world):
    set_org_fields(world.bh_inst["id"], qualification_status="suspended")
    application = submit(world.hp_clerk, make_dataset(world.hp_reg, spatial=["120116"]))
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.city_reviewer, "registration_transfer", id=application["id"],
                to_institution="bh-inst", reasons="r")
    assert "to_institution" in refused.value.error_dict
    call_as(world.city_reviewer, "registration_accept", id=application["id"])
    with pytest.raises(tk.ValidationError) as late:
        call_as(world.city_reviewer, "registration_transfer", id=application["id"],
                to_institution="hp-inst", reasons="r")
    assert "state" in late.value.error_dict


def test_the_reviewers_page_offers_the_transfer(app, world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    headers = {"Authorization": world.hp_reviewer["token"]}
    page = BeautifulSoup(app.get(f"/registration/application/{application['id']}",
                                 headers=headers).body, "html.parser")
    form = page.find(id="tjr-action-transfer")
    options = [o["value"] for o in form.find("select", attrs={"name": "to_institution"})
               .find_all("option") if o["value"]]
    assert options and "hp-inst" not in options and "city-inst" in options
    app.post(f"/registration/application/{application['id']}/transfer", headers=headers,
             data={"to_institution": "city-inst", "reasons": "跨区数据"})
    assert _app(application["id"]).institution_id == world.city_inst["id"]
