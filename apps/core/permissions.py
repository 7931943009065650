from django.conf import settings
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission

# Claim on the tokens of a login that passed two-factor authentication (kept through rotation).
TWO_FACTOR_CLAIM = "2fa"


class TwoFactorSetupRequired(PermissionDenied):
    default_detail = "Staff accounts must set up two-factor authentication before using this."
    default_code = "two_factor_setup_required"


class TwoFactorLoginRequired(PermissionDenied):
    default_detail = "Log in again with your two-factor code to use this."
    default_code = "two_factor_login_required"


class IsStaffMember(BasePermission):
    """Founders and admins, who (with REQUIRE_2FA_FOR_STAFF) have 2FA on and used it to log in."""

    message = "Only staff members can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "is_staff_member", False)):
            return False
        if settings.REQUIRE_2FA_FOR_STAFF:
            if not user.has_confirmed_two_factor:
                raise TwoFactorSetupRequired()
            token = request.auth
            if token is None or not token.get(TWO_FACTOR_CLAIM):
                raise TwoFactorLoginRequired()
        return True


class AnonymousCreateMixin:
    """For a ViewSet whose `create` is a public form (contact form, enrolment request): anyone may
    send it, it reads no credentials (a stale token a website still sends can't turn it into a
    401), and it is throttled per client by `create_throttle_scope`. Every other action keeps the
    view's own permissions and authentication."""

    create_throttle_scope: str = ""
    throttle_scope: str | None = None

    def get_authenticators(self):
        # Called before DRF sets `self.action`; the route's method map says what POST does here.
        request = getattr(self, "request", None)
        if getattr(request, "method", None) == "POST" and getattr(self, "action_map", {}).get("post") == "create":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        self.throttle_scope = self.create_throttle_scope if self.action == "create" else None
        return super().get_throttles()
