"""Password guessing on the login form: failures counted per account and per address.

CKAN's login form (``ckan/views/user.py`` ``login``) checks any number of passwords as
fast as they come. Here every failed login (CKAN's ``failed_login`` signal) is counted
in Redis twice: for the account (a user name and its e-mail address count as one
account) and for the client's address. When an account reaches
``tjregistry.ratelimit.login_account`` failures (default ``5/900``: five in any fifteen
minutes), or an address ``tjregistry.ratelimit.login_address`` (default ``20/900``),
it is locked: every login for that account, or from that address, is refused without
looking at the password, even the right one, for ``tjregistry.ratelimit.login_backoff``
seconds, doubled at each further lock (capped at ``tjregistry.ratelimit.login_backoff_max``).
A successful login clears the account's failures and its lock history; an address's
count runs on (one valid account must not reset the count of an address guessing
others).

A refused login gets the login form again with HTTP 429, a ``Retry-After`` header and a
message in the page's language, and is logged (account and address, never the
password). ``tjregistry.ratelimit.enabled = false`` turns this off with the other rate
limits; accounts and addresses are kept in Redis only as keyed hashes (``ratelimit.py``).
"""
from __future__ import annotations

import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, make_response, request

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.tjregistry.common import ratelimit, texts

log = logging.getLogger(__name__)

ACCOUNT = "login_account"
ADDRESS = "login_address"
KEY_PREFIX = "tjregistry:login"


@dataclass(frozen=True)
class Lock:
    scope: str  # ACCOUNT or ADDRESS
    retry_after: int  # seconds

    def message(self) -> str:
        if self.scope == ACCOUNT:
            return texts.bilingual(
                f"该账号登录失败次数过多，已暂时锁定，请于 {self.retry_after} 秒后再试。"
                "锁定期间即使密码正确也无法登录",
                f"Too many failed logins for this account: it is locked for "
                f"{self.retry_after} seconds. Until then no login is accepted, not even "
                f"with the right password.")
        return texts.bilingual(
            f"您所在网络地址的登录失败次数过多，请于 {self.retry_after} 秒后再试",
            f"Too many failed logins from your network address: try again in "
            f"{self.retry_after} seconds.")


def enabled() -> bool:
    return ratelimit.enabled()


def backoff() -> tuple[int, int]:
    """(first lock, longest lock) in seconds."""
    first = max(1, tk.asint(tk.config.get("tjregistry.ratelimit.login_backoff") or 60))
    longest = max(first, tk.asint(tk.config.get("tjregistry.ratelimit.login_backoff_max")
                                  or 86400))
    return first, longest


def account_key(login: str) -> str:
    """One key per account, whether it was named by user name or e-mail address."""
    login = (login or "").strip()
    user = model.User.by_name(login) or (model.User.by_email(login) if login else None)
    return f"user:{user.id}" if user is not None else f"login:{login.lower()}"


def _keys(scope: str, identity: str) -> tuple[str, str, str]:
    digest = ratelimit.address_hash(identity)
    base = f"{KEY_PREFIX}:{scope}:{digest}"
    return f"{base}:failures", f"{base}:strikes", f"{base}:lock"


# Count one failure in the sliding window; on reaching the limit, clear the window,
# count a strike and lock for first * 2^(strikes - 1) seconds (at most ``longest``).
# The lock holds the time it ends (so a caller's clock decides), the strikes are
# remembered for ``longest + window`` after the last one.
_FAILURE = """
local failures, strikes, lock = KEYS[1], KEYS[2], KEYS[3]
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local first, longest = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - window)
redis.call('ZADD', failures, now, ARGV[6])
redis.call('PEXPIRE', failures, math.ceil(window * 1000))
if redis.call('ZCARD', failures) < limit then
  return {0, '0'}
end
redis.call('DEL', failures)
local strike = redis.call('INCR', strikes)
redis.call('PEXPIRE', strikes, math.ceil((longest + window) * 1000))
local duration = math.min(first * math.pow(2, math.min(strike - 1, 40)), longest)
redis.call('SET', lock, string.format('%.6f', now + duration),
           'PX', math.ceil(duration * 1000) + 1000)
return {strike, tostring(duration)}
"""


