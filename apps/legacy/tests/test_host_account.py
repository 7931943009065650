"""The Node.js site's host login becomes a founder keeping its bcryptjs hash; the first login
with the old password re-hashes it with Argon2id."""

import io

import bcrypt
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.users.models import User, UserType

from .conftest import build_sqlite

pytestmark = [pytest.mark.django_db, pytest.mark.real_hasher]

OLD_PASSWORD = "the-old-node-host-password"


def bcryptjs_hash(password: str) -> str:
    """What bcryptjs stored: a $2a$10$ hash (the bcrypt package writes $2b$; same algorithm)."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    assert hashed.startswith("$2b$10$")
    return "$2a$" + hashed[4:]


def import_host(tmp_path, monkeypatch, password_hash: str) -> str:
    monkeypatch.setenv("HOST_USERNAME", "admin")
    monkeypatch.setenv("HOST_PASSWORD_HASH", password_hash)
    out = io.StringIO()
    path = tmp_path / "contacts.db"
    source = str(path) if path.exists() else build_sqlite(path)
    call_command("import_from_nodejs", source, "--host-email", "Founder@Titanobova.com", stdout=out)
    return out.getvalue()


def test_host_account_logs_in_with_old_password_and_is_rehashed_with_argon2(tmp_path, monkeypatch):
    legacy_hash = bcryptjs_hash(OLD_PASSWORD)
    output = import_host(tmp_path, monkeypatch, legacy_hash)
    assert "host account: read 1, created 1, skipped 0, errors 0" in output
    founder = User.objects.get(email="founder@titanobova.com")
    assert founder.user_type == UserType.FOUNDER
    assert founder.password == f"bcrypt${legacy_hash}"

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "founder@titanobova.com", "password": OLD_PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["access"]
    founder.refresh_from_db()
    assert founder.password.startswith("argon2$argon2id$")
    assert founder.check_password(OLD_PASSWORD)

    # Importing again leaves the account (and its new hash) alone.
    again = import_host(tmp_path, monkeypatch, legacy_hash)
    assert "host account: read 1, created 0, skipped 1, errors 0" in again
    founder.refresh_from_db()
    assert founder.password.startswith("argon2$")


def test_wrong_password_is_refused_for_imported_host(tmp_path, monkeypatch):
    import_host(tmp_path, monkeypatch, bcryptjs_hash(OLD_PASSWORD))
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "founder@titanobova.com", "password": "not-the-password"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert User.objects.get(email="founder@titanobova.com").password.startswith("bcrypt$$2a$10$")


def test_password_longer_than_72_bytes_matches_as_bcryptjs_cut_it(tmp_path, monkeypatch):
    # bcryptjs read the first 72 bytes only; the bcrypt package refuses longer input (was a 500).
    long_password = "correct horse battery staple " * 4
    import_host(tmp_path, monkeypatch, bcryptjs_hash(long_password[:72]))
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "founder@titanobova.com", "password": long_password}, format="json"
    )
    assert response.status_code == 200, response.content


def test_a_hash_that_is_not_bcrypt_is_reported_not_imported(tmp_path, monkeypatch):
    output = import_host(tmp_path, monkeypatch, "plaintext-password")
    assert "host account: read 1, created 0, skipped 0, errors 1" in output
    assert "not a bcrypt hash" in output
    assert not User.objects.filter(email="founder@titanobova.com").exists()
