"""TOTP two-factor authentication (RFC 6238: SHA-1, 30-second steps, 6 digits) with backup codes.

Built on pyotp for the code arithmetic. What pyotp leaves to us: the secret is encrypted at rest,
a code is accepted once only (the last accepted time step is stored and advanced with a
conditional UPDATE, so two requests racing with one code can't both pass), and each backup code
is a salted hash marked used with a conditional UPDATE.
"""

import base64
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.crypto import decrypt_text, encrypt_text
from apps.core.emails import email_send
from apps.core.errors import ApplicationError, AuthenticationError

from ..error_codes import UserErrorCode
from ..models import BackupCode, TwoFactorAuth, TwoFactorChallenge, User

security_logger = logging.getLogger("security")

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
ALLOWED_DRIFT_STEPS = 1
_CHALLENGE_SALT = "users.two_factor_challenge"
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


# --- TOTP arithmetic ----------------------------------------------------------------------------
def totp_code_at(*, secret: str, for_time: float, digits: int = TOTP_DIGITS) -> str:
    return pyotp.TOTP(secret, digits=digits, interval=TOTP_STEP_SECONDS).at(for_time)


def totp_matching_step(*, secret: str, code: str, now: float | None = None, digits: int = TOTP_DIGITS) -> int | None:
    """The time step (within one step of drift) whose code equals `code`, or None."""
    code = (code or "").strip().replace(" ", "")
    if not re.fullmatch(rf"[0-9]{{{digits}}}", code):  # ASCII digits only (isdigit() takes "١٢٣")
        return None
    now = time.time() if now is None else now
    current = int(now // TOTP_STEP_SECONDS)
    totp = pyotp.TOTP(secret, digits=digits, interval=TOTP_STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if step >= 0 and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _qr_code_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _secret(device: TwoFactorAuth) -> str:
    return decrypt_text(device.secret_encrypted)


def user_has_two_factor(user: User) -> bool:
    return TwoFactorAuth.objects.filter(user=user, confirmed_at__isnull=False).exists()


# --- backup codes -------------------------------------------------------------------------------
def _normalise_backup_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_backup_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{_normalise_backup_code(code)}".encode()).hexdigest()
    return f"{salt}${digest}"


def _backup_code_matches(code: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(_hash_backup_code(code, salt), stored)


def _new_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with a fresh set; return the plain codes (shown once)."""
    codes = []
    for _ in range(settings.TWO_FACTOR_BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    BackupCode.objects.filter(user=user).delete()
    BackupCode.objects.bulk_create(BackupCode(user=user, code_hash=_hash_backup_code(code)) for code in codes)
    return codes


# --- verifying a code (TOTP or backup) ----------------------------------------------------------
def two_factor_verify_code(*, user: User, code: str) -> str | None:
    """Accept `code` once: the current TOTP code or an unused backup code.

    Returns "totp" or "backup_code" when accepted, None otherwise (wrong, replayed or used).
    """
    device = TwoFactorAuth.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return None
    step = totp_matching_step(secret=_secret(device), code=code)
    if step is not None:
        # Conditional UPDATE: only one request can move last_used_step past this step.
        accepted = TwoFactorAuth.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
        if not accepted:
            security_logger.warning("Replayed TOTP code refused for user %s", user.pk)
        return "totp" if accepted else None
    normalised = _normalise_backup_code(code)
    if len(normalised) != 10:
        return None
    for backup in BackupCode.objects.filter(user=user, used_at__isnull=True):
        if _backup_code_matches(normalised, backup.code_hash):
            used = BackupCode.objects.filter(pk=backup.pk, used_at__isnull=True).update(used_at=timezone.now())
            if used:
                audit_record(action="two_factor.backup_code_used", actor=user, target=user)
                return "backup_code"
            return None
    return None


def require_code(*, user: User, code: str) -> None:
    """A code check outside the login (disable, regenerate): counts towards the lockout."""
    from .lockout import lockout_guarded_check

    if not lockout_guarded_check(user=user, check=lambda: two_factor_verify_code(user=user, code=code) is not None):
        raise ApplicationError(
            "The code is not valid. Enter the current code from your authenticator app, or an unused backup code.",
            UserErrorCode.INVALID_TWO_FACTOR_CODE,
            fields={"code": ["The code is not valid."]},
        )


def require_password(*, user: User, password: str) -> None:
    """A password check outside the login: it counts towards the lockout like a login."""
    from .lockout import lockout_guarded_check

    if not lockout_guarded_check(user=user, check=lambda: user.check_password(password)):
        raise ApplicationError(
            "The password is not correct.", UserErrorCode.WRONG_PASSWORD, fields={"password": ["Not correct."]}
        )


# --- enabling, confirming, disabling ------------------------------------------------------------
@dataclass(frozen=True)
class TwoFactorSetup:
    secret: str
    otpauth_url: str
    qr_code: str


def two_factor_enable(*, user: User, password: str) -> TwoFactorSetup:
    """Start setup: a new secret, not active until confirmed with a code."""
    if user_has_two_factor(user):
        raise ApplicationError(
            "Two-factor authentication is already on. Disable it first to set up a new device.",
            UserErrorCode.TWO_FACTOR_ALREADY_ENABLED,
        )
    require_password(user=user, password=password)
    secret = pyotp.random_base32()
    TwoFactorAuth.objects.update_or_create(
        user=user, defaults={"secret_encrypted": encrypt_text(secret), "confirmed_at": None, "last_used_step": 0}
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.TWO_FACTOR_ISSUER)
    return TwoFactorSetup(secret=secret, otpauth_url=uri, qr_code=_qr_code_data_uri(uri))


@transaction.atomic
def two_factor_confirm(*, user: User, code: str) -> list[str]:
    """Activate 2FA with a first code from the app; return the 10 backup codes (shown this once)."""
    device = TwoFactorAuth.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise ApplicationError("Start two-factor setup first.", UserErrorCode.TWO_FACTOR_NOT_STARTED)
    if device.is_confirmed:
        raise ApplicationError("Two-factor authentication is already on.", UserErrorCode.TWO_FACTOR_ALREADY_ENABLED)
    step = totp_matching_step(secret=_secret(device), code=code)
    if step is None:
        raise ApplicationError(
            "The code is not valid. Check the time on your phone and enter the current code.",
            UserErrorCode.INVALID_TWO_FACTOR_CODE,
            fields={"code": ["The code is not valid."]},
        )
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = _new_backup_codes(user)
    audit_record(action="two_factor.enabled", actor=user, target=user)
    email_send(to=user.email, template="two_factor_changed", context={"first_name": user.first_name, "enabled": True})
    return codes


def _confirmed_device(user: User) -> TwoFactorAuth:
    device = TwoFactorAuth.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise ApplicationError("Two-factor authentication is not on.", UserErrorCode.TWO_FACTOR_NOT_ENABLED)
    return device


def two_factor_disable(*, user: User, password: str, code: str) -> None:
    _confirmed_device(user)
    require_password(user=user, password=password)
    require_code(user=user, code=code)
    with transaction.atomic():
        TwoFactorAuth.objects.filter(user=user).delete()
        BackupCode.objects.filter(user=user).delete()
        audit_record(action="two_factor.disabled", actor=user, target=user)
        email_send(
            to=user.email, template="two_factor_changed", context={"first_name": user.first_name, "enabled": False}
        )


def two_factor_regenerate_backup_codes(*, user: User, code: str) -> list[str]:
    _confirmed_device(user)
    require_code(user=user, code=code)
    with transaction.atomic():
        codes = _new_backup_codes(user)
        audit_record(action="two_factor.backup_codes_regenerated", actor=user, target=user)
    return codes


@transaction.atomic
def two_factor_reset_by_staff(*, user: User, actor: User) -> None:
    """For a user who lost their device: 2FA off, they set it up again after logging in."""
    TwoFactorAuth.objects.filter(user=user).delete()
    BackupCode.objects.filter(user=user).delete()
    TwoFactorChallenge.objects.filter(user=user, used_at__isnull=True).delete()
    audit_record(action="two_factor.reset", actor=actor, target=user)
    email_send(to=user.email, template="two_factor_reset", context={"first_name": user.first_name})


# --- login challenges ---------------------------------------------------------------------------
def challenge_create(*, user: User, ip: str | None) -> str:
    challenge = TwoFactorChallenge.objects.create(
        user=user,
        expires_at=timezone.now() + timedelta(seconds=settings.TWO_FACTOR_CHALLENGE_TTL_SECONDS),
        ip_address=ip,
    )
    # A signed opaque string, not a JWT: it can't pass as an access token anywhere.
    return signing.dumps(str(challenge.pk), salt=_CHALLENGE_SALT)


class InvalidChallengeError(AuthenticationError):
    def __init__(self, user: User | None = None) -> None:
        super().__init__(
            "This login step has expired or was already used. Log in again with your password.",
            UserErrorCode.INVALID_CHALLENGE,
        )
        self.user = user


def challenge_load(*, token: str) -> TwoFactorChallenge:
    """The live challenge behind `token`, row-locked; raises if expired, used or dead."""
    try:
        challenge_id = signing.loads(token, salt=_CHALLENGE_SALT, max_age=settings.TWO_FACTOR_CHALLENGE_TTL_SECONDS)
    except signing.BadSignature as exc:
        raise InvalidChallengeError() from exc
    challenge = (
        TwoFactorChallenge.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=challenge_id)
        .first()
    )
    if challenge is None:
        raise InvalidChallengeError()
    if (
        challenge.used_at is not None
        or challenge.expires_at <= timezone.now()
        or challenge.failed_attempts >= settings.TWO_FACTOR_CHALLENGE_MAX_FAILURES
        or not challenge.user.is_active
    ):
        raise InvalidChallengeError(challenge.user)
    return challenge
