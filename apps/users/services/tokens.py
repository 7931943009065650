"""JWT sessions: issue, rotate with reuse detection, revoke.

A session (models.Session) is one login. Its refresh tokens rotate: each refresh answers a new
pair and the old refresh token stops working. Presenting an already-rotated refresh token again is
a sign that it was stolen, so the whole session is revoked, except within a short grace period
(SESSION_REFRESH_GRACE_SECONDS) after the rotation, where it gets the session's current tokens:
two browser tabs refreshing at once must not sign the user out.
"""

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.audit import audit_record
from apps.core.errors import AuthenticationError, NotFoundError
from apps.core.permissions import TWO_FACTOR_CLAIM

from ..error_codes import UserErrorCode
from ..models import Session, TwoFactorChallenge, User

security_logger = logging.getLogger("security")

SESSION_CLAIM = "sid"


def token_error(message: str = "Token is invalid or expired.") -> AuthenticationError:
    return AuthenticationError(message, UserErrorCode.TOKEN_NOT_VALID)


def _encode(*, session: Session, jti: str | None = None, exp: datetime | None = None) -> tuple[str, str]:
    """A refresh token for the session (a new one, or the current one re-encoded) and its access token."""
    refresh = RefreshToken.for_user(session.user)
    refresh[SESSION_CLAIM] = str(session.pk)
    if session.two_factor:
        refresh[TWO_FACTOR_CLAIM] = True
    if jti is not None:
        refresh["jti"] = jti
    if exp is not None:
        refresh["exp"] = int(exp.timestamp())
    return str(refresh.access_token), str(refresh)


def _payload(raw: str) -> dict[str, Any]:
    try:
        # Signature, expiry and token type ("refresh"); session state is checked by the caller.
        return RefreshToken(raw).payload
    except TokenError as exc:
        raise token_error() from exc


def session_start(*, user: User, ip: str | None, user_agent: str, two_factor: bool) -> tuple[str, str]:
    """A new session for a complete login; returns (access, refresh)."""
    now = timezone.now()
    session = Session(
        user=user,
        ip_address=ip,
        user_agent=user_agent[:512],
        two_factor=two_factor,
        last_used_at=now,
        expires_at=now + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
        refresh_jti="pending",
    )
    access, refresh = _encode(session=session)
    session.refresh_jti = RefreshToken(refresh, verify=False)["jti"]
    session.save()
    return access, refresh


def tokens_refresh(*, refresh: str, ip: str | None = None, user_agent: str = "") -> dict[str, str]:
    """Rotate a refresh token (row lock on the session: concurrent uses resolve one by one)."""
    payload = _payload(refresh)
    jti, now = payload.get("jti"), timezone.now()
    reuse_detected = False
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=payload.get(SESSION_CLAIM), user_id=payload.get("user_id"))
            .first()
        )
        if session is None or not session.is_active or not session.user.is_active:
            raise token_error()
        if jti == session.refresh_jti:
            access, new_refresh = _encode(session=session)
            session.previous_refresh_jti, session.refresh_jti = jti, RefreshToken(new_refresh, verify=False)["jti"]
            session.rotated_at = session.last_used_at = now
            session.expires_at = now + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
            session.ip_address, session.user_agent = ip or session.ip_address, (user_agent or session.user_agent)[:512]
            session.save()
            return {"access": access, "refresh": new_refresh}
        within_grace = (
            jti == session.previous_refresh_jti
            and session.rotated_at is not None
            and (now - session.rotated_at).total_seconds() <= settings.SESSION_REFRESH_GRACE_SECONDS
        )
        if within_grace:
            access, current = _encode(session=session, jti=session.refresh_jti, exp=session.expires_at)
            return {"access": access, "refresh": current}
        session.revoked_at = now
        session.save(update_fields=["revoked_at"])
        audit_record(
            action="session.revoked",
            actor=session.user,
            target=session.user,
            details={"session": str(session.pk), "reason": "refresh_token_reuse"},
        )
        reuse_detected = True
    if reuse_detected:
        security_logger.warning("Refresh token reuse: session %s of user %s revoked", session.pk, session.user_id)
    raise token_error()


def _revoke(sessions) -> int:
    return sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def session_revoke_by_refresh(*, refresh: str, user: Any = None) -> None:
    """Logout: end the session of this refresh token. A logged-in caller may only end their own."""
    payload = _payload(refresh)
    if user is not None and user.is_authenticated and str(payload.get("user_id")) != str(user.pk):
        raise token_error("This refresh token does not belong to you.")
    session = Session.objects.filter(
        pk=payload.get(SESSION_CLAIM), user_id=payload.get("user_id"), refresh_jti=payload.get("jti")
    ).first()
    if session is None or not session.is_active:
        raise token_error()
    _revoke(Session.objects.filter(pk=session.pk))
    audit_record(action="auth.logout", actor=session.user, target=session.user, details={"session": str(session.pk)})
    security_logger.info("Logout for user %s", session.user_id)


def session_revoke(*, user: User, session_id: Any, actor: Any = None) -> None:
    """Revoke one of the user's own sessions (404 for anyone else's); staff pass themselves as actor."""
    session = Session.objects.filter(pk=session_id, user=user, revoked_at__isnull=True).first()
    if session is None:
        raise NotFoundError("No such active session.")
    _revoke(Session.objects.filter(pk=session.pk))
    audit_record(action="session.revoked", actor=actor or user, target=user, details={"session": str(session.pk)})


def sessions_revoke_all(*, user: User, reason: str) -> int:
    """End every session of the user (their access tokens stop working at once), and every
    half-finished 2FA login."""
    count = _revoke(Session.objects.filter(user=user))
    TwoFactorChallenge.objects.filter(user=user, used_at__isnull=True).delete()
    security_logger.info("Revoked %s session(s) of user %s (%s)", count, user.pk, reason)
    return count


def sessions_active(*, user: User):
    return Session.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())
