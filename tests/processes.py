"""Start the app's real processes (gunicorn, later Celery and nginx) for tests, on this machine."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
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
def gunicorn(tmp_path: Path, *, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Serve the app with gunicorn on a free port, once all its workers run."""
    port = free_port()
    log = open(tmp_path / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "titanobova_project.wsgi:application",
        ],
        cwd=ROOT,
        env=app_env(tmp_path, **(env or {})),
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
