"""Request ids, and the guarantee that every error answered under /api/ is JSON."""

import logging
import re
import uuid

from django.core.exceptions import RequestDataTooBig

from .exceptions import json_error_response
from .http import client_ip
from .request_context import client_ip_var, request_id_var

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
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ApiErrorMiddleware:
    """Under /api/: unhandled exceptions become a logged 500 JSON body, and any error response
    that is not JSON (Django's 404 page, CSRF failure page, ...) is replaced by the JSON body."""

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
        logger.exception("Unhandled error serving %s %s", request.method, request.path)
        return json_error_response(500)
