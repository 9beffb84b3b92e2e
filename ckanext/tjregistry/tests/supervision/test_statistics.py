"""Registration statistics (Art. 27): figures, scopes, access, downloads and the page."""
from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.supervision import statistics
from ckanext.tjregistry.tests.supervision_helpers import (
    build_landscape,
    today,
)
from ckanext.tjregistry.tests.workflow_helpers import call_as


@pytest.fixture
def land(world):
    return build_landscape(world)


def _by_key(rows, key="key"):
    return {row[key]: row for row in rows}


def _auth(user):
    return {"Authorization": user["token"]}


def test_city_figures_follow_the_registrations(world, land):
    stats = call_as(world.officer, "registration_statistics_show")
    assert stats["area"] == "city"
    assert stats["totals"]["datasets"] == 7
    assert stats["totals"]["registered"] == 1
    assert stats["totals"]["in_progress"] == 2  # one submitted, one in publicity
    assert stats["totals"]["applications"] == 5

    status = {row["key"]: row["count"] for row in stats["by_status"]}
    assert status == {"unregistered": 3, "pending": 1, "publicity": 1, "registered": 1,
                      "expired": 0, "revoked": 1, "cancelled": 0}

    district = _by_key(stats["by_district"])
    assert len(district) == 17  # the city and its sixteen districts, empty ones included
    assert district["120101"]["label"]["zh_Hans_CN"] == "和平区"
    assert district["120101"]["total"] == 3
    assert district["120101"]["statuses"]["registered"] == 1
    assert district["120101"]["statuses"]["pending"] == 1
    assert district["120101"]["statuses"]["unregistered"] == 1
    assert district["120116"]["statuses"]["revoked"] == 1
    assert district["120000"]["statuses"]["publicity"] == 1
    assert district["120104"]["total"] == 0

    category = _by_key(stats["by_category"])
    assert category["data-resource"]["total"] == 6
    assert category["data-product"]["total"] == 1
    assert category["data-product"]["statuses"]["publicity"] == 1

    registrant = _by_key(stats["by_registrant"], "name")
    assert registrant["hp-reg"]["total"] == 3
    assert registrant["hp-reg"]["registrant_type"] == "party_gov"
    assert registrant["bh-reg"]["statuses"]["revoked"] == 1
    assert stats["by_registrant"][0]["name"] == "hp-reg"  # largest first

    initial = _by_key(stats["by_type"])["initial"]
    assert initial["total"] == 5
    assert initial["outcomes"] == {"open": 2, "granted": 2, "not_granted": 0, "withdrawn": 1}
    assert _by_key(stats["by_type"])["change"]["total"] == 0

    month = today().strftime("%Y-%m")
    monthly = _by_key(stats["monthly"], "month")
    assert len(stats["monthly"]) == 12 and stats["monthly"][-1]["month"] == month
    assert monthly[month]["submitted"] == 5
    assert monthly[month]["register"] == 2
    assert monthly[month]["revoke"] == 1
    assert sum(row["submitted"] for row in stats["monthly"]) == 5


def test_late_units_are_listed_by_unit_with_their_datasets(world, land):
    stats = call_as(world.officer, "registration_statistics_show")
    units = _by_key(stats["late_units"], "name")
    assert set(units) == {"hp-reg"}
    unit = units["hp-reg"]
    assert unit["late_filing"] == 1 and unit["not_filed"] == 1
    assert unit["max_workdays_late"] > 0
    reasons = {row["package_id"]: row["reason"] for row in stats["late_datasets"]}
    assert reasons == {land.datasets["hp_late_filed"]["id"]: "late_filing",
                       land.datasets["hp_not_filed"]["id"]: "not_filed"}
    assert stats["totals"]["late_units"] == 1
    assert stats["totals"]["late_datasets"] == 2
    # Without an imported government catalogue the page says it could not compare.
    assert stats["catalogue"]["available"] is False
    assert "政务数据目录" in stats["catalogue"]["note"]["zh_Hans_CN"]


def test_bulk_statuses_agree_with_the_workflow(world, land):
    bulk = statistics.dataset_statuses()
    for dataset in land.datasets.values():
        assert bulk.get(dataset["id"], "unregistered") == workflow.registration_status(
            dataset["id"]), dataset["name"]


def test_district_viewers_see_only_their_district(world, land):
    for user in (world.hp_officer, world.hp_reviewer):
        stats = call_as(user, "registration_statistics_show")
        assert stats["area"] == "120101"
        assert stats["totals"]["datasets"] == 3
        assert [row["key"] for row in stats["by_district"]] == ["120101"]
        assert {row["name"] for row in stats["by_registrant"]} == {"hp-reg"}
        assert stats["totals"]["applications"] == 2
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_officer, "registration_statistics_show", district="120116")


def test_city_viewers_may_narrow_to_a_district(world, land):
    for user in (world.officer, world.city_reviewer, world.sysadmin):
        stats = call_as(user, "registration_statistics_show", district="120116")
        assert stats["area"] == "120116"
        assert stats["totals"]["datasets"] == 2
        assert stats["late_units"] == []


