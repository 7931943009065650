"""Writes for the courses app: the catalogue, enrolments, progress and certificates.

Every function here is the one way to make its change, so the rules (who may, which state may
follow which) hold for the API, the admin and the payments app alike.
"""

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError

from .error_codes import CourseErrorCode
from .models import ACCESS_STATUSES, Certificate, Course, Enrollment, EnrollmentStatus, Lesson, LessonProgress
from .selectors import can_teach, is_staff

COURSE_FIELDS = (
    "title",
    "slug",
    "short_description",
    "description",
    "category",
    "level",
    "duration",
    "price",
    "currency",
    "thumbnail",
    "is_published",
    "instructor",
)
LESSON_FIELDS = ("title", "position", "description", "video_url", "video_file", "duration_seconds", "is_preview")


# --------------------------------------------------------------------------------------------
# Courses and lessons
# --------------------------------------------------------------------------------------------


def course_refresh_figures(*, course_id: Any) -> None:
    """Recount a course's lessons, their total duration and its students (enrolments with
    access), in one UPDATE. Runs on every lesson and enrolment change (signals in apps.py)."""
    lessons = Lesson.objects.filter(course=OuterRef("pk")).order_by().values("course")
    students = Enrollment.objects.filter(course=OuterRef("pk"), status__in=ACCESS_STATUSES).order_by().values("course")

    def scalar(queryset, expression):
        return Coalesce(Subquery(queryset.annotate(v=expression).values("v")[:1]), Value(0))

    Course.objects.filter(pk=course_id).update(
        lesson_count=scalar(lessons, Count("id")),
        total_duration_seconds=scalar(lessons, Sum("duration_seconds")),
        enrollment_count=scalar(students, Count("id")),
    )


def on_figures_change(sender, instance, update_fields=None, **kwargs) -> None:
    """post_save/post_delete receiver for Lesson and Enrollment. An enrolment saved without a
    status change (progress) changes no figure, and doesn't touch the course row."""
    if sender is Enrollment and update_fields is not None and "status" not in update_fields:
        return
    course_refresh_figures(course_id=instance.course_id)


def _check_instructor(*, actor: Any, instructor: Any) -> None:
    if instructor is None or instructor.pk == actor.pk:
        return
    if not is_staff(actor):
        raise PermissionDeniedError(
            "Only staff can assign a course to another instructor.", fields={"instructor": ["Not allowed."]}
        )
    if not can_teach(instructor):
        raise ApplicationError(
            "The instructor must be an active instructor, founder or admin.",
            CourseErrorCode.NOT_AN_INSTRUCTOR,
            fields={"instructor": ["This user can't teach."]},
        )


