"""import_from_nodejs: old-schema SQLite files (with and without `paid`) and a MariaDB database,
imported twice each: counts, the report, dates, statuses, legacy payments, and no e-mail sent."""

import io
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from apps.admin_panel.models import Notification
from apps.contacts.models import Contact, ContactSource, ContactStatus
from apps.core.models import AuditLog, OutboundEmail
from apps.courses.models import EnrollmentRequest, EnrollmentRequestSource
from apps.courses.tests.factories import CourseFactory
from apps.payments.models import Payment, PaymentSource, PaymentStatus
from apps.payments.selectors import revenue_summary

from .conftest import BAD_CONTACTS, BAD_REGISTRATIONS, GOOD_CONTACTS, GOOD_REGISTRATIONS, build_sqlite

pytestmark = pytest.mark.django_db


def run_import(source: str, *args: str) -> str:
    out = io.StringIO()
    call_command("import_from_nodejs", source, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def web_course(db):
    return CourseFactory(title="Full-Stack Web Development", price=Decimal("4999.00"))


def assert_nothing_sent() -> None:
    assert OutboundEmail.objects.count() == 0
    assert mail.outbox == []
    assert Notification.objects.count() == 0


def assert_first_import(output: str, *, paid_column: bool = True) -> None:
    assert f"contacts: read 5, created {GOOD_CONTACTS}, skipped 0, errors {BAD_CONTACTS}" in output
    assert f"registrations: read 5, created {GOOD_REGISTRATIONS}, skipped 0, errors {BAD_REGISTRATIONS}" in output
    # Bad rows: reported with their ids and reasons.
    assert "contacts id 3: no e-mail address" in output
    assert "contacts id 4: broken date" in output
    assert "registrations id 3: no e-mail address" in output
    assert "registrations id 4: unknown level 'expert'" in output
    assert "registrations id 5: broken date" in output
    assert "Total: read 10, created 5, skipped 0, errors 5" in output
    if not paid_column:
        assert "no paid column" in output

    assert Contact.objects.filter(source=ContactSource.IMPORTED).count() == GOOD_CONTACTS
    assert EnrollmentRequest.objects.filter(source=EnrollmentRequestSource.IMPORTED).count() == GOOD_REGISTRATIONS


def assert_second_import(output: str) -> None:
    assert f"contacts: read 5, created 0, skipped {GOOD_CONTACTS}, errors {BAD_CONTACTS}" in output
    assert f"registrations: read 5, created 0, skipped {GOOD_REGISTRATIONS}, errors {BAD_REGISTRATIONS}" in output
    assert Contact.objects.count() == GOOD_CONTACTS
    assert EnrollmentRequest.objects.count() == GOOD_REGISTRATIONS


def test_sqlite_with_paid_column_imports_once_keeps_data_and_sends_nothing(tmp_path, web_course):
    source = build_sqlite(tmp_path / "contacts.db", with_paid=True)

    assert_first_import(run_import(source))

    asha = Contact.objects.get(legacy_id="1")
    assert (asha.email, asha.status, asha.source) == ("asha@example.com", ContactStatus.CLOSED, "imported")
    assert asha.created_at == datetime(2025, 10, 1, 9, 30, tzinfo=UTC)

    rahul = EnrollmentRequest.objects.get(legacy_id="1")
    assert (rahul.first_name, rahul.last_name, rahul.course, rahul.course_price) == (
        "Rahul",
        "Mehta",
        web_course,
        4999,
    )
    assert (rahul.level, rahul.paid, rahul.experience) == ("beginner", True, "beginner")
    assert rahul.notes == "Experience: beginner. Enrolled: 2025-11-02"
    assert rahul.created_at == datetime(2025, 11, 2, 10, 0, tzinfo=UTC)
    priya = EnrollmentRequest.objects.get(legacy_id="2")
    assert (priya.course, priya.level, priya.paid) == (None, "intermediate", False)  # no course by that title

    # The paid registration has a legacy payment: no Stripe id, told apart in the revenue.
    payment = Payment.objects.get()
    assert (payment.source, payment.stripe_payment_intent_id, payment.status) == ("legacy", None, "succeeded")
    assert (payment.amount, payment.enrollment_request, payment.user) == (499900, rahul, None)
    revenue = revenue_summary()
    assert revenue["legacy"]["gross"] == 499900 and revenue["stripe"]["gross"] == 0

    audit = AuditLog.objects.get(action="legacy.imported")
    assert audit.details["totals"] == {"read": 10, "created": 5, "skipped": 0, "errors": 5}

    assert_second_import(run_import(source))
    assert Payment.objects.count() == 1
    assert_nothing_sent()


def test_sqlite_without_paid_column_imports_everything_unpaid(tmp_path, web_course):
    source = build_sqlite(tmp_path / "old.db", with_paid=False)

    assert_first_import(run_import(source), paid_column=False)
    assert not EnrollmentRequest.objects.filter(paid=True).exists()
    assert Payment.objects.count() == 0

    assert_second_import(run_import(source))
    assert_nothing_sent()


def test_mariadb_database_imports_once(mariadb_source, web_course):
    assert_first_import(run_import(mariadb_source))
    assert Contact.objects.get(legacy_id="2").created_at == datetime(2025, 10, 5, 14, 0, tzinfo=UTC)
    assert Payment.objects.get().source == PaymentSource.LEGACY

    assert_second_import(run_import(mariadb_source))
    assert_nothing_sent()


def test_dry_run_reports_without_writing(tmp_path):
    source = build_sqlite(tmp_path / "contacts.db")
    output = run_import(source, "--dry-run")
    assert "DRY RUN" in output
    assert "contacts: read 5, created 3, skipped 0, errors 2" in output
    assert Contact.objects.count() == EnrollmentRequest.objects.count() == Payment.objects.count() == 0
    assert not AuditLog.objects.filter(action="legacy.imported").exists()


def test_open_contacts_option_imports_them_as_new(tmp_path):
    run_import(build_sqlite(tmp_path / "contacts.db"), "--open-contacts")
    assert set(Contact.objects.values_list("status", flat=True)) == {ContactStatus.NEW}
    assert_nothing_sent()


def test_a_missing_or_foreign_source_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_import(str(tmp_path / "missing.db"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CommandError, match="not a SQLite database"):
        run_import(str(junk))
    with pytest.raises(CommandError, match="names no database"):
        run_import("mysql://root@127.0.0.1:3306")
    with pytest.raises(CommandError, match="port is not a number"):
        run_import("mysql://root@127.0.0.1:abc/old")
    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE contacts (name TEXT, email TEXT)")  # no id column
    connection.commit()
    connection.close()
    with pytest.raises(CommandError, match="Can't read the contacts table"):
        run_import(str(foreign))


def test_paid_registration_converted_later_links_its_legacy_payment(tmp_path, web_course, founder_client):
    run_import(build_sqlite(tmp_path / "contacts.db"))
    rahul = EnrollmentRequest.objects.get(legacy_id="1")

    response = founder_client.post(f"/api/v1/courses/enrollment-requests/{rahul.pk}/convert/", {}, format="json")

    assert response.status_code == 200, response.content
    payment = Payment.objects.get()
    rahul.refresh_from_db()
    assert (payment.user, payment.enrollment) == (rahul.user, rahul.enrollment)
    assert rahul.enrollment.status == "active"  # paid on the old site: no second payment asked
    assert payment.status == PaymentStatus.SUCCEEDED


def test_legacy_payment_shows_in_staff_payments_and_is_not_refundable_through_stripe(
    tmp_path, web_course, founder_client
):
    run_import(build_sqlite(tmp_path / "contacts.db"))
    payment = Payment.objects.get()

    listing = founder_client.get("/api/v1/payments/payments/")
    assert listing.status_code == 200, listing.content
    [row] = listing.json()["results"]
    assert (row["source"], row["stripe_payment_intent_id"], row["user"], row["course"]) == ("legacy", None, None, None)

    refund = founder_client.post(
        f"/api/v1/payments/payments/{payment.pk}/refund/", {"reason": "duplicate"}, format="json"
    )
    assert refund.status_code == 400 and refund.json()["code"] == "not_refundable"
