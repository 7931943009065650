"""Response time of GET /api/v1/admin/dashboard/ on a large database, uncached and cached.

Run: .venv/bin/python -m benchmarks.dashboard [--users 100000] [--attempts 1000000]
     [--payments 100000] [--rounds 20]
Needs PostgreSQL (127.0.0.1:5432, user postgres) and Redis (REDIS_URL or redis://127.0.0.1:6379/0).

It creates a scratch database `titanobova_bench_dashboard`, migrates it and fills it with bulk
inserts: users share one precomputed password hash (no Argon2 run per row), login attempts and
payments are inserted by PostgreSQL itself (INSERT ... SELECT generate_series), spread over the
last 400 days. Then it asks for the dashboard through Django's test client as a founder with a
2FA login (the full middleware, authentication and permission stack, in this process), first with
the cache off (every request computes the figures) and then with the cache on (Redis), and
prints the median and 95th percentile of each next to the database's size.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "titanobova_bench_dashboard"


def _setup_django() -> None:
    os.environ.setdefault("PGHOST", "127.0.0.1")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CACHE_KEY_PREFIX"] = "bench-dashboard"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 40)
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "q2kPmS9F0Jmh3GmQ9qP9W2d2l0ZKQm9oYVdYf1t0H6Y=")
    os.environ.setdefault("BACKUP_ENCRYPTION_KEYS", "ZmFrZS1iZW5jaG1hcmstYmFja3VwLWtleS0zMmJ5dGU=")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("RATELIMIT_ENABLE", "false")
    os.environ.setdefault("LOG_TO_FILES", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "titanobova_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _recreate_database() -> None:
    for command in (["dropdb", "--if-exists", "--force", DB_NAME], ["createdb", DB_NAME]):
        subprocess.run([*command, "-h", "127.0.0.1", "-U", "postgres"], check=True)


def fill(*, users: int, attempts: int, payments: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    password = make_password("benchmark-password-1")  # one Argon2 run, shared by every row
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO users_user (id, email, password, first_name, last_name, phone_number, company, user_type,
                profile_picture, bio, email_verified, failed_login_attempts, is_active, is_superuser,
                created_at, updated_at, account_locked_until)
            SELECT gen_random_uuid(), 'bench-' || n || '@example.com', %s, 'First', 'Last', '', '',
                CASE WHEN n %% 100 = 0 THEN 'instructor' ELSE 'student' END, '', '', n %% 3 <> 0, 0, true, false,
                now() - (n %% 400) * interval '1 day', now(),
                CASE WHEN n %% 5000 = 0 THEN now() + interval '1 hour' END
            FROM generate_series(1, %s) AS n
            """,
            [password, users],
        )
        instructor = "(SELECT id FROM users_user WHERE user_type = 'instructor' LIMIT 1)"
        cursor.execute(
            f"""
            INSERT INTO courses_course (id, slug, title, short_description, description, category, level, duration,
                price, currency, thumbnail, instructor_id, is_published, published_at, lesson_count,
                total_duration_seconds, enrollment_count, created_at, updated_at)
            SELECT gen_random_uuid(), 'bench-course-' || n, 'Benchmark course ' || n, '', 'A course.', 'Data',
                'beginner', '8 weeks', 4999, 'INR', '', {instructor}, n %% 10 <> 0, now(), 0, 0, 0, now(), now()
            FROM generate_series(1, 50) AS n
            """,
            [],
        )
        # `payments` paid enrolments: each student in up to two courses, one payment each.
        cursor.execute(
            """
            WITH students AS (
                SELECT id, created_at, row_number() OVER (ORDER BY email) AS n FROM users_user
                WHERE user_type = 'student'
            ), courses AS (
                SELECT id, row_number() OVER (ORDER BY slug) - 1 AS k FROM courses_course
            ), pairs AS (
                SELECT s.id AS user_id, c.id AS course_id, s.created_at, s.n + c.k AS n
                FROM students s JOIN courses c ON c.k IN (s.n %% 50, (s.n + 25) %% 50)
                ORDER BY c.k = s.n %% 50 DESC, s.n LIMIT %s
            )
            INSERT INTO courses_enrollment (id, user_id, course_id, status, enrolled_at, completed_at,
                progress_percent, updated_at)
            SELECT gen_random_uuid(), user_id, course_id,
                CASE WHEN n %% 10 = 0 THEN 'completed' WHEN n %% 17 = 0 THEN 'refunded' ELSE 'active' END,
                created_at, CASE WHEN n %% 10 = 0 THEN created_at + interval '30 days' END,
                CASE WHEN n %% 10 = 0 THEN 100 ELSE 40 END, now()
            FROM pairs
            """,
            [payments],
        )
        cursor.execute(
            """
            INSERT INTO payments_payment (id, source, user_id, enrollment_id, stripe_payment_intent_id,
                stripe_charge_id, client_secret, currency, list_price, discount, amount, amount_refunded, status,
                failure_message, billing_name, billing_gstin, billing_state, created_at, updated_at, succeeded_at)
            SELECT gen_random_uuid(), 'stripe', e.user_id, e.id, 'pi_bench_' || e.id, '', '', 'INR', 499900, 0,
                499900, CASE WHEN e.status = 'refunded' THEN 499900 ELSE 0 END,
                CASE WHEN e.status = 'refunded' THEN 'refunded' ELSE 'succeeded' END,
                '', '', '', '', e.enrolled_at, now(), e.enrolled_at
            FROM courses_enrollment e
            """
        )
        cursor.execute(
            """
            UPDATE courses_course c SET enrollment_count = sub.n
            FROM (SELECT course_id, count(*) AS n FROM courses_enrollment GROUP BY course_id) sub
            WHERE sub.course_id = c.id
            """
        )
        cursor.execute(
            """
            INSERT INTO users_loginattempt (email, user_id, outcome, ip_address, user_agent, created_at)
            SELECT 'bench-' || (n %% %s) || '@example.com', NULL,
                (ARRAY['success', 'bad_password', 'unknown_account', 'success', 'two_factor_required'])[1 + n %% 5],
                ('203.0.113.' || (n %% 250))::inet, 'bench', now() - (n %% (90 * 24 * 60)) * interval '1 minute'
            FROM generate_series(1, %s) AS n
            """,
            [users, attempts],
        )
        cursor.execute(
            """
            INSERT INTO contacts_contact (id, name, email, phone, subject, message, status, source, legacy_id,
                internal_note, user_agent, created_at, updated_at)
            SELECT gen_random_uuid(), 'Visitor ' || n, 'visitor-' || n || '@example.com', '', 'Hello', 'Hi',
                (ARRAY['new', 'in_progress', 'resolved', 'closed', 'spam'])[1 + n %% 5], 'website', '', '', '',
                now() - (n %% 400) * interval '1 day', now()
            FROM generate_series(1, 10000) AS n
            """,
            [],
        )
        cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.1f}s", flush=True)


