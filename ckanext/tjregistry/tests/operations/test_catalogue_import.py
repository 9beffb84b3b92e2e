"""Importing the government data catalogue (政务数据目录) into draft registrations (Art. 14)."""
from __future__ import annotations

import csv
import io
import os

import openpyxl
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import helpers
from ckanext.activity.model import Activity

from ckanext.tjregistry.common import history
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.model.catalogue import CatalogueEntry, CatalogueImport
from ckanext.tjregistry.operations import catalogue_import
from ckanext.tjregistry.tests import samples
from ckanext.tjregistry.tests.workflow_helpers import call_as, set_org_fields

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

HEADER = ["目录编码", "资源名称", "资源摘要", "提供方名称", "提供方统一社会信用代码", "所属行业",
          "数据类型", "来源系统", "更新周期", "共享属性", "共享条件", "开放属性", "开放条件",
          "开放平台地址", "数据量(条)", "信息项数量", "覆盖区域", "关键词"]


def row(code, title, provider="和平区教育局", uscc="", **fields):
    values = {"目录编码": code, "资源名称": title, "资源摘要": f"{title}的内容简介。",
              "提供方名称": provider, "提供方统一社会信用代码": uscc,
              "所属行业": "教育", "数据类型": "结构化数据", "来源系统": "学籍管理系统",
              "更新周期": "每月", "共享属性": "有条件共享", "共享条件": "仅限教育部门使用",
              "开放属性": "不予开放", "开放条件": "", "开放平台地址": "", "数据量(条)": "12,000",
              "信息项数量": "18", "覆盖区域": "和平区", "关键词": "学校、教育"}
    values.update(fields)
    return [values.get(name, "") for name in HEADER]


ROWS = [
    row("120101-JY-0001", "和平区中小学名录"),
    row("120101-JY-0002", "和平区学位分配数据", provider="", uscc=samples.USCC_VALID[1]),
    row("120116-HB-0001", "滨海新区空气质量", provider="滨海新区生态环境局", 所属行业="N",
        覆盖区域="滨海新区、120101", 开放属性="无条件开放",
        开放平台地址="https://data.tj.gov.cn/dataset/air"),
    row("120000-XX-0001", "某中央驻津单位数据", provider="中央驻津单位"),
    row("120101-JY-0003", "更新周期写错", 更新周期="偶尔"),
    row("", "没有编码"),
    row("120101-JY-0001", "重复的编码"),
    row("120101-JY-0004", "开放却没有平台地址", 开放属性="无条件开放"),
]


