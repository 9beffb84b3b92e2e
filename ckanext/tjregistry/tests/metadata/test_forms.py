"""The web forms of registrations and organizations, in Chinese (default) and English."""
from __future__ import annotations

import re
from typing import Any

import pytest

from ckan.tests import factories, helpers
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.tests import samples


def _with_token(user: dict[str, Any]) -> dict[str, Any]:
    user["headers"] = {"Authorization": factories.APIToken(user=user["name"])["token"]}
    return user


@pytest.fixture
def people() -> dict[str, Any]:
    sysadmin = _with_token(factories.Sysadmin())
    editor = _with_token(factories.User())
    admin = _with_token(factories.User())
    org = helpers.call_action(
        "organization_create", context={"user": sysadmin["name"]},
        users=[{"name": editor["name"], "capacity": "editor"},
               {"name": admin["name"], "capacity": "admin"}],
        **samples.registrant_org(verified=False))
    return {"sysadmin": sysadmin, "editor": editor, "admin": admin, "org": org}


def _form(dataset: dict[str, Any]) -> dict[str, Any]:
    """A dataset dict as the browser submits it: text values, lists for checkboxes."""
    form: dict[str, Any] = {}
    for key, value in dataset.items():
        if key in ("resources", "type") or value is None:
            continue
        if isinstance(value, bool):
            form[key] = "true" if value else "false"
        elif isinstance(value, list) and key == "source_regist_codes":
            form[key] = "\n".join(value)
        elif isinstance(value, list):
            form[key] = value
        elif key == "evidence_time":
            form[key] = value[:16]  # datetime-local has minute precision
        else:
            form[key] = str(value)
    return form


def _resource_form(resource: dict[str, Any]) -> dict[str, Any]:
    form = {k: v for k, v in resource.items() if k != "data_dictionary"}
    for index, item in enumerate(resource.get("data_dictionary", [])):
        for key, value in item.items():
            form[f"data_dictionary-{index}-{key}"] = value
    return form


def _create_through_forms(app, user: dict[str, Any], dataset: dict[str, Any]) -> None:
    dataset_type = dataset["type"]
    response = app.post(f"/{dataset_type}/new", headers=user["headers"], data={
        **_form(dataset), "_ckan_phase": "dataset_new_1", "save": "continue"},
        follow_redirects=False)
    assert response.status_code == 302, response.body[:2000]
    assert f"/{dataset_type}/{dataset['name']}/resource/new" in response.headers["Location"]
    for resource in dataset["resources"]:
        response = app.post(f"/{dataset_type}/{dataset['name']}/resource/new",
                            headers=user["headers"],
                            data={**_resource_form(resource), "id": "", "save": "go-metadata"},
                            follow_redirects=False)
        assert response.status_code == 302, response.body[:2000]


def _assert_shown(shown: dict[str, Any], sent: dict[str, Any]) -> None:
    for key, value in sent.items():
        if key in ("resources", "tag_string"):
            continue
        if key == "evidence_time":
            value = value[:16] + ":00"
        assert shown[key] == value, key
    for shown_res, sent_res in zip(shown["resources"], sent["resources"], strict=True):
        for key, value in sent_res.items():
            assert shown_res[key] == value, key


