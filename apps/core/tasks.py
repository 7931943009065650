import logging

from celery import shared_task

from . import emails

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_email_task(self, *, to: str, template: str, context: dict) -> None:
    """Send one templated e-mail, retrying transient failures with exponential backoff."""
    try:
        emails.email_send_now(to=to, template=template, context=context)
    except Exception as exc:
        logger.warning("E-mail %s could not be sent (attempt %s): %s", template, self.request.retries + 1, exc)
        if self.request.is_eager:
            # Development without a worker: the request must not fail because mail is down.
            return
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
