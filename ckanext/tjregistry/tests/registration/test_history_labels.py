"""The history names the role of each event in the page's language."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def _roles(page_body: str) -> list[str]:
    table = BeautifulSoup(page_body, "html.parser").find(id="tjr-history")
    return [row.find_all("td")[4].get_text(" ", strip=True) for row in table.tbody.find_all("tr")]


def test_roles_in_chinese_and_english(app, world):
    application = submit(world.hp_clerk, make_dataset(world.hp_reg))
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    headers = {"Authorization": world.hp_reviewer["token"]}
    url = f"/registration/application/{application['id']}"
    chinese = _roles(app.get(url, headers=headers).body)
    assert any("(登记主体)" in cell for cell in chinese), chinese
    assert any("(登记机构)" in cell for cell in chinese), chinese
    assert not any("registrant" in cell or "reviewer" in cell.split("(")[-1] for cell in chinese)
    english = _roles(app.get(f"/en{url}", headers=headers).body)
    assert any("(registrant)" in cell for cell in english), english
    assert any("(registration institution)" in cell for cell in english), english
