from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from apps.core.admin import ReadOnlyAdmin

from . import services
from .admin_forms import TwoFactorAdminAuthenticationForm
from .models import LoginAttempt, User

admin.site.login_form = TwoFactorAdminAuthenticationForm


class TitanobovaUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "user_type")


class TitanobovaUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = TitanobovaUserChangeForm
    add_form = TitanobovaUserCreationForm
    ordering = ("-created_at",)
    list_display = ("email", "full_name", "user_type", "email_verified", "is_active", "created_at", "last_login")
    list_filter = ("user_type", "email_verified", "is_active", "is_superuser")
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
