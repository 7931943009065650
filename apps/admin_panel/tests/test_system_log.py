"""SystemLog: warnings and errors of the application stored for the admin, with request ids."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.admin_panel import selectors
from apps.admin_panel.models import SystemLog
from apps.admin_panel.services import system_logs_purge
from apps.users.tests.conftest import login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(databases="__all__", transaction=False)


def _logs():
    return SystemLog.objects.using(settings.SYSTEM_LOG_DATABASE)


def test_a_warning_during_a_request_is_stored_with_its_request_id(api_client, settings):
    user = UserFactory(password="a-long-Unusual-passphrase-42")
    for _ in range(settings.LOCKOUT_THRESHOLD):
        response = login(api_client, user.email, "not-the-password-1234")
    row = _logs().get(message__contains="locked after")
    assert row.level == "WARNING" and row.logger == "security"
    assert row.request_id == response["X-Request-ID"]
    assert row.path == ""  # a service's own logger carries no request; the id ties it to one


def test_an_unhandled_error_is_stored_with_traceback_user_and_path(founder_client, monkeypatch):
    def broken():
        raise RuntimeError("dashboard exploded")

    monkeypatch.setattr(selectors, "dashboard_figures", broken)
    response = founder_client.get("/api/v1/admin/dashboard/", HTTP_X_REQUEST_ID="support-ticket-0001")
    assert response.status_code == 500 and response.json()["request_id"] == "support-ticket-0001"
    rows = list(_logs().filter(request_id="support-ticket-0001", level="ERROR"))
    assert rows and all("RuntimeError: dashboard exploded" in row.traceback for row in rows)
    assert {row.user_id for row in rows} == {str(founder_client.user.pk)}
    assert {row.path for row in rows} <= {"", "/api/v1/admin/dashboard/"}


def test_client_errors_are_not_stored(api_client):
    assert api_client.get("/api/v1/users/profile/").status_code == 401
    assert api_client.get("/api/v1/no-such-thing/").status_code == 404
    assert not _logs().filter(logger="django.request").exists()


def test_secrets_are_masked_in_stored_lines():
    logging.getLogger("apps.test").warning("login with password=hunter2-secret and token: abc.def")
    row = _logs().get(logger="apps.test")
    assert "hunter2" not in row.message and "[redacted]" in row.message


def test_old_rows_are_purged_after_the_retention(settings):
    settings.SYSTEM_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    for age in (1, 29, 31, 400):
        _logs().create(created_at=now - timedelta(days=age), level="WARNING", level_number=30, logger="x", message="m")
    assert system_logs_purge(now=now) == 2
    assert _logs().filter(logger="x").count() == 2


def test_the_database_being_unavailable_does_not_break_logging(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(SystemLog.objects, "using", refuse)
    logging.getLogger("apps.test").error("still logged to the console and files")  # does not raise


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_line_logged_in_a_rolled_back_transaction_is_kept():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite shares one connection; PostgreSQL (CI) writes SystemLog through its own")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        UserFactory()
        logging.getLogger("apps.test").error("about to fail")
        1 / 0
    assert _logs().filter(message="about to fail").exists()


def test_admin_finds_log_lines_by_request_id(db, client):
    from apps.users.models import User

    admin = User.objects.create_superuser("root@example.com", "a-long-Unusual-passphrase-42")
    client.force_login(admin)
    SystemLog.objects.create(
        created_at=timezone.now(), level="ERROR", level_number=40, logger="x", message="boom", request_id="abc123def"
    )
    SystemLog.objects.create(
        created_at=timezone.now(), level="ERROR", level_number=40, logger="x", message="unrelated-line-xyz"
    )
    response = client.get("/admin/admin_panel/systemlog/?q=abc123def")
    assert response.status_code == 200
    assert b"boom" in response.content and b"unrelated-line-xyz" not in response.content


def test_a_line_repeated_in_a_burst_is_stored_once_and_counted(settings, monkeypatch):
    from apps.admin_panel import system_log

    settings.SYSTEM_LOG_REPEAT_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr(system_log.time, "monotonic", lambda: clock[0])
    logger = logging.getLogger("apps.test.burst")
    for _ in range(50):  # e.g. every cache call while Redis is down
        logger.error("Exception ignored")
    logger.error("another line")
    assert _logs().filter(logger="apps.test.burst").count() == 2
    clock[0] += 11
    logger.error("Exception ignored")
    rows = list(_logs().filter(logger="apps.test.burst", message__startswith="Exception ignored").order_by("id"))
    assert [row.message for row in rows] == ["Exception ignored", "Exception ignored [+49 like it before, not stored]"]
