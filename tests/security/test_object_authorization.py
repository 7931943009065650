"""OWASP API1, broken object-level authorisation: every object endpoint of the URL configuration,
tried by the object's owner, another student, an instructor, a founder, an admin (both with 2FA)
and an anonymous caller, each with the status they must get.

The cases come from EXPECTATIONS, keyed by URL name and method. A route under /api/v1/ with a path
parameter and no entry here fails `test_every_object_endpoint_has_expectations`: a new endpoint
is not secure until someone has written down who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from tests.security.actors import ROLES, World, object_endpoints

pytestmark = pytest.mark.django_db


def expect(*, owner: int, other_student: int, instructor: int, founder: int, admin: int, anonymous: int):
    """Expected status per caller (every role must be given)."""
    return {
        "owner": owner,
        "other_student": other_student,
        "instructor": instructor,
        "founder": founder,
        "admin": admin,
        "anonymous": anonymous,
    }


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


# The owner may, everyone else but staff sees nothing there, staff may.
def owner_and_staff(ok: int, *, hidden: int = 404, anonymous: int = 401):
    return expect(owner=ok, other_student=hidden, instructor=hidden, founder=ok, admin=ok, anonymous=anonymous)


def owner_only(ok: int):
    return expect(owner=ok, other_student=404, instructor=404, founder=404, admin=404, anonymous=401)


def staff_only(ok: int):
    return expect(owner=403, other_student=403, instructor=403, founder=ok, admin=ok, anonymous=401)


@dataclass(frozen=True)
class Case:
    build: Callable[[World], dict[str, Any]]  # makes the owner's object; returns the URL's kwargs
    expected: dict[str, int]
    label: str = ""
    owner: str = "student"  # the owner's user type
    body: Any = None  # dict, or a function of the World


# --- builders ------------------------------------------------------------------------------------
def _session(world: World) -> dict:
    from apps.users.models import Session

    return {"pk": Session.objects.filter(user=world.owner).latest("created_at").pk}


def _contact(world: World) -> dict:
    from apps.contacts.tests.factories import ContactFactory

    return {"pk": ContactFactory(email=world.owner.email).pk}


def _course(*, published: bool):
    def build(world: World) -> dict:
        from apps.courses.tests.factories import course_with_lessons

        course = course_with_lessons(2, instructor=world.owner, is_published=published)
        world.course = course
        return {"pk": course.pk}

    return build


def _lessons_of(*, published: bool):
    def build(world: World) -> dict:
        return {"course_pk": _course(published=published)(world)["pk"]}

    return build


def _lesson(*, published: bool):
    def build(world: World) -> dict:
        course_pk = _course(published=published)(world)["pk"]
        return {"course_pk": course_pk, "pk": world.course.lessons.order_by("position").first().pk}

    return build


def _enrollment(world: World, *, price: str = "0.00"):
    from apps.courses.tests.factories import EnrollmentFactory, course_with_lessons

    course = course_with_lessons(2, price=Decimal(price))
    return EnrollmentFactory(user=world.owner, course=course)


def _enrollment_pk(world: World) -> dict:
    return {"pk": _enrollment(world).pk}


def _enrollment_lesson(world: World) -> dict:
    enrollment = _enrollment(world)
    return {"pk": enrollment.pk, "lesson_id": enrollment.course.lessons.order_by("position").first().pk}


def _enrollment_request(world: World) -> dict:
    from apps.courses.enrollment_requests import enrollment_request_submit
    from apps.courses.tests.factories import CourseFactory

    course = CourseFactory(title="Security Suite Course", price=Decimal("4999.00"))
    request = enrollment_request_submit(
        first_name="Asha",
        last_name="Rao",
        email=world.owner.email,
        course_title=course.title,
        course_price=4999,
        course_level="beginner",
    )
    return {"pk": request.pk}


def _certificate(world: World):
    from apps.courses import services

    enrollment = _enrollment(world)
    return services.certificate_issue(enrollment=enrollment)


def _certificate_pk(world: World) -> dict:
    return {"pk": _certificate(world).pk}


def _certificate_code(world: World) -> dict:
    return {"code": _certificate(world).code}


def _payment(world: World) -> dict:
    from apps.payments.tests.factories import payment_for

    return {"pk": payment_for(world.owner).pk}


def _paid_through_stripe(world: World) -> dict:
    """A payment really made through localstripe, so that a refund reaches Stripe."""
    from apps.courses.tests.factories import course_with_lessons
    from apps.payments.models import Payment
    from tests.localstripe import pay, post_event

    world.fixture("stripe_settings")
    course = course_with_lessons(1, price=Decimal("4999.00"))
    answer = world.client("owner").post(
        "/api/v1/payments/create_payment_intent/", {"course": str(course.pk)}, format="json"
    )
    assert answer.status_code == 201, answer.content
    intent = pay(answer.json()["payment_intent_id"])
    with world.fixture("django_capture_on_commit_callbacks")(execute=True):
        assert post_event(world.fixture("api_client"), "payment_intent.succeeded", intent).status_code == 200
    return {"pk": Payment.objects.get(stripe_payment_intent_id=intent["id"]).pk}


def _invoice(world: World) -> dict:
    from apps.payments.tests.factories import invoiced_payment

    return {"pk": invoiced_payment(world.owner)[1].pk}


def _notification(world: World) -> dict:
    from apps.admin_panel.models import Notification

    return {"pk": Notification.objects.create(recipient=world.owner, kind="test", title="For its recipient").pk}


COURSE_BODY = {"title": "Replaced title", "description": "Replaced.", "level": "advanced", "price": "0.00"}

# Published courses and their outlines are public; drafts exist only for their instructor and staff.
PUBLIC = everyone(200)
DRAFT_READ = expect(owner=200, other_student=404, instructor=404, founder=200, admin=200, anonymous=404)


def manage(ok: int, *, published: bool):
    """Changing a course: its instructor and staff; others see a published course (403) but no draft (404)."""
    denied = 403 if published else 404
    return expect(owner=ok, other_student=denied, instructor=denied, founder=ok, admin=ok, anonymous=401)


def _both(build, ok: int, **extra) -> list[Case]:
    return [
        Case(build(published=True), manage(ok, published=True), "published", owner="instructor", **extra),
        Case(build(published=False), manage(ok, published=False), "draft", owner="instructor", **extra),
    ]


EXPECTATIONS: dict[tuple[str, str], list[Case]] = {
    ("sessions-detail", "DELETE"): [Case(_session, owner_only(204))],
    ("contacts-detail", "GET"): [Case(_contact, staff_only(200), "the owner's own message")],
    ("contacts-detail", "PATCH"): [Case(_contact, staff_only(200), body={"status": "in_progress"})],
    ("courses-detail", "GET"): [
        Case(_course(published=True), PUBLIC, "published", owner="instructor"),
        Case(_course(published=False), DRAFT_READ, "draft", owner="instructor"),
    ],
    ("courses-detail", "PATCH"): _both(_course, 200, body={"title": "Renamed"}),
    ("courses-detail", "PUT"): _both(_course, 200, body=COURSE_BODY),
    ("courses-detail", "DELETE"): _both(_course, 204),
    ("courses-publish", "POST"): [
        Case(_course(published=False), manage(200, published=False), "draft", owner="instructor")
    ],
    ("courses-unpublish", "POST"): [
        Case(_course(published=True), manage(200, published=True), "published", owner="instructor")
    ],
    ("lessons-list", "GET"): [
        Case(_lessons_of(published=True), PUBLIC, "published", owner="instructor"),
        Case(_lessons_of(published=False), DRAFT_READ, "draft", owner="instructor"),
    ],
    ("lessons-list", "POST"): _both(_lessons_of, 201, body={"title": "A new lesson"}),
    ("lessons-detail", "GET"): [
        Case(_lesson(published=True), PUBLIC, "published", owner="instructor"),
        Case(_lesson(published=False), DRAFT_READ, "draft", owner="instructor"),
    ],
    ("lessons-detail", "PATCH"): _both(_lesson, 200, body={"title": "Renamed lesson"}),
    ("lessons-detail", "DELETE"): _both(_lesson, 204),
    ("enrollments-detail", "GET"): [Case(_enrollment_pk, owner_and_staff(200))],
    ("enrollments-cancel", "POST"): [Case(_enrollment_pk, owner_only(200), "free course")],
    ("enrollments-complete-lesson", "POST"): [Case(_enrollment_lesson, owner_only(200))],
    ("enrollment-requests-detail", "GET"): [Case(_enrollment_request, staff_only(200), "the owner's own request")],
    ("enrollment-requests-convert", "POST"): [Case(_enrollment_request, staff_only(200), body={})],
    ("certificates-verify", "GET"): [Case(_certificate_code, everyone(200), "public")],
    ("certificates-pdf", "GET"): [Case(_certificate_pk, owner_and_staff(200))],
    ("certificates-revoke", "POST"): [Case(_certificate_pk, staff_only(200), body={"reason": "issued in error"})],
    ("payments-detail", "GET"): [Case(_payment, owner_and_staff(200))],
    ("payments-refund", "POST"): [Case(_paid_through_stripe, staff_only(201), body={"reason": "changed mind"})],
    ("invoices-detail", "GET"): [Case(_invoice, owner_and_staff(200))],
    ("invoices-pdf", "GET"): [Case(_invoice, owner_and_staff(200))],
    # A notification belongs to one staff member: another founder or admin gets a 404.
    ("admin-notifications-read", "POST"): [
        Case(
            _notification,
            expect(owner=200, other_student=403, instructor=403, founder=404, admin=404, anonymous=401),
            owner="founder",
        )
    ],
}


def test_every_object_endpoint_has_expectations():
    """A route under /api/v1/ with a path parameter needs an EXPECTATIONS entry per method."""
    missing = [
        f"{endpoint.name or endpoint.route} {method}"
        for endpoint in object_endpoints()
        for method in endpoint.methods
        if (endpoint.name, method) not in EXPECTATIONS
    ]
    assert not missing, f"object endpoints without authorisation expectations: {missing}"


def test_every_expectation_names_a_real_endpoint():
    routes = {(endpoint.name, method) for endpoint in object_endpoints() for method in endpoint.methods}
    stale = sorted(set(EXPECTATIONS) - routes)
    assert not stale, f"expectations for endpoints that no longer exist: {stale}"


def _cases():
    for (name, method), cases in EXPECTATIONS.items():
        for index, case in enumerate(cases):
            for role in ROLES:
                label = f"{name}-{method}" + (f"-{case.label.replace(' ', '_')}" if case.label else "") + f"-{role}"
                yield pytest.param(name, method, index, role, id=label)


@pytest.mark.parametrize("name, method, index, role", list(_cases()))
def test_object_endpoint_answers_each_caller_as_expected(request, name, method, index, role):
    case = EXPECTATIONS[(name, method)][index]
    world = World(owner_type=case.owner, request=request)
    url = reverse(name, kwargs=case.build(world))
    body = case.body(world) if callable(case.body) else case.body
    send = getattr(world.client(role), method.lower())
    response = send(url) if body is None else send(url, body, format="json")
    expected = case.expected[role]
    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
    )
    if expected >= 400:
        assert response["Content-Type"].startswith("application/json")
