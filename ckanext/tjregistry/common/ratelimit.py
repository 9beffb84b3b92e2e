"""Per-address rate limits for the public forms and actions, counted in Redis.

A rule such as ``5/hour`` allows five requests per address in any sliding window of
that length (``second``, ``minute``, ``hour``, ``day`` or a number of seconds). Rules
are read from ``tjregistry.ratelimit.<scope>``; an empty rule means no limit for that
scope, and ``tjregistry.ratelimit.enabled = false`` turns every limit off.

Addresses are kept only as keyed hashes (HMAC with the site's secret key), and the
counters expire with their window. Behind reverse proxies, set
``tjregistry.ratelimit.proxy_count`` to the number of proxies that append to
``X-Forwarded-For`` so that the client's address is counted, not the proxy's.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

log = logging.getLogger(__name__)

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
KEY_PREFIX = "tjregistry:ratelimit"


@dataclass(frozen=True)
class Rule:
    limit: int
    window: int  # seconds


class RuleError(ValueError):
    """A rate-limit rule in the configuration cannot be read."""


def parse_rule(text: str) -> Rule | None:
    """``"5/hour"``, ``"30/minute"``, ``"100/600"`` (seconds); empty means unlimited."""
    text = (text or "").strip().lower()
    if not text:
        return None
    count, _, period = text.partition("/")
    try:
        limit = int(count)
        window = int(period) if period.isdigit() else UNITS[period.rstrip("s") or "x"]
    except (ValueError, KeyError):
        raise RuleError(f"rate limit {text!r} is not '<count>/<second|minute|hour|day|seconds>'"
                        ) from None
    if limit < 1 or window < 1:
        raise RuleError(f"rate limit {text!r} must be positive")
    return Rule(limit, window)


class RateLimited(tk.ValidationError):
    """Too many requests from one address; ``retry_after`` is in seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        self.scope = scope
        self.retry_after = retry_after
        super().__init__({"rate_limit": [
            f"操作过于频繁,请于 {retry_after} 秒后重试 / Too many requests: "
            f"try again in {retry_after} seconds"]})


def enabled() -> bool:
    return tk.asbool(tk.config.get("tjregistry.ratelimit.enabled"))


def rule_for(scope: str) -> Rule | None:
    return parse_rule(str(tk.config.get(f"tjregistry.ratelimit.{scope}") or ""))


def client_address() -> str | None:
    """The requesting client's address, or None outside a web request."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    proxies = tk.asint(tk.config.get("tjregistry.ratelimit.proxy_count") or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in
                     request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.remote_addr or "unknown"


def address_hash(address: str) -> str:
    secret = str(tk.config.get("SECRET_KEY") or tk.config.get("beaker.session.secret") or "")
    return hmac.new(secret.encode("utf-8"), address.encode("utf-8"),
                    hashlib.sha256).hexdigest()[:32]


# A sliding window: the key holds the times of the requests let through in the last
# ``window`` seconds; one atomic script drops the old ones, counts, and admits or refuses.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  return {0, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return {1, ''}
"""


def hit(scope: str, address: str | None = None, *, now: float | None = None) -> None:
    """Count one request of ``scope`` from ``address``; raise ``RateLimited`` over the limit.

    Without an address (an internal call, not a web request) nothing is counted.
    If Redis cannot be reached the request is let through and the failure logged:
    the limit protects the service, it must not take it down.
    """
    if not enabled():
        return
    rule = rule_for(scope)
    address = address if address is not None else client_address()
    if rule is None or address is None:
        return
    now = time.time() if now is None else now
    key = f"{KEY_PREFIX}:{scope}:{address_hash(address)}"
    try:
        admitted, oldest = connect_to_redis().eval(
            _SLIDING_WINDOW, 1, key, repr(now), rule.window, rule.limit,
            f"{now!r}:{secrets.token_hex(4)}")
    except Exception:  # any Redis failure
        log.exception("rate limit counter unavailable for %s", scope)
        return
    if not int(admitted):
        raise RateLimited(scope, max(1, math.ceil(float(oldest) + rule.window - now)))
