from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "title", "recipient", "read_at")
    list_filter = ("kind", "read_at")
    search_fields = ("title", "body")
    raw_id_fields = ("recipient",)
