"""The Stripe webhook: signatures, exactly-once storage and processing, handlers, event order."""

import json
import time

import pytest

from apps.admin_panel.models import Notification
from apps.core.models import OutboundEmail
from apps.courses.models import Enrollment, EnrollmentStatus
from apps.payments import gateway
from apps.payments.models import Invoice, Payment, PaymentStatus, Refund, StripeEvent
from apps.users.models import UserType
from apps.users.tests.factories import UserFactory
from tests.localstripe import event_body, pay, sign

from .conftest import SECRET, WEBHOOK, post_event

pytestmark = pytest.mark.django_db
INTENT = "/api/v1/payments/create_payment_intent/"


@pytest.fixture
def payment(student_client, stripe_settings, paid_course):
    body = student_client.post(INTENT, {"course": str(paid_course.pk)}, format="json").json()
    return Payment.objects.get(stripe_payment_intent_id=body["payment_intent_id"])


def paid_intent(payment) -> dict:
    return pay(payment.stripe_payment_intent_id)


def test_succeeded_event_activates_invoices_and_emails_the_receipt(api_client, payment, run_on_commit, mailoutbox):
    intent = paid_intent(payment)
    with run_on_commit():
        response = post_event(api_client, "payment_intent.succeeded", intent)
    assert response.status_code == 200 and response.json()["received"] is True
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.stripe_charge_id.startswith("ch_")
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    invoice = Invoice.objects.get(payment=payment, kind="invoice")
    assert invoice.total == 499900 and invoice.number.startswith("TNB/20")
    receipt = next(m for m in mailoutbox if "Payment received" in m.subject)
    assert receipt.to == [payment.user.email]
    (name, content, mimetype) = receipt.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF") and invoice.number.replace("/", "-") in name
    event = StripeEvent.objects.get()
    assert event.status == "processed" and event.attempts == 1 and event.processed_at


def test_duplicate_event_is_stored_and_processed_once(api_client, payment, run_on_commit, mailoutbox):
    intent = paid_intent(payment)
    for _ in range(3):
        with run_on_commit():
            assert post_event(api_client, "payment_intent.succeeded", intent, event_id="evt_same").status_code == 200
    assert StripeEvent.objects.count() == 1 and StripeEvent.objects.get().attempts == 1
    assert Invoice.objects.count() == 1
    assert OutboundEmail.objects.filter(template="payment_receipt").count() == 1


def test_the_same_success_in_two_different_events_changes_state_once(api_client, payment, run_on_commit):
    intent = paid_intent(payment)
    with run_on_commit():
        post_event(api_client, "payment_intent.succeeded", intent, event_id="evt_1")
        post_event(api_client, "payment_intent.succeeded", intent, event_id="evt_2")
    assert Invoice.objects.count() == 1
    assert OutboundEmail.objects.filter(template="payment_receipt").count() == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body, headers: (body.replace(b'"succeeded"', b'"canceled"'), headers),  # tampered body
        lambda body, headers: (body, {}),  # no signature
        lambda body, headers: (body, {"HTTP_STRIPE_SIGNATURE": sign(body, "whsec_wrong")}),
        lambda body, headers: (body, {"HTTP_STRIPE_SIGNATURE": sign(body, SECRET, int(time.time()) - 301)}),  # stale
        lambda body, headers: (b"not json", {"HTTP_STRIPE_SIGNATURE": sign(b"not json", SECRET)}),
    ],
    ids=["tampered", "missing", "wrong-secret", "stale", "not-json"],
)
def test_bad_signature_or_body_is_400_and_nothing_is_written(api_client, payment, mangle):
    body = event_body("payment_intent.succeeded", {"id": payment.stripe_payment_intent_id, "status": "succeeded"})
    body, headers = mangle(body, {"HTTP_STRIPE_SIGNATURE": sign(body, SECRET)})
    response = api_client.post(WEBHOOK, data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_signature", "invalid_payload")
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT


def test_unknown_event_types_are_stored_and_ignored(api_client, stripe_settings):
    response = post_event(api_client, "customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == "ignored"


def test_failed_payment_is_recorded_and_the_student_told(api_client, payment, run_on_commit, mailoutbox):
    founder = UserFactory(user_type=UserType.FOUNDER)
    intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
    intent["last_payment_error"] = {"message": "Your card was declined."}
    with run_on_commit():
        post_event(api_client, "payment_intent.payment_failed", intent)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.failure_message == "Your card was declined."
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.PENDING_PAYMENT
    assert any("did not go through" in m.subject for m in mailoutbox)
    assert Notification.objects.filter(recipient=founder, kind="payment_failed").count() == 1


def test_a_late_failure_does_not_undo_a_success(api_client, payment, run_on_commit):
    intent = paid_intent(payment)
    with run_on_commit():
        post_event(api_client, "payment_intent.succeeded", intent)
        post_event(api_client, "payment_intent.payment_failed", {**intent, "status": "requires_payment_method"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_refund_before_success_ends_refunded(api_client, payment, run_on_commit):
    """charge.refunded arriving before payment_intent.succeeded: the final state is right anyway."""
    intent = paid_intent(payment)
    charge = dict(intent["latest_charge"])
    charge.update(amount_refunded=payment.amount, refunded=True)
    charge["refunds"] = {"data": [{"id": "re_1", "amount": payment.amount, "status": "succeeded", "metadata": {}}]}
    with run_on_commit():
        post_event(api_client, "charge.refunded", charge)
        post_event(api_client, "payment_intent.succeeded", intent)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.amount_refunded == payment.amount
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.REFUNDED
    assert Invoice.objects.filter(kind="invoice").count() == 1
    assert Invoice.objects.filter(kind="credit_note", refund__stripe_refund_id="re_1").count() == 1


def test_a_failing_handler_is_recorded_and_retried(api_client, payment, run_on_commit, monkeypatch):
    from apps.payments import events
    from apps.payments.tasks import process_stripe_event_task

    intent = paid_intent(payment)

    def boom(obj):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(events.HANDLERS, "payment_intent.succeeded", boom)
    with run_on_commit():
        post_event(api_client, "payment_intent.succeeded", intent)
    event = StripeEvent.objects.get()
    assert event.status == "failed" and "database hiccup" in event.error and event.attempts == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT  # nothing half-applied
    monkeypatch.undo()
    with run_on_commit():
        assert process_stripe_event_task.delay(event_id=event.pk).get() == "processed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert StripeEvent.objects.get().attempts == 2


def test_refund_updated_event_updates_the_refund(api_client, payment, run_on_commit, founder_client):
    intent = paid_intent(payment)
    with run_on_commit():
        post_event(api_client, "payment_intent.succeeded", intent)
    refund = Refund.objects.create(payment=payment, amount=1000, reason="test", stripe_refund_id="re_pending")
    with run_on_commit():
        post_event(
            api_client,
            "refund.updated",
            {
                "id": "re_pending",
                "object": "refund",
                "amount": 1000,
                "status": "succeeded",
                "payment_intent": intent["id"],
                "metadata": {},
            },
        )
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == "succeeded" and payment.amount_refunded == 1000
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert Invoice.objects.filter(kind="credit_note", refund=refund).exists()


def test_event_payload_is_kept(api_client, stripe_settings):
    post_event(api_client, "customer.created", {"id": "cus_2", "object": "customer", "email": "x@example.com"})
    stored = StripeEvent.objects.get()
    assert stored.payload["data"]["object"]["id"] == "cus_2" and json.dumps(stored.payload)
