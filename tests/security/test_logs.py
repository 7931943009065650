"""The log files receive the app's lines during tests, and no secret made so far is in them.

The whole run is scanned once more when it ends (tests/security/log_secrets.py), so that a secret
logged by a test elsewhere in the suite fails the run too.
"""

import logging
import uuid

import pytest

from tests.security import log_secrets

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_logging(settings):
    if not settings.LOG_TO_FILES:
        pytest.skip("file logging is switched off in this environment")
    return settings.LOG_DIR


def _log_text(log_dir, name: str) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return (log_dir / name).read_text(errors="replace")


def test_app_log_lines_reach_the_log_files(file_logging, api_client):
    marker = f"marker-{uuid.uuid4().hex}"
    logging.getLogger("apps.users.services").info("Security suite check %s", marker)
    assert marker in _log_text(file_logging, "titanobova.log")


def test_request_log_lines_reach_the_log_files(file_logging, api_client, user):
    wrong = "not-the-password-9f2c"
    response = api_client.post("/api/v1/auth/token/", {"username": user.email, "password": wrong}, format="json")
    assert response.status_code == 401
    text = _log_text(file_logging, "titanobova.log")
    assert f"[{response['X-Request-ID']}] security: Login failed for user {user.pk}" in text
    assert wrong in log_secrets.registry.secrets and wrong not in text


def test_a_token_logged_by_mistake_is_redacted(file_logging, auth_client):
    access = auth_client.tokens["access"]
    logging.getLogger("apps.users.services").warning("Refresh failed for token %s", access)
    text = _log_text(file_logging, "titanobova.log")
    assert "Refresh failed for token [redacted-token]" in text
    assert access not in text


def test_the_registry_records_what_logins_issue(auth_client, password):
    recorded = log_secrets.registry.secrets
    assert auth_client.tokens["access"] in recorded
    assert auth_client.tokens["refresh"] in recorded
    assert password in recorded


def test_the_registry_records_totp_secrets_and_backup_codes(db):
    from apps.users.tests.conftest import make_two_factor_user

    staff = make_two_factor_user(user_type="founder")
    assert staff.secret in log_secrets.registry.secrets
    assert all(code in log_secrets.registry.secrets for code in staff.backup_codes)


def test_the_scan_finds_a_secret_written_to_a_log_file(file_logging, tmp_path, monkeypatch):
    leak = f"leaked-secret-{uuid.uuid4().hex}"
    log_secrets.registry.add(leak, "test secret")
    monkeypatch.setattr(log_secrets, "log_files", lambda: [tmp_path / "planted.log"])
    (tmp_path / "planted.log").write_text(f"2026-01-01 INFO x: oops {leak}\n")
    try:
        assert any("test secret" in line for line in log_secrets.secrets_in_logs())
    finally:
        del log_secrets.registry.secrets[leak]


def test_no_secret_recorded_so_far_is_in_the_logs(file_logging):
    assert log_secrets.secrets_in_logs() == []


def test_plain_words_typed_in_are_not_secrets_but_codes_the_system_makes_are():
    log_secrets.registry.add("enrollment", "password", typed=True)  # the fuzzer's word, in every log
    assert "enrollment" not in log_secrets.registry.secrets
    code = "qwerty-asdfg"  # a backup code made only of letters is still a secret
    log_secrets.registry.add(code, "backup code")
    try:
        assert code in log_secrets.registry.secrets
    finally:
        del log_secrets.registry.secrets[code]
