"""What keeps objections from stalling a publicity (Art. 20): the statement of interest,
limits per identity document, and one withdrawal request per objection."""
from __future__ import annotations

import io
import re

import pytest
import requests

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.model import Application, Event
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.tests.publicity_helpers import (
    PDF_BYTES,
    RESIDENT_ID,
    RESIDENT_ID_2,
    filing,
    in_publicity,
)
from ckanext.tjregistry.tests.workflow_helpers import call_as

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FINDING = "经核查,异议人未能证明其权益,异议不成立。"


def _file(app_id: str, **overrides):
    return helpers.call_action("objection_create", {"user": ""}, **filing(app_id, **overrides))


def _state(app_id: str) -> str:
    model.Session.expire_all()
    return model.Session.get(Application, app_id).state


def _bilingual(messages: list[str]) -> str:
    (message,) = messages
    assert " / " in message, message
    return message


# ---------------------------------------------------------------------------
# The statement of interest (相关当事人)


def test_the_objector_says_how_they_are_concerned(world):
    _dataset, app = in_publicity(world)
    with pytest.raises(tk.ValidationError) as error:
        _file(app["id"], interest="", interest_statement="")
    errors = error.value.error_dict
    assert "相关当事人" in _bilingual(errors["interest"])
    assert "explain how the data concerns you" in _bilingual(errors["interest_statement"])
    with pytest.raises(tk.ValidationError) as error:
        _file(app["id"], interest="a bystander", interest_statement="只是看看而已")
    assert set(error.value.error_dict) == {"interest", "interest_statement"}
    assert model.Session.query(Objection).count() == 0

    made = _file(app["id"], interest="other",
                 interest_statement="本人是该路段的经营者,数据涉及本人的经营信息。")
    institution = call_as(world.hp_reviewer, "objection_show", id=made["id"])
    assert institution["interest"] == "other"
    assert institution["interest_label"]["en"].startswith("Other")
    assert institution["interest_statement"].startswith("本人是该路段的经营者")
    # The registrant sees the kind of interest, not the explanation (it may name the objector).
    registrant = call_as(world.hp_clerk, "objection_show", id=made["id"])
    assert registrant["interest"] == "other" and "interest_statement" not in registrant
    objector = helpers.call_action("objection_show", {"user": ""}, id=made["id"],
                                   token=made["token"])
    assert objector["interest_statement"].startswith("本人是该路段的经营者")


# ---------------------------------------------------------------------------
# Limits per identity document


def test_one_objection_per_identity_and_application(world):
    _dataset, app = in_publicity(world)
    first = _file(app["id"])
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="not_upheld",
            finding=FINDING)
    assert _state(app["id"]) == "publicity"
    # The same document again, written differently (lower-case x, spaces): refused.
    spaced = RESIDENT_ID.lower()[:6] + " " + RESIDENT_ID.lower()[6:]
    with pytest.raises(tk.ValidationError) as error:
        _file(app["id"], id_number=spaced)
    message = _bilingual(error.value.error_dict["id_number"])
    assert "最多可提出 1 次异议" in message and "at most 1 time" in message
    assert _state(app["id"]) == "publicity"
    # Someone else still may.
    _file(app["id"], id_number=RESIDENT_ID_2, objector_name="李四")
    assert _state(app["id"]) == "objection_pending"
    assert model.Session.query(Objection).count() == 2


@pytest.mark.ckan_config("tjregistry.objection.open_per_identity", 2)
def test_open_objections_per_identity_across_applications(world):
    apps = [in_publicity(world)[1] for _ in range(3)]
    first = _file(apps[0]["id"])
    _file(apps[1]["id"])
    with pytest.raises(tk.ValidationError) as error:
        _file(apps[2]["id"])
    message = _bilingual(error.value.error_dict["id_number"])
    assert "2 件待处理的异议" in message and "at most 2 pending objections" in message
    assert _state(apps[2]["id"]) == "publicity"
    # Once one is decided, the same person may object again elsewhere.
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="not_upheld",
            finding=FINDING)
    _file(apps[2]["id"])
    assert _state(apps[2]["id"]) == "objection_pending"


