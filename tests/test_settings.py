"""Settings from the environment: embedded defaults, production refusal and `check --deploy`."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code_or_args, env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SENTRY", "SENDGRID"))
    }
    env.update({"ENV_FILE": str(tmp_path / "missing.env"), "LOG_DIR": str(tmp_path / "logs"), **env_overrides})
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SHOW = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='titanobova_project.settings'; django.setup();"
    "from django.conf import settings as s; from titanobova_project.celery import app;"
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], app.conf.task_always_eager,"
    " s.EMAIL_BACKEND)"
)


def test_embedded_defaults_with_nothing_set(tmp_path):
    result = _run(SHOW, {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_postgres_and_redis_from_urls(tmp_path):
    result = _run(
        SHOW,
        {"DATABASE_URL": "postgres://u:p@db.example:5432/name", "REDIS_URL": "redis://cache.example:6379/3"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    _debug, engine, cache, eager, _ = result.stdout.split()
    assert (engine, cache, eager) == ("django.db.backends.postgresql", "django_redis.cache.RedisCache", "False")


def test_env_file_is_read(tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text("DEBUG=True\nDATABASE_URL=postgres://u:p@db.example:5432/name\n")
    result = _run(SHOW, {"ENV_FILE": str(env_file)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "django.db.backends.postgresql"


def test_sendgrid_backend_when_api_key_set(tmp_path):
    result = _run(SHOW, {"SENDGRID_API_KEY": "SG.test"}, tmp_path)
    assert result.stdout.split()[-1] == "anymail.backends.sendgrid.EmailBackend"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run([str(ROOT / "manage.py"), "check"], {"DEBUG": "False", "ALLOWED_HOSTS": "api.example.com"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def _filled_production_env(tmp_path: Path) -> Path:
    template = (ROOT / ".env.production").read_text()
    fills = {
        "<change-in-production>": "k" + "x9Q2-vT7pLm4ZbW8rN3sYc6HdJ1fGu5eKa0oIqRw" * 2,
        "<db-password>": "db-secret",
        "<fernet-key>": "tQ0gMxkgz4zGmQbRzMRDPNn0x8Dk4tbwYQk9bG1k2xY=",
        "<sendgrid-api-key>": "SG.placeholder",
        "<sk_live_...>": "sk_live_placeholder",
        "<pk_live_...>": "pk_live_placeholder",
        "<whsec_...>": "whsec_placeholder",
        "<https://...@sentry.io/...>": "",
        "<aws-bucket-name>": "titanobova-media",
        "<aws-access-key-id>": "AKIAPLACEHOLDER",
        "<aws-secret-access-key>": "placeholder-secret",
        "<backup-encryption-key>": "a2V5LWZvci1jaGVjay1kZXBsb3ktb25seS0wMDAwMDA=",
        "<aws-backup-bucket-name>": "titanobova-backups",
    }
    for placeholder, value in fills.items():
        template = template.replace(placeholder, value)
    leftover = re.findall(r"<(?:change|db|fernet|sendgrid|sk_|pk_|whsec|https|aws|backup)[^>]*>", template)
    assert not leftover, f"placeholders of .env.production this test does not fill: {leftover}"
    path = tmp_path / "production.env"
    path.write_text(template)
    return path


def test_check_deploy_passes_with_production_values(tmp_path):
    env_file = _filled_production_env(tmp_path)
    result = _run(
        [str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"], {"ENV_FILE": str(env_file)}, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


POOL = (
    "import django, os, json; os.environ['DJANGO_SETTINGS_MODULE']='titanobova_project.settings'; django.setup();"
    "from django.conf import settings as s;"
    "print(json.dumps({'pool': s.DATABASES['default']['OPTIONS'].get('pool'),"
    " 'max_age': s.DATABASES['default']['CONN_MAX_AGE'], 'aliases': sorted(s.DATABASES),"
    " 'routers': getattr(s, 'DATABASE_ROUTERS', []), 'routes': s.CELERY_TASK_ROUTES,"
    " 'storages': {k: v['BACKEND'] for k, v in s.STORAGES.items()}}))"
)


def test_pool_replica_routes_and_s3_storage_from_the_environment(tmp_path):
    import json

    result = _run(
        POOL,
        {
            "DATABASE_URL": "postgres://u:p@db.example:5432/name",
            "DATABASE_REPLICA_URL": "postgres://u:p@replica.example:5432/name",
            "DB_POOL": "true",
            "DB_POOL_MAX_SIZE": "7",
            "CELERY_TASK_ROUTES": '{"apps.contacts.tasks.newsletter_send_batch_task": {"queue": "bulk"}}',
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "media-bucket",
            "BACKUP_STORAGE": "s3",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["pool"] == {"min_size": 1, "max_size": 7, "timeout": 10.0, "max_idle": 300}
    assert values["max_age"] == 0  # Django refuses persistent connections together with a pool
    assert values["aliases"] == ["default", "replica", "system_log"]  # SystemLog writes: own connection
    assert values["routers"] == ["apps.core.db_routers.PrimaryReplicaRouter"]
    assert values["routes"] == {"apps.contacts.tasks.newsletter_send_batch_task": {"queue": "bulk"}}
    assert values["storages"]["default"] == values["storages"]["private"] == "storages.backends.s3.S3Storage"
    assert values["storages"]["backups"] == "storages.backends.s3.S3Storage"


def test_production_refuses_to_start_without_a_backup_key(tmp_path):
    env_file = _filled_production_env(tmp_path)
    env_file.write_text(env_file.read_text().replace("BACKUP_ENCRYPTION_KEYS=", "#BACKUP_ENCRYPTION_KEYS="))
    result = _run([str(ROOT / "manage.py"), "check"], {"ENV_FILE": str(env_file)}, tmp_path)
    assert result.returncode != 0 and "BACKUP_ENCRYPTION_KEYS must be set" in result.stderr
