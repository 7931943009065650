from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from .models import User


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
        ("Profile", {"fields": ("first_name", "last_name", "phone_number", "profile_picture", "bio")}),
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
