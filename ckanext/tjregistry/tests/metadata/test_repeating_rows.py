"""A resource without data items can be saved; the form's blank row is not a row."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import helpers

from ckanext.tjregistry.tests.workflow_helpers import call_as, dataset_fields, make_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

BLANK_ROW = {"data_dictionary-0-name": "", "data_dictionary-0-type": "",
             "data_dictionary-0-description": ""}


def _resource_form(dataset_name: str, **fields: str) -> dict[str, str]:
    return {"url": "https://example.org/api/schools", "name": "学校查询接口", "format": "API",
            "resource_kind": "data", "save": "go-metadata", "id": "", **fields}


def test_the_resource_form_saves_without_data_items(app, world):
    dataset = make_dataset(world.hp_reg)
    response = app.post(f"/data-resource/{dataset['name']}/resource/new",
                        headers={"Authorization": world.hp_clerk["token"]},
                        data=_resource_form(dataset["name"], **BLANK_ROW),
                        follow_redirects=False)
    assert response.status_code == 302, [e.get_text(" ", strip=True) for e in BeautifulSoup(
        response.body, "html.parser").select(".error-explanation")]
    shown = helpers.call_action("package_show", id=dataset["id"])
    added = [r for r in shown["resources"] if r["name"] == "学校查询接口"]
    assert len(added) == 1 and not added[0].get("data_dictionary")


def test_a_row_with_a_value_is_still_validated(app, world):
    dataset = make_dataset(world.hp_reg)
    before = model.Session.query(model.Resource).count()
    page = app.post(f"/data-resource/{dataset['name']}/resource/new",
                    headers={"Authorization": world.hp_clerk["token"]},
                    data=_resource_form(dataset["name"], **dict(
                        BLANK_ROW, **{"data_dictionary-0-description": "学校名称"})))
    errors = BeautifulSoup(page.body, "html.parser").select_one(".error-explanation")
    assert errors is not None and "信息项名称" in errors.text
    model.Session.remove()
    assert model.Session.query(model.Resource).count() == before


def test_api_clients_blank_rows_are_dropped_too(world):
    dataset = make_dataset(world.hp_reg)
    resource = call_as(world.hp_clerk, "resource_create", package_id=dataset["id"],
                       url="https://example.org/doc.pdf", name="说明文档", format="PDF",
                       resource_kind="data",
                       data_dictionary=[{"name": "", "type": "", "description": " "},
                                        {"name": "school_name", "type": "string",
                                         "description": ""}])
    assert [row["name"] for row in resource["data_dictionary"]] == ["school_name"]
    created = call_as(world.hp_clerk, "package_create", **dataset_fields(
        owner_org=world.hp_reg["id"], resources=[{
            "url": "https://example.org/x.csv", "name": "数据", "format": "CSV",
            "resource_kind": "data", "data_dictionary": [{"name": "", "type": ""}]}]))
    assert not created["resources"][0].get("data_dictionary")
