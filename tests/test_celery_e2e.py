"""End to end with real processes: a contact form POST over HTTP to gunicorn ends with the
acknowledgement e-mail sent by a real Celery worker through Redis, via the SendGrid backend."""

import json
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connection

from apps.core.models import OutboundEmail, OutboundEmailStatus
from tests.fake_sendgrid import FakeSendGrid
from tests.processes import celery_worker, gunicorn, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.django_db(transaction=True)
def test_contact_form_acknowledgement_is_sent_by_a_real_worker(tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL); CI always runs it")
    with FakeSendGrid(statuses=[503]) as provider:  # the first attempt fails: the worker retries
        env = {
            "CELERY_QUEUE": f"e2e-{uuid.uuid4().hex}",
            "SENDGRID_API_KEY": "SG.e2e",
            "SENDGRID_API_URL": provider.url,
            "STAFF_NOTIFICATION_EMAIL": "",
            "EMAIL_RETRY_BASE_SECONDS": "0.5",
            "RATELIMIT_ENABLE": "false",
        }
        with celery_worker(tmp_path, env=env), gunicorn(tmp_path, workers=1, env=env) as server:
            request = urllib.request.Request(
                f"{server.base_url}/api/v1/contacts/contacts/",
                data=json.dumps({"name": "Asha", "email": "asha@example.com", "message": "Hello"}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 201
            assert wait_until(lambda: provider.recipients() == ["asha@example.com"], timeout=60), (
                tmp_path / "celery-worker.log"
            ).read_text()[-3000:]
            assert wait_until(
                lambda: OutboundEmail.objects.filter(to="asha@example.com", status=OutboundEmailStatus.SENT).exists(),
                timeout=10,
            )
    message = OutboundEmail.objects.get(to="asha@example.com")
    assert message.attempts == 2 and [r["status"] for r in provider.requests] == [503, 202]
    assert provider.subjects() == ["We received your message"]
