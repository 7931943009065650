"""Sessions: listing, revoking, logout everywhere, reuse detection with a grace period."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.users.models import Session, User
from apps.users.tests.conftest import PASSWORD, login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/token/refresh/"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _login(user, agent: str = "") -> dict:
    return (
        APIClient()
        .post(
            "/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}, format="json", HTTP_USER_AGENT=agent
        )
        .json()
    )


@pytest.fixture
def person(db):
    return UserFactory(password=PASSWORD)


def test_sessions_lists_the_callers_logins_and_marks_the_current_one(person):
    first = _login(person, CHROME)
    _login(person, "curl/8.0")
    response = _bearer(first["access"]).get("/api/v1/users/sessions/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    current = [s for s in body["results"] if s["current"]]
    assert len(current) == 1
    assert current[0]["browser"].startswith("Chrome") and "Windows" in current[0]["os"]
    assert current[0]["ip_address"] == "127.0.0.1"
    assert {"id", "device", "created_at", "last_used_at", "expires_at"} <= set(current[0])


def test_revoking_a_session_ends_its_access_token_at_once(person):
    phone = _login(person, "phone")
    laptop = _login(person, "laptop")
    phone_session = Session.objects.get(user=person, user_agent="phone")
    response = _bearer(laptop["access"]).delete(f"/api/v1/users/sessions/{phone_session.pk}/")
    assert response.status_code == 204
    assert _bearer(phone["access"]).get("/api/v1/users/profile/").status_code == 401
    assert APIClient().post(REFRESH, {"refresh": phone["refresh"]}, format="json").status_code == 401
    assert _bearer(laptop["access"]).get("/api/v1/users/profile/").status_code == 200


def test_a_user_cannot_list_or_revoke_another_users_session(person):
    mine = _login(person)
    other = UserFactory(password=PASSWORD)
    theirs = _login(other)
    their_session = Session.objects.get(user=other)
    listed = _bearer(mine["access"]).get("/api/v1/users/sessions/").json()
    assert str(their_session.pk) not in str(listed)
    response = _bearer(mine["access"]).delete(f"/api/v1/users/sessions/{their_session.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert _bearer(theirs["access"]).get("/api/v1/users/profile/").status_code == 200


def test_sessions_require_login():
    assert APIClient().get("/api/v1/users/sessions/").status_code == 401
    assert APIClient().delete("/api/v1/users/sessions/00000000-0000-0000-0000-000000000000/").status_code == 401


def test_revoking_an_unknown_or_malformed_session_id(person):
    client = _bearer(_login(person)["access"])
    assert client.delete("/api/v1/users/sessions/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.delete("/api/v1/users/sessions/not-a-uuid/").status_code == 404


def test_logout_all_makes_existing_access_tokens_fail_at_once(person):
    sessions = [_login(person) for _ in range(3)]
    response = _bearer(sessions[0]["access"]).post("/api/v1/users/logout_all/")
    assert response.status_code == 200
    for tokens in sessions:
        assert _bearer(tokens["access"]).get("/api/v1/users/profile/").status_code == 401
        assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert login(APIClient(), person.email).status_code == 200


def test_password_change_ends_access_tokens_at_once(person):
    other_device = _login(person)
    current = _login(person)
    _bearer(current["access"]).post(
        "/api/v1/users/change_password/",
        {"old_password": PASSWORD, "new_password": "a-brand-new-passphrase-9"},
        format="json",
    )
    assert _bearer(other_device["access"]).get("/api/v1/users/profile/").status_code == 401
    assert _bearer(current["access"]).get("/api/v1/users/profile/").status_code == 401


def test_lockout_and_deactivation_end_access_tokens_at_once(person):
    tokens = _login(person)
    for _ in range(5):
        login(APIClient(), person.email, "wrong-password-xyz")
    assert _bearer(tokens["access"]).get("/api/v1/users/profile/").status_code == 401

    other = UserFactory(password=PASSWORD)
    other_tokens = _login(other)
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert _bearer(other_tokens["access"]).get("/api/v1/users/profile/").status_code == 401


def test_reused_rotated_refresh_token_revokes_its_session(person, settings):
    settings.SESSION_REFRESH_GRACE_SECONDS = 5
    tokens = _login(person)
    rotated = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()
    Session.objects.filter(user=person).update(rotated_at=timezone.now() - timedelta(seconds=6))
    stolen = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert stolen.status_code == 401
    assert Session.objects.get(user=person).revoked_at is not None
    assert _bearer(rotated["access"]).get("/api/v1/users/profile/").status_code == 401
    assert APIClient().post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 401


def test_second_refresh_within_the_grace_period_keeps_the_session(person, settings):
    settings.SESSION_REFRESH_GRACE_SECONDS = 10
    tokens = _login(person)
    tab_one = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    tab_two = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert tab_one.status_code == tab_two.status_code == 200
    session = Session.objects.get(user=person)
    assert session.revoked_at is None
    # Both tabs now hold a refresh token for the session's current position: either rotates on.
    assert APIClient().post(REFRESH, {"refresh": tab_two.json()["refresh"]}, format="json").status_code == 200
    assert _bearer(tab_one.json()["access"]).get("/api/v1/users/profile/").status_code == 200


def test_refresh_keeps_the_session_id_and_updates_last_use(person):
    tokens = _login(person)
    session = Session.objects.get(user=person)
    Session.objects.filter(pk=session.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    refreshed = Session.objects.get(user=person)
    assert refreshed.pk == session.pk and refreshed.last_used_at > session.last_used_at
