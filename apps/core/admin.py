from django.contrib import admin, messages

from .emails import email_requeue
from .models import AuditLog, OutboundEmail, OutboundEmailStatus


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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox: every e-mail with its delivery state. Failed messages can be sent again."""

    list_display = ("created_at", "template", "to", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "template", "created_at")
    search_fields = ("to", "subject", "provider_message_id")
    date_hierarchy = "created_at"
    exclude = ("context",)  # may hold one-time links until sent
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("core.view_outboundemail")

    @admin.action(description="Send again (failed or stuck messages)", permissions=["resend"])
    def resend(self, request, queryset):
        count = 0
        for message in queryset.exclude(status=OutboundEmailStatus.SENT):
            email_requeue(message=message)
            count += 1
        self.message_user(request, f"{count} message(s) queued again; sent ones were left alone.", messages.SUCCESS)
