"""Password guessing on CKAN's login form is throttled per account and per address
(safeguards/login_guard.py), over real HTTP against a running server with CSRF on.

The server counts three failures per account and six per address (in ten minutes), locks
for 2 s at first, doubling up to 8 s, and takes the client's address from
``X-Forwarded-For`` (one proxy), so each part of a test comes from its own address.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.lib.redis import connect_to_redis

from ckanext.tjregistry.safeguards import login_guard
from ckanext.tjregistry.tests.browser_helpers import PASSWORD, with_password
from ckanext.tjregistry.tests.live_server import LiveServer
from ckanext.tjregistry.tests.workflow_helpers import build_world

pytestmark = pytest.mark.usefixtures("clean_db")
TIMEOUT = 60
LIMITS = {
    "tjregistry.ratelimit.enabled": "true",
    "tjregistry.ratelimit.login_account": "3/600",
    "tjregistry.ratelimit.login_address": "6/600",
    "tjregistry.ratelimit.login_backoff": "2",
    "tjregistry.ratelimit.login_backoff_max": "8",
    "tjregistry.ratelimit.proxy_count": "1",
}
ACCOUNT_LOCKED_ZH = "该账号登录失败次数过多"
ACCOUNT_LOCKED_EN = "Too many failed logins for this account"
ADDRESS_LOCKED_ZH = "您所在网络地址的登录失败次数过多"


@pytest.fixture
def ckan_server_options() -> dict[str, str]:
    return dict(LIMITS)


def _forget_counts() -> None:
    redis = connect_to_redis()
    for key in redis.scan_iter(f"{login_guard.KEY_PREFIX}:*"):
        redis.delete(key)


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    _forget_counts()
    yield
    _forget_counts()


def attempt(server: LiveServer, login: str, password: str, address: str,
            lang: str = "") -> tuple[requests.Response, bool]:
    """One login through the form (its CSRF token) from ``address``: (answer, logged in)."""
    session = requests.Session()
    headers = {"X-Forwarded-For": address}
    form = BeautifulSoup(session.get(server.url(f"{lang}/user/login"), headers=headers,
                                     timeout=TIMEOUT).text, "html.parser")
    token = form.select_one("input[name=_csrf_token]")["value"]
    answer = session.post(server.url(f"{lang}/user/login"), headers=headers, timeout=TIMEOUT,
                          allow_redirects=False,
                          data={"_csrf_token": token, "login": login, "password": password})
    # Logged in, the login page asks to log out first instead of showing the form.
    again = BeautifulSoup(session.get(server.url("/user/login"), headers=headers,
                                      timeout=TIMEOUT).text, "html.parser")
    return answer, again.select_one("input[name=password][disabled]") is not None


def _flash(answer: requests.Response) -> str:
    page = BeautifulSoup(answer.text, "html.parser")
    return " ".join(alert.get_text(" ", strip=True) for alert in page.select(".alert"))


def test_an_account_is_locked_after_failures_even_for_the_right_password(ckan_server):
    world = build_world()
    with_password(world, "hp_clerk")
    address = "10.1.0.1"
    # Three wrong passwords, by name and by e-mail address (one account).
    for login, guess in (("hp_clerk", "wrong-guess-1"), ("hp_clerk", "wrong-guess-2"),
                         ("hp_clerk@example.org", "wrong-guess-3")):
        answer, logged_in = attempt(ckan_server, login, guess, address)
        assert answer.status_code == 200 and not logged_in
    # The right password is refused now, with the form again, a message and Retry-After.
    answer, logged_in = attempt(ckan_server, "hp_clerk", PASSWORD, address)
    assert answer.status_code == 429, answer.status_code
    assert not logged_in
    assert ACCOUNT_LOCKED_ZH in _flash(answer)
    assert BeautifulSoup(answer.text, "html.parser").select_one("input[name=password]")
    retry_after = int(answer.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    # From another address too (the account is locked), and in English on /en/.
    answer, logged_in = attempt(ckan_server, "hp_clerk@example.org", PASSWORD, "10.1.0.9",
                                lang="/en")
    assert answer.status_code == 429 and not logged_in
    assert ACCOUNT_LOCKED_EN in _flash(answer)
    assert ACCOUNT_LOCKED_ZH not in _flash(answer)
    # Logged with account and address, never the password.
    log = ckan_server.log_tail(200_000)
    assert "login refused" in log and "'hp_clerk'" in log and address in log
    assert PASSWORD not in log and "wrong-guess" not in log
    # Once the lock has passed the right password works again.
    time.sleep(retry_after + 0.5)
    answer, logged_in = attempt(ckan_server, "hp_clerk", PASSWORD, address)
    assert answer.status_code == 302 and logged_in


def test_a_success_resets_the_account_and_each_lock_lasts_longer(ckan_server):
    world = build_world()
    with_password(world, "hp_clerk")
    # Two failures, a success, two failures: never three in a row, never locked.
    address = "10.1.1.1"
    for guess in ("wrong-1", "wrong-2"):
        assert attempt(ckan_server, "hp_clerk", guess, address)[0].status_code == 200
    assert attempt(ckan_server, "hp_clerk", PASSWORD, address)[1]
    for guess in ("wrong-3", "wrong-4"):
        assert attempt(ckan_server, "hp_clerk", guess, address)[0].status_code == 200
    assert attempt(ckan_server, "hp_clerk", PASSWORD, address)[1]
    # First lock: 2 s; the next three failures after it lock for twice as long.
    address = "10.1.1.2"
    for guess in ("wrong-5", "wrong-6", "wrong-7"):
        assert attempt(ckan_server, "hp_clerk", guess, address)[0].status_code == 200
    first = attempt(ckan_server, "hp_clerk", PASSWORD, address)[0]
    assert first.status_code == 429
    first_lock = int(first.headers["Retry-After"])
    assert first_lock <= 2
    time.sleep(first_lock + 0.5)
    address = "10.1.1.3"
    for guess in ("wrong-8", "wrong-9", "wrong-10"):
        assert attempt(ckan_server, "hp_clerk", guess, address)[0].status_code == 200
    second, logged_in = attempt(ckan_server, "hp_clerk", PASSWORD, address)
    assert second.status_code == 429 and not logged_in
    assert 2 < int(second.headers["Retry-After"]) <= 4


def test_an_address_is_locked_after_failures_on_any_accounts(ckan_server):
    world = build_world()
    with_password(world, "hp_clerk", "city_clerk")
    address = "10.2.0.1"
    # Six failures from one address, at most two per account: no account is locked.
    for login in ("hp_clerk", "hp_clerk", "nobody-1", "nobody-1", "bh_clerk", "bh_clerk"):
        answer, _logged_in = attempt(ckan_server, login, "wrong-guess", address)
        assert answer.status_code == 200
    answer, logged_in = attempt(ckan_server, "city_clerk", PASSWORD, address)
    assert answer.status_code == 429 and not logged_in
    assert ADDRESS_LOCKED_ZH in _flash(answer)
    # The same account from another address is let in.
    answer, logged_in = attempt(ckan_server, "city_clerk", PASSWORD, "10.2.0.2")
    assert answer.status_code == 302 and logged_in
    assert "10.2.0.1" in ckan_server.log_tail(200_000)


@pytest.mark.ckan_config("tjregistry.ratelimit.enabled", True)
@pytest.mark.ckan_config("tjregistry.ratelimit.login_account", "2/600")
@pytest.mark.ckan_config("tjregistry.ratelimit.login_backoff", 10)
@pytest.mark.ckan_config("tjregistry.ratelimit.login_backoff_max", 25)
def test_back_off_doubles_up_to_the_cap_and_a_success_starts_again():
    account = login_guard.account_key("someone")
    scope = login_guard.ACCOUNT
    now = time.time()

    def fail_twice(at: float) -> int:
        assert login_guard.record_failure(scope, account, now=at) == 0
        return login_guard.record_failure(scope, account, now=at + 1)

    assert fail_twice(now) == 10
    lock = login_guard.lock_of(scope, account, now=now + 5.5)
    assert lock is not None and lock.retry_after == 6
    assert login_guard.lock_of(scope, account, now=now + 12) is None
    assert fail_twice(now + 20) == 20
    assert fail_twice(now + 50) == 25  # capped
    login_guard.reset_account(account)
    assert login_guard.lock_of(scope, account, now=now + 52) is None
    assert fail_twice(now + 60) == 10


def test_nothing_is_counted_when_rate_limits_are_off():
    # test.ini switches rate limits off; the login form then works as CKAN's.
    assert not login_guard.enabled()
    assert login_guard.lock_for("anyone", "10.3.0.1") is None
    model.Session.remove()
