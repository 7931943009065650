"""Personal-data rights: export everything, delete the account."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.users.models import LoginAttempt, Session, User
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_export_contains_profile_sessions_logins_and_audit(user):
    login(APIClient(), user.email, "wrong-password-abc")
    client = _bearer(login(APIClient(), user.email).json()["access"])
    response = client.get("/api/v1/users/export_data/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["profile"]["email"] == user.email
    assert len(data["sessions"]) == 1
    assert [a["outcome"] for a in data["login_attempts"]] == ["bad_password", "success"]
    assert any(e["action"] == "auth.login" for e in data["audit_entries"])
    assert "password" not in str(data["profile"]).lower()


def test_export_holds_only_the_callers_data(user, other_user):
    login(APIClient(), other_user.email)
    data = _bearer(login(APIClient(), user.email).json()["access"]).get("/api/v1/users/export_data/").json()
    assert other_user.email not in str(data) and str(other_user.pk) not in str(data)


def test_export_requires_login():
    assert APIClient().get("/api/v1/users/export_data/").status_code == 401


def test_delete_account_erases_and_deactivates(user, run_on_commit):
    original_email = user.email
    tokens = login(APIClient(), user.email).json()
    client = _bearer(tokens["access"])
    wrong = client.post("/api/v1/users/delete_account/", {"password": "wrong-password-1"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_password"
    with run_on_commit():
        response = client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    # The confirmation goes to the address the account had.
    assert mail.outbox[-1].to == [original_email] and "deleted" in mail.outbox[-1].subject
    deleted = User.objects.get(pk=user.pk)
    assert not deleted.is_active and not deleted.has_usable_password()
    assert deleted.email != original_email and deleted.first_name == "" and deleted.last_name == ""
    # Its e-mail no longer appears in the login trail, sessions or audit log.
    assert not LoginAttempt.objects.filter(email=original_email).exists()
    assert not AuditLog.objects.filter(actor_email=original_email).exists()
    assert not AuditLog.objects.filter(target_repr__contains=original_email).exists()
    assert not Session.objects.filter(user=deleted, user_agent__gt="").exists()
    # It can't log in, and its tokens stopped.
    assert login(APIClient(), original_email).status_code == 401
    assert client.get("/api/v1/users/profile/").status_code == 401
    assert (
        APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code
        == 401
    )
    assert AuditLog.objects.filter(action="user.deleted", target_id=str(user.pk)).count() == 1


def test_delete_account_with_two_factor_needs_a_code():
    tfa = make_two_factor_user()
    client = _bearer(login(APIClient(), tfa.user.email, code=tfa.next_code()).json()["access"])
    without = client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert without.status_code == 400 and without.json()["code"] == "invalid_two_factor_code"
    ok = client.post("/api/v1/users/delete_account/", {"password": PASSWORD, "code": tfa.next_code()}, format="json")
    assert ok.status_code == 200


def test_the_same_email_can_register_again_after_deletion(user):
    email = user.email
    client = _bearer(login(APIClient(), email).json()["access"])
    client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    response = APIClient().post(
        "/api/v1/users/register/",
        {"email": email, "password": "correct-horse-battery-staple-77", "first_name": "Re", "last_name": "Turn"},
        format="json",
    )
    assert response.status_code == 201


def test_registration_records_when_the_terms_were_accepted():
    APIClient().post(
        "/api/v1/users/register/",
        {
            "email": "terms@example.com",
            "password": "correct-horse-battery-staple-77",
            "first_name": "T",
            "last_name": "A",
        },
        format="json",
    )
    assert User.objects.get(email="terms@example.com").terms_accepted_at is not None


def test_another_user_is_untouched_by_a_deletion(user, other_user):
    client = _bearer(login(APIClient(), user.email).json()["access"])
    login(APIClient(), other_user.email)
    client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert login(APIClient(), other_user.email).status_code == 200
    assert LoginAttempt.objects.filter(email=other_user.email).count() == 2
    assert UserFactory  # factories stay importable for later sections
