"""Every e-mail the application sends goes through here: templated (text and HTML), recorded in
the outbox (OutboundEmail) and delivered by a Celery task with retries.

Templates live in `templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`. Context
values are escaped in the HTML part by Django's autoescaping, and the subject is flattened to one
line, so no header can be injected through a name or subject a user typed.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from . import personal_data
from .models import OutboundEmail, OutboundEmailStatus

logger = logging.getLogger(__name__)

# Templates whose context holds a secret link (reset, unlock, verify): the context is wiped once sent.
SENSITIVE_TEMPLATES = frozenset(
    {"verify_email", "password_reset", "account_locked", "newsletter_confirm", "account_invite"}
)
# Templates sent to an address that must not stay on record once the message is out.
FORGET_RECIPIENT_TEMPLATES = frozenset({"account_deleted"})
ERASED_ADDRESS = "erased@deleted.invalid"


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Subjects and text parts are not HTML: no escaping ("Tom & Jerry" stays as typed)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def render_email(*, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    full_context = {"site_name": "Titanobova", **context}
    subject = _render_plain(f"emails/{template}_subject.txt", full_context)
    subject = " ".join(subject.split())  # one line: no header injection through user text
    text = _render_plain(f"emails/{template}.txt", full_context)
    html = render_to_string(f"emails/{template}.html", full_context)  # autoescaped
    return subject, text, html


AttachmentBuilder = Callable[[str], tuple[str, bytes, str]]
_attachment_builders: dict[str, AttachmentBuilder] = {}


def register_attachment(kind: str, builder: AttachmentBuilder) -> None:
    """`builder(ref) -> (filename, content, mimetype)`; apps register theirs in AppConfig.ready()."""
    _attachment_builders[kind] = builder


def email_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str]] | None = None,
) -> OutboundEmail:
    """Record an e-mail in the outbox and deliver it once the current transaction commits.

    Context values must be JSON-serialisable. The row is part of the caller's transaction, so an
    e-mail exists exactly when the change that caused it does.
    """
    from .tasks import send_email_task

    message = OutboundEmail.objects.create(
        to=to,
        template=template,
        context=context,
        headers=headers or {},
        attachments=[{"kind": kind, "ref": ref} for kind, ref in attachments or []],
    )
    transaction.on_commit(lambda: _enqueue(send_email_task, message.pk))
    return message


def _enqueue(task, outbox_id) -> None:
    """Hand a message to the broker. If the broker is down the row stays queued and the
    requeue_stale_emails beat task hands it over later: the request that caused it still succeeds."""
    try:
        task.delay(outbox_id=str(outbox_id))
    except Exception:
        logger.exception("Could not queue e-mail %s; it stays in the outbox for the requeue task", outbox_id)


def email_requeue(*, message: OutboundEmail) -> None:
    """Send a failed (or stuck) message again: the admin's "resend" action."""
    from .tasks import send_email_task

    OutboundEmail.objects.filter(pk=message.pk).exclude(status=OutboundEmailStatus.SENT).update(
        status=OutboundEmailStatus.QUEUED, last_error=""
    )
    transaction.on_commit(lambda: _enqueue(send_email_task, message.pk))


@dataclass(frozen=True)
class Delivery:
    outcome: str  # "sent", "already_sent", "missing", "busy", "transient", "permanent"
    error: str = ""


def is_transient(exc: Exception) -> bool:
    """Timeouts, connection errors, 429 and 5xx are worth retrying; anything else (400: a bad
    address or message) will fail the same way again."""
    if isinstance(exc, AnymailRecipientsRefused):
        return False
    status = getattr(exc, "status_code", None)
    if isinstance(exc, AnymailAPIError) and status is not None:
        return status == 429 or status >= 500
    return isinstance(exc, (OSError, TimeoutError, ConnectionError)) or (
        isinstance(exc, AnymailAPIError) and status is None
    )


def email_deliver(*, outbox_id: str) -> Delivery:
    """One delivery attempt. A message already marked sent is never sent again, so a redelivered
    task is harmless; only a worker killed between the provider's answer and the status update
    below can cause one duplicate."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboundEmail.objects.select_for_update().filter(pk=outbox_id).first()
        if message is None:
            return Delivery("missing")
        if message.status == OutboundEmailStatus.SENT:
            return Delivery("already_sent")
        if message.lease_until and message.lease_until > now:
            return Delivery("busy", "another worker is sending this message")
        message.attempts += 1
        message.lease_until = now + timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
        message.save(update_fields=["attempts", "lease_until"])
    try:
        subject, text, html = render_email(template=message.template, context=message.context)
        email = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.to], headers=message.headers
        )
        email.attach_alternative(html, "text/html")
        for attachment in message.attachments:
            email.attach(*_attachment_builders[attachment["kind"]](attachment["ref"]))
        email.send()
    except Exception as exc:
        transient = is_transient(exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        OutboundEmail.objects.filter(pk=message.pk).update(
            last_error=error,
            status=OutboundEmailStatus.QUEUED if transient else OutboundEmailStatus.FAILED,
            lease_until=None,
        )
        logger.warning("E-mail %s (%s) attempt %s failed: %s", message.pk, message.template, message.attempts, error)
        return Delivery("transient" if transient else "permanent", error)

    status = getattr(email, "anymail_status", None)
    update: dict[str, Any] = {
        "status": OutboundEmailStatus.SENT,
        "sent_at": timezone.now(),
        "subject": subject[:255],
        "last_error": "",
        "lease_until": None,
        "provider_message_id": (getattr(status, "message_id", None) or "")[:255],
    }
    if message.template in SENSITIVE_TEMPLATES:
        update["context"] = {}
    if message.template in FORGET_RECIPIENT_TEMPLATES:
        update["to"] = ERASED_ADDRESS
    OutboundEmail.objects.filter(pk=message.pk).update(**update)
    return Delivery("sent")


def email_mark_failed(*, outbox_id: str, error: str) -> None:
    OutboundEmail.objects.filter(pk=outbox_id).exclude(status=OutboundEmailStatus.SENT).update(
        status=OutboundEmailStatus.FAILED, last_error=error[:2000]
    )


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to base * 2^attempt seconds, capped."""
    ceiling = min(settings.EMAIL_RETRY_MAX_DELAY_SECONDS, settings.EMAIL_RETRY_BASE_SECONDS * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


# ---------------------------------------------------------------------------
# Personal data (registered with apps.core.personal_data in CoreConfig.ready)
# ---------------------------------------------------------------------------
def outbox_export_person(user: Any) -> list[dict[str, Any]]:
    return [
        {"template": m.template, "subject": m.subject, "status": m.status, "created_at": m.created_at.isoformat()}
        for m in OutboundEmail.objects.filter(to=user.email).order_by("created_at")
    ]


def outbox_erase_person(user: Any) -> None:
    """Messages to the person lose the address, context and subject (which may hold their name);
    those not sent yet are given up, rather than sent to the placeholder address. Any other
    message naming the address (a staff copy of their contact message, say) has it replaced."""
    to_them = OutboundEmail.objects.filter(to=user.email)
    to_them.exclude(status=OutboundEmailStatus.SENT).update(
        status=OutboundEmailStatus.FAILED, last_error="Not sent: the recipient's account was erased."
    )
    to_them.update(to=ERASED_ADDRESS, context={}, subject="")
    personal_data.scrub(
        OutboundEmail.objects.all(), fields=["context", "subject", "last_error", "headers"], needle=user.email
    )