@pytest.mark.parametrize("who", ["outsider", "hp_clerk", "city_clerk", None])
def test_everyone_else_is_refused(world, who):
    user = world.users[who] if who else None
    with pytest.raises(tk.NotAuthorized):
        call_as(user, "registration_statistics_show")


@pytest.mark.parametrize("data, field, text", [
    ({"date_from": "2026-13-01"}, "date_from", "YYYY-MM-DD"),
    ({"date_from": "2026-05-01", "date_to": "2026-04-30"}, "date_to", "结束日期"),
    ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_from", "10"),
    ({"district": "999999"}, "district", "区划代码"),
])
def test_bad_input_is_a_bilingual_validation_error(world, data, field, text):
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.officer, "registration_statistics_show", **data)
    message = error.value.error_dict[field][0]
    assert text in message and " / " in message


def test_a_period_limits_applications_and_the_series(world, land):
    stats = call_as(world.officer, "registration_statistics_show",
                    date_from="2025-01-01", date_to="2025-03-31")
    assert [row["month"] for row in stats["monthly"]] == ["2025-01", "2025-02", "2025-03"]
    assert stats["totals"]["applications"] == 0
    assert all(row["submitted"] == 0 and row["register"] == 0 for row in stats["monthly"])
    # The registration objects are counted as they stand now, whatever the period.
    assert stats["totals"]["datasets"] == 7


def test_csv_download_in_chinese(app, world, land):
    response = app.get("/registration/statistics/download.csv?section=district",
                       headers=_auth(world.officer))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["区域", "合计", "未登记", "登记办理中"]
    by_area = {row[0]: row for row in rows[1:]}
    assert by_area["和平区"][1] == "3"
    assert by_area["滨海新区"][rows[0].index("已撤销")] == "1"

    late = app.get("/registration/statistics/download.csv?section=late",
                   headers=_auth(world.officer)).get_data().decode("utf-8-sig")
    assert land.datasets["hp_not_filed"]["title"] in late and "逾期未登记" in late

    english = app.get("/registration/statistics/download.csv?section=status&lang=en",
                      headers=_auth(world.officer)).get_data().decode("utf-8-sig")
    assert english.splitlines()[0] == "Registration status,Count"

    assert app.get("/registration/statistics/download.csv?section=nope",
                   headers=_auth(world.officer)).status_code == 400
    assert app.get("/registration/statistics/download.csv",
                   headers=_auth(world.outsider)).status_code == 403


