"""Input validation and output shapes for the accounts API. No business rules here."""

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from .models import User

phone_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9 ()-]{5,22}[0-9]$",
    message="Enter a phone number in international format, for example +91 98765 43210.",
)


def password_field(**kwargs) -> serializers.CharField:
    # Length rules live in the password validators; this cap only guards the parser.
    return serializers.CharField(write_only=True, trim_whitespace=False, max_length=1024, **kwargs)


class UserProfileSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    two_factor_enabled = serializers.BooleanField(source="has_confirmed_two_factor", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "phone_number",
            "company",
            "user_type",
            "profile_picture",
            "bio",
            "email_verified",
            "two_factor_enabled",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = password_field()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone_number = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", validators=[phone_validator]
    )


class ProfileUpdateSerializer(serializers.Serializer):
    """The fields a user may change about themself. Anything else sent is ignored."""

    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True, validators=[phone_validator])
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    profile_picture = serializers.ImageField(required=False, allow_null=True)

    def validate_profile_picture(self, value):
        if value is not None and value.size > settings.PROFILE_PICTURE_MAX_BYTES:
            limit_mb = settings.PROFILE_PICTURE_MAX_BYTES // (1024 * 1024)
            raise serializers.ValidationError(f"The picture must be at most {limit_mb} MB.")
        return value


class TokenObtainSerializer(serializers.Serializer):
    """`username` carries the e-mail (the spec's note); `email` is accepted as well."""

    username = serializers.CharField(required=False, allow_blank=True, max_length=254)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    password = password_field()
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="Optional: the 2FA code, to log in in one request."
    )

    def validate(self, attrs):
        login = (attrs.get("email") or attrs.get("username") or "").strip()
        if not login:
            raise serializers.ValidationError({"username": ["Enter your e-mail address."]})
        attrs["login"] = login
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResponseSerializer(TokenPairSerializer):
    user = UserProfileSerializer()


class RefreshTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class OptionalEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)


class ChangePasswordSerializer(serializers.Serializer):
    old_password = password_field()
    new_password = password_field()


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)
    new_password = password_field()


class TwoFactorChallengeSerializer(serializers.Serializer):
    """The 401 body of a login: the error body, with a challenge when the account has 2FA."""

    code = serializers.CharField(help_text="`invalid_credentials`, or `two_factor_required`")
    detail = serializers.CharField()
    message = serializers.CharField()
    challenge_token = serializers.CharField(required=False, help_text="With `two_factor_required` only")
    challenge_expires_in = serializers.IntegerField(required=False, help_text="With `two_factor_required` only")
    request_id = serializers.CharField()


class VerifyTwoFactorSerializer(serializers.Serializer):
    challenge_token = serializers.CharField(max_length=512)
    code = serializers.CharField(max_length=32)


class PasswordSerializer(serializers.Serializer):
    password = password_field()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class PasswordAndCodeSerializer(serializers.Serializer):
    password = password_field()
    code = serializers.CharField(max_length=32)


class DeleteAccountSerializer(serializers.Serializer):
    password = password_field()
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_code = serializers.CharField(help_text="data:image/svg+xml;base64,... to show as an <img> src")


class BackupCodesSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(child=serializers.CharField())


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()
    message = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    device = serializers.CharField()
    browser = serializers.CharField()
    os = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    two_factor = serializers.BooleanField()
    current = serializers.BooleanField()

    def to_representation(self, session):
        from ua_parser import parse

        agent = parse(session.user_agent or "").with_defaults()
        browser = " ".join(filter(None, [agent.user_agent.family, agent.user_agent.major]))
        os_name = " ".join(filter(None, [agent.os.family, agent.os.major]))
        device = agent.device.family if agent.device.family != "Other" else ""
        return {
            "id": str(session.pk),
            "device": device or f"{browser} on {os_name}",
            "browser": browser,
            "os": os_name,
            "ip_address": session.ip_address,
            "created_at": serializers.DateTimeField().to_representation(session.created_at),
            "last_used_at": serializers.DateTimeField().to_representation(session.last_used_at),
            "expires_at": serializers.DateTimeField().to_representation(session.expires_at),
            "two_factor": session.two_factor,
            "current": str(session.pk) == self.context.get("current_session_id"),
        }
