"""Load benchmark of the main endpoints under gunicorn with production settings (`make bench`).

Run: .venv/bin/python -m benchmarks.load [--duration 10] [--workers 2]
Needs PostgreSQL (127.0.0.1:5432, user postgres), Redis (REDIS_URL or redis://127.0.0.1:6379/0)
and Debian's `wrk`.

It makes a scratch database `titanobova_bench_load`, seeds it (60 published courses of 8 lessons,
a student, a founder with 2FA, thousands of refresh tokens and signed Stripe events, each to be
used once), and serves the app with gunicorn as production runs it (`deploy/gunicorn.conf.py`,
DEBUG off, psycopg pool, Redis cache, Celery queueing to Redis with no worker attached, so e-mails
and webhook processing are queued, not done inline). Each endpoint is loaded with
`wrk -t2 -c16 --latency` from a second process on the same 2 cores. Rate limits stay on with
limits too high to trip (every request still counts in Redis); the lockout never trips because
every login is right.

Figures are req/s, p50 and p99 latency, SQL queries per request (counted in this process through
Django's test client against the same database) and the ratio to the ping endpoint measured in the
same run, so they survive a noisy machine. For login it also reports the gunicorn workers' CPU time
per login (Argon2id dominates it).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = ROOT / "benchmarks" / "wrk"
DB_NAME = "titanobova_bench_load"
PASSWORD = "benchmark-password-2026"
WEBHOOK_SECRET = "whsec_benchmark"
WRK_THREADS, WRK_CONNECTIONS = 2, 16


def settings_env() -> dict[str, str]:
    host = os.environ.get("PGHOST", "127.0.0.1")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="titanobova_project.settings",
        ENV_FILE="/nonexistent",
        DEBUG="false",
        SECRET_KEY="benchmark-only-" + "x" * 50,
        FIELD_ENCRYPTION_KEYS="MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
        BACKUP_ENCRYPTION_KEYS="MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"postgres://postgres@{host}:5432/{DB_NAME}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        CACHE_KEY_PREFIX="bench-load",
        CELERY_QUEUE="bench-load",
        STRIPE_SECRET_KEY="sk_test_benchmark",
        STRIPE_PUBLIC_KEY="pk_test_benchmark",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STAFF_NOTIFICATION_EMAIL="team@example.com",
        LOG_LEVEL="WARNING",
        LOG_TO_FILES="false",
        **{
            f"RATELIMIT_{scope}": "100000000/minute"
            for scope in ("ANON", "USER", "LOGIN", "CONTACT", "REGISTER", "TWO_FACTOR")
        },
    )
    return env


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(tmp: Path, tokens: int) -> dict[str, str]:
    """Rows and the files the wrk scripts read; returns their paths and the course slug."""
    from django.utils import timezone

    from apps.users.models import TwoFactorAuth, User, UserType
    from apps.users.services.tokens import session_start
    from benchmarks.course_list import seed as seed_courses
    from tests.localstripe import event_body, sign

    slug = seed_courses(dict(os.environ))
    student = User.objects.create_user("bench-student@example.com", PASSWORD, first_name="Asha", email_verified=True)
    founder = User.objects.create_user("bench-founder@example.com", PASSWORD, user_type=UserType.FOUNDER)
    TwoFactorAuth.objects.create(user=founder, secret_encrypted="-", confirmed_at=timezone.now())
    founder_access, _ = session_start(user=founder, ip="127.0.0.1", user_agent="bench", two_factor=True)

    files = {"slug": slug}

    def write(name: str, text: str) -> None:
        path = tmp / name
        path.write_text(text)
        files[name] = str(path)

    write("founder.token", founder_access + "\n")
    write("login.json", json.dumps({"username": student.email, "password": PASSWORD}))
    write(
        "contact.json",
        json.dumps({"name": "Asha Rao", "email": "asha@example.com", "subject": "Batches", "message": "When?"}),
    )
    refresh = [
        session_start(user=student, ip="127.0.0.1", user_agent="bench", two_factor=False)[1] for _ in range(tokens)
    ]
    write("refresh.tokens", "\n".join(refresh) + "\n")
    lines = []
    for _ in range(tokens):
        intent = {"id": f"pi_bench_{uuid.uuid4().hex[:16]}", "object": "payment_intent", "status": "succeeded"}
        body = event_body("payment_intent.succeeded", intent, event_id=f"evt_bench_{uuid.uuid4().hex}")
        lines.append(f"{sign(body, WEBHOOK_SECRET)}\t{body.decode()}")
    write("webhook.events", "\n".join(lines) + "\n")
    return files


def queries_per_request(files: dict[str, str]) -> dict[str, int]:
    """The SQL each endpoint runs, counted once each through Django's test client (warm caches)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.users.models import User
    from apps.users.services.tokens import session_start

    client = Client()
    founder = "Bearer " + Path(files["founder.token"]).read_text().strip()
    student = User.objects.get(email="bench-student@example.com")
    refresh = session_start(user=student, ip="127.0.0.1", user_agent="bench", two_factor=False)[1]
    from tests.localstripe import event_body, sign

    event = event_body("payment_intent.succeeded", {"id": "pi_bench_q", "object": "payment_intent"}, event_id="evt_q")
    calls = {
        "ping": lambda: client.get("/health/live/"),
        "course list": lambda: client.get("/api/v1/courses/courses/"),
        "course detail": lambda: client.get(f"/api/v1/courses/courses/{files['slug']}/"),
        "contact form POST": lambda: client.post(
            "/api/v1/contacts/contacts/", Path(files["contact.json"]).read_text(), content_type="application/json"
        ),
        "login": lambda: client.post(
            "/api/v1/auth/token/", Path(files["login.json"]).read_text(), content_type="application/json"
        ),
        "token refresh": lambda: client.post(
            "/api/v1/auth/token/refresh/", json.dumps({"refresh": refresh}), content_type="application/json"
        ),
        "Stripe webhook": lambda: client.post(
            "/api/v1/payments/webhook/",
            event,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(event, WEBHOOK_SECRET),
        ),
        "admin dashboard": lambda: client.get("/api/v1/admin/dashboard/", HTTP_AUTHORIZATION=founder),
    }
    counts = {}
    for name, call in calls.items():
        if name in ("ping", "course list", "course detail", "admin dashboard"):
            call()  # warm: the cached figures are what the load sees after its first request
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code < 300, (name, response.status_code, response.content[:300])
        counts[name] = len(queries.captured_queries)
    return counts


