from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils import timezone

from apps.core.admin import ReadOnlyAdmin

from . import services
from .admin_forms import TwoFactorAdminAuthenticationForm
from .models import BackupCode, LoginAttempt, LoginFailureCounter, Session, TwoFactorAuth, TwoFactorChallenge, User

admin.site.login_form = TwoFactorAdminAuthenticationForm


class TitanobovaUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "user_type")


class TitanobovaUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class LockedFilter(admin.SimpleListFilter):
    title = "locked"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Locked now"), ("no", "Not locked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(account_locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(account_locked_until__gt=now)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = TitanobovaUserChangeForm
    add_form = TitanobovaUserCreationForm
    ordering = ("-created_at",)
    list_display = (
        "email",
        "full_name",
        "user_type",
        "email_verified",
        "is_active",
        "account_locked_until",
        "created_at",
        "last_login",
    )
    list_filter = ("user_type", "email_verified", "is_active", "is_superuser", LockedFilter)
    date_hierarchy = "created_at"
    search_fields = ("email", "first_name", "last_name", "phone_number")
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "last_login_ip", "failed_login_attempts")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "phone_number", "company", "profile_picture", "bio")}),
        ("Role and access", {"fields": ("user_type", "is_active", "is_superuser", "groups", "user_permissions")}),
        (
            "Verification and security",
            {
                "fields": (
                    "email_verified",
                    "failed_login_attempts",
                    "account_locked_until",
                    "last_login",
                    "last_login_ip",
                )
            },
        ),
        ("Timestamps", {"fields": ("created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "user_type", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")
    actions = ["unlock_accounts", "reset_two_factor"]

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            stored = User.objects.get(pk=obj.pk)
            before = {field: getattr(stored, field) for field in services.STAFF_AUDITED_FIELDS}
        super().save_model(request, obj, form, change)
        if change:
            services.user_staff_change_recorded(user=obj, actor=request.user, before=before)

    def _targets(self, request, queryset):
        """Only superusers act on staff accounts; everyone else is skipped with a message."""
        allowed = [user for user in queryset if request.user.is_superuser or not user.is_staff]
        skipped = len(queryset) - len(allowed)
        if skipped:
            self.message_user(request, f"Skipped {skipped} staff account(s): only a superuser can.", messages.WARNING)
        return allowed

    @admin.action(description="Unlock selected accounts", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        targets = self._targets(request, queryset)
        for user in targets:
            services.user_unlock_by_staff(user=user, actor=request.user)
        self.message_user(request, f"Unlocked {len(targets)} account(s).", messages.SUCCESS)

    @admin.action(description="Reset two-factor authentication (lost device)", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        targets = self._targets(request, queryset)
        for user in targets:
            services.two_factor_reset_by_staff(user=user, actor=request.user)
        self.message_user(
            request, f"Two-factor authentication reset for {len(targets)} account(s); they were e-mailed."
        )


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "email", "outcome", "ip_address", "user")
    list_filter = ("outcome", "created_at")
    search_fields = ("email", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("user",)


@admin.register(TwoFactorAuth)
class TwoFactorAuthAdmin(ReadOnlyAdmin):
    """Who has an authenticator; the secret never shows. Reset one from the user's actions."""

    list_display = ("user", "confirmed_at", "created_at")
    list_filter = ("confirmed_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "confirmed_at", "created_at")


@admin.register(BackupCode)
class BackupCodeAdmin(ReadOnlyAdmin):
    list_display = ("user", "used_at", "created_at")
    list_filter = ("used_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "used_at", "created_at")  # never the hash


@admin.register(TwoFactorChallenge)
class TwoFactorChallengeAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "expires_at", "used_at", "failed_attempts")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(LoginFailureCounter)
class LoginFailureCounterAdmin(ReadOnlyAdmin):
    """Failure counters of e-mails without an account (stored as hashes)."""

    list_display = ("email_hash", "failed_login_attempts", "last_failed_login_at", "account_locked_until")
    search_fields = ("email_hash",)


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    """API logins (refresh-token chains). Revoking ends their access tokens at once."""

    list_display = ("user", "created_at", "last_used_at", "expires_at", "revoked_at", "ip_address", "two_factor")
    list_filter = ("two_factor", "revoked_at")
    search_fields = ("user__email", "ip_address", "id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("refresh_jti", "previous_refresh_jti")
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("users.view_session")

    @admin.action(description="Revoke the selected sessions", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        count = 0
        for session in queryset.filter(revoked_at__isnull=True).select_related("user"):
            services.session_revoke(user=session.user, session_id=session.pk, actor=request.user)
            count += 1
        self.message_user(request, f"{count} session(s) revoked.", messages.SUCCESS)
