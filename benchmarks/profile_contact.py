"""Where a contact form POST spends its time: pyinstrument over N requests through Django's test
client, production settings, PostgreSQL and Redis (the figures in docs/PERFORMANCE.md).

Run: .venv/bin/python -m benchmarks.profile_contact [--requests 200]
"""

import argparse
import json
import subprocess
import sys

from benchmarks.load import ROOT, settings_env

DB_NAME = "titanobova_profile_contact"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    env = settings_env()
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    subprocess.run(["psql", ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    from benchmarks.load import _setup_django

    _setup_django(env)
    from django.db import connections
    from django.test import Client
    from pyinstrument import Profiler

    from apps.users.models import User

    for n in range(3):  # each message notifies every founder and admin
        User.objects.create_user(f"staff{n}@example.com", "benchmark-password-2026", user_type="founder")
    client = Client()
    body = json.dumps({"name": "Asha Rao", "email": "asha@example.com", "subject": "Batches", "message": "When?"})
    for _ in range(20):  # warm: imports, connections
        client.post("/api/v1/contacts/contacts/", body, content_type="application/json")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.requests):
        response = client.post("/api/v1/contacts/contacts/", body, content_type="application/json")
        assert response.status_code == 201, response.content
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))
    connections.close_all()
    subprocess.run(["psql", ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
