"""Shared pytest fixtures. Tests run on SQLite/local memory by default and on the real PostgreSQL
and Redis when DATABASE_URL/REDIS_URL are set; with REQUIRE_SERVICES=1 (CI) a missing service
fails the run instead of silently falling back."""

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

# Records every secret the run makes and fails the run if one reaches the log files (issue 11).
pytest_plugins = ["tests.security.log_secrets"]

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _check_required_services() -> None:
    problems = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        problems.append(f"DATABASE_URL must point at PostgreSQL (engine is {engine})")
    else:
        import psycopg

        db = settings.DATABASES["default"]
        try:
            psycopg.connect(
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
                dbname="postgres",
                connect_timeout=5,
            ).close()
        except Exception as exc:
            problems.append(f"PostgreSQL is not reachable: {exc}")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must be set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
        except Exception as exc:
            problems.append(f"Redis is not reachable: {exc}")
    if problems:
        pytest.exit("REQUIRE_SERVICES is set, but: " + "; ".join(problems), returncode=3)


def pytest_sessionstart(session):
    if settings.REQUIRE_SERVICES:
        _check_required_services()
    # Tests run Celery tasks in-process unless a test starts a real worker itself.
    from titanobova_project.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


def clear_cache() -> None:
    """Empty this run's cache keys only (the Redis server may be shared with other runs)."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _test_defaults(request, settings, tmp_path_factory):
    if "real_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.FRONTEND_URL = ""
    if settings.MEDIA_STORAGE == "local":  # private files (invoice PDFs...) in this run's temporary directory
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path_factory.getbasetemp() / "private_media")},
            },
        }
    clear_cache()
    from apps.admin_panel.system_log import SystemLogHandler

    SystemLogHandler.forget_repeats()  # each test sees its own log lines stored
    yield
    clear_cache()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return "a-long-Unusual-passphrase-42"


@pytest.fixture
def user(password):
    from apps.users.tests.factories import UserFactory

    return UserFactory(password=password)


@pytest.fixture
def other_user(password):
    from apps.users.tests.factories import UserFactory

    return UserFactory(password=password)


@pytest.fixture
def auth_client(user, password) -> APIClient:
    """A client logged in as `user` through the real token endpoint."""
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    client.tokens = response.json()
    return client


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run transaction.on_commit callbacks (e-mails, tasks) inside the test's transaction."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


@pytest.fixture
def sendgrid(settings):
    """The real anymail SendGrid backend, talking HTTP to a fake SendGrid API started here."""
    from tests.fake_sendgrid import FakeSendGrid

    with FakeSendGrid() as fake:
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {"SENDGRID_API_KEY": "SG.test-key", "SENDGRID_API_URL": fake.url}
        yield fake


@pytest.fixture
def founder_client(db):
    from tests.clients import staff_client

    return staff_client("founder")


@pytest.fixture
def admin_client(db):
    from tests.clients import staff_client

    return staff_client("admin")


@pytest.fixture
def student_client(db):
    from tests.clients import role_client

    return role_client("student")


@pytest.fixture
def instructor_client(db):
    from tests.clients import role_client

    return role_client("instructor")


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """A real localstripe server for this test run (the Stripe SDK talks HTTP to it)."""
    from tests.localstripe import localstripe_server

    with localstripe_server(tmp_path_factory.mktemp("localstripe")) as url:
        yield url


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    from decimal import Decimal

    from tests.localstripe import SECRET

    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_PUBLIC_KEY = "pk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.SELLER_STATE = "Karnataka"
    settings.GST_RATE_PERCENT = Decimal("18")
    settings.PRICES_INCLUDE_GST = True
    return settings


@pytest.fixture
def paid_course(db):
    from decimal import Decimal

    from apps.courses.tests.factories import course_with_lessons

    return course_with_lessons(2, price=Decimal("4999.00"), title="Full-Stack Web Development")


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_teardown(django_db_setup, django_db_blocker):
    """Close every connection (the SystemLog alias's too) before the test database is dropped:
    an open session makes DROP DATABASE fail and leaves the database behind."""
    yield
    import gc

    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    with django_db_blocker.unblock():
        connections.close_all()
        # Connections opened in threads that are gone (the browser tests' live server and
        # Playwright) are out of reach of close_all(): close their sockets directly.
        for wrapper in gc.get_objects():
            try:
                if isinstance(wrapper, BaseDatabaseWrapper) and wrapper.connection is not None:
                    wrapper.connection.close()
            except ReferenceError:  # a weak proxy whose object is gone
                continue
