"""Refunds and invoice copies from the Django admin go through the payments service."""

import pytest

from apps.core.models import AuditLog
from apps.payments.models import Invoice, PaymentStatus, Refund
from apps.users.models import UserType
from apps.users.tests.factories import UserFactory

from .test_refunds_invoices import paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client):
    staff = UserFactory(user_type=UserType.FOUNDER)
    client.force_login(staff)
    client.user = staff
    return client


def test_refund_page_refunds_through_the_service(
    admin_browser, student_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    change = admin_browser.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert change.status_code == 200 and f"/admin/payments/payment/{payment.pk}/refund/" in change.content.decode()
    page = admin_browser.get(f"/admin/payments/payment/{payment.pk}/refund/")
    assert page.status_code == 200 and b"Refund at Stripe" in page.content

    too_much = admin_browser.post(
        f"/admin/payments/payment/{payment.pk}/refund/", {"amount": payment.amount + 1, "reason": "no"}
    )
    assert too_much.status_code == 200 and b"can still be refunded" in too_much.content
    assert not Refund.objects.exists()

    with run_on_commit():
        done = admin_browser.post(
            f"/admin/payments/payment/{payment.pk}/refund/", {"amount": 1000, "reason": "goodwill"}
        )
    assert done.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.amount_refunded == 1000
    refund = Refund.objects.get()
    assert refund.requested_by == admin_browser.user and refund.reason == "goodwill"
    assert AuditLog.objects.filter(action="payment.refund_requested", actor=admin_browser.user).count() == 1


def test_refund_action_takes_exactly_one_payment(
    admin_browser, student_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    response = admin_browser.post(
        "/admin/payments/payment/", {"action": "refund", "_selected_action": [str(payment.pk)]}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/payments/payment/{payment.pk}/refund/")


def test_refund_page_needs_staff(client, student_client, api_client, stripe_settings, paid_course, run_on_commit):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    client.force_login(UserFactory())
    response = client.post(f"/admin/payments/payment/{payment.pk}/refund/", {"reason": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Refund.objects.exists()


def test_resend_invoice_action(
    admin_browser, student_client, api_client, stripe_settings, paid_course, run_on_commit, mailoutbox
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    invoice = Invoice.objects.get(payment=payment)
    mailoutbox.clear()
    with run_on_commit():
        admin_browser.post("/admin/payments/invoice/", {"action": "resend", "_selected_action": [str(invoice.pk)]})
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [invoice.buyer_email] and invoice.number in message.subject
    assert message.attachments[0][2] == "application/pdf"
    assert AuditLog.objects.filter(action="invoice.resent", target_id=str(invoice.pk)).count() == 1
