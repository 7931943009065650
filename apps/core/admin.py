from django.contrib import admin

from .models import AuditLog


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the application writes: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Append-only: viewable and searchable, never added, changed or deleted here."""

    list_display = ("created_at", "action", "actor_email", "target_type", "target_repr", "ip_address", "request_id")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_email", "target_id", "target_repr", "request_id", "action")
    date_hierarchy = "created_at"
