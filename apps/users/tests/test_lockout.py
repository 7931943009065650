"""Account lockout and the login trail."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.users.models import LoginAttempt, LoginOutcome, User
from apps.users.services import user_unlock_by_staff
from apps.users.tests.conftest import PASSWORD, login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not-the-right-password-1"


@pytest.fixture
def victim(db):
    return UserFactory(email="victim@example.com", password=PASSWORD)


def _fail(times: int, email: str = "victim@example.com", run_on_commit=None):
    return [login(APIClient(), email, WRONG) for _ in range(times)]


def test_five_failures_lock_even_the_right_password(victim, run_on_commit):
    with run_on_commit():
        answers = _fail(5)
    assert [a.status_code for a in answers] == [401] * 5
    response = login(APIClient(), victim.email)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "account_locked" and body["message"]
    assert 3500 <= int(response["Retry-After"]) <= 3600
    victim.refresh_from_db()
    assert victim.account_locked_until > timezone.now() + timedelta(minutes=59)
    assert LoginAttempt.objects.filter(user=victim, outcome=LoginOutcome.LOCKED).count() == 1
    assert AuditLog.objects.filter(action="account.locked", target_id=str(victim.pk)).count() == 1
    assert [m.to for m in mail.outbox] == [[victim.email]]
    assert "locked" in mail.outbox[0].subject


def test_a_successful_login_resets_the_count(victim):
    _fail(4)
    assert login(APIClient(), victim.email).status_code == 200
    _fail(4)
    assert login(APIClient(), victim.email).status_code == 200
    victim.refresh_from_db()
    assert victim.failed_login_attempts == 0


def test_lock_ends_after_the_lockout_duration(victim):
    _fail(5)
    User.objects.filter(pk=victim.pk).update(account_locked_until=timezone.now() - timedelta(seconds=1))
    assert login(APIClient(), victim.email).status_code == 200


def test_threshold_and_duration_are_settings(victim, settings):
    settings.LOCKOUT_THRESHOLD = 2
    settings.LOCKOUT_DURATION_SECONDS = 120
    _fail(2)
    response = login(APIClient(), victim.email)
    assert response.status_code == 403 and int(response["Retry-After"]) <= 120


def test_unknown_email_answers_exactly_like_a_real_one(victim):
    def answers(email):
        result = []
        for _ in range(6):
            response = login(APIClient(), email, WRONG)
            body = response.json()
            body.pop("request_id")
            result.append((response.status_code, body.get("code"), body, "Retry-After" in response))
        return result

    real, unknown = answers(victim.email), answers("nobody-here@example.com")
    assert [r[:2] for r in real] == [(401, "invalid_credentials")] * 5 + [(403, "account_locked")]
    for (status_a, code_a, body_a, retry_a), (status_b, code_b, body_b, retry_b) in zip(real, unknown, strict=True):
        assert (status_a, code_a, retry_a) == (status_b, code_b, retry_b)
        body_a.pop("retry_after", None), body_b.pop("retry_after", None)
        assert body_a == body_b


def test_letter_case_does_not_dodge_the_count(victim):
    for email in (
        "VICTIM@example.com",
        "Victim@Example.com",
        " victim@example.com",
        "victim@EXAMPLE.COM",
        "vIctim@example.com",
    ):
        login(APIClient(), email, WRONG)
    assert login(APIClient(), victim.email).status_code == 403


@pytest.mark.parametrize("username", ["", "   "])
def test_blank_usernames_are_rejected_before_any_counter(username, victim):
    for _ in range(10):
        response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": WRONG}, format="json")
        assert response.status_code == 400
    assert not LoginAttempt.objects.exists()
    assert login(APIClient(), victim.email).status_code == 200


def test_wrong_2fa_codes_count_towards_the_lockout(tfa_user):
    for _ in range(5):
        login(APIClient(), tfa_user.user.email, code="000000")
    response = login(APIClient(), tfa_user.user.email, code=tfa_user.next_code())
    assert response.status_code == 403 and response.json()["code"] == "account_locked"


def test_lockout_signs_out_existing_sessions(victim):
    tokens = login(APIClient(), victim.email).json()
    _fail(5)
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401


def test_unlock_link_from_the_email_works_once(victim, run_on_commit):
    with run_on_commit():
        _fail(5)
    token = re.search(r"token=(\S+)", mail.outbox[0].body).group(1)
    assert "/account/unlock/?token=" in mail.outbox[0].body
    response = APIClient().post("/api/v1/users/unlock_account/", {"token": token}, format="json")
    assert response.status_code == 200, response.content
    assert login(APIClient(), victim.email).status_code == 200
    again = APIClient().post("/api/v1/users/unlock_account/", {"token": token}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"
    assert AuditLog.objects.filter(action="account.unlocked").count() == 1


def test_unlock_page_from_the_email(victim, client, run_on_commit):
    with run_on_commit():
        _fail(5)
    link = re.search(r"(http://\S+)", mail.outbox[0].body).group(1).replace("http://127.0.0.1:8000", "")
    assert b"Unlock my account" in client.get(link).content
    done = client.post("/account/unlock/", {"token": link.split("token=")[1]})
    assert b"is unlocked" in done.content


def test_staff_can_unlock_and_it_is_audited(victim):
    admin = UserFactory(user_type="admin", is_superuser=True)
    _fail(5)
    user_unlock_by_staff(user=victim, actor=admin)
    assert login(APIClient(), victim.email).status_code == 200
    entry = AuditLog.objects.get(action="account.unlocked")
    assert entry.actor == admin and entry.details == {"by": "staff"}


def test_login_trail_records_every_outcome(victim, tfa_user):
    APIClient().post(
        "/api/v1/auth/token/",
        {"username": victim.email, "password": WRONG},
        format="json",
        HTTP_USER_AGENT="pytest-agent/1.0",
    )
    login(APIClient(), "ghost@example.com", WRONG)
    login(APIClient(), victim.email)
    login(APIClient(), tfa_user.user.email)
    login(APIClient(), tfa_user.user.email, code="000000")
    outcomes = list(LoginAttempt.objects.order_by("created_at", "id").values_list("email", "outcome"))
    assert outcomes == [
        (victim.email, LoginOutcome.BAD_PASSWORD),
        ("ghost@example.com", LoginOutcome.UNKNOWN_ACCOUNT),
        (victim.email, LoginOutcome.SUCCESS),
        (tfa_user.user.email, LoginOutcome.TWO_FACTOR_REQUIRED),
        (tfa_user.user.email, LoginOutcome.TWO_FACTOR_FAILED),
    ]
    first = LoginAttempt.objects.order_by("created_at", "id").first()
    assert first.ip_address == "127.0.0.1" and first.user_agent == "pytest-agent/1.0" and first.user == victim
    victim.refresh_from_db()
    assert victim.last_login_ip == "127.0.0.1"


def test_login_trail_is_read_only_in_admin(rf):
    from django.contrib import admin

    from apps.core.models import AuditLog as Audit

    for model in (LoginAttempt, Audit):
        model_admin = admin.site._registry[model]
        request = rf.get("/admin/")
        request.user = UserFactory(user_type="admin", is_superuser=True)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
