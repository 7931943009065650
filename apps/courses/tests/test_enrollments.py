"""Enrolment rules, who sees which enrolment, progress and completion."""

from decimal import Decimal

import pytest

from apps.core.models import OutboundEmail
from apps.courses.models import Certificate, Enrollment, EnrollmentStatus
from tests.clients import role_client

from .factories import CourseFactory, EnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db
ENROL = "/api/v1/courses/enrollments/"


def enrol(client, course):
    return client.post(ENROL, {"course": str(course.pk)}, format="json")


def complete(client, enrollment_id, lesson):
    return client.post(f"{ENROL}{enrollment_id}/lessons/{lesson.pk}/complete/")


def test_free_course_is_active_at_once_with_the_contract_fields(student_client):
    course = course_with_lessons(2)
    response = enrol(student_client, course)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["course"] == str(course.pk) and body["course_title"] == course.title
    assert body["progress_percent"] == 0 and body["enrolled_at"] and body["completed_at"] is None
    assert OutboundEmail.objects.filter(template="course_enrolled", to=student_client.user.email).exists()


def test_paid_course_is_pending_payment_and_asking_again_returns_the_same(student_client):
    course = CourseFactory(price=Decimal("4999.00"))
    first = enrol(student_client, course)
    assert first.status_code == 201 and first.json()["status"] == "pending_payment"
    again = enrol(student_client, course)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Enrollment.objects.count() == 1


@pytest.mark.parametrize("state", [EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED])
def test_enrolling_again_when_active_or_completed_is_already_enrolled(student_client, state):
    course = CourseFactory()
    EnrollmentFactory(user=student_client.user, course=course, status=state, completed_at="2026-01-01T00:00Z")
    response = enrol(student_client, course)
    assert response.status_code == 400 and response.json()["code"] == "already_enrolled"


@pytest.mark.parametrize("state", [EnrollmentStatus.CANCELLED, EnrollmentStatus.REFUNDED])
@pytest.mark.parametrize("price,expected", [(Decimal("0"), "active"), (Decimal("100"), "pending_payment")])
def test_cancelled_or_refunded_enrolment_is_reopened(student_client, state, price, expected):
    course = CourseFactory(price=price)
    old = EnrollmentFactory(user=student_client.user, course=course, status=state)
    response = enrol(student_client, course)
    assert response.status_code == 201
    assert response.json()["id"] == str(old.pk) and response.json()["status"] == expected
    assert Enrollment.objects.filter(user=student_client.user).count() == 1


def test_unpublished_or_unknown_course_is_404(student_client):
    draft = CourseFactory(is_published=False)
    assert enrol(student_client, draft).status_code == 404
    response = student_client.post(ENROL, {"course": "8a1c3c1e-0000-4000-8000-000000000000"}, format="json")
    assert response.status_code == 404
    assert student_client.post(ENROL, {"course": "not-a-uuid"}, format="json").status_code == 400
    assert not Enrollment.objects.exists()


def test_anonymous_cannot_enrol(api_client):
    assert enrol(api_client, CourseFactory()).status_code == 401


def test_student_sees_only_own_enrolments(student_client):
    mine = EnrollmentFactory(user=student_client.user)
    theirs = EnrollmentFactory()
    ids = [e["id"] for e in student_client.get(ENROL).json()["results"]]
    assert ids == [str(mine.pk)]
    assert student_client.get(f"{ENROL}{theirs.pk}/").status_code == 404
    assert student_client.post(f"{ENROL}{theirs.pk}/cancel/").status_code == 404


def test_student_cannot_record_progress_on_another_students_enrolment(student_client):
    course = course_with_lessons(2)
    theirs = EnrollmentFactory(course=course)
    response = complete(student_client, theirs.pk, course.lessons.first())
    assert response.status_code == 404
    assert not theirs.lesson_progress.exists()


def test_instructor_sees_own_and_their_courses_enrolments_not_others(instructor_client):
    taught = CourseFactory(instructor=instructor_client.user)
    in_mine = EnrollmentFactory(course=taught)
    own = EnrollmentFactory(user=instructor_client.user)
    elsewhere = EnrollmentFactory()
    body = instructor_client.get(ENROL).json()["results"]
    assert {e["id"] for e in body} == {str(in_mine.pk), str(own.pk)}
    student_row = next(e for e in body if e["id"] == str(in_mine.pk))
    assert student_row["student_name"] == in_mine.user.get_full_name() and "progress_percent" in student_row
    assert not {"amount", "payment", "payments"} & set(student_row)
    assert instructor_client.get(f"{ENROL}{elsewhere.pk}/").status_code == 404
    assert instructor_client.get(f"{ENROL}{in_mine.pk}/").status_code == 200


