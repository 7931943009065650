"""HTTP for accounts: parse, call one service, serialise."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.http import client_ip, user_agent

from . import serializers as s
from . import services


def _message(text: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"detail": text, "message": text}, status=status_code)


ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")


def _login(request: Request) -> services.LoginResult:
    serializer = s.TokenObtainSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return services.auth_login(
        email=serializer.validated_data["login"],
        password=serializer.validated_data["password"],
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


class TokenObtainView(APIView):
    """Log in with e-mail (as `username` or `email`) and password; get a JWT pair."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.TokenObtainSerializer, responses={200: s.TokenPairSerializer, 400: ERROR, 401: ERROR})
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
        return Response(services.tokens_refresh(refresh=serializer.validated_data["refresh"]))


class UserViewSet(viewsets.GenericViewSet):
    """Registration, login, profile and passwords under /api/v1/users/."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.UserProfileSerializer

    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserProfileSerializer, 400: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
    def register(self, request: Request) -> Response:
        serializer = s.RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(
            s.UserProfileSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.TokenSerializer, responses={200: s.UserProfileSerializer, 400: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
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
    @action(detail=False, methods=["post"], permission_classes=[AllowAny])
    def resend_verification(self, request: Request) -> Response:
        if request.user.is_authenticated:
            services.user_send_verification_email(user=request.user)
        else:
            serializer = s.EmailSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.user_resend_verification(email=serializer.validated_data["email"])
        return _message("If the account exists and is not verified yet, a new verification link is on its way.")

    @extend_schema(request=s.TokenObtainSerializer, responses={200: s.LoginResponseSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
    def login(self, request: Request) -> Response:
        result = _login(request)
        user = s.UserProfileSerializer(result.user, context={"request": request}).data
        return Response({"access": result.access, "refresh": result.refresh, "user": user})

    @extend_schema(request=s.RefreshTokenSerializer, responses={200: s.MessageSerializer, 400: ERROR, 401: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny])
    def logout(self, request: Request) -> Response:
        serializer = s.RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.auth_logout(refresh=serializer.validated_data["refresh"], user=request.user)
        return _message("Logged out.")

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

    @extend_schema(request=s.EmailSerializer, responses={200: s.MessageSerializer, 400: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
    def password_reset(self, request: Request) -> Response:
        serializer = s.EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_request_password_reset(email=serializer.validated_data["email"])
        return _message("If an account exists for this address, a password reset link is on its way.")

    @extend_schema(request=s.PasswordResetConfirmSerializer, responses={200: s.MessageSerializer, 400: ERROR})
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
    def password_reset_confirm(self, request: Request) -> Response:
        serializer = s.PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_reset_password(**serializer.validated_data)
        return _message("Your password has been reset. You can log in now.")
