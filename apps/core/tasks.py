import logging

from celery import shared_task
from django.conf import settings

from . import emails

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email_task(self, *, outbox_id: str) -> str:
    """Deliver one outbox message; retry transient provider errors with backoff and jitter."""
    result = emails.email_deliver(outbox_id=outbox_id)
    if result.outcome == "busy":  # another worker holds the lease: look again after it ends
        raise self.retry(countdown=settings.EMAIL_SEND_LEASE_SECONDS)
    if result.outcome == "transient":
        if self.request.retries >= settings.EMAIL_MAX_RETRIES:
            emails.email_mark_failed(outbox_id=outbox_id, error=f"Gave up after retries. {result.error}")
            logger.error("E-mail %s failed after %s retries", outbox_id, self.request.retries)
            return "failed"
        raise self.retry(countdown=emails.retry_delay(self.request.retries))
    return result.outcome
