"""The objection actions (public contract) through CKAN's action layer on the real stack."""
from __future__ import annotations

import datetime as dt
import os

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import history, workdays
from ckanext.tjregistry.model import Application, Event, Notification
from ckanext.tjregistry.model.objection import Objection, ObjectionFile
from ckanext.tjregistry.publicity import objections
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.publicity_helpers import (
    PDF_BYTES,
    RESIDENT_ID,
    RESIDENT_ID_2,
    end_publicity,
    filing,
    in_publicity,
    png_bytes,
    upload,
)
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    make_dataset,
    make_user,
    submit,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _file(**overrides):
    """File as an anonymous member of the public."""
    return helpers.call_action("objection_create", {"user": ""}, **filing(**overrides))


def _state(app_id: str) -> str:
    model.Session.expire_all()
    return model.Session.get(Application, app_id).state


def test_anyone_files_an_objection_and_the_application_waits(world):
    dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    assert made["number"].startswith("TJYY-") and made["status"] == "pending"
    assert len(made["token"]) >= 30
    assert _state(app["id"]) == "objection_pending"
    # The dataset still shows publicity; the registrant and the reviewers are told.
    assert helpers.call_action("package_show", id=dataset["id"])["registration_status"] \
        == "publicity"
    told = {row.user_id for row in model.Session.query(Notification)
            .filter_by(application_id=app["id"], action="receive_objection")}
    assert world.hp_clerk["id"] in told and world.hp_reviewer["id"] in told
    # The history records the objection by its number only.
    event = model.Session.query(Event).filter_by(action="receive_objection").one()
    assert event.data == {"objection": made["number"]}
    assert "张三" not in str(event.data) and RESIDENT_ID not in str(event.note)
    assert history.verify().ok
    # The evidence is stored under a random name outside the web root, as sniffed.
    stored = model.Session.query(ObjectionFile).one()
    assert stored.mime_type == "application/pdf" and stored.original_name == "采集合同.pdf"
    path = objections.file_path(stored.stored_name)
    assert os.path.isfile(path) and "采集合同" not in path
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path, "rb") as handle:
        assert handle.read() == PDF_BYTES


def test_who_sees_what(world):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    institution = call_as(world.hp_reviewer, "objection_show", id=made["id"])
    assert institution["view"] == "institution"
    assert institution["objector_name"] == "张三" and institution["id_number"] == RESIDENT_ID
    assert institution["contact_phone"] == "13800138000"
    assert institution["files"][0]["name"] == "采集合同.pdf"

    registrant = call_as(world.hp_clerk, "objection_show", id=made["number"])
    assert registrant["view"] == "registrant"
    assert registrant["statement"].startswith("该数据中的客流统计")
    for private in ("objector_name", "id_number", "contact_phone", "contact_email", "files"):
        assert private not in registrant

    objector = helpers.call_action("objection_show", {"user": ""}, id=made["number"],
                                   token=made["token"])
    assert objector["view"] == "objector"
    assert objector["id_number"] == "110************02X"
    assert "response" not in objector

    sysadmin = call_as(world.sysadmin, "objection_show", id=made["id"])
    assert sysadmin["view"] == "institution"
    for outsider in (world.bh_reviewer, world.outsider, world.officer, None):
        with pytest.raises(tk.NotAuthorized):
            call_as(outsider, "objection_show", id=made["id"])
    with pytest.raises(tk.NotAuthorized):
        call_as(None, "objection_show", id=made["id"], token="not-the-token")
    with pytest.raises(tk.ObjectNotFound):
        call_as(world.hp_reviewer, "objection_show", id="TJYY-1999-000001")

    # Lists: the institution and the registrant see it, the other district does not.
    assert call_as(world.hp_reviewer, "objection_list")["count"] == 1
    listed = call_as(world.hp_clerk, "objection_list")["results"][0]
    assert listed["view"] == "registrant" and "id_number" not in listed
    assert call_as(world.bh_reviewer, "objection_list")["count"] == 0
    with pytest.raises(tk.NotAuthorized):
        call_as(None, "objection_list")


