"""Faults, with the real services: each test starts throwaway servers of its own (redis-server on
a free port, a PostgreSQL cluster made with initdb) and breaks them while the real app (gunicorn,
Celery workers) runs against them. The shared PostgreSQL and Redis are never touched, except
that the Redis and Celery tests keep their data in pytest's test database.

- Redis stops during load: reads keep working from the database, /health/ answers 503 naming
  the cache, rate limits fail open (the database-backed lockout still protects logins), and all
  of it comes back when Redis does, without restarting gunicorn.
- PostgreSQL restarts during load: what fails answers a clean 503 JSON error (never a 500 or a
  traceback), and the connection pool serves again by itself.
- A Celery worker is SIGKILLed in the middle of 200 e-mails: a new worker sends them all, and
  only a message that was in flight can go out twice. Two ways it gets them back: Redis's
  visibility timeout, or the outbox's requeue task (the one production relies on, in minutes).
- The e-mail provider answers 5xx for a while: every message is retried until it arrives.

The load is a bounded loop of requests from a few threads, to 127.0.0.1 only.
"""

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_client
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import F

from apps.core.models import OutboundEmail, OutboundEmailStatus
from tests.fake_sendgrid import FakeSendGrid
from tests.processes import ROOT, app_env, celery_worker, child_pids, gunicorn, production_settings, wait_until
from tests.throwaway import require, throwaway_postgres, throwaway_redis

pytestmark = pytest.mark.slow


