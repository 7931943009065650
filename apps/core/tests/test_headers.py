"""Security headers on every kind of response, CORS, and production HTTPS behaviour."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _assert_common(response):
    for header, value in COMMON.items():
        assert response[header] == value, header
    assert "camera=()" in response["Permissions-Policy"]
    csp = response["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "http" not in csp
    return csp


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/users/profile/", "/api/v1/nope/", "/api/v1/schema/"])
def test_api_responses_have_the_strict_api_policy(client, path):
    response = client.get(path)
    assert _assert_common(response) == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/docs/", "/account/verify-email/?token=x"])
def test_pages_have_a_strict_self_only_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = _assert_common(response)
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_docs_page_has_no_inline_script(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "<script>" not in html.replace(" ", "")
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]


def test_health_has_headers_too(client):
    _assert_common(client.get("/health/"))


def test_cors_allows_the_react_dev_origin(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    response = client.options(
        "/api/v1/auth/token/",
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
    )
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_cors_never_echoes_a_foreign_origin(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    for method in ("options", "get"):
        response = getattr(client, method)(
            "/api/v1/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
        )
        assert "Access-Control-Allow-Origin" not in response
        assert "evil.example" not in str(response.headers)


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_REDIRECT_EXEMPT=[r"^health/"],
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)
def test_production_https_redirect_hsts_and_health_exemption():
    client = Client()
    plain = client.get("/api/v1/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get("/health/live/").status_code == 200
    assert client.get("/health/").status_code == 200
    secure = client.get("/api/v1/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_cookie_flags(tmp_path):
    """Read off the production settings module in a fresh process."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='titanobova_project.settings';django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_AGE)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "False",
        "SECRET_KEY": "x" * 60,
        "FIELD_ENCRYPTION_KEYS": "tQ0gMxkgz4zGmQbRzMRDPNn0x8Dk4tbwYQk9bG1k2xY=",
        "BACKUP_ENCRYPTION_KEYS": "tQ0gMxkgz4zGmQbRzMRDPNn0x8Dk4tbwYQk9bG1k2xY=",
        "ENV_FILE": str(tmp_path / "none"),
        "LOG_TO_FILES": "False",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "31536000", "True", "3600"]
