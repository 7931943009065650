from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import Notification, SystemLog


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "title", "recipient", "read_at")
    list_filter = ("kind", "read_at")
    search_fields = ("title", "body", "recipient__email")
    raw_id_fields = ("recipient",)
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"


@admin.register(SystemLog)
class SystemLogAdmin(ReadOnlyAdmin):
    """Warnings and errors from the application's logs. Search by a request id quoted by a user
    (every error body carries one) to find the log lines of that request."""

    list_display = ("created_at", "level", "logger", "short_message", "request_id", "user_id", "path")
    list_filter = ("level", "logger", "created_at")
    search_fields = ("=request_id", "message", "logger", "=user_id", "path")
    date_hierarchy = "created_at"
    show_full_result_count = False  # COUNT(*) on a large log table on every page is slow

    @admin.display(description="message")
    def short_message(self, obj: SystemLog) -> str:
        return obj.message if len(obj.message) <= 120 else obj.message[:119] + "…"
