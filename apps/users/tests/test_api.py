"""The accounts API through HTTP: contracts, bad input and who may do what."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.users.models import User, UserType
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/users/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
STRONG = "correct-horse-battery-staple-77"


def _register(client, run_on_commit, **overrides):
    body = {"email": "new.student@example.com", "password": STRONG, "first_name": "Priya", "last_name": "Shah"}
    body.update(overrides)
    with run_on_commit():
        return client.post(REGISTER, body, format="json")


def _link_token(message) -> str:
    return re.search(r"token=([^\s\"<&]+)", message.body).group(1)


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["message"] == body["detail"] and body["message"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


# --- registration -----------------------------------------------------------------------------
def test_register_creates_student_and_sends_verification_email(api_client, run_on_commit):
    response = _register(api_client, run_on_commit, email="New.Student@Example.COM", phone_number="+91 98765 43210")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new.student@example.com"
    assert body["user_type"] == "student"
    assert body["email_verified"] is False
    assert body["phone_number"] == "+91 98765 43210"
    assert "password" not in body
    user = User.objects.get(email="new.student@example.com")
    assert user.check_password(STRONG)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.student@example.com"]
    assert "/account/verify-email/?token=" in mail.outbox[0].body


def test_register_rejects_duplicate_email_in_other_letter_case(api_client, run_on_commit):
    UserFactory(email="taken@example.com")
    body = _assert_error(_register(api_client, run_on_commit, email="TAKEN@Example.com"), 400, "email_taken")
    assert "email" in body["fields"]
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short-pass1", "too short"),
        ("password1234", "too common"),
        ("new.student@example.com", "too similar"),
    ],
)
def test_register_rejects_weak_password(api_client, run_on_commit, password, reason):
    body = _assert_error(_register(api_client, run_on_commit, password=password), 400, "weak_password")
    assert reason in " ".join(body["fields"]["password"])
    assert not User.objects.filter(email="new.student@example.com").exists()
    assert mail.outbox == []


def test_register_accepts_long_passphrase_without_composition_rules(api_client, run_on_commit):
    response = _register(api_client, run_on_commit, password="all lower case words are fine " * 4)  # 120 chars
    assert response.status_code == 201, response.content


def test_register_rejects_password_over_maximum_length(api_client, run_on_commit):
    _assert_error(_register(api_client, run_on_commit, password="x" * 300), 400, "weak_password")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"phone_number": "call me maybe"}, "phone_number"),
        ({"password": None}, "password"),
    ],
)
def test_register_names_the_invalid_field(api_client, run_on_commit, overrides, field):
    body = _assert_error(_register(api_client, run_on_commit, **overrides), 400, "validation_error")
    assert field in body["fields"]
    assert body["message"].startswith(f"{field}:")


def test_register_ignores_privileged_fields(api_client, run_on_commit):
    response = _register(api_client, run_on_commit, user_type="admin", email_verified=True, is_superuser=True)
    assert response.status_code == 201
    user = User.objects.get(email="new.student@example.com")
    assert (user.user_type, user.email_verified, user.is_superuser, user.is_staff) == ("student", False, False, False)


# --- e-mail verification ----------------------------------------------------------------------
def test_verify_email_with_link_token(api_client, run_on_commit):
    _register(api_client, run_on_commit)
    response = api_client.post("/api/v1/users/verify_email/", {"token": _link_token(mail.outbox[0])}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["email_verified"] is True
    assert User.objects.get(email="new.student@example.com").email_verified


@pytest.mark.parametrize("token", ["garbage", "", "eyJ1aWQiOiIxIn0:1abc:def"])
def test_verify_email_rejects_bad_token(api_client, token):
    response = api_client.post("/api/v1/users/verify_email/", {"token": token}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_token", "validation_error"}


def test_verify_email_rejects_expired_token(api_client, run_on_commit, settings):
    _register(api_client, run_on_commit)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    response = api_client.post("/api/v1/users/verify_email/", {"token": _link_token(mail.outbox[0])}, format="json")
    _assert_error(response, 400, "invalid_token")


def test_resend_verification_answers_the_same_for_unknown_and_known_addresses(api_client, run_on_commit):
    UserFactory(email="unverified@example.com", email_verified=False)
    with run_on_commit():
        known = api_client.post(
            "/api/v1/users/resend_verification/", {"email": "unverified@example.com"}, format="json"
        )
        unknown = api_client.post("/api/v1/users/resend_verification/", {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 200
    assert known.json()["message"] == unknown.json()["message"]
    assert [m.to for m in mail.outbox] == [["unverified@example.com"]]


def test_resend_verification_for_logged_in_user(auth_client, user, run_on_commit):
    User.objects.filter(pk=user.pk).update(email_verified=False)
    with run_on_commit():
        response = auth_client.post("/api/v1/users/resend_verification/", {}, format="json")
    assert response.status_code == 200
    assert mail.outbox[0].to == [user.email]


def test_links_point_to_frontend_url_when_set(api_client, run_on_commit, settings):
    settings.FRONTEND_URL = "https://www.titanobova.com"
    _register(api_client, run_on_commit)
    assert "https://www.titanobova.com/verify-email?token=" in mail.outbox[0].body


# --- login and tokens -------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["username", "email"])
def test_token_login_with_email_as_username_or_email(api_client, user, password, key):
    response = api_client.post(TOKEN, {key: user.email.upper(), "password": password}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    user.refresh_from_db()
    assert user.last_login is not None and user.last_login_ip == "127.0.0.1"


def test_wrong_password_and_unknown_email_get_the_same_answer(api_client, user):
    wrong = api_client.post(TOKEN, {"username": user.email, "password": "not-the-password-1"}, format="json")
    unknown = api_client.post(TOKEN, {"username": "ghost@example.com", "password": "not-the-password-1"}, format="json")
    inactive_user = UserFactory(is_active=False, password="a-long-Unusual-passphrase-42")
    inactive = api_client.post(
        TOKEN, {"username": inactive_user.email, "password": "a-long-Unusual-passphrase-42"}, format="json"
    )
    bodies = []
    for response in (wrong, unknown, inactive):
        body = _assert_error(response, 401, "invalid_credentials")
        body.pop("request_id")
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]


def test_token_login_requires_credentials(api_client):
    body = _assert_error(
        api_client.post(TOKEN, {"password": "whatever-123456"}, format="json"), 400, "validation_error"
    )
    assert "username" in body["fields"]
    _assert_error(api_client.post(TOKEN, {"username": "a@example.com"}, format="json"), 400, "validation_error")


def test_users_login_returns_tokens_and_profile(api_client, user, password):
    response = api_client.post("/api/v1/users/login/", {"username": user.email, "password": password}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"]
    assert body["user"]["email"] == user.email and body["user"]["id"] == str(user.pk)


def test_login_ignores_a_stale_authorization_header(api_client, user, password):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.post(TOKEN, {"username": user.email, "password": password}, format="json")
    assert response.status_code == 200


def test_refresh_rotates_and_a_reused_refresh_token_is_rejected(auth_client, settings):
    settings.SESSION_REFRESH_GRACE_SECONDS = 0  # the two-tabs grace period is tested in test_sessions
    first_refresh = auth_client.tokens["refresh"]
    client = APIClient()
    rotated = client.post(REFRESH, {"refresh": first_refresh}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first_refresh
    _assert_error(client.post(REFRESH, {"refresh": first_refresh}, format="json"), 401, "token_not_valid")
    # Reuse of a rotated token means theft: the whole session ends, the newer token included.
    assert client.post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json").status_code == 401


def test_new_access_token_from_refresh_works(auth_client):
    access = APIClient().post(REFRESH, {"refresh": auth_client.tokens["refresh"]}, format="json").json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/users/profile/").status_code == 200


@pytest.mark.parametrize("bad", ["garbage", "a.b.c"])
def test_refresh_rejects_garbage(api_client, bad):
    _assert_error(api_client.post(REFRESH, {"refresh": bad}, format="json"), 401, "token_not_valid")


def test_refresh_rejects_an_access_token(api_client, auth_client):
    _assert_error(
        api_client.post(REFRESH, {"refresh": auth_client.tokens["access"]}, format="json"), 401, "token_not_valid"
    )


def test_refresh_requires_the_token(api_client):
    _assert_error(api_client.post(REFRESH, {}, format="json"), 400, "validation_error")


def test_refresh_for_deactivated_user_is_rejected(auth_client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    _assert_error(
        APIClient().post(REFRESH, {"refresh": auth_client.tokens["refresh"]}, format="json"), 401, "token_not_valid"
    )


def test_logout_then_refresh_is_rejected(auth_client):
    response = auth_client.post("/api/v1/users/logout/", {"refresh": auth_client.tokens["refresh"]}, format="json")
    assert response.status_code == 200
    _assert_error(
        APIClient().post(REFRESH, {"refresh": auth_client.tokens["refresh"]}, format="json"), 401, "token_not_valid"
    )


def test_logout_cannot_end_another_users_session(auth_client, other_user, password):
    other = APIClient().post(TOKEN, {"username": other_user.email, "password": password}, format="json").json()
    response = auth_client.post("/api/v1/users/logout/", {"refresh": other["refresh"]}, format="json")
    _assert_error(response, 401, "token_not_valid")
    assert APIClient().post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 200


# --- profile ----------------------------------------------------------------------------------
def test_profile_requires_authentication(api_client):
    _assert_error(api_client.get("/api/v1/users/profile/"), 401, "not_authenticated")


def test_profile_rejects_a_malformed_access_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer abc.def.ghi")
    _assert_error(api_client.get("/api/v1/users/profile/"), 401, "token_not_valid")


def test_profile_shows_only_the_caller(auth_client, user, other_user):
    body = auth_client.get("/api/v1/users/profile/").json()
    assert body["id"] == str(user.pk)
    assert other_user.email not in str(body)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_profile_changes_editable_fields(auth_client, user, method):
    response = getattr(auth_client, method)(
        "/api/v1/users/update_profile/",
        {"first_name": "Anita", "last_name": "Rao", "phone_number": "+91 90000 00000", "bio": "Learner."},
        format="json",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.phone_number, user.bio) == (
        "Anita",
        "Rao",
        "+91 90000 00000",
        "Learner.",
    )


def test_student_cannot_make_themself_an_admin(auth_client, user):
    response = auth_client.patch(
        "/api/v1/users/update_profile/",
        {
            "user_type": "admin",
            "email": "new@example.com",
            "email_verified": False,
            "is_superuser": True,
            "is_staff": True,
            "failed_login_attempts": 0,
            "account_locked_until": None,
            "first_name": "Still",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["user_type"] == "student"
    user.refresh_from_db()
    assert user.user_type == UserType.STUDENT
    assert not user.is_superuser and not user.is_staff and not user.is_staff_member
    assert user.email != "new@example.com" and user.email_verified is True
    assert user.first_name == "Still"


def test_update_profile_rejects_invalid_phone(auth_client):
    body = _assert_error(
        auth_client.patch("/api/v1/users/update_profile/", {"phone_number": "12"}, format="json"),
        400,
        "validation_error",
    )
    assert "phone_number" in body["fields"]


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (11, 110, 79)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_update_profile_uploads_a_picture(auth_client, user, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    picture = SimpleUploadedFile("me.png", _png_bytes(), content_type="image/png")
    response = auth_client.patch("/api/v1/users/update_profile/", {"profile_picture": picture}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["profile_picture"].endswith(".png")
    user.refresh_from_db()
    assert user.profile_picture.name.startswith(f"profile_pictures/{user.pk}/")


def test_update_profile_rejects_a_file_that_is_not_an_image(auth_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("me.png", b"<?php echo 1; ?>", content_type="image/png")
    body = _assert_error(
        auth_client.patch("/api/v1/users/update_profile/", {"profile_picture": fake}, format="multipart"),
        400,
        "validation_error",
    )
    assert "profile_picture" in body["fields"]


# --- passwords --------------------------------------------------------------------------------
def test_change_password_revokes_every_refresh_token(auth_client, user, password, run_on_commit):
    second_session = APIClient().post(TOKEN, {"username": user.email, "password": password}, format="json").json()
    with run_on_commit():
        response = auth_client.post(
            "/api/v1/users/change_password/", {"old_password": password, "new_password": STRONG}, format="json"
        )
    assert response.status_code == 200, response.content
    for refresh in (auth_client.tokens["refresh"], second_session["refresh"]):
        assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    assert APIClient().post(TOKEN, {"username": user.email, "password": STRONG}, format="json").status_code == 200
    assert APIClient().post(TOKEN, {"username": user.email, "password": password}, format="json").status_code == 401
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "changed" in mail.outbox[0].subject


def test_change_password_requires_the_current_password(auth_client, user):
    body = _assert_error(
        auth_client.post(
            "/api/v1/users/change_password/",
            {"old_password": "wrong-wrong-wrong", "new_password": STRONG},
            format="json",
        ),
        400,
        "wrong_password",
    )
    assert "old_password" in body["fields"]
    user.refresh_from_db()
    assert not user.check_password(STRONG)


def test_change_password_rejects_a_weak_new_password(auth_client, password):
    body = _assert_error(
        auth_client.post(
            "/api/v1/users/change_password/", {"old_password": password, "new_password": "12345678"}, format="json"
        ),
        400,
        "weak_password",
    )
    assert "new_password" in body["fields"]


def test_change_password_requires_authentication(api_client):
    _assert_error(api_client.post("/api/v1/users/change_password/", {}, format="json"), 401, "not_authenticated")


def test_password_reset_answers_the_same_whether_or_not_the_account_exists(api_client, user, run_on_commit):
    with run_on_commit():
        known = api_client.post("/api/v1/users/password_reset/", {"email": user.email}, format="json")
        unknown = api_client.post("/api/v1/users/password_reset/", {"email": "ghost@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 200
    assert known.json()["message"] == unknown.json()["message"]
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_password_reset_link_works_once(api_client, user, run_on_commit):
    with run_on_commit():
        api_client.post("/api/v1/users/password_reset/", {"email": user.email}, format="json")
    token = _link_token(mail.outbox[0])
    with run_on_commit():
        response = api_client.post(
            "/api/v1/users/password_reset_confirm/", {"token": token, "new_password": STRONG}, format="json"
        )
    assert response.status_code == 200, response.content
    assert APIClient().post(TOKEN, {"username": user.email, "password": STRONG}, format="json").status_code == 200
    again = api_client.post(
        "/api/v1/users/password_reset_confirm/", {"token": token, "new_password": STRONG + "x"}, format="json"
    )
    _assert_error(again, 400, "invalid_token")


def test_password_reset_revokes_existing_sessions(auth_client, user, run_on_commit):
    with run_on_commit():
        APIClient().post("/api/v1/users/password_reset/", {"email": user.email}, format="json")
    with run_on_commit():
        APIClient().post(
            "/api/v1/users/password_reset_confirm/",
            {"token": _link_token(mail.outbox[0]), "new_password": STRONG},
            format="json",
        )
    assert APIClient().post(REFRESH, {"refresh": auth_client.tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("token", ["", "nonsense", "Zm9v.bar", "!!!.???"])
def test_password_reset_confirm_rejects_bad_tokens(api_client, token):
    response = api_client.post(
        "/api/v1/users/password_reset_confirm/", {"token": token, "new_password": STRONG}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_token", "validation_error"}


def test_password_reset_confirm_rejects_a_weak_password(api_client, user, run_on_commit):
    with run_on_commit():
        api_client.post("/api/v1/users/password_reset/", {"email": user.email}, format="json")
    response = api_client.post(
        "/api/v1/users/password_reset_confirm/",
        {"token": _link_token(mail.outbox[0]), "new_password": "short"},
        format="json",
    )
    _assert_error(response, 400, "weak_password")


def test_password_reset_link_expires(api_client, user, run_on_commit, settings):
    with run_on_commit():
        api_client.post("/api/v1/users/password_reset/", {"email": user.email}, format="json")
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = api_client.post(
        "/api/v1/users/password_reset_confirm/",
        {"token": _link_token(mail.outbox[0]), "new_password": STRONG},
        format="json",
    )
    _assert_error(response, 400, "invalid_token")
