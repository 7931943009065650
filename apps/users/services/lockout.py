"""Account lockout: after LOCKOUT_THRESHOLD consecutive failures, no login for LOCKOUT_DURATION.

Every password or 2FA-code check first reserves a failure slot under a row lock, so however many
requests race, at most LOCKOUT_THRESHOLD of them reach a check before the lock. A correct answer
gives its slot back; only a complete login resets the count. Failures count as consecutive while
each comes within LOCKOUT_DURATION of the previous one.

E-mails without an account are counted in LoginFailureCounter rows (keyed by a hash of the
normalised e-mail) by the very same code, so neither the 401 nor the lockout answer (status, body,
Retry-After) tells which accounts exist. Both live in the database: a Redis outage changes nothing.
"""

import hashlib
import logging
import math
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.signals import staff_notification

from ..error_codes import UserErrorCode
from ..models import LoginFailureCounter, User
from .links import action_link

security_logger = logging.getLogger("security")

_UNLOCK_SALT = "users.unlock_account"


class AccountLockedError(PermissionDeniedError):
    def __init__(self, locked_until) -> None:
        retry_after = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        super().__init__(
            "This account is locked after too many failed login attempts. Try again later, or use "
            "the unlock link we e-mailed to the account's address.",
            UserErrorCode.ACCOUNT_LOCKED,
            extra={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def _window() -> timedelta:
    return timedelta(seconds=settings.LOCKOUT_DURATION_SECONDS)


# --- the rules, on any row with failed_login_attempts / last_failed_login_at / account_locked_until -
def _reserve(row: models.Model, on_lock: Callable[[models.Model], None]) -> None:
    """On a row-locked counter: take one failure slot, or raise AccountLockedError."""
    now = timezone.now()
    if row.account_locked_until and row.account_locked_until > now:
        raise AccountLockedError(row.account_locked_until)
    stale = row.last_failed_login_at is None or now - row.last_failed_login_at > _window()
    if row.account_locked_until or (stale and row.failed_login_attempts):
        row.failed_login_attempts, row.account_locked_until = 0, None  # a lock or a streak that ended
    if row.failed_login_attempts >= settings.LOCKOUT_THRESHOLD:
        # Every slot is taken by checks still in flight: this request is refused outright.
        _lock(row, on_lock)
    else:
        row.failed_login_attempts += 1
        row.last_failed_login_at = now
        row.save(update_fields=["failed_login_attempts", "last_failed_login_at", "account_locked_until"])
    if row.account_locked_until:
        raise AccountLockedError(row.account_locked_until)


def _fail(row: models.Model, on_lock: Callable[[models.Model], None]) -> None:
    """On a row-locked counter: a reserved check failed; the failure that reaches the threshold locks."""
    row.last_failed_login_at = timezone.now()
    if row.failed_login_attempts >= settings.LOCKOUT_THRESHOLD and not row.account_locked_until:
        _lock(row, on_lock)
    else:
        row.save(update_fields=["last_failed_login_at"])


def _lock(row: models.Model, on_lock: Callable[[models.Model], None]) -> None:
    row.account_locked_until = timezone.now() + _window()
    row.save(update_fields=["failed_login_attempts", "last_failed_login_at", "account_locked_until"])
    on_lock(row)


# --- accounts that exist ------------------------------------------------------------------------
def _user_locked(user: User) -> None:
    """Tell the user by e-mail with an unlock link, end their sessions, and audit it."""
    from .tokens import sessions_revoke_all

    sessions_revoke_all(user=user, reason="lockout")
    token = signing.dumps({"uid": str(user.pk), "until": user.account_locked_until.timestamp()}, salt=_UNLOCK_SALT)
    email_send(
        to=user.email,
        template="account_locked",
        context={
            "first_name": user.first_name,
            "link": action_link(frontend_path="/unlock-account", app_url_name="account-unlock", token=token),
            "minutes": settings.LOCKOUT_DURATION_SECONDS // 60,
        },
    )
    audit_record(action="account.locked", target=user, details={"failed_attempts": user.failed_login_attempts})
    if user.is_staff_member:  # someone may be guessing a staff password: the others should know
        staff_notification.send(
            sender=User,
            kind="staff_account_locked",
            title=f"Staff account locked: {user.email}",
            body=f"Locked after {user.failed_login_attempts} failed login attempts.",
            link=reverse("admin:users_user_change", args=[user.pk]),
        )
    security_logger.warning("Account %s locked after %s failed checks", user.pk, user.failed_login_attempts)


def _on_user_row(user: User, rule: Callable) -> None:
    # The rule's own failures are committed before AccountLockedError leaves this function, also
    # inside an outer transaction (the savepoint is released, not rolled back).
    error = None
    with transaction.atomic():
        row = User.objects.select_for_update().get(pk=user.pk)
        try:
            rule(row, _user_locked)
        except AccountLockedError as exc:
            error = exc
    user.failed_login_attempts, user.account_locked_until = row.failed_login_attempts, row.account_locked_until
    if error is not None:
        raise error


def lockout_reserve(*, user: User) -> None:
    """Take one failure slot before a password or code check, or raise AccountLockedError."""
    _on_user_row(user, _reserve)


def lockout_fail(*, user: User) -> None:
    _on_user_row(user, _fail)


def lockout_release(*, user: User) -> None:
    """A correct answer gives back the slot it reserved (without resetting earlier failures)."""
    User.objects.filter(pk=user.pk, failed_login_attempts__gt=0).update(
        failed_login_attempts=F("failed_login_attempts") - 1
    )


def lockout_reset(*, user: User) -> None:
    """A complete login: the count of consecutive failures starts again from zero."""
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, account_locked_until=None)
    user.failed_login_attempts = 0
    user.account_locked_until = None


def lockout_guarded_check(*, user: User, check: Callable[[], bool]) -> bool:
    """Run one secret check (password, 2FA code) under the lockout: it counts like a login."""
    lockout_reserve(user=user)
    if check():
        lockout_release(user=user)
        return True
    lockout_fail(user=user)
    return False


# --- e-mails without an account -----------------------------------------------------------------
def _on_unknown_row(email: str, rule: Callable) -> None:
    email_hash = hashlib.sha256(email.encode()).hexdigest()
    error = None
    with transaction.atomic():
        LoginFailureCounter.objects.get_or_create(email_hash=email_hash)
        row = LoginFailureCounter.objects.select_for_update().get(email_hash=email_hash)
        try:
            rule(row, lambda _row: None)
        except AccountLockedError as exc:
            error = exc
    if error is not None:
        raise error


def lockout_reserve_unknown(*, email: str) -> None:
    _on_unknown_row(email, _reserve)


def lockout_fail_unknown(*, email: str) -> None:
    _on_unknown_row(email, _fail)


def lockout_counters_purge() -> int:
    """Forget counters of unknown e-mails whose last failure is older than the lockout window."""
    deleted, _ = LoginFailureCounter.objects.filter(last_failed_login_at__lt=timezone.now() - _window()).delete()
    return deleted


# --- unlocking --------------------------------------------------------------------------------
@transaction.atomic
def user_unlock_with_token(*, token: str) -> User:
    """The e-mailed link: works once, and only for the lock it was sent for."""
    invalid = ApplicationError("This unlock link is invalid, used or expired.", UserErrorCode.INVALID_TOKEN)
    try:
        data = signing.loads(token, salt=_UNLOCK_SALT, max_age=settings.LOCKOUT_DURATION_SECONDS)
    except signing.BadSignature as exc:
        raise invalid from exc
    user = User.objects.select_for_update().filter(pk=data.get("uid")).first()
    if (
        user is None
        or user.account_locked_until is None
        or abs(user.account_locked_until.timestamp() - float(data.get("until", 0))) > 0.001
    ):
        raise invalid
    _unlock(user)
    audit_record(action="account.unlocked", target=user, details={"by": "email_link"})
    return user


@transaction.atomic
def user_unlock_by_staff(*, user: User, actor: User) -> None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    _unlock(locked)
    audit_record(action="account.unlocked", actor=actor, target=locked, details={"by": "staff"})


def _unlock(user: User) -> None:
    user.failed_login_attempts = 0
    user.account_locked_until = None
    user.save(update_fields=["failed_login_attempts", "account_locked_until", "updated_at"])
    security_logger.warning("Account %s unlocked", user.pk)