def test_xlsx_download_has_every_section_and_charts(app, world, land):
    response = app.get("/registration/statistics/download.xlsx", headers=_auth(world.officer))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["概览", "按区域", "按登记主体", "按登记对象类别", "按登记状态",
                               "按登记类型", "按月趋势", "未按要求登记"]
    sheet = book["按区域"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header_index = next(i for i, row in enumerate(rows) if row[0] == "区域")
    by_area = {row[0]: row for row in rows[header_index + 1:]}
    assert by_area["和平区"][1] == 3
    assert len(sheet._charts) == 1
    assert len(book["按月趋势"]._charts) == 1
    summary = {row[0].value: row[1].value for row in book["概览"].iter_rows() if row[0].value}
    assert summary["登记对象"] == 7


def test_statistics_page_renders_in_chinese_with_charts(app, world, land):
    response = app.get("/registration/statistics", headers=_auth(world.officer))
    assert response.status_code == 200
    soup = BeautifulSoup(response.body, "html.parser")
    assert soup.find(id="tjr-statistics-heading").text.strip() == "登记统计"
    assert soup.find(id="tjr-stats-area").text.strip() == "天津市(全市)"
    for chart in ("status", "district", "registrant", "category", "type", "monthly"):
        assert soup.find("svg", id=f"tjr-chart-{chart}") is not None, chart
    district = soup.find("svg", id="tjr-chart-district")
    row = district.find("g", attrs={"data-row": "和平区"})
    assert row["data-total"] == "3"
    assert {rect["data-series"] for rect in row.find_all("rect", class_="tjr-bar")} == {
        "registered", "pending", "unregistered"}
    assert soup.find(id="tjr-late-units").find("tr", attrs={"data-unit": "hp-reg"})
    links = [a["href"] for a in soup.find(id="tjr-stats-downloads").find_all("a")]
    assert any("download.xlsx" in link for link in links)
    assert sum("download.csv" in link for link in links) == len(statistics.SECTIONS)


def test_statistics_page_in_english(app, world, land):
    response = app.get("/en/registration/statistics", headers=_auth(world.officer))
    soup = BeautifulSoup(response.body, "html.parser")
    assert soup.find(id="tjr-statistics-heading").text.strip() == "Registration statistics"
    chart = soup.find("svg", id="tjr-chart-district")
    assert chart.find("g", attrs={"data-row": "Heping District"})


def test_statistics_page_is_forbidden_to_others(app, world):
    assert app.get("/registration/statistics", headers=_auth(world.outsider)).status_code == 403
    assert app.get("/registration/statistics", headers=_auth(world.hp_clerk)).status_code == 403
    assert app.get("/registration/statistics").status_code == 403


def test_statistics_page_shows_a_bad_date_as_a_message(app, world, land):
    response = app.get("/registration/statistics?date_from=2026-02-30",
                       headers=_auth(world.officer))
    assert response.status_code == 200
    assert "YYYY-MM-DD" in response.body


def test_cli_writes_statistics(cli, tmp_path, world, land):
    from ckanext.tjregistry.cli import tjregistry

    target = tmp_path / "stats.csv"
    result = cli.invoke(tjregistry, ["report", "statistics", "--format", "csv",
                                     "--section", "category", "-o", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[1][:2] == ["公共数据资源", "6"]
    bad = cli.invoke(tjregistry, ["report", "statistics", "--from", "yesterday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_statistics_of_an_empty_platform(world):
    stats = helpers.call_action("registration_statistics_show",
                                {"user": world.officer["name"], "ignore_auth": False})
    assert stats["totals"]["datasets"] == 0
    assert all(row["total"] == 0 for row in stats["by_district"])
    charts = statistics.charts(stats)
    assert "<svg" in charts["by_district"] and "<svg" in charts["monthly"]


def _import_catalogue(tmp_path, rows, user):
    from ckanext.tjregistry.operations import catalogue_import

    path = tmp_path / "catalogue.csv"
    header = ["目录编码", "资源名称", "资源摘要", "提供方名称"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for code, title, provider in rows:
            writer.writerow([code, title, f"{title}的内容简介。", provider])
    return catalogue_import.run(str(path), report_path=str(tmp_path / "report.csv"),
                                user_name=user["name"])


def test_unregistered_catalogue_entries_count_against_their_units(world, tmp_path):
    from ckanext.tjregistry.operations import catalogue_import
    from ckanext.tjregistry.tests.supervision_helpers import recently, register
    from ckanext.tjregistry.tests.workflow_helpers import make_dataset

    done = make_dataset(world.hp_reg, activity_start_date=recently(),
                        gov_catalog_code="120101-JY-0002")
    register(world, world.hp_clerk, world.hp_reviewer, done)
    summary = _import_catalogue(tmp_path, [
        ("120101-JY-0001", "中小学学籍数据", "和平区教育局"),
        ("120101-JY-0002", "学区划分数据", "和平区教育局"),
        ("120116-HB-0001", "空气质量监测数据", "滨海新区生态环境局"),
        ("120000-XX-0001", "未入驻单位的数据", "天津市某尚未入驻单位"),
    ], world.sysadmin)
    assert summary.rows == 4

    stats = call_as(world.officer, "registration_statistics_show")
    assert stats["catalogue"]["available"] is True and stats["catalogue"]["note"] is None
    codes = {entry["code"] for entry in stats["catalogue"]["entries"]}
    assert codes == {"120101-JY-0001", "120116-HB-0001", "120000-XX-0001"}
    # The same entries as the catalogue's own listing of unregistered entries.
    listed = catalogue_import.entries(unregistered=True, limit=100)
    assert codes == {entry["code"] for entry in listed["results"]}
    assert stats["totals"]["catalogue_gaps"] == 3
    units = _by_key(stats["late_units"], "label")
    assert units["和平区教育局"]["catalogue_unregistered"] == 1
    assert units["滨海新区生态环境局"]["catalogue_unregistered"] == 1
    outside = units["天津市某尚未入驻单位"]
    assert outside["catalogue_unregistered"] == 1 and outside["district"] is None

    district = call_as(world.hp_officer, "registration_statistics_show")
    assert {e["code"] for e in district["catalogue"]["entries"]} == {"120101-JY-0001"}
    assert [unit["label"] for unit in district["late_units"]] == ["和平区教育局"]

    late_csv = statistics.table(stats, "late")
    assert ["天津市某尚未入驻单位", "未入驻单位的数据", "政务数据目录条目未登记", "", "", "", "",
            "120000-XX-0001"] in late_csv.rows


def test_statistics_page_lists_catalogue_gaps(app, world, tmp_path):
    _import_catalogue(tmp_path, [("120101-JY-0001", "中小学学籍数据", "和平区教育局")],
                      world.sysadmin)
    soup = BeautifulSoup(app.get("/registration/statistics", headers=_auth(world.officer)).body,
                         "html.parser")
    assert soup.find(id="tjr-catalogue-gaps").find("tr", attrs={"data-code": "120101-JY-0001"})
    assert soup.find(id="tjr-catalogue-note") is None
    assert soup.find(id="tjr-stats-totals").find("li", attrs={"data-total": "catalogue_gaps"})


def test_header_links_to_supervision_only_for_those_who_may_see_it(app, world):
    def link(user):
        page = app.get("/dataset/", headers=_auth(user))
        return BeautifulSoup(page.body, "html.parser").find(id="tjr-header-supervision")

    assert link(world.officer)["href"] == "/registration/statistics"
    assert link(world.hp_reviewer) is not None
    assert link(world.outsider) is None
    assert link(world.hp_clerk) is None