def write_csv(path, rows, header=HEADER, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def write_xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "政务数据目录"
    sheet.append(HEADER)
    for values in rows:
        sheet.append([int(v.replace(",", "")) if v.replace(",", "").isdigit() and len(v) < 8
                      else v for v in values])
    workbook.save(path)
    return str(path)


def read_report(path):
    with open(path, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def world(world):
    set_org_fields(world.hp_reg["id"], uscc=samples.USCC_VALID[1])
    return world


def drafts():
    return {p.extras.get("gov_catalog_code"): p for p in model.Session.query(model.Package)
            .filter(model.Package.name.like("gdc-%"))}


def test_first_import_prefills_drafts_and_reports_every_row(world, tmp_path):
    path = write_csv(tmp_path / "目录.csv", ROWS)
    report = str(tmp_path / "report.csv")
    summary = catalogue_import.run(path, report_path=report)
    assert summary.rows == 8
    assert summary.counts == {"created": 3, "catalogue_only": 1, "error": 4}

    packages = drafts()
    assert set(packages) == {"120101-JY-0001", "120101-JY-0002", "120116-HB-0001"}
    first = helpers.call_action("package_show", {"user": world.hp_clerk["name"]},
                                id=packages["120101-JY-0001"].id)
    assert first["state"] == "draft" and first["type"] == "data-resource"
    assert first["owner_org"] == world.hp_reg["id"]
    assert first["name"] == "gdc-120101-jy-0001"
    assert (first["title"], first["industry_code"], first["data_kind"]) == (
        "和平区中小学名录", "P", "structured")
    assert (first["update_frequency"], first["share_type"], first["open_type"]) == (
        "monthly", "conditional", "not_open")
    assert (first["data_scale_records"], first["data_scale_fields"]) == (12000, 18)
    assert first["spatial"] == ["120101"]
    assert sorted(tag["name"] for tag in first["tags"]) == ["学校", "教育"]
    assert first["registration_status"] == "unregistered"
    # Found by credit code, without a name.
    assert packages["120101-JY-0002"].owner_org == world.hp_reg["id"]
    # The drafts are in the search index (sent to Solr together, once each).
    found = helpers.call_action("package_search", {"user": world.sysadmin["name"]},
                                q="name:gdc-*", include_drafts=True, include_private=True,
                                fl="name,title,state,owner_org")
    assert found["count"] == 3
    assert {r["name"]: r["state"] for r in found["results"]} == {
        "gdc-120101-jy-0001": "draft", "gdc-120101-jy-0002": "draft",
        "gdc-120116-hb-0001": "draft"}
    air = helpers.call_action("package_show", id=packages["120116-HB-0001"].id)
    assert air["owner_org"] == world.bh_reg["id"] and air["spatial"] == ["120101", "120116"]

    entries = {e.code: e for e in model.Session.query(CatalogueEntry)}
    assert set(entries) == set(packages) | {"120000-XX-0001"}
    assert entries["120000-XX-0001"].registrant_id is None
    assert entries["120000-XX-0001"].package_id is None
    assert entries["120101-JY-0001"].raw["更新周期"] == "每月"
    assert entries["120101-JY-0001"].source_row == 2
    run = model.Session.query(CatalogueImport).one()
    assert (run.rows, run.created, run.catalogue_only, run.errors) == (8, 3, 1, 4)
    # The run is recorded once in the hash-chained history, not per draft in the
    # activity stream.
    event = model.Session.query(Event).filter(Event.subject == "catalogue").one()
    assert event.action == "import" and event.data["import_id"] == run.id
    assert event.data["counts"] == {"catalogue_only": 1, "created": 3, "error": 4}
    assert event.data["source_sha256"] == run.source_sha256
    assert history.verify().ok
    assert model.Session.query(Activity).filter(
        Activity.object_id.in_([p.id for p in packages.values()])).count() == 0

    lines = read_report(report)
    assert [line["行号 row"] for line in lines] == [str(n) for n in range(2, 10)]
    by_row = {line["行号 row"]: line for line in lines}
    assert by_row["2"]["结果 status"] == "created"
    assert by_row["2"]["数据标识 dataset"] == "gdc-120101-jy-0001"
    assert by_row["5"]["结果 status"] == "catalogue_only"
    assert "更新周期「偶尔」" in by_row["6"]["错误 errors"]
    assert "目录编码:必填" in by_row["7"]["错误 errors"]
    assert "duplicate catalogue code" in by_row["8"]["错误 errors"]
    assert by_row["9"]["结果 status"] == "error"
    # Schema messages in Chinese and English, with the column's header.
    assert by_row["9"]["错误 errors"] == (
        "开放平台地址 open_platform_url: 开放的数据资源必须填写开放平台地址 / "
        "Required for an open resource: the address on the open-data platform")
    assert by_row["9"]["目录编码 code"] == "120101-JY-0004"


def test_reimport_updates_instead_of_duplicating(world, tmp_path):
    path = write_csv(tmp_path / "catalogue.csv", ROWS[:4])
    catalogue_import.run(path, report_path=str(tmp_path / "r1.csv"))
    before = {code: package.id for code, package in drafts().items()}

    again = catalogue_import.run(path, report_path=str(tmp_path / "r2.csv"))
    assert again.counts == {"unchanged": 4}
    assert {code: p.id for code, p in drafts().items()} == before

    changed = [row("120101-JY-0001", "和平区中小学及幼儿园名录", 更新周期="每年"), *ROWS[1:4]]
    # The central unit has since joined the platform as a registrant.
    set_org_fields(world.city_reg["id"], uscc=samples.USCC_VALID[2])
    changed[3] = row("120000-XX-0001", "某中央驻津单位数据", provider="",
                     uscc=samples.USCC_VALID[2])
    path = write_csv(tmp_path / "catalogue.csv", changed)
    third = catalogue_import.run(path, report_path=str(tmp_path / "r3.csv"))
    assert third.counts == {"updated": 1, "unchanged": 2, "created": 1}
    packages = drafts()
    assert packages["120101-JY-0001"].id == before["120101-JY-0001"]
    shown = helpers.call_action("package_show", id=before["120101-JY-0001"])
    assert shown["title"] == "和平区中小学及幼儿园名录" and shown["update_frequency"] == "annual"
    assert packages["120000-XX-0001"].owner_org == world.city_reg["id"]
    assert model.Session.query(CatalogueEntry).count() == 4
    assert model.Session.get(CatalogueEntry, "120101-JY-0001").title == "和平区中小学及幼儿园名录"


def test_a_registration_being_handled_is_not_changed_by_a_reimport(world, tmp_path):
    path = write_csv(tmp_path / "catalogue.csv", ROWS[:1])
    catalogue_import.run(path, report_path=str(tmp_path / "r1.csv"))
    package = drafts()["120101-JY-0001"]
    # The registrant completes the draft and applies.
    complete = {key: value for key, value in samples.data_resource(world.hp_reg["id"]).items()
                if key not in ("name", "title", "gov_catalog_code", "owner_org")}
    complete.update(in_authorized_operation=False, operator_name="", open_type="not_open",
                    access_method="apply", open_platform_url="", open_condition="",
                    regist_object_type="public_data_resource", state="active")
    call_as(world.hp_clerk, "package_patch", id=package.id, **complete)
    call_as(world.hp_clerk, "registration_submit", package_id=package.id, pledge=True,
            internal_review=True)

    path = write_csv(tmp_path / "catalogue.csv", [row("120101-JY-0001", "改名后的名录")])
    summary = catalogue_import.run(path, report_path=str(tmp_path / "r2.csv"))
    assert summary.counts == {"locked": 1}
    assert helpers.call_action("package_show", id=package.id)["title"] == "和平区中小学名录"
    assert model.Session.get(CatalogueEntry, "120101-JY-0001").title == "改名后的名录"
    assert read_report(tmp_path / "r2.csv")[0]["结果 status"] == "locked"
    run = (model.Session.query(CatalogueImport).order_by(CatalogueImport.started.desc())
           .first())
    assert (run.rows, run.unchanged, run.locked, run.other_registrant) == (1, 0, 1, 0)


def test_xlsx_and_gb18030_csv_import_the_same(world, tmp_path):
    xlsx = catalogue_import.run(write_xlsx(tmp_path / "目录.xlsx", ROWS[:4]),
                                report_path=str(tmp_path / "x.csv"))
    assert xlsx.counts == {"created": 3, "catalogue_only": 1}
    assert helpers.call_action("package_show", id=drafts()["120101-JY-0001"].id)[
        "data_scale_records"] == 12000
    gbk = catalogue_import.run(write_csv(tmp_path / "gbk.csv", ROWS[:4], encoding="gb18030"),
                               report_path=str(tmp_path / "g.csv"))
    assert gbk.counts == {"unchanged": 4}


@pytest.mark.parametrize(("header", "message"), [
    (["资源名称", "资源摘要", "提供方名称"], "目录编码"),
    (["目录编码", "资源名称", "资源摘要"], "provider column"),
])
def test_files_without_the_required_columns_are_refused(world, tmp_path, header, message):
    path = write_csv(tmp_path / "bad.csv", [["x"] * len(header)], header=header)
    with pytest.raises(catalogue_import.ImportFileError, match=message):
        catalogue_import.run(path)
    assert model.Session.query(CatalogueEntry).count() == 0


def test_a_malformed_csv_is_refused_with_the_line(world, tmp_path, cli):
    path = tmp_path / "huge.csv"
    rows = [row("120101-JY-0301", "正常"), row("120101-JY-0302", "x" * 140_000)]
    write_csv(path, rows)
    result = cli.invoke(ckan_command, ["tjregistry", "catalogue", "import", str(path)])
    assert result.exit_code != 0
    assert "Malformed CSV near line 3" in result.output and "CSV 格式错误" in result.output
    assert model.Session.query(CatalogueEntry).count() == 0


def test_unsupported_files_are_refused(world, tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text("[]")
    with pytest.raises(catalogue_import.ImportFileError, match="Unsupported file type"):
        catalogue_import.run(str(path))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(catalogue_import.ImportFileError, match="Cannot read the XLSX"):
        catalogue_import.run(str(broken))


def test_command_line_import_with_progress_and_report(world, tmp_path, cli):
    path = write_csv(tmp_path / "catalogue.csv", ROWS)
    report = tmp_path / "out" / "report.csv"
    result = cli.invoke(ckan_command, ["tjregistry", "catalogue", "import", path,
                                       "--report", str(report)])
    assert result.exit_code == 1, result.output  # rows with errors
    assert "created: 3" in result.output and "error: 4" in result.output
    assert "导入 importing" in result.output  # the progress bar
    assert len(read_report(report)) == 8
    clean = write_csv(tmp_path / "clean.csv", ROWS[:3])
    result = cli.invoke(ckan_command, ["tjregistry", "catalogue", "import", clean])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.iterdir() if p.name.startswith("clean.report-")]
    assert len(written) == 1 and "unchanged: 3" in result.output


def test_catalogue_entries_without_registration_are_listed(world, tmp_path):
    catalogue_import.run(write_csv(tmp_path / "c.csv", ROWS[:4]),
                         report_path=str(tmp_path / "r.csv"))
    listed = call_as(world.officer, "catalogue_entry_list", unregistered=True)
    assert listed["count"] == 4
    assert {e["code"]: e["registration_status"] for e in listed["results"]} == {
        "120000-XX-0001": "unregistered", "120101-JY-0001": "unregistered",
        "120101-JY-0002": "unregistered", "120116-HB-0001": "unregistered"}
    mine = call_as(world.hp_reviewer, "catalogue_entry_list", registrant_id="hp-reg")
    assert [e["code"] for e in mine["results"]] == ["120101-JY-0001", "120101-JY-0002"]
    for user in (world.outsider, world.hp_clerk, None):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "catalogue_entry_list")


# Full-width punctuation, as typed in Chinese spreadsheets (written as escapes so that
# no editor turns them into ASCII).
FULL_COMMA, FULL_SEMICOLON, ENUMERATION_COMMA = "\uff0c", "\uff1b", "\u3001"


def test_full_width_separators_are_accepted_like_ascii_ones(world, tmp_path):
    rows = [
        row("120101-JY-0101", "全角分隔符", **{
            "数据量(条)": f"1{FULL_COMMA}234{FULL_COMMA}567",
            "覆盖区域": f"和平区{FULL_COMMA}滨海新区{FULL_SEMICOLON}120103",
            "关键词": f"学校{FULL_COMMA}教育{FULL_SEMICOLON}基础教育{ENUMERATION_COMMA}名录"}),
        row("120101-JY-0102", "半角分隔符", **{
            "数据量(条)": "1,234,567", "覆盖区域": "和平区,滨海新区;120103",
            "关键词": "学校,教育;基础教育、名录"}),
        row("120101-JY-0103", "千位分隔符位置不对", **{"数据量(条)": f"12{FULL_COMMA}34"}),
    ]
    summary = catalogue_import.run(write_csv(tmp_path / "c.csv", rows),
                                   report_path=str(tmp_path / "r.csv"))
    assert summary.counts == {"created": 2, "error": 1}
    packages = drafts()
    shown = [helpers.call_action("package_show", id=packages[code].id)
             for code in ("120101-JY-0101", "120101-JY-0102")]
    for dataset in shown:
        assert dataset["data_scale_records"] == 1234567
        assert dataset["spatial"] == ["120101", "120103", "120116"]
        assert sorted(tag["name"] for tag in dataset["tags"]) == ["名录", "基础教育", "学校",
                                                                   "教育"]
    error = read_report(tmp_path / "r.csv")[2]
    assert error["结果 status"] == "error"
    assert "misplaced thousands separator" in error["错误 errors"]


def test_a_draft_of_another_registrant_has_its_own_status(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [row("120101-JY-0001", "和平区中小学名录")])
    catalogue_import.run(path, report_path=str(tmp_path / "r1.csv"))
    package = drafts()["120101-JY-0001"]
    # The catalogue now names another provider for the same code.
    path = write_csv(tmp_path / "c.csv", [row("120101-JY-0001", "改由滨海新区提供",
                                              provider="滨海新区生态环境局")])
    summary = catalogue_import.run(path, report_path=str(tmp_path / "r2.csv"))
    assert summary.counts == {"other_registrant": 1}
    line = read_report(tmp_path / "r2.csv")[0]
    assert line["结果 status"] == "other_registrant"
    assert "belongs to another registrant" in line["说明 meaning"]
    assert "另一登记主体" in line["说明 meaning"]
    shown = helpers.call_action("package_show", id=package.id)
    assert (shown["title"], shown["owner_org"]) == ("和平区中小学名录", world.hp_reg["id"])
    run = (model.Session.query(CatalogueImport).order_by(CatalogueImport.started.desc())
           .first())
    assert (run.rows, run.unchanged, run.locked, run.other_registrant) == (1, 0, 0, 1)


def test_an_unknown_importing_user_is_refused_before_anything_is_written(world, tmp_path, cli):
    path = write_csv(tmp_path / "c.csv", ROWS[:2])
    with pytest.raises(catalogue_import.UnknownUser, match="nobody"):
        catalogue_import.run(path, report_path=str(tmp_path / "r.csv"), user_name="nobody")
    result = cli.invoke(ckan_command, ["tjregistry", "catalogue", "import", path,
                                       "--user", "nobody"])
    assert result.exit_code != 0 and "No active user account 'nobody'" in result.output
    assert model.Session.query(CatalogueImport).count() == 0
    assert model.Session.query(CatalogueEntry).count() == 0
    assert not (tmp_path / "r.csv").exists()

    catalogue_import.run(path, report_path=str(tmp_path / "r.csv"),
                         user_name=world.city_reviewer["name"])
    run = model.Session.query(CatalogueImport).one()
    assert run.created_by == world.city_reviewer["id"]
    event = model.Session.query(Event).filter(Event.subject == "catalogue").one()
    assert event.actor_id == world.city_reviewer["id"]


def test_report_rows_are_the_spreadsheets_row_numbers(world, tmp_path):
    # XLSX: two blank rows above the header, a blank row between entries.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, name in enumerate(HEADER, start=1):
        sheet.cell(row=3, column=index, value=name)
    for sheet_row, values in ((4, ROWS[0]), (6, ROWS[4]), (7, ROWS[1])):
        for index, value in enumerate(values, start=1):
            sheet.cell(row=sheet_row, column=index, value=value)
    xlsx = tmp_path / "目录.xlsx"
    workbook.save(xlsx)
    catalogue_import.run(str(xlsx), report_path=str(tmp_path / "x.csv"))
    by_code = {line["目录编码 code"]: line for line in read_report(tmp_path / "x.csv")}
    sheet = openpyxl.load_workbook(xlsx).active
    where = {sheet.cell(row=n, column=1).value: n for n in range(1, sheet.max_row + 1)}
    assert {code: int(line["行号 row"]) for code, line in by_code.items()} == {
        code: where[code] for code in ("120101-JY-0001", "120101-JY-0003", "120101-JY-0002")}
    assert by_code["120101-JY-0003"]["结果 status"] == "error"
    assert model.Session.get(CatalogueEntry, "120101-JY-0002").source_row == 7

    # CSV: a blank line above the header and a quoted summary over three lines; a
    # spreadsheet shows that record as one row.
    summary = "第一段。\r\n第二段。\n第三段。"
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow([])
    writer.writerow(HEADER)
    writer.writerow(row("120101-JY-0201", "多行摘要", **{"资源摘要": summary}))
    writer.writerow(row("120101-JY-0202", "更新周期写错", 更新周期="偶尔"))
    writer.writerow(row("120101-JY-0203", "第三条"))
    path = tmp_path / "multiline.csv"
    path.write_bytes(text.getvalue().encode("utf-8-sig"))
    catalogue_import.run(str(path), report_path=str(tmp_path / "m.csv"))
    numbers = {line["目录编码 code"]: line["行号 row"] for line in read_report(tmp_path / "m.csv")}
    assert numbers == {"120101-JY-0201": "3", "120101-JY-0202": "4", "120101-JY-0203": "5"}
    # The line breaks inside the quoted field are kept.
    notes = helpers.call_action("package_show", id=drafts()["120101-JY-0201"].id)["notes"]
    assert notes.splitlines() == ["第一段。", "第二段。", "第三段。"]


def test_workers_import_like_one_process(world, tmp_path, monkeypatch):
    """Forked workers (``--workers``) write the same drafts and the same report as one
    process, and rows introducing the same new keyword at once create one tag."""
    monkeypatch.setattr(catalogue_import, "WORKER_CHUNK", 2)
    pids_file = tmp_path / "pids"
    apply_chunk = catalogue_import._apply_chunk

    def recording_pid(*args, **kwargs):
        with open(pids_file, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return apply_chunk(*args, **kwargs)

    monkeypatch.setattr(catalogue_import, "_apply_chunk", recording_pid)
    extra = [row(f"120101-JY-{n:04d}", f"和平区教育数据{n}", 关键词="并行新词、教育")
             for n in range(10, 20)]
    # Two codes that make the same dataset name, in different workers' chunks.
    extra += [row("120101-JY-0100", "名称相同一"), row("120101.jy.0100", "名称相同二")]
    path = write_csv(tmp_path / "catalogue.csv", [*ROWS, *extra])
    report = str(tmp_path / "report.csv")
    summary = catalogue_import.run(path, report_path=report, workers=2)

    pids = set(pids_file.read_text().split())
    assert len(pids) == 2 and str(os.getpid()) not in pids
    assert summary.rows == 20
    assert summary.counts == {"created": 15, "catalogue_only": 1, "error": 4}
    lines = read_report(report)
    assert [line["行号 row"] for line in lines] == [str(n) for n in range(2, 22)]
    by_row = {line["行号 row"]: line for line in lines}
    assert "duplicate catalogue code" in by_row["8"]["错误 errors"]
    assert "open_platform_url" in by_row["9"]["错误 errors"]
    assert by_row["20"]["数据标识 dataset"] != by_row["21"]["数据标识 dataset"]
    model.Session.remove()
    assert len(drafts()) == 15
    assert model.Session.query(model.Tag).filter(model.Tag.name == "并行新词").count() == 1
    tagged = helpers.call_action("package_search", {"user": world.sysadmin["name"]},
                                 fq="tags:并行新词", include_drafts=True, include_private=True)
    assert tagged["count"] == 10
    found = helpers.call_action("package_search", {"user": world.sysadmin["name"]},
                                q="name:gdc-*", include_drafts=True, include_private=True)
    assert found["count"] == 15
    event = model.Session.query(Event).filter(Event.subject == "catalogue").one()
    assert event.data["counts"] == {"catalogue_only": 1, "created": 15, "error": 4}
    assert history.verify().ok
