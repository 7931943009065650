"""The public catalogue and course detail: visibility, filters, ordering, query counts, cache."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from apps.courses.models import EnrollmentStatus

from .factories import CourseFactory, EnrollmentFactory, LessonFactory, course_with_lessons

pytestmark = pytest.mark.django_db
LIST = "/api/v1/courses/courses/"


def detail(key) -> str:
    return f"{LIST}{key}/"


def test_list_is_public_and_shows_published_courses_with_figures(api_client):
    course = course_with_lessons(3, price=Decimal("999.00"))
    CourseFactory(is_published=False, title="Draft")
    EnrollmentFactory(course=course, status=EnrollmentStatus.ACTIVE)
    EnrollmentFactory(course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    response = api_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == str(course.pk) and item["slug"] == course.slug
    assert item["instructor_name"] == course.instructor.get_full_name()
    assert item["lesson_count"] == 3 and item["total_duration_seconds"] == 1800
    assert item["enrollment_count"] == 1  # pending payments don't count
    assert item["price"] == "999.00" and item["currency"] == "INR" and item["is_free"] is False
    assert "lessons" not in item


def test_filters_search_and_ordering(api_client):
    a = CourseFactory(title="Python basics", level="beginner", category="Programming", price=0)
    b = CourseFactory(title="Advanced Django", level="advanced", category="Web", price=Decimal("500"))
    c = CourseFactory(title="Data", description="pandas and python", level="advanced", price=Decimal("100"))
    EnrollmentFactory.create_batch(2, course=c)

    def ids(query):
        response = api_client.get(LIST, query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert set(ids({"level": "advanced"})) == {str(b.pk), str(c.pk)}
    assert ids({"category": "web"}) == [str(b.pk)]
    assert ids({"is_free": "true"}) == [str(a.pk)]
    assert set(ids({"is_free": "false"})) == {str(b.pk), str(c.pk)}
    assert ids({"instructor": str(b.instructor_id)}) == [str(b.pk)]
    assert set(ids({"search": "python"})) == {str(a.pk), str(c.pk)}
    assert ids({"ordering": "price"}) == [str(a.pk), str(c.pk), str(b.pk)]
    assert ids({"ordering": "-price"}) == [str(b.pk), str(c.pk), str(a.pk)]
    assert ids({"ordering": "-enrollment_count"})[0] == str(c.pk)


@pytest.mark.parametrize("query", [{"level": "expert"}, {"ordering": "title; drop"}, {"is_free": "maybe"}])
def test_bad_filters_are_400_naming_the_field(api_client, query):
    response = api_client.get(LIST, query)
    assert response.status_code == 400
    assert next(iter(query)) in response.json()["fields"]


def _list_queries(client, n: int) -> int:
    for i in range(n):
        course_with_lessons(2, price=Decimal(i))
    EnrollmentFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"page_size": 50, "nocache": n})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= n
    return len(queries)


def test_list_query_count_is_constant_with_5_and_50_courses(api_client, settings):
    settings.COURSE_CATALOGUE_CACHE_SECONDS = 0
    few = _list_queries(api_client, 5)
    many = _list_queries(api_client, 45)
    assert few == many == 1  # the page's rows with the total (COUNT(*) OVER ())


def test_detail_query_count_does_not_grow_with_lessons(student_client):
    small = course_with_lessons(2)
    big = course_with_lessons(30)
    counts = []
    for course in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert student_client.get(detail(course.slug)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 6  # session check, user, course, lessons, enrolment access


def test_cache_is_invalidated_when_a_course_or_lesson_changes(
    api_client, instructor_client, django_capture_on_commit_callbacks
):
    course = CourseFactory(instructor=instructor_client.user, title="Before")
    assert api_client.get(LIST).json()["results"][0]["title"] == "Before"
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.patch(detail(course.pk), {"title": "After"}, format="json")
    assert response.status_code == 200
    assert api_client.get(LIST).json()["results"][0]["title"] == "After"
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(f"{detail(course.pk)}lessons/", {"title": "New", "duration_seconds": 60}, format="json")
    assert api_client.get(LIST).json()["results"][0]["lesson_count"] == 1


def test_list_is_served_from_cache_without_queries(api_client):
    course_with_lessons(2)
    api_client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(LIST)
    assert response.status_code == 200 and response.json()["count"] == 1
    assert len(queries) == 0


def test_detail_by_id_or_slug_and_unknown_is_404(api_client):
    course = course_with_lessons(2)
    assert api_client.get(detail(course.pk)).json()["id"] == str(course.pk)
    assert api_client.get(detail(course.slug)).json()["id"] == str(course.pk)
    response = api_client.get(detail("no-such-course"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_video_urls_only_for_those_who_may_watch(api_client, student_client, instructor_client, founder_client):
    course = course_with_lessons(3, instructor=instructor_client.user)

    def videos(client):
        lessons = client.get(detail(course.pk)).json()["lessons"]
        assert [lesson["position"] for lesson in lessons] == [1, 2, 3]
        return [lesson["video_url"] is not None for lesson in lessons]

    assert videos(api_client) == [True, False, False]  # preview only
    assert videos(student_client) == [True, False, False]
    EnrollmentFactory(user=student_client.user, course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    assert videos(student_client) == [True, False, False]
    course.enrollments.filter(user=student_client.user).update(status=EnrollmentStatus.ACTIVE)
    assert videos(student_client) == [True, True, True]
    assert videos(instructor_client) == [True, True, True]
    assert videos(founder_client) == [True, True, True]
    outline = api_client.get(f"{detail(course.pk)}lessons/").json()  # a page, like every list
    assert outline["count"] == 3
    assert [lesson["video_url"] is not None for lesson in outline["results"]] == [True, False, False]


def test_unpublished_course_is_404_except_for_instructor_staff_and_enrolled(
    api_client, student_client, instructor_client, founder_client
):
    course = course_with_lessons(2, instructor=instructor_client.user, is_published=False)
    assert api_client.get(detail(course.pk)).status_code == 404
    assert student_client.get(detail(course.pk)).status_code == 404
    assert student_client.get(f"{detail(course.pk)}lessons/").status_code == 404
    assert instructor_client.get(detail(course.pk)).status_code == 200
    assert founder_client.get(detail(course.pk)).status_code == 200


def test_enrolled_student_keeps_access_after_unpublishing(student_client, instructor_client):
    course = course_with_lessons(2, instructor=instructor_client.user)
    EnrollmentFactory(user=student_client.user, course=course)
    assert instructor_client.post(f"{detail(course.pk)}unpublish/").status_code == 200
    response = student_client.get(detail(course.pk))
    assert response.status_code == 200
    assert all(lesson["video_url"] for lesson in response.json()["lessons"])
    assert course.pk not in [item["id"] for item in student_client.get(LIST).json()["results"]]


def test_instructor_sees_own_drafts_with_mine(instructor_client, student_client):
    CourseFactory(instructor=instructor_client.user, is_published=False, title="My draft")
    CourseFactory(is_published=False, title="Someone else's draft")
    titles = [c["title"] for c in instructor_client.get(LIST, {"mine": "true"}).json()["results"]]
    assert titles == ["My draft"]
    assert student_client.get(LIST, {"mine": "true"}).status_code == 403


def test_lesson_in_detail_has_the_contract_fields(api_client):
    course = CourseFactory()
    LessonFactory(course=course, position=1, is_preview=True)
    lesson = api_client.get(detail(course.pk)).json()["lessons"][0]
    assert {"id", "position", "title", "duration_seconds", "is_preview", "video_url"} <= set(lesson)


def test_fast_list_items_equal_the_documented_serializer(api_client, rf):
    from apps.courses.selectors import catalogue_rows, course_catalogue
    from apps.courses.serializers import CourseListSerializer, course_list_items

    course_with_lessons(3, price=Decimal("1234.50"), category="Data", duration="4 weeks")
    EnrollmentFactory(course=CourseFactory(is_published=True, published_at=None))
    request = rf.get(LIST)
    courses = list(course_catalogue())
    documented = CourseListSerializer(courses, many=True, context={"request": request}).data
    as_json = lambda data: json.loads(JSONRenderer().render(data))  # noqa: E731
    rows = list(catalogue_rows(course_catalogue()))
    assert as_json(course_list_items(rows, request=request)) == as_json(documented)


def test_figures_follow_lessons_and_enrolments(instructor_client):
    course = course_with_lessons(2, instructor=instructor_client.user)
    active = EnrollmentFactory(course=course)
    EnrollmentFactory(course=course, status=EnrollmentStatus.PENDING_PAYMENT)
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration_seconds, course.enrollment_count) == (2, 1200, 1)
    active.status = EnrollmentStatus.REFUNDED
    active.save()
    course.lessons.first().delete()
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration_seconds, course.enrollment_count) == (1, 600, 0)


def test_pages_count_and_links(api_client):
    for _ in range(5):
        CourseFactory()
    first = api_client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"] and first["previous"] is None
    last = api_client.get(LIST, {"page_size": 2, "page": 3}).json()
    assert last["count"] == 5 and len(last["results"]) == 1 and last["next"] is None
    assert api_client.get(LIST, {"page": 4, "page_size": 2}).status_code == 404
    assert api_client.get(LIST, {"page": "x"}).status_code == 404


def test_empty_catalogue_is_an_empty_first_page(api_client):
    body = api_client.get(LIST).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_anonymous_detail_is_cached_and_invalidated_like_the_list(
    api_client, instructor_client, student_client, django_capture_on_commit_callbacks
):
    course = course_with_lessons(2, instructor=instructor_client.user, title="Before")
    assert api_client.get(detail(course.pk)).json()["title"] == "Before"
    with CaptureQueriesContext(connection) as queries:
        cached = api_client.get(detail(course.pk))
    assert cached.status_code == 200 and len(queries) == 0
    assert [lesson["video_url"] is not None for lesson in cached.json()["lessons"]] == [True, False]
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.patch(detail(course.pk), {"title": "After"}, format="json")
    assert api_client.get(detail(course.pk)).json()["title"] == "After"
    # Callers with a token never get the anonymous copy: an enrolled student sees every video.
    EnrollmentFactory(user=student_client.user, course=course, status=EnrollmentStatus.ACTIVE)
    assert all(lesson["video_url"] for lesson in student_client.get(detail(course.pk)).json()["lessons"])
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(f"{detail(course.pk)}unpublish/")
    assert api_client.get(detail(course.pk)).status_code == 404
