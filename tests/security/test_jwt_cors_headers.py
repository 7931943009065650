"""JWT tampering, CORS, and the security headers on every kind of response.

The token and header tests of apps/users and apps/core are run here too (imported), so that this
package alone runs the whole security regression suite.
"""

import jwt
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from apps.core.tests.test_headers import *  # noqa: F403 - the header, CORS and HTTPS tests, run here too
from apps.users.tests.test_jwt_tampering import *  # noqa: F403 - the token tests and their fixture, run here too

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response):
    for header, value in SECURITY_HEADERS.items():
        assert response.get(header) == value, f"{header} on a {response.status_code}: {response.get(header)!r}"
    assert "camera=()" in response.get("Permissions-Policy", "")
    csp = response.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert response.get("X-Request-ID")


# --- JWT: forged tokens on a staff endpoint too -----------------------------------------------------
def test_a_forged_two_factor_claim_is_rejected(db):
    from tests.clients import role_client

    founder = role_client("founder")  # logged in without 2FA set up: no "2fa" claim
    token = founder._credentials["HTTP_AUTHORIZATION"].split()[1]
    payload = jwt.decode(token, options={"verify_signature": False})
    header, _, signature = token.split(".")
    forged_payload = jwt.encode({**payload, "2fa": True}, "x" * 32, algorithm="HS256").split(".")[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{forged_payload}.{signature}")
    assert client.get("/api/v1/admin/dashboard/").status_code == 401
    resigned = jwt.encode({**payload, "2fa": True}, "not-our-key-" * 4, algorithm="HS256")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {resigned}")
    assert client.get("/api/v1/admin/dashboard/").status_code == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_another_algorithm_with_our_key_is_rejected(tokens, alg):
    payload = jwt.decode(tokens["access"], options={"verify_signature": False})
    forged = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=alg)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get("/api/v1/users/profile/").status_code == 401


def test_an_access_token_is_no_refresh_token(tokens):
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


# --- CORS ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/courses/courses/", "/api/v1/auth/token/", "/health/", "/admin/login/"])
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://localhost:5174", "null", "http://localhost:5173.evil"]
)
def test_a_foreign_origin_is_never_echoed(client, settings, path, origin):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    for method in ("options", "get", "post"):
        response = getattr(client, method)(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response
        assert origin not in str(response.headers)


def test_the_react_dev_origin_may_call_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    response = client.get("/api/v1/courses/courses/", HTTP_ORIGIN="http://localhost:5173")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "Access-Control-Allow-Credentials" not in response  # tokens travel in headers, never cookies


# --- Security headers on every kind of response ------------------------------------------------------------
def _invoice_pdf(founder_client, student_client):
    from apps.payments.tests.factories import invoiced_payment

    _, invoice = invoiced_payment(student_client.user)
    return student_client.get(f"/api/v1/payments/invoices/{invoice.pk}/pdf/")


def _throttled(api_client, settings):
    settings.RATELIMIT_RATES = {**settings.RATELIMIT_RATES, "login": "1/minute"}
    body = {"username": "nobody@example.com", "password": "wrong-password-123"}
    api_client.post("/api/v1/auth/token/", body, format="json")
    return api_client.post("/api/v1/auth/token/", body, format="json")


def _server_error(settings):
    settings.ROOT_URLCONF = "tests.security.urls"
    return Client(raise_request_exception=False).get("/api/v1/security-boom/")


def _admin_index(founder_client):
    from django.test import Client as DjangoClient

    browser = DjangoClient()
    browser.force_login(founder_client.user)
    return browser.get("/admin/")


RESPONSES = {
    "api-json-200": (lambda f: f["api_client"].get("/api/v1/courses/courses/"), 200),
    "api-400": (lambda f: f["api_client"].post("/api/v1/auth/token/", {}, format="json"), 400),
    "api-401": (lambda f: f["api_client"].get("/api/v1/users/profile/"), 401),
    "api-403": (lambda f: f["student_client"].get("/api/v1/admin/dashboard/"), 403),
    "api-404": (lambda f: f["api_client"].get("/api/v1/no-such-thing/"), 404),
    "api-405": (lambda f: f["api_client"].delete("/api/v1/auth/token/"), 405),
    "api-413": (
        lambda f: f["api_client"].post(
            "/api/v1/auth/token/", "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), content_type="application/json"
        ),
        413,
    ),
    "api-415": (lambda f: f["api_client"].post("/api/v1/auth/token/", "x", content_type="text/plain"), 415),
    "api-429": (lambda f: _throttled(f["api_client"], f["settings"]), 429),
    "api-500": (lambda f: _server_error(f["settings"]), 500),
    "api-schema": (lambda f: f["api_client"].get("/api/v1/schema/"), 200),
    "api-docs-page": (lambda f: f["client"].get("/api/v1/docs/"), 200),
    "api-pdf": (lambda f: _invoice_pdf(f["founder_client"], f["student_client"]), 200),
    "api-csv-export": (lambda f: f["founder_client"].get("/api/v1/contacts/newsletter/subscribers/export/"), 200),
    "api-post-200": (lambda f: f["founder_client"].post("/api/v1/users/logout_all/"), 200),
    "admin-login-page": (lambda f: f["client"].get("/admin/login/"), 200),
    "admin-redirect": (lambda f: f["client"].get("/admin/"), 302),
    "redirect-append-slash": (lambda f: f["client"].get("/admin"), 301),
    "admin-index": (lambda f: _admin_index(f["founder_client"]), 200),
    "admin-404": (lambda f: f["client"].get("/admin/no-such-page/"), 302),
    "health": (lambda f: f["client"].get("/health/"), 200),
    "health-live": (lambda f: f["client"].get("/health/live/"), 200),
    "account-page": (lambda f: f["client"].get("/account/verify-email/?token=x"), 200),
    "certificate-page-404": (lambda f: f["client"].get("/certificates/no-such-code/"), 404),
    "site-404": (lambda f: f["client"].get("/no-such-page/"), 404),
}


@pytest.mark.parametrize("kind", list(RESPONSES))
def test_every_kind_of_response_has_the_security_headers(request, kind):
    make, status = RESPONSES[kind]
    fixtures = {
        name: request.getfixturevalue(name)
        for name in ("api_client", "client", "settings", "student_client", "founder_client")
    }
    response = make(fixtures)
    assert response.status_code == status, (kind, response.status_code, response.content[:200])
    assert_security_headers(response)
    if kind.startswith("api-") and status >= 400:
        assert response["Content-Type"].startswith("application/json"), kind
