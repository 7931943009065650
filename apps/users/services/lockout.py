"""Account lockout: after LOCKOUT_THRESHOLD consecutive failures, no login for LOCKOUT_DURATION.

Every password check first reserves a failure slot atomically (a row lock on the user, or an
atomic cache increment for e-mails without an account), so however many requests race, at most
LOCKOUT_THRESHOLD of them reach a password check before the lock. A correct password gives its
slot back; only a complete login (password and, where enabled, 2FA) resets the count.

E-mails without an account are counted and locked the same way, keyed by the normalised e-mail in
the cache, so neither the 401 nor the lockout answer tells which accounts exist.
"""

import hashlib
import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError, PermissionDeniedError

from ..error_codes import UserErrorCode
from ..models import User
from .links import action_link

security_logger = logging.getLogger("security")

_UNLOCK_SALT = "users.unlock_account"


class AccountLockedError(PermissionDeniedError):
    def __init__(self, retry_after: int) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(
            "This account is locked after too many failed login attempts. Try again later, or use "
            "the unlock link we e-mailed to the account's address.",
            UserErrorCode.ACCOUNT_LOCKED,
            extra={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def _seconds_until(moment) -> int:
    return math.ceil((moment - timezone.now()).total_seconds())


def _cache_keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"lockout:count:{digest}", f"lockout:until:{digest}"


# --- accounts that exist: the user row is the counter ------------------------------------------
def lockout_reserve(*, user: User) -> None:
    """Take one failure slot before a password or code check, or raise AccountLockedError."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if locked.account_locked_until and locked.account_locked_until > now:
            raise_after = locked.account_locked_until
        else:
            if locked.account_locked_until:  # an expired lock: start counting afresh
                locked.failed_login_attempts = 0
                locked.account_locked_until = None
            if locked.failed_login_attempts >= settings.LOCKOUT_THRESHOLD:
                # Slots are used up by checks still in flight: this request is refused outright.
                _lock(locked)
                raise_after = locked.account_locked_until
            else:
                locked.failed_login_attempts += 1
                locked.save(update_fields=["failed_login_attempts", "account_locked_until"])
                raise_after = None
    if raise_after is not None:
        raise AccountLockedError(_seconds_until(raise_after))
    user.failed_login_attempts = locked.failed_login_attempts


def lockout_release(*, user: User) -> None:
    """A correct password gives back the slot it reserved (without resetting earlier failures)."""
    User.objects.filter(pk=user.pk, failed_login_attempts__gt=0).update(
        failed_login_attempts=F("failed_login_attempts") - 1
    )


def lockout_fail(*, user: User) -> None:
    """Record that a reserved check failed; the failure that reaches the threshold locks."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.failed_login_attempts >= settings.LOCKOUT_THRESHOLD and not locked.account_locked_until:
            _lock(locked)


def lockout_reset(*, user: User) -> None:
    """A complete login: the count of consecutive failures starts again from zero."""
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, account_locked_until=None)
    user.failed_login_attempts = 0
    user.account_locked_until = None


def _lock(user: User) -> None:
    """Lock the (row-locked) user now, tell them by e-mail with an unlock link, and audit it."""
    from .tokens import sessions_revoke_all

    user.account_locked_until = timezone.now() + timedelta(seconds=settings.LOCKOUT_DURATION_SECONDS)
    user.save(update_fields=["failed_login_attempts", "account_locked_until", "updated_at"])
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
    security_logger.warning("Account %s locked after %s failed logins", user.pk, user.failed_login_attempts)


# --- e-mails without an account: the cache is the counter --------------------------------------
def lockout_reserve_unknown(*, email: str) -> None:
    count_key, until_key = _cache_keys(email)
    until = cache.get(until_key)
    if until is not None and until > time.time():
        raise AccountLockedError(until - time.time())
    cache.add(count_key, 0, timeout=settings.LOCKOUT_DURATION_SECONDS)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the key expired between add and incr
        cache.add(count_key, 1, timeout=settings.LOCKOUT_DURATION_SECONDS)
        count = 1
    if count is not None and count > settings.LOCKOUT_THRESHOLD:
        raise AccountLockedError(_lock_unknown(email))


def lockout_fail_unknown(*, email: str) -> None:
    count_key, _ = _cache_keys(email)
    count = cache.get(count_key) or 0
    if count >= settings.LOCKOUT_THRESHOLD:
        _lock_unknown(email)


def _lock_unknown(email: str) -> float:
    """Lock an e-mail without an account (once); return the seconds left."""
    count_key, until_key = _cache_keys(email)
    until = time.time() + settings.LOCKOUT_DURATION_SECONDS
    if not cache.add(until_key, until, timeout=settings.LOCKOUT_DURATION_SECONDS):
        until = cache.get(until_key) or until
    else:
        cache.delete(count_key)
    return until - time.time()


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
