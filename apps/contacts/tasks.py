from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True)
def newsletter_send_batch_task(*, newsletter_id: str) -> int:
    """One batch of a newsletter; queues the next batch until every confirmed subscriber has one."""
    created = services.newsletter_send_batch(newsletter_id=newsletter_id, batch_size=settings.NEWSLETTER_BATCH_SIZE)
    if created:
        newsletter_send_batch_task.delay(newsletter_id=newsletter_id)
    return created
