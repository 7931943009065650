"""Creating payment intents: amounts from the server, one live intent per enrolment, coupons."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.courses.models import Enrollment, EnrollmentStatus
from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
from apps.payments import gateway
from apps.payments.models import Coupon, CouponRedemption, Payment, PaymentStatus

pytestmark = pytest.mark.django_db
INTENT = "/api/v1/payments/create_payment_intent/"


def create(client, **body):
    return client.post(INTENT, body, format="json")


def test_intent_for_a_paid_course_has_the_contract_fields(student_client, stripe_settings, paid_course):
    response = create(student_client, course=str(paid_course.pk), amount=1)  # a client amount is ignored
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"client_secret", "payment_intent_id", "amount", "currency", "publishable_key", "enrollment"}
    assert body["amount"] == 499900 and body["currency"] == "INR" and body["publishable_key"] == "pk_test_123"
    assert body["payment_intent_id"].startswith("pi_") and body["client_secret"].startswith(body["payment_intent_id"])
    enrollment = Enrollment.objects.get(pk=body["enrollment"])
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT and enrollment.user == student_client.user
    intent = gateway.intent_retrieve(body["payment_intent_id"])
    assert intent["amount"] == 499900 and intent["currency"] == "inr"
    assert intent["metadata"]["enrollment"] == body["enrollment"]


def test_asking_again_returns_the_same_intent(student_client, stripe_settings, paid_course):
    first = create(student_client, course=str(paid_course.pk)).json()
    again = create(student_client, enrollment=first["enrollment"]).json()
    assert again["payment_intent_id"] == first["payment_intent_id"]
    assert Payment.objects.count() == 1


def test_changed_amount_cancels_the_old_intent(student_client, stripe_settings, paid_course):
    Coupon.objects.create(code="SAVE10", kind="percent", percent_off=10)
    first = create(student_client, course=str(paid_course.pk)).json()
    second = create(student_client, course=str(paid_course.pk), coupon="save10").json()
    assert second["payment_intent_id"] != first["payment_intent_id"]
    assert second["amount"] == 449910 and second["discount"] == 49990
    assert gateway.intent_retrieve(first["payment_intent_id"])["status"] == "canceled"
    assert Payment.objects.get(stripe_payment_intent_id=first["payment_intent_id"]).status == PaymentStatus.CANCELED
    assert Payment.objects.filter(status=PaymentStatus.REQUIRES_PAYMENT).count() == 1


def test_already_paid_free_course_unverified_and_unknown(student_client, stripe_settings, paid_course):
    EnrollmentFactory(user=student_client.user, course=paid_course, status=EnrollmentStatus.ACTIVE)
    response = create(student_client, course=str(paid_course.pk))
    assert response.status_code == 400 and response.json()["code"] == "already_paid"
    free = CourseFactory(price=Decimal("0"))
    response = create(student_client, course=str(free.pk))
    assert response.status_code == 400 and response.json()["code"] == "free_course"
    response = create(student_client, course="8a1c3c1e-0000-4000-8000-000000000000")
    assert response.status_code == 404
    response = create(student_client)
    assert response.status_code == 400 and "course" in response.json()["fields"]
    student_client.user.email_verified = False
    student_client.user.save()
    response = create(student_client, course=str(CourseFactory(price=Decimal("10")).pk))
    assert response.status_code == 403 and response.json()["code"] == "email_not_verified"
    assert not Payment.objects.exists()


def test_someone_elses_enrolment_is_404(student_client, stripe_settings, paid_course):
    theirs = EnrollmentFactory(course=paid_course, status=EnrollmentStatus.PENDING_PAYMENT)
    assert create(student_client, enrollment=str(theirs.pk)).status_code == 404


def test_anonymous_is_401(api_client, paid_course):
    assert create(api_client, course=str(paid_course.pk)).status_code == 401


@pytest.mark.parametrize(
    "coupon,code",
    [
        ({"code": "OLD", "valid_until": timezone.now() - timedelta(days=1)}, "coupon_expired"),
        ({"code": "SOON", "valid_from": timezone.now() + timedelta(days=1)}, "coupon_not_started"),
        ({"code": "OFF", "is_active": False}, "coupon_invalid"),
        ({"code": "NONE", "max_redemptions": 0}, "coupon_exhausted"),
    ],
)
def test_invalid_coupons_are_400_naming_why(student_client, stripe_settings, paid_course, coupon, code):
    Coupon.objects.create(kind="fixed", amount_off_paise=10000, **coupon)
    response = create(student_client, course=str(paid_course.pk), coupon=coupon["code"].lower())
    assert response.status_code == 400 and response.json()["code"] == code
    assert "coupon" in response.json()["fields"]
    assert not Payment.objects.exists()


def test_unknown_and_wrong_course_coupons(student_client, stripe_settings, paid_course):
    response = create(student_client, course=str(paid_course.pk), coupon="NOPE")
    assert response.json()["code"] == "coupon_invalid"
    limited = Coupon.objects.create(code="ONLYTHAT", kind="percent", percent_off=50)
    limited.courses.add(CourseFactory(price=Decimal("10")))
    response = create(student_client, course=str(paid_course.pk), coupon="ONLYTHAT")
    assert response.json()["code"] == "coupon_not_for_course"


def test_coupon_once_per_user(student_client, stripe_settings, paid_course):
    coupon = Coupon.objects.create(code="ONCE", kind="fixed", amount_off_paise=50000)
    other = CourseFactory(price=Decimal("999"))
    assert create(student_client, course=str(paid_course.pk), coupon="ONCE").status_code == 201
    response = create(student_client, course=str(other.pk), coupon="ONCE")
    assert response.status_code == 400 and response.json()["code"] == "coupon_already_used"
    assert CouponRedemption.objects.filter(coupon=coupon, status="held").count() == 1
