"""Payments: creating intents, applying what Stripe reports, refunds and reconciliation.

Every state change goes through a row lock on the Payment, and only ever moves forward
(live -> succeeded -> partially refunded -> refunded; a late "failed" can't undo a success), so
duplicated, concurrent and out-of-order reports end in the same state.
"""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.signals import staff_notification
from apps.courses.models import ACCESS_STATUSES, Course, Enrollment, EnrollmentStatus
from apps.courses.services import enrollment_activate, enrollment_create, enrollment_mark_refunded

from . import gateway
from .coupons import coupon_hold, coupon_lock_and_check, coupon_redeem, coupon_release
from .error_codes import PaymentErrorCode
from .invoices import credit_note_issue, invoice_issue
from .models import (
    LIVE_STATUSES,
    PAID_STATUSES,
    Invoice,
    Payment,
    PaymentSource,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from .pricing import MINIMUM_CHARGE_PAISE, quote

logger = logging.getLogger(__name__)

# Stripe's intent statuses, as ours while the payment is still live.
_LIVE_FROM_STRIPE = {
    "requires_payment_method": PaymentStatus.REQUIRES_PAYMENT,
    "requires_confirmation": PaymentStatus.REQUIRES_PAYMENT,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
}


# --------------------------------------------------------------------------------------------
# Creating a payment intent
# --------------------------------------------------------------------------------------------


def _already_paid() -> ApplicationError:
    return ApplicationError("This enrolment is already paid for.", PaymentErrorCode.ALREADY_PAID)


def _enrollment_to_pay(*, user: Any, course_id: Any = None, enrollment_id: Any = None) -> Enrollment:
    if enrollment_id is not None:
        enrollment = Enrollment.objects.select_related("course").filter(pk=enrollment_id, user=user).first()
        if enrollment is None:
            raise NotFoundError("No such enrolment.", fields={"enrollment": ["Not one of your enrolments."]})
        course_id = enrollment.course_id
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise NotFoundError("No such course.", fields={"course": ["No course has this id."]})
    if course.price == 0:
        raise ApplicationError("This course is free: enrol without paying.", PaymentErrorCode.FREE_COURSE)
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing is not None and existing.status in ACCESS_STATUSES:
        raise _already_paid()
    if existing is not None and existing.status == EnrollmentStatus.PENDING_PAYMENT:
        return existing
    enrollment, _ = enrollment_create(user=user, course_id=course.pk)  # new, or reopened; published only
    return enrollment


def payment_intent_create(
    *,
    user: Any,
    course_id: Any = None,
    enrollment_id: Any = None,
    coupon_code: str = "",
    billing: dict[str, str] | None = None,
) -> Payment:
    """The caller's live payment for the enrolment: reused while the amount is the same (a double
    click never makes two intents), replaced (old intent cancelled) when it changed."""
    if not user.email_verified:
        raise PermissionDeniedError("Verify your e-mail address before paying.", PaymentErrorCode.EMAIL_NOT_VERIFIED)
    enrollment = _enrollment_to_pay(user=user, course_id=course_id, enrollment_id=enrollment_id)
    billing = {key: value for key, value in (billing or {}).items() if value}
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update(of=("self",)).select_related("course").get(pk=enrollment.pk)
        if enrollment.status in ACCESS_STATUSES:
            raise _already_paid()
        course = enrollment.course
        live = Payment.objects.select_for_update().filter(enrollment=enrollment, status__in=LIVE_STATUSES).first()
        coupon = (
            coupon_lock_and_check(code=coupon_code, user=user, course=course, replacing=live) if coupon_code else None
        )
        price = quote(course, coupon)
        if price.amount < MINIMUM_CHARGE_PAISE:
            raise ApplicationError(
                "After the discount this is below the smallest amount that can be charged.",
                PaymentErrorCode.AMOUNT_TOO_SMALL,
            )
        if (
            live is not None
            and live.amount == price.amount
            and live.currency == price.currency
            and live.coupon_id == (coupon.pk if coupon else None)
        ):
            if billing:
                Payment.objects.filter(pk=live.pk).update(**{f"billing_{k}": v for k, v in billing.items()})
                live.refresh_from_db()
            if coupon is not None:  # checked again just now: renew the hold (it may have lapsed)
                coupon_hold(coupon=coupon, payment=live)
            return live
        if live is not None:
            _supersede(live)
        attempt = Payment.objects.filter(enrollment=enrollment).count() + 1
        intent = gateway.intent_create(
            amount=price.amount,
            currency=price.currency,
            metadata={"enrollment": str(enrollment.pk), "user": str(user.pk), "course": str(course.pk)},
            idempotency_key=f"enrollment-{enrollment.pk}-attempt-{attempt}-{price.amount}",
        )
        payment = Payment.objects.create(
            user=user,
            enrollment=enrollment,
            stripe_payment_intent_id=intent["id"],
            client_secret=intent.get("client_secret") or "",
            currency=price.currency,
            list_price=price.list_price,
            coupon=coupon,
            discount=price.discount,
            amount=price.amount,
            status=_LIVE_FROM_STRIPE.get(intent.get("status"), PaymentStatus.REQUIRES_PAYMENT),
            **{f"billing_{key}": value for key, value in billing.items()},
        )
        if coupon is not None:
            coupon_hold(coupon=coupon, payment=payment)
    return payment


def _supersede(payment: Payment) -> None:
    """Cancel a live intent that is being replaced. If Stripe says it's already past cancelling
    (being paid right now), the student must wait for that payment's outcome."""
    try:
        intent = gateway.intent_cancel(payment.stripe_payment_intent_id)
    except gateway.ProviderError:
        intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
    if intent.get("status") != "canceled":
        raise ApplicationError(
            "A payment for this enrolment is being processed; wait for it to finish.",
            PaymentErrorCode.PAYMENT_IN_PROGRESS,
            status=409,
        )
    payment.status = PaymentStatus.CANCELED
    payment.save(update_fields=["status", "updated_at"])
    coupon_release(payment=payment)


# --------------------------------------------------------------------------------------------
# Applying what Stripe reports (webhooks and reconciliation)
# --------------------------------------------------------------------------------------------


def _locked_payment(intent_id: str) -> Payment | None:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("enrollment__course", "user", "coupon")
        .filter(stripe_payment_intent_id=intent_id)
        .first()
    )


