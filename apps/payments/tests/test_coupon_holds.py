"""A coupon redemption is held for COUPON_HOLD_MINUTES while a student checks out; a lapsed hold
frees the coupon, and a payment that succeeds after its hold lapsed is counted only if there is
still room (otherwise recorded for staff, the student keeping the discount they paid)."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.admin_panel.models import Notification
from apps.core.errors import ApplicationError
from apps.core.models import AuditLog
from apps.courses.models import Enrollment, EnrollmentStatus
from apps.courses.tests.factories import CourseFactory
from apps.payments import services
from apps.payments.coupons import coupon_redemption_count
from apps.payments.models import Coupon, CouponRedemption, PaymentStatus, RedemptionStatus
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_one(db):
    return Coupon.objects.create(code="LAST1", kind="percent", percent_off=50, max_redemptions=1)


@pytest.fixture
def course(db):
    return CourseFactory(price=Decimal("2000.00"))


def _student():
    return UserFactory(email_verified=True)


def _intent(student, course, code="last1"):
    return services.payment_intent_create(user=student, course_id=course.pk, coupon_code=code)


def _lapse(payment, minutes=31):
    CouponRedemption.objects.filter(payment=payment).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def _succeed(payment):
    with transaction.atomic():
        services.payment_apply_intent({"id": payment.stripe_payment_intent_id, "status": "succeeded"})
    payment.refresh_from_db()
    return payment


def test_a_fresh_hold_blocks_the_last_redemption(stripe_settings, last_one, course):
    _intent(_student(), course)
    with pytest.raises(ApplicationError) as exc:
        _intent(_student(), course)
    assert exc.value.code == "coupon_exhausted"


def test_a_lapsed_hold_frees_the_last_redemption(stripe_settings, settings, last_one, course):
    settings.COUPON_HOLD_MINUTES = 30
    abandoned = _intent(_student(), course)
    _lapse(abandoned, minutes=31)
    taken = _intent(_student(), course)
    assert taken.amount == 100000 and taken.coupon == last_one
    assert CouponRedemption.objects.get(payment=abandoned).status == RedemptionStatus.RELEASED
    assert CouponRedemption.objects.get(payment=taken).status == RedemptionStatus.HELD


def test_a_hold_younger_than_the_setting_still_counts(stripe_settings, settings, last_one, course):
    settings.COUPON_HOLD_MINUTES = 30
    _lapse(_intent(_student(), course), minutes=29)
    with pytest.raises(ApplicationError):
        _intent(_student(), course)


def test_asking_again_renews_the_hold(stripe_settings, last_one, course):
    student = _student()
    first = _intent(student, course)
    _lapse(first)
    again = _intent(student, course)
    assert again.pk == first.pk
    hold = CouponRedemption.objects.get(payment=first)
    assert hold.status == RedemptionStatus.HELD and hold.updated_at > timezone.now() - timedelta(minutes=1)
    with pytest.raises(ApplicationError):
        _intent(_student(), course)


def test_paying_within_the_hold_counts_the_redemption(stripe_settings, last_one, course):
    payment = _succeed(_intent(_student(), course))
    assert payment.status == PaymentStatus.SUCCEEDED
    assert coupon_redemption_count(last_one) == 1


def test_paying_after_the_hold_lapsed_counts_it_when_there_is_still_room(stripe_settings, last_one, course):
    payment = _intent(_student(), course)
    _lapse(payment)
    _succeed(payment)
    assert CouponRedemption.objects.get(payment=payment).status == RedemptionStatus.REDEEMED
    assert coupon_redemption_count(last_one) == 1
    assert not AuditLog.objects.filter(action="coupon.used_beyond_limit").exists()


def test_paying_after_the_hold_lapsed_and_the_coupon_was_taken_is_recorded_not_counted(
    stripe_settings, last_one, course, caplog
):
    UserFactory(user_type="founder")  # receives the staff notification
    late_student = _student()
    late = _intent(late_student, course)
    _lapse(late)
    other = _intent(_student(), course)  # takes the freed redemption
    with caplog.at_level(logging.WARNING, logger="apps.payments.coupons"):
        late = _succeed(late)
    # The student paid the discounted price: the payment stands, the enrolment is active.
    assert late.status == PaymentStatus.SUCCEEDED and late.amount == 100000 and late.discount == 100000
    assert Enrollment.objects.get(pk=late.enrollment_id).status == EnrollmentStatus.ACTIVE
    # ...but the coupon's limit holds, and staff are told.
    assert CouponRedemption.objects.get(payment=late).status == RedemptionStatus.RELEASED
    entry = AuditLog.objects.get(action="coupon.used_beyond_limit", target_id=str(late.pk))
    assert entry.details["coupon"] == "LAST1" and entry.details["discount"] == 100000
    assert Notification.objects.filter(kind="coupon_used_beyond_limit", title__contains="LAST1").count() == 1
    assert any("used up" in r.getMessage() for r in caplog.records)
    # The student who holds the redemption now pays and is counted.
    _succeed(other)
    assert coupon_redemption_count(last_one) == 1
    assert CouponRedemption.objects.get(payment=other).status == RedemptionStatus.REDEEMED


def test_a_repeated_success_event_counts_once(stripe_settings, last_one, course):
    payment = _succeed(_intent(_student(), course))
    _succeed(payment)
    assert coupon_redemption_count(last_one) == 1
    assert not AuditLog.objects.filter(action="coupon.used_beyond_limit").exists()
