"""Staff must use 2FA: for staff-only API endpoints and for the Django admin login."""

import pyotp
import pytest
from rest_framework.test import APIClient

from apps.users.models import LoginAttempt, LoginOutcome, UserType
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STAFF_ONLY = "/api/v1/staff-only/"


def _client_for(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.mark.urls("apps.core.tests.staff_urls")
@pytest.mark.parametrize("user_type", [UserType.STUDENT, UserType.INSTRUCTOR])
def test_non_staff_are_denied(user_type):
    user = UserFactory(user_type=user_type, password=PASSWORD)
    response = _client_for(login(APIClient(), user.email).json()["access"]).get(STAFF_ONLY)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


@pytest.mark.urls("apps.core.tests.staff_urls")
def test_anonymous_is_asked_to_log_in():
    assert APIClient().get(STAFF_ONLY).status_code == 401


@pytest.mark.urls("apps.core.tests.staff_urls")
@pytest.mark.parametrize("user_type", [UserType.FOUNDER, UserType.ADMIN])
def test_staff_without_2fa_can_log_in_but_must_set_it_up(user_type):
    user = UserFactory(user_type=user_type, password=PASSWORD)
    tokens = login(APIClient(), user.email)
    assert tokens.status_code == 200
    client = _client_for(tokens.json()["access"])
    assert client.get("/api/v1/users/profile/").status_code == 200
    response = client.get(STAFF_ONLY)
    assert response.status_code == 403 and response.json()["code"] == "two_factor_setup_required"
    # ... and can set it up with that same token.
    setup = client.post("/api/v1/users/enable_2fa/", {"password": PASSWORD}, format="json")
    assert setup.status_code == 200
    confirm = client.post(
        "/api/v1/users/confirm_2fa/", {"code": pyotp.TOTP(setup.json()["secret"]).now()}, format="json"
    )
    assert confirm.status_code == 200
    # The old password-only token is not enough afterwards: log in again with a code.
    again = client.get(STAFF_ONLY)
    assert again.status_code == 403 and again.json()["code"] == "two_factor_login_required"


@pytest.mark.urls("apps.core.tests.staff_urls")
def test_staff_with_2fa_login_gets_in_and_keeps_it_through_refresh():
    founder = make_two_factor_user(user_type=UserType.FOUNDER)
    tokens = login(APIClient(), founder.user.email, code=founder.next_code()).json()
    assert _client_for(tokens["access"]).get(STAFF_ONLY).status_code == 200
    rotated = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").json()
    assert _client_for(rotated["access"]).get(STAFF_ONLY).status_code == 200


@pytest.mark.urls("apps.core.tests.staff_urls")
def test_the_requirement_is_a_setting(settings):
    settings.REQUIRE_2FA_FOR_STAFF = False
    founder = UserFactory(user_type=UserType.FOUNDER, password=PASSWORD)
    assert _client_for(login(APIClient(), founder.email).json()["access"]).get(STAFF_ONLY).status_code == 200


# --- Django admin -------------------------------------------------------------------------------
def test_admin_login_asks_for_the_totp_code(client):
    admin = make_two_factor_user(user_type=UserType.ADMIN, is_superuser=True)
    page = client.get("/admin/login/")
    assert b'name="otp_code"' in page.content
    without = client.post("/admin/login/", {"username": admin.user.email, "password": PASSWORD})
    assert without.status_code == 200 and b"code is not valid" in without.content
    wrong = client.post("/admin/login/", {"username": admin.user.email, "password": PASSWORD, "otp_code": "000000"})
    assert wrong.status_code == 200
    ok = client.post(
        "/admin/login/",
        {"username": admin.user.email, "password": PASSWORD, "otp_code": admin.next_code(), "next": "/admin/"},
    )
    assert ok.status_code == 302, ok.content
    assert client.get("/admin/").status_code == 200
    assert LoginAttempt.objects.filter(user=admin.user, outcome=LoginOutcome.SUCCESS).count() == 1


def test_admin_login_refuses_staff_without_2fa(client):
    admin = UserFactory(user_type=UserType.ADMIN, is_superuser=True, password=PASSWORD)
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"must use two-factor authentication" in response.content
    assert client.get("/admin/").status_code == 302


def test_admin_login_counts_towards_the_lockout(client):
    admin = make_two_factor_user(user_type=UserType.ADMIN, is_superuser=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": admin.user.email, "password": "wrong-wrong-wrong"})
    response = client.post(
        "/admin/login/", {"username": admin.user.email, "password": PASSWORD, "otp_code": admin.next_code()}
    )
    assert b"locked" in response.content
    assert client.get("/admin/").status_code == 302


def test_admin_login_refuses_students(client):
    student = UserFactory(password=PASSWORD)
    response = client.post("/admin/login/", {"username": student.email, "password": PASSWORD})
    assert response.status_code == 200 and client.get("/admin/").status_code == 302
