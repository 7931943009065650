"""Sentry: with SENTRY_DSN set, a failing request reaches a local fake Sentry endpoint with the
request id, release and environment from settings, and without personal data."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import django, sentry_sdk
django.setup()
from django.test import Client
from django.test.utils import override_settings
client = sentry_sdk.get_client()
print("INTEGRATIONS", sorted(client.integrations))
with override_settings(ROOT_URLCONF="tests.sentry_urls"):
    response = Client(raise_request_exception=False).get(
        "/sentry-test-failure/?token=secret-in-query", HTTP_X_REQUEST_ID="sentry-test-0001",
        HTTP_COOKIE="sessionid=secret-session", HTTP_AUTHORIZATION="Bearer secret-bearer",
    )
print("STATUS", response.status_code, response["X-Request-ID"])
sentry_sdk.flush(timeout=10)
"""


class FakeSentry:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                fake.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


def test_failing_request_reaches_sentry_with_request_id_and_no_personal_data(tmp_path):
    fake = FakeSentry()
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "SENTRY", "PYTEST", "DEBUG", "SECRET_KEY"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "titanobova_project.settings",
                "ENV_FILE": str(tmp_path / "none.env"),
                "LOG_DIR": str(tmp_path / "logs"),
                "SENTRY_DSN": f"http://publickey@127.0.0.1:{fake.port}/42",
                "SENTRY_RELEASE": "titanobova@test-release",
                "SENTRY_ENVIRONMENT": "ci",
                "SENTRY_SAMPLE_RATE": "1.0",
            }
        )
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert "STATUS 500 sentry-test-0001" in result.stdout
        integrations = result.stdout.split("INTEGRATIONS", 1)[1].splitlines()[0]
        for name in ("django", "celery", "redis"):
            assert f"'{name}'" in integrations
        # The unhandled exception, and Django's error log line about it: each carries the request id.
        events = fake.events()
        assert any(e.get("exception", {}).get("values", [{}])[-1].get("type") == "RuntimeError" for e in events)
        for event in events:
            assert event["tags"]["request_id"] == "sentry-test-0001"
            assert event["release"] == "titanobova@test-release" and event["environment"] == "ci"
            assert "ip_address" not in event.get("user", {}) and "cookies" not in event.get("request", {})
        raw = b"".join(fake.bodies)
        for secret in (b"secret-session", b"secret-bearer", b"secret-in-query", b"198.51.100.77", b"hunter2-in-log"):
            assert secret not in raw, secret
        for event in events:
            crumbs = (event.get("breadcrumbs") or {}).get("values", [])
            assert not [c for c in crumbs if (c.get("category") or "").startswith("redis")], crumbs
    finally:
        fake.server.shutdown()
        fake.server.server_close()