# ------------------------------------------------------------------- pages ---
@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.parametrize("prefix,texts", [
    ("", ["基本信息", "数据内容与规模", "共享、开放与授权运营", "存证信息(不公开)", "共享属性",
          "有条件共享", "无条件开放", "和平区", "交通运输、仓储和邮政业", "提交登记申请前必须填写",
          "是否纳入授权运营", "新建公共数据资源"]),
    ("/en", ["Basic information", "Content and scale", "Evidence storage (not public)",
             "Sharing attribute", "Conditionally shared", "Unconditionally open",
             "Heping District", "Transport, storage and postal services",
             "Required before the registration can be submitted",
             "Within authorised operation", "Create public data resource"]),
])
def test_new_resource_form_is_grouped_and_bilingual(app, people, prefix: str, texts: list):
    page = app.get(f"{prefix}/data-resource/new", headers=people["editor"]["headers"]).body
    for text in texts:
        assert text in page, text
    # The type is named, not its machine name (CKAN's default); in Chinese everywhere.
    assert "Data-resource" not in page
    if not prefix:
        assert "Data-Resource" not in page
    for name in ("share_type", "open_platform_url", "evidence_hash", "spatial",
                 "data_scale_records", "in_authorized_operation", "evidence_time"):
        assert f'name="{name}"' in page, name


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_new_product_form_has_the_product_sections(app, people):
    page = app.get("/en/data-product/new", headers=people["editor"]["headers"]).body
    for text in ("Authorised operation", "Delivery and use", "Product form", "Data model",
                 "Registration codes of the source resources", "Deployed model"):
        assert text in page, text


