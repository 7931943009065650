"""Stripe's webhook events: stored once by id, answered at once, processed by a Celery task.

Receiving only verifies the signature and stores the event (a unique primary key makes a
duplicate a no-op, also when two copies arrive at the same moment). Processing takes the event's
row lock, so one event is processed by one worker at a time, and marks it processed in the same
transaction as its effects: a crash leaves it pending, never half-applied.
"""

import logging
from collections.abc import Callable

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import ApplicationError

from . import gateway, services
from .error_codes import PaymentErrorCode
from .models import StripeEvent, StripeEventStatus

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[dict], str]] = {
    "payment_intent.succeeded": services.payment_apply_intent,
    "payment_intent.payment_failed": lambda intent: services.payment_apply_intent(intent, failed=True),
    "payment_intent.canceled": services.payment_apply_intent,
    "payment_intent.processing": services.payment_apply_intent,
    "payment_intent.requires_action": services.payment_apply_intent,
    "charge.refunded": services.payment_apply_charge,
    "refund.created": services.refund_apply,
    "refund.updated": services.refund_apply,
}


def event_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify and store; returns (event, created). Nothing is written for a bad signature."""
    try:
        event = gateway.event_verify(payload=payload, signature=signature)
    except stripe.SignatureVerificationError as exc:
        raise ApplicationError(
            "The Stripe-Signature header is missing, wrong or too old.", PaymentErrorCode.INVALID_SIGNATURE
        ) from exc
    except ValueError as exc:
        raise ApplicationError("The body is not a Stripe event.", PaymentErrorCode.INVALID_PAYLOAD) from exc
    if not event.get("id") or not event.get("type"):
        raise ApplicationError("The body is not a Stripe event.", PaymentErrorCode.INVALID_PAYLOAD)
    known = event["type"] in HANDLERS
    try:
        with transaction.atomic():
            stored, created = StripeEvent.objects.get_or_create(
                id=event["id"],
                defaults={
                    "type": event["type"],
                    "payload": event,
                    "status": StripeEventStatus.PENDING if known else StripeEventStatus.IGNORED,
                },
            )
    except IntegrityError:  # the same event, stored by a concurrent request a moment ago
        return StripeEvent.objects.get(id=event["id"]), False
    return stored, created and known


def event_process(*, event_id: str) -> str:
    """Apply one stored event (idempotent). Returns its final status."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            return "missing"
        if event.status in (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED):
            return event.status
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            event.status = StripeEventStatus.IGNORED
            event.save(update_fields=["status", "attempts"])
            return event.status
        try:
            with transaction.atomic():
                outcome = handler(event.payload["data"]["object"])
        except Exception as exc:  # recorded and retried; the effects above were rolled back
            logger.exception("Stripe event %s (%s) failed", event.id, event.type)
            event.status = StripeEventStatus.FAILED
            event.error = f"{type(exc).__name__}: {exc}"[:4000]
            event.save(update_fields=["status", "attempts", "error"])
            return event.status
        event.status = StripeEventStatus.PROCESSED
        event.error = ""
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at"])
        logger.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
        return event.status
