"""What a registrant may create: only the registration types, with a URL name made for them."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.metadata import dataset_types
from ckanext.tjregistry.tests.workflow_helpers import call_as, dataset_fields, make_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _auth(user):
    return {"Authorization": user["token"]}


@pytest.mark.parametrize("given", [{}, {"type": "dataset"}, {"type": "harvest"}])
def test_package_create_refuses_anything_but_a_registration_type(world, given):
    data = dataset_fields(owner_org=world.hp_reg["id"])
    data.pop("type", None)
    data.update(given)
    with pytest.raises(helpers.logic.ValidationError) as error:
        call_as(world.hp_clerk, "package_create", **data)
    message = error.value.error_dict["type"][0]
    assert "请选择登记类型" in message and "data-resource" in message and "Choose" in message
    assert model.Session.query(model.Package).count() == 0


def test_package_create_without_type_over_http_is_a_400_in_both_languages(app, world):
    data = dataset_fields(owner_org=world.hp_reg["id"])
    data.pop("type", None)
    response = app.post("/api/3/action/package_create", json=data,
                        headers=_auth(world.hp_clerk), status=409)
    assert response.json["error"]["__type"] == "Validation Error"
    assert "公共数据资源" in response.json["error"]["type"][0]


@pytest.mark.ckan_config(dataset_types.GENERIC_OPTION, "true")
def test_generic_datasets_can_be_allowed_by_configuration(world):
    created = call_as(world.hp_clerk, "package_create", name="plain-one", title="普通数据集",
                      owner_org=world.hp_reg["id"], type="dataset")
    assert created["type"] == "dataset"


def test_dataset_new_offers_the_registration_forms(app, world):
    page = app.get(f"/dataset/new?group={world.hp_reg['id']}", headers=_auth(world.hp_clerk))
    soup = BeautifulSoup(page.body, "html.parser")
    resource = soup.find(id="tjr-new-data-resource")
    product = soup.find(id="tjr-new-data-product")
    assert resource["href"] == f"/data-resource/new?group={world.hp_reg['id']}"
    assert product["href"] == f"/data-product/new?group={world.hp_reg['id']}"
    assert "新建公共数据资源" in resource.text and "新建公共数据产品和服务" in product.text
    assert soup.find("form", id="dataset-edit") is None  # not CKAN's generic form
    english = app.get("/en/dataset/new", headers=_auth(world.hp_clerk))
    assert "Add public data resource" in english.body
    # A POST of the generic form is refused, and nothing is created.
    app.post("/dataset/new", headers=_auth(world.hp_clerk),
             data={"name": "x", "title": "x"}, status=400)
    assert model.Session.query(model.Package).count() == 0


@pytest.mark.parametrize("url", ["/dataset/", "/organization/hp-reg"])
def test_add_buttons_open_the_registration_forms(app, world, url):
    page = app.get(url, headers=_auth(world.hp_clerk))
    buttons = BeautifulSoup(page.body, "html.parser").select("a.tjr-add-dataset")
    targets = sorted(button["href"].split("?")[0] for button in buttons)
    assert targets == ["/data-product/new", "/data-resource/new"]


def test_a_generic_dataset_left_from_before_cannot_be_applied_for(app, world):
    package = model.Package(name="legacy-one", title="旧数据集", type="dataset",
                            owner_org=world.hp_reg["id"], state="active")
    model.Session.add(package)
    model.Session.commit()
    page = app.get("/registration/submit/legacy-one", headers=_auth(world.hp_clerk), status=400)
    assert "registration metadata" in page.body or "登记" in page.body
    app.post("/registration/submit/legacy-one", headers=_auth(world.hp_clerk),
             data={"pledge": "on", "internal_review": "on"}, status=400)
    with pytest.raises((helpers.logic.ValidationError, helpers.logic.NotFound)):
        call_as(world.hp_clerk, "registration_submit", package_id=package.id, pledge=True,
                internal_review=True)


def test_a_chinese_titled_record_gets_a_readable_name(world):
    data = dataset_fields(owner_org=world.hp_reg["id"], gov_catalog_code="12010100123")
    data.pop("name")
    created = call_as(world.hp_clerk, "package_create", **data)
    assert created["name"] == "hp-reg-12010100123"
    # The next one from the same catalogue entry gets a free name.
    again = call_as(world.hp_clerk, "package_create", **{**data, "title": "另一份数据"})
    assert again["name"] == "hp-reg-12010100123-2"
    # An edit that leaves the name empty keeps it; the name stays editable.
    kept = call_as(world.hp_clerk, "package_patch", id=created["id"], name="", notes="新简介")
    assert kept["name"] == "hp-reg-12010100123"
    renamed = call_as(world.hp_clerk, "package_patch", id=created["id"], name="hp-schools")
    assert renamed["name"] == "hp-schools"


def test_without_a_catalogue_code_the_name_has_the_date(world):
    data = dataset_fields(owner_org=world.hp_reg["id"], name="")
    created = call_as(world.hp_clerk, "package_create", **data)
    assert created["name"].startswith("hp-reg-")
    prefix, date, tail = created["name"].rsplit("-", 2)
    # The day in Tianjin (UTC+8), not the server's UTC date.
    assert date == workdays.local_today().strftime("%Y%m%d") and len(tail) == 4


def test_the_form_accepts_a_chinese_title_without_a_name(app, world):
    form = app.get("/data-resource/new", headers=_auth(world.hp_clerk))
    name_input = BeautifulSoup(form.body, "html.parser").find(id="field-name")
    assert not name_input.has_attr("required")
    data = dataset_fields(owner_org=world.hp_reg["id"], name="", title="和平区学校名录")
    form_data = {key: value for key, value in data.items()
                 if isinstance(value, str) and key != "resources"}
    form_data.update({"save": "continue", "spatial": "120101", "pkg_name": ""})
    response = app.post("/data-resource/new", headers=_auth(world.hp_clerk), data=form_data,
                        follow_redirects=False)
    assert response.status_code == 302, BeautifulSoup(response.body, "html.parser").select(
        ".error-explanation")
    created = model.Session.query(model.Package).filter_by(title="和平区学校名录").one()
    assert created.name.startswith("hp-reg-")
    assert response.headers["Location"].endswith(f"/data-resource/{created.name}")


def test_make_dataset_still_takes_an_explicit_name(world):
    assert make_dataset(world.hp_reg, name="explicit-name")["name"] == "explicit-name"


def test_a_form_without_registrant_is_refused_in_chinese(app, world):
    data = dataset_fields(owner_org="", name="", title="无主体数据")
    form_data = {key: value for key, value in data.items()
                 if isinstance(value, str) and key != "resources"}
    form_data.update({"save": "continue", "pkg_name": ""})
    page = app.post("/data-resource/new", headers=_auth(world.hp_clerk), data=form_data)
    summary = BeautifulSoup(page.body, "html.parser").select_one(".error-explanation").text
    assert "请选择登记主体" in summary and "An organization" not in summary
    assert model.Session.query(model.Package).count() == 0
