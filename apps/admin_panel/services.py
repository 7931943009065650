from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import Notification


def staff_recipients() -> QuerySet:
    from apps.users.models import STAFF_USER_TYPES

    return get_user_model().objects.filter(user_type__in=STAFF_USER_TYPES, is_active=True)


def notification_create_for_staff(*, kind: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    """One notification per active founder and admin."""
    return Notification.objects.bulk_create(
        Notification(recipient=recipient, kind=kind, title=title[:200], body=body, link=link[:500])
        for recipient in staff_recipients().only("pk")
    )
