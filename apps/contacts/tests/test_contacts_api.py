"""The contact form: stored first, e-mails and notifications after; staff follow it up."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.admin_panel.models import Notification
from apps.contacts.models import Contact, ContactStatus, ContactStatusChange
from apps.contacts.tests.factories import ContactFactory
from apps.core.models import AuditLog, OutboundEmail
from apps.users.models import UserType
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/contacts/"
GOOD = {
    "name": "Asha Verma",
    "email": "Asha@Example.com",
    "phone": "+91 98765 43210",
    "subject": "Fees",
    "message": "Hello!",
}


def test_submit_stores_and_sends_acknowledgement_and_staff_notifications(run_on_commit, settings):
    settings.STAFF_NOTIFICATION_EMAIL = "team@titanobova.com"
    founder = UserFactory(user_type=UserType.FOUNDER)
    admin = UserFactory(user_type=UserType.ADMIN)
    UserFactory(user_type=UserType.STUDENT)
    with run_on_commit():
        response = APIClient().post(URL, GOOD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new" and body["email"] == "asha@example.com" and body["message"] == "Hello!"
    assert set(body) == {"id", "name", "email", "phone", "subject", "message", "status", "created_at"}
    contact = Contact.objects.get(pk=body["id"])
    assert contact.ip_address == "127.0.0.1"
    assert sorted(m.to[0] for m in mail.outbox) == ["asha@example.com", "team@titanobova.com"]
    assert OutboundEmail.objects.filter(status="sent").count() == 2
    assert set(Notification.objects.values_list("recipient", flat=True)) == {founder.pk, admin.pk}
    assert Notification.objects.first().kind == "contact.new"


def test_submission_survives_an_email_provider_outage(run_on_commit, sendgrid):
    sendgrid.statuses = [503] * 20
    with run_on_commit():
        response = APIClient().post(URL, GOOD, format="json")
    assert response.status_code == 201
    assert Contact.objects.filter(pk=response.json()["id"]).exists()
    assert OutboundEmail.objects.filter(status="sent").count() == 0
    assert OutboundEmail.objects.filter(to="asha@example.com").exists()  # waiting for a retry, not lost


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": "x" * 101}, "name"),
        ({"name": ""}, "name"),
        ({"subject": "s" * 201}, "subject"),
        ({"message": ""}, "message"),
        ({"message": "m" * 5001}, "message"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_invalid_submissions_name_the_field(change, field):
    response = APIClient().post(URL, {**GOOD, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Contact.objects.exists()


def test_optional_fields_may_be_left_out(run_on_commit):
    with run_on_commit():
        response = APIClient().post(URL, {"name": "A", "email": "a@example.com", "message": "Hi"}, format="json")
    assert response.status_code == 201


def test_honeypot_is_accepted_silently_and_stored_as_spam(run_on_commit):
    with run_on_commit():
        response = APIClient().post(URL, {**GOOD, "website": "http://spam.example"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "new"
    assert Contact.objects.get().status == ContactStatus.SPAM
    assert mail.outbox == [] and not Notification.objects.exists()


def test_contact_form_is_rate_limited_per_ip(settings):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "contact": "2/hour"}
    client = APIClient()
    assert [client.post(URL, GOOD, format="json").status_code for _ in range(3)] == [201, 201, 429]


# --- staff ----------------------------------------------------------------------------------------
def test_staff_list_with_filters_and_paging(founder_client):
    ContactFactory.create_batch(3, status=ContactStatus.NEW)
    ContactFactory(status=ContactStatus.RESOLVED, name="Ravi", email="ravi@example.com", subject="Refund")
    response = founder_client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 4
    assert founder_client.get(URL, {"status": "resolved"}).json()["count"] == 1
    assert founder_client.get(URL, {"status": ["new", "resolved"]}).json()["count"] == 4
    assert founder_client.get(URL, {"search": "refund"}).json()["count"] == 1
    assert founder_client.get(URL, {"search": "ravi@"}).json()["count"] == 1
    assert founder_client.get(URL, {"created_after": "2999-01-01"}).json()["count"] == 0
    assert founder_client.get(URL, {"created_before": "2999-01-01"}).json()["count"] == 4
    paged = founder_client.get(URL, {"page_size": 2}).json()
    assert len(paged["results"]) == 2 and paged["next"]


def test_bad_filters_are_a_400(founder_client):
    assert founder_client.get(URL, {"status": "bogus"}).status_code == 400
    assert founder_client.get(URL, {"created_after": "yesterday"}).status_code == 400


def test_staff_list_query_count_does_not_grow_with_rows(founder_client, django_assert_max_num_queries):
    ContactFactory.create_batch(20, assigned_to=founder_client.user)
    with django_assert_max_num_queries(8):
        founder_client.get(URL)


def test_staff_update_status_assignee_and_note_with_history_and_audit(founder_client, admin_client):
    contact = ContactFactory()
    response = founder_client.patch(
        f"{URL}{contact.pk}/",
        {"status": "in_progress", "assigned_to": str(admin_client.user.pk), "internal_note": "Call back"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress" and body["assigned_to"] == str(admin_client.user.pk)
    assert body["history"][0]["from_status"] == "new" and body["history"][0]["to_status"] == "in_progress"
    resolved = founder_client.patch(f"{URL}{contact.pk}/", {"status": "resolved"}, format="json")
    assert resolved.json()["status"] == "resolved"
    assert ContactStatusChange.objects.filter(contact=contact).count() == 2
    assert AuditLog.objects.filter(action="contact.updated", target_id=str(contact.pk)).count() == 2
    detail = founder_client.get(f"{URL}{contact.pk}/").json()
    assert [h["to_status"] for h in detail["history"]] == ["in_progress", "resolved"]


@pytest.mark.parametrize("start, target", [("new", "new"), ("closed", "resolved"), ("spam", "resolved")])
def test_status_moves_only_along_allowed_transitions(founder_client, start, target):
    contact = ContactFactory(status=start)
    response = founder_client.patch(f"{URL}{contact.pk}/", {"status": target}, format="json")
    if start == target:
        assert response.status_code == 200  # nothing to change
    else:
        assert response.status_code == 400 and response.json()["code"] == "invalid_status_transition"


def test_only_staff_can_be_assigned(founder_client):
    contact = ContactFactory()
    student = UserFactory()
    response = founder_client.patch(f"{URL}{contact.pk}/", {"assigned_to": str(student.pk)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_assignee"
    unknown = founder_client.patch(
        f"{URL}{contact.pk}/", {"assigned_to": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert unknown.status_code == 400


def test_unknown_contact_is_404(founder_client):
    assert founder_client.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize("method, suffix", [("get", ""), ("get", "{id}/"), ("patch", "{id}/")])
def test_students_and_instructors_get_403_and_anonymous_401(student_client, instructor_client, method, suffix):
    contact = ContactFactory()
    path = URL + suffix.format(id=contact.pk)
    for client in (student_client, instructor_client):
        response = getattr(client, method)(path, {"status": "closed"}, format="json")
        assert response.status_code == 403, (client.user.user_type, path)
    assert getattr(APIClient(), method)(path, {"status": "closed"}, format="json").status_code == 401
    contact.refresh_from_db()
    assert contact.status == ContactStatus.NEW


def test_a_sender_cannot_read_submissions_back(run_on_commit):
    with run_on_commit():
        created = APIClient().post(URL, GOOD, format="json").json()
    assert APIClient().get(f"{URL}{created['id']}/").status_code == 401


def test_staff_without_2fa_get_setup_required():
    founder = UserFactory(user_type=UserType.FOUNDER, password="a-long-Unusual-passphrase-42")
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": founder.email, "password": "a-long-Unusual-passphrase-42"}, format="json"
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(URL)
    assert response.status_code == 403 and response.json()["code"] == "two_factor_setup_required"


def test_delete_and_put_are_not_offered(founder_client):
    contact = ContactFactory()
    assert founder_client.delete(f"{URL}{contact.pk}/").status_code == 405
    assert founder_client.put(f"{URL}{contact.pk}/", {}, format="json").status_code == 405
