"""Every security-relevant action leaves exactly one audit row, with actor, IP, request id and time."""

import re

import pyotp
import pytest
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.core.models import AuditLog, OutboundEmail
from apps.users.models import Session, User
from apps.users.services import two_factor_reset_by_staff, user_unlock_by_staff
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _count(action: str) -> int:
    return AuditLog.objects.filter(action=action).count()


def _bearer(user, **extra) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + login(APIClient(), user.email, **extra).json()["access"])
    return client


def test_registration_and_login_and_logout_each_leave_one_row():
    response = APIClient().post(
        "/api/v1/users/register/",
        {
            "email": "audit@example.com",
            "password": "correct-horse-battery-staple-77",
            "first_name": "A",
            "last_name": "B",
        },
        format="json",
        HTTP_X_REQUEST_ID="req-registration-1",
    )
    assert response.status_code == 201
    entry = AuditLog.objects.get(action="user.registered")
    assert entry.request_id == "req-registration-1" and entry.ip_address == "127.0.0.1"
    assert entry.actor.email == "audit@example.com" and entry.created_at is not None

    tokens = (
        APIClient()
        .post(
            "/api/v1/auth/token/",
            {"username": "audit@example.com", "password": "correct-horse-battery-staple-77"},
            format="json",
        )
        .json()
    )
    assert _count("auth.login") == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    client.post("/api/v1/users/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert _count("auth.logout") == 1


def test_password_change_and_reset_each_leave_one_row(user, password):
    _bearer(user).post(
        "/api/v1/users/change_password/",
        {"old_password": password, "new_password": "another-long-passphrase-5"},
        format="json",
    )
    assert _count("user.password_changed") == 1
    from apps.users.services.accounts import password_reset_token_make

    user.refresh_from_db()
    APIClient().post(
        "/api/v1/users/password_reset_confirm/",
        {"token": password_reset_token_make(user=user), "new_password": "third-long-passphrase-66"},
        format="json",
    )
    assert _count("user.password_reset") == 1


def test_two_factor_actions_each_leave_one_row():
    tfa = make_two_factor_user()
    assert _count("two_factor.enabled") == 1
    login(APIClient(), tfa.user.email, code=tfa.backup_codes[0])
    assert _count("two_factor.backup_code_used") == 1
    client = _bearer(tfa.user, code=tfa.backup_codes[1])  # TOTP codes are kept for the two steps below
    client.post("/api/v1/users/regenerate_backup_codes/", {"code": tfa.next_code()}, format="json")
    assert _count("two_factor.backup_codes_regenerated") == 1
    client.post("/api/v1/users/disable_2fa/", {"password": PASSWORD, "code": tfa.next_code()}, format="json")
    assert _count("two_factor.disabled") == 1
    again = make_two_factor_user()
    two_factor_reset_by_staff(user=again.user, actor=UserFactory(user_type="admin"))
    assert _count("two_factor.reset") == 1


def test_lockout_unlock_and_session_revocations_each_leave_one_row(user, password, run_on_commit):
    for _ in range(5):
        login(APIClient(), user.email, "wrong-password-xyz")
    assert _count("account.locked") == 1
    user_unlock_by_staff(user=user, actor=UserFactory(user_type="admin"))
    assert _count("account.unlocked") == 1
    # Locked again, and unlocked through the link in the lockout e-mail: one more row.
    with run_on_commit():
        for _ in range(5):
            login(APIClient(), user.email, "wrong-password-xyz")
    assert _count("account.locked") == 2
    token = re.search(r"token=(\S+)", mail.outbox[-1].body).group(1)
    unlocked = APIClient().post("/api/v1/users/unlock_account/", {"token": token}, format="json")
    assert unlocked.status_code == 200, unlocked.content
    assert _count("account.unlocked") == 2
    by_link = AuditLog.objects.get(action="account.unlocked", details__by="email_link")
    assert by_link.target_id == str(user.pk) and by_link.ip_address == "127.0.0.1"
    client = _bearer(user)
    other = login(APIClient(), user.email).json()
    other_session = Session.objects.filter(user=user).order_by("-created_at").first()
    client.delete(f"/api/v1/users/sessions/{other_session.pk}/")
    assert _count("session.revoked") == 1
    client.post("/api/v1/users/logout_all/")
    assert _count("auth.logout_all") == 1
    assert other  # the revoked session's tokens existed


def test_profile_change_records_which_fields_not_their_values(user):
    _bearer(user).patch("/api/v1/users/update_profile/", {"bio": "secret hobby", "first_name": "New"}, format="json")
    entry = AuditLog.objects.get(action="user.profile_updated")
    assert sorted(entry.details["fields"]) == ["bio", "first_name"]
    assert "secret hobby" not in str(entry.details)


def test_role_change_by_staff_is_audited_and_deactivation_ends_sessions(user):
    staff = UserFactory(user_type="admin", is_superuser=True)
    tokens = login(APIClient(), user.email).json()
    model_admin = admin.site._registry[User]
    request = RequestFactory().post("/admin/")
    request.user = staff
    user.user_type, user.is_active = "instructor", False
    model_admin.save_model(request, user, form=None, change=True)
    entry = AuditLog.objects.get(action="user.role_changed")
    assert entry.actor == staff
    assert entry.details["changes"]["user_type"] == {"from": "student", "to": "instructor"}
    assert entry.details["changes"]["is_active"] == {"from": True, "to": False}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/users/profile/").status_code == 401


def test_audit_rows_are_append_only(user):
    _bearer(user)
    entry = AuditLog.objects.get(action="auth.login")
    entry.action = "tampered"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_email_on_two_factor_and_password_changes(run_on_commit, user, password):
    client = _bearer(user)
    with run_on_commit():
        secret = client.post("/api/v1/users/enable_2fa/", {"password": password}, format="json").json()["secret"]
        client.post("/api/v1/users/confirm_2fa/", {"code": pyotp.TOTP(secret).now()}, format="json")
    assert any("turned on" in m.subject for m in mail.outbox)


def test_password_change_sends_the_password_changed_email(run_on_commit, user, password):
    client = _bearer(user)
    mail.outbox.clear()
    with run_on_commit():
        response = client.post(
            "/api/v1/users/change_password/",
            {"old_password": password, "new_password": "another-long-passphrase-5"},
            format="json",
        )
    assert response.status_code == 200, response.content
    sent = [m for m in mail.outbox if m.subject == "Your Titanobova password was changed"]
    assert len(sent) == 1 and sent[0].to == [user.email]
    assert "another-long-passphrase-5" not in sent[0].body
    assert OutboundEmail.objects.filter(to=user.email, template="password_changed", status="sent").count() == 1


def test_password_reset_sends_the_password_changed_email(run_on_commit, user):
    from apps.users.services.accounts import password_reset_token_make

    mail.outbox.clear()
    with run_on_commit():
        response = APIClient().post(
            "/api/v1/users/password_reset_confirm/",
            {"token": password_reset_token_make(user=user), "new_password": "third-long-passphrase-66"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert [m.to for m in mail.outbox if m.subject == "Your Titanobova password was changed"] == [[user.email]]
