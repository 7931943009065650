"""Payments under concurrency, on PostgreSQL (row locks and unique constraints do the work):
duplicate events, invoice numbers, refunds and a coupon's last redemption."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from apps.core.errors import ApplicationError
from apps.core.models import OutboundEmail
from apps.courses.models import Enrollment, EnrollmentStatus
from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
from apps.payments import services
from apps.payments.invoices import invoice_issue
from apps.payments.models import Coupon, Invoice, Payment, PaymentStatus, Refund, RefundStatus, StripeEvent
from apps.users.tests.factories import UserFactory
from tests.localstripe import pay, post_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); CI always runs it")


def race(n: int, fn: Callable[[int], object]) -> list[object]:
    """Run fn(0..n-1) in n threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(n)

    def run(i: int):
        try:
            barrier.wait()
            return fn(i)
        except Exception as exc:
            return exc
        finally:
            connections.close_all()  # the SystemLog alias too, when the thread logged a warning

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _payment(amount: int = 499900, intent: str = "pi_concurrency") -> Payment:
    course = CourseFactory(price=Decimal(amount) / 100)
    enrollment = EnrollmentFactory(course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    return Payment.objects.create(
        user=enrollment.user,
        enrollment=enrollment,
        stripe_payment_intent_id=intent,
        currency="INR",
        list_price=amount,
        amount=amount,
    )


def test_the_same_event_delivered_concurrently_changes_state_once_and_sends_one_email(stripe_settings):
    payment = _payment()
    intent = {"id": payment.stripe_payment_intent_id, "object": "payment_intent", "status": "succeeded"}
    # Four deliveries at once: two copies of one event, two of another event reporting the same success.
    results = race(4, lambda i: post_event(APIClient(), "payment_intent.succeeded", intent, event_id=f"evt_{i % 2}"))
    assert [r.status_code for r in results] == [200, 200, 200, 200], results
    assert StripeEvent.objects.count() == 2
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Invoice.objects.filter(payment=payment).count() == 1
    assert OutboundEmail.objects.filter(template="payment_receipt").count() == 1
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.ACTIVE


def test_twenty_invoices_issued_in_parallel_get_twenty_consecutive_numbers(settings):
    payments = [_payment(intent=f"pi_invoice_{i}") for i in range(20)]
    Payment.objects.update(status=PaymentStatus.SUCCEEDED)

    def issue(i: int) -> str:
        with transaction.atomic():
            return invoice_issue(
                payment=Payment.objects.select_related("enrollment__course", "user").get(pk=payments[i].pk)
            ).number

    numbers = race(20, issue)
    assert all(isinstance(n, str) for n in numbers), numbers
    sequences = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert sequences == list(range(1, 21))


def test_two_concurrent_partial_refunds_cannot_exceed_the_amount_paid(stripe_settings):
    student = UserFactory(email_verified=True)
    course = CourseFactory(price=Decimal("1000.00"))
    payment = services.payment_intent_create(user=student, course_id=course.pk)
    intent = pay(payment.stripe_payment_intent_id)
    with transaction.atomic():
        services.payment_apply_intent(intent)
    founder = UserFactory(user_type="founder")

    results = race(
        2, lambda i: services.refund_request(actor=founder, payment_id=payment.pk, amount=60000, reason=f"r{i}")
    )
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(refused) == 1 and refused[0].code == "refund_exceeds_paid", results
    payment.refresh_from_db()
    refunded = sum(
        Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).values_list("amount", flat=True)
    )
    assert refunded == payment.amount_refunded == 60000 <= payment.amount


def test_two_students_racing_for_a_coupons_last_redemption(stripe_settings):
    course = CourseFactory(price=Decimal("2000.00"))
    Coupon.objects.create(code="LAST1", kind="percent", percent_off=50, max_redemptions=1)
    students = [UserFactory(email_verified=True) for _ in range(2)]

    results = race(
        2, lambda i: services.payment_intent_create(user=students[i], course_id=course.pk, coupon_code="last1")
    )
    won = [r for r in results if isinstance(r, Payment)]
    lost = [r for r in results if isinstance(r, ApplicationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code == "coupon_exhausted"
    assert won[0].amount == 100000 and Payment.objects.count() == 1


def test_two_students_who_both_got_an_intent_for_the_last_redemption_and_both_pay(stripe_settings, settings):
    """Both checkouts got the discount (the first one's hold lapsed before the second asked), and
    both payments succeed at the same moment: the coupon's limit still counts one redemption; the
    other is recorded for staff and the student keeps what they paid."""
    from apps.core.models import AuditLog
    from apps.payments.coupons import coupon_redemption_count
    from apps.payments.models import CouponRedemption, RedemptionStatus

    settings.COUPON_HOLD_MINUTES = 0  # every hold lapses at once
    course = CourseFactory(price=Decimal("2000.00"))
    coupon = Coupon.objects.create(code="LAST1", kind="percent", percent_off=50, max_redemptions=1)
    UserFactory(user_type="founder")
    students = [UserFactory(email_verified=True) for _ in range(2)]
    payments = [
        services.payment_intent_create(user=student, course_id=course.pk, coupon_code="last1") for student in students
    ]
    assert [p.amount for p in payments] == [100000, 100000]
    intents = [pay(p.stripe_payment_intent_id) for p in payments]

    results = race(2, lambda i: post_event(APIClient(), "payment_intent.succeeded", intents[i]))
    assert [r.status_code for r in results] == [200, 200], results
    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert coupon_redemption_count(coupon) == 1
    assert CouponRedemption.objects.filter(coupon=coupon, status=RedemptionStatus.REDEEMED).count() == 1
    assert AuditLog.objects.filter(action="coupon.used_beyond_limit").count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_lapsed_hold_lets_another_student_take_the_last_redemption(stripe_settings):
    from datetime import timedelta

    from django.utils import timezone

    from apps.payments.models import CouponRedemption

    course = CourseFactory(price=Decimal("2000.00"))
    Coupon.objects.create(code="LAST1", kind="percent", percent_off=50, max_redemptions=1)
    abandoned = services.payment_intent_create(
        user=UserFactory(email_verified=True), course_id=course.pk, coupon_code="last1"
    )
    CouponRedemption.objects.filter(payment=abandoned).update(updated_at=timezone.now() - timedelta(hours=1))
    students = [UserFactory(email_verified=True) for _ in range(2)]
    results = race(
        2, lambda i: services.payment_intent_create(user=students[i], course_id=course.pk, coupon_code="last1")
    )
    won = [r for r in results if isinstance(r, Payment)]
    lost = [r for r in results if isinstance(r, ApplicationError)]
    assert len(won) == 1 and len(lost) == 1 and lost[0].code == "coupon_exhausted", results
