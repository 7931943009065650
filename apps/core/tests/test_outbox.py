"""The outbox: every e-mail recorded, transient provider errors retried, permanent ones not,
a redelivered task sends nothing twice. Talks HTTP to a fake SendGrid through anymail."""

import pytest
from django.core import mail

from apps.core import emails
from apps.core.models import OutboundEmail, OutboundEmailStatus
from apps.core.tasks import requeue_stale_emails, send_email_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries():
    """Eager Celery runs a task's retries at once, one inside the other; let them run to the end
    instead of raising the first Retry."""
    from titanobova_project.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_email_send_records_and_delivers_after_commit(run_on_commit):
    with run_on_commit():
        message = emails.email_send(to="a@example.com", template="contact_ack", context={"name": "A", "subject": ""})
        assert OutboundEmail.objects.get(pk=message.pk).status == OutboundEmailStatus.QUEUED
        assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.SENT and message.attempts == 1 and message.sent_at
    assert mail.outbox[0].to == ["a@example.com"]


def test_transient_503_twice_then_success_sends_once(sendgrid, eager_retries):
    sendgrid.statuses = [503, 503]
    message = OutboundEmail.objects.create(to="someone@example.com", template="contact_ack", context={"name": "A"})
    result = send_email_task.apply(kwargs={"outbox_id": str(message.pk)})
    assert result.state == "SUCCESS" and result.result == "sent"
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.SENT and message.attempts == 3
    assert [r["status"] for r in sendgrid.requests] == [503, 503, 202]
    assert sendgrid.recipients() == ["someone@example.com"]
    assert sendgrid.requests[0]["authorization"] == "Bearer SG.test-key"


@pytest.mark.parametrize("status", [429, 500, 502])
def test_rate_limit_and_server_errors_are_transient(sendgrid, status):
    sendgrid.statuses = [status]
    message = OutboundEmail.objects.create(to="x@example.com", template="contact_ack", context={"name": "X"})
    assert emails.email_deliver(outbox_id=str(message.pk)).outcome == "transient"
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.QUEUED and str(status) in message.last_error


def test_provider_400_is_recorded_as_failed_and_not_retried(sendgrid):
    sendgrid.statuses = [400]
    message = OutboundEmail.objects.create(to="x@example.com", template="contact_ack", context={"name": "X"})
    result = send_email_task.apply(kwargs={"outbox_id": str(message.pk)})
    assert result.state == "SUCCESS" and result.result == "permanent"
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.FAILED and message.attempts == 1
    assert len(sendgrid.requests) == 1


def test_gives_up_after_max_retries_and_stays_visible(sendgrid, settings, eager_retries):
    settings.EMAIL_MAX_RETRIES = 2
    sendgrid.statuses = [503] * 10
    message = OutboundEmail.objects.create(to="x@example.com", template="contact_ack", context={"name": "X"})
    assert send_email_task.apply(kwargs={"outbox_id": str(message.pk)}).result == "failed"
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.FAILED and "Gave up" in message.last_error
    assert message.attempts == 3 and len(sendgrid.requests) == 3


def test_a_task_delivered_twice_sends_one_email(sendgrid):
    message = OutboundEmail.objects.create(to="x@example.com", template="contact_ack", context={"name": "X"})
    first = send_email_task.apply(kwargs={"outbox_id": str(message.pk)})
    second = send_email_task.apply(kwargs={"outbox_id": str(message.pk)})
    assert (first.result, second.result) == ("sent", "already_sent")
    assert len(sendgrid.delivered) == 1


def test_a_message_being_sent_by_another_worker_is_not_sent_again(sendgrid):
    from datetime import timedelta

    from django.utils import timezone

    message = OutboundEmail.objects.create(
        to="x@example.com",
        template="contact_ack",
        context={"name": "X"},
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    assert emails.email_deliver(outbox_id=str(message.pk)).outcome == "busy"
    assert sendgrid.requests == []


def test_retry_delay_grows_with_jitter_and_a_cap(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 10
    settings.EMAIL_RETRY_MAX_DELAY_SECONDS = 300
    delays = [emails.retry_delay(attempt) for attempt in range(8)]
    assert 5 <= delays[0] <= 10 and 40 <= delays[3] <= 80 and all(d <= 300 for d in delays)
    assert len({round(emails.retry_delay(2), 6) for _ in range(20)}) > 1  # jitter


def test_resend_of_a_failed_message(sendgrid, run_on_commit):
    message = OutboundEmail.objects.create(
        to="x@example.com", template="contact_ack", context={"name": "X"}, status=OutboundEmailStatus.FAILED
    )
    with run_on_commit():
        emails.email_requeue(message=message)
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.SENT and len(sendgrid.delivered) == 1


def test_stale_queued_messages_are_handed_over_again(sendgrid):
    from datetime import timedelta

    from django.utils import timezone

    message = OutboundEmail.objects.create(to="x@example.com", template="contact_ack", context={"name": "X"})
    OutboundEmail.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    assert requeue_stale_emails.apply().result == 1
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.SENT


def test_a_message_whose_worker_died_is_handed_over_once_its_lease_ends(sendgrid):
    """A SIGKILLed worker leaves the lease set and no outcome recorded; a message waiting for a
    retry (no lease) or still being sent (lease running) is left alone."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    orphaned = OutboundEmail.objects.create(
        to="orphan@example.com", template="contact_ack", context={"name": "O"}, attempts=1
    )
    OutboundEmail.objects.filter(pk=orphaned.pk).update(lease_until=now - timedelta(seconds=1))
    OutboundEmail.objects.create(
        to="sending@example.com",
        template="contact_ack",
        context={"name": "S"},
        attempts=1,
        lease_until=now + timedelta(minutes=2),
    )
    OutboundEmail.objects.create(to="retrying@example.com", template="contact_ack", context={"name": "R"}, attempts=2)
    assert requeue_stale_emails.apply().result == 1
    orphaned.refresh_from_db()
    assert orphaned.status == OutboundEmailStatus.SENT and orphaned.attempts == 2
    assert sendgrid.recipients() == ["orphan@example.com"]


def test_a_broker_outage_at_commit_does_not_fail_the_request(run_on_commit, monkeypatch):
    from apps.core import tasks

    def broker_down(**kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.send_email_task, "delay", broker_down)
    with run_on_commit():
        message = emails.email_send(to="a@example.com", template="contact_ack", context={"name": "A"})
    assert OutboundEmail.objects.get(pk=message.pk).status == OutboundEmailStatus.QUEUED


def test_one_time_links_are_wiped_once_sent(run_on_commit):
    with run_on_commit():
        message = emails.email_send(
            to="a@example.com",
            template="password_reset",
            context={"first_name": "A", "link": "https://x/?token=t", "minutes": 60},
        )
    message.refresh_from_db()
    assert message.context == {} and message.status == OutboundEmailStatus.SENT


def test_user_text_is_escaped_in_html_and_kept_in_text_and_subject(run_on_commit):
    with run_on_commit():
        emails.email_send(
            to="a@example.com",
            template="contact_ack",
            context={"name": "<script>alert(1)</script> & Co", "subject": "Tom & Jerry\nBcc: victim@example.com"},
        )
    sent = mail.outbox[0]
    assert sent.subject == "We received your message: Tom & Jerry Bcc: victim@example.com"
    assert "\n" not in sent.subject and sent.bcc == [] and sent.to == ["a@example.com"]
    html = sent.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script> & Co" in sent.body