def _charge_id(intent: dict) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id") or ""
    return charge or ""


def payment_apply_intent(intent: dict, *, failed: bool = False) -> str:
    """Bring the local payment in line with a PaymentIntent object (from an event or a fetch).
    Call inside a transaction. Returns what happened, for the event log."""
    payment = _locked_payment(intent["id"])
    if payment is None:
        return "unknown payment intent"
    status = intent.get("status")
    if status == "succeeded":
        return "succeeded" if _mark_succeeded(payment, charge_id=_charge_id(intent)) else "already succeeded"
    if payment.status not in LIVE_STATUSES and payment.status != PaymentStatus.FAILED:
        return f"kept {payment.status}"
    if status == "canceled":
        payment.status = PaymentStatus.CANCELED
        payment.save(update_fields=["status", "updated_at"])
        coupon_release(payment=payment)
        return "canceled"
    if failed or (status == "requires_payment_method" and intent.get("last_payment_error")):
        if payment.status == PaymentStatus.FAILED:
            return "already failed"
        error = intent.get("last_payment_error") or {}
        _mark_failed(payment, message=(error.get("message") or "The payment was declined.")[:500])
        return "failed"
    new_status = _LIVE_FROM_STRIPE.get(status)
    if new_status and new_status != payment.status and payment.status in LIVE_STATUSES:
        payment.status = new_status
        payment.save(update_fields=["status", "updated_at"])
    return f"live ({payment.status})"