def founder_client():
    from rest_framework.test import APIClient

    from apps.users.models import TwoFactorAuth, User, UserType
    from apps.users.services.tokens import session_start

    founder = User.objects.create_user("bench-founder@example.com", "benchmark-password-1", user_type=UserType.FOUNDER)
    from django.utils import timezone

    TwoFactorAuth.objects.create(user=founder, secret_encrypted="-", confirmed_at=timezone.now())
    access, _ = session_start(user=founder, ip="127.0.0.1", user_agent="bench", two_factor=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def measure(client, rounds: int) -> dict[str, float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/api/v1/admin/dashboard/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:500]
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[max(0, int(len(timings) * 0.95) - 1)],
        "min": timings[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database of an earlier run")
    args = parser.parse_args()
    if args.payments > 2 * args.users:
        parser.error("--payments can't exceed twice --users (each student pays for up to two courses)")
    if not args.keep:
        _recreate_database()
    _setup_django()
    from django.conf import settings
    from django.core.cache import cache

    if not args.keep:
        fill(users=args.users, attempts=args.attempts, payments=args.payments)
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(email="bench-founder@example.com").delete()
    client = founder_client()
    client.get("/api/v1/admin/dashboard/")  # warm up connections and imports

    settings.DASHBOARD_CACHE_SECONDS = 0
    uncached = measure(client, args.rounds)
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    client.get("/api/v1/admin/dashboard/")  # fill the cache
    cached = measure(client, args.rounds * 10)

    from apps.payments.models import Payment
    from apps.users.models import LoginAttempt

    print(
        f"rows: {get_user_model().objects.count()} users, {LoginAttempt.objects.count()} login attempts, "
        f"{Payment.objects.count()} payments"
    )
    print("| dashboard | median ms | p95 ms | min ms |")
    print("|---|---:|---:|---:|")
    for name, result in (("uncached (figures computed)", uncached), ("cached (Redis)", cached)):
        print(f"| {name} | {result['median']:.1f} | {result['p95']:.1f} | {result['min']:.1f} |")


if __name__ == "__main__":
    main()
