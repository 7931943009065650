"""Rate limits: IP-based for anonymous callers, user-based for logged-in ones.

DRF's own SimpleRateThrottle keeps a list of timestamps per client and rewrites it on every
request, which lets racing processes overwrite each other. These throttles count in fixed windows
with the cache's atomic increment (Redis INCR in production), so every process shares one exact
count. Rates come from settings.RATELIMIT_RATES at request time; RATELIMIT_ENABLE=false turns
them off. If the cache is down, requests are let through (fail open): the account lockout, which
lives in the database, still protects logins.
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


class _WindowThrottle(BaseThrottle):
    def get_scope(self, request, view) -> str | None:
        raise NotImplementedError

    def get_ident(self, request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request) or 'unknown'}"

    def allow_request(self, request, view) -> bool:
        if not settings.RATELIMIT_ENABLE:
            return True
        scope = self.get_scope(request, view)
        rate = settings.RATELIMIT_RATES.get(scope) if scope else None
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"ratelimit:{scope}:{self.get_ident(request)}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens a new window
            cache.add(key, 1, timeout=period + 1)
            count = 1
        self._wait = period - (now % period)
        return count is None or count <= limit

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