def test_not_upheld_continues_and_upheld_terminates(world):
    _dataset, app = in_publicity(world)
    first = _file(app_id=app["id"])
    second = _file(app_id=app["id"], id_number=RESIDENT_ID_2, objector_name="李四",
                   category="inaccurate_information")
    # The registrant answers, once.
    answered = call_as(world.hp_clerk, "objection_respond", id=first["id"],
                       response="客流数据由本单位票务系统产生,附有数据来源说明。")
    assert answered["response"].startswith("客流数据")
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_clerk, "objection_respond", id=first["id"],
                response="再次答复的内容应当被拒绝。")
    assert "response" in error.value.error_dict
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_reviewer, "objection_respond", id=second["id"],
                response="登记机构不能代为答复异议。")

    # Not upheld while another is pending: the application keeps waiting.
    decided = call_as(world.hp_reviewer, "objection_decide", id=first["id"],
                      decision="not_upheld",
                      finding="经核查,数据由登记主体业务系统产生,异议不成立。")
    assert decided["status"] == "not_upheld" and decided["decided_by"]
    assert _state(app["id"]) == "objection_pending"
    # Upheld: the registration is terminated (Art. 20).
    call_as(world.hp_reviewer, "objection_decide", id=second["id"], decision="upheld",
            finding="公示的数据内容简介与实际数据不符,异议成立,终止登记。")
    assert _state(app["id"]) == "terminated"
    shown = call_as(world.hp_clerk, "registration_show", id=app["id"])
    assert shown["reasons"].startswith("公示的数据内容简介")
    actions = [e["action"] for e in call_as(world.hp_clerk, "registration_history",
                                            id=app["id"])]
    assert actions[-5:] == ["receive_objection", "receive_objection", "respond_objection",
                            "dismiss_objection", "terminate"]
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_reviewer, "objection_decide", id=second["id"],
                decision="not_upheld", finding="已经决定的异议不能再次决定。")
    assert history.verify().ok


def test_last_objection_not_upheld_returns_to_publicity(world):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="not_upheld",
            finding="经核查,异议缺乏事实依据,不予支持。")
    assert _state(app["id"]) == "publicity"
    objector = helpers.call_action("objection_show", {"user": ""}, id=made["id"],
                                   token=made["token"])
    assert objector["status"] == "not_upheld"
    assert objector["finding"] == "经核查,异议缺乏事实依据,不予支持。"


def test_upheld_objection_closes_the_others(world):
    _dataset, app = in_publicity(world)
    first = _file(app_id=app["id"])
    second = _file(app_id=app["id"], id_number=RESIDENT_ID_2)
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="upheld",
            finding="登记主体未能证明其对数据享有管理职责,异议成立。")
    model.Session.expire_all()
    other = model.Session.get(Objection, second["id"])
    assert other.status == "closed" and other.closed_reason == "terminate"
    assert _state(app["id"]) == "terminated"


def test_withdrawal_during_an_objection_closes_it(world):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    call_as(world.hp_clerk, "registration_withdraw", id=app["id"], reasons="数据权属需重新梳理")
    # Undecidable while the withdrawal is being considered.
    with pytest.raises(tk.ValidationError):
        call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="upheld",
                finding="撤回审查期间不能决定异议。")
    call_as(world.hp_reviewer, "registration_withdraw_decide", id=app["id"], consent=True)
    model.Session.expire_all()
    assert model.Session.get(Objection, made["id"]).status == "closed"
    assert _state(app["id"]) == "withdrawn"


def test_only_the_handling_institution_decides(world):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    for user in (world.bh_reviewer, world.city_reviewer, world.hp_clerk, world.sysadmin):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "objection_decide", id=made["id"], decision="upheld",
                    finding="无权决定的人不能作出决定。")
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="maybe",
                finding="决定只能是成立或不成立。")
    assert "decision" in error.value.error_dict
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="upheld",
                finding="太短")
    assert "finding" in error.value.error_dict
    assert _state(app["id"]) == "objection_pending"


def test_bad_filings_are_refused_with_field_messages(world):
    _dataset, app = in_publicity(world)
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"], objector_name="", id_number="110105194912310021",
              contact_phone="12345", contact_email="not-an-email", category="whatever",
              statement="短", truthful=False)
    errors = error.value.error_dict
    assert set(errors) >= {"objector_name", "id_number", "contact_phone", "contact_email",
                           "category", "statement", "truthful"}
    assert "校验位" in errors["id_number"][0] and "check digit" in errors["id_number"][0]
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"], evidence=[])
    assert "evidence" in error.value.error_dict
    # Content decides the type, not the name or the browser's claim.
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"], evidence=[upload(b"<html><script>x</script></html>",
                                                 "证据.pdf")])
    assert "text/html" in error.value.error_dict["evidence"][0]
    assert model.Session.query(Objection).count() == 0
    assert _state(app["id"]) == "publicity"


