"""Coupons: validity, and the hold/redeem/release of a redemption around a payment.

Creating an intent with a coupon *holds* one redemption (under the coupon's row lock), so two
students can't both be offered the last one. A hold lasts COUPON_HOLD_MINUTES: after that it is
released the next time anyone checks the coupon, so an abandoned checkout doesn't block the
last redemption. A redemption is counted when its payment succeeds; a payment that succeeds
after its hold lapsed is counted only if the coupon still has room, otherwise it is recorded
for staff (the student paid the discounted price and is not charged again).
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.errors import ApplicationError
from apps.core.signals import staff_notification
from apps.courses.models import Course

from .error_codes import PaymentErrorCode
from .models import Coupon, CouponRedemption, Payment, RedemptionStatus

logger = logging.getLogger(__name__)

ACTIVE = (RedemptionStatus.HELD, RedemptionStatus.REDEEMED)


def _invalid(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code, fields={"coupon": [message]})


def coupon_lock_and_check(*, code: str, user: Any, course: Course, replacing: Payment | None = None) -> Coupon:
    """The coupon, row-locked (call inside a transaction), if `user` may use it on `course` now.
    `replacing`: the caller's own live payment being replaced, whose hold doesn't count."""
    coupon = Coupon.objects.select_for_update().filter(code=code.strip().upper()).first()
    if coupon is None or not coupon.is_active:
        raise _invalid("This coupon code doesn't exist.", PaymentErrorCode.COUPON_INVALID)
    coupon_expire_holds(coupon=coupon)
    now = timezone.now()
    if coupon.valid_from and now < coupon.valid_from:
        raise _invalid("This coupon is not valid yet.", PaymentErrorCode.COUPON_NOT_STARTED)
    if coupon.valid_until and now > coupon.valid_until:
        raise _invalid("This coupon has expired.", PaymentErrorCode.COUPON_EXPIRED)
    if coupon.courses.exists() and not coupon.courses.filter(pk=course.pk).exists():
        raise _invalid("This coupon can't be used for this course.", PaymentErrorCode.COUPON_NOT_FOR_COURSE)
    uses = CouponRedemption.objects.filter(coupon=coupon, status__in=ACTIVE)
    if replacing is not None:
        uses = uses.exclude(payment=replacing)
    if uses.filter(user=user).exists():
        raise _invalid("You have already used this coupon.", PaymentErrorCode.COUPON_ALREADY_USED)
    if coupon.max_redemptions is not None and uses.count() >= coupon.max_redemptions:
        raise _invalid("This coupon has been used up.", PaymentErrorCode.COUPON_EXHAUSTED)
    return coupon


def coupon_expire_holds(*, coupon: Coupon) -> int:
    """Release the coupon's holds older than COUPON_HOLD_MINUTES (call under the coupon's row
    lock). A hold's age counts from when it was taken or last renewed (updated_at)."""
    now = timezone.now()
    return CouponRedemption.objects.filter(
        coupon=coupon,
        status=RedemptionStatus.HELD,
        updated_at__lt=now - timedelta(minutes=settings.COUPON_HOLD_MINUTES),
    ).update(status=RedemptionStatus.RELEASED, updated_at=now)


def coupon_hold(*, coupon: Coupon, payment: Payment) -> CouponRedemption:
    """Hold a redemption for `payment` (call after coupon_lock_and_check, under its lock); a
    payment whose hold lapsed or was released holds again, for a fresh COUPON_HOLD_MINUTES."""
    redemption, _ = CouponRedemption.objects.update_or_create(
        payment=payment, defaults={"coupon": coupon, "user": payment.user, "status": RedemptionStatus.HELD}
    )
    return redemption


def coupon_redeem(*, payment: Payment) -> None:
    """The payment succeeded: count its redemption. Within its hold, the redemption was
    reserved. Past it (or released), it is counted only if the coupon still has room and the
    student hasn't used it already; otherwise the discount was given beyond the coupon's limit:
    recorded (audit row, warning, staff notification) and not counted."""
    if payment.coupon_id is None:
        return
    coupon = Coupon.objects.select_for_update().get(pk=payment.coupon_id)
    # A hold for another (unpaid) attempt by the same student gives way to the paid one.
    CouponRedemption.objects.filter(coupon=coupon, user=payment.user, status=RedemptionStatus.HELD).exclude(
        payment=payment
    ).update(status=RedemptionStatus.RELEASED)
    coupon_expire_holds(coupon=coupon)
    own = CouponRedemption.objects.filter(payment=payment).first()
    if own is not None and own.status == RedemptionStatus.REDEEMED:
        return
    if own is not None and own.status == RedemptionStatus.HELD:
        CouponRedemption.objects.filter(pk=own.pk).update(status=RedemptionStatus.REDEEMED, updated_at=timezone.now())
        return
    others = CouponRedemption.objects.filter(coupon=coupon, status__in=ACTIVE).exclude(payment=payment)
    if others.filter(user=payment.user).exists():
        _record_beyond_limit(payment=payment, coupon=coupon, reason="the student had already used this coupon")
        return
    if coupon.max_redemptions is not None and others.count() >= coupon.max_redemptions:
        _record_beyond_limit(payment=payment, coupon=coupon, reason="its redemptions were used up meanwhile")
        return
    CouponRedemption.objects.update_or_create(
        payment=payment, defaults={"coupon": coupon, "user": payment.user, "status": RedemptionStatus.REDEEMED}
    )


def _record_beyond_limit(*, payment: Payment, coupon: Coupon, reason: str) -> None:
    logger.warning(
        "Payment %s succeeded with coupon %s after its hold lapsed, and %s: discount of %s paise given, not counted",
        payment.pk,
        coupon.code,
        reason,
        payment.discount,
        extra={"payment": str(payment.pk), "coupon": coupon.code},
    )
    audit_record(
        action="coupon.used_beyond_limit",
        target=payment,
        details={"coupon": coupon.code, "discount": payment.discount, "reason": reason},
    )
    staff_notification.send(
        sender=Coupon,
        kind="coupon_used_beyond_limit",
        title=f"Coupon {coupon.code} was used beyond its limit",
        body=(
            f"Payment {payment.stripe_payment_intent_id} was paid at the discounted price after its coupon hold "
            f"lapsed, and {reason}. The student keeps the discount; the redemption is not counted."
        ),
        link=reverse("admin:payments_payment_change", args=[payment.pk]),
    )


def coupon_release(*, payment: Payment) -> None:
    CouponRedemption.objects.filter(payment=payment, status=RedemptionStatus.HELD).update(
        status=RedemptionStatus.RELEASED
    )


def coupon_redemption_count(coupon: Coupon) -> int:
    return CouponRedemption.objects.filter(Q(coupon=coupon), status=RedemptionStatus.REDEEMED).count()
