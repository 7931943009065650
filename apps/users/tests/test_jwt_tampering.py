"""Forged, altered, expired and misused tokens get 401."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.users.tests.conftest import PASSWORD, login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(db):
    user = UserFactory(password=PASSWORD)
    return login(APIClient(), user.email).json()


def _get_profile(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/users/profile/")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_the_genuine_token_works(tokens):
    assert _get_profile(tokens["access"]).status_code == 200


def test_alg_none_is_rejected(tokens):
    payload = jwt.decode(tokens["access"], options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."
    assert _get_profile(forged).status_code == 401


def test_a_flipped_byte_is_rejected(tokens):
    header, payload, signature = tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = claims["user_id"][:-1] + ("0" if claims["user_id"][-1] != "0" else "1")
    assert _get_profile(f"{header}.{_b64(claims)}.{signature}").status_code == 401
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert _get_profile(f"{header}.{payload}.{flipped}").status_code == 401


def test_an_expired_token_is_rejected(tokens):
    token = AccessToken(tokens["access"])
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert _get_profile(str(token)).status_code == 401


def test_a_token_signed_with_another_key_is_rejected(tokens):
    payload = jwt.decode(tokens["access"], options={"verify_signature": False})
    forged = jwt.encode(payload, "not-our-key-" * 4, algorithm=settings.SIMPLE_JWT["ALGORITHM"])
    assert _get_profile(forged).status_code == 401


def test_a_refresh_token_used_as_access_token_is_rejected(tokens):
    response = _get_profile(tokens["refresh"])
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"


def test_a_token_without_a_session_is_rejected(tokens):
    payload = jwt.decode(tokens["access"], options={"verify_signature": False})
    payload.pop("sid")
    forged = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert _get_profile(forged).status_code == 401
