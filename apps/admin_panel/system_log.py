"""Warnings and errors from the application's logging, stored as SystemLog rows for the admin.

The handler writes through its own database connection (the `system_log` alias on PostgreSQL,
see settings), so a line logged inside a transaction that is then rolled back is still kept. It
never raises: when the database is down the line still reaches the console and the log files.
"""

import logging
import threading
import time

from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from apps.core.logging import redact
from apps.core.request_context import get_request_id, get_user_id

# Django's per-request lines: 4xx warnings say what a client did wrong (a scanner could fill the
# table with them), and a 5xx line without a traceback restates a response whose cause the
# application logged itself. Unhandled exceptions (with their traceback) are kept.
_CLIENT_ERROR_LOGGERS = ("django.request", "django.server")
_MESSAGE_LIMIT = 10_000


class SystemLogHandler(logging.Handler):
    """One row per line, except that the same line (logger, level, text) repeated within
    SYSTEM_LOG_REPEAT_SECONDS in this process is counted, not stored again: an outage (Redis down,
    every cache call logging an error) must not turn into a flood of database writes. The next row
    of that line says how many were folded into it."""

    _state = threading.local()
    _repeats_lock = threading.Lock()
    _last_stored: dict[tuple, float] = {}
    _folded: dict[tuple, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("django.db.backends"):
            return  # a failing insert here would log again: no loops
        if record.name.startswith(_CLIENT_ERROR_LOGGERS) and (record.levelno < logging.ERROR or not record.exc_info):
            return
        if getattr(self._state, "busy", False):
            return
        folded = self._fold_repeat(record)
        if folded is None:
            return
        self._state.busy = True
        try:
            self._store(record, folded)
        except Exception:  # logging must never break the request it reports on
            pass
        finally:
            self._state.busy = False

    @classmethod
    def forget_repeats(cls) -> None:
        with cls._repeats_lock:
            cls._last_stored.clear()
            cls._folded.clear()

    def _fold_repeat(self, record: logging.LogRecord) -> int | None:
        """None: a repeat to count, not store; otherwise how many repeats this row stands for."""
        window = getattr(settings, "SYSTEM_LOG_REPEAT_SECONDS", 0)
        if window <= 0:
            return 0
        key = (record.name, record.levelno, record.getMessage()[:300])
        now = time.monotonic()
        with self._repeats_lock:
            if now - self._last_stored.get(key, -window) < window:
                self._folded[key] = self._folded.get(key, 0) + 1
                return None
            self._last_stored[key] = now
            if len(self._last_stored) > 1000:  # forget old lines: bounded memory
                cutoff = now - window
                for stale in [k for k, at in self._last_stored.items() if at < cutoff]:
                    self._last_stored.pop(stale, None)
            return self._folded.pop(key, 0)

    def _store(self, record: logging.LogRecord, folded: int = 0) -> None:
        from django.apps import apps

        if not apps.ready:
            return
        model = apps.get_model("admin_panel", "SystemLog")
        request = getattr(record, "request", None)
        request_id = getattr(record, "request_id", None) or getattr(request, "request_id", None) or get_request_id()
        traceback = redact(logging.Formatter().formatException(record.exc_info)) if record.exc_info else ""
        model.objects.using(settings.SYSTEM_LOG_DATABASE).create(
            created_at=timezone.now(),
            level=record.levelname[:10],
            level_number=record.levelno,
            logger=record.name[:200],
            message=(record.getMessage() + (f" [+{folded} like it before, not stored]" if folded else ""))[
                :_MESSAGE_LIMIT
            ],
            request_id="" if request_id == "-" else str(request_id)[:128],
            user_id=_user_id(request),
            path=(getattr(request, "path", "") or "")[:500],
            traceback=traceback[:_MESSAGE_LIMIT],
        )


def _user_id(request) -> str:
    user_id = get_user_id()
    if not user_id and request is not None:
        # Only a user the request has already loaded (DRF sets request.user after authenticating;
        # Django's lazy session user is left alone): looking one up could fail in the same way.
        user = request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
            user = None
        if getattr(user, "is_authenticated", False):
            user_id = str(user.pk)
    return user_id or ""
