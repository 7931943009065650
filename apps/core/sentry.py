"""Sentry error reporting, set up from settings when SENTRY_DSN is set."""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from .logging import redact
from .request_context import get_request_id

# Request bodies and some responses carry these: never send their values.
SCRUBBED_KEYS = [
    "new_password",
    "old_password",
    "refresh",
    "access",
    "challenge_token",
    "code",
    "token",
    "backup_codes",
    "secret",
    "otpauth_url",
    "qr_code",
]


def attach_request_id(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the event with the request id that the client saw in X-Request-ID and our logs carry."""
    request_id = get_request_id()
    if request_id != "-":
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Breadcrumbs go with every event: no Redis commands (their keys hold session keys and client
    IPs), no SQL parameters, and log messages masked as our log files mask them."""
    category = crumb.get("category") or ""
    if category.startswith("redis") or crumb.get("type") == "redis":
        return None
    if category == "query":
        crumb.pop("data", None)
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    return crumb


def scrub_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Performance traces (when sampled): Redis spans keep the command name, not its keys."""
    for span in event.get("spans") or []:
        if (span.get("op") or "").startswith(("db.redis", "cache")):
            span["description"] = (span.get("description") or "").split(" ", 1)[0]
            span.pop("data", None)
    return attach_request_id(event, hint)


def sentry_init(
    *,
    dsn: str,
    environment: str,
    release: str | None,
    sample_rate: float,
    traces_sample_rate: float,
    transport: Any = None,
) -> None:
    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        sample_rate=sample_rate,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False), RedisIntegration()],
        # No personal data: no user ids or e-mails, no client IPs, no cookies, no request bodies
        # (they carry passwords, tokens and 2FA codes).
        send_default_pii=False,
        max_request_body_size="never",
        # Stack frames' local variables hold requests with tokens in their query strings, SQL
        # parameters with session keys, passwords being checked: send the stack without them.
        include_local_variables=False,
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *SCRUBBED_KEYS], recursive=True),
        before_send=attach_request_id,
        before_send_transaction=scrub_transaction,
        before_breadcrumb=scrub_breadcrumb,
        **options,
    )
