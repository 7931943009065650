"""The production stack, run natively: two gunicorn instances with production settings (DEBUG
off, PostgreSQL with the connection pool, Redis) behind Debian's nginx with the repository's
config and a self-signed certificate, and a Celery worker. Everything goes over HTTPS through
nginx, except the checks that the two instances share their state, which talk to each instance
directly (as nginx would, with X-Forwarded-Proto and X-Forwarded-For)."""

import http.cookies
import json
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.core.models import OutboundEmail, OutboundEmailStatus
from tests.fake_sendgrid import FakeSendGrid
from tests.processes import ROOT, app_env, celery_worker, free_port, gunicorn, nginx, production_settings, wait_until

pytestmark = pytest.mark.slow

PASSWORD = "Production-stack-passphrase-7"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A tiny HTTP client that returns every answer (no raising on 4xx, no following redirects)."""

    def __init__(self, base_url: str, *, ca_file: Path | None = None, headers: dict[str, str] | None = None):
        self.base_url = base_url
        self.headers = headers or {}
        handlers: list = [_NoRedirect()]
        if ca_file is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(ca_file))))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, path: str, *, json_body=None, data: bytes | None = None, headers=None):
        headers = {**self.headers, **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return response.status, response.headers, response.read()

    def json(self, method: str, path: str, **kwargs):
        status, headers, body = self.request(method, path, **kwargs)
        return status, headers, (json.loads(body) if body and headers.get_content_type() == "application/json" else {})


def _direct(server, ip: str = "192.0.2.10") -> Client:
    """Talk to one gunicorn instance the way nginx does."""
    return Client(server.base_url, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": ip})


def _production_env(tmp_path: Path, web_root: Path, https_port: int, provider: FakeSendGrid) -> dict[str, str]:
    return production_settings(
        CSRF_TRUSTED_ORIGINS=f"https://localhost:{https_port}",
        SITE_URL=f"https://localhost:{https_port}",
        STATIC_ROOT=str(web_root / "static"),
        MEDIA_ROOT=str(web_root / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        CELERY_QUEUE=f"stack-{uuid.uuid4().hex}",
        SENDGRID_API_KEY="SG.stack",
        SENDGRID_API_URL=provider.url,
        REQUIRE_2FA_FOR_STAFF="false",
        RATELIMIT_LOGIN="4/minute",
        DB_POOL_MAX_SIZE="2",
        GUNICORN_THREADS="2",
    )


def _collectstatic(tmp_path: Path, env: dict[str, str]) -> None:
    """The Dockerfile's build step, with the same production storage."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=app_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def _session_cookie(headers, name: str) -> str:
    jar = http.cookies.SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar[name].value


