"""Django settings for the Titanobova backend.

This is the one place that reads the environment. With nothing set, the app runs on the
embedded defaults (SQLite, local-memory cache, eager Celery, console e-mail, DEBUG on).
Production values are documented in `.env.example` and `.env.production`.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file is read when present; real environment variables win over it.
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(_env_file).is_file():
    env.read_env(_env_file, overwrite=False)

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-secret-key-do-not-use-in-production-0123456789")
else:
    # Production has no default: a missing key fails at start-up, not at the first login.
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.") from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

# Proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed, e.g. nginx on 127.0.0.1.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Public base URL of this API, used for links in e-mails when FRONTEND_URL is not set.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Base URL of the React website. When set, e-mailed links point there instead of the app's own pages.
FRONTEND_URL = env.str("FRONTEND_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Third party
    "rest_framework",
    "rest_framework_simplejwt",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    # Project
    "apps.core",
    "apps.users",
    "apps.contacts",
    "apps.courses",
    "apps.payments",
    "apps.admin_panel",
    "apps.legacy",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIDMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    # Near the top, so that errors raised by the middleware below it (a bad Host header, CSRF)
    # are turned into the JSON error body under /api/ as well.
    "apps.core.middleware.ApiErrorMiddleware",
    "apps.core.middleware.ApiRequestBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above everything that may answer by itself (CommonMiddleware's APPEND_SLASH redirect, CSRF),
    # so that every response carries X-Frame-Options.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "titanobova_project.urls"
WSGI_APPLICATION = "titanobova_project.wsgi.application"
ASGI_APPLICATION = "titanobova_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database: SQLite by default, PostgreSQL (psycopg 3) through DATABASE_URL.
# ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A read replica for reports and heavy reads (DATABASE_REPLICA_URL): apps.core.db_routers sends
# reads there and every write to "default". Replication lag means a read right after a write may
# miss it; code that must read its own writes uses .using("default").
_replica_url = env.str("DATABASE_REPLICA_URL", default="")
if _replica_url:
    DATABASES["replica"] = env.db_url_config(_replica_url)
    DATABASE_ROUTERS = ["apps.core.db_routers.PrimaryReplicaRouter"]

# Connection pooling (PostgreSQL): psycopg's pool inside each process, through Django 5.2's
# OPTIONS["pool"] (https://docs.djangoproject.com/en/5.2/ref/databases/#connection-pool).
# On by default with DEBUG off. Each gunicorn worker (and Celery worker process) holds its own pool,
# so the server sees up to (web containers x GUNICORN_WORKERS + worker processes) x DB_POOL_MAX_SIZE
# connections: keep that under PostgreSQL's max_connections (DEPLOYMENT.md, "Scaling out").
# DB_POOL_MAX_SIZE should be at least GUNICORN_THREADS; a request waits DB_POOL_TIMEOUT seconds for
# a free connection before failing. With the pool off, connections persist DB_CONN_MAX_AGE seconds.
DB_POOL = env.bool("DB_POOL", default=not DEBUG)
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=1)
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=4)
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=10.0)
for _alias, _db in DATABASES.items():
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})
        if DB_POOL:
            # Persistent connections must be off with the pool. CONN_HEALTH_CHECKS makes the pool
            # check a connection (an empty query) before lending it: after a PostgreSQL restart the
            # dead idle connections are dropped there, instead of failing the requests they'd serve.
            _db["CONN_HEALTH_CHECKS"] = True
            _db["OPTIONS"]["pool"] = {
                "min_size": DB_POOL_MIN_SIZE,
                "max_size": DB_POOL_MAX_SIZE,
                "timeout": DB_POOL_TIMEOUT,
                "max_idle": 300,
            }
            _db["CONN_MAX_AGE"] = 0
        else:
            _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
            _db["CONN_HEALTH_CHECKS"] = True
    _db["ATOMIC_REQUESTS"] = False
# SystemLog rows (warnings and errors, see apps.admin_panel.system_log) are written through a
# connection of their own on PostgreSQL, so a line logged inside a transaction that is then rolled
# back is still kept. It points at the same database, outside the pool and not kept open
# (warnings are rare; a second pool per process would double the connections). SQLite uses the
# one connection.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["system_log"] = {
        **DATABASES["default"],
        "OPTIONS": {key: value for key, value in DATABASES["default"]["OPTIONS"].items() if key != "pool"},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }
    SYSTEM_LOG_DATABASE = "system_log"
else:
    SYSTEM_LOG_DATABASE = "default"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Cache: local memory by default, Redis (django-redis) through REDIS_URL.
# ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="titanobova")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    # A Redis outage degrades the cache to misses instead of failing requests; /health/ reports it
    # (503), rate limits fail open (apps/core/throttling.py), and Django admin sessions (kept in the
    # cache) don't hold. django-redis reconnects by itself once Redis is back (tests/test_faults.py).
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "titanobova",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

# ---------------------------------------------------------------------------
# Celery: eager in-process by default, Redis broker and results through REDIS_URL.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="titanobova")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis broker: a message a worker has taken but not acknowledged (acks_late) goes back to the
# queue only after this many seconds, e.g. when the worker was SIGKILLed (OOM, `docker kill`).
# Celery's default is one hour. It must stay above the longest countdown any task uses (e-mail
# retries up to EMAIL_RETRY_MAX_DELAY_SECONDS, Stripe event retries up to 3600 s): a worker holds
# such a message unacknowledged until it runs, and past the timeout Redis would hand it to a
# second worker. E-mails and Stripe events don't wait for it: the outbox's and the event table's
# Beat tasks (requeue_stale_emails, retry_stripe_events_task) requeue them within minutes
# (DEPLOYMENT.md, "When a worker dies"). https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Separate queues (DEPLOYMENT.md, "Scaling out"): e.g. {"apps.core.tasks.send_email_task": {"queue": "email"}}
# with a worker started with `-Q email`. Unrouted tasks go to CELERY_QUEUE.
CELERY_TASK_ROUTES = env.json("CELERY_TASK_ROUTES", default={})
CELERY_BEAT_SCHEDULE = {
    "purge-auth-state": {"task": "apps.users.tasks.purge_auth_state", "schedule": crontab(minute=17)},
    "purge-login-attempts": {"task": "apps.users.tasks.purge_login_attempts", "schedule": crontab(hour=2, minute=7)},
    "requeue-stale-emails": {"task": "apps.core.tasks.requeue_stale_emails", "schedule": crontab(minute="*/5")},
    # 07:30 in India (UTC+5:30).
    "daily-digest": {"task": "apps.admin_panel.tasks.send_daily_digest", "schedule": crontab(hour=2, minute=0)},
    "reconcile-payments": {"task": "apps.payments.tasks.reconcile_payments_task", "schedule": crontab(minute="*/10")},
    "retry-stripe-events": {"task": "apps.payments.tasks.retry_stripe_events_task", "schedule": crontab(minute="*/5")},
    "purge-system-logs": {"task": "apps.admin_panel.tasks.purge_system_logs", "schedule": crontab(hour=3, minute=11)},
}

# ---------------------------------------------------------------------------
# Authentication and passwords
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
# Founders and admins get every permission on the project's own apps in the Django admin
# (apps.users.backends); Django's groups and permissions stay with superusers.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "apps.users.backends.RolePermissionBackend",
]
STAFF_ROLE_PERMISSION_APPS = ["core", "users", "contacts", "courses", "payments", "admin_panel"]

# Argon2id first; bcrypt hashers stay so that accounts imported from the Node.js backend
# ($2a$/$2b$ hashes) log in and are re-hashed with Argon2id on their first login.
PASSWORD_HASHERS = [
    "apps.users.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    # Django's bcrypt hasher, except that passwords over 72 bytes are cut as bcryptjs cut them.
    "apps.users.hashers.LegacyBCryptPasswordHasher",
]
# Argon2id parameters. Django's defaults (100 MiB, 2 passes, 8 lanes) cost ~190 ms of CPU per
# check on this 2-core machine: 5 logins a second per core, an easy denial-of-service lever.
# 30 MiB with 2 passes and 1 lane is above OWASP's minimum (19 MiB, t=2, p=1) and measures about
# 33 ms of CPU per check here (`python -m benchmarks.argon2_cost`, docs/PERFORMANCE.md), leaving
# headroom under the 40 ms budget on a loaded machine: a core serves ~30 checks a second.
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_MEMORY_COST_KIB = env.int("ARGON2_MEMORY_COST_KIB", default=30 * 1024)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "apps.users.validators.MaximumLengthValidator",
        "OPTIONS": {"max_length": PASSWORD_MAX_LENGTH},
    },
]
# ---------------------------------------------------------------------------
# Two-factor authentication, lockout, rate limits
# ---------------------------------------------------------------------------
# Fernet keys encrypting secrets at rest (TOTP secrets): the first encrypts, all decrypt.
# Generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
    import base64
    import hashlib

    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

TWO_FACTOR_ISSUER = env.str("TWO_FACTOR_ISSUER", default="Titanobova")
TWO_FACTOR_CHALLENGE_TTL_SECONDS = env.int("TWO_FACTOR_CHALLENGE_TTL_SECONDS", default=5 * 60)
TWO_FACTOR_CHALLENGE_MAX_FAILURES = env.int("TWO_FACTOR_CHALLENGE_MAX_FAILURES", default=5)
TWO_FACTOR_BACKUP_CODE_COUNT = 10
# Founders and admins must confirm 2FA before any staff-only endpoint answers them.
REQUIRE_2FA_FOR_STAFF = env.bool("REQUIRE_2FA_FOR_STAFF", default=True)

LOCKOUT_THRESHOLD = env.int("LOCKOUT_THRESHOLD", default=5)
LOCKOUT_DURATION_SECONDS = env.int("LOCKOUT_DURATION_SECONDS", default=60 * 60)
LOGIN_ATTEMPT_RETENTION_DAYS = env.int("LOGIN_ATTEMPT_RETENTION_DAYS", default=90)

# Rate limits per scope ("N/second|minute|hour|day"): anonymous callers are counted per client IP,
# logged-in callers per user; the counters live in the cache (Redis in production), so every
# process shares them. RATELIMIT_ENABLE=false switches them off (load tests); never the lockout.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_RATES = {
    "anon": env.str("RATELIMIT_ANON", default="300/minute"),
    "user": env.str("RATELIMIT_USER", default="1200/minute"),
    "login": env.str("RATELIMIT_LOGIN", default="20/minute"),
    "two_factor": env.str("RATELIMIT_TWO_FACTOR", default="20/minute"),
    "register": env.str("RATELIMIT_REGISTER", default="10/hour"),
    "password_reset": env.str("RATELIMIT_PASSWORD_RESET", default="10/hour"),
    "resend_verification": env.str("RATELIMIT_RESEND_VERIFICATION", default="10/hour"),
    "contact": env.str("RATELIMIT_CONTACT", default="10/hour"),
    "enrollment_request": env.str("RATELIMIT_ENROLLMENT_REQUEST", default="10/hour"),
    "newsletter": env.str("RATELIMIT_NEWSLETTER", default="10/hour"),
}

# Lifetime of password-reset links (Django's PasswordResetTokenGenerator; single use by design).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60)
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE_SECONDS", default=3 * 24 * 60 * 60)

# ---------------------------------------------------------------------------
# Django REST framework, SimpleJWT, drf-spectacular
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.users.authentication.SessionJWTAuthentication",
    ],
    # Deny by default: every view opts in to anything looser.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.GeneralRateThrottle",
        "apps.core.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_METADATA_CLASS": "apps.core.metadata.SchemaPointerMetadata",
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ErrorResponsesAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# JSON only, also in development: /api/v1/docs/ is the interactive view of the API.

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", default=15)),
    # With rotation, the refresh lifetime is the inactivity timeout (the spec's "1 hour").
    "REFRESH_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_REFRESH_TOKEN_LIFETIME_MINUTES", default=60)),
    # Rotation, reuse detection and revocation are done by apps.users.services.tokens on Session rows.
    "UPDATE_LAST_LOGIN": False,  # the login service records last_login and last_login_ip itself
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# A rotated refresh token presented again within this many seconds gets the session's current
# tokens (two tabs refreshing together); later, it revokes the whole session (token theft).
SESSION_REFRESH_GRACE_SECONDS = env.int("SESSION_REFRESH_GRACE_SECONDS", default=10)

SPECTACULAR_SETTINGS = {
    "TITLE": "Titanobova API",
    "DESCRIPTION": "Accounts, courses, payments and administration for Titanobova.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Assets from drf-spectacular-sidecar: served by the app itself, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "ContactStatusEnum": "apps.contacts.models.ContactStatus",
        "SubscriberStatusEnum": "apps.contacts.models.SubscriberStatus",
        "EnrollmentStatusEnum": "apps.courses.models.EnrollmentStatus",
        "PaymentStatusEnum": "apps.payments.models.PaymentStatus",
        "RefundStatusEnum": "apps.payments.models.RefundStatus",
        "CourseLevelEnum": "apps.courses.models.CourseLevel",
        # Contacts and enrolment requests share one choice set: website or imported.
        "RecordSourceEnum": "apps.contacts.models.ContactSource",
        "EnrollmentRequestStatusEnum": "apps.courses.models.EnrollmentRequestStatus",
        "PaymentSourceEnum": "apps.payments.models.PaymentSource",
    },
}

# ---------------------------------------------------------------------------
# CORS and CSRF
# ---------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:5173"] if DEBUG else [])
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "x-request-id"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# ---------------------------------------------------------------------------
# HTTPS and cookies (production)
# ---------------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Django admin sessions: 1 hour of inactivity (the spec's session timeout), in Redis when configured.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE_SECONDS", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ENGINE = "django.contrib.sessions.backends.cache" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Private files (invoice and certificate PDFs) live apart from MEDIA_ROOT, so that no web server
# ever serves them: only the app's permission-checked views read them (apps.core.private_files).
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media")))
# How long a signed S3 URL handed out for a private file stays valid, and for other media.
PRIVATE_URL_EXPIRE_SECONDS = env.int("PRIVATE_URL_EXPIRE_SECONDS", default=60)
MEDIA_URL_EXPIRE_SECONDS = env.int("MEDIA_URL_EXPIRE_SECONDS", default=3600)

# MEDIA_STORAGE=local: files on this machine's disk (development, one host).
# MEDIA_STORAGE=s3: S3-compatible object storage through django-storages, so that every web and
# worker container sees the same files. The bucket stays private; every URL is a signed, expiring
# one. https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
_static_storage = {
    "BACKEND": (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
}
_s3_connection = {
    "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),  # MinIO, R2, ... (None: AWS)
    "region_name": env.str("AWS_S3_REGION_NAME", default=None),
    # Unset: boto3 finds credentials itself (instance role, AWS_* environment, ~/.aws).
    "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
    "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
    "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
    "signature_version": "s3v4",
    "default_acl": None,  # objects inherit the bucket's (private) policy
    "querystring_auth": True,
    "file_overwrite": False,
}
if MEDIA_STORAGE == "s3":
    _s3 = {**_s3_connection, "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME")}
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3, "location": "media", "querystring_expire": MEDIA_URL_EXPIRE_SECONDS},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3, "location": "private", "querystring_expire": PRIVATE_URL_EXPIRE_SECONDS},
        },
        "staticfiles": _static_storage,
    }
elif MEDIA_STORAGE == "local":
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
        },
        "staticfiles": _static_storage,
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', not {MEDIA_STORAGE!r}.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PROFILE_PICTURE_MAX_BYTES = 2 * 1024 * 1024

# ---------------------------------------------------------------------------
# E-mail: SendGrid through django-anymail when SENDGRID_API_KEY is set, console otherwise.
# ---------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Titanobova <noreply@titanobova.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
if SENDGRID_API_KEY:
    EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    # Anymail 13+ marks SendGrid "unsupported" (no test account: anymail/django-anymail#432) but
    # still ships and maintains the backend. The spec mandates SendGrid; our own tests drive this
    # backend over HTTP against a fake SendGrid API, which is the coverage Anymail lost.
    SILENCED_SYSTEM_CHECKS = ["anymail.W003"]
    ANYMAIL = {"SENDGRID_API_KEY": SENDGRID_API_KEY}
    _sendgrid_api_url = env.str("SENDGRID_API_URL", default="")
    if _sendgrid_api_url:
        ANYMAIL["SENDGRID_API_URL"] = _sendgrid_api_url
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Outbox delivery: transient provider errors (timeouts, 429, 5xx) are retried with exponential
# backoff and jitter; after EMAIL_MAX_RETRIES the message is marked failed (resend from the admin).
EMAIL_MAX_RETRIES = env.int("EMAIL_MAX_RETRIES", default=8)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=30.0)
EMAIL_RETRY_MAX_DELAY_SECONDS = env.float("EMAIL_RETRY_MAX_DELAY_SECONDS", default=3600.0)
EMAIL_SEND_LEASE_SECONDS = env.int("EMAIL_SEND_LEASE_SECONDS", default=120)
# Where staff notifications about new contact messages are e-mailed (empty: none by e-mail).
STAFF_NOTIFICATION_EMAIL = env.str("STAFF_NOTIFICATION_EMAIL", default="team@titanobova.com")
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)

# ---------------------------------------------------------------------------
# Courses
# ---------------------------------------------------------------------------
COURSE_CURRENCY = env.str("COURSE_CURRENCY", default="INR")
# The currencies a course may be priced in (ISO 4217). Invoices and GST only make sense in
# rupees today, so the default is INR alone; add a code once payments and invoices handle it.
COURSE_SUPPORTED_CURRENCIES = [c.strip().upper() for c in env.list("COURSE_SUPPORTED_CURRENCIES", default=["INR"])]
# The public catalogue (course list) is cached for this long; any change to a course or lesson
# invalidates it at once, so the TTL only bounds how stale enrolment counts can be.
COURSE_CATALOGUE_CACHE_SECONDS = env.int("COURSE_CATALOGUE_CACHE_SECONDS", default=300)

# ---------------------------------------------------------------------------
# Stripe (used by the payments app)
# ---------------------------------------------------------------------------
# With no STRIPE_SECRET_KEY in development, the SDK talks to localstripe (a Stripe-compatible
# server from PyPI that `make run` starts on port 8420) with these local-only keys. Production
# (DEBUG off) leaves STRIPE_API_BASE unset and uses the real keys.
_LOCALSTRIPE = DEBUG and not env.str("STRIPE_SECRET_KEY", default="")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="sk_test_localstripe" if _LOCALSTRIPE else "")
STRIPE_PUBLIC_KEY = env.str("STRIPE_PUBLIC_KEY", default="pk_test_localstripe" if _LOCALSTRIPE else "")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_localstripe" if _LOCALSTRIPE else "")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:8420" if _LOCALSTRIPE else "")
# Stripe's own tolerance for a webhook's signed timestamp.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
STRIPE_PAYMENT_METHOD_TYPES = env.list("STRIPE_PAYMENT_METHOD_TYPES", default=["card", "upi"])
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
# Local payments still pending after this long are checked against Stripe by the reconciliation task.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=30)
# How long creating a payment intent holds one of a coupon's redemptions for that checkout.
# Past it, the hold no longer blocks other students; a payment that still succeeds is counted
# if the coupon has room, otherwise recorded for staff (see apps/payments/coupons.py).
COUPON_HOLD_MINUTES = env.int("COUPON_HOLD_MINUTES", default=30)
STRIPE_EVENT_MAX_RETRIES = env.int("STRIPE_EVENT_MAX_RETRIES", default=8)

# GST tax invoices (India). The seller is the company; SAC 999293 is "commercial training and
# coaching services". Course prices include GST unless PRICES_INCLUDE_GST is false.
INVOICE_PREFIX = env.str("INVOICE_PREFIX", default="TNB")
CREDIT_NOTE_PREFIX = env.str("CREDIT_NOTE_PREFIX", default="TNB-CN")
SELLER_NAME = env.str("SELLER_NAME", default="Titanobova Education Private Limited")
SELLER_ADDRESS = env.str("SELLER_ADDRESS", default="12 MG Road, Bengaluru 560001, Karnataka, India")
SELLER_GSTIN = env.str("SELLER_GSTIN", default="29AABCT1332L1ZV")
SELLER_STATE = env.str("SELLER_STATE", default="Karnataka")
GST_SAC_CODE = env.str("GST_SAC_CODE", default="999293")
GST_RATE_PERCENT = Decimal(env.str("GST_RATE_PERCENT", default="18"))
PRICES_INCLUDE_GST = env.bool("PRICES_INCLUDE_GST", default=True)

# ---------------------------------------------------------------------------
# Backups: `manage.py backup_db` (pg_dump, custom format, compressed, then AES-256-GCM encrypted
# here before it is written anywhere) and `manage.py restore_db`. Celery Beat runs it daily.
# ---------------------------------------------------------------------------
# Keys: 32 random bytes, URL-safe base64 (the same format as a Fernet key); the first encrypts,
# all decrypt, so a key can be rotated without losing older backups.
# python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"
BACKUP_ENCRYPTION_KEYS = env.list("BACKUP_ENCRYPTION_KEYS", default=[])
if not BACKUP_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("BACKUP_ENCRYPTION_KEYS must be set when DEBUG is off.")
    import base64
    import hashlib

    BACKUP_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(b"backup:" + SECRET_KEY.encode()).digest()).decode()
    ]
# BACKUP_STORAGE=local: files in BACKUP_DIR; s3: the bucket BACKUP_S3_BUCKET (default: the media
# bucket) under backups/, through django-storages.
BACKUP_STORAGE = env.str("BACKUP_STORAGE", default="local")
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=14)
if BACKUP_STORAGE == "s3":
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_connection,
            "bucket_name": env.str("BACKUP_S3_BUCKET", default=env.str("AWS_STORAGE_BUCKET_NAME", default="")),
            "location": "backups",
        },
    }
elif BACKUP_STORAGE == "local":
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_DIR), "base_url": None},
    }
else:
    raise ImproperlyConfigured(f"BACKUP_STORAGE must be 'local' or 's3', not {BACKUP_STORAGE!r}.")
BACKUP_PG_DUMP = env.str("BACKUP_PG_DUMP", default="pg_dump")
BACKUP_PG_RESTORE = env.str("BACKUP_PG_RESTORE", default="pg_restore")
CELERY_BEAT_SCHEDULE["backup-database"] = {
    "task": "apps.core.tasks.backup_database_task",
    "schedule": crontab(hour=env.int("BACKUP_HOUR_UTC", default=21), minute=30),  # 03:00 in India
}

# ---------------------------------------------------------------------------
# Sentry: errors (and a sample of traces) when SENTRY_DSN is set; see apps/core/sentry.py.
# ---------------------------------------------------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or None
SENTRY_SAMPLE_RATE = env.float("SENTRY_SAMPLE_RATE", default=1.0)  # share of errors sent
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from apps.core.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        sample_rate=SENTRY_SAMPLE_RATE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# ---------------------------------------------------------------------------
# Logging: console always; rotating-safe files (WatchedFileHandler + logrotate) unless
# LOG_TO_FILES is off (containers log to stdout only).
# ---------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_DIR = Path(env.str("LOG_DIR", default=str(BASE_DIR / "logs")))
LOG_TO_FILES = env.bool("LOG_TO_FILES", default=True)
if LOG_TO_FILES:
    LOG_DIR.mkdir(parents=True, exist_ok=True)

_log_filters = ["request_id", "redact"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIDFilter"},
        "redact": {"()": "apps.core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "standard": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "standard",
            "filters": _log_filters,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # runserver's access log: its URLs can carry e-mailed tokens, so it goes through the filters.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
if LOG_TO_FILES:
    LOGGING["handlers"]["app_file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": str(LOG_DIR / "titanobova.log"),
        "formatter": "standard",
        "filters": _log_filters,
    }
    LOGGING["handlers"]["security_file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": str(LOG_DIR / "security.log"),
        "formatter": "standard",
        "filters": _log_filters,
        "level": "WARNING",
    }
    LOGGING["root"]["handlers"].append("app_file")
    LOGGING["loggers"]["django"]["handlers"].append("app_file")
    for _name in ("security", "django.security"):
        LOGGING["loggers"][_name]["handlers"] += ["app_file", "security_file"]

# Warnings and errors are also stored as SystemLog rows (browsable in the Django admin), kept
# for SYSTEM_LOG_RETENTION_DAYS (purged by Celery Beat).
SYSTEM_LOG_ENABLED = env.bool("SYSTEM_LOG_ENABLED", default=True)
SYSTEM_LOG_RETENTION_DAYS = env.int("SYSTEM_LOG_RETENTION_DAYS", default=30)
# The same line repeated within this many seconds in one process is counted into the next row
# instead of stored again (an outage that logs on every request stays a handful of rows).
SYSTEM_LOG_REPEAT_SECONDS = env.int("SYSTEM_LOG_REPEAT_SECONDS", default=10)
if SYSTEM_LOG_ENABLED:
    LOGGING["handlers"]["system_log"] = {
        "class": "apps.admin_panel.system_log.SystemLogHandler",
        "level": "WARNING",
        "filters": _log_filters,
    }
    LOGGING["root"]["handlers"].append("system_log")
    for _name in ("django", "security", "django.security"):
        LOGGING["loggers"][_name]["handlers"].append("system_log")

# ---------------------------------------------------------------------------
# Admin dashboard
# ---------------------------------------------------------------------------
# GET /api/v1/admin/dashboard/ and the admin index page: figures are cached this long.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

# ---------------------------------------------------------------------------
# Test and CI support
# ---------------------------------------------------------------------------
# In CI a missing PostgreSQL or Redis is a failure, never a silent fallback (see conftest.py).
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)
