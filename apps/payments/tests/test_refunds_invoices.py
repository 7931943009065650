"""Refunds asked by staff, GST invoices and credit notes, history, and who may see what."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from apps.admin_panel.models import Notification
from apps.core.models import AuditLog
from apps.courses.models import Enrollment, EnrollmentStatus
from apps.payments.invoices import financial_year
from apps.payments.models import Invoice, Payment, PaymentStatus
from apps.payments.pricing import tax_split
from tests.clients import role_client
from tests.localstripe import pay

from .conftest import post_event

pytestmark = pytest.mark.django_db
INTENT = "/api/v1/payments/create_payment_intent/"
PAYMENTS = "/api/v1/payments/payments/"
INVOICES = "/api/v1/payments/invoices/"


def paid(client, course, run_on_commit, api_client, **billing) -> Payment:
    body = client.post(INTENT, {"course": str(course.pk), **billing}, format="json").json()
    intent = pay(body["payment_intent_id"])
    with run_on_commit():
        post_event(api_client, "payment_intent.succeeded", intent)
    return Payment.objects.get(stripe_payment_intent_id=body["payment_intent_id"])


def test_full_refund_by_staff(student_client, founder_client, api_client, stripe_settings, paid_course, run_on_commit):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    with run_on_commit():
        response = founder_client.post(f"{PAYMENTS}{payment.pk}/refund/", {"reason": "changed mind"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == payment.amount and response.json()["status"] == "succeeded"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.amount_refunded == payment.amount
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.REFUNDED
    note = Invoice.objects.get(kind="credit_note")
    assert note.original_invoice.payment == payment and note.total == payment.amount
    assert note.number.startswith("TNB-CN/")
    assert AuditLog.objects.filter(action="payment.refund_requested", target_id=str(payment.pk)).exists()
    assert Notification.objects.filter(recipient=founder_client.user, kind="refund").count() == 1


def test_partial_refunds_never_exceed_what_was_paid(
    student_client, admin_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    url = f"{PAYMENTS}{payment.pk}/refund/"
    assert admin_client.post(url, {"amount": 300000, "reason": "partial"}, format="json").status_code == 201
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.amount_refunded == 300000
    too_much = admin_client.post(url, {"amount": 200000, "reason": "more"}, format="json")
    assert too_much.status_code == 400 and too_much.json()["code"] == "refund_exceeds_paid"
    assert too_much.json()["refundable"] == 199900
    rest = admin_client.post(url, {"reason": "the rest"}, format="json")
    assert rest.status_code == 201 and rest.json()["amount"] == 199900
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    again = admin_client.post(url, {"reason": "again"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "not_refundable"


def test_only_staff_with_2fa_refund(
    student_client, instructor_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    for client in (student_client, instructor_client, role_client("founder")):
        response = client.post(f"{PAYMENTS}{payment.pk}/refund/", {"reason": "x"}, format="json")
        assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.amount_refunded == 0 and not payment.refunds.exists()


def test_unpaid_payment_cannot_be_refunded(student_client, founder_client, stripe_settings, paid_course):
    body = student_client.post(INTENT, {"course": str(paid_course.pk)}, format="json").json()
    payment = Payment.objects.get(stripe_payment_intent_id=body["payment_intent_id"])
    response = founder_client.post(f"{PAYMENTS}{payment.pk}/refund/", {"reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_refundable"


def test_intra_state_invoice_splits_cgst_and_sgst(
    student_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client, billing_state="Karnataka")
    invoice = Invoice.objects.get(payment=payment)
    # 4999.00 including 18% GST: taxable 4236.44, tax 762.56 = 381.28 + 381.28
    assert invoice.taxable_value == 423644 and invoice.cgst_amount == 38128 and invoice.sgst_amount == 38128
    assert invoice.igst_amount == 0 and invoice.cgst_rate == Decimal("9") and invoice.total == 499900
    assert invoice.place_of_supply == "Karnataka" and invoice.sac_code == "999293"


def test_inter_state_invoice_is_igst(student_client, api_client, stripe_settings, paid_course, run_on_commit):
    payment = paid(
        student_client,
        paid_course,
        run_on_commit,
        api_client,
        billing_state="Maharashtra",
        billing_gstin="27AAPFU0939F1ZV",
    )
    invoice = Invoice.objects.get(payment=payment)
    assert invoice.igst_amount == 76256 and invoice.igst_rate == Decimal("18")
    assert invoice.cgst_amount == invoice.sgst_amount == 0 and invoice.taxable_value == 423644
    assert invoice.buyer_gstin == "27AAPFU0939F1ZV" and invoice.place_of_supply == "Maharashtra"


def test_tax_split_adds_up_for_odd_amounts(settings):
    settings.GST_RATE_PERCENT = Decimal("18")
    settings.SELLER_STATE = "Karnataka"
    for gross in (1, 99, 12345, 449910, 999999):
        for state in ("", "karnataka", "Kerala"):
            split = tax_split(gross, buyer_state=state)
            assert split.total == gross


def test_gst_exclusive_prices_add_tax_to_the_charge(student_client, stripe_settings, paid_course):
    stripe_settings.PRICES_INCLUDE_GST = False
    body = student_client.post(INTENT, {"course": str(paid_course.pk)}, format="json").json()
    assert body["amount"] == 589882  # 4999.00 + 18%


def test_financial_year_runs_april_to_march():
    india = ZoneInfo("Asia/Kolkata")
    assert financial_year(datetime(2026, 4, 1, 0, 5, tzinfo=india)) == "2026-27"
    assert financial_year(datetime(2027, 3, 31, 23, 55, tzinfo=india)) == "2026-27"
    assert (
        financial_year(datetime(2026, 3, 31, 20, 0, tzinfo=ZoneInfo("UTC"))) == "2026-27"
    )  # already April 1st in India
    assert financial_year(datetime(2099, 12, 31, tzinfo=india)) == "2099-00"


def test_invoice_numbers_are_consecutive(student_client, api_client, stripe_settings, run_on_commit):
    from apps.courses.tests.factories import CourseFactory

    numbers = [
        Invoice.objects.get(
            payment=paid(student_client, CourseFactory(price=Decimal("100")), run_on_commit, api_client)
        ).sequence
        for _ in range(3)
    ]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_history_and_pdfs_are_private(
    student_client, founder_client, api_client, stripe_settings, paid_course, run_on_commit
):
    payment = paid(student_client, paid_course, run_on_commit, api_client)
    invoice = Invoice.objects.get(payment=payment)
    other = role_client("student")
    assert other.get(PAYMENTS).json()["count"] == 0
    assert other.get(f"{PAYMENTS}{payment.pk}/").status_code == 404
    assert other.get(INVOICES).json()["count"] == 0
    assert other.get(f"{INVOICES}{invoice.pk}/").status_code == 404
    assert other.get(f"{INVOICES}{invoice.pk}/pdf/").status_code == 404
    assert api_client.get(f"{INVOICES}{invoice.pk}/pdf/").status_code == 401
    mine = student_client.get(PAYMENTS).json()["results"]
    assert [p["id"] for p in mine] == [str(payment.pk)] and mine[0]["status"] == "succeeded"
    response = student_client.get(f"{INVOICES}{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert invoice.number in text and "CGST" in text and "4,999.00" in text
    assert founder_client.get(f"{INVOICES}{invoice.pk}/pdf/").status_code == 200
    staff_view = founder_client.get(PAYMENTS, {"status": "succeeded", "user": str(student_client.user.pk)}).json()
    assert staff_view["count"] == 1


def test_reconciliation_repairs_a_payment_whose_webhook_never_came(student_client, stripe_settings, paid_course):
    from django.core.management import call_command

    body = student_client.post(INTENT, {"course": str(paid_course.pk)}, format="json").json()
    pay(body["payment_intent_id"])  # paid at Stripe; no webhook reaches us
    call_command("reconcile_payments", "--older-than-minutes", "0")
    payment = Payment.objects.get(stripe_payment_intent_id=body["payment_intent_id"])
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Enrollment.objects.get(pk=payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert Invoice.objects.filter(payment=payment).exists()
