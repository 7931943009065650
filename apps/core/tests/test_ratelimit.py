"""Rate limits: per IP for anonymous callers, per user for logged-in ones, 429 with Retry-After."""

import pytest
from rest_framework.test import APIClient

from apps.core.throttling import parse_rate
from apps.users.models import LoginAttempt
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
BODY = {"username": "someone@example.com", "password": "wrong-but-long-1"}


@pytest.fixture
def strict_login(settings):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "login": "3/minute"}
    settings.LOCKOUT_THRESHOLD = 100  # keep the lockout out of the way


def test_parse_rate():
    assert parse_rate("10/minute") == (10, 60)
    assert parse_rate("5/hour") == (5, 3600)
    assert parse_rate("2/s") == (2, 1)


def test_login_over_the_limit_gets_429_with_retry_after(strict_login):
    client = APIClient()
    statuses = [client.post(LOGIN, BODY, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    response = client.post(LOGIN, BODY, format="json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["code"] == "throttled" and body["message"] and body["request_id"]
    assert LoginAttempt.objects.count() == 3  # the throttled request never reached the login service


def test_rate_limiting_can_be_switched_off_but_not_the_lockout(strict_login, settings):
    settings.RATELIMIT_ENABLE = False
    settings.LOCKOUT_THRESHOLD = 5
    user = UserFactory(password="a-long-Unusual-passphrase-42")
    statuses = [
        APIClient().post(LOGIN, {"username": user.email, "password": "nope-nope-nope"}, format="json").status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [403]


@pytest.mark.parametrize(
    "path, scope, body",
    [
        ("/api/v1/users/register/", "register", {}),
        ("/api/v1/users/password_reset/", "password_reset", {"email": "a@example.com"}),
        ("/api/v1/users/resend_verification/", "resend_verification", {"email": "a@example.com"}),
        ("/api/v1/users/verify_2fa/", "two_factor", {"challenge_token": "x", "code": "123456"}),
        ("/api/v1/users/login/", "login", BODY),
    ],
)
def test_sensitive_endpoints_have_their_own_stricter_limit(settings, path, scope, body):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, scope: "2/hour"}
    client = APIClient()
    for _ in range(2):
        assert client.post(path, body, format="json").status_code != 429
    assert client.post(path, body, format="json").status_code == 429


def test_general_limit_applies_elsewhere_per_user(settings, auth_client, other_user, password):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "user": "3/minute"}
    for _ in range(3):
        assert auth_client.get("/api/v1/users/profile/").status_code == 200
    assert auth_client.get("/api/v1/users/profile/").status_code == 429
    # Another user from the same IP has their own budget.
    other = APIClient()
    token = other.post(LOGIN, {"username": other_user.email, "password": password}, format="json").json()["access"]
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.get("/api/v1/users/profile/").status_code == 200


def test_general_anonymous_limit_per_ip(settings):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "anon": "2/minute"}
    client = APIClient()
    assert [client.get("/api/v1/").status_code for _ in range(3)] == [200, 200, 429]
    assert APIClient(REMOTE_ADDR="10.9.8.7").get("/api/v1/").status_code == 200


def test_spoofed_forwarded_for_changes_neither_recorded_nor_limited_ip(strict_login):
    for index in range(3):
        APIClient().post(LOGIN, BODY, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    response = APIClient().post(LOGIN, BODY, format="json", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_forwarded_for_from_a_trusted_proxy_is_believed(strict_login, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    for index in range(3):
        APIClient().post(LOGIN, BODY, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}, 127.0.0.1")
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.0",
        "203.0.113.1",
        "203.0.113.2",
    }
    # Each client IP has its own budget behind the proxy.
    assert APIClient().post(LOGIN, BODY, format="json", HTTP_X_FORWARDED_FOR="203.0.113.0").status_code == 401