def record_failure(scope: str, identity: str, *, now: float | None = None) -> int:
    """Count a failed login; the length of the lock it started (seconds), else 0."""
    rule = ratelimit.rule_for(scope)
    if rule is None:
        return 0
    now = time.time() if now is None else now
    first, longest = backoff()
    try:
        _strike, duration = connect_to_redis().eval(
            _FAILURE, 3, *_keys(scope, identity), repr(now), rule.window, rule.limit,
            first, longest, f"{now!r}:{secrets.token_hex(4)}")
    except Exception:  # any Redis failure: the login form keeps working
        log.exception("login failure counter unavailable for %s", scope)
        return 0
    return math.ceil(float(duration))


def lock_of(scope: str, identity: str, *, now: float | None = None) -> Lock | None:
    if ratelimit.rule_for(scope) is None:
        return None
    now = time.time() if now is None else now
    try:
        until = connect_to_redis().get(_keys(scope, identity)[2])
    except Exception:
        log.exception("login lock unavailable for %s", scope)
        return None
    if until is None:
        return None
    remaining = float(until) - now
    return Lock(scope, math.ceil(remaining)) if remaining > 0 else None


def reset_account(login_key: str) -> None:
    """A successful login: the account's failures and strikes are forgotten."""
    try:
        connect_to_redis().delete(*_keys(ACCOUNT, login_key))
    except Exception:
        log.exception("login failure counter unavailable for %s", ACCOUNT)


def lock_for(login: str, address: str | None, *, now: float | None = None) -> Lock | None:
    """The lock that refuses a login as ``login`` from ``address`` now, if any (the longer
    one when both are locked)."""
    if not enabled():
        return None
    locks = [lock for lock in (lock_of(ACCOUNT, account_key(login), now=now) if login else None,
                               lock_of(ADDRESS, address, now=now) if address else None)
             if lock is not None]
    return max(locks, key=lambda lock: lock.retry_after) if locks else None


# ------------------------------------------------------------- CKAN's hooks ---
def login() -> Any:
    """``IAuthenticator.login``: before CKAN checks a posted password, refuse a locked
    account or address with the form again (HTTP 429); otherwise let CKAN go on."""
    if request.method != "POST" or not enabled():
        return None
    login_name = str(request.form.get("login") or "")
    address = ratelimit.client_address()
    lock = lock_for(login_name, address)
    if lock is None:
        return None
    log.warning("login refused (%s locked for %s s): account %r from %s",
                lock.scope, lock.retry_after, login_name, address)
    tk.h.flash_error(texts.in_language(lock.message(), tk.h.lang() or "zh_Hans_CN"))
    response = make_response(tk.render("user/login.html", {}), 429)
    response.headers["Retry-After"] = str(lock.retry_after)
    return response


def on_failed_login(login: Any, **_kwargs: Any) -> None:
    """CKAN's ``failed_login`` signal (sent with the name or e-mail tried)."""
    if not enabled() or not has_request_context():
        return
    login_name = str(login or "")
    address = ratelimit.client_address()
    for scope, identity in ((ACCOUNT, account_key(login_name) if login_name else None),
                            (ADDRESS, address)):
        if not identity:
            continue
        locked = record_failure(scope, identity)
        if locked:
            log.warning("login %s locked for %s s after repeated failures: account %r from %s",
                        "account" if scope == ACCOUNT else "address", locked, login_name,
                        address)


def on_logged_in(_sender: Any, user: Any = None, **_kwargs: Any) -> None:
    """Flask-Login's ``user_logged_in`` (through CKAN's signal): reset the account."""
    if not enabled() or not isinstance(user, model.User):
        return
    reset_account(f"user:{user.id}")
