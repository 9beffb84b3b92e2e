"""Anti-framing and other security headers on every response of a real server, pages,
error pages and the API alike: the reviewer's decision forms cannot be framed by
another site (clickjacking)."""
from __future__ import annotations

import pytest
import requests

from ckanext.tjregistry.safeguards.input_guard import SECURITY_HEADERS
from ckanext.tjregistry.tests.workflow_helpers import build_world, make_dataset, submit


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_every_response_forbids_framing_by_other_sites(ckan_server):
    world = build_world()
    app = submit(world.hp_clerk, make_dataset(world.hp_reg))
    reviewer = {"Authorization": world.hp_reviewer["token"]}
    for path, headers in [
        ("/", {}),
        ("/dataset/", {}),
        ("/registration/publicity", {}),
        (f"/registration/application/{app['id']}", reviewer),  # the decision forms
        (f"/registration/application/{app['id']}", {}),  # refused: an error page
        ("/no-such-page", {}),
        ("/api/3/action/status_show", {}),
        ("/api/3/action/registration_show?id=nothing", {}),
    ]:
        response = requests.get(ckan_server.url(path), headers=headers, timeout=60,
                                allow_redirects=False)
        assert response.status_code < 500, (path, response.status_code)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name, response.headers)
    decision_page = requests.get(ckan_server.url(f"/registration/application/{app['id']}"),
                                 headers=reviewer, timeout=60)
    assert decision_page.status_code == 200 and "<form" in decision_page.text
