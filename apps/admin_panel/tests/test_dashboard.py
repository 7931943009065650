"""GET /api/v1/admin/dashboard/: the figures against a known set of rows, and who may see them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.contacts.models import Contact, ContactStatus
from apps.courses.models import EnrollmentRequest, EnrollmentStatus
from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
from apps.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from apps.payments.services import legacy_payment_record
from apps.users.models import LoginAttempt, LoginOutcome, User, UserType
from apps.users.tests.factories import UserFactory

URL = "/api/v1/admin/dashboard/"
pytestmark = pytest.mark.django_db


def _backdate(model, pk, field: str, when) -> None:
    model.objects.filter(pk=pk).update(**{field: when})


def _payment(enrollment, *, amount: int, status=PaymentStatus.SUCCEEDED, refunded: int = 0, when=None) -> Payment:
    return Payment.objects.create(
        user=enrollment.user,
        enrollment=enrollment,
        stripe_payment_intent_id=f"pi_{enrollment.pk.hex}_{amount}",
        currency="INR",
        list_price=amount,
        amount=amount,
        amount_refunded=refunded,
        status=status,
        succeeded_at=when or timezone.now(),
    )


@pytest.fixture
def known_rows(founder_client):
    """A small business whose every figure is known (the founder from founder_client counts too)."""
    now = timezone.now()
    students = [UserFactory(user_type=UserType.STUDENT) for _ in range(4)]
    _backdate(User, students[0].pk, "created_at", now - timedelta(days=10))
    _backdate(User, students[1].pk, "created_at", now - timedelta(days=100))
    instructor = UserFactory(user_type=UserType.INSTRUCTOR)
    _backdate(User, instructor.pk, "created_at", now - timedelta(days=400))
    UserFactory(user_type=UserType.ADMIN)  # an admin without 2FA
    UserFactory(user_type=UserType.STUDENT, account_locked_until=now + timedelta(minutes=30))

    popular = CourseFactory(title="Popular", instructor=instructor, price=Decimal("1000.00"))
    quiet = CourseFactory(title="Quiet", instructor=instructor, price=Decimal("500.00"))
    CourseFactory(title="Draft", instructor=instructor, is_published=False, published_at=None)
    paid = [EnrollmentFactory(user=student, course=popular) for student in students[:3]]
    pending = EnrollmentFactory(user=students[3], course=quiet, status=EnrollmentStatus.PENDING_PAYMENT)
    EnrollmentFactory(
        user=students[0], course=quiet, status=EnrollmentStatus.COMPLETED, completed_at=now - timedelta(days=2)
    )
    popular.enrollment_count, quiet.enrollment_count = 3, 2
    popular.save(update_fields=["enrollment_count"])
    quiet.save(update_fields=["enrollment_count"])

    _payment(paid[0], amount=100_000)
    old = _payment(paid[1], amount=100_000, when=now - timedelta(days=70))
    refunded = _payment(paid[2], amount=50_000, status=PaymentStatus.PARTIALLY_REFUNDED, refunded=20_000)
    Refund.objects.create(payment=refunded, amount=20_000, reason="partial", status=RefundStatus.SUCCEEDED)
    _payment(pending, amount=50_000, status=PaymentStatus.FAILED)  # never paid: not revenue
    # Paid to the old Node.js backend, imported: revenue, told apart from Stripe's.
    request = EnrollmentRequest.objects.create(first_name="Old", email="old@example.com", course_title="Popular")
    legacy_payment_record(enrollment_request=request, amount_rupees=300, paid_at=now - timedelta(days=200))

    fresh = Contact.objects.create(name="A", email="a@example.com", message="hi")
    stale = Contact.objects.create(name="B", email="b@example.com", message="hi", status=ContactStatus.IN_PROGRESS)
    _backdate(Contact, stale.pk, "created_at", now - timedelta(hours=49))
    Contact.objects.create(name="C", email="c@example.com", message="hi", status=ContactStatus.RESOLVED)
    Contact.objects.create(name="D", email="d@example.com", message="spam", status=ContactStatus.SPAM)
    assert fresh.status == ContactStatus.NEW

    for outcome in (LoginOutcome.BAD_PASSWORD, LoginOutcome.UNKNOWN_ACCOUNT, LoginOutcome.LOCKED):
        LoginAttempt.objects.create(email="x@example.com", outcome=outcome)
    LoginAttempt.objects.create(email="x@example.com", outcome=LoginOutcome.TWO_FACTOR_REQUIRED)
    ancient = LoginAttempt.objects.create(email="x@example.com", outcome=LoginOutcome.BAD_PASSWORD)
    _backdate(LoginAttempt, ancient.pk, "created_at", now - timedelta(hours=25))
    return {"old_payment": old, "now": now}


def test_dashboard_figures_match_a_known_set_of_rows(founder_client, known_rows):
    # founder_client's own login left a "2FA required" and a success row: neither is a failure.
    response = founder_client.get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"users", "contacts", "courses", "enrollments", "revenue", "security"}

    users = body["users"]
    # The founder, 4 students (10, 100 days old), the instructor (400 days), an admin, a locked student.
    assert users["total"] == 8
    assert users["by_type"] == {"student": 5, "instructor": 1, "founder": 1, "admin": 1}
    assert users["new_last_7_days"] == 5
    assert users["new_last_30_days"] == 6
    assert len(users["signups_by_month"]) == 12
    assert sum(month["count"] for month in users["signups_by_month"]) == 7

    contacts = body["contacts"]
    assert contacts["by_status"] == {"new": 1, "in_progress": 1, "resolved": 1, "closed": 0, "spam": 1}
    assert contacts["unresolved_over_48_hours"] == 1

    courses = body["courses"]
    assert courses["published"] == 2 and courses["total"] == 3
    assert [c["title"] for c in courses["top_by_enrollments"]][:2] == ["Popular", "Quiet"]
    assert courses["top_by_enrollments"][0]["enrollment_count"] == 3

    enrollments = body["enrollments"]
    assert enrollments["by_status"] == {
        "pending_payment": 1,
        "active": 3,
        "completed": 1,
        "cancelled": 0,
        "refunded": 0,
    }
    assert enrollments["completions"] == {"total": 1, "last_30_days": 1}

    revenue = body["revenue"]
    assert revenue["currency"] == "INR"
    assert revenue["payments"] == 4
    assert revenue["total"] == 280_000
    assert revenue["net"] == 260_000
    assert revenue["last_30_days"] == 150_000
    assert revenue["refunds"] == {"count": 1, "amount": 20_000, "amount_last_30_days": 20_000}
    assert revenue["by_source"] == {
        "stripe": {"payments": 3, "gross": 250_000, "refunded": 20_000, "net": 230_000},
        "legacy": {"payments": 1, "gross": 30_000, "refunded": 0, "net": 30_000},
    }
    by_month = {row["month"]: row for row in revenue["by_month"]}
    this_month = timezone.localtime(known_rows["now"]).strftime("%Y-%m")
    assert by_month[this_month]["amount"] == 150_000 and by_month[this_month]["count"] == 2
    old_month = timezone.localtime(known_rows["old_payment"].succeeded_at).strftime("%Y-%m")
    assert by_month[old_month]["amount"] == 100_000
    assert sum(row["amount"] for row in revenue["by_month"]) == 280_000

    security = body["security"]
    assert security["failed_logins_last_24_hours"] == 3
    assert security["locked_accounts"] == 1
    assert security["staff_without_two_factor"] == 1  # the admin; the founder has 2FA


def test_dashboard_is_cached_then_recomputed(founder_client, settings, django_assert_num_queries):
    settings.DASHBOARD_CACHE_SECONDS = 60
    first = founder_client.get(URL).json()
    UserFactory()
    # Served from the cache: only the authentication queries run (session + 2FA check).
    with django_assert_num_queries(2):
        cached = founder_client.get(URL).json()
    assert cached["users"]["total"] == first["users"]["total"]
    settings.DASHBOARD_CACHE_SECONDS = 0  # off: computed on every request
    assert founder_client.get(URL).json()["users"]["total"] == first["users"]["total"] + 1


def test_dashboard_runs_a_constant_number_of_queries(founder_client, settings, django_assert_max_num_queries):
    settings.DASHBOARD_CACHE_SECONDS = 0
    with django_assert_max_num_queries(20) as small:
        founder_client.get(URL)
    for _ in range(10):
        EnrollmentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        founder_client.get(URL)


@pytest.mark.parametrize("role_fixture", ["student_client", "instructor_client"])
def test_students_and_instructors_get_403(request, role_fixture):
    client = request.getfixturevalue(role_fixture)
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_founder_without_two_factor_must_set_it_up(db):
    from tests.clients import role_client

    response = role_client("founder").get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_setup_required"


def test_admin_sees_the_dashboard(admin_client):
    assert admin_client.get(URL).status_code == 200
