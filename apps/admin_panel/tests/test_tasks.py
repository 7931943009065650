"""Scheduled work: the founders' daily digest and the purges (Celery Beat)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.admin_panel.tasks import send_daily_digest
from apps.contacts.models import ContactStatus
from apps.contacts.tests.factories import ContactFactory
from apps.users.models import LoginAttempt, LoginFailureCounter, Session, TwoFactorChallenge, UserType
from apps.users.tasks import purge_auth_state, purge_login_attempts
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_daily_digest_goes_to_each_founder(run_on_commit):
    founders = UserFactory.create_batch(2, user_type=UserType.FOUNDER)
    UserFactory(user_type=UserType.ADMIN)
    UserFactory(user_type=UserType.FOUNDER, is_active=False)
    ContactFactory.create_batch(3)
    ContactFactory(status=ContactStatus.SPAM)
    with run_on_commit():
        assert send_daily_digest.apply().result == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f.email for f in founders)
    assert "3 new message(s)" in mail.outbox[0].body and "daily digest" in mail.outbox[0].subject


def test_beat_schedule_names_real_tasks():
    from titanobova_project.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_purges_forget_only_what_is_old(settings):
    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 90
    user = UserFactory()
    now = timezone.now()
    old = LoginAttempt.objects.create(email=user.email, outcome="success")
    LoginAttempt.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=91))
    LoginAttempt.objects.create(email=user.email, outcome="success")
    assert purge_login_attempts.apply().result == 1
    assert LoginAttempt.objects.count() == 1

    Session.objects.create(user=user, expires_at=now - timedelta(days=31), refresh_jti="old")
    Session.objects.create(user=user, expires_at=now + timedelta(hours=1), refresh_jti="live")
    TwoFactorChallenge.objects.create(user=user, expires_at=now - timedelta(minutes=1))
    TwoFactorChallenge.objects.create(user=user, expires_at=now + timedelta(minutes=4))
    LoginFailureCounter.objects.create(
        email_hash="a" * 64, failed_login_attempts=2, last_failed_login_at=now - timedelta(hours=2)
    )
    LoginFailureCounter.objects.create(email_hash="b" * 64, failed_login_attempts=2, last_failed_login_at=now)
    assert purge_auth_state.apply().result == {"sessions": 1, "challenges": 1, "counters": 1}
    assert list(Session.objects.values_list("refresh_jti", flat=True)) == ["live"]
