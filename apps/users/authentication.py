from django.core.exceptions import ValidationError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from apps.core.request_context import user_id_var

from .models import Session
from .services.tokens import SESSION_CLAIM


class SessionJWTAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, honoured only while their session is live.

    One query, as SimpleJWT's own lookup: the session with its user. Revoking a session (logout,
    logout_all, password change, lockout, deactivation) ends its access tokens at once.
    """

    def get_user(self, validated_token):
        session_id, user_id = validated_token.get(SESSION_CLAIM), validated_token.get("user_id")
        if not session_id or not user_id:
            raise InvalidToken("Token contained no recognizable session.")
        try:
            session = Session.objects.select_related("user").filter(pk=session_id, user_id=user_id).first()
        except (ValidationError, ValueError) as exc:
            raise InvalidToken("Token contained no recognizable session.") from exc
        if session is None or not session.is_active:
            raise AuthenticationFailed("This session has ended. Log in again.", code="session_revoked")
        if not session.user.is_active:
            raise AuthenticationFailed("User is inactive.", code="user_inactive")
        user_id_var.set(str(session.user_id))  # for log lines of this request (SystemLog)
        return session.user