def _require_test_postgres() -> None:
    """The Redis and Celery tests keep their data in pytest's database, which must be PostgreSQL
    (several processes share it); CI always has it (conftest.py exits otherwise)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI always runs it")


def _production_env(**overrides: str) -> dict[str, str]:
    """Production settings (DEBUG off, connection pool) over plain HTTP on 127.0.0.1."""
    return production_settings(
        **{
            "SECURE_SSL_REDIRECT": "False",
            "DB_POOL_MAX_SIZE": "4",
            "GUNICORN_THREADS": "4",
            "GUNICORN_MAX_REQUESTS": "0",  # no worker recycling: the same processes must recover
            "SENDGRID_API_KEY": "",
            "RATELIMIT_ANON": "100000/minute",
            **overrides,
        }
    )


@dataclass
class Answer:
    at: float
    path: str
    status: int
    content_type: str
    body: dict | list | None
    retry_after: str | None


def _get(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        response = urllib.request.urlopen(request, timeout=15)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        raw = response.read()
        content_type = response.headers.get("Content-Type", "")
        body = json.loads(raw) if content_type.startswith("application/json") and raw else None
        return Answer(time.monotonic(), url, response.status, content_type, body, response.headers.get("Retry-After"))


@dataclass
class Load:
    """A few threads GETting `paths` in a loop until stopped; bounded in time and in count."""

    base_url: str
    paths: list[str]
    threads: int = 4
    max_seconds: float = 60.0
    max_requests: int = 20_000
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)]

    def _run(self, n: int) -> None:
        deadline = time.monotonic() + self.max_seconds
        i = n
        while not self._stop.is_set() and time.monotonic() < deadline and len(self.answers) < self.max_requests:
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                answer = _get(self.base_url + path)
            except Exception as exc:  # a reset connection or a timeout: the app did not answer
                with self._lock:
                    self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            with self._lock:
                self.answers.append(answer)

    def __enter__(self) -> "Load":
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def between(self, start: float, end: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if start <= a.at < end]

    def count(self) -> int:
        with self._lock:
            return len(self.answers)


def _login(base_url: str, *, ip: str, email: str) -> int:
    answer = _get(
        f"{base_url}/api/v1/auth/token/",
        data=json.dumps({"username": email, "password": "wrong-password-123"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": ip},
    )
    return answer.status


def _login_statuses(base_url: str, *, ip: str, attempts: int) -> list[int]:
    # Rate limits count in fixed one-minute windows: start well inside one, so that all the
    # attempts fall in the same window (a sequence straddling a boundary would start counting over).
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    # A different unknown address each time: the lockout (5 failures per address) stays out of it.
    return [_login(base_url, ip=ip, email=f"nobody-{uuid.uuid4().hex[:8]}@example.com") for _ in range(attempts)]


# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_redis_outage_during_load_degrades_to_the_database_and_recovers(tmp_path):
    require(redis=True)
    _require_test_postgres()
    from apps.courses.tests.factories import course_with_lessons

    course = course_with_lessons(2, title="Fault-tolerant Django")
    with throwaway_redis(tmp_path / "redis") as redis:
        env = _production_env(REDIS_URL=redis.url, CACHE_KEY_PREFIX="faults", RATELIMIT_LOGIN="3/minute")
        with gunicorn(tmp_path, workers=2, env=env, production_config=True) as server:
            workers_before = sorted(server.worker_pids)
            base = server.base_url
            assert _get(f"{base}/health/").status == 200
            assert _login_statuses(base, ip="192.0.2.1", attempts=4) == [401, 401, 401, 429]

            paths = ["/api/v1/courses/courses/", f"/api/v1/courses/courses/{course.slug}/"]
            with Load(base, paths) as load:
                assert wait_until(lambda: load.count() >= 50, timeout=20)
                down_at = time.monotonic()
                redis.stop()
                time.sleep(0.5)
                health = _get(f"{base}/health/")
                assert health.status == 503 and health.body["checks"] == {"database": "ok", "cache": "error"}
                # Fail open: over the limit of 3, and no 429 (the lockout lives in the database).
                assert _login_statuses(base, ip="192.0.2.2", attempts=5) == [401] * 5
                during = load.count()
                assert wait_until(lambda: load.count() >= during + 50, timeout=20)
                up_at = time.monotonic()
                redis.start()
                # Ten healthy answers in a row: every worker (each has its own connections) has
                # reached the new Redis, so none fails open on the logins below.
                assert wait_until(lambda: all(_get(f"{base}/health/").status == 200 for _ in range(10)), timeout=15)
                recovered_at = time.monotonic()
                after = load.count()
                assert wait_until(lambda: load.count() >= after + 50, timeout=20)
            assert _login_statuses(base, ip="192.0.2.3", attempts=4) == [401, 401, 401, 429]
            assert sorted(server.worker_pids) == workers_before  # recovered without a restart

    outage = load.between(down_at, up_at)
    assert len(outage) >= 50
    assert not load.errors, load.errors[:5]
    assert Counter(a.status for a in load.answers) == {200: len(load.answers)}
    for answer in outage:
        if answer.path.endswith("/courses/courses/"):
            assert [c["slug"] for c in answer.body["results"]] == [course.slug]
        else:
            assert answer.body["title"] == "Fault-tolerant Django"
    print(
        f"\nredis outage: {len(load.answers)} requests, {len(outage)} while Redis was down "
        f"({up_at - down_at:.1f}s), all 200; /health/ back to 200 {recovered_at - up_at:.1f}s after Redis returned"
    )


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
def _migrate(tmp_path: Path, database_url: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=app_env(tmp_path, DATABASE_URL=database_url, REDIS_URL="", LOG_TO_FILES="False"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_postgres_restart_during_load_answers_503_json_and_service_resumes(tmp_path):
    require(postgres=True)
    password = "pg-secret-" + uuid.uuid4().hex[:12]  # ignored by trust authentication; must not be logged
    with throwaway_postgres() as pg:
        pg.create_database("titanobova")
        database_url = pg.url("titanobova", password=password)
        started = time.monotonic()
        _migrate(tmp_path, database_url)
        migrated_in = time.monotonic() - started
        env = _production_env(
            DATABASE_URL=database_url,
            # Cache, rate limits and sessions in this process's memory: only the database is at fault.
            REDIS_URL="",
            COURSE_CATALOGUE_CACHE_SECONDS="0",  # every course list reads the database
            DB_POOL_TIMEOUT="2",  # during the outage a request waits 2 s for a connection, then 503
        )
        with gunicorn(tmp_path, workers=2, env=env, production_config=True) as server:
            workers_before = sorted(server.worker_pids)
            base = server.base_url
            paths = ["/api/v1/courses/courses/", "/api/v1/courses/courses/", "/health/"]
            with Load(base, paths) as load:
                assert wait_until(lambda: load.count() >= 50, timeout=20)
                down_at = time.monotonic()
                pg.stop("fast")  # ends every session: queries in flight fail
                time.sleep(5)  # longer than DB_POOL_TIMEOUT: requests that start early in the outage fail
                up_at = time.monotonic()
                pg.start()

                def serving_again() -> bool:
                    recent = load.between(time.monotonic() - 1.0, time.monotonic())
                    return len(recent) >= 10 and all(a.status == 200 for a in recent)

                assert wait_until(serving_again, timeout=30), Counter(a.status for a in load.answers[-50:])
                resumed_at = time.monotonic()
                after = load.count()
                assert wait_until(lambda: load.count() >= after + 50, timeout=20)
            assert sorted(server.worker_pids) == workers_before  # the same processes reconnected
        logs = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*.log"))

    assert not load.errors, load.errors[:5]
    statuses = Counter(a.status for a in load.answers)
    assert set(statuses) <= {200, 503}, statuses
    failures = [a for a in load.answers if a.status == 503]
    assert failures, "the restart should have failed some requests"
    for answer in failures:
        assert answer.content_type.startswith("application/json") and answer.retry_after, answer
        if answer.path.endswith("/health/"):
            assert answer.body["checks"]["database"] == "error"
        else:
            assert answer.body["code"] == "service_unavailable" and answer.body["request_id"], answer.body
            assert set(answer.body) == {"code", "detail", "message", "request_id"}
    first_failure = min(a.at for a in failures)
    last_failure = max(a.at for a in failures)
    assert down_at - 1 <= first_failure and last_failure <= resumed_at
    assert "Database unavailable serving GET /api/v1/courses/courses/" in logs
    assert password not in logs
    assert "Traceback" not in logs, logs[logs.index("Traceback") - 500 :][:3000]
    print(
        f"\npostgres restart: migrate {migrated_in:.1f}s; {len(load.answers)} requests {dict(statuses)}; "
        f"down {up_at - down_at:.1f}s, serving again {resumed_at - up_at:.1f}s after the restart, "
        f"503s from +{first_failure - down_at:.1f}s to +{last_failure - down_at:.1f}s"
    )


# ---------------------------------------------------------------------------------------------
# Celery workers and the e-mail provider
# ---------------------------------------------------------------------------------------------
def _worker_env(redis_url: str, queue: str, provider: FakeSendGrid, **overrides: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,  # broker, results and cache on the throwaway Redis
        "CACHE_KEY_PREFIX": "faults",
        "CELERY_QUEUE": queue,
        "SENDGRID_API_KEY": "SG.faults",
        "SENDGRID_API_URL": provider.url,
        "EMAIL_SEND_LEASE_SECONDS": "2",
        "EMAIL_RETRY_BASE_SECONDS": "0.2",
        "EMAIL_RETRY_MAX_DELAY_SECONDS": "2",
        **overrides,
    }


def _outbox(n: int, prefix: str) -> list[OutboundEmail]:
    return OutboundEmail.objects.bulk_create(
        OutboundEmail(to=f"{prefix}-{i:03d}@example.com", template="contact_ack", context={"name": f"Reader {i}"})
        for i in range(n)
    )


def _publish(redis_url: str, queue: str, task: str, kwargs_list: list[dict]) -> None:
    """Publish as the app does, to this test's broker (the test process itself runs tasks eagerly)."""
    producer = Celery("faults", broker=redis_url)
    try:
        for kwargs in kwargs_list:
            producer.send_task(task, kwargs=kwargs, queue=queue)
    finally:
        producer.close()