# ------------------------------------------------------------ round trips ---
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_resource_registration_round_trips_through_the_web_forms(app, people):
    sent = samples.data_resource(people["org"]["id"])
    _create_through_forms(app, people["editor"], sent)
    shown = helpers.call_action("package_show", context={"user": people["editor"]["name"]},
                                id=sent["name"])
    assert shown["state"] == "active"
    _assert_shown(shown, sent)
    assert sorted(tag["name"] for tag in shown["tags"]) == ["交通出行", "公交"]

    # The edit form shows every stored value ...
    page = app.get(f"/data-resource/edit/{sent['name']}", headers=people["editor"]["headers"])
    body = page.body
    for text in ("天津市政务云西青节点", "2025-02-20T10:30", "1250000", sent["evidence_hash"],
                 "https://data.tj.gov.cn/dataset/bus-routes", "仅限交通管理和应急部门使用"):
        assert text in body, text
    assert re.search(r'<input id="field-spatial-120116"[^>]*checked', body)
    assert not re.search(r'<input id="field-spatial-120102"[^>]*checked', body)
    assert re.search(r'<option value="true" selected>\s*是', body)  # yes/no answers

    # ... and saving it changes what was changed, and only that.
    fields = scheming_helpers.scheming_get_dataset_schema("data-resource")["dataset_fields"]
    edited = shown | {"update_frequency": "daily", "spatial": ["120000"],
                      "data_scale_records": 0, "contact_phone": "13900001111",
                      "tag_string": "公交,交通出行"}
    form = _form({f["field_name"]: edited.get(f["field_name"]) for f in fields})
    response = app.post(f"/data-resource/edit/{sent['name']}",
                        headers=people["editor"]["headers"],
                        data={**form, "_ckan_phase": "dataset_new_1", "pkg_name": shown["id"],
                              "save": ""}, follow_redirects=False)
    assert response.status_code == 302, response.body[:3000]
    shown = helpers.call_action("package_show", context={"user": people["editor"]["name"]},
                                id=sent["name"])
    assert (shown["update_frequency"], shown["spatial"], shown["data_scale_records"],
            shown["contact_phone"]) == ("daily", ["120000"], 0, "13900001111")
    assert shown["evidence_hash"] == sent["evidence_hash"]
    assert shown["resources"][0]["data_dictionary"] == sent["resources"][0]["data_dictionary"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_product_registration_round_trips_through_the_web_forms(app, people):
    sent = samples.data_product(people["org"]["id"])
    _create_through_forms(app, people["editor"], sent)
    shown = helpers.call_action("package_show", context={"user": people["editor"]["name"]},
                                id=sent["name"])
    _assert_shown(shown, sent)
    page = app.get(f"/data-product/{sent['name']}", headers=people["editor"]["headers"]).body
    for text in ("授权运营期限(起)", sent["authorization_end"], "数据接口", "TJ-R-2025-000001",
                 "出行规划"):
        assert text in page, text


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_page_shows_labels_not_codes_in_both_languages(app, people):
    sent = samples.data_resource(people["org"]["id"])
    created = helpers.call_action("package_create", context={"user": people["editor"]["name"]},
                                  **sent)
    page = app.get(f"/data-resource/{sent['name']}", headers=people["editor"]["headers"]).body
    for text in ("共享、开放与授权运营", "有条件共享", "实时", "滨海新区", "1,250,000", "是",
                 "重要数据"):
        assert text in page, text
    resource_page = app.get(
        f"/data-resource/{sent['name']}/resource/{created['resources'][0]['id']}",
        headers=people["editor"]["headers"]).body
    for text in ("信息项", "route_id", "字符型", "日期时间型", "线路编号"):
        assert text in resource_page, text
    page = app.get(f"/en/data-resource/{sent['name']}",
                   headers=people["editor"]["headers"]).body
    for text in ("Sharing, opening and authorised operation", "Conditionally shared",
                 "Real time", "Binhai New Area", "Important data"):
        assert text in page, text
    resource_page = app.get(
        f"/en/data-resource/{sent['name']}/resource/{created['resources'][0]['id']}",
        headers=people["editor"]["headers"]).body
    for text in ("Data items", "route_id", "String", "Date and time"):
        assert text in resource_page, text


@pytest.mark.parametrize("prefix,names", [
    ("", {"data-resource": "公共数据资源", "data-product": "公共数据产品和服务"}),
    ("/en", {"data-resource": "Public data resources",
             "data-product": "Public data products and services"}),
])
def test_search_pages_name_the_dataset_types_not_their_machine_names(app, prefix, names):
    for dataset_type, name in names.items():
        page = app.get(f"{prefix}/{dataset_type}/").body
        # The breadcrumb's last item (the main menu has an active item of its own).
        crumb = re.search(r'<ol class="breadcrumb">.*<li class="active">'
                          r'<a href="[^"]*">([^<]*)</a>', page, re.DOTALL)
        assert crumb is not None and crumb.group(1) == name
        assert f"<title>{name} - " in page
        assert "Data-" not in page


# ------------------------------------------------------------- validation ---
@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.parametrize("prefix,messages", [
    ("", ["应为手机号码或带区号的固定电话号码", "涉及授权运营时必须填写(存证)", "不能为负数",
          "开放的数据资源必须填写开放平台地址"]),
    ("/en", ["Must be a mobile number or a landline number with area code",
             "Required when authorised operation is involved (evidence, 存证)",
             "Must not be negative",
             "Required for an open resource: the address on the open-data platform"]),
])
def test_form_errors_are_shown_in_the_users_language(app, people, prefix: str, messages):
    sent = samples.data_resource(people["org"]["id"], contact_phone="12345",
                                 data_scale_records=-1, evidence_hash="",
                                 open_platform_url="")
    response = app.post(f"{prefix}/data-resource/new", headers=people["editor"]["headers"],
                        data={**_form(sent), "_ckan_phase": "dataset_new_1",
                              "save": "continue"})
    assert response.status_code == 200
    for message in messages:
        assert message in response.body, message
    assert "天津市政务云西青节点" in response.body  # the form keeps what was typed
    with pytest.raises(Exception):  # noqa: B017 - nothing was created
        helpers.call_action("package_show", id=sent["name"])


# ----------------------------------------------------------- organizations ---
@pytest.mark.usefixtures("clean_db")
def test_sysadmin_creates_a_registrant_through_the_organization_form(app, people):
    sent = samples.registrant_org(name="hp-education", title="和平区教育局",
                                  admin_level="district", district_code="120101")
    page = app.get("/organization/new", headers=people["sysadmin"]["headers"]).body
    for text in ("机构类别与管辖(平台维护)", "登记主体信息", "联系方式(不公开)", "统一社会信用代码",
                 "蓟州区"):
        assert text in page, text
    form = {k: ("true" if v is True else "false" if v is False else v) for k, v in sent.items()}
    response = app.post("/organization/new", headers=people["sysadmin"]["headers"],
                        data={**form, "save": ""}, follow_redirects=False)
    assert response.status_code == 302, response.body[:3000]
    shown = helpers.call_action("organization_show", context={"user": people["sysadmin"]["name"]},
                                id="hp-education")
    for key, value in sent.items():
        assert shown[key] == value, key


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("prefix,managed_note,uscc_error", [
    ("", "由平台管理员维护。", "统一社会信用代码的校验码错误"),
    ("/en", "Managed by the platform administrators.",
     "The check character of this unified social credit code is wrong"),
])
def test_registrant_admin_edits_details_but_sees_managed_fields_read_only(
    app, people, prefix: str, managed_note: str, uscc_error: str
):
    org = people["org"]
    headers = people["admin"]["headers"]
    page = app.get(f"{prefix}/organization/edit/{org['name']}", headers=headers).body
    assert managed_note in page
    assert 'name="org_kind"' not in page and 'name="verified"' not in page
    assert 'name="uscc"' in page and 'name="contact_phone"' in page

    base = {"name": org["name"], "title": org["title"], "uscc": samples.USCC_VALID[2],
            "registrant_type": "public_institution", "pledge_on_file": "true",
            "contact_phone": "022-55556666", "save": ""}
    response = app.post(f"{prefix}/organization/edit/{org['name']}", headers=headers,
                        data={**base, "uscc": "91350100M000100Y44"})
    assert uscc_error in response.body
    response = app.post(f"{prefix}/organization/edit/{org['name']}", headers=headers,
                        data=base, follow_redirects=False)
    assert response.status_code == 302, response.body[:3000]
    shown = helpers.call_action("organization_show", context={"user": people["admin"]["name"]},
                                id=org["id"])
    assert (shown["uscc"], shown["registrant_type"], shown["contact_phone"]) == (
        samples.USCC_VALID[2], "public_institution", "022-55556666")
    assert (shown["org_kind"], shown["verified"], shown["district_code"]) == (
        "registrant", False, "120000")


@pytest.mark.usefixtures("clean_db")
def test_organization_about_page_in_both_languages(app, people):
    org = people["org"]
    page = app.get(f"/organization/about/{org['name']}").body
    for text in ("登记主体信息", samples.USCC_VALID[0], "党政机关", "天津市(市级)", "否"):
        assert text in page, text
    page = app.get(f"/en/organization/about/{org['name']}").body
    for text in ("Registrant details", "Party or government body", "Tianjin (municipal)"):
        assert text in page, text
    institution = helpers.call_action("organization_create",
                                      context={"user": people["sysadmin"]["name"]},
                                      **samples.institution_org())
    page = app.get(f"/organization/about/{institution['name']}").body
    assert "登记机构资格状态" in page and "正常" in page
    assert "已通过市级登记机构认证" not in page  # registrants only


# -------------------------------------------------------------- catalogue ---
def test_every_message_of_the_extension_has_a_chinese_translation():
    """What the code says in English (validation messages, pages) exists in Chinese too."""
    import pathlib

    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping
    from babel.messages.pofile import read_po

    root = pathlib.Path(__file__).resolve().parents[4]
    with (root / "i18n" / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping(config)
    msgids = {
        message if isinstance(message, str) else message[0]
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords={"_": None, "N_": None,
                                                          "gettext": None})
    }
    assert "Only platform administrators can change this field" in msgids
    po_path = root / "i18n" / "zh_Hans_CN" / "LC_MESSAGES" / "ckanext-tjregistry.po"
    with po_path.open("rb") as po_file:
        catalogue = read_po(po_file)
    untranslated = sorted(
        msgid for msgid in msgids
        if not (catalogue.get(msgid) and catalogue[msgid].string and not catalogue[msgid].fuzzy))
    assert untranslated == [], "run `make i18n` and translate: " + "; ".join(untranslated)
