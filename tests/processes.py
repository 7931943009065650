"""Start the app's real processes (gunicorn, Celery workers, nginx) for tests, on this machine."""

import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test database)."""
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def app_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        {
            "ENV_FILE": str(tmp_path / "no.env"),
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "LOG_DIR": str(tmp_path / "logs"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def production_settings(**overrides: str) -> dict[str, str]:
    """The environment of a DEBUG-off instance (fresh secrets, connection pool, no Sentry, no real
    e-mail) for tests that start the production processes; callers add what they need."""
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return {
        "DEBUG": "False",
        "SECRET_KEY": "test-instance-" + uuid.uuid4().hex * 2,
        "FIELD_ENCRYPTION_KEYS": key,
        "BACKUP_ENCRYPTION_KEYS": key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1",
        "DB_POOL": "true",
        "SENTRY_DSN": "",
        "STAFF_NOTIFICATION_EMAIL": "",
        **overrides,
    }


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def child_pids(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int

    @property
    def worker_pids(self) -> list[int]:
        return child_pids(self.pid)


@contextlib.contextmanager
def gunicorn(
    tmp_path: Path, *, workers: int = 2, env: dict[str, str] | None = None, production_config: bool = False
) -> Iterator[Server]:
    """Serve the app with gunicorn on a free port, once all its workers run.

    With production_config, gunicorn reads deploy/gunicorn.conf.py as in the Docker image (its
    GUNICORN_* variables set the port and the number of workers)."""
    port = free_port()
    log = open(tmp_path / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed below
    env = dict(env or {})
    if production_config:
        command = ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        env.update({"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)})
    else:
        command = ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *command, "titanobova_project.wsgi:application"],
        cwd=ROOT,
        env=app_env(tmp_path, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/health/live/", process=process)
        deadline = time.monotonic() + 20
        while len(child_pids(process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        yield Server(base_url=base_url, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextlib.contextmanager
def celery_worker(tmp_path: Path, *, env: dict[str, str], concurrency: int = 1) -> Iterator[subprocess.Popen]:
    """A real Celery worker consuming this run's queue (env must name CELERY_QUEUE)."""
    log = open(tmp_path / "celery-worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "titanobova_project",
            "worker",
            "--queues",
            env["CELERY_QUEUE"],
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=app_env(tmp_path, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until(condition, timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


# --- nginx, TLS and production settings ------------------------------------------------------
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "titanobova.conf.template"
_TEMPLATE_VARIABLE = re.compile(r"\$\{(NGINX_[A-Z0-9_]+)\}")


def render_nginx_template(values: dict[str, str], template: Path = NGINX_TEMPLATE) -> str:
    """Fill in ${NGINX_*} as the official nginx image's envsubst step does; nginx's $vars stay."""
    text = template.read_text()
    missing = sorted(set(_TEMPLATE_VARIABLE.findall(text)) - set(values))
    if missing:
        raise KeyError(f"no value for {missing}")
    return _TEMPLATE_VARIABLE.sub(lambda match: values[match.group(1)], text)


def self_signed_certificate(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `host` and 127.0.0.1 made with openssl, valid for a day."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host},IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_main_config(directory: Path, site_config: str) -> Path:
    """A main nginx.conf for an unprivileged-paths nginx in `directory`, including `site_config`."""
    (directory / "site.conf").write_text(site_config)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "temp" / sub).mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers would switch to "nobody", who can't read pytest's private tmp dirs.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {directory}/temp/client_body;
    proxy_temp_path {directory}/temp/proxy;
    fastcgi_temp_path {directory}/temp/fastcgi;
    uwsgi_temp_path {directory}/temp/uwsgi;
    scgi_temp_path {directory}/temp/scgi;
    include {directory}/site.conf;
}}
"""
    )
    return main


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise FileNotFoundError("nginx is not installed (apt-get install nginx; .ci/run does it)")


@dataclass(frozen=True)
class Nginx:
    https_url: str
    http_url: str
    ca_file: Path
    directory: Path


@contextlib.contextmanager
def nginx(
    directory: Path,
    *,
    upstreams: list[str],
    web_root: Path,
    https_port: int | None = None,
    login_rate: str = "600r/m",
    login_burst: int = 100,
) -> Iterator[Nginx]:
    """Debian's nginx with the repository's config on free ports, TLS with a fresh certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed_certificate(directory)
    http_port, https_port = free_port(), https_port or free_port()
    site = render_nginx_template(
        {
            "NGINX_SERVER_NAME": "localhost",
            "NGINX_HTTP_PORT": f"127.0.0.1:{http_port}",
            "NGINX_HTTPS_PORT": f"127.0.0.1:{https_port}",
            "NGINX_REDIRECT_HTTPS_TO": f"https://localhost:{https_port}",
            "NGINX_UPSTREAM_SERVERS": " ".join(
                f"server {upstream} max_fails=3 fail_timeout=10s;" for upstream in upstreams
            ),
            "NGINX_TLS_CERTIFICATE": str(cert),
            "NGINX_TLS_CERTIFICATE_KEY": str(key),
            "NGINX_WEB_ROOT": str(web_root),
            "NGINX_CLIENT_MAX_BODY_SIZE": "25m",
            "NGINX_LOGIN_RATE": login_rate,
            "NGINX_LOGIN_BURST": str(login_burst),
            "NGINX_ACCESS_LOG": str(directory / "access.log"),
        }
    )
    main = nginx_main_config(directory, site)
    binary = nginx_binary()
    subprocess.run([binary, "-t", "-q", "-p", str(directory), "-c", str(main)], check=True, capture_output=True)
    log = open(directory / "nginx.out", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", str(main), "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(directory / 'error.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Nginx(
            https_url=f"https://localhost:{https_port}",
            http_url=f"http://localhost:{http_port}",
            ca_file=cert,
            directory=directory,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