def wrk(url: str, duration: int, *script: str) -> dict[str, float]:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", str(WRK_DIR / script[0]), url, "--", *script[1:]]
    else:
        command.append(url)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": requests,
    }


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()
    # Enough single-use tokens/events for the measurement and its warm-up at a generous rate.
    tokens = max(2000, (args.duration + 3) * 700)

    env = settings_env()
    admin = f"postgres://postgres@{os.environ.get('PGHOST', '127.0.0.1')}:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    _setup_django(env)
    from tests.processes import child_pids, free_port, wait_for_http

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        files = seed(tmp, tokens)
        print(f"seeded in {time.perf_counter() - started:.0f}s", flush=True)
        queries = queries_per_request(files)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
            "DB_POOL_MAX_SIZE": str(max(args.threads, 2)),
        }
        log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "titanobova_project.wsgi:application"],
            cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_http(f"{base}/health/live/", process=process)
            runs = [
                ("ping", "/health/live/", ()),
                ("course list", "/api/v1/courses/courses/", ()),
                ("course detail", f"/api/v1/courses/courses/{files['slug']}/", ()),
                ("contact form POST", "/api/v1/contacts/contacts/", ("post_json.lua", files["contact.json"])),
                ("login", "/api/v1/auth/token/", ("post_json.lua", files["login.json"])),
                ("token refresh", "/api/v1/auth/token/refresh/", ("refresh.lua", files["refresh.tokens"])),
                ("Stripe webhook", "/api/v1/payments/webhook/", ("webhook.lua", files["webhook.events"])),
                ("admin dashboard", "/api/v1/admin/dashboard/", ("get_auth.lua", files["founder.token"])),
            ]
            results, login_cpu = {}, None
            for name, path, script in runs:
                single_use = script and script[0] in ("refresh.lua", "webhook.lua")
                if not single_use:
                    wrk(base + path, 2, *script)  # warm-up: workers loaded, caches filled
                extra = (str(WRK_THREADS),) if single_use else ()
                workers = child_pids(process.pid)
                before = cpu_seconds(workers)
                results[name] = wrk(base + path, args.duration, *script, *extra)
                if name == "login":
                    login_cpu = (cpu_seconds(workers) - before) / results[name]["requests"] * 1000
                assert not single_use or results[name]["requests"] < tokens, "too few single-use tokens"
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()

    ping = results["ping"]["rps"]
    print(
        f"gunicorn {args.workers} gthread workers x {args.threads} thread(s), DEBUG off, pool on; "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration}s; PostgreSQL + Redis"
    )
    print("| endpoint | req/s | p50 ms | p99 ms | SQL queries | vs ping |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {queries[name]} | {r['rps'] / ping:.0%} |"
        )
    print(f"login: {login_cpu:.1f} ms of gunicorn worker CPU per login (Argon2id check included)")
    from django.db import connections

    connections.close_all()  # this process's own (the query counts), or the database can't be dropped
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=False)
    _drop_queued_tasks(env)


def _drop_queued_tasks(env: dict[str, str]) -> None:
    """No worker ran: forget the e-mails and webhook tasks the load queued, and the cache keys."""
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    client.delete(env["CELERY_QUEUE"])
    for key in client.scan_iter(match=f"{env['CACHE_KEY_PREFIX']}*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
