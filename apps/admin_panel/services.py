from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Notification, SystemLog


def staff_recipients() -> QuerySet:
    from apps.users.models import STAFF_USER_TYPES

    return get_user_model().objects.filter(user_type__in=STAFF_USER_TYPES, is_active=True)


def notification_create_for_staff(*, kind: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    """One notification per active founder and admin."""
    return Notification.objects.bulk_create(
        Notification(recipient=recipient, kind=kind, title=title[:200], body=body, link=link[:500])
        for recipient in staff_recipients().only("pk")
    )


def notification_mark_read(*, user: Any, notification_id: Any) -> Notification:
    """Mark one of the user's own notifications read (another user's is a 404, not a 403)."""
    notification = get_object_or_404(Notification, pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def system_logs_purge(*, now=None) -> int:
    """Delete SystemLog rows older than SYSTEM_LOG_RETENTION_DAYS; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SYSTEM_LOG_RETENTION_DAYS)
    deleted, _ = SystemLog.objects.using(settings.SYSTEM_LOG_DATABASE).filter(created_at__lt=cutoff).delete()
    return deleted
