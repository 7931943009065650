"""The cached public catalogue (Redis in production).

Every cached page is stored with the catalogue's *version* at the time its data was read; a
change to any course or lesson replaces the version with a new random one, so every older page
is ignored at once (and overwritten or expired later). Version and page are read in one MGET.
A random version (not a counter) can't collide with pages cached before an eviction. Enrolment
counts may lag by up to COURSE_CATALOGUE_CACHE_SECONDS.
"""

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "courses:catalogue:version"


def catalogue_key(*, host: str, query: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(repr((host, sorted(query))).encode()).hexdigest()[:32]
    return f"courses:catalogue:page:{digest}"


def catalogue_get(key: str) -> tuple[str, bytes | None]:
    """One round trip (MGET): the catalogue's current version, and the page stored under `key` if
    it was stored at that version. Returns (version, body or None); pass the version to
    catalogue_set, so a page computed from data read before an invalidation is never served after it."""
    try:
        found = cache.get_many([VERSION_KEY, key])
    except Exception:  # a cache outage must not take the catalogue down
        logger.warning("catalogue cache read failed", exc_info=True)
        return "", None
    version = found.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or ""
        return version, None
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return version, stored[1]
    return version, None


def catalogue_set(key: str, version: str, body: bytes) -> None:
    if not version:
        return
    try:
        cache.set(key, (version, body), timeout=settings.COURSE_CATALOGUE_CACHE_SECONDS)
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