def _unique_slug(title: str, *, exclude_pk: Any = None) -> str:
    base = slugify(title)[:200] or "course"
    taken = set(Course.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _duplicate_slug() -> ApplicationError:
    return ApplicationError(
        "Another course already uses this slug.", CourseErrorCode.DUPLICATE_SLUG, fields={"slug": ["Already taken."]}
    )


def _apply_publication(course: Course) -> None:
    if course.is_published and course.published_at is None:
        course.published_at = timezone.now()


def _audit_course(action: str, *, actor: Any, course: Course, details: dict | None = None) -> None:
    """Staff actions, and every publication change and deletion, go into the audit trail."""
    if is_staff(actor) or action in ("course.published", "course.unpublished", "course.deleted"):
        audit_record(action=action, actor=actor, target=course, details=details or {})


def course_create(*, actor: Any, data: dict[str, Any]) -> Course:
    if not can_teach(actor):
        raise PermissionDeniedError("Only instructors and staff can create courses.")
    instructor = data.get("instructor") or actor
    _check_instructor(actor=actor, instructor=instructor)
    fields = {key: value for key, value in data.items() if key in COURSE_FIELDS}
    fields["instructor"] = instructor
    if not fields.get("slug"):
        fields["slug"] = _unique_slug(fields["title"])
    elif Course.objects.filter(slug=fields["slug"]).exists():
        raise _duplicate_slug()
    course = Course(**fields)
    _apply_publication(course)
    try:
        with transaction.atomic():
            course.save()
            _audit_course("course.created", actor=actor, course=course, details={"slug": course.slug})
            if course.is_published:
                _audit_course("course.published", actor=actor, course=course)
    except IntegrityError as exc:
        raise _duplicate_slug() from exc
    return course


def course_update(*, actor: Any, course: Course, data: dict[str, Any]) -> Course:
    if "instructor" in data:
        _check_instructor(actor=actor, instructor=data["instructor"])
    if data.get("slug") and Course.objects.filter(slug=data["slug"]).exclude(pk=course.pk).exists():
        raise _duplicate_slug()
    was_published = course.is_published
    changed = []
    for key, value in data.items():
        if key in COURSE_FIELDS and (value is not None or key == "instructor") and getattr(course, key) != value:
            setattr(course, key, value)
            changed.append(key)
    if "instructor" in changed and course.instructor is None:
        course.instructor = actor
    if not changed:
        return course
    _apply_publication(course)
    try:
        with transaction.atomic():
            # Only what changed: a full save would write back the catalogue figures read with
            # the course, undoing a recount made meanwhile by an enrolment or a lesson change.
            course.save(update_fields=[*changed, "published_at", "updated_at"])
            _audit_course("course.updated", actor=actor, course=course, details={"fields": sorted(changed)})
            if course.is_published != was_published:
                action = "course.published" if course.is_published else "course.unpublished"
                _audit_course(action, actor=actor, course=course)
    except IntegrityError as exc:
        raise _duplicate_slug() from exc
    return course


def course_set_published(*, actor: Any, course: Course, published: bool) -> Course:
    return course_update(actor=actor, course=course, data={"is_published": published})


def course_delete(*, actor: Any, course: Course) -> None:
    """Delete a course nobody has learnt or paid for; otherwise it may only be unpublished."""
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        kept = course.enrollments.exclude(status__in=[EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.CANCELLED])
        if kept.exists() or _has_payments(course):
            raise ApplicationError(
                "Students have enrolled in or paid for this course, so it can't be deleted; unpublish it instead.",
                CourseErrorCode.COURSE_HAS_STUDENTS,
                status=409,
            )
        _audit_course("course.deleted", actor=actor, course=course, details={"slug": course.slug})
        course.enrollments.all().delete()
        course.delete()


def _has_payments(course: Course) -> bool:
    """Any payment recorded against an enrolment in this course (the payments app's rows)."""
    relation = getattr(Enrollment, "payments", None)
    if relation is None:
        return False
    return course.enrollments.filter(payments__isnull=False).exists()


def _recompute_progress(course: Course) -> None:
    """After lessons are added or removed, active enrolments' percentages follow."""
    total = course.lessons.count()
    for enrollment in course.enrollments.filter(status=EnrollmentStatus.ACTIVE).annotate(done=Count("lesson_progress")):
        percent = min(100, enrollment.done * 100 // total) if total else 0
        if percent != enrollment.progress_percent:
            Enrollment.objects.filter(pk=enrollment.pk).update(progress_percent=percent)


def _duplicate_position() -> ApplicationError:
    return ApplicationError(
        "Another lesson of this course already has this position.",
        CourseErrorCode.DUPLICATE_POSITION,
        fields={"position": ["Already taken in this course."]},
    )


def lesson_create(*, actor: Any, course: Course, data: dict[str, Any]) -> Lesson:
    fields = {key: value for key, value in data.items() if key in LESSON_FIELDS}
    try:
        with transaction.atomic():
            Course.objects.select_for_update().filter(pk=course.pk).first()  # serialise position picks
            if fields.get("position") is None:
                fields["position"] = (course.lessons.aggregate(m=Max("position"))["m"] or 0) + 1
            elif course.lessons.filter(position=fields["position"]).exists():
                raise _duplicate_position()
            lesson = Lesson.objects.create(course=course, **fields)
            # After commit, in its own transaction: enrolment rows are never locked while this
            # transaction holds the course row (progress updates lock them in the other order).
            transaction.on_commit(lambda: _recompute_progress(course))
            _audit_course("lesson.created", actor=actor, course=course, details={"lesson": str(lesson.pk)})
    except IntegrityError as exc:
        raise _duplicate_position() from exc
    return lesson


def lesson_update(*, actor: Any, lesson: Lesson, data: dict[str, Any]) -> Lesson:
    changed = []
    for key, value in data.items():
        if key in LESSON_FIELDS and getattr(lesson, key) != value:
            setattr(lesson, key, value)
            changed.append(key)
    if not changed:
        return lesson
    if "position" in changed and lesson.course.lessons.filter(position=lesson.position).exclude(pk=lesson.pk).exists():
        raise _duplicate_position()
    try:
        with transaction.atomic():
            lesson.save()
            _audit_course(
                "lesson.updated",
                actor=actor,
                course=lesson.course,
                details={"lesson": str(lesson.pk), "fields": changed},
            )
    except IntegrityError as exc:
        raise _duplicate_position() from exc
    return lesson


def lesson_delete(*, actor: Any, lesson: Lesson) -> None:
    course = lesson.course
    with transaction.atomic():
        _audit_course("lesson.deleted", actor=actor, course=course, details={"lesson": str(lesson.pk)})
        lesson.delete()
        transaction.on_commit(lambda: _recompute_progress(course))


# --------------------------------------------------------------------------------------------
# Enrolments
# --------------------------------------------------------------------------------------------


def _opening_status(course: Course) -> str:
    return EnrollmentStatus.ACTIVE if course.price == Decimal("0") else EnrollmentStatus.PENDING_PAYMENT


def enrollment_create(*, user: Any, course_id: Any) -> tuple[Enrollment, bool]:
    """Enrol `user`; returns (enrolment, created_or_reopened).

    Free course: active at once. Paid course: pending_payment until the payments app activates it.
    Enrolling again: active/completed -> already_enrolled; pending_payment -> the same enrolment;
    cancelled/refunded -> the same row reopened.
    """
    course = Course.objects.filter(pk=course_id, is_published=True).first()
    if course is None:
        raise NotFoundError("No such course.", fields={"course": ["No published course has this id."]})
    with transaction.atomic():
        enrollment, created = Enrollment.objects.select_for_update().get_or_create(
            user=user, course=course, defaults={"status": _opening_status(course)}
        )
        if created:
            reopened = False
        elif enrollment.status in ACCESS_STATUSES:
            raise ApplicationError(
                "You are already enrolled in this course.",
                CourseErrorCode.ALREADY_ENROLLED,
                extra={"enrollment": str(enrollment.pk)},
            )
        elif enrollment.status == EnrollmentStatus.PENDING_PAYMENT:
            return enrollment, False
        else:
            reopened = True
            enrollment.status = _opening_status(course)
            enrollment.enrolled_at = timezone.now()
            enrollment.completed_at = None
        if enrollment.status == EnrollmentStatus.ACTIVE:
            enrollment.activated_at = timezone.now()
        enrollment.save()
        if enrollment.status == EnrollmentStatus.ACTIVE:
            _send_welcome(enrollment)
        if reopened:
            audit_record(action="enrollment.reopened", actor=user, target=enrollment)
    return enrollment, True


def _send_welcome(enrollment: Enrollment) -> None:
    email_send(
        to=enrollment.user.email,
        template="course_enrolled",
        context={
            "name": enrollment.user.get_short_name(),
            "course_title": enrollment.course.title,
            "course_url": _course_url(enrollment.course),
        },
    )


def _course_url(course: Course) -> str:
    if settings.FRONTEND_URL:
        return f"{settings.FRONTEND_URL}/courses/{course.slug}"
    return f"{settings.SITE_URL}/api/v1/courses/courses/{course.slug}/"


def enrollment_cancel(*, user: Any, enrollment: Enrollment) -> Enrollment:
    """The student withdraws an unpaid enrolment or leaves a free course. Paid access ends
    through a refund (payments app), never here."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update(of=("self",)).select_related("course").get(pk=enrollment.pk)
        cancellable = enrollment.status == EnrollmentStatus.PENDING_PAYMENT or (
            enrollment.status == EnrollmentStatus.ACTIVE and enrollment.course.price == Decimal("0")
        )
        if not cancellable:
            raise ApplicationError(
                f"A {enrollment.status} enrolment in a paid course can't be cancelled here; ask for a refund.",
                CourseErrorCode.CANNOT_CANCEL,
            )
        enrollment.status = EnrollmentStatus.CANCELLED
        enrollment.save(update_fields=["status", "updated_at"])
        audit_record(action="enrollment.cancelled", actor=user, target=enrollment)
    return enrollment


def enrollment_activate(*, enrollment_id: Any) -> Enrollment:
    """Payment received: pending (or cancelled while the payment was in flight) becomes active.
    Called by the payments app inside its transaction; idempotent."""
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",)).select_related("course", "user").get(pk=enrollment_id)
    )
    if enrollment.status in ACCESS_STATUSES:
        return enrollment
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.activated_at = timezone.now()
    enrollment.save(update_fields=["status", "activated_at", "updated_at"])
    _send_welcome(enrollment)
    return enrollment


def enrollment_mark_refunded(*, enrollment_id: Any) -> Enrollment:
    """A full refund ends access (the payments app calls this)."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)
    if enrollment.status != EnrollmentStatus.REFUNDED:
        enrollment.status = EnrollmentStatus.REFUNDED
        enrollment.save(update_fields=["status", "updated_at"])
    return enrollment


def lesson_complete(*, enrollment: Enrollment, lesson_id: Any) -> Enrollment:
    """Mark one lesson done; the last one completes the course and issues the certificate."""
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",)).select_related("course", "user").get(pk=enrollment.pk)
        )
        if enrollment.status not in ACCESS_STATUSES:
            raise ApplicationError(
                f"This enrolment is {enrollment.status.replace('_', ' ')}; lessons can be completed once it is active.",
                CourseErrorCode.ENROLLMENT_NOT_ACTIVE,
            )
        try:
            lesson = Lesson.objects.filter(pk=lesson_id, course=enrollment.course).first()
        except DjangoValidationError:  # a malformed id is just an unknown lesson
            lesson = None
        if lesson is None:
            raise NotFoundError("This course has no such lesson.")
        LessonProgress.objects.get_or_create(enrollment=enrollment, lesson=lesson)
        counts = enrollment.course.lessons.aggregate(
            total=Count("id"), done=Count("progress", filter=Q(progress__enrollment=enrollment))
        )
        total, done = counts["total"], counts["done"]
        enrollment.progress_percent = min(100, done * 100 // total) if total else 0
        fields = ["progress_percent", "updated_at"]
        if done >= total and enrollment.status == EnrollmentStatus.ACTIVE:
            enrollment.status = EnrollmentStatus.COMPLETED
            enrollment.completed_at = timezone.now()
            fields += ["status", "completed_at"]
        enrollment.save(update_fields=fields)
        if "completed_at" in fields:
            certificate = certificate_issue(enrollment=enrollment)
            email_send(
                to=enrollment.user.email,
                template="course_completed",
                context={
                    "name": enrollment.user.get_short_name(),
                    "course_title": enrollment.course.title,
                    "certificate_code": certificate.code,
                    "verify_url": certificate_verify_url(certificate.code),
                },
            )
    return enrollment


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


def certificate_verify_url(code: str) -> str:
    return f"{settings.SITE_URL}/certificates/{code}/"


def certificate_issue(*, enrollment: Enrollment) -> Certificate:
    """Issue (once) the certificate of a completed enrolment."""
    existing = Certificate.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        return existing
    course = enrollment.course
    return Certificate.objects.create(
        enrollment=enrollment,
        user=enrollment.user,
        course=course,
        code=secrets.token_urlsafe(18),  # 144 random bits: unguessable
        student_name=enrollment.user.get_full_name(),
        course_title=course.title,
        instructor_name=course.instructor.get_full_name(),
        completed_at=enrollment.completed_at or timezone.now(),
    )


def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.is_revoked:
            raise ApplicationError("This certificate is already revoked.", CourseErrorCode.ALREADY_REVOKED)
        certificate.revoked_at = timezone.now()
        certificate.revoked_by = actor
        certificate.revoke_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(action="certificate.revoked", actor=actor, target=certificate, details={"reason": reason})
    return certificate
