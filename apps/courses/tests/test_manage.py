"""Instructors manage their own courses and lessons; staff manage all (audited); nobody else."""

from decimal import Decimal

import pytest

from apps.core.models import AuditLog
from apps.courses.models import Course, EnrollmentStatus, Lesson
from tests.clients import role_client

from .factories import CourseFactory, EnrollmentFactory, LessonFactory, course_with_lessons

pytestmark = pytest.mark.django_db
LIST = "/api/v1/courses/courses/"
NEW = {"title": "Machine Learning 101", "description": "From zero.", "level": "beginner", "price": "1499.00"}


def url(course, suffix="") -> str:
    return f"{LIST}{course.pk}/{suffix}"


def test_instructor_creates_a_course_with_a_generated_slug(instructor_client):
    response = instructor_client.post(LIST, NEW, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "machine-learning-101" and body["is_published"] is False
    assert body["instructor"] == str(instructor_client.user.pk) and body["currency"] == "INR"
    again = instructor_client.post(LIST, NEW, format="json")
    assert again.json()["slug"] == "machine-learning-101-2"


def test_only_title_description_level_and_price_are_required(instructor_client):
    response = instructor_client.post(LIST, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"title", "description", "level", "price"}


@pytest.mark.parametrize(
    "bad",
    [{"price": "-1"}, {"level": "expert"}, {"currency": "rupees"}, {"slug": "taken"}],
)
def test_invalid_course_fields_are_400(instructor_client, bad):
    CourseFactory(slug="taken")
    response = instructor_client.post(LIST, {**NEW, **bad}, format="json")
    assert response.status_code == 400
    assert next(iter(bad)) in response.json()["fields"]


@pytest.mark.parametrize("currency", ["USD", "EUR", "XYZ", "rupees", ""])
def test_unsupported_currency_is_400_naming_currency(instructor_client, currency):
    response = instructor_client.post(LIST, {**NEW, "currency": currency}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["fields"]) == {"currency"}
    assert not Course.objects.exists()


def test_currency_in_the_supported_list_is_accepted(instructor_client, settings):
    settings.COURSE_SUPPORTED_CURRENCIES = ["INR", "USD"]
    response = instructor_client.post(LIST, {**NEW, "currency": "usd"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["currency"] == "USD"


def test_editing_a_course_to_an_unsupported_currency_is_400(instructor_client):
    course = CourseFactory(instructor=instructor_client.user)
    response = instructor_client.patch(url(course), {"currency": "GBP"}, format="json")
    assert response.status_code == 400 and "currency" in response.json()["fields"]
    course.refresh_from_db()
    assert course.currency == "INR"


def test_student_cannot_create_a_course(student_client):
    response = student_client.post(LIST, NEW, format="json")
    assert response.status_code == 403
    assert not Course.objects.exists()


def test_anonymous_cannot_write(api_client):
    course = CourseFactory()
    assert api_client.post(LIST, NEW, format="json").status_code == 401
    assert api_client.patch(url(course), {"title": "x"}, format="json").status_code == 401
    assert api_client.delete(url(course)).status_code == 401


def test_instructor_edits_publishes_and_deletes_own_course(instructor_client):
    course = CourseFactory(instructor=instructor_client.user, is_published=False, published_at=None)
    response = instructor_client.patch(url(course), {"title": "Renamed", "price": "10.50"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Renamed"
    response = instructor_client.post(url(course, "publish/"))
    assert response.json()["is_published"] is True and response.json()["published_at"]
    assert AuditLog.objects.filter(action="course.published", target_id=str(course.pk)).exists()
    assert instructor_client.delete(url(course)).status_code == 204
    assert not Course.objects.filter(pk=course.pk).exists()


def test_instructor_cannot_touch_another_instructors_course_or_lessons(instructor_client):
    other = course_with_lessons(2)
    draft = CourseFactory(is_published=False)
    lesson = other.lessons.first()
    assert instructor_client.patch(url(other), {"title": "Mine now"}, format="json").status_code == 403
    assert instructor_client.delete(url(other)).status_code == 403
    assert instructor_client.post(url(other, "unpublish/")).status_code == 403
    assert instructor_client.patch(url(draft), {"title": "x"}, format="json").status_code == 404
    assert instructor_client.post(url(other, "lessons/"), {"title": "Injected"}, format="json").status_code == 403
    assert (
        instructor_client.patch(url(other, f"lessons/{lesson.pk}/"), {"title": "x"}, format="json").status_code == 403
    )
    assert instructor_client.delete(url(other, f"lessons/{lesson.pk}/")).status_code == 403
    other.refresh_from_db()
    assert other.title != "Mine now" and other.is_published and other.lessons.count() == 2


def test_instructor_cannot_assign_a_course_to_someone_else(instructor_client):
    someone = role_client("instructor").user
    response = instructor_client.post(LIST, {**NEW, "instructor": str(someone.pk)}, format="json")
    assert response.status_code == 403
    assert not Course.objects.exists()


def test_staff_manage_every_course_and_are_audited(founder_client):
    course = course_with_lessons(1)
    response = founder_client.patch(url(course), {"title": "Fixed by staff"}, format="json")
    assert response.status_code == 200
    entry = AuditLog.objects.get(action="course.updated", target_id=str(course.pk))
    assert entry.actor == founder_client.user and entry.details == {"fields": ["title"]}
    teacher = role_client("instructor").user
    response = founder_client.patch(url(course), {"instructor": str(teacher.pk)}, format="json")
    assert response.status_code == 200 and response.json()["instructor"] == str(teacher.pk)
    student = role_client("student").user
    response = founder_client.patch(url(course), {"instructor": str(student.pk)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_an_instructor"


def test_staff_without_a_two_factor_login_cannot_manage_others_courses(db):
    from tests.clients import role_client as make

    founder_without_2fa = make("founder")
    course = CourseFactory()
    response = founder_without_2fa.patch(url(course), {"title": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_setup_required"


def test_course_with_paying_students_cannot_be_deleted_only_unpublished(instructor_client):
    course = CourseFactory(instructor=instructor_client.user, price=Decimal("999"))
    EnrollmentFactory(course=course, status=EnrollmentStatus.ACTIVE)
    response = instructor_client.delete(url(course))
    assert response.status_code == 409 and response.json()["code"] == "course_has_students"
    assert Course.objects.filter(pk=course.pk).exists()
    assert instructor_client.post(url(course, "unpublish/")).json()["is_published"] is False


def test_course_with_only_pending_enrolments_can_be_deleted(instructor_client):
    course = CourseFactory(instructor=instructor_client.user, price=Decimal("999"))
    EnrollmentFactory(course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    assert instructor_client.delete(url(course)).status_code == 204


def test_lessons_crud_positions_and_https_only(instructor_client):
    course = CourseFactory(instructor=instructor_client.user)
    lessons = url(course, "lessons/")
    first = instructor_client.post(lessons, {"title": "Intro", "video_url": "https://v.example.com/1"}, format="json")
    assert first.status_code == 201 and first.json()["position"] == 1
    second = instructor_client.post(lessons, {"title": "Next", "duration_seconds": 90}, format="json")
    assert second.json()["position"] == 2
    clash = instructor_client.post(lessons, {"title": "Clash", "position": 1}, format="json")
    assert clash.status_code == 400 and clash.json()["code"] == "duplicate_position"
    insecure = instructor_client.post(lessons, {"title": "x", "video_url": "http://v.example.com/1"}, format="json")
    assert insecure.status_code == 400 and "video_url" in insecure.json()["fields"]
    lesson_id = first.json()["id"]
    response = instructor_client.patch(f"{lessons}{lesson_id}/", {"is_preview": True, "position": 5}, format="json")
    assert response.status_code == 200 and response.json()["position"] == 5
    assert instructor_client.delete(f"{lessons}{lesson_id}/").status_code == 204
    assert list(Lesson.objects.filter(course=course).values_list("title", flat=True)) == ["Next"]


def test_lesson_of_another_course_is_404(instructor_client):
    mine = CourseFactory(instructor=instructor_client.user)
    foreign = LessonFactory()
    response = instructor_client.patch(url(mine, f"lessons/{foreign.pk}/"), {"title": "x"}, format="json")
    assert response.status_code == 404