def test_staff_see_all_filtered_by_course_and_status(founder_client):
    course = CourseFactory()
    active = EnrollmentFactory(course=course)
    EnrollmentFactory(course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    EnrollmentFactory()
    assert founder_client.get(ENROL).json()["count"] == 3
    response = founder_client.get(ENROL, {"course": str(course.pk), "status": "active"})
    assert [e["id"] for e in response.json()["results"]] == [str(active.pk)]
    assert founder_client.get(ENROL, {"status": "bogus"}).status_code == 400


def test_progress_completion_certificate_and_email(student_client, run_on_commit, mailoutbox):
    course = course_with_lessons(3)
    enrollment_id = enrol(student_client, course).json()["id"]
    lessons = list(course.lessons.order_by("position"))
    body = complete(student_client, enrollment_id, lessons[0]).json()
    assert body["progress_percent"] == 33 and body["status"] == "active"
    assert [lesson["completed"] for lesson in body["lessons"]] == [True, False, False]
    assert complete(student_client, enrollment_id, lessons[0]).json()["progress_percent"] == 33  # idempotent
    complete(student_client, enrollment_id, lessons[1])
    with run_on_commit():
        body = complete(student_client, enrollment_id, lessons[2]).json()
    assert body["status"] == "completed" and body["progress_percent"] == 100 and body["completed_at"]
    certificate = Certificate.objects.get(enrollment_id=enrollment_id)
    assert body["certificate"] == str(certificate.pk)
    assert OutboundEmail.objects.get(template="course_completed").to == student_client.user.email
    sent = mailoutbox[-1]
    assert sent.to == [student_client.user.email] and certificate.code in sent.body
    detail = student_client.get(f"{ENROL}{enrollment_id}/").json()
    assert all(lesson["completed"] and lesson["completed_at"] for lesson in detail["lessons"])


def test_pending_payment_enrolment_cannot_record_progress(student_client):
    course = course_with_lessons(2, price=Decimal("100"))
    enrollment_id = enrol(student_client, course).json()["id"]
    response = complete(student_client, enrollment_id, course.lessons.first())
    assert response.status_code == 400 and response.json()["code"] == "enrollment_not_active"


def test_lesson_of_another_course_is_404(student_client):
    course = course_with_lessons(1)
    other = course_with_lessons(1)
    enrollment_id = enrol(student_client, course).json()["id"]
    assert complete(student_client, enrollment_id, other.lessons.first()).status_code == 404


def test_cancel_pending_or_free_but_not_paid_active(student_client):
    paid = CourseFactory(price=Decimal("100"))
    pending = enrol(student_client, paid).json()["id"]
    assert student_client.post(f"{ENROL}{pending}/cancel/").json()["status"] == "cancelled"
    active_paid = EnrollmentFactory(user=student_client.user, course=CourseFactory(price=Decimal("5")))
    response = student_client.post(f"{ENROL}{active_paid.pk}/cancel/")
    assert response.status_code == 400 and response.json()["code"] == "cannot_cancel"


def test_adding_a_lesson_lowers_the_progress_of_active_students(student_client, instructor_client, run_on_commit):
    course = course_with_lessons(2, instructor=instructor_client.user)
    enrollment_id = enrol(student_client, course).json()["id"]
    complete(student_client, enrollment_id, course.lessons.first())
    assert Enrollment.objects.get(pk=enrollment_id).progress_percent == 50
    with run_on_commit():
        instructor_client.post(f"/api/v1/courses/courses/{course.pk}/lessons/", {"title": "Bonus"}, format="json")
    assert Enrollment.objects.get(pk=enrollment_id).progress_percent == 33


def test_another_instructor_cannot_see_enrolments_of_my_course(instructor_client):
    course = CourseFactory(instructor=instructor_client.user)
    EnrollmentFactory(course=course)
    other = role_client("instructor")
    assert other.get(ENROL, {"course": str(course.pk)}).json()["count"] == 0
