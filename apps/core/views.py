import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from .exceptions import DATABASE_RETRY_AFTER_SECONDS, json_error_response

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


HEALTH_CHECKS = {"database": _check_database, "cache": _check_cache}


def health(request):
    """Readiness: 200 when the database and the cache answer, 503 naming what failed."""
    checks: dict[str, str] = {}
    for name, check in HEALTH_CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("Health check %s failed: %s", name, exc)
            checks[name] = "error"
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        response = JsonResponse({"status": "error", "checks": checks, "failed": failed}, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "checks": checks})


def health_live(request):
    """Liveness: the process serves requests."""
    return JsonResponse({"status": "ok"})


def api_not_found(request, *args, **kwargs):
    return json_error_response(404)


@extend_schema(
    responses=inline_serializer("ApiRoot", {"sections": serializers.DictField(child=serializers.URLField())})
)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request) -> Response:
    """List the API's sections."""

    def url(name: str) -> str:
        return reverse(name, request=request)

    return Response(
        {
            "name": "Titanobova API",
            "version": "v1",
            "sections": {
                "auth": url("auth-token"),
                "users": url("users-profile"),
                "contacts": url("contacts-list"),
                "courses": url("courses-list"),
                "enrollments": url("enrollments-list"),
                "certificates": url("certificates-list"),
                "payments": url("payments-list"),
                "invoices": url("invoices-list"),
                "admin_dashboard": url("admin-dashboard"),
                "admin_notifications": url("admin-notifications-list"),
                "schema": url("schema"),
                "docs": url("docs"),
            },
        }
    )
