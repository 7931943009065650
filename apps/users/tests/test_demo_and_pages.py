import re

import pyotp
import pytest
from django.core import mail
from django.core.management import call_command

from apps.courses.models import Course, Lesson
from apps.users.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from apps.users.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_creates_every_role(api_client):
    call_command("seed_demo")
    call_command("seed_demo")
    assert sorted(User.objects.values_list("user_type", flat=True)) == ["admin", "founder", "instructor", "student"]
    assert Course.objects.filter(is_published=True).count() == 3
    assert Lesson.objects.count() == 15
    for user in User.objects.all():
        body = {"username": user.email, "password": DEMO_PASSWORD}
        response = api_client.post("/api/v1/auth/token/", body, format="json")
        if user.is_staff_member:  # staff have 2FA on with the demo secret
            assert response.json()["code"] == "two_factor_required"
            body["code"] = pyotp.TOTP(DEMO_TOTP_SECRET).now()
            response = api_client.post("/api/v1/auth/token/", body, format="json")
        assert response.status_code == 200


def _link(message) -> str:
    return re.search(r"(http://\S+)", message.body).group(1)


def test_verification_page_confirms_only_on_post(client, run_on_commit):
    with run_on_commit():
        client.post(
            "/api/v1/users/register/",
            {
                "email": "page@example.com",
                "password": "correct-horse-battery-staple-77",
                "first_name": "P",
                "last_name": "Q",
            },
            content_type="application/json",
        )
    link = _link(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    page = client.get(link)
    assert page.status_code == 200 and b"<form" in page.content
    assert not User.objects.get(email="page@example.com").email_verified
    token = link.split("token=")[1]
    done = client.post("/account/verify-email/", {"token": token})
    assert b"is confirmed" in done.content
    assert User.objects.get(email="page@example.com").email_verified


def test_reset_page_sets_a_new_password(client, user, run_on_commit):
    with run_on_commit():
        client.post("/api/v1/users/password_reset/", {"email": user.email}, content_type="application/json")
    link = _link(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    assert b"new_password" in client.get(link).content
    token = link.split("token=")[1]
    mismatch = client.post(
        "/account/reset-password/", {"token": token, "new_password": "x" * 20, "new_password_again": "y" * 20}
    )
    assert b"do not match" in mismatch.content
    weak = client.post(
        "/account/reset-password/", {"token": token, "new_password": "short", "new_password_again": "short"}
    )
    assert b"too short" in weak.content
    new = "correct-horse-battery-staple-77"
    with run_on_commit():
        done = client.post("/account/reset-password/", {"token": token, "new_password": new, "new_password_again": new})
    assert b"has been changed" in done.content
    user.refresh_from_db()
    assert user.check_password(new)
    assert b"invalid, used or expired" in client.get(link).content


def test_reset_page_with_bad_token(client):
    assert b"invalid, used or expired" in client.get("/account/reset-password/?token=abc").content
