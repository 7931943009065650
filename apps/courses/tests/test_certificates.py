"""Certificates: the owner's list and PDF, public verification, staff revocation, personal data."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from apps.core.models import AuditLog
from apps.core.personal_data import erase_all, export_all
from apps.courses import services
from apps.courses.models import EnrollmentStatus

from .factories import EnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db
CERTS = "/api/v1/courses/certificates/"


def issue_for(user):
    course = course_with_lessons(1)
    enrollment = EnrollmentFactory(
        user=user, course=course, status=EnrollmentStatus.COMPLETED, completed_at=timezone.now(), progress_percent=100
    )
    return services.certificate_issue(enrollment=enrollment)


def test_owner_lists_and_downloads_the_pdf(student_client):
    certificate = issue_for(student_client.user)
    listed = student_client.get(CERTS).json()["results"]
    assert [c["code"] for c in listed] == [certificate.code] and listed[0]["status"] == "valid"
    response = student_client.get(f"{CERTS}{certificate.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (certificate.student_name, certificate.course_title, certificate.instructor_name, certificate.code):
        assert expected in text
    assert f"/certificates/{certificate.code}/" in text


def test_code_is_long_and_unguessable(student_client):
    codes = {issue_for(student_client.user).code for _ in range(3)}
    assert len(codes) == 3 and all(len(code) >= 24 for code in codes)


def test_another_student_cannot_list_or_download(student_client, api_client):
    from tests.clients import role_client

    certificate = issue_for(student_client.user)
    other = role_client("student")
    assert other.get(CERTS).json()["count"] == 0
    assert other.get(f"{CERTS}{certificate.pk}/pdf/").status_code == 404
    assert api_client.get(f"{CERTS}{certificate.pk}/pdf/").status_code == 401


def test_staff_may_download_any_pdf(student_client, founder_client):
    certificate = issue_for(student_client.user)
    assert founder_client.get(f"{CERTS}{certificate.pk}/pdf/").status_code == 200


def test_public_verification_says_valid_or_revoked_and_nothing_more(student_client, founder_client, api_client):
    certificate = issue_for(student_client.user)
    response = api_client.get(f"{CERTS}verify/{certificate.code}/")
    assert response.status_code == 200
    assert response.json() == {
        "code": certificate.code,
        "status": "valid",
        "student_name": certificate.student_name,
        "course_title": certificate.course_title,
        "completed_on": certificate.completed_at.date().isoformat(),
    }
    revoked = founder_client.post(f"{CERTS}{certificate.pk}/revoke/", {"reason": "plagiarism"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api_client.get(f"{CERTS}verify/{certificate.code}/").json()["status"] == "revoked"
    assert AuditLog.objects.filter(action="certificate.revoked", target_id=str(certificate.pk)).exists()
    again = founder_client.post(f"{CERTS}{certificate.pk}/revoke/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_revoked"
    assert api_client.get(f"{CERTS}verify/not-a-real-code/").status_code == 404


def test_verification_page_for_people(student_client, client):
    certificate = issue_for(student_client.user)
    page = client.get(f"/certificates/{certificate.code}/")
    assert page.status_code == 200 and b"valid" in page.content
    assert client.get("/certificates/nope/").status_code == 404


def test_students_and_instructors_cannot_revoke(student_client, instructor_client):
    certificate = issue_for(student_client.user)
    for client in (student_client, instructor_client):
        response = client.post(f"{CERTS}{certificate.pk}/revoke/", {"reason": "x"}, format="json")
        assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


def test_personal_data_export_has_enrolments_and_certificates_and_erasure_unnames(student_client):
    certificate = issue_for(student_client.user)
    data = export_all(student_client.user)
    assert data["enrolments"][0]["course"] == certificate.course_title
    assert data["certificates"][0]["code"] == certificate.code
    erase_all(student_client.user)
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.student_name == "(erased)"
