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


@shared_task
def requeue_stale_emails() -> int:
    """Hand queued messages whose task got lost (broker down at commit time) to a worker again."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from .models import OutboundEmail, OutboundEmailStatus

    now = timezone.now()
    stale = OutboundEmail.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        status=OutboundEmailStatus.QUEUED,
        created_at__lt=now - timedelta(minutes=10),
        attempts=0,
    ).values_list("pk", flat=True)[:500]
    count = 0
    for outbox_id in stale:
        send_email_task.delay(outbox_id=str(outbox_id))
        count += 1
    return count


@shared_task(bind=True, max_retries=2, acks_late=False)
def backup_database_task(self) -> str:
    """The scheduled backup; a failure is retried twice, ten minutes apart, then reported."""
    from .backups import BackupError, backup_create

    try:
        return backup_create(via="celery").name
    except BackupError as exc:
        logger.error("Scheduled backup failed: %s", exc)
        raise self.retry(exc=exc, countdown=600) from exc
