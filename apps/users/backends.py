"""Django admin permissions that follow the role: founders and admins run the company, so they
get every permission on the project's own models; managing Django's groups and permissions
themselves stays with superusers. Model permissions still apply on top (read-only admins stay
read-only), and the admin login asks for the TOTP code."""

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission


class RolePermissionBackend(BaseBackend):
    """Grants permissions only; never authenticates anyone (login stays with ModelBackend)."""

    _cache_attribute = "_role_perm_cache"

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or not getattr(user_obj, "is_staff_member", False) or obj is not None:
            return set()
        if not hasattr(user_obj, self._cache_attribute):
            rows = Permission.objects.filter(
                content_type__app_label__in=settings.STAFF_ROLE_PERMISSION_APPS
            ).values_list("content_type__app_label", "codename")
            setattr(user_obj, self._cache_attribute, {f"{app}.{codename}" for app, codename in rows})
        return getattr(user_obj, self._cache_attribute)

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
