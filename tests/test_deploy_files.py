"""The deployment files hold together: docker-compose.yml validates with docker-compose, the
Dockerfile and compose file agree on versions and commands, gunicorn and nginx accept their config."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.processes import nginx_binary, nginx_main_config, render_nginx_template, self_signed_certificate

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _require(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if path is None:
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"{tool} is not installed; .ci/run installs it")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture(scope="module")
def compose() -> dict:
    binary = _require("docker-compose")
    result = subprocess.run(
        [binary, "--env-file", ".env.production", "config"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_validates_with_every_service(compose):
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat", "nginx"}
    assert {"postgres-data", "redis-data", "media"} <= set(compose["volumes"])


def test_compose_services_restart_and_wait_for_healthy_dependencies(compose):
    services = compose["services"]
    for name in ("db", "redis", "web", "worker", "beat", "nginx"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("db", "redis", "web", "worker", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("migrate", "beat"):  # no gunicorn in them: the image's check would never pass
        assert services[name]["healthcheck"]["test"] == ["NONE"], name  # how compose writes `disable: true`
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name]["environment"]["DEBUG"] == "False"  # from .env.production
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["web"]["command"] == [
        "gunicorn",
        "-c",
        "deploy/gunicorn.conf.py",
        "titanobova_project.wsgi:application",
    ]


def test_compose_postgres_matches_the_image_pg_dump(compose):
    compose_major = re.match(r"postgres:(\d+)", compose["services"]["db"]["image"]).group(1)
    image_major = re.search(r"^ARG POSTGRES_MAJOR=(\d+)$", DOCKERFILE, re.M).group(1)
    assert compose_major == image_major
    assert "postgresql-client-${POSTGRES_MAJOR}" in DOCKERFILE


def test_dockerfile_is_multi_stage_non_root_with_health_check_and_gunicorn():
    stages = re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE, re.M)
    assert stages == ["builder", "runtime", "nginx"]
    runtime = DOCKERFILE.split(" AS runtime")[1].split(" AS nginx")[0]
    assert re.search(r"^USER titanobova$", runtime, re.M)
    assert "manage.py collectstatic --noinput" in runtime
    assert "HEALTHCHECK" in runtime and "deploy/healthcheck.py" in runtime
    assert "/health/live/" in (ROOT / "deploy" / "healthcheck.py").read_text()
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "titanobova_project.wsgi:application"]' in runtime
    assert "build-essential" not in runtime  # compilers stay in the builder stage


def _gunicorn_settings(**env: str) -> dict:
    code = (
        "import json, runpy; c = runpy.run_path('deploy/gunicorn.conf.py');"
        "print(json.dumps({k: c[k] for k in ('workers', 'threads', 'timeout', 'graceful_timeout',"
        " 'max_requests', 'max_requests_jitter', 'access_log_format', 'worker_class')}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_gunicorn_config_scales_workers_with_cpus_and_logs_the_request_id():
    values = _gunicorn_settings()
    assert values["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert values["worker_class"] == "gthread" and values["threads"] >= 2
    assert values["max_requests"] > 0 and values["max_requests_jitter"] > 0
    assert values["timeout"] > 0 and values["graceful_timeout"] > 0
    assert "%({x-request-id}o)s" in values["access_log_format"]
    assert "%(U)s" in values["access_log_format"] and "%(r)s" not in values["access_log_format"]
    assert _gunicorn_settings(GUNICORN_WORKERS="3")["workers"] == 3
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "--check-config",
            "titanobova_project.wsgi",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_nginx_accepts_the_repository_config(tmp_path):
    binary = _require("nginx")
    assert binary == nginx_binary()
    cert, key = self_signed_certificate(tmp_path)
    site = render_nginx_template(
        {
            "NGINX_SERVER_NAME": "localhost",
            "NGINX_HTTP_PORT": "127.0.0.1:8080",
            "NGINX_HTTPS_PORT": "127.0.0.1:8443",
            "NGINX_REDIRECT_HTTPS_TO": "https://localhost:8443",
            "NGINX_UPSTREAM_SERVERS": "server 127.0.0.1:8001; server 127.0.0.1:8002;",
            "NGINX_TLS_CERTIFICATE": str(cert),
            "NGINX_TLS_CERTIFICATE_KEY": str(key),
            "NGINX_WEB_ROOT": str(tmp_path),
            "NGINX_CLIENT_MAX_BODY_SIZE": "25m",
            "NGINX_LOGIN_RATE": "10r/m",
            "NGINX_LOGIN_BURST": "10",
            "NGINX_ACCESS_LOG": str(tmp_path / "access.log"),
        }
    )
    main = nginx_main_config(tmp_path, site)
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # Every variable the compose file passes is one the template uses, and the other way round.
    compose_text = (ROOT / "docker-compose.yml").read_text()
    template_vars = set(
        re.findall(r"\$\{(NGINX_[A-Z0-9_]+)\}", (ROOT / "deploy/nginx/titanobova.conf.template").read_text())
    )
    compose_vars = set(re.findall(r"^\s+(NGINX_[A-Z0-9_]+):", compose_text, re.M))
    assert template_vars == compose_vars


def test_nginx_limits_login_posts_at_the_edge_with_a_json_429(tmp_path):
    """The repository's nginx in front of a stand-in upstream: POSTs to the login paths (with or
    without the trailing slash, and the old website's registration) are limited per address with
    the API's JSON error body; GETs on the same paths are not."""
    import http.server
    import json
    import ssl
    import threading
    import urllib.error
    import urllib.request

    from tests.processes import nginx

    _require("nginx")

    class Upstream(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with nginx(
            tmp_path / "nginx",
            upstreams=[f"127.0.0.1:{upstream.server_address[1]}"],
            web_root=tmp_path,
            login_rate="6r/m",
            login_burst=2,
        ) as edge:
            context = ssl.create_default_context(cafile=str(edge.ca_file))

            def call(method: str, path: str) -> tuple[int, dict, bytes]:
                data = b'{"username": "a@example.com", "password": "x"}' if method == "POST" else None
                request = urllib.request.Request(
                    edge.https_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request, context=context, timeout=10) as response:
                        return response.status, dict(response.headers), response.read()
                except urllib.error.HTTPError as error:
                    return error.code, dict(error.headers), error.read()

            assert call("POST", "/api/v1/auth/token")[0] == 200
            # One counter per address for all these paths: each one answers 429 once it is spent
            # (a path outside the limited location would keep answering 200).
            for path in ("/api/v1/auth/token", "/api/v1/auth/token/", "/api/v1/enrollments", "/api/v1/users/login/"):
                statuses = [call("POST", path)[0] for _ in range(4)]
                assert 429 in statuses, (path, statuses)
            status, headers, body = call("POST", "/api/v1/auth/token")
            assert status == 429 and headers["Content-Type"].startswith("application/json")
            assert json.loads(body)["code"] == "rate_limited" and headers["Retry-After"] == "1"
            assert headers["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" in headers
            assert [call("GET", "/api/v1/enrollments")[0] for _ in range(6)] == [200] * 6  # staff list: not limited
            assert [call("POST", "/api/v1/contacts/contacts/")[0] for _ in range(6)] == [200] * 6
    finally:
        upstream.shutdown()
        upstream.server_close()


def test_the_nginx_image_entrypoint_renders_the_template_as_the_native_test_does(tmp_path):
    """deploy/nginx/entrypoint.sh (the image's entry point) and tests/processes.py fill the template
    in the same way, so the config the native stack test proves is the one the image runs."""
    import os
    import subprocess

    _require("envsubst")
    values = {
        name: f"value-of-{name.lower()}"
        for name in re.findall(
            r"\$\{(NGINX_[A-Z0-9_]+)\}", (ROOT / "deploy/nginx/titanobova.conf.template").read_text()
        )
    }
    site = tmp_path / "site.conf"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("NGINX_")},
        **values,
        "TITANOBOVA_NGINX_TEMPLATE": str(ROOT / "deploy/nginx/titanobova.conf.template"),
        "TITANOBOVA_NGINX_SITE": str(site),
    }
    subprocess.run(["sh", str(ROOT / "deploy/nginx/entrypoint.sh"), "true"], env=env, check=True)
    assert site.read_text() == render_nginx_template(values)
    assert "$binary_remote_addr" in site.read_text()  # nginx's own variables are left alone
