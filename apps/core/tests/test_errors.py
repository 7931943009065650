"""The one JSON error format, request ids and the no-HTML-from-/api/ guarantee."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _assert_json_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["detail"] == body["message"]
    assert body["request_id"] == response["X-Request-ID"]
    assert "fields" not in body or isinstance(body["fields"], dict)
    return body


def test_malformed_json_is_a_400_not_a_500(api_client):
    response = api_client.post(
        "/api/v1/users/register/", data='{"email": "a@example.com", ', content_type="application/json"
    )
    _assert_json_error(response, 400, "parse_error")


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/users/nope/", "/api/unknown", "/api/v2/"])
def test_unknown_api_path_is_a_json_404(api_client, path, settings):
    for debug in (True, False):
        settings.DEBUG = debug
        _assert_json_error(api_client.get(path), 404, "not_found")


def test_wrong_method_is_a_json_405(api_client):
    _assert_json_error(api_client.get("/api/v1/users/register/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_a_json_415(api_client):
    response = api_client.post("/api/v1/users/register/", data="<xml/>", content_type="application/xml")
    _assert_json_error(response, 415, "unsupported_media_type")


def test_unexpected_exception_is_a_json_500_without_traceback(monkeypatch, settings):
    from apps.users import services

    def boom(**kwargs):
        raise RuntimeError("database on fire: secret-detail")

    monkeypatch.setattr(services, "auth_login", boom)
    for debug in (False, True):
        settings.DEBUG = debug
        client = APIClient(raise_request_exception=False)
        response = client.post(
            "/api/v1/auth/token/", {"username": "a@example.com", "password": "x" * 12}, format="json"
        )
        body = _assert_json_error(response, 500, "server_error")
        assert "secret-detail" not in response.content.decode()
        assert "Traceback" not in response.content.decode()
        assert body["message"]


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_a_lost_database_connection_is_a_json_503_with_retry_after(monkeypatch, caplog, error):
    """PostgreSQL restarting is an outage, not a bug: 503 so that clients retry, one log line
    without the traceback (tests/test_faults.py does it with a real restart)."""
    from django import db

    from apps.users import services

    def connection_lost(**kwargs):
        raise getattr(db, error)("terminating connection due to administrator command")

    monkeypatch.setattr(services, "auth_login", connection_lost)
    client = APIClient(raise_request_exception=False)
    with caplog.at_level("WARNING"):
        response = client.post(
            "/api/v1/auth/token/", {"username": "a@example.com", "password": "x" * 12}, format="json"
        )
    body = _assert_json_error(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5" and body["request_id"] == response["X-Request-ID"]
    assert "terminating connection" not in response.content.decode()
    [record] = [r for r in caplog.records if r.getMessage().startswith("Database unavailable")]
    assert record.levelname == "WARNING" and record.exc_info is None


def test_request_id_is_generated_when_absent(api_client):
    response = api_client.get("/api/v1/")
    assert len(response["X-Request-ID"]) == 32


def test_well_formed_request_id_from_the_proxy_is_kept(api_client):
    response = api_client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="edge-1234abcd")
    assert response["X-Request-ID"] == "edge-1234abcd"
    assert response.json()["request_id"] == "edge-1234abcd"


@pytest.mark.parametrize("incoming", ["short", "bad id with spaces", "x" * 200, "inject\r\nX-Evil: 1"])
def test_malformed_request_id_is_replaced(api_client, incoming):
    response = api_client.get("/api/v1/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_request_id_is_on_every_log_line_of_the_request(api_client, caplog):
    from apps.core.logging import RequestIDFilter

    caplog.handler.addFilter(RequestIDFilter())
    with caplog.at_level("INFO", logger="security"):
        api_client.post(
            "/api/v1/auth/token/",
            {"username": "ghost@example.com", "password": "whatever-long-1"},
            format="json",
            HTTP_X_REQUEST_ID="trace-abcdef12",
        )
    security_records = [r for r in caplog.records if r.name == "security"]
    assert security_records
    assert all(record.request_id == "trace-abcdef12" for record in security_records)


def test_error_body_from_a_drf_validation_error_lists_fields(api_client):
    body = _assert_json_error(api_client.post("/api/v1/users/register/", {}, format="json"), 400, "validation_error")
    assert {"email", "password", "first_name", "last_name"} <= set(body["fields"])


def test_admin_pages_are_not_turned_into_json(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert client.get("/not-api/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100000,
        "null",
        "[]",
        '"just a string"',
        '{"username": ["a"], "password": {"a": 1}}',
        '{"username": "a@b.com", "password": null}',
        '{"username": "a@b.com", "password": "x", "code": NaN}',
        '{"username": "\\ud800x", "password": "x"}',
        '{"username": "' + "a" * 100000 + '", "password": "x"}',
    ],
)
def test_odd_json_bodies_get_a_json_4xx(api_client, body):
    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:200]
    assert response["Content-Type"].startswith("application/json")


def test_non_utf8_body_gets_a_json_400(api_client):
    body = b'{"username": "\xff\xfe", "password": "x"}'
    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_a_bad_host_header_under_api_gets_json(client):
    response = client.get("/api/v1/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_an_html_accept_header_still_gets_the_json_body(api_client):
    response = api_client.post(
        "/api/v1/auth/token/",
        {"username": "x@example.com", "password": "y" * 12},
        format="json",
        HTTP_ACCEPT="text/html",
    )
    assert response["Content-Type"].startswith("application/json")
