"""Request ids, and the guarantee that every error answered under /api/ is JSON."""

import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError

from .exceptions import database_unavailable_response, json_error_response
from .http import client_ip
from .request_context import client_ip_var, request_id_var, user_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class RequestIDMiddleware:
    """Take a well-formed X-Request-ID from the proxy, or make one; echo it and log with it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request))
        user_token = user_id_var.set("")  # set by authentication (apps.users.authentication)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
            user_id_var.reset(user_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ApiErrorMiddleware:
    """Under /api/: unhandled exceptions become a logged 500 JSON body, and any error response
    that is not JSON (Django's 404 page, CSRF failure page, ...) is replaced by the JSON body.
    A lost database connection (PostgreSQL restarting, the pool timing out) is not a bug but an
    outage: 503 `service_unavailable` with Retry-After, so clients and nginx retry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            _is_api_path(request.path)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = json_error_response(response.status_code)
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not _is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            return json_error_response(413)
        if isinstance(exception, (OperationalError, InterfaceError)):
            return database_unavailable_response(request, exception)
        logger.exception("Unhandled error serving %s %s", request.method, request.path, extra={"request": request})
        return json_error_response(500)


# What the API reads: JSON, and forms (profile pictures, course thumbnails, the RFC 8058 post).
API_BODY_MEDIA_TYPES = {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ApiRequestBodyMiddleware:
    """Under /api/, the same answer for a body the API can't take, whether or not the view reads it.

    DRF only parses a body when a view asks for request.data, and reads JSON from the stream
    without Django's DATA_UPLOAD_MAX_MEMORY_SIZE check; so an action that ignores its body would
    accept any size and any Content-Type. Here a declared body over the limit is a 413 (multipart
    excepted: its files are streamed to disk and checked by their own fields), and a body in a
    media type the API never parses is a 415, unless the view says `accepts_any_body` (the RFC 8058
    one-click unsubscribe, posted by mail clients). Views keep their own, narrower parsers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not (_is_api_path(request.path) and request.method in BODY_METHODS):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        media_type = request.content_type or ""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit and media_type != "multipart/form-data":
            return json_error_response(413)
        if length > 0 and media_type not in API_BODY_MEDIA_TYPES and not _accepts_any_body(view_func):
            return json_error_response(415)
        return None


def _accepts_any_body(view_func) -> bool:
    """A view (or one @action of it) that opted out of the media type check with accepts_any_body."""
    initkwargs = getattr(view_func, "initkwargs", None) or {}
    view_class = getattr(view_func, "cls", None)
    return bool(initkwargs.get("accepts_any_body", getattr(view_class, "accepts_any_body", False)))


API_CSP = "default-src 'none'; frame-ancestors 'none'"
# HTML pages (admin, API docs, account pages): our own origin only, no eval, no third-party hosts.
# Inline styles stay allowed (Swagger UI and the admin set style attributes); scripts do not.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: Content-Security-Policy and Permissions-Policy.

    (nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, HSTS come from SecurityMiddleware and
    X-Frame-Options from XFrameOptionsMiddleware, configured in settings.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            is_api_data = _is_api_path(request.path) and not request.path.startswith("/api/v1/docs/")
            response["Content-Security-Policy"] = API_CSP if is_api_data else PAGE_CSP
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
