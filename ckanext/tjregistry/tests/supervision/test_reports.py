"""Institution service reports (Art. 27): working-day timeliness, overdue, objections,
revocations; PDF, XLSX, the command and the page."""
from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from openpyxl import load_workbook
from pypdf import PdfReader

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.supervision_helpers import recently
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def at(day: str) -> str:
    """10:00 in Tianjin on ``day`` (02:00 UTC)."""
    return f"{day} 02:00:00"


@pytest.fixture
def march(world):
    """和平区's March 2026 (no public holidays): five applications with known timings.

    acceptance: #1 2 days, #2 5 (late), #3 supplement after 1 and refusal 5 days after
    resubmission (late), #5 0; review: #1 2 days, #2 16, #5 21 (late); #4 never accepted.
    #1 is registered, revoked on 03-20 and the revocation reversed by the city on 03-25.
    """
    # The figures below assume March 2026 is an ordinary month of the calendar.
    assert workdays.workdays_between(dt.date(2026, 3, 2), dt.date(2026, 3, 31)) == 21
    hp, rev, city = world.hp_clerk, world.hp_reviewer, world.city_reviewer
    data = {key: make_dataset(world.hp_reg, activity_start_date=recently())
            for key in ("one", "two", "three", "four", "five")}
    apps = {}
    with freeze_time(at("2026-03-02")) as clock:
        for key, dataset in data.items():
            apps[key] = submit(hp, dataset)["id"]
        call_as(rev, "registration_accept", id=apps["five"])
        clock.move_to(at("2026-03-03"))
        call_as(rev, "registration_request_supplement", id=apps["three"], items=["补充数据字典"])
        clock.move_to(at("2026-03-04"))
        call_as(rev, "registration_accept", id=apps["one"])
        clock.move_to(at("2026-03-05"))
        call_as(hp, "registration_resubmit", id=apps["three"], pledge=True, internal_review=True)
        clock.move_to(at("2026-03-06"))
        call_as(colleague(rev), "registration_approve", id=apps["one"])
        workflow.on_issued(apps["one"])
        clock.move_to(at("2026-03-09"))
        call_as(rev, "registration_accept", id=apps["two"])
        clock.move_to(at("2026-03-12"))
        call_as(rev, "registration_refuse", id=apps["three"], ground="duplicate",
                reasons="重复登记")
        clock.move_to(at("2026-03-20"))
        call_as(rev, "registration_revoke", package_id=data["one"]["id"],
                ground="false_materials", reasons="材料不实")
        clock.move_to(at("2026-03-25"))
        call_as(city, "registration_revocation_review", package_id=data["one"]["id"],
                decision="reverse", reasons="撤销依据不足")
        clock.move_to(at("2026-03-31"))
        call_as(rev, "registration_reject", id=apps["two"], reasons="数据来源说明不完整")
        call_as(rev, "registration_refuse", id=apps["five"], ground="ownership_dispute",
                reasons="存在权属争议")
    return {"datasets": data, "apps": apps}


def _auth(user):
    return {"Authorization": user["token"]}


