"""The reviewer's pages in-process: the queue's paging, search, sort and filters; the
submitted information and its changes between rounds; decision buttons by weight."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from ckanext.tjregistry.registration import views
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _auth(user):
    return {"Authorization": user["token"]}


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def _rows(soup: BeautifulSoup) -> list[str]:
    return [row["data-application"] for row in soup.select("tr[data-application]")]


def test_queue_pages_keep_search_filters_and_sort(app, world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    apps = [submit(world.city_clerk, make_dataset(world.city_reg, title=f"公交数据{n}"))
            for n in range(3)]
    submit(world.city_clerk, make_dataset(world.city_reg, title="地铁客流数据"))
    url = ("/registration/?scope=queue&q=公交&state=submitted&application_type=initial"
           "&sort=submitted&order=desc")
    first = _soup(app.get(url, headers=_auth(world.city_reviewer)))
    assert _rows(first) == [apps[2]["id"], apps[1]["id"]]
    assert "3" in first.find(id="tjr-count").text
    # The controls show what was asked.
    form = first.find(id="tjr-queue-filter")
    assert form.find("input", {"name": "q"})["value"] == "公交"
    for name, value in (("state", "submitted"), ("application_type", "initial"),
                        ("sort", "submitted"), ("order", "desc")):
        assert form.find("select", {"name": name}).find("option", selected=True)["value"] == value
    overdue = form.find("select", {"name": "overdue"}).find_all("option")
    assert [o["value"] for o in overdue if o.has_attr("selected")] == []  # the first: any
    # The link to page 2 keeps every parameter.
    link = first.select_one(".tjr-pager a[href*='page=2']")
    params = parse_qs(urlsplit(link["href"]).query)
    assert params == {"scope": ["queue"], "q": ["公交"], "state": ["submitted"],
                      "application_type": ["initial"], "sort": ["submitted"],
                      "order": ["desc"], "page": ["2"]}
    second = _soup(app.get(link["href"], headers=_auth(world.city_reviewer)))
    assert _rows(second) == [apps[0]["id"]]
    # Every row says when it was submitted.
    header = [th.text.strip() for th in first.select("#tjr-applications thead th")]
    assert "提交时间" in header
    assert all(cell.text.strip() for cell in first.select("td.tjr-submitted"))


def test_bad_queue_parameters_are_explained_not_500(app, world):
    submit(world.city_clerk, make_dataset(world.city_reg))
    for query in ("sort=title", "order=up", "state=nonsense", "application_type=x",
                  "q=" + "长" * 201, "page=abc", "page=-3", "scope=everything"):
        response = app.get(f"/registration/?scope=queue&{query}",
                           headers=_auth(world.city_reviewer))
        assert response.status_code == 200, query
    flashed = _soup(app.get("/registration/?scope=queue&sort=title",
                            headers=_auth(world.city_reviewer)))
    assert "无效的排序" in flashed.text
    # An unreadable page number is the first page.
    assert len(_rows(_soup(app.get("/registration/?scope=queue&page=abc",
                                   headers=_auth(world.city_reviewer))))) == 1


def test_queue_controls_in_english(app, world):
    page = _soup(app.get("/en/registration/?scope=queue", headers=_auth(world.city_reviewer)))
    form = page.find(id="tjr-queue-filter")
    assert form.find("label", {"for": "field-q"}).text == "Search"
    sorts = [o.text for o in form.find("select", {"name": "sort"}).find_all("option")]
    assert "Submitted on" in sorts and "Deadline" in sorts


def test_application_page_shows_the_submission_and_the_changes_of_a_resubmission(app, world):
    ds = make_dataset(world.hp_reg, title="和平区学校名录", notes="第一版简介")
    application = submit(world.hp_clerk, ds)
    url = f"/registration/application/{application['id']}"
    page = _soup(app.get(url, headers=_auth(world.hp_reviewer)))
    section = page.find(id="tjr-submission")
    assert "第 1 轮" in section.find("h2").text or "1" in section.find("h2").text
    submitted = {row["data-field"]: row for row in section.select("#tjr-submitted tr")}
    assert "和平区学校名录" in submitted["title"].text
    assert submitted["title"].th.text.strip() != "title"  # labelled, not the raw key
    assert page.find(id="tjr-round-changes") is None
    assert section.select_one(".tjr-fingerprint-ok") is not None

    app.post(f"{url}/request_supplement", headers=_auth(world.hp_reviewer),
             data={"items": "补充简介"})
    call_as(world.hp_clerk, "package_patch", id=ds["id"], notes="补充后的简介")
    app.post(f"{url}/resubmit", headers=_auth(world.hp_clerk),
             data={"pledge": "true", "internal_review": "true"})
    page = _soup(app.get(url, headers=_auth(world.hp_reviewer)))
    changes = page.find(id="tjr-round-changes")
    assert changes is not None
    rows = {row["data-field"]: row for row in changes.select("tr[data-field]")}
    assert set(rows) == {"notes"}
    assert rows["notes"].select_one(".tjr-diff-before del").text == "第一版简介"
    assert rows["notes"].select_one(".tjr-diff-after ins").text == "补充后的简介"
    english = _soup(app.get(f"/en{url}", headers=_auth(world.hp_reviewer)))
    assert "Changed since round 1" in english.find(id="tjr-round-changes").text


def test_decision_buttons_by_weight_with_confirmation_for_final_ones(app, world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    url = f"/registration/application/{application['id']}"
    page = _soup(app.get(url, headers=_auth(world.hp_reviewer)))

    def button(form_id: str):
        return page.find(id=form_id).find("button", {"type": "submit"})

    assert "btn-primary" in button("tjr-action-accept")["class"]
    assert "btn-secondary" in button("tjr-action-request_supplement")["class"]
    refuse = page.find(id="tjr-action-refuse")
    assert "btn-outline-danger" in button("tjr-action-refuse")["class"]
    assert refuse.has_attr("data-tjr-confirm")
    assert refuse.find("input", {"name": "confirmed", "type": "checkbox"}).has_attr("required")
    ground = refuse.find("select", {"name": "ground"})
    assert ground.has_attr("required")
    options = ground.find_all("option")
    assert options[0]["value"] == "" and options[0].text == "请选择"
    assert [o["value"] for o in options if o.has_attr("selected")] == [""]
    # Accepting needs no confirmation.
    assert not page.find(id="tjr-action-accept").has_attr("data-tjr-confirm")
    assert page.find(id="tjr-action-accept").find("input", {"name": "confirmed"}) is None

    app.post(f"{url}/accept", headers=_auth(world.hp_reviewer))
    # Four eyes: a colleague decides on what hp_reviewer accepted.
    page = _soup(app.get(url, headers=_auth(world.hp_reviewer_2)))
    assert "btn-primary" in button("tjr-action-approve")["class"]
    assert not page.find(id="tjr-action-approve").has_attr("data-tjr-confirm")
    # Not opened data: no public notice, the certificate follows.
    assert "无需公示" in page.find(id="tjr-approve-outcome").text
    reject = page.find(id="tjr-action-reject")
    assert reject.has_attr("data-tjr-confirm") and "btn-outline-danger" in button(
        "tjr-action-reject")["class"]


def test_approval_into_publicity_announces_the_ten_working_days(app, world):
    application = submit(world.hp_clerk, make_dataset(
        world.hp_reg, open_type="unconditional", access_method="open",
        open_platform_url="https://data.tj.gov.cn/x"))
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    url = f"/registration/application/{application['id']}"
    deciding = _auth(world.hp_reviewer_2)
    outcome = _soup(app.get(url, headers=deciding)).find(id="tjr-approve-outcome")
    assert "10个工作日" in outcome.text and "公示" in outcome.text
    english = _soup(app.get(f"/en{url}", headers=deciding))
    assert "public notice of 10 working days" in english.find(id="tjr-approve-outcome").text


def test_revoke_form_asks_for_a_ground_and_a_confirmation(app, world):
    ds = make_dataset(world.hp_reg)
    application = submit(world.hp_clerk, ds)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])
    from ckanext.tjregistry.registration import workflow
    workflow.on_issued(application["id"], {"test": True})
    page = _soup(app.get(f"/registration/dataset/{ds['name']}/history",
                         headers=_auth(world.hp_reviewer)))
    form = page.find(id="tjr-revoke")
    assert form.has_attr("data-tjr-confirm")
    assert "btn-outline-danger" in form.find("button", {"type": "submit"})["class"]
    options = form.find("select", {"name": "ground"}).find_all("option")
    assert options[0]["value"] == "" and [o["value"] for o in options if
                                         o.has_attr("selected")] == [""]
    assert form.find("input", {"name": "confirmed"}).has_attr("required")


def test_confirmation_script_is_served_with_the_pages(app, world):
    page = app.get("/registration/?scope=queue", headers=_auth(world.city_reviewer))
    scripts = [s["src"] for s in _soup(page).find_all("script", src=True)
               if "tjregistry" in s["src"]]
    assert scripts
    body = "".join(app.get(src).body for src in scripts)
    assert "data-tjr-confirm" in body and "showModal" in body
