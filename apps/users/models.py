import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property


def normalize_email(email: str) -> str:
    """The one spelling of an e-mail address used for storage and lookups: trimmed, lower case."""
    return (email or "").strip().lower()


class UserType(models.TextChoices):
    STUDENT = "student", "Student"
    INSTRUCTOR = "instructor", "Instructor"
    FOUNDER = "founder", "Founder"
    ADMIN = "admin", "Admin"


STAFF_USER_TYPES = frozenset({UserType.FOUNDER, UserType.ADMIN})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email=normalize_email(username))

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("user_type", UserType.ADMIN)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("email_verified", True)
        if extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


def profile_picture_path(instance: "User", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"profile_pictures/{instance.pk}/{uuid.uuid4().hex}.{extension}"


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: student, instructor or staff (founder, admin)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=200, blank=True)
    user_type = models.CharField(max_length=16, choices=UserType.choices, default=UserType.STUDENT)
    profile_picture = models.ImageField(upload_to=profile_picture_path, blank=True)
    bio = models.TextField(blank=True, max_length=2000)

    email_verified = models.BooleanField(default=False)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    failed_login_attempts = models.PositiveIntegerField(default=0)
    last_failed_login_at = models.DateTimeField(null=True, blank=True)
    account_locked_until = models.DateTimeField(null=True, blank=True)
    last_login_ip = models.GenericIPAddressField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["user_type"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_staff_member(self) -> bool:
        """Founders and admins run the company: they see staff-only endpoints."""
        return self.user_type in STAFF_USER_TYPES

    @property
    def is_staff(self) -> bool:
        """Django admin access follows the role, so it can't drift from `user_type`."""
        return self.is_staff_member or self.is_superuser

    @cached_property
    def has_confirmed_two_factor(self) -> bool:
        return TwoFactorAuth.objects.filter(user=self, confirmed_at__isnull=False).exists()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class TwoFactorAuth(models.Model):
    """A user's TOTP authenticator (RFC 6238). The secret is encrypted at rest."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The highest 30-second time step accepted so far: a code is accepted once only.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "two-factor authenticator"

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "pending"
        return f"2FA for {self.user} ({state})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class BackupCode(models.Model):
    """A single-use recovery code, stored only as a salted hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"Backup code of {self.user} ({'used' if self.used_at else 'unused'})"


class TwoFactorChallenge(models.Model):
    """The half-finished login of a 2FA account: password checked, code still due."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="two_factor_challenges")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"2FA challenge for {self.user}"


class LoginFailureCounter(models.Model):
    """Failed logins for an e-mail address without an account, counted exactly like an account's
    (same fields, same rules), so the answers never tell which addresses have accounts."""

    email_hash = models.CharField(max_length=64, unique=True)
    failed_login_attempts = models.PositiveIntegerField(default=0)
    last_failed_login_at = models.DateTimeField(null=True, blank=True, db_index=True)
    account_locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}… {self.failed_login_attempts} failures"


class LoginOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    BAD_PASSWORD = "bad_password", "Wrong password"
    UNKNOWN_ACCOUNT = "unknown_account", "Unknown account"
    INACTIVE = "inactive", "Inactive account"
    LOCKED = "locked", "Locked"
    TWO_FACTOR_REQUIRED = "two_factor_required", "2FA code required"
    TWO_FACTOR_FAILED = "two_factor_failed", "Wrong 2FA code"
    NOT_ALLOWED = "not_allowed", "Not allowed there (e.g. the Django admin)"


class LoginAttempt(models.Model):
    """The login trail: every attempt, with the e-mail tried, the client's IP and user agent."""

    email = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_attempts")
    outcome = models.CharField(max_length=24, choices=LoginOutcome.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["outcome", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.email} {self.outcome}"


class Session(models.Model):
    """One login: the chain of refresh tokens that rotation produces, under a stable id.

    Access and refresh tokens carry the session id (`sid`); a token is honoured only while its
    session is live, so revoking a session ends its access tokens at once, not 15 minutes later.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    two_factor = models.BooleanField(default=False, help_text="The login passed two-factor authentication.")
    # The refresh token now valid, and the one it replaced (accepted for a short grace period so
    # two browser tabs refreshing together don't sign the user out).
    refresh_jti = models.CharField(max_length=64, unique=True)
    previous_refresh_jti = models.CharField(max_length=64, blank=True, db_index=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_used_at"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"])]

    def __str__(self) -> str:
        return f"Session {self.pk} of {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
