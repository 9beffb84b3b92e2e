"""The platform's own forms are under CKAN's CSRF protection, over real HTTP.

CKAN exempts extensions' blueprints unless ``ckan.csrf_protection.ignore_extensions`` is
false; the plugin sets it false whatever the configuration says (the live server's
configuration does not set it), so a page elsewhere cannot make a logged-in clerk apply,
or a reviewer decide, by posting a form.
"""
from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.tests.browser_helpers import PASSWORD, with_password
from ckanext.tjregistry.tests.live_server import LiveServer
from ckanext.tjregistry.tests.workflow_helpers import build_world, make_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
TIMEOUT = 60


def _logged_in(server: LiveServer, user_name: str) -> requests.Session:
    session = requests.Session()
    login = BeautifulSoup(session.get(server.url("/user/login"), timeout=TIMEOUT).text,
                          "html.parser")
    token = login.select_one("input[name=_csrf_token]")["value"]
    session.post(server.url("/user/login"), timeout=TIMEOUT,
                 data={"_csrf_token": token, "login": user_name, "password": PASSWORD})
    return session


def test_an_application_posted_without_the_pages_token_is_refused(ckan_server):
    world = build_world()
    with_password(world, "hp_clerk")
    dataset = make_dataset(world.hp_reg)
    session = _logged_in(ckan_server, "hp_clerk")
    target = ckan_server.url(f"/registration/submit/{dataset['name']}")
    forged = {"pledge": "on", "internal_review": "on", "application_type": "initial"}
    for token in (None, "forged"):
        data = dict(forged, **({"_csrf_token": token} if token else {}))
        refused = session.post(target, data=data, timeout=TIMEOUT, allow_redirects=False)
        assert refused.status_code == 400, refused.status_code
    model.Session.remove()
    assert model.Session.query(Application).count() == 0
    # The page's own form, with its token, goes through.
    page = BeautifulSoup(session.get(target, timeout=TIMEOUT).text, "html.parser")
    token = page.select_one("#tjr-submit-form input[name=_csrf_token]")["value"]
    accepted = session.post(target, data=dict(forged, _csrf_token=token), timeout=TIMEOUT,
                            allow_redirects=False)
    assert accepted.status_code == 302, accepted.status_code
    model.Session.remove()
    assert model.Session.query(Application).count() == 1
