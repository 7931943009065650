"""OWASP API3, mass assignment: every writable endpoint (POST/PUT/PATCH of the URL configuration)
gets a valid request plus every privileged field it does not legitimately take, with sentinel
values. The request must succeed with them ignored, or be rejected naming one of them; afterwards
no sentinel may be found anywhere in the database (a user turned staff, a forged id or timestamp,
an object handed to a bystander, a status or amount set by the caller).

WRITABLE lists every writable endpoint by URL name (or route, for unnamed ones) and method; one
missing from it fails `test_every_writable_endpoint_has_an_entry`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.users.tests.conftest import PASSWORD
from tests.security.actors import World, api_endpoints

pytestmark = pytest.mark.django_db

HOSTILE_UUID = uuid.UUID("0badc0de-0000-4000-8000-00000000a11c")
HOSTILE_TIME = "2001-02-03T04:05:06Z"
HOSTILE_INT = 424242
HOSTILE_TEXT = "hostile-sentinel"
NEW_PASSWORD = "another-Long-passphrase-77"
WRITE_METHODS = ("POST", "PUT", "PATCH")
PROJECT_APPS = ("users", "contacts", "courses", "payments", "admin_panel", "core")


def privileged_fields(victim_id: str) -> dict[str, Any]:
    """What no caller may set on their own: roles, verification, lockout, ids, timestamps, money,
    state and ownership (pointing at a bystander)."""
    return {
        "id": str(HOSTILE_UUID),
        "pk": str(HOSTILE_UUID),
        "user_type": "founder",
        "is_staff": True,
        "is_superuser": True,
        "email_verified": True,
        "account_locked_until": HOSTILE_TIME,
        "failed_login_attempts": HOSTILE_INT,
        "last_login": HOSTILE_TIME,
        "created_at": HOSTILE_TIME,
        "updated_at": HOSTILE_TIME,
        "enrolled_at": HOSTILE_TIME,
        "completed_at": HOSTILE_TIME,
        "published_at": HOSTILE_TIME,
        "issued_at": HOSTILE_TIME,
        "revoked_at": HOSTILE_TIME,
        "read_at": HOSTILE_TIME,
        "status": HOSTILE_TEXT,
        "stripe_payment_intent_id": HOSTILE_TEXT,
        "amount": HOSTILE_INT,
        "amount_refunded": HOSTILE_INT,
        "list_price": HOSTILE_INT,
        "enrollment_count": HOSTILE_INT,
        "instructor": victim_id,
        "user": victim_id,
        "recipient": victim_id,
        "assigned_to": victim_id,
    }


@dataclass(frozen=True)
class Write:
    role: str  # the caller's user type, or "anonymous"
    body: Callable[[World], dict] | dict = field(default_factory=dict)
    kwargs: Callable[[World], dict] | None = None  # the URL's parameters
    query: Callable[[World], str] | None = None
    allowed: frozenset[str] = frozenset()  # privileged names this endpoint legitimately takes
    ok: tuple[int, ...] = (200,)
    fixtures: tuple[str, ...] = ()
    form: bool = False  # a form post (the RFC 8058 one-click unsubscribe)
    owner: str = "student"  # for anonymous callers: the account the request is about


def _refresh(world: World) -> str:
    from rest_framework.test import APIClient

    from apps.users.tests.conftest import login

    return login(APIClient(), world.owner.email).json()["refresh"]


def _challenge(world: World) -> dict:
    from rest_framework.test import APIClient

    from apps.users.tests.conftest import login

    answer = login(APIClient(), world.owner.email).json()
    return {"challenge_token": answer["challenge_token"], "code": world.owner.totp.next_code()}


def _verification_token(world: World) -> dict:
    from apps.users.services.accounts import email_verification_token_make

    world.owner.refresh_from_db()
    return {"token": email_verification_token_make(user=world.owner)}


def _reset_token(world: World) -> dict:
    from apps.users.services.accounts import password_reset_token_make

    world.owner.refresh_from_db()  # the token covers last_login, which logging in changed
    return {"token": password_reset_token_make(user=world.owner), "new_password": NEW_PASSWORD}


def _two_factor_started(world: World) -> dict:
    import pyotp

    from apps.users.services import two_factor_enable

    secret = two_factor_enable(user=world.owner, password=PASSWORD).secret
    return {"code": pyotp.TOTP(secret).now()}


def _locked(world: World) -> dict:
    from django.core import signing
    from django.utils import timezone

    from apps.users.services import lockout

    world.owner.account_locked_until = timezone.now() + dt.timedelta(hours=1)
    world.owner.save(update_fields=["account_locked_until"])
    until = world.owner.account_locked_until.timestamp()
    return {"token": signing.dumps({"uid": str(world.owner.pk), "until": until}, salt=lockout._UNLOCK_SALT)}


def _subscriber(status: str):
    from apps.contacts.tests.factories import SubscriberFactory

    return SubscriberFactory(status=status)


def _newsletter_confirm(world: World) -> dict:
    from django.core import signing

    from apps.contacts import services

    return {"token": signing.dumps(str(_subscriber("pending").pk), salt=services._CONFIRM_SALT)}


def _unsubscribe_token(world: World) -> str:
    from apps.contacts.services import unsubscribe_token

    return unsubscribe_token(_subscriber("confirmed"))


def _own_course(world: World, *, published: bool = True):
    from apps.courses.tests.factories import course_with_lessons

    world.course = course_with_lessons(2, instructor=world.owner, is_published=published)
    return {"pk": world.course.pk}


def _free_course(world: World) -> dict:
    from apps.courses.tests.factories import course_with_lessons

    return {"course": str(course_with_lessons(1).pk)}


def _enrollment(world: World) -> dict:
    from apps.courses.tests.factories import EnrollmentFactory, course_with_lessons

    world.enrollment = EnrollmentFactory(user=world.owner, course=course_with_lessons(2))
    return {"pk": world.enrollment.pk}


def _enrollment_lesson(world: World) -> dict:
    kwargs = _enrollment(world)
    return {**kwargs, "lesson_id": world.enrollment.course.lessons.order_by("position").first().pk}


def _contact(world: World) -> dict:
    from apps.contacts.tests.factories import ContactFactory

    return {"pk": ContactFactory().pk}


def _enrollment_request(world: World) -> dict:
    from apps.courses.enrollment_requests import enrollment_request_submit
    from apps.courses.tests.factories import CourseFactory

    course = CourseFactory(title="Mass Assignment Course", price=Decimal("999.00"))
    request = enrollment_request_submit(
        first_name="Ravi", last_name="K", email="ravi@example.com", course_title=course.title, course_price=999
    )
    return {"pk": request.pk}


def _certificate(world: World) -> dict:
    from apps.courses import services
    from apps.courses.tests.factories import EnrollmentFactory, course_with_lessons

    enrollment = EnrollmentFactory(course=course_with_lessons(1))
    return {"pk": services.certificate_issue(enrollment=enrollment).pk}


def _paid_course(world: World) -> dict:
    from apps.courses.tests.factories import course_with_lessons

    return {"course": str(course_with_lessons(1, price=Decimal("4999.00")).pk)}


def _refundable(world: World) -> dict:
    from tests.security.test_object_authorization import _paid_through_stripe

    payer = World(owner_type="student", request=world.request)
    return _paid_through_stripe(payer)


def _notification(world: World) -> dict:
    from apps.admin_panel.models import Notification

    return {"pk": Notification.objects.create(recipient=world.owner, kind="test", title="Yours").pk}


def _new_person() -> dict:
    return {"email": f"newcomer{uuid.uuid4().hex[:8]}@example.com", "password": NEW_PASSWORD}


COURSE = {"title": "Hostile course", "description": "d", "level": "beginner", "price": "0.00"}
COURSE_FIELDS = frozenset({"is_published", "published_at"})
CONTACT = {"name": "Visitor", "email": "visitor@example.com", "subject": "Hi", "message": "Hello"}
ENROLLMENT_REQUEST = {"first_name": "Neha", "email": "neha@example.com", "course_title": "Anything at all"}
LEGACY_REGISTER = {"name": "Neha Rao", "password": NEW_PASSWORD}
STAFF_LOGIN = ("founder",)

WRITABLE: dict[tuple[str, str], Write] = {
    ("auth-token", "POST"): Write("anonymous", lambda w: {"username": w.owner.email, "password": PASSWORD}),
    ("api/v1/^auth/token$", "POST"): Write("anonymous", lambda w: {"username": w.owner.email, "password": PASSWORD}),
    ("auth-token-refresh", "POST"): Write("anonymous", lambda w: {"refresh": _refresh(w)}),
    ("users-login", "POST"): Write("anonymous", lambda w: {"email": w.owner.email, "password": PASSWORD}),
    ("users-logout", "POST"): Write("student", lambda w: {"refresh": _refresh(w)}),
    ("users-logout-all", "POST"): Write("student"),
    ("users-register", "POST"): Write(
        "anonymous", lambda w: {**_new_person(), "first_name": "New", "last_name": "Person"}, ok=(201,)
    ),
    ("users-verify-email", "POST"): Write("anonymous", _verification_token),
    ("users-resend-verification", "POST"): Write("anonymous", lambda w: {"email": w.owner.email}),
    ("users-update-profile", "PUT"): Write("student", {"first_name": "Renamed"}),
    ("users-update-profile", "PATCH"): Write("student", {"first_name": "Renamed"}),
    ("users-change-password", "POST"): Write("student", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("users-password-reset", "POST"): Write("anonymous", lambda w: {"email": w.owner.email}),
    ("users-password-reset-confirm", "POST"): Write("anonymous", _reset_token),
    ("users-unlock-account", "POST"): Write("anonymous", _locked),
    ("users-delete-account", "POST"): Write("student", {"password": PASSWORD}),
    ("users-enable-2fa", "POST"): Write("student", {"password": PASSWORD}),
    ("users-confirm-2fa", "POST"): Write("student", _two_factor_started),
    ("users-verify-2fa", "POST"): Write("anonymous", _challenge, owner="student_2fa"),
    ("users-disable-2fa", "POST"): Write(
        "student_2fa", lambda w: {"password": PASSWORD, "code": w.owner.totp.next_code()}
    ),
    ("users-regenerate-backup-codes", "POST"): Write("student_2fa", lambda w: {"code": w.owner.totp.next_code()}),
    ("contacts-list", "POST"): Write("anonymous", CONTACT, ok=(201,)),
    ("website-contacts", "POST"): Write("anonymous", CONTACT, ok=(201,)),
    ("api/v1/^contacts$", "POST"): Write("anonymous", CONTACT, ok=(201,)),
    # Staff triage a message: its status and assignee are theirs to set.
    ("contacts-detail", "PATCH"): Write(
        "founder", {"internal_note": "called back"}, _contact, allowed=frozenset({"status", "assigned_to"})
    ),
    ("newsletter-subscribe", "POST"): Write("anonymous", {"email": "reader@example.com"}),
    ("newsletter-confirm", "POST"): Write("anonymous", _newsletter_confirm),
    ("newsletter-unsubscribe", "POST"): Write("anonymous", lambda w: {"token": _unsubscribe_token(w)}),
    ("newsletter-one-click-unsubscribe", "POST"): Write(
        "anonymous", {"List-Unsubscribe": "One-Click"}, query=lambda w: f"token={_unsubscribe_token(w)}", form=True
    ),
    ("courses-list", "POST"): Write("instructor", COURSE, allowed=COURSE_FIELDS, ok=(201,)),
    ("courses-detail", "PUT"): Write("instructor", COURSE, _own_course, allowed=COURSE_FIELDS),
    ("courses-detail", "PATCH"): Write("instructor", {"title": "Renamed"}, _own_course, allowed=COURSE_FIELDS),
    ("courses-publish", "POST"): Write("instructor", kwargs=lambda w: _own_course(w, published=False)),
    ("courses-unpublish", "POST"): Write("instructor", kwargs=_own_course),
    ("lessons-list", "POST"): Write(
        "instructor", {"title": "New lesson"}, lambda w: {"course_pk": _own_course(w)["pk"]}, ok=(201,)
    ),
    ("lessons-detail", "PATCH"): Write(
        "instructor",
        {"title": "Renamed lesson"},
        lambda w: {"course_pk": _own_course(w)["pk"], "pk": w.course.lessons.first().pk},
    ),
    ("enrollments-list", "POST"): Write("student", _free_course, ok=(201,)),
    ("enrollments-cancel", "POST"): Write("student", kwargs=_enrollment),
    ("enrollments-complete-lesson", "POST"): Write("student", kwargs=_enrollment_lesson),
    ("enrollment-requests-list", "POST"): Write("anonymous", ENROLLMENT_REQUEST, ok=(201,)),
    ("api/v1/^courses/enrollment-requests$", "POST"): Write("anonymous", ENROLLMENT_REQUEST, ok=(201,)),
    ("enrollment-requests-convert", "POST"): Write("founder", kwargs=_enrollment_request),
    ("certificates-revoke", "POST"): Write("founder", {"reason": "issued in error"}, _certificate),
    ("payments-create-intent", "POST"): Write("student", _paid_course, ok=(201,), fixtures=("stripe_settings",)),
    # The body is Stripe's signed event: any field added to it breaks the signature (400).
    ("payments-webhook", "POST"): Write("anonymous", ok=(400,)),
    ("payments-refund", "POST"): Write(
        "founder", {"reason": "changed mind"}, _refundable, allowed=frozenset({"amount"}), ok=(201,)
    ),
    ("admin-notifications-read", "POST"): Write("founder", kwargs=_notification),
    ("admin-notifications-read-all", "POST"): Write("founder"),
    ("website-enrollments", "POST"): Write(
        "anonymous", lambda w: {**LEGACY_REGISTER, "email": _new_person()["email"]}, ok=(201,)
    ),
    ("api/v1/^enrollments$", "POST"): Write(
        "anonymous", lambda w: {**LEGACY_REGISTER, "email": _new_person()["email"]}, ok=(201,)
    ),
}


def _key(endpoint) -> str:
    return endpoint.name or endpoint.route


def writable_endpoints() -> list[tuple[str, str]]:
    return [(_key(e), method) for e in api_endpoints() for method in e.methods if method in WRITE_METHODS]


def test_every_writable_endpoint_has_an_entry():
    missing = [f"{name} {method}" for name, method in writable_endpoints() if (name, method) not in WRITABLE]
    assert not missing, f"writable endpoints without a mass-assignment entry: {missing}"
    stale = sorted(set(WRITABLE) - set(writable_endpoints()))
    assert not stale, f"entries for endpoints that no longer exist: {stale}"


def _url(name: str, kwargs: dict) -> str:
    if name.startswith("api/v1/"):  # an unnamed route: its literal path
        return "/" + name.replace("^", "").replace("$", "")
    return reverse(name, kwargs=kwargs)


def _sentinels_in_database(victim) -> list[str]:
    """Every place a sentinel value landed."""
    found = []
    hostile_time = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        condition = Q()
        for f in model._meta.concrete_fields:
            if f.primary_key and isinstance(f, models.UUIDField):
                condition |= Q(pk=HOSTILE_UUID)
            elif isinstance(f, models.DateTimeField):
                condition |= Q(**{f.name: hostile_time})
            elif isinstance(f, (models.IntegerField,)) and not f.primary_key:
                condition |= Q(**{f.name: HOSTILE_INT})
            elif isinstance(f, models.CharField):
                condition |= Q(**{f.name: HOSTILE_TEXT})
            elif isinstance(f, models.ForeignKey) and f.related_model is victim.__class__:
                condition |= Q(**{f.name: victim})
        if condition and model._default_manager.filter(condition).exists():
            found.append(f"{model._meta.label}: {list(model._default_manager.filter(condition).values()[:3])}")
    return found


def _sentinel_values(victim) -> set:
    return {str(HOSTILE_UUID), HOSTILE_TIME, HOSTILE_INT, HOSTILE_TEXT, str(victim.pk)}


def _values(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _values(value)
    elif not isinstance(data, bool):
        yield data


def _cases():
    for name, method in WRITABLE:
        yield pytest.param(name, method, id=f"{name}-{method}")


@pytest.mark.parametrize("name, method", list(_cases()))
def test_privileged_fields_are_never_applied(request, name, method, settings):
    from apps.users.models import User, UserType
    from apps.users.tests.factories import UserFactory

    settings.RATELIMIT_ENABLE = False
    write = WRITABLE[(name, method)]
    for fixture in write.fixtures:
        request.getfixturevalue(fixture)
    victim = UserFactory(password=PASSWORD)
    world = World(owner_type=write.owner if write.role == "anonymous" else write.role, request=request)
    url = _url(name, write.kwargs(world) if write.kwargs else {})
    if write.query:
        url += "?" + write.query(world)
    body = write.body(world) if callable(write.body) else dict(write.body)
    hostile = {key: value for key, value in privileged_fields(str(victim.pk)).items() if key not in write.allowed}
    users_before = set(User.objects.values_list("pk", flat=True))
    staff_before = set(
        User.objects.filter(user_type__in=[UserType.FOUNDER, UserType.ADMIN]).values_list("pk", flat=True)
    )
    client = world.client("anonymous" if write.role == "anonymous" else "owner")
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        if write.form:
            response = getattr(client, method.lower())(url, {**body, **hostile})
        else:
            response = getattr(client, method.lower())(url, {**body, **hostile}, format="json")
    assert response.status_code < 500, response.content
    if response.status_code not in write.ok:
        # Rejected: then it must be for a privileged field, not because the request was wrong.
        assert response.status_code in (400, 403), (response.status_code, response.content)
        named = set(response.json().get("fields", {}))
        assert named & set(hostile), f"{method} {url} failed for another reason: {response.content[:400]!r}"
    elif response.get("Content-Type", "").startswith("application/json") and response.content:
        echoed = [value for value in _values(response.json()) if value in _sentinel_values(victim)]
        assert not echoed, f"the answer carries sentinel values {echoed}: {response.content[:400]!r}"
    assert _sentinels_in_database(victim) == []
    assert not User.objects.filter(is_superuser=True).exists()
    staff_after = set(
        User.objects.filter(user_type__in=[UserType.FOUNDER, UserType.ADMIN]).values_list("pk", flat=True)
    )
    assert staff_after <= staff_before, "a caller made themselves (or someone) staff"
    new_users = User.objects.exclude(pk__in=users_before)
    assert not new_users.filter(email_verified=True).exists(), "a new account came out verified"
