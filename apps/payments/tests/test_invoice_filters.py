"""Staff filter the invoice list by kind, the payment's status, issue date and user; bad values are a 400."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from apps.payments.models import Invoice, PaymentStatus
from apps.users.tests.factories import UserFactory

from .factories import invoiced_payment

pytestmark = pytest.mark.django_db
INVOICES = "/api/v1/payments/invoices/"
PAYMENTS = "/api/v1/payments/payments/"
UTC = ZoneInfo("UTC")


@pytest.fixture
def invoices():
    """Three invoices: Asha's in March and in May (the May payment refunded), Ravi's in April."""
    asha, ravi = UserFactory(), UserFactory()
    rows = {}
    for name, user, day, status in (
        ("march", asha, datetime(2026, 3, 10, 12, tzinfo=UTC), PaymentStatus.SUCCEEDED),
        ("april", ravi, datetime(2026, 4, 15, 12, tzinfo=UTC), PaymentStatus.SUCCEEDED),
        ("may", asha, datetime(2026, 5, 20, 12, tzinfo=UTC), PaymentStatus.REFUNDED),
    ):
        _payment, invoice = invoiced_payment(user, status=status)
        Invoice.objects.filter(pk=invoice.pk).update(issued_at=day)
        rows[name] = invoice
    rows["asha"], rows["ravi"] = asha, ravi
    return rows


def _numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_staff_filter_invoices_by_user(founder_client, invoices):
    response = founder_client.get(INVOICES, {"user": str(invoices["asha"].pk)})
    assert _numbers(response) == {invoices["march"].number, invoices["may"].number}


def test_staff_filter_invoices_by_issue_date(founder_client, invoices):
    response = founder_client.get(INVOICES, {"created_after": "2026-04-01", "created_before": "2026-04-30"})
    assert _numbers(response) == {invoices["april"].number}
    assert _numbers(founder_client.get(INVOICES, {"created_after": "2026-04-15"})) == {
        invoices["april"].number,
        invoices["may"].number,
    }
    assert _numbers(founder_client.get(INVOICES, {"created_before": "2026-03-10"})) == {invoices["march"].number}


def test_staff_filter_invoices_by_payment_status_and_kind(founder_client, invoices):
    assert _numbers(founder_client.get(INVOICES, {"status": "refunded"})) == {invoices["may"].number}
    both = founder_client.get(f"{INVOICES}?status=refunded&status=succeeded&kind=invoice")
    assert len(_numbers(both)) == 3
    assert _numbers(founder_client.get(INVOICES, {"kind": "credit_note"})) == set()


def test_filters_combine(founder_client, invoices):
    response = founder_client.get(
        INVOICES, {"user": str(invoices["asha"].pk), "status": "succeeded", "created_after": "2026-01-01"}
    )
    assert _numbers(response) == {invoices["march"].number}


BAD_FILTERS = [
    ({"created_after": "yesterday"}, "created_after"),
    ({"created_before": "2026-13-01"}, "created_before"),
    ({"user": "not-a-uuid"}, "user"),
    ({"status": "paid"}, "status"),
    ({"created_after": "2026-05-01", "created_before": "2026-04-01"}, "created_before"),
]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [(INVOICES, *case) for case in [*BAD_FILTERS, ({"kind": "receipt"}, "kind")]]
    + [(PAYMENTS, *case) for case in BAD_FILTERS],
)
def test_invalid_filter_values_are_400_naming_the_field(founder_client, invoices, path, params, field):
    response = founder_client.get(path, params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    # A list parameter's error is keyed by position ("status.0"), like every list field in the API.
    assert {key.split(".")[0] for key in response.json()["fields"]} == {field}


def test_a_student_filters_only_their_own_invoices(invoices):
    from apps.users.tests.conftest import PASSWORD
    from tests.clients import client_for

    asha = invoices["asha"]
    asha.set_password(PASSWORD)
    asha.save()
    client = client_for(asha)
    assert _numbers(client.get(INVOICES, {"user": str(invoices["ravi"].pk)})) == {
        invoices["march"].number,
        invoices["may"].number,
    }
    assert _numbers(client.get(INVOICES, {"created_after": "2026-04-01"})) == {invoices["may"].number}
