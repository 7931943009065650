"""TOTP two-factor authentication: setup, login challenges, replay protection, backup codes."""

import base64
import threading
import time

import pyotp
import pytest
from django.core import mail
from django.db import connection, connections
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.users.models import BackupCode, TwoFactorAuth, TwoFactorChallenge
from apps.users.services import two_factor
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- RFC 6238 -----------------------------------------------------------------------------------
RFC6238_SHA1_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    "unix_time, expected",
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_appendix_b_sha1_vectors(unix_time, expected):
    assert two_factor.totp_code_at(secret=RFC6238_SHA1_SECRET, for_time=unix_time, digits=8) == expected
    step = two_factor.totp_matching_step(secret=RFC6238_SHA1_SECRET, code=expected, now=unix_time, digits=8)
    assert step == unix_time // 30


def test_one_step_of_clock_drift_each_way_is_accepted_but_not_two():
    secret = pyotp.random_base32()
    now = 1_700_000_015.0
    for offset in (-1, 0, 1):
        code = pyotp.TOTP(secret).at(now + 30 * offset)
        assert two_factor.totp_matching_step(secret=secret, code=code, now=now) == int(now // 30) + offset
    for offset in (-2, 2):
        code = pyotp.TOTP(secret).at(now + 30 * offset)
        assert two_factor.totp_matching_step(secret=secret, code=code, now=now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", None])
def test_malformed_codes_never_match(code):
    assert two_factor.totp_matching_step(secret=pyotp.random_base32(), code=code) is None


# --- setup --------------------------------------------------------------------------------------
def test_enable_2fa_returns_secret_uri_and_scannable_qr_code(auth_client, user, password):
    response = auth_client.post("/api/v1/users/enable_2fa/", {"password": password}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["otpauth_url"].startswith("otpauth://totp/Titanobova:")
    assert f"secret={body['secret']}" in body["otpauth_url"] and "issuer=Titanobova" in body["otpauth_url"]
    assert body["qr_code"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(body["qr_code"].split(",", 1)[1]).lstrip().startswith(b"<?xml")
    # Not active until confirmed: the password alone still logs in.
    assert login(APIClient(), user.email, password).status_code == 200
    # The secret is encrypted at rest.
    stored = TwoFactorAuth.objects.get(user=user).secret_encrypted
    assert body["secret"] not in stored


def test_enable_2fa_requires_the_password(auth_client):
    response = auth_client.post("/api/v1/users/enable_2fa/", {"password": "wrong-password-123"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "wrong_password"
    assert not TwoFactorAuth.objects.exists()


def test_enable_2fa_requires_login(api_client):
    assert api_client.post("/api/v1/users/enable_2fa/", {"password": "x"}, format="json").status_code == 401


def test_confirm_2fa_activates_and_returns_ten_hashed_backup_codes(auth_client, user, password, run_on_commit):
    secret = auth_client.post("/api/v1/users/enable_2fa/", {"password": password}, format="json").json()["secret"]
    wrong = auth_client.post("/api/v1/users/confirm_2fa/", {"code": "000000"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_two_factor_code"
    with run_on_commit():
        response = auth_client.post("/api/v1/users/confirm_2fa/", {"code": pyotp.TOTP(secret).now()}, format="json")
    assert response.status_code == 200, response.content
    codes = response.json()["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(BackupCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code in hashed or code.replace("-", "") in hashed for code in codes for hashed in stored)
    assert TwoFactorAuth.objects.get(user=user).is_confirmed
    assert "turned on" in mail.outbox[-1].subject
    assert AuditLog.objects.filter(action="two_factor.enabled", target_id=str(user.pk)).count() == 1
    again = auth_client.post("/api/v1/users/enable_2fa/", {"password": password}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "two_factor_already_enabled"


def test_confirm_without_enable_is_refused(auth_client):
    response = auth_client.post("/api/v1/users/confirm_2fa/", {"code": "123456"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "two_factor_not_started"


# --- login with 2FA -----------------------------------------------------------------------------
def test_password_alone_gets_a_challenge_and_no_tokens(tfa_user):
    for path in ("/api/v1/auth/token/", "/api/v1/users/login/"):
        response = APIClient().post(path, {"username": tfa_user.user.email, "password": PASSWORD}, format="json")
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "two_factor_required"
        assert body["challenge_token"] and body["message"]
        assert "access" not in body and "refresh" not in body


def test_verify_2fa_with_totp_code_issues_tokens(tfa_user):
    challenge = login(APIClient(), tfa_user.user.email).json()["challenge_token"]
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": tfa_user.next_code()}, format="json"
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/v1/users/profile/").json()["two_factor_enabled"] is True


def test_code_can_be_sent_with_the_password(tfa_user):
    response = login(APIClient(), tfa_user.user.email, code=tfa_user.next_code())
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_wrong_code_with_the_password_is_refused(tfa_user):
    response = login(APIClient(), tfa_user.user.email, code="000000")
    assert response.status_code == 401 and response.json()["code"] == "invalid_two_factor_code"


def test_a_totp_code_is_accepted_once_only(tfa_user):
    code = tfa_user.next_code()
    assert login(APIClient(), tfa_user.user.email, code=code).status_code == 200
    replay = login(APIClient(), tfa_user.user.email, code=code)
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_two_factor_code"


def test_challenge_token_is_single_use(tfa_user):
    challenge = login(APIClient(), tfa_user.user.email).json()["challenge_token"]
    body = {"challenge_token": challenge, "code": tfa_user.next_code()}
    assert APIClient().post("/api/v1/users/verify_2fa/", body, format="json").status_code == 200
    body["code"] = tfa_user.next_code()
    again = APIClient().post("/api/v1/users/verify_2fa/", body, format="json")
    assert again.status_code == 401 and again.json()["code"] == "invalid_challenge"


def test_challenge_expires(tfa_user):
    challenge = login(APIClient(), tfa_user.user.email).json()["challenge_token"]
    TwoFactorChallenge.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": tfa_user.next_code()}, format="json"
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_challenge"


def test_challenge_dies_after_five_wrong_codes(tfa_user, settings):
    settings.LOCKOUT_THRESHOLD = 50  # isolate the challenge's own limit from the account lockout
    challenge = login(APIClient(), tfa_user.user.email).json()["challenge_token"]
    for _ in range(5):
        wrong = APIClient().post(
            "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": "000000"}, format="json"
        )
        assert wrong.json()["code"] == "invalid_two_factor_code"
    dead = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": challenge, "code": tfa_user.next_code()}, format="json"
    )
    assert dead.status_code == 401 and dead.json()["code"] == "invalid_challenge"


@pytest.mark.parametrize("token", ["garbage", "", "eyJhbGciOiJub25lIn0.e30."])
def test_forged_challenge_tokens_are_refused(token):
    response = APIClient().post(
        "/api/v1/users/verify_2fa/", {"challenge_token": token, "code": "123456"}, format="json"
    )
    assert response.status_code in (400, 401)


def test_challenge_token_is_useless_on_every_other_endpoint(tfa_user):
    challenge = login(APIClient(), tfa_user.user.email).json()["challenge_token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {challenge}")
    requests = [
        ("get", "/api/v1/users/profile/"),
        ("patch", "/api/v1/users/update_profile/"),
        ("post", "/api/v1/users/change_password/"),
        ("post", "/api/v1/users/enable_2fa/"),
        ("post", "/api/v1/users/confirm_2fa/"),
        ("post", "/api/v1/users/disable_2fa/"),
        ("post", "/api/v1/users/regenerate_backup_codes/"),
        ("post", "/api/v1/users/logout/"),
        ("post", "/api/v1/users/resend_verification/"),
    ]
    for method, path in requests:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 401, (path, response.status_code)
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": challenge}, format="json")
    assert refresh.status_code == 401


def test_a_backup_code_works_once(tfa_user):
    backup = tfa_user.backup_codes[0]
    assert login(APIClient(), tfa_user.user.email, code=backup).status_code == 200
    assert login(APIClient(), tfa_user.user.email, code=backup).status_code == 401
    # Any spelling a person might type: upper case, no dash.
    assert (
        login(APIClient(), tfa_user.user.email, code=tfa_user.backup_codes[1].upper().replace("-", "")).status_code
        == 200
    )
    assert AuditLog.objects.filter(action="two_factor.backup_code_used").count() == 2


def test_regenerate_backup_codes_retires_the_old_set(tfa_user):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer " + login(client, tfa_user.user.email, code=tfa_user.next_code()).json()["access"]
    )
    response = client.post("/api/v1/users/regenerate_backup_codes/", {"code": tfa_user.next_code()}, format="json")
    assert response.status_code == 200, response.content
    new_codes = response.json()["backup_codes"]
    assert set(new_codes).isdisjoint(tfa_user.backup_codes)
    assert login(APIClient(), tfa_user.user.email, code=tfa_user.backup_codes[2]).status_code == 401
    assert login(APIClient(), tfa_user.user.email, code=new_codes[0]).status_code == 200


def test_regenerate_backup_codes_requires_a_valid_code(tfa_user):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer " + login(client, tfa_user.user.email, code=tfa_user.next_code()).json()["access"]
    )
    response = client.post("/api/v1/users/regenerate_backup_codes/", {"code": "000000"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_two_factor_code"


def test_disable_2fa_needs_password_and_code(tfa_user, run_on_commit):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer " + login(client, tfa_user.user.email, code=tfa_user.next_code()).json()["access"]
    )
    no_code = client.post("/api/v1/users/disable_2fa/", {"password": PASSWORD, "code": "000000"}, format="json")
    assert no_code.status_code == 400
    bad_password = client.post(
        "/api/v1/users/disable_2fa/", {"password": "wrong-wrong-wrong", "code": tfa_user.next_code()}, format="json"
    )
    assert bad_password.status_code == 400 and bad_password.json()["code"] == "wrong_password"
    with run_on_commit():
        ok = client.post(
            "/api/v1/users/disable_2fa/", {"password": PASSWORD, "code": tfa_user.next_code()}, format="json"
        )
    assert ok.status_code == 200, ok.content
    assert not TwoFactorAuth.objects.filter(user=tfa_user.user).exists()
    assert not BackupCode.objects.filter(user=tfa_user.user).exists()
    assert login(APIClient(), tfa_user.user.email).status_code == 200
    assert "turned off" in mail.outbox[-1].subject


def test_disable_2fa_when_not_enabled(auth_client, password):
    response = auth_client.post("/api/v1/users/disable_2fa/", {"password": password, "code": "123456"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "two_factor_not_enabled"


def test_staff_reset_of_a_lost_device_is_audited_and_emailed(tfa_user, run_on_commit):
    admin = UserFactory(user_type="admin", is_superuser=True)
    with run_on_commit():
        two_factor.two_factor_reset_by_staff(user=tfa_user.user, actor=admin)
    assert not TwoFactorAuth.objects.filter(user=tfa_user.user).exists()
    assert mail.outbox[-1].to == [tfa_user.user.email] and "reset" in mail.outbox[-1].subject
    entry = AuditLog.objects.get(action="two_factor.reset")
    assert entry.actor == admin and entry.target_id == str(tfa_user.user.pk)
    assert login(APIClient(), tfa_user.user.email).status_code == 200


# --- races ----------------------------------------------------------------------------------------
def _race(target, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        finally:
            connections.close_all()  # the SystemLog alias too, when the thread logged a warning

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_totp_code_cannot_both_pass():
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (CI)")
    tfa = make_two_factor_user()
    code = tfa.next_code()
    results = _race(lambda: two_factor.two_factor_verify_code(user=tfa.user, code=code), count=4)
    assert sorted(results, key=str) == sorted(["totp", None, None, None], key=str)


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_backup_code_cannot_both_pass():
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (CI)")
    tfa = make_two_factor_user()
    backup = tfa.backup_codes[0]
    results = _race(lambda: two_factor.two_factor_verify_code(user=tfa.user, code=backup), count=4)
    assert results.count("backup_code") == 1 and results.count(None) == 3


def test_codes_expire_with_time(tfa_user, monkeypatch):
    code = tfa_user.code()
    later = time.time() + 120
    monkeypatch.setattr(two_factor.time, "time", lambda: later)
    assert two_factor.two_factor_verify_code(user=tfa_user.user, code=code) is None
