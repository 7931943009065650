"""Writes for enrolment requests: the website's enrolment form for visitors without an account,
and staff turning a request into an account plus an enrolment.

A module of its own rather than more of services.py, which is long already (CONVENTIONS.md:
split by sub-entity); the rules for enrolments themselves stay in services.py.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.signals import staff_notification
from apps.users.services import user_get_or_invite

from .error_codes import CourseErrorCode
from .models import (
    ACCESS_STATUSES,
    Course,
    Enrollment,
    EnrollmentRequest,
    EnrollmentRequestStatus,
    EnrollmentStatus,
)
from .services import _send_welcome
from .signals import enrollment_request_converted


def course_match_title(*, title: str) -> Course | None:
    """The catalogue's course with this title (ignoring case), preferring a published one."""
    title = (title or "").strip()
    if not title:
        return None
    return Course.objects.filter(title__iexact=title).order_by("-is_published", "-published_at", "created_at").first()


def legacy_notes(*, experience: str = "", duration: str = "") -> str:
    """The notes line the Node.js backend wrote for a registration ("Experience: beginner. ...")."""
    parts = [f"Experience: {experience}" if experience else "", f"Duration: {duration}" if duration else ""]
    return ". ".join(part for part in parts if part)


@transaction.atomic
def enrollment_request_submit(
    *,
    first_name: str,
    last_name: str,
    email: str,
    course_title: str,
    phone: str = "",
    experience: str = "",
    course_price: int = 0,
    course_duration: str = "",
    course_level: str = "",
    ip: str | None = None,
) -> EnrollmentRequest:
    """Store a visitor's enrolment request and tell staff. The visitor gets no e-mail: an account
    (and its invitation) is made only when staff convert the request."""
    request = EnrollmentRequest.objects.create(
        first_name=first_name,
        last_name=last_name,
        email=email.strip().lower(),
        phone=phone,
        experience=experience,
        course=course_match_title(title=course_title),
        course_title=course_title,
        course_price=course_price,
        course_duration=course_duration,
        level=course_level,
        notes=legacy_notes(experience=experience, duration=course_duration),
        ip_address=ip,
    )
    staff_notification.send(
        sender=EnrollmentRequest,
        kind="enrollment_request.new",
        title=f"Enrolment request from {request.full_name}: {course_title}"[:200],
        body=request.notes,
        link=reverse("admin:courses_enrollmentrequest_change", args=[request.pk]),
    )
    return request


def enrollment_request_convert(*, actor: Any, request_id: Any, course_id: Any = None) -> EnrollmentRequest:
    """Make (or find) the person's account and enrol it in the requested course (or `course_id`).

    A new account has no password: its owner is e-mailed a link to choose one. A request marked
    paid (money taken outside Stripe by the old backend) gives an active enrolment; otherwise a
    paid course's enrolment waits for payment as usual. Converting twice is refused.
    """
    with transaction.atomic():
        request = EnrollmentRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFoundError("No such enrolment request.")
        if request.status == EnrollmentRequestStatus.CONVERTED:
            raise ApplicationError(
                "This request has been converted already.",
                CourseErrorCode.REQUEST_ALREADY_CONVERTED,
                status=409,
                extra={"enrollment": str(request.enrollment_id) if request.enrollment_id else None},
            )
        try:
            validate_email(request.email)
        except DjangoValidationError as exc:  # imported rows were checked, but the table is editable
            raise ApplicationError(
                f'"{request.email}" is not a valid e-mail address; correct the request first.',
                CourseErrorCode.REQUEST_INVALID_EMAIL,
                fields={"email": ["Enter a valid e-mail address."]},
            ) from exc
        course = Course.objects.filter(pk=course_id).first() if course_id else request.course
        if course is None:
            raise ApplicationError(
                f'No course in the catalogue matches "{request.course_title}"; choose the course to enrol in.',
                CourseErrorCode.REQUEST_HAS_NO_COURSE,
                fields={"course": ["Give the id of the course to enrol in."]},
            )
        user, user_created = user_get_or_invite(
            email=request.email,
            first_name=request.first_name,
            last_name=request.last_name,
            phone_number=request.phone,
            actor=actor,
            context=f"You are enrolled in {course.title}.",
        )
        enrollment = _enrol(user=user, course=course, paid=request.paid, welcome=not user_created)
        request.course = course
        request.user = user
        request.enrollment = enrollment
        request.status = EnrollmentRequestStatus.CONVERTED
        request.converted_by = actor
        request.converted_at = timezone.now()
        request.save()
        enrollment_request_converted.send(sender=EnrollmentRequest, enrollment_request=request)
        audit_record(
            action="enrollment_request.converted",
            actor=actor,
            target=request,
            details={"user": str(user.pk), "user_created": user_created, "enrollment": str(enrollment.pk)},
        )
    return request


def _enrol(*, user: Any, course: Course, paid: bool, welcome: bool) -> Enrollment:
    opening = EnrollmentStatus.ACTIVE if paid or course.is_free else EnrollmentStatus.PENDING_PAYMENT
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        user=user, course=course, defaults={"status": opening}
    )
    if not created and enrollment.status in ACCESS_STATUSES:
        return enrollment
    if not created and enrollment.status == EnrollmentStatus.PENDING_PAYMENT and opening != EnrollmentStatus.ACTIVE:
        return enrollment
    enrollment.status = opening
    if opening == EnrollmentStatus.ACTIVE:
        enrollment.activated_at = timezone.now()
    enrollment.save()
    if opening == EnrollmentStatus.ACTIVE and welcome:
        _send_welcome(enrollment)
    return enrollment
