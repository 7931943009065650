import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from apps.core import views
from apps.core.pagination import StandardPagination

pytestmark = pytest.mark.django_db


def test_health_checks_database_and_cache(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_health_answers_503_naming_the_failed_check(client, monkeypatch):
    def broken_cache():
        raise ConnectionError("redis down")

    monkeypatch.setitem(views.HEALTH_CHECKS, "cache", broken_cache)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"


def test_liveness_needs_nothing(client, monkeypatch):
    monkeypatch.setitem(views.HEALTH_CHECKS, "database", lambda: 1 / 0)
    response = client.get("/health/live/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_api_root_lists_sections(client):
    sections = client.get("/api/v1/").json()["sections"]
    for name in ("auth", "users", "schema", "docs"):
        assert sections[name].startswith("http://testserver/api/v1/")
        assert client.get(sections[name]).status_code in (200, 401, 405)


def test_docs_page_serves_its_assets_from_the_app_not_a_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200


def test_schema_documents_request_and_response_bodies(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    register = schema["paths"]["/api/v1/users/register/"]["post"]
    assert "requestBody" in register and "201" in register["responses"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("TokenPair")


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


@pytest.mark.parametrize(
    "query, expected_size",
    [("", 20), ("?page_size=5", 5), ("?page_size=1000", 100), ("?page_size=abc", 20)],
)
def test_pagination_defaults_and_caps_page_size(query, expected_size):
    from rest_framework.request import Request

    from apps.users.models import User
    from apps.users.tests.factories import UserFactory

    UserFactory.create_batch(120, password="md5$x$y")
    request = Request(APIRequestFactory().get(f"/api/v1/things/{query}"))
    paginator = StandardPagination()
    page = paginator.paginate_queryset(User.objects.order_by("email"), request)
    body = paginator.get_paginated_response([u.email for u in page]).data
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 120
    assert len(body["results"]) == expected_size


def test_named_urls_resolve():
    assert reverse("health") == "/health/"
    assert reverse("docs") == "/api/v1/docs/"