def _mark_succeeded(payment: Payment, *, charge_id: str = "") -> bool:
    if payment.status in PAID_STATUSES:
        if charge_id and not payment.stripe_charge_id:
            Payment.objects.filter(pk=payment.pk).update(stripe_charge_id=charge_id)
        return False
    duplicate = (
        Payment.objects.filter(enrollment=payment.enrollment, status__in=PAID_STATUSES).exclude(pk=payment.pk).exists()
    )
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.failure_message = ""
    if charge_id:
        payment.stripe_charge_id = charge_id
    payment.save(update_fields=["status", "succeeded_at", "failure_message", "stripe_charge_id", "updated_at"])
    enrollment_activate(enrollment_id=payment.enrollment_id)
    coupon_redeem(payment=payment)
    invoice = invoice_issue(payment=payment)
    course = payment.enrollment.course
    email_send(
        to=payment.user.email,
        template="payment_receipt",
        context={
            "name": payment.user.get_short_name(),
            "course_title": course.title,
            "amount": _money(payment.amount, payment.currency),
            "invoice_number": invoice.number,
        },
        attachments=[("invoice_pdf", str(invoice.pk))],
    )
    audit_record(action="payment.succeeded", target=payment, details={"amount": payment.amount})
    others = list(
        Payment.objects.filter(enrollment=payment.enrollment, status__in=LIVE_STATUSES).values_list(
            "stripe_payment_intent_id", flat=True
        )
    )
    transaction.on_commit(lambda: _cancel_quietly(others))
    if duplicate:
        _notify_staff(
            payment,
            kind="duplicate_payment",
            title=f"Paid twice: {payment.user.email} for {course.title}",
            body=f"Payment {payment.stripe_payment_intent_id} arrived for an enrolment already paid; refund one.",
        )
    return True


def _money(paise: int, currency: str) -> str:
    return f"{currency} {paise / 100:,.2f}"


def _notify_staff(payment: Payment, *, kind: str, title: str, body: str) -> None:
    """A Notification for every founder and admin, linking to the payment in the admin."""
    staff_notification.send(
        sender=Payment,
        kind=kind,
        title=title[:200],
        body=body,
        link=reverse("admin:payments_payment_change", args=[payment.pk]),
    )


def _cancel_quietly(intent_ids: list[str]) -> None:
    for intent_id in intent_ids:
        try:
            with transaction.atomic():
                payment = _locked_payment(intent_id)
                if payment is not None and payment.status in LIVE_STATUSES:
                    _supersede(payment)
        except ApplicationError:
            logger.warning("Could not cancel superseded intent %s", intent_id)


def _mark_failed(payment: Payment, *, message: str) -> None:
    payment.status = PaymentStatus.FAILED
    payment.failure_message = message
    payment.save(update_fields=["status", "failure_message", "updated_at"])
    coupon_release(payment=payment)
    email_send(
        to=payment.user.email,
        template="payment_failed",
        context={
            "name": payment.user.get_short_name(),
            "course_title": payment.enrollment.course.title,
            "reason": message,
        },
    )
    _notify_staff(
        payment,
        kind="payment_failed",
        title=f"Payment failed: {payment.user.email} for {payment.enrollment.course.title}",
        body=f"{_money(payment.amount, payment.currency)}, intent {payment.stripe_payment_intent_id}: {message}",
    )


def payment_apply_charge(charge: dict) -> str:
    """charge.refunded: refunded amounts (a refund also proves the charge succeeded)."""
    intent_id = charge.get("payment_intent")
    payment = _locked_payment(intent_id) if intent_id else None
    if payment is None:
        return "unknown charge"
    if payment.status not in PAID_STATUSES and charge.get("paid", True):
        _mark_succeeded(payment, charge_id=charge.get("id", ""))
        payment.refresh_from_db()
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        _apply_refund_object(refund, payment=payment)
    _set_refunded_amount(payment, int(charge.get("amount_refunded") or 0))
    return f"refunded {payment.amount_refunded} of {payment.amount}"


def _refund_pk(metadata: dict) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(metadata.get("refund_id")))
    except ValueError:
        return None


def refund_apply(refund: dict) -> str:
    """refund.created / refund.updated (and Stripe's answer when we create one)."""
    metadata = refund.get("metadata") or {}
    local = Refund.objects.filter(Q(stripe_refund_id=refund["id"]) | Q(pk=_refund_pk(metadata))).first()
    payment_id = local.payment.stripe_payment_intent_id if local else refund.get("payment_intent")
    if not payment_id and refund.get("charge"):
        payment_id = (
            Payment.objects.filter(stripe_charge_id=refund["charge"])
            .values_list("stripe_payment_intent_id", flat=True)
            .first()
        )
    payment = _locked_payment(payment_id) if payment_id else None
    if payment is None:
        return "unknown refund"
    _apply_refund_object(refund, payment=payment)
    return f"refund {refund.get('status')}"