@pytest.mark.ckan_config("tjregistry.objection.per_identity_per_application", 0)
@pytest.mark.ckan_config("tjregistry.objection.open_per_identity", 0)
def test_limits_can_be_lifted_but_not_two_pending_at_once(world):
    _dataset, app = in_publicity(world)
    first = _file(app["id"])
    with pytest.raises(tk.ValidationError) as error:
        _file(app["id"])
    assert "已有待处理的异议" in _bilingual(error.value.error_dict["id_number"])
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="not_upheld",
            finding=FINDING)
    _file(app["id"])
    assert _state(app["id"]) == "objection_pending"


def _form(**overrides):
    data = {key: value for key, value in filing("").items()
            if key not in ("application_id", "evidence", "truthful")}
    data.update({"truthful": "true",
                 "evidence": (io.BytesIO(PDF_BYTES), "证明.pdf", "application/pdf")})
    data.update(overrides)
    return data


def test_over_the_api_409_and_on_the_form_the_message(app, world):
    _dataset, application = in_publicity(world)
    url = f"/registration/publicity/{application['id']}/objection"
    assert app.post(url, data=_form(), content_type="multipart/form-data").status_code == 201
    again = app.post(url, data=_form(id_number=RESIDENT_ID.lower()),
                     content_type="multipart/form-data")
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert 'id="tjr-objection-form"' in page and "已有待处理的异议" in page
    # What was typed is kept, including the statement of interest.
    assert "本单位依据采集合同对这些客流统计数据享有权益" in page
    assert re.search(r'<option value="competing_claim"\s+selected', page)

    api = app.post("/api/3/action/objection_create",
                   data={**_form(), "application_id": application["id"]},
                   content_type="multipart/form-data")
    assert api.status_code == 409
    assert "已有待处理的异议" in api.json["error"]["id_number"][0]
    missing = app.post("/api/3/action/objection_create",
                       data={**_form(id_number=RESIDENT_ID_2, interest="",
                                     interest_statement=""),
                             "application_id": application["id"]},
                       content_type="multipart/form-data")
    assert missing.status_code == 409
    assert {"interest", "interest_statement"} <= set(missing.json["error"])
    assert model.Session.query(Objection).count() == 1


def test_the_reviewer_sees_the_interest_on_the_page(app, world):
    _dataset, application = in_publicity(world)
    made = _file(application["id"])
    url = f"/registration/objections/{made['id']}"
    page = app.get(url, headers={"Authorization": world.hp_reviewer["token"]},
                   environ_base={"HTTP_ACCEPT_LANGUAGE": "zh-CN"}).get_data(as_text=True)
    assert 'class="tjr-objection-interest"' in page
    assert "对该数据享有或主张权利" in page or "Holder of a competing claim" in page
    assert "本单位依据采集合同对这些客流统计数据享有权益" in page
    registrant = app.get(url, headers={"Authorization": world.hp_clerk["token"]}).get_data(
        as_text=True)
    assert 'class="tjr-objection-interest"' in registrant
    assert "本单位依据采集合同" not in registrant


def test_the_form_asks_for_the_interest(app, world):
    _dataset, application = in_publicity(world)
    page = app.get(f"/registration/publicity/{application['id']}/objection").get_data(
        as_text=True)
    assert 'name="interest"' in page and 'name="interest_statement"' in page
    assert 'value="own_data_or_rights"' in page and 'value="contract_party"' in page


# ---------------------------------------------------------------------------
# One withdrawal request per objection


def _deny(world, app_id: str) -> None:
    call_as(world.hp_reviewer, "registration_withdraw_decide", id=app_id, consent=False,
            reasons="撤回理由不充分,异议应当依法处理。")


