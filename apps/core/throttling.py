"""Rate limits: IP-based for anonymous callers, user-based for logged-in ones.

DRF's own SimpleRateThrottle keeps a list of timestamps per client and rewrites it on every
request, which lets racing processes overwrite each other. These throttles count in fixed windows
with the cache's atomic increment (Redis INCR in production), so every process shares one exact
count. Rates come from settings.RATELIMIT_RATES at request time; RATELIMIT_ENABLE=false turns
them off.

If Redis is down, requests are let through (fail open), deliberately: failing closed would turn
a cache outage into a full API outage, every client answered 429. What stays: the account
lockout, which lives in the database, still locks an account after LOCKOUT_THRESHOLD failed
logins, and nginx's limit_req still limits the login endpoints per IP. With
DJANGO_REDIS_IGNORE_EXCEPTIONS (settings) a failing incr() or add() returns None instead of
raising, which rate_limit_hit() reads as "allowed". tests/test_faults.py stops a real Redis under
load and checks both this and that limits apply again once Redis is back.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .http import client_ip

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/minute" -> (10, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def rate_limit_hit(*, scope: str, ident: str) -> float | None:
    """Count one request against `scope` for `ident`; return the seconds to wait when over the
    limit, None when allowed (or when rate limiting is off, or the cache is down: fail open)."""
    rate = settings.RATELIMIT_RATES.get(scope) if settings.RATELIMIT_ENABLE else None
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    key = f"ratelimit:{scope}:{ident}:{int(now // period)}"
    # One round trip in the common case: the window's counter exists and is incremented.
    try:
        count = cache.incr(key)
    except ValueError:  # this request opens the window (or a racing one just did)
        count = 1 if cache.add(key, 1, timeout=period + 1) else _incr_or_one(key, period)
    if count is None or count <= limit:
        return None
    return period - (now % period)


def _incr_or_one(key: str, period: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # expired in between: a fresh window
        cache.add(key, 1, timeout=period + 1)
        return 1


def client_ident(request) -> str:
    """Logged-in callers are counted per user, anonymous ones per client IP."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request) or 'unknown'}"


class _WindowThrottle(BaseThrottle):
    def get_scope(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        scope = self.get_scope(request, view)
        self._wait = rate_limit_hit(scope=scope, ident=client_ident(request)) if scope else None
        return self._wait is None

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class GeneralRateThrottle(_WindowThrottle):
    """The limit on every request: per IP when anonymous ("anon"), per user otherwise ("user")."""

    def get_scope(self, request, view) -> str:
        user = getattr(request, "user", None)
        return "user" if user is not None and user.is_authenticated else "anon"


class ScopedRateThrottle(_WindowThrottle):
    """The stricter limit of a sensitive view, named by its `throttle_scope` (login, register...)."""

    def get_scope(self, request, view) -> str | None:
        return getattr(view, "throttle_scope", None)