def _apply_refund_object(refund: dict, *, payment: Payment) -> None:
    metadata = refund.get("metadata") or {}
    local = (
        Refund.objects.select_for_update()
        .filter(Q(stripe_refund_id=refund["id"]) | Q(pk=_refund_pk(metadata)), payment=payment)
        .first()
    )
    if local is None:  # made outside this application (Stripe dashboard): record it
        local = Refund.objects.create(
            payment=payment,
            stripe_refund_id=refund["id"],
            amount=int(refund["amount"]),
            reason=metadata.get("reason") or "refunded in Stripe",
            status=RefundStatus.PENDING,
        )
    status = {
        "succeeded": RefundStatus.SUCCEEDED,
        "failed": RefundStatus.FAILED,
        "canceled": RefundStatus.CANCELED,
    }.get(refund.get("status"), RefundStatus.PENDING)
    changed = []
    if local.stripe_refund_id != refund["id"]:
        local.stripe_refund_id = refund["id"]
        changed.append("stripe_refund_id")
    if local.status != status and local.status == RefundStatus.PENDING:  # only pending moves on
        local.status = status
        local.failure_message = (refund.get("failure_reason") or "")[:500]
        changed += ["status", "failure_message"]
    if changed:
        local.save(update_fields=[*changed, "updated_at"])
    if "status" in changed and local.status == RefundStatus.SUCCEEDED:
        _notify_staff(
            payment,
            kind="refund",
            title=f"Refunded {_money(local.amount, payment.currency)} to {payment.user.email}",
            body=f"Payment {payment.stripe_payment_intent_id}: {local.reason}",
        )
    if local.status == RefundStatus.SUCCEEDED:
        credit_note_issue(refund=local)
        succeeded = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or 0
        _set_refunded_amount(payment, succeeded)


def _set_refunded_amount(payment: Payment, amount_refunded: int) -> None:
    """Refunded amounts only grow; a full refund ends the enrolment's access."""
    amount_refunded = min(amount_refunded, payment.amount)
    if amount_refunded <= payment.amount_refunded:
        return
    payment.amount_refunded = amount_refunded
    payment.status = PaymentStatus.REFUNDED if amount_refunded == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    if payment.status == PaymentStatus.REFUNDED:
        enrollment_mark_refunded(enrollment_id=payment.enrollment_id)


# --------------------------------------------------------------------------------------------
# Refunds asked by staff
# --------------------------------------------------------------------------------------------


