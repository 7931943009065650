"""Nothing secret, and no forged line, reaches a log."""

import logging

import pytest

from apps.core.logging import RedactSecretsFilter, RequestIDFilter

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMTIzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _filtered(message: str, *args) -> str:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, message, args or None, None)
    RedactSecretsFilter().filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    "message, secret",
    [
        (f"token {JWT} rejected", JWT),
        ('body {"password": "hunter2-hunter2"}', "hunter2-hunter2"),
        ("password=hunter2-hunter2&email=a@b.c", "hunter2-hunter2"),
        ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242"),
        ("card 4000000000003220 declined", "4000000000003220"),
        ("totp_secret=JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"),
    ],
)
def test_secrets_are_redacted(message, secret):
    assert secret not in _filtered(message)


def test_arguments_are_redacted_too():
    assert JWT not in _filtered("refresh with %s failed", JWT)


def test_user_text_cannot_forge_a_log_line():
    result = _filtered("Login failed for %s", "eve\n2026-01-01 INFO security: Login succeeded for admin")
    assert "\n" not in result and "\\n" in result


def test_request_id_defaults_to_dash_outside_requests():
    record = logging.LogRecord("test", logging.INFO, __file__, 1, "hello", None, None)
    RequestIDFilter().filter(record)
    assert record.request_id == "-"


@pytest.mark.django_db
def test_security_events_reach_the_security_log_file(api_client, settings):
    log_file = settings.LOG_DIR / "security.log"
    if not settings.LOG_TO_FILES:
        pytest.skip("file logging is switched off in this environment")
    security = logging.getLogger("security")
    security.warning("Test security event %s", "marker-7f3a9c")
    for handler in security.handlers:
        handler.flush()
    assert "marker-7f3a9c" in log_file.read_text()


def test_python_dict_reprs_are_redacted():
    message = _filtered("payload %s", {"password": "hunter2hunter2", "refresh": "abc.def", "code": "123456"})
    assert "hunter2hunter2" not in message and "abc.def" not in message and "123456" not in message


def test_tokens_in_urls_are_redacted():
    assert "s3cr3t" not in _filtered('"GET /account/reset-password/?token=s3cr3t HTTP/1.1" 200')