def pdf_text(data: bytes) -> str:
    """The text of every page, without whitespace."""
    document = pypdfium2.PdfDocument(data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return "".join(text.split())


def test_timeliness_against_the_limits(world, march):
    report = call_as(world.officer, "institution_service_report", institution="hp-inst", **MARCH)
    assert report["institution"]["title"] == "和平区登记机构"
    assert report["limits"] == {"acceptance": 3, "review": 20}
    acceptance, review = report["timeliness"]
    assert acceptance["stage"] == "acceptance"
    assert (acceptance["handled"], acceptance["on_time"], acceptance["late"]) == (5, 3, 2)
    assert (acceptance["median"], acceptance["max"]) == (2, 5)
    assert acceptance["average"] == pytest.approx((2 + 5 + 1 + 5 + 0) / 5, abs=0.05)
    assert acceptance["on_time_rate"] == pytest.approx(0.6)
    assert (review["handled"], review["on_time"], review["late"]) == (3, 2, 1)
    assert review["max"] == 21 and review["median"] == 16

    cases = {(case["application_id"], case["action"]): case for case in report["cases"]}
    apps = march["apps"]
    assert cases[(apps["two"], "accept")]["workdays"] == 5
    assert cases[(apps["two"], "accept")]["on_time"] is False
    assert cases[(apps["three"], "refuse")]["started"] == "2026-03-05"  # from the resubmission
    assert cases[(apps["three"], "refuse")]["stage"] == "acceptance"
    assert cases[(apps["five"], "refuse")]["stage"] == "review"
    assert cases[(apps["five"], "refuse")]["workdays"] == 21
    assert report["late_handled"] == 3


def test_workload_overdue_and_revocations(world, march):
    report = call_as(world.officer, "institution_service_report", institution="hp-inst", **MARCH)
    counts = report["counts"]
    assert counts["submit"] == 5 and counts["resubmit"] == 1
    assert counts["accept"] == 3 and counts["request_supplement"] == 1
    assert counts["approve_to_issuance"] == 1 and counts["issue"] == 1
    assert counts["reject"] == 1 and counts["refuse"] == 2
    assert counts["revoke"] == 1
    # #4 was never accepted: its 3-day acceptance limit passed long ago.
    assert report["open_overdue"]["count"] == 1
    assert report["open_overdue"]["items"][0]["application_id"] == march["apps"]["four"]
    assert report["revocations"] == {
        "count": 1, "reversed": 1,
        "items": [{"package_id": march["datasets"]["one"]["id"], "date": "2026-03-20",
                   "ground": "false_materials", "reasons": "材料不实", "reversed": True}]}


def test_objections_are_counted_for_the_institution_handling_them(world, tmp_path,
                                                                   monkeypatch, ckan_config):
    from ckanext.tjregistry.tests.publicity_helpers import RESIDENT_ID_2, filing, in_publicity

    monkeypatch.setitem(ckan_config, "tjregistry.objection.storage_dir", str(tmp_path))
    _dataset, application = in_publicity(world)
    first = helpers.call_action("objection_create", {"user": ""}, **filing(application["id"]))
    second = helpers.call_action("objection_create", {"user": ""}, **filing(
        application["id"], objector_name="李四", id_number=RESIDENT_ID_2))
    call_as(world.hp_reviewer, "objection_decide", id=first["id"], decision="not_upheld",
            finding="经核查,异议所述权益与本数据无关。")
    call_as(world.hp_reviewer, "objection_decide", id=second["id"], decision="upheld",
            finding="经核查,数据权属存在争议,异议成立。")
    _other, elsewhere = in_publicity(world, "bh_reg")
    helpers.call_action("objection_create", {"user": ""}, **filing(elsewhere["id"]))

    report = call_as(world.officer, "institution_service_report", institution="hp-inst")
    assert report["objections"] == {"available": True, "total": 2, "upheld": 1,
                                    "dismissed": 1, "pending": 0, "closed": 0, "note": None}
    assert report["counts"]["terminate"] == 1
    bh = call_as(world.officer, "institution_service_report", institution="bh-inst")
    assert bh["objections"]["total"] == 1 and bh["objections"]["pending"] == 1


def test_other_periods_and_institutions_are_separate(world, march):
    february = call_as(world.officer, "institution_service_report", institution="hp-inst",
                       date_from="2026-02-01", date_to="2026-02-28")
    assert february["counts"]["submit"] == 0 and february["cases"] == []
    assert february["timeliness"][0]["average"] is None
    city = call_as(world.officer, "institution_service_report", institution="city-inst", **MARCH)
    assert city["counts"]["submit"] == 0 and city["timeliness"][1]["handled"] == 0


def test_who_may_read_which_report(world, march):
    call_as(world.hp_reviewer, "institution_service_report", institution="hp-inst", **MARCH)
    call_as(world.hp_officer, "institution_service_report", institution="hp-inst", **MARCH)
    call_as(world.sysadmin, "institution_service_report", institution="bh-inst", **MARCH)
    for user, institution in ((world.hp_reviewer, "bh-inst"), (world.hp_officer, "city-inst"),
                              (world.outsider, "hp-inst"), (world.hp_clerk, "hp-inst"),
                              (None, "hp-inst")):
        with pytest.raises(tk.NotAuthorized):
            call_as(user, "institution_service_report", institution=institution, **MARCH)
    with pytest.raises(tk.ObjectNotFound):
        call_as(world.officer, "institution_service_report", institution="hp-reg")
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.officer, "institution_service_report")
    assert "institution" in error.value.error_dict
    with pytest.raises(tk.ValidationError) as error:
        call_as(world.officer, "institution_service_report", institution="hp-inst",
                date_from="31/03/2026")
    assert "YYYY-MM-DD" in error.value.error_dict["date_from"][0]


def test_pdf_is_chinese_with_embedded_cjk_fonts(app, world, march):
    response = app.get("/registration/reports/service/download.pdf",
                       query_string={"institution": "hp-inst", **MARCH},
                       headers=_auth(world.officer))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "service-report-hp-inst-2026-03-01-2026-03-31.pdf" in (
        response.headers["Content-Disposition"])
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = pdf_text(response.get_data())
    for expected in ("和平区登记机构登记服务报告", "报告期间 2026-03-01 至 2026-03-31",
                     "办理时效", "受理", "审查", "本期撤销登记 1 件,其中被市级登记机构纠正 1 件",
                     "逾期未办结申请 1 件", "异议"):
        assert "".join(expected.split()) in text, expected
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("NotoSerifCJK" in font.replace(" ", "") for font in fonts), fonts
    assert reader.metadata.title == "和平区登记机构登记服务报告"


