from rest_framework.permissions import BasePermission


class IsStaffMember(BasePermission):
    """Founders and admins: the company's staff."""

    message = "Only staff members can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff_member", False))
