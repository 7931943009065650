"""Payments and invoices built directly in the database, for tests that don't need Stripe."""

import uuid
from decimal import Decimal

from apps.courses.models import EnrollmentStatus
from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
from apps.payments.invoices import invoice_issue
from apps.payments.models import Invoice, Payment, PaymentStatus


def payment_for(user, *, course=None, status: str = PaymentStatus.SUCCEEDED, **fields) -> Payment:
    """A payment of `user` for `course` (a new paid course by default), with its enrolment."""
    course = course or CourseFactory(price=Decimal("999.00"), is_published=True)
    paid = status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
    enrollment = EnrollmentFactory(
        user=user, course=course, status=EnrollmentStatus.ACTIVE if paid else EnrollmentStatus.PENDING_PAYMENT
    )
    price = int(course.price * 100)
    defaults = {
        "list_price": price,
        "amount": price,
        "currency": course.currency,
        "stripe_payment_intent_id": f"pi_test_{uuid.uuid4().hex[:20]}",
    }
    return Payment.objects.create(user=user, enrollment=enrollment, status=status, **{**defaults, **fields})


def invoiced_payment(user, **kwargs) -> tuple[Payment, Invoice]:
    payment = payment_for(user, **kwargs)
    return payment, invoice_issue(payment=payment)
