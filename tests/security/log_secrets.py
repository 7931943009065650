"""Nothing secret in the logs: a pytest plugin (loaded by the root conftest.py) that records every
secret the test run makes and, when the run ends, fails it if one of them appears in LOG_DIR.

Secrets are caught where they are made, so that no test has to remember to register them:
passwords when a hasher sees them, JWTs when they are encoded, signed tokens (2FA challenges,
e-mail verification, unlock and newsletter links) when they are signed, password-reset tokens,
TOTP secrets when pyotp is handed one, backup codes when they are generated; and, through the
test clients, every password sent and every token, secret or code answered.

Only what the log files gained during this run is scanned (LOG_DIR keeps earlier runs' lines).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from pathlib import Path

import pytest
from django.http.response import HttpResponseBase

# Shorter strings than this are too likely to occur in a log by chance ("admin", a 6-digit code).
MIN_SECRET_LENGTH = 8
# A lone lower-case word typed into a password field is no secret: the fuzzer fills those fields
# with words from the schema ("anonymous", "enrollment"), which are in every log line about those
# URLs. Tokens, TOTP secrets and backup codes the system makes always count.
PLAIN_WORD = re.compile(r"[a-z_-]{1,15}")
SECRET_RESPONSE_KEYS = {"access", "refresh", "challenge_token", "secret", "backup_codes", "token", "otpauth_url"}
SECRET_REQUEST_KEY_PARTS = ("password", "token", "refresh", "secret")


class SecretRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secrets: dict[str, str] = {}  # secret -> what it is

    def add(self, value, kind: str, *, typed: bool = False) -> None:
        """`typed`: a value someone typed (a password checked, a field a client sent), which the
        fuzzer fills with plain words too; what the system makes (tokens, codes) always counts."""
        if isinstance(value, (list, tuple)):
            for item in value:
                self.add(item, kind, typed=typed)
            return
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        if typed and PLAIN_WORD.fullmatch(value):
            return
        with self._lock:
            self.secrets.setdefault(value, kind)

    def add_from_mapping(self, data, keys_match, kind: str, *, typed: bool = False) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, (dict, list)) and not (keys_match(str(key)) and isinstance(value, list)):
                    self.add_from_mapping(value, keys_match, kind, typed=typed)
                elif keys_match(str(key)):
                    self.add(value, f"{kind} {key}", typed=typed)
        elif isinstance(data, list):
            for item in data:
                self.add_from_mapping(item, keys_match, kind, typed=typed)


registry = SecretRegistry()
_log_offsets: dict[Path, int] = {}


def _wrap(owner, name: str, record) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        with contextlib.suppress(Exception):  # recording must never change what the code under test does
            record(result, *args, **kwargs)
        return result

    wrapper.__wrapped__ = original
    setattr(owner, name, wrapper)


def _install_collectors() -> None:
    import pyotp
    from django.contrib.auth import hashers
    from django.contrib.auth.tokens import PasswordResetTokenGenerator
    from django.core import signing
    from django.test.client import RequestFactory
    from rest_framework_simplejwt.tokens import Token

    from apps.users import hashers as app_hashers
    from apps.users.services import two_factor

    # Every password hashed or checked passes through a hasher's encode or verify.
    def record_password(result, self, password, *args, **kwargs):
        registry.add(password, "password", typed=True)

    classes = {hashers.BasePasswordHasher, *_subclasses(hashers.BasePasswordHasher)}
    assert app_hashers.TunedArgon2PasswordHasher in classes
    for hasher in classes:
        for method in ("encode", "verify"):
            if method in vars(hasher):
                _wrap(hasher, method, record_password)
    _wrap(Token, "__str__", lambda result, *a, **k: registry.add(result, "JWT"))
    _wrap(signing, "dumps", lambda result, *a, **k: registry.add(result, "signed token"))
    _wrap(PasswordResetTokenGenerator, "make_token", lambda result, *a, **k: registry.add(result, "reset token"))
    _wrap(
        pyotp.TOTP,
        "__init__",
        lambda result, self, s, *a, **k: registry.add(s, "TOTP secret"),
    )
    _wrap(two_factor, "_new_backup_codes", lambda result, *a, **k: registry.add(result, "backup code"))
    # RequestFactory.generic is where every test-client request passes with its encoded body; on
    # a Client it returns the response.
    _wrap(RequestFactory, "generic", _record_exchange)


def _subclasses(cls) -> set:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _record_exchange(response, factory, method, path, data="", content_type="application/octet-stream", **extra):
    raw = data.encode() if isinstance(data, str) else data
    if raw and "json" in str(content_type):
        try:
            sent = json.loads(raw)
        except ValueError:
            sent = None
        registry.add_from_mapping(
            sent, lambda key: any(part in key.lower() for part in SECRET_REQUEST_KEY_PARTS), "sent", typed=True
        )
    headers = {**(getattr(factory, "_credentials", None) or {}), **extra}
    auth = str(headers.get("HTTP_AUTHORIZATION", ""))
    if auth.startswith("Bearer "):
        registry.add(auth[len("Bearer ") :], "bearer token")
    if not isinstance(response, HttpResponseBase) or getattr(response, "streaming", False):
        return
    if "json" in response.get("Content-Type", ""):
        try:
            answered = json.loads(response.content)
        except ValueError:
            return
        registry.add_from_mapping(answered, lambda key: key in SECRET_RESPONSE_KEYS, "answered")


def log_files() -> list[Path]:
    from django.conf import settings

    root = Path(settings.LOG_DIR)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


def new_log_text(path: Path) -> str:
    """What `path` gained since the run started (all of it if it is new or was rotated)."""
    start = _log_offsets.get(path, 0)
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(start if start <= size else 0)
        return handle.read().decode("utf-8", "replace")


def secrets_in_logs() -> list[str]:
    """Every recorded secret found in this run's log lines, as "file: kind (prefix...)"."""
    import logging

    for handler in logging.getLogger().handlers:
        handler.flush()
    with registry._lock:
        secrets = dict(registry.secrets)
    # Index the secrets by their first 8 characters, then look at every 8-character window of
    # the logs once: linear in the log size, whatever the number of secrets.
    by_prefix: dict[str, list[str]] = {}
    for secret in secrets:
        by_prefix.setdefault(secret[:MIN_SECRET_LENGTH], []).append(secret)
    found = []
    for path in log_files():
        text = new_log_text(path)
        if not text:
            continue
        seen = set()
        for index in range(len(text) - MIN_SECRET_LENGTH + 1):
            candidates = by_prefix.get(text[index : index + MIN_SECRET_LENGTH])
            if not candidates:
                continue
            for secret in candidates:
                if secret not in seen and text.startswith(secret, index):
                    seen.add(secret)
                    found.append(f"{path}: {secrets[secret]} ({secret[:4]}...)")
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session) -> None:
    for path in log_files():
        _log_offsets[path] = path.stat().st_size
    _install_collectors()


def pytest_sessionfinish(session, exitstatus) -> None:
    from django.conf import settings

    if not getattr(settings, "LOG_TO_FILES", False):
        return
    offenders = secrets_in_logs()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if offenders:
        if reporter:
            reporter.write_sep("=", "secrets found in the logs", red=True)
            for line in offenders:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter:
        reporter.write_line(f"log scan: {len(registry.secrets)} secrets recorded, none in {settings.LOG_DIR}")