def _enqueue_all(redis_url: str, queue: str, messages: list[OutboundEmail]) -> None:
    _publish(redis_url, queue, "apps.core.tasks.send_email_task", [{"outbox_id": str(m.pk)} for m in messages])


def _sent() -> int:
    return OutboundEmail.objects.filter(status=OutboundEmailStatus.SENT).count()


def _settles(value, *, quiet: float, timeout: float) -> bool:
    """True once value() has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = value(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = value()
        if current != last:
            last, since = current, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
    return False


def _sigkill_worker(process) -> None:
    """Kill the worker's main process and its pool processes at once, as the OOM killer or
    `docker kill` would: nothing gets to acknowledge, reject or clean up."""
    for pid in [process.pid, *child_pids(process.pid)]:
        os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.parametrize("recovery", ["visibility_timeout", "outbox_requeue"])
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_all_200_emails_arrive_duplicates_at_most_in_flight(tmp_path, recovery):
    require(redis=True)
    _require_test_postgres()
    total = 200
    queue = f"faults-{uuid.uuid4().hex}"
    # The short timeout only on the throwaway broker: on a shared Redis it would redeliver other
    # workers' messages too (the unacked set is per Redis database, not per queue).
    visibility = "3" if recovery == "visibility_timeout" else str(settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    with throwaway_redis(tmp_path / "redis") as redis, FakeSendGrid(delay=0.03) as provider:
        env = _worker_env(redis.url, queue, provider, CELERY_BROKER_VISIBILITY_TIMEOUT=visibility)
        messages = _outbox(total, "kill")
        _enqueue_all(redis.url, queue, messages)
        started = time.monotonic()
        (tmp_path / "first").mkdir()
        with celery_worker(tmp_path / "first", env=env, concurrency=2) as worker:
            # Mid-batch and mid-send: a quarter delivered and a request waiting on the provider.
            assert wait_until(lambda: len(provider.delivered) >= total // 4 and provider.in_progress, timeout=60), (
                tmp_path / "first" / "celery-worker.log"
            ).read_text()[-3000:]
            _sigkill_worker(worker)
        killed_at = time.monotonic()
        delivered_at_kill = len(provider.delivered)
        # What the dead worker had taken: an attempt begun (lease taken), no outcome recorded.
        in_flight = OutboundEmail.objects.filter(status=OutboundEmailStatus.QUEUED, attempts__gte=1).count()
        # Concurrency 2, prefetch multiplier 1: at most two. Usually one or two; zero when the send
        # seen in progress finished in the instant before the kill landed (a loaded machine).
        assert in_flight <= 2
        assert _sent() < total

        if recovery == "visibility_timeout":
            time.sleep(int(visibility) + 1)  # the new worker restores expired unacked messages at start
        (tmp_path / "second").mkdir()
        with celery_worker(tmp_path / "second", env=env, concurrency=2):
            if recovery == "outbox_requeue":
                # The broker keeps the dead worker's messages for hours: the queue drains without them.
                broker = redis_client.Redis.from_url(redis.url)
                assert wait_until(lambda: broker.llen(queue) == 0, timeout=60)
                assert _settles(lambda: len(provider.requests), quiet=1.5, timeout=30)
                if in_flight:  # their messages wait for the requeue (none: the kill came between sends)
                    assert _sent() < total
                # What Beat's requeue-stale-emails tick sees minutes later: leases expired, and the
                # messages the dead worker had reserved but not started older than ten minutes.
                OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).update(
                    created_at=F("created_at") - timedelta(minutes=11)
                )
                _publish(redis.url, queue, "apps.core.tasks.requeue_stale_emails", [{}])
            assert wait_until(lambda: _sent() == total, timeout=60), (
                tmp_path / "second" / "celery-worker.log"
            ).read_text()[-3000:]
            time.sleep(0.5)  # nothing more may arrive
        finished_at = time.monotonic()

    per_recipient = provider.deliveries_per_recipient()
    assert set(per_recipient) == {m.to for m in messages}
    duplicates = sum(count - 1 for count in per_recipient.values())
    assert duplicates <= in_flight, per_recipient.most_common(3)
    print(
        f"\nworker SIGKILL ({recovery}): {delivered_at_kill} delivered at the kill, {in_flight} in flight; "
        f"all {total} sent {finished_at - killed_at:.1f}s after it ({finished_at - started:.1f}s in all), "
        f"{duplicates} duplicate(s)"
    )


@pytest.mark.django_db(transaction=True)
def test_provider_5xx_for_a_while_every_message_is_retried_and_arrives(tmp_path):
    require(redis=True)
    _require_test_postgres()
    total, failing = 20, 30
    statuses = [(503, 500, 502, 429)[i % 4] for i in range(failing)]
    queue = f"faults-{uuid.uuid4().hex}"
    with throwaway_redis(tmp_path / "redis") as redis, FakeSendGrid(statuses=statuses) as provider:
        env = _worker_env(redis.url, queue, provider)
        messages = _outbox(total, "outage")
        started = time.monotonic()
        with celery_worker(tmp_path, env=env, concurrency=2):
            _enqueue_all(redis.url, queue, messages)
            assert wait_until(lambda: _sent() == total, timeout=60), (tmp_path / "celery-worker.log").read_text()[
                -3000:
            ]
        elapsed = time.monotonic() - started

    assert [r["status"] for r in provider.requests[:failing]] == statuses
    assert provider.deliveries_per_recipient() == Counter({m.to: 1 for m in messages})
    attempts = Counter(OutboundEmail.objects.values_list("attempts", flat=True))
    assert sum(n * count for n, count in attempts.items()) == failing + total
    assert not OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).exists()
    print(f"\nprovider 5xx: {failing} failures, all {total} sent in {elapsed:.1f}s; attempts {dict(attempts)}")
