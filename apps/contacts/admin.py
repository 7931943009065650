from django.contrib import admin, messages
from django.http import HttpResponse

from apps.core.admin import ReadOnlyAdmin

from . import services
from .models import Contact, ContactStatusChange, Newsletter, NewsletterDelivery, NewsletterStatus, NewsletterSubscriber


class ContactStatusChangeInline(admin.TabularInline):
    model = ContactStatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "changed_by", "from_status", "to_status", "changed_fields")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "email", "subject", "status", "assigned_to", "source")
    list_filter = ("status", "source", "created_at")
    search_fields = ("name", "email", "subject", "message")
    date_hierarchy = "created_at"
    list_select_related = ("assigned_to",)
    readonly_fields = (
        "id",
        "name",
        "email",
        "phone",
        "subject",
        "message",
        "source",
        "legacy_id",
        "ip_address",
        "user_agent",
        "created_at",
        "updated_at",
        "status",
    )
    fields = (
        "id",
        "status",
        "assigned_to",
        "internal_note",
        "name",
        "email",
        "phone",
        "subject",
        "message",
        "source",
        "legacy_id",
        "ip_address",
        "user_agent",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("assigned_to",)
    inlines = [ContactStatusChangeInline]
    actions = ["mark_in_progress", "mark_resolved", "mark_closed", "mark_spam"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Edits go through the service: history, audit and the assignee rules apply."""
        data = {
            field: form.cleaned_data[field] for field in form.changed_data if field in ("assigned_to", "internal_note")
        }
        services.contact_update(contact_id=obj.pk, actor=request.user, data=data)

    def _move(self, request, queryset, status):
        moved = 0
        for contact in queryset:
            try:
                services.contact_update(contact_id=contact.pk, actor=request.user, data={"status": status})
                moved += 1
            except services.ApplicationError as exc:
                self.message_user(request, f"{contact}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{moved} message(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Mark as in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._move(request, queryset, "in_progress")

    @admin.action(description="Mark as resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._move(request, queryset, "resolved")

    @admin.action(description="Mark as closed", permissions=["change"])
    def mark_closed(self, request, queryset):
        self._move(request, queryset, "closed")

    @admin.action(description="Mark as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._move(request, queryset, "spam")


@admin.register(NewsletterSubscriber)
class NewsletterSubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = ("status",)
    search_fields = ("email", "name")
    readonly_fields = ("created_at", "confirmed_at", "unsubscribed_at")
    actions = ["export_csv"]

    @admin.action(description="Export selected subscribers as CSV (audited)", permissions=["view"])
    def export_csv(self, request, queryset):
        csv_text = services.subscribers_export_csv(actor=request.user, subscribers=queryset.order_by("-created_at"))
        response = HttpResponse(csv_text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="newsletter-subscribers.csv"'
        return response


class NewsletterDeliveryInline(admin.TabularInline):
    model = NewsletterDelivery
    extra = 0
    can_delete = False
    fields = ("subscriber", "outbox", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ("subject", "status", "created_at", "sent_at")
    list_filter = ("status",)
    readonly_fields = ("status", "created_by", "created_at", "sent_at")
    actions = ["send_to_subscribers"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Send to every confirmed subscriber", permissions=["change"])
    def send_to_subscribers(self, request, queryset):
        for newsletter in queryset:
            services.newsletter_start_sending(newsletter=newsletter, actor=request.user)
        self.message_user(
            request,
            f"Sending {queryset.count()} newsletter(s) in the background. Subscribers who already got one are skipped.",
            messages.SUCCESS,
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != NewsletterStatus.DRAFT:
            return (*self.readonly_fields, "subject", "text_body", "html_body")
        return self.readonly_fields


@admin.register(ContactStatusChange)
class ContactStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "contact", "from_status", "to_status", "changed_by")
    list_filter = ("to_status", "changed_at")
    search_fields = ("contact__email", "contact__name", "changed_by__email")
    list_select_related = ("contact", "changed_by")
    date_hierarchy = "changed_at"


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "newsletter", "subscriber", "outbox")
    list_filter = ("newsletter",)
    search_fields = ("subscriber__email", "newsletter__subject")
    list_select_related = ("newsletter", "subscriber", "outbox")
    date_hierarchy = "created_at"
