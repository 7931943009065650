"""Coupons: validity, and the hold/redeem/release of a redemption around a payment."""

from typing import Any

from django.db.models import Q
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.courses.models import Course

from .error_codes import PaymentErrorCode
from .models import Coupon, CouponRedemption, Payment, RedemptionStatus

ACTIVE = (RedemptionStatus.HELD, RedemptionStatus.REDEEMED)


def _invalid(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code, fields={"coupon": [message]})


def coupon_lock_and_check(*, code: str, user: Any, course: Course, replacing: Payment | None = None) -> Coupon:
    """The coupon, row-locked (call inside a transaction), if `user` may use it on `course` now.
    `replacing`: the caller's own live payment being replaced, whose hold doesn't count."""
    coupon = Coupon.objects.select_for_update().filter(code=code.strip().upper()).first()
    if coupon is None or not coupon.is_active:
        raise _invalid("This coupon code doesn't exist.", PaymentErrorCode.COUPON_INVALID)
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


def coupon_hold(*, coupon: Coupon, payment: Payment) -> CouponRedemption:
    return CouponRedemption.objects.create(coupon=coupon, user=payment.user, payment=payment)


def coupon_redeem(*, payment: Payment) -> None:
    """The payment succeeded: its redemption counts (also if it had been released meanwhile: the
    student paid the discounted price, so the discount was given)."""
    if payment.coupon_id is None:
        return
    # A hold for another (unpaid) attempt by the same student gives way to the paid one.
    CouponRedemption.objects.filter(
        coupon_id=payment.coupon_id, user=payment.user, status=RedemptionStatus.HELD
    ).exclude(payment=payment).update(status=RedemptionStatus.RELEASED)
    updated = CouponRedemption.objects.filter(payment=payment).update(status=RedemptionStatus.REDEEMED)
    if not updated:
        CouponRedemption.objects.create(
            coupon_id=payment.coupon_id, user=payment.user, payment=payment, status=RedemptionStatus.REDEEMED
        )


def coupon_release(*, payment: Payment) -> None:
    CouponRedemption.objects.filter(payment=payment, status=RedemptionStatus.HELD).update(
        status=RedemptionStatus.RELEASED
    )


def coupon_redemption_count(coupon: Coupon) -> int:
    return CouponRedemption.objects.filter(Q(coupon=coupon), status=RedemptionStatus.REDEEMED).count()
