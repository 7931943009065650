"""Reads for the courses app: who may see which course, enrolment and certificate."""

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from apps.core.errors import NotFoundError

from .models import ACCESS_STATUSES, Certificate, Course, Enrollment, EnrollmentRequest, Lesson, LessonProgress

TEACHING_ROLES = frozenset({"instructor", "founder", "admin"})


def can_teach(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.user_type in TEACHING_ROLES and user.is_active)


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff_member)


CATALOGUE_VALUES = (
    "id",
    "slug",
    "title",
    "short_description",
    "category",
    "level",
    "duration",
    "price",
    "currency",
    "thumbnail",
    "instructor_id",
    "instructor__first_name",
    "instructor__last_name",
    "instructor__email",
    "lesson_count",
    "total_duration_seconds",
    "enrollment_count",
    "is_published",
    "published_at",
)


def catalogue_rows(queryset: QuerySet[Course]) -> QuerySet:
    """A list's rows as plain dicts of exactly what a list item shows (no model instances)."""
    return queryset.values(*CATALOGUE_VALUES)


def with_catalogue_figures(queryset: QuerySet[Course]) -> QuerySet[Course]:
    """What a list item shows: the figures are columns on Course, the instructor is joined."""
    return queryset.select_related("instructor")


def course_catalogue(
    *,
    level: str | None = None,
    category: str | None = None,
    is_free: bool | None = None,
    instructor: uuid.UUID | None = None,
    search: str = "",
    ordering: str | None = None,
) -> QuerySet[Course]:
    """The public catalogue: published courses with the list's figures, filtered and ordered."""
    return _filtered(Course.objects.filter(is_published=True), level, category, is_free, instructor, search, ordering)


def course_list_taught_by(*, user: Any, **filters) -> QuerySet[Course]:
    """`?mine=true`: an instructor's own courses, drafts included (staff: every course)."""
    queryset = Course.objects.all() if is_staff(user) else Course.objects.filter(instructor=user)
    return _filtered(queryset, **filters)


def _filtered(queryset, level=None, category=None, is_free=None, instructor=None, search="", ordering=None):
    if level:
        queryset = queryset.filter(level=level)
    if category:
        queryset = queryset.filter(category__iexact=category)
    if is_free is True:
        queryset = queryset.filter(price=Decimal("0"))
    elif is_free is False:
        queryset = queryset.filter(price__gt=Decimal("0"))
    if instructor:
        queryset = queryset.filter(instructor_id=instructor)
    if search:
        queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search))
    queryset = with_catalogue_figures(queryset)
    order = [ordering] if ordering else ["-published_at"]
    return queryset.order_by(*order, "-created_at", "id")


def courses_visible_to(user: Any) -> QuerySet[Course]:
    """Published courses, plus drafts the caller teaches, manages (staff) or is enrolled in."""
    if is_staff(user):
        return Course.objects.all()
    visible = Q(is_published=True)
    if user is not None and user.is_authenticated:
        visible |= Q(instructor=user) | Q(
            Exists(Enrollment.objects.filter(course=OuterRef("pk"), user=user, status__in=ACCESS_STATUSES))
        )
    return Course.objects.filter(visible)


def course_lookup(queryset: QuerySet[Course], key: str) -> Course:
    """A course by id or by slug, within `queryset`; 404 when it isn't there."""
    try:
        condition = Q(pk=uuid.UUID(str(key)))
    except ValueError:
        condition = Q(slug=key)
    course = queryset.filter(condition).first()
    if course is None:
        raise NotFoundError("No such course.")
    return course


def course_detail(*, user: Any, key: str) -> Course:
    queryset = with_catalogue_figures(courses_visible_to(user)).prefetch_related(
        Prefetch("lessons", queryset=Lesson.objects.order_by("position"))
    )
    return course_lookup(queryset, key)


def may_watch(*, user: Any, course: Course) -> bool:
    """Full lesson videos: the course's instructor, staff, and students with access."""
    if user is None or not user.is_authenticated:
        return False
    if course.instructor_id == user.pk or is_staff(user):
        return True
    return Enrollment.objects.filter(user=user, course=course, status__in=ACCESS_STATUSES).exists()


def may_manage(*, user: Any, course: Course) -> bool:
    return can_teach(user) and (course.instructor_id == user.pk or is_staff(user))


def enrollments_visible_to(user: Any) -> QuerySet[Enrollment]:
    """A student's own; an instructor's own plus their courses' students; staff: everyone's."""
    queryset = Enrollment.objects.select_related("course", "user")
    if is_staff(user):
        return queryset
    if can_teach(user):
        return queryset.filter(Q(user=user) | Q(course__instructor=user))
    return queryset.filter(user=user)


def enrollment_list(*, user: Any, course: uuid.UUID | None = None, status: list[str] | None = None):
    queryset = enrollments_visible_to(user)
    if course:
        queryset = queryset.filter(course_id=course)
    if status:
        queryset = queryset.filter(status__in=status)
    return queryset.order_by("-enrolled_at", "id")


def enrollment_detail(*, user: Any, enrollment_id: Any) -> Enrollment:
    try:
        enrollment = (
            enrollments_visible_to(user)
            .prefetch_related(
                Prefetch("course__lessons", queryset=Lesson.objects.order_by("position")),
                Prefetch(
                    "lesson_progress",
                    queryset=LessonProgress.objects.only("lesson_id", "completed_at", "enrollment_id"),
                ),
            )
            .get(pk=enrollment_id)
        )
    except (Enrollment.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFoundError("No such enrolment.") from exc
    return enrollment


def own_enrollment(*, user: Any, enrollment_id: Any) -> Enrollment:
    """An enrolment only its student may act on (progress): 404 for everyone else."""
    try:
        return Enrollment.objects.select_related("course").get(pk=enrollment_id, user=user)
    except (Enrollment.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFoundError("No such enrolment.") from exc


def certificate_list(*, user: Any) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user=user).order_by("-issued_at")


def certificate_for(*, user: Any, certificate_id: Any) -> Certificate:
    """A certificate for its owner, and for staff; 404 for anyone else."""
    queryset = Certificate.objects.all() if is_staff(user) else Certificate.objects.filter(user=user)
    try:
        return queryset.get(pk=certificate_id)
    except (Certificate.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFoundError("No such certificate.") from exc


def certificate_by_code(*, code: str) -> Certificate:
    certificate = Certificate.objects.filter(code=code).first() if code else None
    if certificate is None:
        raise NotFoundError("No certificate has this code.")
    return certificate


def enrollment_request_list(*, status: str | None = None, search: str = "") -> QuerySet[EnrollmentRequest]:
    """Enrolment requests for staff, newest first."""
    queryset = EnrollmentRequest.objects.select_related("course", "user", "enrollment")
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
            | Q(course_title__icontains=search)
        )
    return queryset.order_by("-created_at", "id")