def refund_request(*, actor: Any, payment_id: Any, amount: int | None, reason: str) -> Refund:
    """Full or partial refund. The amount is reserved under the payment's row lock before Stripe is
    asked, so two refunds asked at once can never exceed what was paid."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise NotFoundError("No such payment.")
        if payment.source == PaymentSource.LEGACY:
            raise ApplicationError(
                "This payment was taken by the old website outside Stripe; refund it the way it was paid.",
                PaymentErrorCode.NOT_REFUNDABLE,
            )
        if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
            raise ApplicationError(
                f"A {payment.status.replace('_', ' ')} payment can't be refunded.", PaymentErrorCode.NOT_REFUNDABLE
            )
        reserved = payment.refunds.filter(status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]).aggregate(
            s=Sum("amount")
        )["s"]
        refundable = payment.amount - max(reserved or 0, payment.amount_refunded)
        amount = refundable if amount is None else amount
        if amount <= 0 or amount > refundable:
            raise ApplicationError(
                f"At most {refundable} paise of this payment can still be refunded.",
                PaymentErrorCode.REFUND_EXCEEDS_PAID,
                fields={"amount": [f"At most {refundable}."]},
                extra={"refundable": refundable},
            )
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, requested_by=actor)
        audit_record(
            action="payment.refund_requested", actor=actor, target=payment, details={"amount": amount, "reason": reason}
        )
    try:
        answer = gateway.refund_create(
            payment_intent=payment.stripe_payment_intent_id,
            amount=amount,
            metadata={"refund_id": str(refund.pk), "reason": reason[:450]},
            idempotency_key=f"refund-{refund.pk}",
        )
    except gateway.ProviderError as exc:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, failure_message=exc.message[:500])
        raise
    with transaction.atomic():
        payment = _locked_payment(payment.stripe_payment_intent_id)
        _apply_refund_object(answer, payment=payment)
    refund.refresh_from_db()
    return refund


def invoice_resend(*, invoice: Invoice, actor: Any) -> None:
    """E-mail a copy of an invoice or credit note (PDF attached) to its buyer again; audited."""
    email_send(
        to=invoice.buyer_email,
        template="invoice_copy",
        context={
            "name": invoice.buyer_name,
            "document": invoice.get_kind_display().lower(),
            "number": invoice.number,
            "issued": f"{invoice.issued_at:%d %b %Y}",
            "total": _money(invoice.total, invoice.currency),
        },
        attachments=[("invoice_pdf", str(invoice.pk))],
    )
    audit_record(action="invoice.resent", actor=actor, target=invoice, details={"to": invoice.buyer_email})


# --------------------------------------------------------------------------------------------
# Reconciliation
# --------------------------------------------------------------------------------------------

# An unpaid intent older than this is cancelled, releasing any coupon it held.
ABANDON_AFTER = timedelta(days=1)


def payments_reconcile(*, older_than_minutes: int | None = None, limit: int = 200) -> dict[str, int]:
    """Repair local payments still live after a while (their webhook never came): fetch each
    intent from Stripe and apply it; cancel ones abandoned for a day."""
    minutes = settings.PAYMENT_RECONCILE_AFTER_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    outcomes: dict[str, int] = {}
    stale = Payment.objects.filter(status__in=LIVE_STATUSES, updated_at__lte=cutoff).order_by("updated_at")[:limit]
    for payment in stale:
        try:
            intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
            with transaction.atomic():
                outcome = payment_apply_intent(intent)
                locked = _locked_payment(payment.stripe_payment_intent_id)
                if locked.status in LIVE_STATUSES and locked.created_at < timezone.now() - ABANDON_AFTER:
                    _supersede(locked)
                    outcome = "abandoned"
        except ApplicationError as exc:
            logger.warning("Reconciling %s failed: %s", payment.stripe_payment_intent_id, exc.message)
            outcome = "error"
        key = outcome.split(" ")[0]
        outcomes[key] = outcomes.get(key, 0) + 1
    return outcomes


# --------------------------------------------------------------------------------------------
# Legacy payments (the Node.js backend's paid registrations)
# --------------------------------------------------------------------------------------------


def legacy_payment_record(*, enrollment_request: Any, amount_rupees: int, paid_at: Any) -> Payment | None:
    """Record money the old backend took outside Stripe for an enrolment request, once per request.

    No Stripe id, no invoice, no e-mail: it only lets revenue figures include it, apart from
    Stripe's (`selectors.revenue_summary`). Nothing to record for a free registration.
    """
    if amount_rupees <= 0:
        return None
    existing = Payment.objects.filter(enrollment_request=enrollment_request).first()
    if existing is not None:
        return existing
    amount = amount_rupees * 100
    payment = Payment.objects.create(
        source=PaymentSource.LEGACY,
        enrollment_request=enrollment_request,
        user=enrollment_request.user,
        enrollment=enrollment_request.enrollment,
        stripe_payment_intent_id=None,
        currency=settings.COURSE_CURRENCY,
        list_price=amount,
        amount=amount,
        status=PaymentStatus.SUCCEEDED,
        billing_name=enrollment_request.full_name[:300],
        succeeded_at=paid_at,
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=paid_at)
    return payment


def on_enrollment_request_converted(sender: Any, enrollment_request: Any, **kwargs: Any) -> None:
    """A converted request's legacy payment now belongs to the new account and enrolment."""
    Payment.objects.filter(enrollment_request=enrollment_request, source=PaymentSource.LEGACY).update(
        user=enrollment_request.user, enrollment=enrollment_request.enrollment, updated_at=timezone.now()
    )
