"""End to end with the real Stripe SDK over HTTP against localstripe: enrol in a paid course,
create the intent, confirm it at localstripe, and let localstripe's signed webhook reach the app."""

import time

import pytest

from apps.core.models import OutboundEmail
from apps.courses.models import Enrollment, EnrollmentStatus
from apps.payments.models import Invoice, Payment, PaymentStatus
from tests.clients import role_client
from tests.localstripe import pay, register_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_paid_enrolment_end_to_end(live_server, localstripe_url, stripe_settings, paid_course, mailoutbox):
    register_webhook(
        localstripe_url, url=f"{live_server.url}/api/v1/payments/webhook/", secret=stripe_settings.STRIPE_WEBHOOK_SECRET
    )
    try:
        student = role_client("student")
        enrolment = student.post("/api/v1/courses/enrollments/", {"course": str(paid_course.pk)}, format="json")
        assert enrolment.status_code == 201 and enrolment.json()["status"] == "pending_payment"
        intent = student.post(
            "/api/v1/payments/create_payment_intent/", {"enrollment": enrolment.json()["id"]}, format="json"
        )
        assert intent.status_code == 201, intent.content
        confirmed = pay(intent.json()["payment_intent_id"])
        assert confirmed["status"] == "succeeded"

        deadline = time.monotonic() + 20  # localstripe delivers webhooks after a second
        payment = Payment.objects.get(stripe_payment_intent_id=intent.json()["payment_intent_id"])
        while payment.status != PaymentStatus.SUCCEEDED and time.monotonic() < deadline:
            time.sleep(0.2)
            payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED, "the webhook did not arrive"
        assert Enrollment.objects.get(pk=enrolment.json()["id"]).status == EnrollmentStatus.ACTIVE
        invoice = Invoice.objects.get(payment=payment, kind="invoice")
        assert invoice.total == payment.amount == 499900 and invoice.cgst_amount + invoice.sgst_amount == 76256
        receipt = OutboundEmail.objects.get(template="payment_receipt", to=student.user.email)
        assert receipt.attachments == [{"kind": "invoice_pdf", "ref": str(invoice.pk)}]
        deadline = time.monotonic() + 10
        while not any("Payment received" in m.subject for m in mailoutbox) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any(m.attachments and "Payment received" in m.subject for m in mailoutbox)
        history = student.get("/api/v1/payments/payments/").json()["results"]
        assert history[0]["status"] == "succeeded"
    finally:  # later tests' payments must not be delivered to a server that is gone
        register_webhook(localstripe_url, url="http://127.0.0.1:9/", secret="unused")
