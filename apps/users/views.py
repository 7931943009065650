"""HTTP for accounts: parse, call one service, serialise."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.audit import audit_record
from apps.core.http import client_ip, user_agent

from . import serializers as s
from . import services


def _message(text: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"detail": text, "message": text}, status=status_code)


def public_action(*, throttle_scope: str):
    """A POST action for anonymous callers (no token read, so a stale one can't get in the way)."""
    return action(
        detail=False,
        methods=["post"],
        permission_classes=[AllowAny],
        authentication_classes=[],
        throttle_scope=throttle_scope,
    )


ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")


def _client(request: Request) -> services.ClientInfo:
    return services.ClientInfo(ip=client_ip(request), user_agent=user_agent(request))


def _login(request: Request) -> services.LoginResult:
    serializer = s.TokenObtainSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return services.auth_login(
        email=serializer.validated_data["login"],
        password=serializer.validated_data["password"],
        code=serializer.validated_data.get("code") or None,
        client=_client(request),
    )


LOGIN_RESPONSES = {
    400: ERROR,
    401: OpenApiResponse(
        s.TwoFactorChallengeSerializer,
        description="Wrong credentials (`invalid_credentials`), or the password was right and the account has "
        "2FA (`two_factor_required` with a `challenge_token` for `users/verify_2fa/`).",
    ),
    403: OpenApiResponse(description="`account_locked`, with a Retry-After header"),
    429: ERROR,
}


class TokenObtainView(APIView):
    """Log in with e-mail (as `username` or `email`) and password; get a JWT pair."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "login"

    @extend_schema(request=s.TokenObtainSerializer, responses={200: s.TokenPairSerializer, **LOGIN_RESPONSES})
    def post(self, request: Request) -> Response:
        result = _login(request)
        return Response({"access": result.access, "refresh": result.refresh})


class TokenRefreshView(APIView):
    """Exchange a refresh token for a new pair. The used refresh token stops working."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RefreshTokenSerializer, responses={200: s.TokenPairSerializer, 400: ERROR, 401: ERROR})
    def post(self, request: Request) -> Response:
        serializer = s.RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = _client(request)
        return Response(
            services.tokens_refresh(
                refresh=serializer.validated_data["refresh"], ip=client.ip, user_agent=client.user_agent
            )
        )


class UserViewSet(viewsets.GenericViewSet):
    """Registration, login, profile and passwords under /api/v1/users/."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.UserProfileSerializer
    throttle_scope: str | None = None  # set per action: the stricter limits of apps.core.throttling

    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserProfileSerializer, 400: ERROR, 429: ERROR})
    @public_action(throttle_scope="register")
    def register(self, request: Request) -> Response:
        serializer = s.RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(
            s.UserProfileSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.TokenSerializer, responses={200: s.UserProfileSerializer, 400: ERROR})
    @public_action(throttle_scope="login")
    def verify_email(self, request: Request) -> Response:
        serializer = s.TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify_email(token=serializer.validated_data["token"])
        return Response(s.UserProfileSerializer(user, context={"request": request}).data)

    @extend_schema(
        request=s.OptionalEmailSerializer,
        responses={200: s.MessageSerializer, 400: ERROR},
        description="Logged in: a new link for the caller. Anonymous: `{email}`; the answer is the same "
        "whether or not an unverified account has that address.",
    )
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], throttle_scope="resend_verification")
    def resend_verification(self, request: Request) -> Response:
        if request.user.is_authenticated:
            services.user_send_verification_email(user=request.user)
        else:
            serializer = s.EmailSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.user_resend_verification(email=serializer.validated_data["email"])
        return _message("If the account exists and is not verified yet, a new verification link is on its way.")

    @extend_schema(request=s.TokenObtainSerializer, responses={200: s.LoginResponseSerializer, **LOGIN_RESPONSES})
    @public_action(throttle_scope="login")
    def login(self, request: Request) -> Response:
        result = _login(request)
        user = s.UserProfileSerializer(result.user, context={"request": request}).data
        return Response({"access": result.access, "refresh": result.refresh, "user": user})

    @extend_schema(request=s.RefreshTokenSerializer, responses={200: s.MessageSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny])
    def logout(self, request: Request) -> Response:
        serializer = s.RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_revoke_by_refresh(refresh=serializer.validated_data["refresh"], user=request.user)
        return _message("Logged out.")

    @extend_schema(request=None, responses={200: s.MessageSerializer, 401: ERROR})
    @action(detail=False, methods=["post"])
    def logout_all(self, request: Request) -> Response:
        """End every session of the caller, this one included; their access tokens stop at once."""
        count = services.sessions_revoke_all(user=request.user, reason="logout_all")
        audit_record(action="auth.logout_all", actor=request.user, target=request.user, details={"sessions": count})
        return _message(f"Logged out of {count} session(s).")

    @extend_schema(responses={200: s.UserProfileSerializer, 401: ERROR})
    @action(detail=False, methods=["get"])
    def profile(self, request: Request) -> Response:
        return Response(s.UserProfileSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=s.ProfileUpdateSerializer, responses={200: s.UserProfileSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["put", "patch"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def update_profile(self, request: Request) -> Response:
        serializer = s.ProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=serializer.validated_data)
        return Response(s.UserProfileSerializer(user, context={"request": request}).data)

    @extend_schema(request=s.ChangePasswordSerializer, responses={200: s.MessageSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"])
    def change_password(self, request: Request) -> Response:
        serializer = s.ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **serializer.validated_data)
        return _message("Password changed. Every session has been signed out; log in again.")

    @extend_schema(request=s.EmailSerializer, responses={200: s.MessageSerializer, 400: ERROR, 429: ERROR})
    @public_action(throttle_scope="password_reset")
    def password_reset(self, request: Request) -> Response:
        serializer = s.EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_request_password_reset(email=serializer.validated_data["email"])
        return _message("If an account exists for this address, a password reset link is on its way.")

    @extend_schema(
        request=s.PasswordResetConfirmSerializer, responses={200: s.MessageSerializer, 400: ERROR, 429: ERROR}
    )
    @public_action(throttle_scope="password_reset")
    def password_reset_confirm(self, request: Request) -> Response:
        serializer = s.PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_reset_password(**serializer.validated_data)
        return _message("Your password has been reset. You can log in now.")

    @extend_schema(request=s.TokenSerializer, responses={200: s.MessageSerializer, 400: ERROR, 429: ERROR})
    @public_action(throttle_scope="password_reset")
    def unlock_account(self, request: Request) -> Response:
        """Unlock a locked account with the token from the lockout e-mail (works once)."""
        serializer = s.TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_unlock_with_token(token=serializer.validated_data["token"])
        return _message("Your account is unlocked. You can log in again.")

    # --- personal data ---------------------------------------------------------------------------
    @extend_schema(
        responses={200: OpenApiResponse(description="Everything held about the caller, by section"), 401: ERROR}
    )
    @action(detail=False, methods=["get"])
    def export_data(self, request: Request) -> Response:
        """Everything the system holds about the caller, as JSON (DPDP Act 2023)."""
        response = Response(services.user_export_data(user=request.user))
        response["Content-Disposition"] = 'attachment; filename="titanobova-my-data.json"'
        return response

    @extend_schema(request=s.DeleteAccountSerializer, responses={200: s.MessageSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="two_factor")
    def delete_account(self, request: Request) -> Response:
        """Deactivate the account and erase personal data, except invoices the law makes us keep."""
        serializer = s.DeleteAccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete_account(
            user=request.user,
            password=serializer.validated_data["password"],
            code=serializer.validated_data.get("code") or None,
        )
        return _message("Your account has been deleted. A confirmation is on its way to your e-mail address.")

    # --- two-factor authentication ---------------------------------------------------------------
    @extend_schema(request=s.PasswordSerializer, responses={200: s.TwoFactorSetupSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"])
    def enable_2fa(self, request: Request) -> Response:
        """Start 2FA setup: scan `qr_code` (or enter `secret`) in an authenticator app, then confirm."""
        serializer = s.PasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        setup = services.two_factor_enable(user=request.user, **serializer.validated_data)
        return Response({"secret": setup.secret, "otpauth_url": setup.otpauth_url, "qr_code": setup.qr_code})

    @extend_schema(request=s.CodeSerializer, responses={200: s.BackupCodesSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="two_factor")
    def confirm_2fa(self, request: Request) -> Response:
        """Activate 2FA with a code from the app. The backup codes are shown this once."""
        serializer = s.CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"backup_codes": services.two_factor_confirm(user=request.user, **serializer.validated_data)})

    @extend_schema(
        request=s.VerifyTwoFactorSerializer, responses={200: s.TokenPairSerializer, 400: ERROR, 401: ERROR, 403: ERROR}
    )
    @public_action(throttle_scope="two_factor")
    def verify_2fa(self, request: Request) -> Response:
        """Finish a 2FA login: the challenge token from the 401 and a TOTP or backup code."""
        serializer = s.VerifyTwoFactorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.auth_verify_two_factor(**serializer.validated_data, client=_client(request))
        return Response({"access": result.access, "refresh": result.refresh})

    @extend_schema(request=s.PasswordAndCodeSerializer, responses={200: s.MessageSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="two_factor")
    def disable_2fa(self, request: Request) -> Response:
        serializer = s.PasswordAndCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.two_factor_disable(user=request.user, **serializer.validated_data)
        return _message("Two-factor authentication is off.")

    @extend_schema(request=s.CodeSerializer, responses={200: s.BackupCodesSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="two_factor")
    def regenerate_backup_codes(self, request: Request) -> Response:
        """A new set of 10 backup codes; the old set stops working."""
        serializer = s.CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        codes = services.two_factor_regenerate_backup_codes(user=request.user, **serializer.validated_data)
        return Response({"backup_codes": codes})


class SessionViewSet(viewsets.GenericViewSet):
    """The caller's active sessions (logins), and revoking one."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.SessionSerializer
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return services.sessions_active(user=self.request.user)

    @extend_schema(responses={200: s.SessionSerializer(many=True), 401: ERROR})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {"current_session_id": request.auth.get("sid") if request.auth else None}
        return self.get_paginated_response(s.SessionSerializer(page, many=True, context=context).data)

    @extend_schema(responses={204: None, 401: ERROR, 404: ERROR})
    def destroy(self, request: Request, pk: str) -> Response:
        services.session_revoke(user=request.user, session_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
