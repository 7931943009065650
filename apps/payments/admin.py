from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.core.admin import ReadOnlyAdmin
from apps.core.errors import ApplicationError

from . import gateway, services
from .models import (
    PAID_STATUSES,
    Coupon,
    CouponRedemption,
    Invoice,
    InvoiceSequence,
    Payment,
    Refund,
    StripeEvent,
    StripeEventStatus,
)
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


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        required=False, min_value=1, help_text="In paise. Leave empty to refund everything still refundable."
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments change only through Stripe's reports; refunds go through the payments service."""

    list_display = ("created_at", "user", "enrollment", "amount", "currency", "status", "amount_refunded")
    list_filter = ("status", "created_at")
    search_fields = ("stripe_payment_intent_id", "user__email", "id")
    list_select_related = ("user", "enrollment__course")
    date_hierarchy = "created_at"
    exclude = ("client_secret",)
    inlines = [RefundInline]
    actions = ["refund"]
    change_form_template = "admin/payments/payment/change_form.html"

    def has_refund_permission(self, request) -> bool:
        return request.user.is_superuser or request.user.is_staff_member

    def get_urls(self):
        own = [
            path(
                "<uuid:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_payment_refund",
            )
        ]
        return own + super().get_urls()

    @admin.action(description="Refund the selected payment…", permissions=["refund"])
    def refund(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one payment to refund.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:payments_payment_refund", args=[queryset.get().pk]))

    def refund_view(self, request, object_id):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("user", "enrollment__course"), pk=object_id)
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = services.refund_request(
                    actor=request.user,
                    payment_id=payment.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except (ApplicationError, gateway.ProviderError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                self.message_user(
                    request, f"Refund of {refund.amount} paise: {refund.get_status_display()}.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund payment {payment.stripe_payment_intent_id or payment.pk}",
            "opts": self.opts,
            "payment": payment,
            "form": form,
            "refundable": payment.amount - payment.amount_refunded,
            "is_refundable": payment.status in PAID_STATUSES and payment.amount > payment.amount_refunded,
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "issued_at", "buyer_name", "buyer_email", "total", "currency")
    list_filter = ("kind", "financial_year")
    search_fields = ("number", "buyer_email", "buyer_name")
    date_hierarchy = "issued_at"
    actions = ["resend"]

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("payments.view_invoice")

    @admin.action(description="E-mail the selected invoices to their buyers again", permissions=["resend"])
    def resend(self, request, queryset) -> None:
        count = 0
        for invoice in queryset:
            services.invoice_resend(invoice=invoice, actor=request.user)
            count += 1
        self.message_user(request, f"{count} invoice(s) queued to be e-mailed again.", messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount", "status", "requested_by", "stripe_refund_id")
    list_filter = ("status", "created_at")
    search_fields = ("payment__stripe_payment_intent_id", "payment__user__email", "stripe_refund_id", "reason")
    list_select_related = ("payment", "requested_by")
    date_hierarchy = "created_at"


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyAdmin):
    list_display = ("kind", "financial_year", "last_number")
    list_filter = ("kind",)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "id", "type", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("id",)
    date_hierarchy = "received_at"
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
