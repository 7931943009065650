"""Regression tests for holes found in review: every secret check counts towards the lockout,
the lockout answers can't tell accounts apart, challenges die with their account's state, and
odd input never reaches a 500."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.users.models import LoginAttempt, LoginFailureCounter, LoginOutcome, TwoFactorAuth, User, UserType
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-123"


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/users/enable_2fa/", {"password": WRONG}),
        ("/api/v1/users/change_password/", {"old_password": WRONG, "new_password": "another-long-passphrase-8"}),
        ("/api/v1/users/delete_account/", {"password": WRONG}),
    ],
)
def test_password_checks_behind_a_token_count_towards_the_lockout(user, path, body):
    client = _bearer(login(APIClient(), user.email).json()["access"])
    for _ in range(5):
        assert client.post(path, body, format="json").status_code == 400
    user.refresh_from_db()
    assert user.account_locked_until is not None
    assert login(APIClient(), user.email).status_code == 403


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/users/disable_2fa/", {"password": PASSWORD, "code": "000000"}),
        ("/api/v1/users/regenerate_backup_codes/", {"code": "000000"}),
    ],
)
def test_code_checks_behind_a_token_count_towards_the_lockout(path, body):
    tfa = make_two_factor_user()
    client = _bearer(login(APIClient(), tfa.user.email, code=tfa.backup_codes[0]).json()["access"])
    for _ in range(5):
        client.post(path, body, format="json")
    assert login(APIClient(), tfa.user.email, code=tfa.next_code()).status_code == 403


def test_enable_2fa_answers_already_enabled_before_checking_the_password():
    tfa = make_two_factor_user()
    client = _bearer(login(APIClient(), tfa.user.email, code=tfa.next_code()).json()["access"])
    response = client.post("/api/v1/users/enable_2fa/", {"password": WRONG}, format="json")
    assert response.json()["code"] == "two_factor_already_enabled"


def test_retry_after_is_the_same_for_real_and_unknown_accounts(user):
    for email in (user.email, "nobody-at-all@example.com"):
        for _ in range(5):
            login(APIClient(), email, WRONG)
    real = login(APIClient(), user.email, WRONG)
    unknown = login(APIClient(), "nobody-at-all@example.com", WRONG)
    assert real["Retry-After"] == unknown["Retry-After"] == "3600"
    assert real.json()["retry_after"] == unknown.json()["retry_after"] == 3600


def test_failure_streaks_decay_the_same_way_for_real_and_unknown_accounts(user):
    answers = {}
    for email in (user.email, "nobody-at-all@example.com"):
        for _ in range(4):
            login(APIClient(), email, WRONG)
        an_hour_ago = timezone.now() - timedelta(hours=1, seconds=1)
        User.objects.filter(email=email).update(last_failed_login_at=an_hour_ago)
        LoginFailureCounter.objects.update(last_failed_login_at=an_hour_ago)
        answers[email] = [login(APIClient(), email, WRONG).status_code for _ in range(2)]
    assert answers[user.email] == answers["nobody-at-all@example.com"] == [401, 401]


def test_unknown_email_lockout_does_not_depend_on_the_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    statuses = [login(APIClient(), "ghost@example.com", WRONG).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [403]


def test_a_challenge_dies_when_the_password_changes_or_the_account_is_deactivated():
    tfa = make_two_factor_user()
    challenge = login(APIClient(), tfa.user.email).json()["challenge_token"]
    other_session = _bearer(login(APIClient(), tfa.user.email, code=tfa.next_code()).json()["access"])
    other_session.post(
        "/api/v1/users/change_password/",
        {"old_password": PASSWORD, "new_password": "brand-new-passphrase-2"},
        format="json",
    )
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": tfa.next_code()}, format="json"
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_challenge"

    second = make_two_factor_user()
    challenge = login(APIClient(), second.user.email).json()["challenge_token"]
    User.objects.filter(pk=second.user.pk).update(is_active=False)
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": second.next_code()}, format="json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "code", ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11\uff12\uff13\uff14\uff15\uff16", "12345\uff16"]
)
def test_non_ascii_digits_are_a_wrong_code_not_a_crash(code):
    tfa = make_two_factor_user()
    response = login(APIClient(), tfa.user.email, code=code)
    assert response.status_code == 401 and response.json()["code"] == "invalid_two_factor_code"
    challenge = login(APIClient(), tfa.user.email).json()["challenge_token"]
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": code}, format="json"
    )
    assert response.status_code == 401


def test_locked_at_the_2fa_step_and_dead_challenges_are_in_the_login_trail():
    tfa = make_two_factor_user()
    challenge = login(APIClient(), tfa.user.email).json()["challenge_token"]
    User.objects.filter(pk=tfa.user.pk).update(account_locked_until=timezone.now() + timedelta(hours=1))
    APIClient().post("/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": "000000"}, format="json")
    assert LoginAttempt.objects.filter(user=tfa.user, outcome=LoginOutcome.LOCKED).count() == 1
    APIClient().post("/api/v1/users/verify_2fa/", {"challenge_token": "garbage", "code": "000000"}, format="json")
    assert LoginAttempt.objects.filter(outcome=LoginOutcome.TWO_FACTOR_FAILED, user=None).count() == 1


# --- Django admin -------------------------------------------------------------------------------
def test_view_only_staff_cannot_run_the_account_actions():
    superuser = make_two_factor_user(is_superuser=True, user_type=UserType.ADMIN)
    viewer = UserFactory(user_type=UserType.FOUNDER)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = Client()
    client.force_login(viewer)
    client.post("/admin/users/user/", {"action": "reset_two_factor", "_selected_action": [str(superuser.user.pk)]})
    assert TwoFactorAuth.objects.filter(user=superuser.user).exists()


def test_only_superusers_act_on_staff_accounts():
    target = make_two_factor_user(user_type=UserType.FOUNDER)
    editor = UserFactory(user_type=UserType.ADMIN)
    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client = Client()
    client.force_login(editor)
    client.post("/admin/users/user/", {"action": "reset_two_factor", "_selected_action": [str(target.user.pk)]})
    assert TwoFactorAuth.objects.filter(user=target.user).exists()
    student = make_two_factor_user()
    client.post("/admin/users/user/", {"action": "reset_two_factor", "_selected_action": [str(student.user.pk)]})
    assert not TwoFactorAuth.objects.filter(user=student.user).exists()


def test_the_admin_login_is_rate_limited(settings):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "login": "3/minute"}
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "someone@example.com", "password": WRONG})
    response = client.post("/admin/login/", {"username": "someone@example.com", "password": WRONG})
    assert b"Too many login attempts" in response.content
    assert LoginAttempt.objects.count() == 3


def test_a_student_at_the_admin_login_is_in_the_trail(user):
    Client().post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert LoginAttempt.objects.filter(user=user, outcome=LoginOutcome.NOT_ALLOWED).count() == 1