def test_the_registrant_asks_to_withdraw_once_per_objection(world):
    _dataset, app = in_publicity(world)
    first = _file(app["id"])
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="数据需要重新梳理")
    assert _state(app["id"]) == "withdrawal_requested"
    _deny(world, app["id"])
    assert _state(app["id"]) == "objection_pending"
    # Again while the same objection is pending: refused, and the objection stays decidable.
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="再次申请撤回")
    message = _bilingual(error.value.error_dict["reasons"])
    assert "每件异议只能申请一次撤回" in message and "once per objection" in message
    assert _state(app["id"]) == "objection_pending"
    shown = call_as(world.hp_reviewer, "objection_show", id=first["id"])
    assert shown["withdrawal_requested_at"]
    event = (model.Session.query(Event).filter_by(application_id=app["id"],
                                                  action="request_withdrawal").one())
    assert event.data["objections"] == [first["number"]]

    # A new objection: one more request is allowed, then none.
    second = _file(app["id"], id_number=RESIDENT_ID_2, objector_name="李四")
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="第二件异议后申请撤回")
    _deny(world, app["id"])
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="第三次申请撤回")
    # The objections are decided; back in publicity, a withdrawal may be asked for again.
    for made in (first, second):
        call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="not_upheld",
                finding=FINDING)
    assert _state(app["id"]) == "publicity"
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="公示期间申请撤回")
    assert _state(app["id"]) == "withdrawal_requested"


def test_the_withdrawal_page_shows_the_refusal(app, world):
    _dataset, application = in_publicity(world)
    _file(application["id"])
    call_as(world.hp_clerk, "registration_withdraw", id=application["id"], reasons="第一次")
    _deny(world, application["id"])
    response = app.post("/api/3/action/registration_withdraw",
                        json={"id": application["id"], "reasons": "第二次申请撤回"},
                        headers={"Authorization": world.hp_clerk["token"]})
    assert response.status_code == 409
    assert "once per objection" in response.json["error"]["reasons"][0]
    assert _state(application["id"]) == "objection_pending"


# ---------------------------------------------------------------------------
# Over real HTTP


def test_limits_hold_over_http(ckan_server, world):
    _dataset, application = in_publicity(world)
    url = ckan_server.url("/api/3/action/objection_create")
    fields = {key: value for key, value in filing(application["id"]).items()
              if key != "evidence"}
    fields["truthful"] = "true"

    def post(**overrides):
        return requests.post(url, data={**fields, **overrides},
                             files={"evidence": ("证明.pdf", PDF_BYTES, "application/pdf")},
                             timeout=60)

    first = post()
    assert first.status_code == 200, first.text
    for number in (RESIDENT_ID, RESIDENT_ID.lower(), " ".join(RESIDENT_ID)):
        again = post(id_number=number)
        assert again.status_code == 409, again.text
        assert "已有待处理的异议" in again.json()["error"]["id_number"][0]
    missing = post(id_number=RESIDENT_ID_2, interest="", interest_statement="")
    assert missing.status_code == 409
    assert {"interest", "interest_statement"} <= set(missing.json()["error"])

    # The registrant asks to withdraw once for this objection; the second time is refused.
    withdraw = ckan_server.url("/api/3/action/registration_withdraw")
    clerk = {"Authorization": world.hp_clerk["token"]}
    assert requests.post(withdraw, json={"id": application["id"], "reasons": "第一次"},
                         headers=clerk, timeout=60).status_code == 200
    _deny(world, application["id"])
    second = requests.post(withdraw, json={"id": application["id"], "reasons": "第二次"},
                           headers=clerk, timeout=60)
    assert second.status_code == 409, second.text
    assert "once per objection" in second.json()["error"]["reasons"][0]
    assert _state(application["id"]) == "objection_pending"
    assert model.Session.query(Objection).count() == 1
    assert "Traceback" not in ckan_server.log_tail(200_000)
