"""A malformed id in an object URL is the same JSON 404 as an unknown one, never a 400 or a 500."""

import pytest

from tests.clients import role_client

pytestmark = pytest.mark.django_db

BAD_IDS = ["not-a-uuid", "123", "0000", "%27%20OR%201%3D1"]
GET_URLS = [
    "/api/v1/courses/enrollments/{bad}/",
    "/api/v1/courses/certificates/{bad}/pdf/",
    "/api/v1/payments/payments/{bad}/",
    "/api/v1/payments/invoices/{bad}/",
    "/api/v1/payments/invoices/{bad}/pdf/",
]
POST_URLS = [
    "/api/v1/courses/enrollments/{bad}/cancel/",
    "/api/v1/courses/enrollments/{bad}/lessons/{good}/complete/",
    "/api/v1/payments/payments/{bad}/refund/",
]


def _assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("path", GET_URLS)
def test_malformed_id_in_a_get_url_is_a_json_404(founder_client, path, bad):
    _assert_not_found(founder_client.get(path.format(bad=bad)))


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("path", POST_URLS)
def test_malformed_id_in_a_post_url_is_a_json_404(founder_client, path, bad):
    url = path.format(bad=bad, good="8d3c1f0e-1a2b-4c5d-8e9f-0a1b2c3d4e5f")
    _assert_not_found(founder_client.post(url, {"reason": "x"}, format="json"))


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_lesson_id_in_the_complete_url_is_a_json_404(bad):
    from apps.courses.tests.factories import EnrollmentFactory, course_with_lessons

    client = role_client("student")
    course = course_with_lessons(2, price=0)
    course.is_published = True
    course.save()
    enrollment = EnrollmentFactory(user=client.user, course=course, status="active")
    _assert_not_found(client.post(f"/api/v1/courses/enrollments/{enrollment.pk}/lessons/{bad}/complete/"))


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_are_404_for_a_student_too(bad):
    client = role_client("student")
    for path in GET_URLS:
        _assert_not_found(client.get(path.format(bad=bad)))


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_lesson_id_is_a_json_404(api_client, bad):
    from apps.courses.tests.factories import course_with_lessons

    course = course_with_lessons(1, is_published=True)
    _assert_not_found(api_client.get(f"/api/v1/courses/courses/{course.pk}/lessons/{bad}/"))


def test_malformed_lesson_id_in_the_service_is_not_found():
    from apps.core.errors import NotFoundError
    from apps.courses.services import lesson_complete
    from apps.courses.tests.factories import EnrollmentFactory, course_with_lessons

    enrollment = EnrollmentFactory(course=course_with_lessons(1, is_published=True))
    with pytest.raises(NotFoundError):
        lesson_complete(enrollment=enrollment, lesson_id="not-a-uuid")
