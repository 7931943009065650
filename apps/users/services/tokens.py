"""JWT sessions: issue, rotate, revoke."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import AuthenticationError
from apps.core.permissions import TWO_FACTOR_CLAIM

from ..error_codes import UserErrorCode
from ..models import User

security_logger = logging.getLogger("security")


def tokens_issue(*, user: User, two_factor: bool = False) -> tuple[str, str]:
    """A new session: a refresh token (recorded as outstanding) and its access token."""
    refresh = RefreshToken.for_user(user)
    if two_factor:
        refresh[TWO_FACTOR_CLAIM] = True
    return str(refresh.access_token), str(refresh)


def token_error(message: str = "Token is invalid or expired.") -> AuthenticationError:
    return AuthenticationError(message, UserErrorCode.TOKEN_NOT_VALID)


def refresh_token_parse(raw: str) -> RefreshToken:
    try:
        # Checks signature, expiry, token type and the blacklist.
        return RefreshToken(raw)
    except TokenError as exc:
        raise token_error() from exc


@transaction.atomic
def tokens_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the used one is blacklisted, presenting it again fails.

    The row lock on the outstanding token makes two concurrent uses of one token resolve to one
    success and one 401, instead of two new sessions.
    """
    token = refresh_token_parse(refresh)
    outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token.payload.get("jti")).first()
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise token_error()
    user = User.objects.filter(pk=token.payload.get("user_id"), is_active=True).first()
    if user is None:
        raise token_error()
    BlacklistedToken.objects.create(token=outstanding)
    access, new_refresh = tokens_issue(user=user, two_factor=bool(token.payload.get(TWO_FACTOR_CLAIM)))
    return {"access": access, "refresh": new_refresh}


def tokens_revoke(*, refresh: str, user: Any = None) -> None:
    """Blacklist one refresh token (logout). A logged-in caller may only end their own session."""
    token = refresh_token_parse(refresh)
    if user is not None and user.is_authenticated and str(token.payload.get("user_id")) != str(user.pk):
        raise token_error("This refresh token does not belong to you.")
    token.blacklist()
    security_logger.info("Logout for user %s", token.payload.get("user_id"))


def tokens_revoke_all(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user (password change or reset, lockout)."""
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    revoked = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(revoked, ignore_conflicts=True)
    return len(revoked)
