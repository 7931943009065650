from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.core.emails import email_send

from .digest import digest_sections


@shared_task
def send_daily_digest() -> int:
    """E-mail the digest to every active founder; return how many were queued."""
    from apps.users.models import UserType

    sections = digest_sections()
    date = timezone.localdate().isoformat()
    founders = get_user_model().objects.filter(user_type=UserType.FOUNDER, is_active=True)
    count = 0
    for founder in founders:
        email_send(
            to=founder.email,
            template="daily_digest",
            context={"first_name": founder.first_name, "date": date, "sections": sections},
        )
        count += 1
    return count


@shared_task
def purge_system_logs() -> int:
    from .services import system_logs_purge

    return system_logs_purge()
