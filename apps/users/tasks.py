from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import LoginAttempt, Session, TwoFactorChallenge
from .services.lockout import lockout_counters_purge


@shared_task
def purge_auth_state() -> dict:
    """Forget what has no use any more: ended sessions (after 30 days), dead 2FA challenges,
    and failure counters of unknown e-mails whose streak has ended."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(
        Q(revoked_at__lt=now - timedelta(days=30)) | Q(expires_at__lt=now - timedelta(days=30))
    ).delete()
    challenges, _ = TwoFactorChallenge.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False)).delete()
    counters = lockout_counters_purge()
    return {"sessions": sessions, "challenges": challenges, "counters": counters}


@shared_task
def purge_login_attempts() -> int:
    """Keep the login trail for LOGIN_ATTEMPT_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS)
    deleted, _ = LoginAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
