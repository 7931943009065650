import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from apps.core.errors import ApplicationError
from apps.core.http import client_ip, user_agent
from apps.core.throttling import rate_limit_hit

from . import services


class TwoFactorAdminAuthenticationForm(AdminAuthenticationForm):
    """Django admin login through the one login path: lockout, login trail and the TOTP code."""

    otp_code = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6-digit code from your authenticator app, or a backup code.",
    )

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        client = services.ClientInfo(ip=client_ip(self.request), user_agent=user_agent(self.request))
        wait = rate_limit_hit(scope="login", ident=f"ip:{client.ip or 'unknown'}")
        if wait is not None:
            raise ValidationError(f"Too many login attempts. Try again in {math.ceil(wait)} seconds.", code="throttled")
        try:
            user, passed_two_factor = services.auth_authenticate(
                email=email,
                password=password,
                code=self.cleaned_data.get("otp_code") or None,
                client=client,
                allow_challenge=False,
            )
        except ApplicationError as exc:
            if exc.code == "invalid_credentials":
                raise self.get_invalid_login_error() from exc
            raise ValidationError(exc.message, code=exc.code) from exc
        try:
            self.confirm_login_allowed(user)
        except ValidationError:
            services.auth_record_not_allowed(user=user, client=client)
            raise
        if settings.REQUIRE_2FA_FOR_STAFF and not passed_two_factor:
            raise ValidationError(
                "Staff accounts must use two-factor authentication. Set it up through the API "
                "(POST /api/v1/users/enable_2fa/ and confirm_2fa/), then log in here with the code.",
                code="two_factor_setup_required",
            )
        services.auth_record_success(user=user, client=client)
        # The password was checked by the login service with Django's model backend.
        user.backend = "django.contrib.auth.backends.ModelBackend"
        self.user_cache = user
        return self.cleaned_data
