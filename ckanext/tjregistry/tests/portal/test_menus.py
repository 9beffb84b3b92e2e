"""The header and the registration menu follow the user's role; CKAN's groups are hidden
unless configured."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckanext.tjregistry.tests.workflow_helpers import make_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

PUBLIC_SERVICES = ["/dataset/", "/registration/publicity", "/registration/query",
                   "/registration/verify"]
WORK_LINKS = ("tjr-header-registration", "tjr-header-queue", "tjr-header-accounts",
              "tjr-header-organizations", "tjr-header-supervision")


def _soup(app, path: str, user=None) -> BeautifulSoup:
    headers = {"Authorization": user["token"]} if user else {}
    response = app.get(path, headers=headers)
    assert response.status_code == 200
    return BeautifulSoup(response.body, "html.parser")


def _main_nav(soup: BeautifulSoup) -> list[str]:
    return [a["href"] for a in soup.select("#main-navigation-toggle ul.navbar-nav a")]


def _work_links(soup: BeautifulSoup) -> dict[str, tuple[str, str]]:
    """{id: (href, text)} of the account menu's work links."""
    found = {}
    for link_id in WORK_LINKS:
        link = soup.find(id=link_id)
        if link is not None:
            found[link_id] = (link["href"], link.get_text(" ", strip=True))
    return found


def _workflow_menu(soup: BeautifulSoup) -> list[str]:
    return [a["href"] for a in soup.find(id="tjr-workflow-menu").find_all("a")]


def test_anonymous_visitors_see_the_public_services_only(app):
    soup = _soup(app, "/")
    assert _main_nav(soup) == PUBLIC_SERVICES
    assert _work_links(soup) == {}
    assert soup.select_one(".account-masthead .not-authed") is not None


def test_a_registrant_clerk_sees_its_registrations(app, world):
    soup = _soup(app, "/", world.hp_clerk)
    assert _main_nav(soup) == PUBLIC_SERVICES
    assert _work_links(soup) == {"tjr-header-registration": ("/registration/mine", "我的登记")}
    menu = _workflow_menu(_soup(app, "/registration/", world.hp_clerk))
    assert menu == ["/registration/mine", "/registration/?scope=mine",
                    "/registration/notifications"]


def test_a_district_reviewer_sees_the_queue(app, world):
    soup = _soup(app, "/", world.hp_reviewer)
    assert _main_nav(soup) == PUBLIC_SERVICES
    # District institutions read their own statistics (Art. 27).
    assert _work_links(soup) == {
        "tjr-header-registration": ("/registration/?scope=queue", "待审查"),
        "tjr-header-supervision": ("/registration/statistics", "监督管理"),
    }
    menu = _workflow_menu(_soup(app, "/registration/?scope=queue", world.hp_reviewer))
    assert menu == ["/registration/?scope=queue", "/registration/notifications"]


def test_the_city_institution_manages_accounts_and_organizations(app, world):
    soup = _soup(app, "/", world.city_reviewer)
    assert _work_links(soup) == {
        "tjr-header-registration": ("/registration/?scope=queue", "待审查"),
        "tjr-header-accounts": ("/registration/accounts", "登记主体账号"),
        "tjr-header-organizations": ("/organization/", "机构管理"),
        "tjr-header-supervision": ("/registration/statistics", "监督管理"),
    }
    menu = _workflow_menu(_soup(app, "/registration/", world.city_reviewer))
    assert menu == ["/registration/?scope=queue", "/registration/?scope=all",
                    "/registration/notifications", "/registration/accounts"]


def test_a_data_authority_officer_sees_supervision(app, world):
    soup = _soup(app, "/", world.officer)
    assert _main_nav(soup) == PUBLIC_SERVICES
    assert _work_links(soup) == {
        "tjr-header-registration": ("/registration/?scope=all", "全部申请"),
        "tjr-header-supervision": ("/registration/statistics", "监督管理"),
    }
    menu = _workflow_menu(_soup(app, "/registration/?scope=all", world.officer))
    assert menu == ["/registration/?scope=all", "/registration/notifications"]


def test_a_sysadmin_sees_every_work_link(app, world):
    soup = _soup(app, "/", world.sysadmin)
    assert _work_links(soup) == {
        "tjr-header-registration": ("/registration/?scope=all", "全部申请"),
        "tjr-header-accounts": ("/registration/accounts", "登记主体账号"),
        "tjr-header-organizations": ("/organization/", "机构管理"),
        "tjr-header-supervision": ("/registration/statistics", "监督管理"),
    }
    assert soup.select_one(".account-masthead a[href='/ckan-admin/']") is not None


def test_a_user_without_a_role_is_offered_to_register_an_organization(app, world):
    soup = _soup(app, "/", world.outsider)
    assert _work_links(soup) == {
        "tjr-header-registration": ("/registration/register", "注册机构")}
    menu = _workflow_menu(_soup(app, "/registration/", world.outsider))
    assert menu == ["/registration/notifications", "/registration/register"]


def test_menus_in_english(app, world):
    soup = _soup(app, "/en/", world.city_reviewer)
    assert [a.get_text(strip=True) for a in soup.select(
        "#main-navigation-toggle ul.navbar-nav a")] == [
        "Catalogue", "Registration publicity", "Registration query", "Verify certificate"]
    assert {key: text for key, (_, text) in _work_links(soup).items()} == {
        "tjr-header-registration": "Review queue",
        "tjr-header-accounts": "Registrant accounts",
        "tjr-header-organizations": "Organization management",
        "tjr-header-supervision": "Supervision",
    }


def _group_links(app, world, dataset) -> dict[str, bool]:
    clerk = world.hp_clerk
    dataset_page = _soup(app, f"/data-resource/{dataset['name']}", clerk)
    user_page = _soup(app, f"/user/{clerk['name']}", clerk)
    dashboard = _soup(app, "/dashboard/datasets", clerk)
    return {
        "main nav": "/group/" in _main_nav(dataset_page),
        "dataset tab": dataset_page.find(
            "a", href=f"/data-resource/groups/{dataset['name']}") is not None,
        "user tab": user_page.find("a", href=f"/user/{clerk['name']}/groups") is not None,
        "dashboard tab": dashboard.find("a", href="/dashboard/groups") is not None,
    }


def test_groups_are_hidden_by_default(app, world):
    dataset = make_dataset(world.hp_reg)
    assert _group_links(app, world, dataset) == {
        "main nav": False, "dataset tab": False, "user tab": False, "dashboard tab": False}
    # The other tabs, CKAN's and the activity plugin's, stay.
    page = _soup(app, f"/data-resource/{dataset['name']}", world.hp_clerk)
    assert [a["href"] for a in page.select(".page-header .nav-tabs a")] == [
        f"/data-resource/{dataset['name']}", f"/dataset/activity/{dataset['name']}"]
    page = _soup(app, f"/user/{world.hp_clerk['name']}", world.hp_clerk)
    assert [a["href"] for a in page.select(".page-header .nav-tabs a")] == [
        "/user/hp_clerk", "/user/hp_clerk/organizations", "/user/hp_clerk/api-tokens",
        "/user/activity/hp_clerk"]


@pytest.mark.ckan_config("tjregistry.ui.groups", "true")
def test_groups_are_shown_when_configured(app, world):
    dataset = make_dataset(world.hp_reg)
    assert _group_links(app, world, dataset) == {
        "main nav": True, "dataset tab": True, "user tab": True, "dashboard tab": True}
