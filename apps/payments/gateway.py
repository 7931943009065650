"""The one place that talks to Stripe, through the official SDK.

STRIPE_API_BASE points the SDK at another server (localstripe in development and CI); it is unset
in production. Stripe errors become ApplicationError 502 `payment_provider_error` with Stripe's
message, so a client never sees a 500 because Stripe said no.
"""

import logging
from typing import Any

import stripe
from django.conf import settings

from apps.core.errors import ApplicationError

from .error_codes import PaymentErrorCode

logger = logging.getLogger(__name__)


def client() -> stripe.StripeClient:
    options: dict[str, Any] = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    http = stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=http, **options)


class ProviderError(ApplicationError):
    status_code = 502
    default_code = PaymentErrorCode.PROVIDER_ERROR


def _call(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        logger.warning("Stripe %s failed: %s", what, exc)
        message = getattr(exc, "user_message", None) or "The payment provider refused the request."
        raise ProviderError(
            f"{message} Please try again.", extra={"provider_code": getattr(exc, "code", None)}
        ) from exc


def as_dict(obj: Any) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def intent_create(*, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str) -> dict:
    params = {
        "amount": amount,
        "currency": currency.lower(),
        "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
        "metadata": metadata,
    }
    options = {"idempotency_key": idempotency_key}
    return as_dict(_call("intent create", client().v1.payment_intents.create, params=params, options=options))


def intent_retrieve(intent_id: str) -> dict:
    return as_dict(_call("intent retrieve", client().v1.payment_intents.retrieve, intent_id))


def intent_cancel(intent_id: str) -> dict:
    return as_dict(_call("intent cancel", client().v1.payment_intents.cancel, intent_id))


def refund_create(*, payment_intent: str, amount: int, metadata: dict[str, str], idempotency_key: str) -> dict:
    # `reason` is not sent: Stripe only takes three fixed values (and localstripe none); ours is
    # free text, kept on the Refund row and in the metadata.
    params = {"payment_intent": payment_intent, "amount": amount, "metadata": metadata}
    options = {"idempotency_key": idempotency_key}
    return as_dict(_call("refund create", client().v1.refunds.create, params=params, options=options))


def event_verify(*, payload: bytes, signature: str) -> dict:
    """Check Stripe-Signature (HMAC-SHA256 over "timestamp.payload", within the tolerance); return
    the event. Raises stripe.SignatureVerificationError or ValueError."""
    event = stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    )
    return as_dict(event)
