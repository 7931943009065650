"""The cached public catalogue (Redis in production).

Every cached page is stored under the catalogue's current *version*; a change to any course or
lesson replaces the version with a new random one, so every old page is unreachable at once and
expires on its own. A random version (not a counter) can't collide with pages cached before an
eviction. Enrolment counts may lag by up to COURSE_CATALOGUE_CACHE_SECONDS.
"""

import hashlib
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "courses:catalogue:version"


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "none"
    return version


def catalogue_key(*, host: str, query: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(repr((host, sorted(query))).encode()).hexdigest()[:32]
    return f"courses:catalogue:{_version()}:{digest}"


def catalogue_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # a cache outage must not take the catalogue down
        logger.warning("catalogue cache read failed", exc_info=True)
        return None


def catalogue_set(key: str, data: Any) -> None:
    try:
        cache.set(key, data, timeout=settings.COURSE_CATALOGUE_CACHE_SECONDS)
    except Exception:
        logger.warning("catalogue cache write failed", exc_info=True)


def catalogue_invalidate() -> None:
    """Forget every cached catalogue page, once the current transaction commits."""

    def bump() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)

    transaction.on_commit(bump)


def on_catalogue_change(sender, **kwargs) -> None:
    """post_save/post_delete receiver for Course and Lesson (API, admin and shell alike)."""
    catalogue_invalidate()
