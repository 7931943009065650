"""Staff edits in the Django admin go through the course and lesson services: audited with the
changed fields, and the catalogue figures, the cache and students' progress follow."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.core.models import AuditLog
from apps.courses.models import Course, EnrollmentStatus, Lesson, LessonProgress
from apps.users.models import UserType
from apps.users.tests.factories import UserFactory

from .factories import CourseFactory, EnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def _errors(response) -> dict:
    if not response.context:
        return {"status": response.status_code}
    formsets = [f.formset for f in response.context.get("inline_admin_formsets", [])]
    return {
        "form": response.context["adminform"].errors,
        "inlines": [(fs.errors, fs.non_form_errors()) for fs in formsets],
    }


LIST = "/api/v1/courses/courses/"


@pytest.fixture
def staff():
    return UserFactory(user_type=UserType.ADMIN, is_superuser=True)


@pytest.fixture
def admin_web(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _form(course: Course, lessons: list[dict] | None = None, **changes) -> dict:
    """The change form's POST body: the course's current values, `changes`, and the lesson inline
    (existing lessons as they are unless given in `lessons`, which may add or delete rows)."""
    data = {
        "slug": course.slug,
        "title": course.title,
        "short_description": course.short_description,
        "description": course.description,
        "category": course.category,
        "level": course.level,
        "duration": course.duration,
        "price": str(course.price),
        "currency": course.currency,
        "instructor": str(course.instructor_id),
        "is_published": "on" if course.is_published else "",
    }
    data.update(changes)
    if not data["is_published"]:
        del data["is_published"]
    rows = lessons if lessons is not None else [{"id": lesson.pk} for lesson in course.lessons.order_by("position")]
    existing = {} if course._state.adding else {lesson.pk: lesson for lesson in course.lessons.all()}
    initial = [row for row in rows if row.get("id")]
    ordered = initial + [row for row in rows if not row.get("id")]
    data.update(
        {
            "lessons-TOTAL_FORMS": str(len(ordered)),
            "lessons-INITIAL_FORMS": str(len(initial)),
            "lessons-MIN_NUM_FORMS": "0",
            "lessons-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(ordered):
        lesson = existing.get(row.get("id"))
        values = {
            "id": str(lesson.pk) if lesson else "",
            "course": "" if course._state.adding else str(course.pk),
            "position": str(lesson.position) if lesson else "",
            "title": lesson.title if lesson else "",
            "video_url": lesson.video_url if lesson else "",
            "duration_seconds": str(lesson.duration_seconds) if lesson else "0",
            "is_preview": "on" if lesson and lesson.is_preview else "",
        }
        values.update({k: str(v) for k, v in row.items() if k != "id"})
        for key, value in values.items():
            if key == "is_preview" and not value:
                continue
            if key == "DELETE" and value in ("", "False"):
                continue
            data[f"lessons-{i}-{key}"] = value
    return data


def _save(client: Client, course: Course, **kwargs):
    response = client.post(f"/admin/courses/course/{course.pk}/change/", _form(course, **kwargs))
    assert response.status_code == 302, _errors(response)
    return response


def _catalogue_item(api_client, course) -> dict:
    return next(item for item in api_client.get(LIST).json()["results"] if item["id"] == str(course.pk))


def test_admin_course_edit_is_audited_with_the_changed_fields(admin_web, staff, run_on_commit):
    course = course_with_lessons(2, title="Before", price=Decimal("100.00"))
    with run_on_commit():
        _save(admin_web, course, title="After", price="250.00")
    entry = AuditLog.objects.get(action="course.updated", target_id=str(course.pk))
    assert entry.actor == staff and entry.details == {"fields": ["price", "title"]}
    course.refresh_from_db()
    assert course.title == "After" and course.price == Decimal("250.00")
    assert course.lesson_count == 2  # the figures are not written from the form


def test_admin_unchanged_save_writes_no_audit_row(admin_web, run_on_commit):
    course = course_with_lessons(1)
    with run_on_commit():
        _save(admin_web, course)
    assert not AuditLog.objects.filter(target_id=str(course.pk)).exists()


def test_admin_publish_through_the_form_is_audited(admin_web, run_on_commit):
    course = CourseFactory(is_published=False, published_at=None)
    with run_on_commit():
        _save(admin_web, course, is_published="on")
    actions = set(AuditLog.objects.filter(target_id=str(course.pk)).values_list("action", flat=True))
    assert actions == {"course.updated", "course.published"}
    course.refresh_from_db()
    assert course.published_at is not None


def test_admin_course_creation_is_audited(admin_web, staff, run_on_commit):
    instructor = UserFactory(user_type=UserType.INSTRUCTOR)
    blank = Course(instructor=instructor, title="New", slug="new", description="d", level="beginner", price=0)
    data = _form(blank, lessons=[{"position": 1, "title": "Intro", "duration_seconds": 90}])
    with run_on_commit():
        response = admin_web.post("/admin/courses/course/add/", data)
    assert response.status_code == 302, _errors(response)
    course = Course.objects.get(slug="new")
    assert AuditLog.objects.filter(action="course.created", target_id=str(course.pk), actor=staff).count() == 1
    assert AuditLog.objects.filter(action="lesson.created", target_id=str(course.pk)).count() == 1
    assert course.lesson_count == 1 and course.total_duration_seconds == 90


def test_admin_rejects_an_unsupported_currency(admin_web):
    course = CourseFactory()
    response = admin_web.post(f"/admin/courses/course/{course.pk}/change/", _form(course, currency="USD"))
    assert response.status_code == 200 and "currency" in response.context["adminform"].errors
    course.refresh_from_db()
    assert course.currency == "INR"


def test_admin_rejects_a_student_as_instructor(admin_web):
    course = CourseFactory()
    student = UserFactory(user_type=UserType.STUDENT)
    response = admin_web.post(f"/admin/courses/course/{course.pk}/change/", _form(course, instructor=str(student.pk)))
    assert response.status_code == 200 and "instructor" in response.context["adminform"].errors


def test_admin_lesson_inline_add_edit_delete_are_audited_and_keep_figures_cache_and_progress(
    admin_web, api_client, run_on_commit
):
    course = course_with_lessons(2)
    first, second = course.lessons.order_by("position")
    student = EnrollmentFactory(course=course, status=EnrollmentStatus.ACTIVE)
    LessonProgress.objects.create(enrollment=student, lesson=first)
    student.progress_percent = 50
    student.save()
    assert _catalogue_item(api_client, course)["lesson_count"] == 2  # now cached

    # Add a third lesson.
    with run_on_commit():
        _save(
            admin_web,
            course,
            lessons=[{"id": first.pk}, {"id": second.pk}, {"position": 3, "title": "Third", "duration_seconds": 300}],
        )
    third = Lesson.objects.get(course=course, position=3)
    assert AuditLog.objects.filter(action="lesson.created", details__lesson=str(third.pk)).count() == 1
    item = _catalogue_item(api_client, course)
    assert item["lesson_count"] == 3 and item["total_duration_seconds"] == 600 + 600 + 300
    student.refresh_from_db()
    assert student.progress_percent == 33

    # Edit the second lesson's duration and title.
    with run_on_commit():
        _save(
            admin_web,
            course,
            lessons=[{"id": first.pk}, {"id": second.pk, "duration_seconds": 60, "title": "Shorter"}, {"id": third.pk}],
        )
    entry = AuditLog.objects.get(action="lesson.updated", details__lesson=str(second.pk))
    assert sorted(entry.details["fields"]) == ["duration_seconds", "title"]
    assert _catalogue_item(api_client, course)["total_duration_seconds"] == 600 + 60 + 300

    # Delete the third.
    with run_on_commit():
        _save(admin_web, course, lessons=[{"id": first.pk}, {"id": second.pk}, {"id": third.pk, "DELETE": "on"}])
    assert not Lesson.objects.filter(pk=third.pk).exists()
    assert AuditLog.objects.filter(action="lesson.deleted", details__lesson=str(third.pk)).count() == 1
    item = _catalogue_item(api_client, course)
    assert item["lesson_count"] == 2 and item["total_duration_seconds"] == 660
    student.refresh_from_db()
    assert student.progress_percent == 50


def test_admin_inline_position_clash_is_a_form_error_not_a_500(admin_web, run_on_commit):
    course = course_with_lessons(2)
    first, second = course.lessons.order_by("position")
    response = admin_web.post(
        f"/admin/courses/course/{course.pk}/change/",
        _form(course, lessons=[{"id": first.pk, "position": 2}, {"id": second.pk, "position": 1}]),
    )
    assert response.status_code == 200  # the form again, with the error
    assert sorted(course.lessons.values_list("position", flat=True)) == [1, 2]
    assert not AuditLog.objects.filter(action="lesson.updated").exists()