@pytest.mark.real_hasher
@pytest.mark.django_db(transaction=True)
def test_production_stack_over_https_with_two_instances_sharing_state(tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL); CI always runs it")
    from apps.courses.tests.factories import course_with_lessons
    from apps.users.models import UserType
    from apps.users.tests.factories import UserFactory

    started = time.monotonic()
    web_root = tmp_path / "www"
    https_port = free_port()
    instructor = UserFactory(user_type=UserType.INSTRUCTOR, password=PASSWORD, email_verified=True)
    course = course_with_lessons(2, instructor=instructor, title="Stack Course Original")
    admin = UserFactory(user_type=UserType.ADMIN, password=PASSWORD, is_superuser=True, email_verified=True)

    with FakeSendGrid() as provider:
        env = _production_env(tmp_path, web_root, https_port, provider)
        _collectstatic(tmp_path, env)
        with (
            celery_worker(tmp_path, env=env),
            gunicorn(tmp_path, workers=1, env=env, production_config=True) as a,
            gunicorn(tmp_path, workers=1, env=env, production_config=True) as b,
            nginx(
                tmp_path / "nginx",
                upstreams=[a.base_url.removeprefix("http://"), b.base_url.removeprefix("http://")],
                web_root=web_root,
                https_port=https_port,
            ) as edge,
        ):
            up = time.monotonic() - started
            https = Client(edge.https_url, ca_file=edge.ca_file)

            # Readiness through nginx, with the request id carried to gunicorn and into both logs.
            status, headers, body = https.json("GET", "/health/", headers={"X-Request-ID": "stack-health-0001"})
            assert status == 200 and body["status"] == "ok" and body["checks"] == {"database": "ok", "cache": "ok"}
            assert headers["X-Request-ID"] == "stack-health-0001"
            # (Both write their log line just after the answer is sent.)
            assert wait_until(lambda: "request_id=stack-health-0001" in (edge.directory / "access.log").read_text(), 5)
            line = re.compile(r'"GET /health/ HTTP/1.1" 200 .* request_id=stack-health-0001')
            assert wait_until(lambda: any(line.search(log.read_text()) for log in tmp_path.glob("gunicorn-*.log")), 5)

            # Security headers on an API answer served over HTTPS.
            status, headers, _ = https.request("GET", "/api/v1/")
            assert status == 200
            assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["X-Frame-Options"] == "DENY"
            assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert "default-src 'none'" in headers["Content-Security-Policy"]
            assert "Server" not in headers or "nginx/" not in headers["Server"]  # no version disclosed

            # Plain HTTP is only a redirect to HTTPS.
            status, headers, _ = Client(edge.http_url).request("GET", "/api/v1/courses/courses/?page=2")
            assert status == 301 and headers["Location"] == f"{edge.https_url}/api/v1/courses/courses/?page=2"

            # Register and log in through nginx.
            email = f"stack-{uuid.uuid4().hex[:8]}@example.com"
            status, _, body = https.json(
                "POST",
                "/api/v1/users/register/",
                json_body={"email": email, "password": PASSWORD, "first_name": "Stack", "last_name": "Test"},
            )
            assert status == 201, body
            status, _, tokens = https.json(
                "POST", "/api/v1/auth/token/", json_body={"username": email, "password": PASSWORD}
            )
            assert status == 200 and tokens["access"], tokens

            # The contact form: the worker sends the acknowledgement through the SendGrid API.
            status, _, body = https.json(
                "POST",
                "/api/v1/contacts/contacts/",
                json_body={"name": "Asha", "email": "asha@example.com", "message": "Hi"},
            )
            assert status == 201, body
            assert wait_until(lambda: "asha@example.com" in provider.recipients(), timeout=60), (
                tmp_path / "celery-worker.log"
            ).read_text()[-3000:]
            assert "We received your message" in provider.subjects()
            assert OutboundEmail.objects.filter(to="asha@example.com", status=OutboundEmailStatus.SENT).exists()

            # An admin static file comes from nginx (no X-Request-ID: gunicorn never saw it), cached for a year.
            manifest = json.loads((web_root / "static" / "staticfiles.json").read_text())["paths"]
            hashed = manifest["admin/css/base.css"]
            status, headers, body = https.request("GET", f"/static/{hashed}")
            assert status == 200 and body == (web_root / "static" / hashed).read_bytes()
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert "X-Request-ID" not in headers and headers["Strict-Transport-Security"]
            status, headers, _ = https.request("GET", f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
            assert status == 200 and headers["Content-Encoding"] == "gzip"

            # --- The two instances share their state -------------------------------------------------
            # A token issued by one instance works on the other.
            status, _, tokens = _direct(a).json(
                "POST", "/api/v1/auth/token/", json_body={"username": email, "password": PASSWORD}
            )
            assert status == 200
            bearer = {"Authorization": f"Bearer {tokens['access']}"}
            status, _, profile = _direct(b).json("GET", "/api/v1/users/profile/", headers=bearer)
            assert status == 200 and profile["email"] == email

            # A Django admin session made on one instance is valid on the other (sessions in Redis).
            status, headers, page = _direct(a, "192.0.2.20").request("GET", "/admin/login/")
            csrf_cookie = _session_cookie(headers, "csrftoken")
            csrf_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
            form = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": csrf_token, "username": admin.email, "password": PASSWORD, "next": "/admin/"}
            ).encode()
            status, headers, _ = _direct(a, "192.0.2.20").request(
                "POST",
                "/admin/login/",
                data=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf_cookie}",
                    "Referer": f"https://{a.base_url.removeprefix('http://')}/admin/login/",
                },
            )
            assert status == 302, "admin login failed"
            session = _session_cookie(headers, "sessionid")
            status, _, page = _direct(b).request("GET", "/admin/", headers={"Cookie": f"sessionid={session}"})
            assert status == 200 and b"Titanobova administration" in page and b"Log out" in page

            # Rate limits count across both instances (counters in Redis): 4 logins a minute per address.
            # The counters are fixed one-minute windows: start well inside one.
            if time.time() % 60 > 50:
                time.sleep(61 - time.time() % 60)
            limited = _direct(a, "203.0.113.7"), _direct(b, "203.0.113.7")
            statuses = [
                limited[i % 2].request(
                    "POST",
                    "/api/v1/auth/token/",
                    json_body={"username": f"nobody{i}@example.com", "password": "wrong-one"},
                )[0]
                for i in range(5)
            ]
            assert 429 not in statuses[:4] and statuses[4] == 429, statuses

            # Lockouts too: five wrong passwords, alternating instances and addresses, lock the account.
            for i in range(5):
                server = (a, b)[i % 2]
                status, _, _ = _direct(server, f"198.51.100.{i + 1}").request(
                    "POST", "/api/v1/auth/token/", json_body={"username": email, "password": "not-the-password"}
                )
                assert status in (400, 401, 403), status
            status, _, body = _direct(b, "198.51.100.99").json(
                "POST", "/api/v1/auth/token/", json_body={"username": email, "password": PASSWORD}
            )
            assert status == 403 and body["code"] == "account_locked", body

            # A course edit through one instance is visible at once in the other's cached catalogue.
            def titles(server) -> list[str]:
                status, _, page = _direct(server).json("GET", "/api/v1/courses/courses/")
                assert status == 200
                return [row["title"] for row in page["results"]]

            assert "Stack Course Original" in titles(b)  # now cached in Redis
            assert "Stack Course Original" in titles(b)
            status, _, tokens = _direct(a, "192.0.2.30").json(
                "POST", "/api/v1/auth/token/", json_body={"username": instructor.email, "password": PASSWORD}
            )
            assert status == 200
            status, _, body = _direct(a).json(
                "PATCH",
                f"/api/v1/courses/courses/{course.pk}/",
                json_body={"title": "Stack Course Renamed"},
                headers={"Authorization": f"Bearer {tokens['access']}"},
            )
            assert status == 200, body
            assert "Stack Course Renamed" in titles(b) and "Stack Course Original" not in titles(b)

            # Both instances answered through nginx (round robin over the upstream).
            upstreams = set(re.findall(r"upstream=(127\.0\.0\.1:\d+)", (edge.directory / "access.log").read_text()))
            assert upstreams == {a.base_url.removeprefix("http://"), b.base_url.removeprefix("http://")}
    print(f"stack up in {up:.1f}s, whole test {time.monotonic() - started:.1f}s")
