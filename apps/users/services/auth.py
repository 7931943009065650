"""The single login path. API tokens, /users/login/, 2FA verification and the Django admin all
authenticate here, so lockout, 2FA and the login trail hold for every way in."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.errors import AuthenticationError

from ..error_codes import UserErrorCode
from ..models import LoginAttempt, LoginOutcome, User, normalize_email
from . import lockout, two_factor
from .tokens import session_start

security_logger = logging.getLogger("security")

# Checked for unknown e-mails so that a wrong address costs the same time as a wrong password.
_DUMMY_PASSWORD_HASH: str | None = None


def _dummy_password_check(password: str) -> None:
    global _DUMMY_PASSWORD_HASH
    if _DUMMY_PASSWORD_HASH is None:
        _DUMMY_PASSWORD_HASH = make_password("titanobova-timing-equaliser")
    User(password=_DUMMY_PASSWORD_HASH).check_password(password)


@dataclass(frozen=True)
class LoginResult:
    user: User
    access: str
    refresh: str


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""


class TwoFactorRequiredError(AuthenticationError):
    def __init__(self, challenge_token: str) -> None:
        super().__init__(
            "Enter the code from your authenticator app (or a backup code) to finish logging in.",
            UserErrorCode.TWO_FACTOR_REQUIRED,
            extra={
                "challenge_token": challenge_token,
                "challenge_expires_in": settings.TWO_FACTOR_CHALLENGE_TTL_SECONDS,
            },
        )


def invalid_credentials() -> AuthenticationError:
    # One answer for an unknown e-mail, a wrong password and an inactive account.
    return AuthenticationError("No active account found with the given credentials.", UserErrorCode.INVALID_CREDENTIALS)


def invalid_code() -> AuthenticationError:
    return AuthenticationError(
        "The code is not valid. Enter the current code from your authenticator app, or an unused backup code.",
        UserErrorCode.INVALID_TWO_FACTOR_CODE,
    )


def _trail(*, email: str, user: User | None, outcome: str, client: ClientInfo) -> None:
    LoginAttempt.objects.create(
        email=email[:254], user=user, outcome=outcome, ip_address=client.ip, user_agent=client.user_agent[:512]
    )


def auth_authenticate(
    *, email: str, password: str, code: str | None, client: ClientInfo, allow_challenge: bool = True
) -> tuple[User, bool]:
    """Check password (and 2FA code when the account has 2FA) under the lockout rules.

    Returns (user, passed_two_factor). Raises AccountLockedError (403), invalid credentials (401),
    TwoFactorRequiredError (401, with a challenge token) or an invalid-code error (401).
    """
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()

    if user is None:
        try:
            lockout.lockout_reserve_unknown(email=email)
        except lockout.AccountLockedError:
            _trail(email=email, user=None, outcome=LoginOutcome.LOCKED, client=client)
            raise
        _dummy_password_check(password)
        lockout.lockout_fail_unknown(email=email)
        _trail(email=email, user=None, outcome=LoginOutcome.UNKNOWN_ACCOUNT, client=client)
        security_logger.info("Login failed: unknown account")
        raise invalid_credentials()

    try:
        lockout.lockout_reserve(user=user)
    except lockout.AccountLockedError:
        _trail(email=email, user=user, outcome=LoginOutcome.LOCKED, client=client)
        security_logger.info("Login refused: account %s is locked", user.pk)
        raise
    if not user.check_password(password) or not user.is_active:
        lockout.lockout_fail(user=user)
        outcome = LoginOutcome.BAD_PASSWORD if user.is_active else LoginOutcome.INACTIVE
        _trail(email=email, user=user, outcome=outcome, client=client)
        security_logger.info("Login failed for user %s", user.pk)
        raise invalid_credentials()
    lockout.lockout_release(user=user)

    if not two_factor.user_has_two_factor(user):
        return user, False
    if not code:
        _trail(email=email, user=user, outcome=LoginOutcome.TWO_FACTOR_REQUIRED, client=client)
        if not allow_challenge:
            raise invalid_code()
        raise TwoFactorRequiredError(two_factor.challenge_create(user=user, ip=client.ip))
    _check_second_factor(user=user, code=code, client=client)
    return user, True


def _check_second_factor(*, user: User, code: str, client: ClientInfo) -> None:
    """A wrong code counts towards the lockout like a wrong password."""
    try:
        accepted = lockout.lockout_guarded_check(
            user=user, check=lambda: two_factor.two_factor_verify_code(user=user, code=code) is not None
        )
    except lockout.AccountLockedError:
        _trail(email=user.email, user=user, outcome=LoginOutcome.LOCKED, client=client)
        raise
    if not accepted:
        _trail(email=user.email, user=user, outcome=LoginOutcome.TWO_FACTOR_FAILED, client=client)
        security_logger.info("2FA code refused for user %s", user.pk)
        raise invalid_code()


def auth_record_not_allowed(*, user: User, client: ClientInfo) -> None:
    """Right credentials, wrong place (a student at the Django admin login)."""
    _trail(email=user.email, user=user, outcome=LoginOutcome.NOT_ALLOWED, client=client)


def auth_record_success(*, user: User, client: ClientInfo) -> None:
    """A complete login (any way in): reset the lockout count, keep last login and the trail."""
    lockout.lockout_reset(user=user)
    user.last_login = timezone.now()
    user.last_login_ip = client.ip
    User.objects.filter(pk=user.pk).update(last_login=user.last_login, last_login_ip=client.ip)
    _trail(email=user.email, user=user, outcome=LoginOutcome.SUCCESS, client=client)
    audit_record(action="auth.login", actor=user, target=user, ip=client.ip)


def _complete_login(*, user: User, client: ClientInfo, two_factor_passed: bool) -> LoginResult:
    auth_record_success(user=user, client=client)
    access, refresh = session_start(user=user, ip=client.ip, user_agent=client.user_agent, two_factor=two_factor_passed)
    security_logger.info("Login succeeded for user %s", user.pk)
    return LoginResult(user=user, access=access, refresh=refresh)


def auth_login(*, email: str, password: str, client: ClientInfo, code: str | None = None) -> LoginResult:
    user, two_factor_passed = auth_authenticate(email=email, password=password, code=code, client=client)
    return _complete_login(user=user, client=client, two_factor_passed=two_factor_passed)


def auth_verify_two_factor(*, challenge_token: str, code: str, client: ClientInfo) -> LoginResult:
    """Second step of a 2FA login. After TWO_FACTOR_CHALLENGE_MAX_FAILURES wrong codes the
    challenge is dead and the person starts again with the password."""
    error: Exception | None = None
    with transaction.atomic():
        try:
            challenge = two_factor.challenge_load(token=challenge_token)
        except two_factor.InvalidChallengeError as exc:
            error, user = exc, exc.user
        else:
            user = challenge.user
            try:
                _check_second_factor(user=user, code=code, client=client)
            except (AuthenticationError, lockout.AccountLockedError) as exc:
                # Caught inside the transaction so the failure counts are committed, then re-raised.
                challenge.failed_attempts += 1
                challenge.save(update_fields=["failed_attempts"])
                error = exc
            else:
                challenge.used_at = timezone.now()
                challenge.save(update_fields=["used_at"])
    if isinstance(error, two_factor.InvalidChallengeError):
        _trail(email=getattr(user, "email", ""), user=user, outcome=LoginOutcome.TWO_FACTOR_FAILED, client=client)
    if error is not None:
        raise error
    return _complete_login(user=user, client=client, two_factor_passed=True)
