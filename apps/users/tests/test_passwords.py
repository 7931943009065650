"""Password hashing: Argon2id with the tuned parameters, and bcrypt accounts upgraded on login."""

import bcrypt
import pytest
from django.conf import settings

from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_hasher]


def test_new_passwords_are_hashed_with_tuned_argon2id():
    user = UserFactory(password="a-long-Unusual-passphrase-42")
    algorithm, variant, version, params, *_ = user.password.split("$")
    assert (algorithm, variant, version) == ("argon2", "argon2id", "v=19")
    assert (
        params == f"m={settings.ARGON2_MEMORY_COST_KIB},t={settings.ARGON2_TIME_COST},p={settings.ARGON2_PARALLELISM}"
    )
    # At or above OWASP's minimum: 19 MiB memory, 2 iterations, parallelism 1.
    assert settings.ARGON2_MEMORY_COST_KIB >= 19 * 1024 and settings.ARGON2_TIME_COST >= 2
    assert user.check_password("a-long-Unusual-passphrase-42")
    assert not user.check_password("a-long-Unusual-passphrase-43")


def test_argon2_hash_with_other_parameters_is_upgraded_on_login(api_client):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=2, memory_cost=102400, parallelism=8).hash("a-long-Unusual-passphrase-42")
    user = UserFactory(password="argon2" + old)  # Django drops the leading "$"
    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.email, "password": "a-long-Unusual-passphrase-42"}, format="json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert f"m={settings.ARGON2_MEMORY_COST_KIB}," in user.password


def test_imported_bcrypt_account_logs_in_and_is_rehashed_with_argon2(api_client):
    # The Node.js backend used bcryptjs: "$2a$10$..." hashes, stored by Django as "bcrypt$<hash>".
    legacy = bcrypt.hashpw(b"old-node-password-1", bcrypt.gensalt(rounds=10, prefix=b"2a")).decode()
    assert legacy.startswith("$2a$10$")
    user = UserFactory(password=f"bcrypt${legacy}")
    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.email, "password": "old-node-password-1"}, format="json"
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=user.pk)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("old-node-password-1")
