from django.contrib import admin, messages
from django.db.models import Count, Q

from apps.core.admin import ReadOnlyAdmin

from .models import Coupon, CouponRedemption, Invoice, Payment, Refund, StripeEvent, StripeEventStatus
from .tasks import process_stripe_event_task


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "kind",
        "percent_off",
        "amount_off_paise",
        "valid_from",
        "valid_until",
        "max_redemptions",
        "redeemed",
        "is_active",
    )
    list_filter = ("is_active", "kind")
    search_fields = ("code",)
    filter_horizontal = ("courses",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(redeemed_count=Count("redemptions", filter=Q(redemptions__status="redeemed")))
        )

    @admin.display(description="Redeemed", ordering="redeemed_count")
    def redeemed(self, obj) -> int:
        return obj.redeemed_count


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(ReadOnlyAdmin):
    list_display = ("coupon", "user", "status", "payment", "created_at")
    list_filter = ("status", "coupon")
    list_select_related = ("coupon", "user", "payment")


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = ("amount", "status", "reason", "requested_by", "stripe_refund_id", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments change only through Stripe's reports; refunds are asked through the API."""

    list_display = ("created_at", "user", "enrollment", "amount", "currency", "status", "amount_refunded")
    list_filter = ("status", "created_at")
    search_fields = ("stripe_payment_intent_id", "user__email")
    list_select_related = ("user", "enrollment__course")
    date_hierarchy = "created_at"
    exclude = ("client_secret",)
    inlines = [RefundInline]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "issued_at", "buyer_name", "total", "currency")
    list_filter = ("kind", "financial_year")
    search_fields = ("number", "buyer_email", "buyer_name")
    date_hierarchy = "issued_at"


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "id", "type", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("id",)
    actions = ["process_again"]

    def has_process_again_permission(self, request) -> bool:
        return request.user.has_perm("payments.view_stripeevent")

    @admin.action(description="Process the selected failed events again", permissions=["process_again"])
    def process_again(self, request, queryset) -> None:
        count = 0
        for event in queryset.filter(status__in=[StripeEventStatus.FAILED, StripeEventStatus.PENDING]):
            process_stripe_event_task.delay(event_id=event.pk)
            count += 1
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)
