"""Throughput and latency of the course list and detail, next to a ping view, served by gunicorn.

Run: .venv/bin/python -m benchmarks.course_list [--duration 10] [--workers 2]
Needs PostgreSQL and Redis (PGHOST/127.0.0.1, REDIS_URL or redis://127.0.0.1:6379/0) and `wrk`
(Debian package). It creates a scratch database `titanobova_bench`, seeds 60 published courses of
8 lessons with enrolments, then serves the app with gunicorn twice: once as configured (catalogue
cached in Redis) and once with the catalogue cache off. Each server is loaded with
`wrk -t2 -c16` on:

- ping:   /health/live/, a constant small JSON object through the same middleware, no database;
- list:   /api/v1/courses/courses/ (a page of 20 courses with their figures);
- detail: /api/v1/courses/courses/<slug>/ (one course with its lesson outline, anonymous).

Rate limiting stays on (every request still counts in Redis) with a limit too high to trip.
The machine is shared: compare the ratios to ping of the same run, not absolute figures.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "titanobova_bench"


def _env(base: dict[str, str], **extra: str) -> dict[str, str]:
    env = dict(base)
    env.update(extra)
    return env


def seed(env: dict[str, str]) -> str:
    code = """
import django; django.setup()
from decimal import Decimal
from django.utils import timezone
from apps.courses.models import Course, Enrollment, Lesson
from apps.courses.services import course_refresh_figures
from apps.users.models import User
teacher = User.objects.create_user(
    "bench-teacher@example.com", "x" * 16, user_type="instructor", first_name="Ravi", last_name="Iyer")
students = [User.objects.create_user(f"bench-{i}@example.com", "x" * 16) for i in range(30)]
for n in range(60):
    course = Course.objects.create(
        slug=f"bench-course-{n}", title=f"Benchmark course {n}", description="A course. " * 20,
        short_description="Short.", category=["Programming", "Data", "Web"][n % 3], level="beginner",
        price=Decimal(n * 100), instructor=teacher, is_published=True, published_at=timezone.now())
    Lesson.objects.bulk_create(Lesson(course=course, position=p, title=f"Lesson {p}", duration_seconds=600,
        video_url=f"https://v.example.com/{n}/{p}", is_preview=p == 1) for p in range(1, 9))
    Enrollment.objects.bulk_create(Enrollment(user=s, course=course, status="active") for s in students[: n % 30])
    course_refresh_figures(course_id=course.pk)
print("bench-course-0")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip().splitlines()[-1]


def wrk(url: str, duration: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url], check=True, capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses; output:\n{out}")

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50": latency("50"), "p99": latency("99")}


def serve_and_measure(env: dict[str, str], workers: int, duration: int, paths: dict[str, str]) -> dict[str, dict]:
    sys.path.insert(0, str(ROOT))
    from tests.processes import free_port, wait_for_http

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = open(Path(tmp) / "gunicorn.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "titanobova_project.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/health/live/", process=process)
            results = {}
            for name, path in paths.items():
                wrk(base + path, 2)  # warm-up: workers loaded, caches filled
                results[name] = wrk(base + path, duration)
            return results
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()

    host = os.environ.get("PGHOST", "127.0.0.1")
    admin = f"postgres://postgres@{host}:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    from benchmarks.load import settings_env  # the production-like settings every benchmark uses

    base = _env(settings_env(), DATABASE_URL=f"postgres://postgres@{host}:5432/{DB_NAME}", CACHE_KEY_PREFIX="bench")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=base, check=True)
    slug = seed(base)
    paths = {
        "ping": "/health/live/",
        "list": "/api/v1/courses/courses/",
        "detail": f"/api/v1/courses/courses/{slug}/",
    }
    cached = serve_and_measure(base, args.workers, args.duration, paths)
    uncached = serve_and_measure(
        _env(base, COURSE_CATALOGUE_CACHE_SECONDS="0"), args.workers, args.duration, {"list": paths["list"]}
    )
    ping = cached["ping"]["rps"]
    rows = [
        ("ping (/health/live/)", cached["ping"]),
        ("course list, cached", cached["list"]),
        ("course list, uncached", uncached["list"]),
        ("course detail (8 lessons)", cached["detail"]),
    ]
    print(f"gunicorn {args.workers} sync workers, wrk -t2 -c16 -d{args.duration}s, PostgreSQL + Redis")
    print("| endpoint | req/s | p50 ms | p99 ms | vs ping |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['rps'] / ping:.0%} |")
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
