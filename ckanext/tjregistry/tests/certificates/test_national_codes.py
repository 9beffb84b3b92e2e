"""National result codes (登记结果查询码, Art. 11): recorded by action, page, CLI and CSV,
shown on the certificate page, in the public query, DCAT and the history."""
from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.certificates import register, signing
from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.model.certificate import Certificate
from ckanext.tjregistry.tests.workflow_helpers import (
    call_as,
    register_dataset,
    search_everything,
)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

NATIONAL = "1201002026120700000001"


def _registered(world, title: str = "和平区学校名录", **people: str) -> str:
    dataset = register_dataset(world, title=title, **people)
    return model.Session.query(Certificate).filter_by(package_id=dataset["id"]).one().code


def test_recorded_by_the_issuing_institution_and_shown_everywhere(world):
    code = _registered(world)
    result = call_as(world.hp_reviewer, "certificate_national_code_set", code=code,
                     national_code=NATIONAL)
    assert result["national_code"] == NATIONAL
    model.Session.remove()
    certificate = model.Session.query(Certificate).filter_by(code=code).one()
    # Still covered by the signed register record.
    assert register.check(signing.default_keystore(), certificate) == []
    event = model.Session.query(Event).filter_by(action="record_national_code").one()
    assert event.data == {"registration_code": code, "national_code": NATIONAL,
                          "previous": None}
    # The public query finds it by the national code; the index and DCAT carry it.
    found = helpers.call_action("registration_query", {"user": ""}, code=NATIONAL)
    assert [row["registration_code"] for row in found["results"]] == [code]
    indexed = search_everything(fq=f'national_code:"{NATIONAL}"')["results"]
    assert len(indexed) == 1
    record = helpers.call_action("registration_export_show", {"user": ""},
                                 id=indexed[0]["id"])
    assert record["national_code"] == NATIONAL
    # The same code again records nothing new.
    call_as(world.hp_reviewer, "certificate_national_code_set", code=code,
            national_code=NATIONAL)
    assert model.Session.query(Event).filter_by(action="record_national_code").count() == 1


def test_who_may_record_it(world):
    code = _registered(world)
    for outsider in (world.bh_reviewer, world.hp_clerk, world.outsider):
        with pytest.raises(tk.NotAuthorized):
            call_as(outsider, "certificate_national_code_set", code=code,
                    national_code=NATIONAL)
    with pytest.raises(tk.NotAuthorized):
        call_as(None, "certificate_national_code_set", code=code, national_code=NATIONAL)
    # The city institution may, for any registration.
    call_as(world.city_reviewer, "certificate_national_code_set", code=code,
            national_code=NATIONAL)


@pytest.mark.parametrize("data, field", [
    ({"national_code": "含中文"}, "national_code"),
    ({"national_code": ""}, "national_code"),
    ({"national_code": "x" * 65}, "national_code"),
    ({"national_code": ["1"]}, "national_code"),
    ({"code": "TJ-0000", "national_code": NATIONAL}, "code"),
])
def test_bad_input_is_a_field_error(world, data, field):
    code = _registered(world)
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.hp_reviewer, "certificate_national_code_set",
                **{"code": code, **data})
    assert field in refused.value.error_dict


def test_a_csv_file_is_recorded_whole_or_not_at_all(world, app):
    first = _registered(world, title="数据一")
    second = _registered(world, title="数据二")
    foreign = _registered(world, org="bh_reg", clerk="bh_clerk", reviewer="bh_reviewer",
                          title="滨海数据")
    bad = f"registration_code,national_code\n{first},A1\n{second},A2\nnot-a-code,A3\n"
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.hp_reviewer, "certificate_national_code_import", csv=bad)
    assert list(refused.value.error_dict) == ["line 4"]
    assert model.Session.query(Certificate).filter(
        Certificate.national_code.isnot(None)).count() == 0
    # A line about another institution's registration is refused, naming the line.
    with pytest.raises(tk.ValidationError) as refused:
        call_as(world.hp_reviewer, "certificate_national_code_import",
                csv=f"{first},A1\n{foreign},A3\n")
    assert list(refused.value.error_dict) == ["line 2"]
    done = call_as(world.hp_reviewer, "certificate_national_code_import",
                   csv=f"\ufeffregistration_code,national_code\n{first},A1\n{second},A2\n")
    assert done["recorded"] == 2
    model.Session.remove()
    assert {c.code: c.national_code for c in model.Session.query(Certificate)} == {
        first: "A1", second: "A2", foreign: None}

    # The page: upload, and a bad file shows its lines and records nothing.
    headers = {"Authorization": world.hp_reviewer["token"]}
    page = app.post("/registration/national-codes", headers=headers,
                    data={"csv_file": (_file(f"{first},B1\n{first},B2\n"), "codes.csv")})
    assert page.status_code == 400 and "line 2" in page.body
    page = app.post("/registration/national-codes", headers=headers,
                    data={"csv_file": (_file(f"{first},B1\n"), "codes.csv")})
    assert page.status_code == 200
    assert BeautifulSoup(page.body, "html.parser").find(id="tjr-national-code-result")
    assert app.get("/registration/national-codes",
                   headers={"Authorization": world.hp_clerk["token"]}).status_code == 403


def _file(text: str) -> Any:
    import io

    return io.BytesIO(text.encode("utf-8"))


def test_the_certificate_page_offers_the_form_to_its_institution(world, app):
    code = _registered(world)
    page = BeautifulSoup(app.get(f"/registration/verify?code={code}", headers={
        "Authorization": world.hp_reviewer["token"]}).body, "html.parser")
    assert page.find(id="tjr-national-code-form") is not None
    public = BeautifulSoup(app.get(f"/registration/verify?code={code}").body, "html.parser")
    assert public.find(id="tjr-national-code-form") is None
    app.post(f"/registration/certificate/{code}/national-code",
             headers={"Authorization": world.hp_reviewer["token"]},
             data={"national_code": NATIONAL})
    shown = app.get(f"/registration/verify?code={code}").body
    assert NATIONAL in shown


def test_the_commands(cli, world, tmp_path):
    code = _registered(world)
    single = cli.invoke(tjregistry, ["certificate", "national-code", code, NATIONAL])
    assert single.exit_code == 0 and NATIONAL in single.output
    path = tmp_path / "codes.csv"
    path.write_text(f"{code},Z9\nwrong,Z8\n", encoding="utf-8")
    failed = cli.invoke(tjregistry, ["certificate", "national-code-import", str(path)])
    assert failed.exit_code == 1 and "line 2" in failed.output
    path.write_text(f"{code},Z9\n", encoding="utf-8")
    imported = cli.invoke(tjregistry, ["certificate", "national-code-import", str(path)])
    assert "1 national code(s) recorded" in imported.output
