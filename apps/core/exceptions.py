"""Turn every error raised while serving /api/ into the API's one JSON error body.

    {"code": "<snake_case>", "detail": "<text>", "message": "<same text>",
     "fields": {"<field>": ["<message>", ...]}, "request_id": "<id>"}

`fields` appears on validation errors only; `message` is what the React website displays.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError, ErrorCode
from .request_context import get_request_id

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    400: (ErrorCode.BAD_REQUEST, "The request could not be understood."),
    401: (ErrorCode.NOT_AUTHENTICATED, "Authentication credentials were not provided."),
    403: (ErrorCode.PERMISSION_DENIED, "You do not have permission to perform this action."),
    404: (ErrorCode.NOT_FOUND, "Not found."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed."),
    413: (ErrorCode.REQUEST_TOO_LARGE, "The request body is too large."),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type."),
    429: (ErrorCode.THROTTLED, "Too many requests. Try again later."),
    500: (ErrorCode.SERVER_ERROR, "A server error occurred. It has been logged; please try again."),
    503: (ErrorCode.SERVICE_UNAVAILABLE, "The service is temporarily unavailable. Please try again."),
}


def error_body(
    code: str,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": str(code), "detail": str(message), "message": str(message)}
    if fields:
        body["fields"] = fields
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    body["request_id"] = get_request_id()
    return body


def error_body_for_status(status_code: int) -> dict[str, Any]:
    code, message = _STATUS_CODES.get(
        status_code, (ErrorCode.SERVER_ERROR if status_code >= 500 else ErrorCode.BAD_REQUEST, "Request failed.")
    )
    return error_body(code, message)


def json_error_response(status_code: int, body: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(body or error_body_for_status(status_code), status=status_code)


# Seconds a client is asked to wait when the database is unreachable: about what a PostgreSQL
# restart or a failover takes.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable_response(request, exc: Exception) -> JsonResponse:
    """503 for a database connection failure (OperationalError, InterfaceError).

    Logged as a warning without the traceback: the cause is the server, not this code, and an
    outage would otherwise log one traceback per request. psycopg's message names host, port and
    user but never the password; the log filters mask secrets anyway."""
    logger.warning(
        "Database unavailable serving %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    response = json_error_response(503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"field" or "parent.child": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten_fields(value, name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _validation_message(fields: dict[str, list[str]]) -> str:
    name, messages = next(iter(fields.items()))
    first = messages[0] if messages else "Invalid value."
    return first if name == "non_field_errors" else f"{name}: {first}"


def _validation_error_response(detail: Any, code: str | None = None) -> Response:
    fields = _flatten_fields(detail) or {"non_field_errors": ["Invalid input."]}
    body = error_body(code or ErrorCode.VALIDATION_ERROR, _validation_message(fields), fields=fields)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER: every expected failure becomes the JSON error body."""
    if isinstance(exc, ApplicationError):
        response = Response(
            error_body(exc.code, exc.message, fields=exc.fields, extra=exc.extra),
            status=exc.status_code,
        )
        for header, value in exc.headers.items():
            response[header] = value
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _validation_error_response(detail)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body_for_status(413), status=413)
    if isinstance(exc, TooManyFieldsSent):
        return Response(error_body(ErrorCode.BAD_REQUEST, "Too many fields in the request."), status=400)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected exception: ApiErrorMiddleware logs it and answers 500 JSON

    if isinstance(exc, drf_exceptions.ValidationError):
        codes = exc.get_codes()
        custom = codes if isinstance(codes, str) else None
        validation = _validation_error_response(exc.detail, custom)
        validation.status_code = response.status_code
        return validation

    detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else None
    code = getattr(detail, "code", None) or getattr(exc, "default_code", None) or ErrorCode.BAD_REQUEST
    message: Any = detail
    if isinstance(detail, dict):
        # SimpleJWT's InvalidToken carries {"detail": ..., "code": ..., "messages": [...]}.
        code = detail.get("code", code)
        message = detail.get("detail", "Invalid request.")
    elif isinstance(detail, list):
        message = " ".join(str(item) for item in detail)
    extra = None
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        extra = {"retry_after": int(exc.wait)}
    response.data = error_body(str(code), str(message), extra=extra)
    return response
