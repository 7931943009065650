"""Logging filters: the request id on every line, and no secret or forged line in any log."""

import logging
import re

from .request_context import get_request_id

_REDACTIONS = [
    # JSON Web Tokens (access, refresh, 2FA challenge tokens).
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[redacted-token]"),
    # key=value or "key": "value" pairs whose key names a secret.
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|new_password|old_password|secret|token|refresh|access|code|"
            r"challenge_token|backup_codes?|otp|totp_secret|api_key|authorization)[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|\[[^\]]*\]|[^\s,&}]+)"
        ),
        r"\1[redacted]",
    ),
    # Card numbers: 13 to 19 digits, optionally grouped by spaces or dashes.
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[redacted-number]"),
]


def redact(text: str) -> str:
    """Mask tokens, secrets and card numbers in a piece of text (line breaks are kept)."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RequestIDFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs after the middleware finished; its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or get_request_id()
        return True


class RedactSecretsFilter(logging.Filter):
    """Mask secrets and escape line breaks so user text can't forge a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the log line
            message = str(record.msg)
        message = redact(message).replace("\r", "\\r").replace("\n", "\\n")
        record.msg = message
        record.args = None
        return True