def test_evidence_limits(world, ckan_config, monkeypatch):
    _dataset, app = in_publicity(world)
    monkeypatch.setitem(ckan_config, "tjregistry.objection.max_file_bytes", 1024)
    monkeypatch.setitem(ckan_config, "tjregistry.objection.max_files", 2)
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"], evidence=[upload(PDF_BYTES + b"%" * 2000, "big.pdf")])
    assert "big.pdf" in error.value.error_dict["evidence"][0]
    with pytest.raises(tk.ValidationError):
        _file(app_id=app["id"], evidence=[upload(PDF_BYTES, f"{n}.pdf") for n in range(3)])
    made = _file(app_id=app["id"], evidence=[upload(PDF_BYTES, "a.pdf"),
                                             upload(png_bytes(), "../../etc/照片.png", "x/y")])
    names = {f.original_name: f.mime_type for f in model.Session.query(ObjectionFile)}
    assert names == {"a.pdf": "application/pdf", "照片.png": "image/png"}
    assert made["status"] == "pending"


def test_one_pending_objection_per_person(world):
    _dataset, app = in_publicity(world)
    _file(app_id=app["id"])
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"], id_number=RESIDENT_ID.lower())
    assert "id_number" in error.value.error_dict
    assert model.Session.query(Objection).count() == 1
    # Nothing of the refused filing stays on disk.
    assert model.Session.query(ObjectionFile).count() == 1


def test_objections_only_during_publicity(world):
    dataset, app = in_publicity(world)
    end_publicity(app["id"])
    with pytest.raises(tk.ValidationError) as error:
        _file(app_id=app["id"])
    assert "application_id" in error.value.error_dict
    with pytest.raises(tk.ObjectNotFound):
        _file(app_id="no-such-application")
    # An application that never went to publicity takes no objection.
    other = submit(world.hp_clerk, make_dataset(world.hp_reg))
    with pytest.raises(tk.ValidationError):
        _file(app_id=other["id"])
    assert dataset["id"]


def test_a_member_without_acting_rights_cannot_respond(world):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    viewer = make_user("hp_viewer", world.hp_reg, capacity="member")
    # A member sees the objection but cannot answer for the registrant.
    assert call_as(viewer, "objection_show", id=made["id"])["view"] == "registrant"
    with pytest.raises(tk.NotAuthorized):
        call_as(viewer, "objection_respond", id=made["id"], response="普通成员不能答复异议。")


def test_the_system_cannot_close_publicity_while_an_objection_is_pending(world):
    _dataset, app = in_publicity(world)
    _file(app_id=app["id"])
    end_publicity(app["id"])
    with pytest.raises(tk.ValidationError):
        workflow.close_publicity(app["id"])
    assert _state(app["id"]) == "objection_pending"


def test_counts_for_the_service_reports(world):
    _dataset, app = in_publicity(world)
    first = _file(app_id=app["id"])
    _file(app_id=app["id"], id_number=RESIDENT_ID_2)
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="not_upheld",
            finding="经核查,异议缺乏事实依据,不予支持。")
    today = workdays.local_today()
    counts = objections.counts_for_institution([world.hp_inst["id"]], today, today)
    assert counts == {"pending": 1, "upheld": 0, "not_upheld": 1, "closed": 0, "total": 2}
    assert objections.counts_for_institution([world.bh_inst["id"]], today, today)["total"] == 0
    yesterday = today - dt.timedelta(days=1)
    assert objections.counts_for_institution(
        [world.hp_inst["id"]], yesterday, yesterday)["total"] == 0


def test_the_registrant_and_the_objector_are_mailed(world, smtp):
    _dataset, app = in_publicity(world)
    made = _file(app_id=app["id"])
    # The clerk was also told of the submission, acceptance and approval before.
    (notice,) = [m for m in smtp.to(world.hp_clerk["email"]) if "收到异议" in str(m["Subject"])]
    text = notice.get_body(("plain",)).get_content()
    assert "收到异议" in text and "Objection received" in text
    assert "张三" not in text and RESIDENT_ID not in text
    assert smtp.to("zhangsan@example.org") == []
    call_as(world.hp_reviewer, "objection_decide", id=made["id"], decision="not_upheld",
            finding="经核查,异议人未提供权属证明,异议不成立。")
    (decision,) = smtp.to("zhangsan@example.org")
    body = decision.get_body(("plain",)).get_content()
    assert made["number"] in str(decision["Subject"])
    assert "异议不成立" in body and "经核查,异议人未提供权属证明" in body
