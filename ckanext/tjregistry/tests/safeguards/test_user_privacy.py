"""Users are not public: anonymous callers get 403 from user_list, user_show and the /user
pages; logged-in users keep what CKAN gives them (``ckan.auth.public_user_details``, set
false by the plugin). Over real HTTP against a running server."""
from __future__ import annotations

import pytest
import requests

from ckanext.tjregistry.tests.live_server import api_post, decoded
from ckanext.tjregistry.tests.publicity_helpers import in_publicity
from ckanext.tjregistry.tests.workflow_helpers import build_world

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
TIMEOUT = 60


def test_user_details_are_refused_to_anonymous_callers_and_given_to_users(ckan_server):
    world = build_world()
    dataset, _app = in_publicity(world)
    # Anonymous: the API and the pages answer 403.
    for action, data in (("user_list", {}), ("user_show", {"id": "hp_clerk"}),
                         ("user_show", {"id": world.hp_clerk["id"]}),
                         ("user_autocomplete", {"q": "hp"}),
                         ("user_activity_list", {"id": "hp_clerk"})):
        answer = api_post(ckan_server, action, **data)
        assert answer.status_code == 403, (action, answer.status_code)
        assert "hp_clerk@example.org" not in answer.text
        got = requests.get(ckan_server.url(f"/api/3/action/{action}"), params=data,
                           timeout=TIMEOUT)
        assert got.status_code == 403, (action, got.status_code)
    for path in ("/user/", "/user/hp_clerk", "/en/user/hp_clerk", "/user/activity/hp_clerk",
                 "/api/2/util/user/autocomplete?q=hp"):
        page = requests.get(ckan_server.url(path), timeout=TIMEOUT, allow_redirects=False)
        assert page.status_code == 403, (path, page.status_code)
    # Logged in (an API token): CKAN's answers as before.
    token = world.outsider["token"]
    listed = api_post(ckan_server, "user_list", token=token)
    assert listed.status_code == 200
    assert "hp_clerk" in {user["name"] for user in listed.json()["result"]}
    shown = api_post(ckan_server, "user_show", token=token, id="hp_clerk")
    assert shown.status_code == 200 and shown.json()["result"]["name"] == "hp_clerk"
    page = requests.get(ckan_server.url("/user/hp_clerk"), timeout=TIMEOUT,
                        headers={"Authorization": token})
    assert page.status_code == 200
    completed = requests.get(ckan_server.url("/api/2/util/user/autocomplete"),
                             params={"q": "hp_"}, timeout=TIMEOUT,
                             headers={"Authorization": token})
    assert completed.status_code == 200
    assert "hp_clerk" in {user["name"] for user in completed.json()}
    # The public pages that name no user stay public: the organization, the record in
    # publicity and its activity.
    for path in (f"/organization/{world.hp_reg['name']}", f"/dataset/{dataset['name']}",
                 f"/dataset/activity/{dataset['name']}"):
        page = requests.get(ckan_server.url(path), timeout=TIMEOUT)
        assert page.status_code == 200, (path, page.status_code)
    # The history of the record names who acted, for those who may read it.
    history = requests.get(ckan_server.url(f"/registration/dataset/{dataset['name']}/history"),
                           timeout=TIMEOUT, headers={"Authorization": world.hp_reviewer["token"]})
    assert history.status_code == 200 and "hp_clerk" in history.text
    # organization_show with its members is not for anonymous callers; without them it is.
    with_users = api_post(ckan_server, "organization_show", id=world.hp_reg["name"],
                          include_users=True)
    assert with_users.status_code == 403
    plain = api_post(ckan_server, "organization_show", id=world.hp_reg["name"])
    assert plain.status_code == 200 and "hp_clerk" not in decoded(plain)
