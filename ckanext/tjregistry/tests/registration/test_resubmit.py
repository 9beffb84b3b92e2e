"""补正后重新提交: a supplement answered through the page and the API, and refused clearly."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _auth(user):
    return {"Authorization": user["token"]}


def _returned(world) -> dict:
    dataset = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, dataset)
    return call_as(world.hp_reviewer, "registration_request_supplement", id=application["id"],
                   items=["补充数据字典"])


def _stored(app_id: str) -> Application:
    model.Session.remove()
    return model.Session.get(Application, app_id)


def test_the_ticked_boxes_of_the_page_resubmit(app, world):
    returned = _returned(world)
    page = app.get(f"/registration/application/{returned['id']}", headers=_auth(world.hp_clerk))
    form = BeautifulSoup(page.body, "html.parser").find(
        "form", action=f"/registration/application/{returned['id']}/resubmit")
    assert form is not None
    assert {box["name"] for box in form.find_all("input", type="checkbox")} >= {
        "pledge", "internal_review"}
    # What a browser sends for ticked boxes without a value attribute: "on".
    app.post(f"/registration/application/{returned['id']}/resubmit",
             headers=_auth(world.hp_clerk),
             data={"pledge": "on", "internal_review": "on", "internal_review_note": "已补数据字典"})
    stored = _stored(returned["id"])
    assert (stored.state, stored.round, stored.pledge) == ("submitted", 2, True)
    assert stored.internal_review_note == "已补数据字典"


@pytest.mark.parametrize("pledge", ["maybe", ["on"], {"yes": True}, 2])
def test_a_pledge_that_is_not_yes_or_no_is_a_field_error(world, pledge):
    returned = _returned(world)
    with pytest.raises(helpers.logic.ValidationError) as error:
        call_as(world.hp_clerk, "registration_resubmit", id=returned["id"], pledge=pledge,
                internal_review=True)
    assert "应为是或否" in error.value.error_dict["pledge"][0]
    assert "true/false" in error.value.error_dict["pledge"][0]
    assert _stored(returned["id"]).state == "supplement_requested"


def test_a_pledge_that_is_not_yes_or_no_is_a_409_over_the_api(app, world):
    returned = _returned(world)
    response = app.post("/api/3/action/registration_resubmit", headers=_auth(world.hp_clerk),
                        json={"id": returned["id"], "pledge": "maybe",
                              "internal_review": True}, status=409)
    assert "pledge" in response.json["error"]


def test_unticked_boxes_are_refused_and_the_typed_note_is_kept(app, world):
    returned = _returned(world)
    page = app.post(f"/registration/application/{returned['id']}/resubmit",
                    headers=_auth(world.hp_clerk),
                    data={"internal_review": "on", "internal_review_note": "已补数据字典"})
    soup = BeautifulSoup(page.body, "html.parser")
    assert _stored(returned["id"]).state == "supplement_requested"
    note = soup.find("input", {"name": "internal_review_note"})
    assert note is not None and note.get("value") == "已补数据字典"
    assert "诚信承诺" in soup.text
    ticked = soup.find("input", {"name": "internal_review"})
    assert ticked.has_attr("checked")
