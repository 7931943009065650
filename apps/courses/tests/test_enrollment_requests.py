"""Enrolment requests: staff list them and turn one into an account plus an enrolment."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.courses.enrollment_requests import enrollment_request_submit
from apps.courses.models import Enrollment, EnrollmentRequest
from apps.courses.tests.factories import CourseFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/courses/enrollment-requests/"


@pytest.fixture
def paid_course_request(db):
    course = CourseFactory(title="Full-Stack Web Development", price=Decimal("4999.00"))
    request = enrollment_request_submit(
        first_name="Rahul",
        last_name="Mehta",
        email="rahul@example.com",
        phone="+91 90000 00001",
        course_title="full-stack web development",
        course_price=4999,
        course_level="beginner",
    )
    assert request.course == course
    return request


def test_staff_list_and_read_requests(founder_client, paid_course_request):
    response = founder_client.get(URL)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(paid_course_request.pk)]
    detail = founder_client.get(f"{URL}{paid_course_request.pk}/")
    assert detail.status_code == 200 and detail.json()["name"] == "Rahul Mehta"
    assert founder_client.get(f"{URL}?status=bogus").status_code == 400


@pytest.mark.parametrize("action", ["list", "retrieve", "convert"])
def test_non_staff_are_denied(action, student_client, instructor_client, paid_course_request):
    def call(client):
        if action == "list":
            return client.get(URL)
        if action == "retrieve":
            return client.get(f"{URL}{paid_course_request.pk}/")
        return client.post(f"{URL}{paid_course_request.pk}/convert/", {}, format="json")

    assert call(APIClient()).status_code == 401
    assert call(student_client).status_code == 403
    assert call(instructor_client).status_code == 403
    assert not User.objects.filter(email="rahul@example.com").exists()


def test_convert_makes_an_account_without_password_enrols_it_and_invites_by_email(
    admin_client, paid_course_request, run_on_commit
):
    with run_on_commit():
        response = admin_client.post(f"{URL}{paid_course_request.pk}/convert/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "converted" and body["user"] and body["enrollment"]
    user = User.objects.get(email="rahul@example.com")
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.phone_number) == ("Rahul", "Mehta", "+91 90000 00001")
    enrollment = Enrollment.objects.get(user=user)
    assert enrollment.status == "pending_payment"  # a paid course, not paid on the old site
    assert AuditLog.objects.filter(action="enrollment_request.converted").exists()

    # The invitation's link sets the password through the documented reset endpoint.
    [invite] = mail.outbox
    assert invite.to == ["rahul@example.com"] and "Full-Stack Web Development" in invite.body
    token = re.search(r"token=([^\s\"<&]+)", invite.body).group(1)
    new_password = "a-brand-New-passphrase-77"
    reset = APIClient().post(
        "/api/v1/users/password_reset_confirm/", {"token": token, "new_password": new_password}, format="json"
    )
    assert reset.status_code == 200, reset.content
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": "rahul@example.com", "password": new_password}, format="json"
    )
    assert login.status_code == 200


def test_converting_twice_is_a_409(founder_client, paid_course_request):
    assert founder_client.post(f"{URL}{paid_course_request.pk}/convert/", {}, format="json").status_code == 200
    again = founder_client.post(f"{URL}{paid_course_request.pk}/convert/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "request_already_converted"
    assert Enrollment.objects.count() == 1


def test_existing_account_is_enrolled_without_a_new_invitation(founder_client, run_on_commit):
    course = CourseFactory(title="Python Basics", price=Decimal("0"))
    existing = UserFactory(email="known@example.com")
    request = enrollment_request_submit(first_name="K", last_name="", email="Known@Example.com", course_title="Other")
    with run_on_commit():
        response = founder_client.post(f"{URL}{request.pk}/convert/", {"course": str(course.pk)}, format="json")
    assert response.status_code == 200, response.content
    enrollment = Enrollment.objects.get(user=existing, course=course)
    assert enrollment.status == "active"  # free course
    assert [m.to for m in mail.outbox] == [["known@example.com"]]  # the course welcome, no invitation
    assert "password" not in mail.outbox[0].subject.lower()


def test_request_matching_no_course_needs_one_chosen(founder_client):
    request = enrollment_request_submit(first_name="A", last_name="B", email="a@example.com", course_title="Nope")
    response = founder_client.post(f"{URL}{request.pk}/convert/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "request_has_no_course"
    assert not User.objects.filter(email="a@example.com").exists()
    bad = founder_client.post(f"{URL}{request.pk}/convert/", {"course": "not-a-uuid"}, format="json")
    assert bad.status_code == 400


def test_unknown_request_is_a_404(founder_client):
    assert founder_client.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    missing = founder_client.post(f"{URL}00000000-0000-0000-0000-000000000000/convert/", {}, format="json")
    assert missing.status_code == 404
    assert founder_client.get(f"{URL}not-a-uuid/").status_code == 404


def test_new_request_notifies_staff(founder_client):
    from apps.admin_panel.models import Notification

    enrollment_request_submit(first_name="A", last_name="B", email="a@example.com", course_title="Nope")
    assert Notification.objects.filter(kind="enrollment_request.new").count() == 1
    assert EnrollmentRequest.objects.count() == 1


def test_admin_action_converts_requests_and_reports_the_ones_it_cannot(client, paid_course_request):
    from apps.users.models import UserType

    client.force_login(UserFactory(user_type=UserType.FOUNDER))
    orphan = enrollment_request_submit(
        first_name="Ira", last_name="", email="ira@example.com", phone="", course_title="No such course"
    )
    response = client.post(
        "/admin/courses/enrollmentrequest/",
        {"action": "convert", "_selected_action": [str(paid_course_request.pk), str(orphan.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 request(s) converted." in page and "ira@example.com" in page
    paid_course_request.refresh_from_db()
    assert paid_course_request.status == "converted"
    assert Enrollment.objects.filter(user__email="rahul@example.com", course=paid_course_request.course).exists()
    orphan.refresh_from_db()
    assert orphan.status != "converted"


def test_a_stale_token_does_not_block_the_public_form_but_still_guards_staff_actions(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    body = {"first_name": "Asha", "email": "asha@example.com", "course_title": "Anything"}
    assert client.post(URL, body, format="json").status_code == 201
    assert (
        client.post(
            "/api/v1/contacts/contacts/", {"name": "A", "email": "a@example.com", "message": "Hi"}, format="json"
        ).status_code
        == 201
    )
    assert client.get(URL).status_code == 401
    assert client.get("/api/v1/contacts/contacts/").status_code == 401
    request_id = EnrollmentRequest.objects.get(email="asha@example.com").pk
    assert client.post(f"{URL}{request_id}/convert/", {}, format="json").status_code == 401


def test_a_request_whose_stored_email_is_invalid_is_not_converted(founder_client, paid_course_request):
    EnrollmentRequest.objects.filter(pk=paid_course_request.pk).update(email="not an email")
    response = founder_client.post(f"{URL}{paid_course_request.pk}/convert/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "request_invalid_email"
    assert not User.objects.filter(email="not an email").exists()
