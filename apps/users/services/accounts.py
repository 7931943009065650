"""Accounts: registration, e-mail verification, profile, passwords."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.core import personal_data
from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError

from ..error_codes import UserErrorCode
from ..models import TwoFactorAuth, User, normalize_email
from .links import action_link
from .tokens import sessions_revoke_all

logger = logging.getLogger(__name__)
security_logger = logging.getLogger("security")

_VERIFY_EMAIL_SALT = "users.verify_email"
password_reset_token_generator = PasswordResetTokenGenerator()


def user_validate_password(*, password: str, user: User, field: str = "password") -> None:
    """Django's password validators (length, common passwords, similarity to the e-mail)."""
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        messages = list(exc.messages)
        raise ApplicationError(messages[0], UserErrorCode.WEAK_PASSWORD, fields={field: messages}) from exc


@transaction.atomic
def user_register(
    *, email: str, password: str, first_name: str, last_name: str, phone_number: str = "", company: str = ""
) -> User:
    email = normalize_email(email)
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone_number=phone_number,
        company=company,
        terms_accepted_at=timezone.now(),  # registering is accepting the terms; the time is kept
    )
    if User.objects.filter(email=email).exists():
        raise ApplicationError(
            "An account with this e-mail address already exists.",
            UserErrorCode.EMAIL_TAKEN,
            fields={"email": ["An account with this e-mail address already exists."]},
        )
    user_validate_password(password=password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # two registrations raced for the same address
        raise ApplicationError(
            "An account with this e-mail address already exists.",
            UserErrorCode.EMAIL_TAKEN,
            fields={"email": ["An account with this e-mail address already exists."]},
        ) from exc
    user_send_verification_email(user=user)
    audit_record(action="user.registered", actor=user, target=user)
    logger.info("User registered", extra={"user_id": str(user.pk)})
    return user


def user_get_or_invite(
    *, email: str, first_name: str, last_name: str, phone_number: str = "", actor: Any = None, context: str = ""
) -> tuple[User, bool]:
    """The account with this address, or a new student account without a password whose owner is
    e-mailed a link to choose one (returns the user and whether it was created).

    The link is a password-reset link, so it works once and stops working when a password is set;
    following it also proves the address. `context` is a line for the e-mail ("You are enrolled
    in ..."), so the person knows why an account exists.
    """
    email = normalize_email(email)
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is not None:
            return user, False
        user = User(email=email, first_name=first_name[:150], last_name=last_name[:150], phone_number=phone_number[:32])
        user.set_unusable_password()
        user.save()
        audit_record(action="user.invited", actor=actor, target=user)
        token = password_reset_token_make(user=user)
        link = action_link(frontend_path="/reset-password", app_url_name="account-reset-password", token=token)
        email_send(
            to=user.email,
            template="account_invite",
            context={
                "first_name": user.first_name,
                "link": link,
                "context": context,
                "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
        )
    return user, True


def email_verification_token_make(*, user: User) -> str:
    # Binding the address means a link stops working if the address changes.
    return signing.dumps({"uid": str(user.pk), "email": user.email}, salt=_VERIFY_EMAIL_SALT)


def user_send_verification_email(*, user: User) -> None:
    if user.email_verified:
        return
    token = email_verification_token_make(user=user)
    link = action_link(frontend_path="/verify-email", app_url_name="account-verify-email", token=token)
    email_send(
        to=user.email,
        template="verify_email",
        context={"first_name": user.first_name, "link": link, "hours": settings.EMAIL_VERIFICATION_MAX_AGE // 3600},
    )


def user_resend_verification(*, email: str) -> None:
    """Send a fresh link if an unverified account has this address; silent otherwise."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is not None and not user.email_verified:
        user_send_verification_email(user=user)


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    invalid = ApplicationError(
        "This verification link is invalid or has expired. Ask for a new one.", UserErrorCode.INVALID_TOKEN
    )
    try:
        data = signing.loads(token, salt=_VERIFY_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise invalid from exc
    user = User.objects.select_for_update().filter(pk=data.get("uid"), is_active=True).first()
    if user is None or user.email != data.get("email"):
        raise invalid
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
        audit_record(action="user.email_verified", actor=user, target=user)
    return user


# ---------------------------------------------------------------------------
# Profile and passwords
# ---------------------------------------------------------------------------
PROFILE_EDITABLE_FIELDS = ("first_name", "last_name", "phone_number", "company", "bio", "profile_picture")


def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    """Apply only the profile fields a user may edit; everything else is ignored."""
    changed = [field for field in PROFILE_EDITABLE_FIELDS if field in data and getattr(user, field) != data[field]]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
        # Which fields changed, never their values.
        audit_record(action="user.profile_updated", actor=user, target=user, details={"fields": changed})
    return user


def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    from .lockout import lockout_guarded_check

    if not lockout_guarded_check(user=user, check=lambda: user.check_password(old_password)):
        raise ApplicationError(
            "The current password is not correct.",
            UserErrorCode.WRONG_PASSWORD,
            fields={"old_password": ["The current password is not correct."]},
        )
    with transaction.atomic():  # not around the check above: a failed check must stay counted
        _set_password(user=user, password=new_password, field="new_password", action="user.password_changed")
    security_logger.info("Password changed for user %s", user.pk)


def _set_password(*, user: User, password: str, field: str, action: str) -> None:
    """Set a new password, end every session (their access tokens stop at once), tell the user."""
    user_validate_password(password=password, user=user, field=field)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    sessions_revoke_all(user=user, reason=action)
    audit_record(action=action, actor=user, target=user)
    email_send(to=user.email, template="password_changed", context={"first_name": user.first_name})


def password_reset_token_make(*, user: User) -> str:
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{password_reset_token_generator.make_token(user)}"


def user_request_password_reset(*, email: str) -> None:
    """E-mail a single-use reset link if the account exists. Says nothing either way."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        security_logger.info("Password reset requested for an unknown address")
        return
    token = password_reset_token_make(user=user)
    link = action_link(frontend_path="/reset-password", app_url_name="account-reset-password", token=token)
    email_send(
        to=user.email,
        template="password_reset",
        context={"first_name": user.first_name, "link": link, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )
    security_logger.info("Password reset requested for user %s", user.pk)


def _user_from_reset_token(token: str) -> User | None:
    uid_part, _, secret = (token or "").partition(".")
    try:
        uid = uuid.UUID(force_str(urlsafe_base64_decode(uid_part)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    user = User.objects.select_for_update().filter(pk=uid, is_active=True).first()
    if user is None or not password_reset_token_generator.check_token(user, secret):
        return None
    return user


def password_reset_token_is_valid(*, token: str) -> bool:
    with transaction.atomic():
        return _user_from_reset_token(token) is not None


@transaction.atomic
def user_reset_password(*, token: str, new_password: str) -> User:
    """The token embeds the password hash, so it stops working once the password changes."""
    user = _user_from_reset_token(token)
    if user is None:
        raise ApplicationError(
            "This password reset link is invalid, used or expired. Ask for a new one.", UserErrorCode.INVALID_TOKEN
        )
    _set_password(user=user, password=new_password, field="new_password", action="user.password_reset")
    if not user.email_verified:
        # Following the e-mailed link proves the address.
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
    security_logger.info("Password reset completed for user %s", user.pk)
    return user


# ---------------------------------------------------------------------------
# Personal data (DPDP Act 2023)
# ---------------------------------------------------------------------------
def user_export_data(*, user: User) -> dict[str, Any]:
    """Everything the system holds about the user, from every app (apps.core.personal_data)."""
    data = personal_data.export_all(user)
    audit_record(action="user.data_exported", actor=user, target=user)
    return data


def user_delete_account(*, user: User, password: str, code: str | None = None) -> None:
    """Deactivate the account and erase or anonymise personal data, except what the law keeps
    (invoices keep the buyer's name, address and GSTIN). Confirmed with the password, and with a
    2FA code when 2FA is on."""
    from .two_factor import require_code, require_password, user_has_two_factor

    require_password(user=user, password=password)
    if user_has_two_factor(user):
        require_code(user=user, code=code or "")
    original_email, first_name = user.email, user.first_name
    with transaction.atomic():
        erased = personal_data.erase_all(user)
        sessions_revoke_all(user=user, reason="account_deleted")
        user.two_factor_challenges.all().delete()
        user.backup_codes.all().delete()
        TwoFactorAuth.objects.filter(user=user).delete()
        if user.profile_picture:
            user.profile_picture.delete(save=False)
        user.email = f"deleted-{user.pk.hex}@deleted.invalid"
        user.first_name = user.last_name = user.phone_number = user.bio = ""
        user.profile_picture = ""
        user.email_verified = False
        user.is_active = False
        user.last_login_ip = None
        user.set_unusable_password()
        user.save()
        audit_record(action="user.deleted", actor=user, target=user, details={"erased": erased})
        email_send(to=original_email, template="account_deleted", context={"first_name": first_name})
    security_logger.warning("Account %s deleted at the user's request", user.pk)


# ---------------------------------------------------------------------------
# Changes made by staff (Django admin)
# ---------------------------------------------------------------------------
STAFF_AUDITED_FIELDS = ("user_type", "is_active", "is_superuser", "email", "email_verified")


def user_staff_change_recorded(*, user: User, actor: User, before: dict[str, Any]) -> None:
    """After staff saved a user: audit role and access changes; deactivation ends every session."""
    changes = {
        field: {"from": before[field], "to": getattr(user, field)}
        for field in STAFF_AUDITED_FIELDS
        if field in before and before[field] != getattr(user, field)
    }
    if not changes:
        return
    audit_record(action="user.role_changed", actor=actor, target=user, details={"changes": changes})
    if before.get("is_active") and not user.is_active:
        sessions_revoke_all(user=user, reason="deactivated")
