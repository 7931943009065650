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
    """Hand queued messages whose task got lost to a worker again.

    Two ways a task gets lost: the broker was down when the message was committed (never
    attempted, older than ten minutes), or the worker sending it died (SIGKILL, OOM) after taking
    the lease and before recording any outcome, which leaves the lease set and expired. The Redis
    broker would redeliver the second kind only after its visibility timeout (hours); this finds
    it once the lease (EMAIL_SEND_LEASE_SECONDS) has run out. A message waiting for a retry has
    no lease, so it is not picked up early. Sending twice is what the lease and the SENT status
    prevent: a requeued task whose message meanwhile went out does nothing."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from .models import OutboundEmail, OutboundEmailStatus

    now = timezone.now()
    never_attempted = Q(attempts=0, created_at__lt=now - timedelta(minutes=10)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    worker_died = Q(lease_until__lt=now)
    stale = (
        OutboundEmail.objects.filter(never_attempted | worker_died, status=OutboundEmailStatus.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    count = 0
    for outbox_id in stale:
        send_email_task.delay(outbox_id=str(outbox_id))
        count += 1
    if count:
        logger.info("Requeued %s e-mails whose task was lost", count)
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
