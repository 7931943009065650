"""Fuzz every operation of /api/v1/schema/ with schemathesis, once per caller: anonymous, and a fresh
token of a student, an instructor, a founder (2FA) and an admin (2FA).

A response passes when it is not a 5xx, its status code and Content-Type are documented for the
operation, and its body and headers match the documented schema. Requests go in-process to the WSGI
application (the real middleware stack) on pytest-django's database.

Bounded and deterministic: a fixed seed, `FUZZ_MAX_EXAMPLES` examples per operation and phase (5 by
default; `make fuzz` runs more), no example database. Each example runs in a savepoint that is rolled
back, so one that deletes the account, logs out or changes the password leaves the next example the
same user and a valid token. Rate limiting is off, since examples come faster than any person's.
Payments talk to the test run's localstripe, never to Stripe.
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from titanobova_project.wsgi import application

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "11"))
ROLES = ["anonymous", "student", "instructor", "founder", "admin"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
        },
    }
)


def app_in_test_transaction(environ, start_response):
    """The WSGI application, keeping the test's database connection (and so its transaction) open
    across requests, as Django's test client does: Django closes it when a request starts and ends."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()  # sends request_finished
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app_in_test_transaction, config=CONFIG)


# Which object of the world each path parameter can name: `(path prefix, parameter) -> world key`.
# Half the examples use the world's object, so the fuzzer gets past the 404 into the view's logic.
KNOWN_PATH_VALUES = [
    ("/api/v1/admin/notifications/{id}", "id", "notification"),
    ("/api/v1/contacts/contacts/{id}", "id", "contact"),
    ("/api/v1/courses/certificates/verify/{code}", "code", "certificate_code"),
    ("/api/v1/courses/certificates/{id}", "id", "certificate"),
    ("/api/v1/courses/courses/{course_pk}", "course_pk", "course"),
    ("/api/v1/courses/courses/{course_pk}/lessons/{id}", "id", "lesson"),
    ("/api/v1/courses/courses/{id}", "id", "course"),
    ("/api/v1/courses/enrollment-requests/{id}", "id", "enrollment_request"),
    ("/api/v1/courses/enrollments/{id}", "id", "enrollment"),
    ("/api/v1/courses/enrollments/{id}/lessons/{lesson_id}", "lesson_id", "lesson"),
    ("/api/v1/payments/invoices/{id}", "id", "invoice"),
    ("/api/v1/payments/payments/{id}", "id", "payment"),
    ("/api/v1/users/sessions/{id}", "id", "session"),
]
world: dict[str, str] = {}  # the current test's objects, by key (filled by the `caller` fixture)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    known = dict(path_parameters)
    for prefix, name, key in KNOWN_PATH_VALUES:
        if path.startswith(prefix) and name in known and key in world:
            known[name] = world[key]
    return st.sampled_from([path_parameters, known])


def build_world(user) -> dict[str, str]:
    """Objects for the caller to reach: a paid course with lessons, an enrolment with its payment,
    invoice and certificate, a contact message, an enrolment request and a notification. The
    caller owns what a user of its role can own; the rest belongs to other users."""
    from decimal import Decimal

    from apps.admin_panel.models import Notification
    from apps.contacts.tests.factories import ContactFactory
    from apps.courses.models import EnrollmentRequest
    from apps.courses.services import certificate_issue
    from apps.courses.tests.factories import course_with_lessons
    from apps.payments import gateway
    from apps.payments.invoices import invoice_issue
    from apps.payments.tests.factories import payment_for
    from apps.users.models import Session, UserType
    from apps.users.tests.factories import UserFactory
    from tests.localstripe import pay

    is_role = user is not None and user.user_type
    instructor = user if is_role == UserType.INSTRUCTOR else UserFactory(user_type=UserType.INSTRUCTOR)
    student = user if is_role == UserType.STUDENT else UserFactory(user_type=UserType.STUDENT)
    course = course_with_lessons(2, price=Decimal("4999.00"), instructor=instructor)
    staff = user if is_role in (UserType.FOUNDER, UserType.ADMIN) else UserFactory(user_type=UserType.ADMIN)
    intent_id = {}
    if staff is user:  # staff can refund: the payment needs a real (localstripe) PaymentIntent to refund
        stripe = gateway.client()
        price = int(course.price * 100)
        intent = stripe.v1.payment_intents.create(params={"amount": price, "currency": course.currency.lower()})
        intent_id = {"stripe_payment_intent_id": pay(intent.id)["id"]}
    payment = payment_for(student, course=course, **intent_id)
    invoice = invoice_issue(payment=payment)
    certificate = certificate_issue(enrollment=payment.enrollment)
    notification = Notification.objects.create(recipient=staff, kind="contact", title="A new message")
    request = EnrollmentRequest.objects.create(
        first_name="Asha", email="asha@example.com", course=course, course_title=course.title
    )
    objects = {
        "course": course.pk,
        "lesson": course.lessons.first().pk,
        "enrollment": payment.enrollment.pk,
        "payment": payment.pk,
        "invoice": invoice.pk,
        "certificate": certificate.pk,
        "certificate_code": certificate.code,
        "contact": ContactFactory().pk,
        "enrollment_request": request.pk,
        "notification": notification.pk,
    }
    session = Session.objects.filter(user=user).first() if user is not None else None
    if session is not None:
        objects["session"] = session.pk
    return {key: str(value) for key, value in objects.items()}


@pytest.fixture(params=ROLES)
def caller(request, db, settings, stripe_settings):
    """The headers of this test's caller (none for anonymous, else a fresh user's access token),
    with the world it acts on."""
    from rest_framework.test import APIClient

    from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
    from apps.users.tests.factories import UserFactory

    settings.RATELIMIT_ENABLE = False
    role = request.param
    user, headers = None, {}
    if role != "anonymous":
        if role in ("founder", "admin"):
            staff = make_two_factor_user(user_type=role)
            user, response = staff.user, login(APIClient(), staff.user.email, code=staff.next_code())
        else:
            user = UserFactory(password=PASSWORD, user_type=role)
            response = login(APIClient(), user.email)
        assert response.status_code == 200, response.content
        headers = {"Authorization": f"Bearer {response.json()['access']}"}
    world.update(build_world(user))
    yield headers
    world.clear()


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@schema.parametrize()
# The caller fixture is per operation on purpose: each example's writes are rolled back (see above).
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_matches_its_schema(case, caller):
    with rolled_back():
        response = case.call(headers=caller)
    case.validate_response(response, headers=caller)
