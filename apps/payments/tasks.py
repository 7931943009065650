import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import events, services
from .models import StripeEvent, StripeEventStatus

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> int:
    return min(3600, 30 * 2 ** max(0, attempts - 1))


@shared_task(bind=True, acks_late=True, max_retries=None)
def process_stripe_event_task(self, *, event_id: str) -> str:
    status = events.event_process(event_id=event_id)
    if status == StripeEventStatus.FAILED and not self.request.is_eager:
        attempts = StripeEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first() or 0
        if attempts < settings.STRIPE_EVENT_MAX_RETRIES:
            raise self.retry(countdown=retry_delay(attempts))
        logger.error("Stripe event %s still fails after %s attempts", event_id, attempts)
    return status


@shared_task
def retry_stripe_events_task() -> int:
    """Events stored but not processed (worker down, broker lost the message, retries exhausted
    while a bug was being fixed): hand them to a worker again, oldest first."""
    now = timezone.now()
    waiting = (
        StripeEvent.objects.filter(received_at__lt=now - timedelta(minutes=2))
        .filter(
            Q(status=StripeEventStatus.PENDING)
            | Q(status=StripeEventStatus.FAILED, attempts__lt=settings.STRIPE_EVENT_MAX_RETRIES)
        )
        .order_by("received_at")[:500]
    )
    count = 0
    for event_id in waiting.values_list("pk", flat=True):
        process_stripe_event_task.delay(event_id=event_id)
        count += 1
    return count


@shared_task
def reconcile_payments_task() -> dict:
    return services.payments_reconcile()
