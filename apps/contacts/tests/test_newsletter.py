"""Newsletter: double opt-in, no probing of the list, RFC 8058 one-click unsubscribe, batched sending."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.contacts import services
from apps.contacts.models import Newsletter, NewsletterDelivery, NewsletterSubscriber, SubscriberStatus
from apps.contacts.tests.factories import SubscriberFactory
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db

BASE = "/api/v1/contacts/newsletter/"


def _subscribe(email, run_on_commit, **extra):
    with run_on_commit():
        return APIClient().post(f"{BASE}subscribe/", {"email": email, **extra}, format="json")


def _token(message) -> str:
    return re.search(r"token=([^\s\"<&]+)", message.body).group(1)


def test_double_opt_in(run_on_commit):
    response = _subscribe("Reader@Example.com", run_on_commit, name="Reader")
    assert response.status_code == 200
    subscriber = NewsletterSubscriber.objects.get(email="reader@example.com")
    assert subscriber.status == SubscriberStatus.PENDING
    assert mail.outbox[0].to == ["reader@example.com"] and "/newsletter/confirm/?token=" in mail.outbox[0].body
    confirm = APIClient().post(f"{BASE}confirm/", {"token": _token(mail.outbox[0])}, format="json")
    assert confirm.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.confirmed_at


def test_subscribe_response_cannot_tell_a_subscribed_address_from_a_new_one(run_on_commit):
    SubscriberFactory(email="old@example.com", status=SubscriberStatus.CONFIRMED)
    SubscriberFactory(email="pending@example.com", status=SubscriberStatus.PENDING)
    answers = []
    for email in ("old@example.com", "pending@example.com", "brand-new@example.com"):
        response = _subscribe(email, run_on_commit)
        body = response.json()
        answers.append((response.status_code, body["message"], body["detail"], sorted(body)))
    assert answers[0] == answers[1] == answers[2]
    # A confirmed reader is not mailed again; the others get the confirmation.
    assert sorted(m.to[0] for m in mail.outbox) == ["brand-new@example.com", "pending@example.com"]


@pytest.mark.parametrize("token", ["garbage", ""])
def test_confirm_rejects_bad_tokens(token):
    response = APIClient().post(f"{BASE}confirm/", {"token": token}, format="json")
    assert response.status_code == 400


def test_unsubscribe_by_email_or_token_says_the_same_either_way():
    subscriber = SubscriberFactory(email="bye@example.com")
    known = APIClient().post(f"{BASE}unsubscribe/", {"email": "bye@example.com"}, format="json")
    unknown = APIClient().post(f"{BASE}unsubscribe/", {"email": "never@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 200 and known.json()["message"] == unknown.json()["message"]
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    other = SubscriberFactory()
    APIClient().post(f"{BASE}unsubscribe/", {"token": services.unsubscribe_token(other)}, format="json")
    other.refresh_from_db()
    assert other.status == SubscriberStatus.UNSUBSCRIBED
    assert APIClient().post(f"{BASE}unsubscribe/", {}, format="json").status_code == 400


def test_resubscribing_after_unsubscribing_needs_confirmation_again(run_on_commit):
    SubscriberFactory(email="back@example.com", status=SubscriberStatus.UNSUBSCRIBED)
    _subscribe("back@example.com", run_on_commit)
    assert NewsletterSubscriber.objects.get(email="back@example.com").status == SubscriberStatus.PENDING


def test_newsletter_is_sent_in_batches_with_rfc8058_headers(run_on_commit, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    readers = SubscriberFactory.create_batch(5)
    SubscriberFactory(status=SubscriberStatus.PENDING)
    SubscriberFactory(status=SubscriberStatus.UNSUBSCRIBED)
    newsletter = Newsletter.objects.create(subject="December news", text_body="Hello readers", html_body="<p>Hello</p>")
    with run_on_commit():
        services.newsletter_start_sending(newsletter=newsletter, actor=None)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/api/v1/contacts/newsletter/one-click-unsubscribe/?token=" in url
    newsletter.refresh_from_db()
    assert newsletter.status == "sent" and newsletter.sent_at
    assert AuditLog.objects.filter(action="newsletter.sent").count() == 1

    # RFC 8058: one form-encoded POST to that URL, no login, unsubscribes.
    parsed = urlparse(url)
    response = APIClient().post(
        f"{parsed.path}?{parsed.query}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    recipient = NewsletterSubscriber.objects.get(email=message.to[0])
    assert recipient.status == SubscriberStatus.UNSUBSCRIBED


def test_sending_again_never_mails_a_subscriber_twice(run_on_commit):
    SubscriberFactory.create_batch(3)
    newsletter = Newsletter.objects.create(subject="News", text_body="Body")
    with run_on_commit():
        services.newsletter_start_sending(newsletter=newsletter, actor=None)
    SubscriberFactory(email="late@example.com")
    with run_on_commit():
        services.newsletter_start_sending(newsletter=newsletter, actor=None)
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 4
    assert NewsletterDelivery.objects.filter(newsletter=newsletter).count() == 4


def test_one_click_unsubscribe_with_a_bad_token():
    response = APIClient().post(
        f"{BASE}one-click-unsubscribe/?token=forged",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_token"


def test_confirmation_page_for_the_emailed_link(client, run_on_commit):
    _subscribe("page@example.com", run_on_commit)
    token = _token(mail.outbox[0])
    assert b"Confirm my subscription" in client.get(f"/newsletter/confirm/?token={token}").content
    assert NewsletterSubscriber.objects.get(email="page@example.com").status == SubscriberStatus.PENDING
    assert b"is confirmed" in client.post("/newsletter/confirm/", {"token": token}).content


# --- staff ----------------------------------------------------------------------------------------
def test_staff_list_and_csv_export_is_audited(founder_client):
    SubscriberFactory(email="a@example.com")
    SubscriberFactory(email="b@example.com", status=SubscriberStatus.PENDING, name="=HYPERLINK(1)")
    listed = founder_client.get(f"{BASE}subscribers/").json()
    assert listed["count"] == 2
    assert founder_client.get(f"{BASE}subscribers/", {"status": "confirmed"}).json()["count"] == 1
    response = founder_client.get(f"{BASE}subscribers/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].startswith("email,name,status")
    assert "a@example.com" in text and "'=HYPERLINK(1)" in text
    assert AuditLog.objects.filter(action="newsletter.subscribers_exported", actor=founder_client.user).count() == 1


@pytest.mark.parametrize("path", ["subscribers/", "subscribers/export/"])
def test_subscriber_endpoints_are_staff_only(student_client, instructor_client, path):
    SubscriberFactory()
    assert student_client.get(f"{BASE}{path}").status_code == 403
    assert instructor_client.get(f"{BASE}{path}").status_code == 403
    assert APIClient().get(f"{BASE}{path}").status_code == 401
    assert not AuditLog.objects.filter(action="newsletter.subscribers_exported").exists()
