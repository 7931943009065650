"""The one error model of the application.

Services raise `ApplicationError` (or a subclass) with a stable snake_case `code`; the API's
exception handler (`apps.core.exceptions`) turns it into the JSON error body.
"""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    PARSE_ERROR = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    REQUEST_TOO_LARGE = "request_too_large"
    THROTTLED = "throttled"
    BAD_REQUEST = "bad_request"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"


class ApplicationError(Exception):
    """An expected failure: answered with `status` and a message a person can act on."""

    status_code = 400
    default_code = ErrorCode.BAD_REQUEST

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = str(code or self.default_code)
        if status is not None:
            self.status_code = status
        self.fields = fields
        self.extra = extra or {}
        self.headers = headers or {}


class NotFoundError(ApplicationError):
    status_code = 404
    default_code = ErrorCode.NOT_FOUND


class PermissionDeniedError(ApplicationError):
    status_code = 403
    default_code = ErrorCode.PERMISSION_DENIED


class AuthenticationError(ApplicationError):
    status_code = 401
    default_code = ErrorCode.AUTHENTICATION_FAILED