def test_xlsx_report(app, world, march):
    response = app.get("/registration/reports/service/download.xlsx",
                       query_string={"institution": "hp-inst", **MARCH},
                       headers=_auth(world.hp_reviewer))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["业务量", "办理时效(工作日)", "异议", "办理明细"]
    rows = [[cell.value for cell in row] for row in book["办理时效(工作日)"].iter_rows()]
    acceptance = next(row for row in rows if row[0] == "受理")
    assert acceptance[1:6] == [3, 5, 3, 2, "60%"]
    cases = [row for row in book["办理明细"].iter_rows(values_only=True)]
    assert sum(1 for row in cases if row[8] == "否") == 3
    assert app.get("/registration/reports/service/download.xlsx",
                   query_string={"institution": "bh-inst"},
                   headers=_auth(world.hp_reviewer)).status_code == 403
    assert app.get("/registration/reports/service/download.doc",
                   query_string={"institution": "hp-inst"},
                   headers=_auth(world.officer)).status_code == 404


def test_report_page(app, world, march):
    response = app.get("/registration/reports/service",
                       query_string={"institution": "hp-inst", **MARCH},
                       headers=_auth(world.officer))
    assert response.status_code == 200
    soup = BeautifulSoup(response.body, "html.parser")
    assert soup.find(id="tjr-report-heading").text.strip() == "登记服务报告"
    assert soup.find(id="tjr-report-institution").text.strip() == "和平区登记机构"
    chart = soup.find("svg", id="tjr-chart-timeliness")
    late = chart.find_all("rect", attrs={"data-series": "late"})
    assert sorted(rect["data-value"] for rect in late) == ["1", "2"]
    assert len(soup.select("#tjr-report-case-table tr.tjr-late-case")) == 3
    # Objections are counted from their table (none filed in March), with no note.
    objection_rows = soup.select("#tjr-report-objections tr")
    assert objection_rows and all(row.find("td").text.strip() == "0" for row in objection_rows)
    assert soup.find(id="tjr-objections-note") is None
    options = [o["value"] for o in soup.find(id="field-institution").find_all("option")]
    assert options == ["bh-inst", "city-inst", "hp-inst"]

    own = BeautifulSoup(app.get("/registration/reports/service",
                                headers=_auth(world.hp_reviewer)).body, "html.parser")
    assert [o["value"] for o in own.find(id="field-institution").find_all("option")] == [
        "hp-inst"]
    assert app.get("/registration/reports/service", headers=_auth(world.outsider)).status_code \
        == 403
    assert app.get("/registration/reports/service?institution=bh-inst",
                   headers=_auth(world.hp_reviewer)).status_code == 403


@pytest.mark.parametrize("url", ["/registration/reports/service",
                                 "/registration/reports/service?institution=hp-inst",
                                 "/registration/reports/service/download.pdf?institution=hp-inst",
                                 "/registration/reports/service/download.xlsx"])
def test_anonymous_visitors_are_refused_not_failed(app, url):
    response = app.get(url)
    assert response.status_code == 403
    assert "Traceback" not in response.body


def test_command_writes_pdf_and_xlsx(cli, tmp_path, world, march):
    from ckanext.tjregistry.cli import tjregistry

    pdf_path = tmp_path / "report.pdf"
    result = cli.invoke(tjregistry, ["report", "service", "--institution", "hp-inst",
                                     "--from", "2026-03-01", "--to", "2026-03-31",
                                     "--format", "pdf", "--output", str(pdf_path)])
    assert result.exit_code == 0, result.output
    assert "和平区登记机构登记服务报告" in pdf_text(pdf_path.read_bytes())

    xlsx_path = tmp_path / "report.xlsx"
    result = cli.invoke(tjregistry, ["report", "service", "--institution", "hp-inst",
                                     "--from", "2026-03-01", "--to", "2026-03-31",
                                     "--format", "xlsx", "-o", str(xlsx_path)])
    assert result.exit_code == 0, result.output
    overview = {row[0]: row[1] for row in load_workbook(xlsx_path)["业务量"].iter_rows(
        values_only=True) if row and row[0]}
    assert overview["收到新申请"] == 5

    missing = cli.invoke(tjregistry, ["report", "service", "--institution", "nowhere"])
    assert missing.exit_code != 0 and "not found" in missing.output
    bad = cli.invoke(tjregistry, ["report", "service", "--institution", "hp-inst",
                                  "--from", "2026-04-01", "--to", "2026-03-01"])
    assert bad.exit_code != 0 and "结束日期" in bad.output
