"""Payments (Stripe payment intents), coupons, refunds, Stripe's webhook events and GST invoices.

Money is stored in paise (integers): never floats, never rupee decimals, from the course price to
the invoice total.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class PaymentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", "Requires payment"
    REQUIRES_ACTION = "requires_action", "Requires action (3-D Secure)"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    # Superseded before it was paid (the amount changed, or it expired): the intent was cancelled.
    CANCELED = "canceled", "Canceled"


# A payment that may still be paid: at most one per enrolment.
LIVE_STATUSES = (PaymentStatus.REQUIRES_PAYMENT, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)
# A payment whose money arrived (some may have gone back since).
PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class PaymentSource(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    # Taken by the Node.js backend outside Stripe, recorded at import: no intent, no invoice here.
    LEGACY = "legacy", "Legacy (Node.js backend, outside Stripe)"


class CouponKind(models.TextChoices):
    PERCENT = "percent", "Percentage"
    FIXED = "fixed", "Fixed amount"


class Coupon(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="Stored in capitals; matched ignoring case.")
    kind = models.CharField(max_length=8, choices=CouponKind.choices)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    amount_off_paise = models.PositiveIntegerField(null=True, blank=True, help_text="Fixed discount, in paise.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    courses = models.ManyToManyField("courses.Course", blank=True, help_text="Empty: every course.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="payments_coupon_code_ci_unique"),
            models.CheckConstraint(
                condition=(Q(kind="percent", percent_off__isnull=False, amount_off_paise__isnull=True))
                | (Q(kind="fixed", amount_off_paise__isnull=False, percent_off__isnull=True)),
                name="payments_coupon_kind_matches_value",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class Payment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField(max_length=8, choices=PaymentSource.choices, default=PaymentSource.STRIPE, db_index=True)
    # A legacy payment has no account or enrolment until staff convert its enrolment request.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    enrollment = models.ForeignKey(
        "courses.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    enrollment_request = models.ForeignKey(
        "courses.EnrollmentRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    # NULL, not "", for legacy payments: the column is unique.
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    client_secret = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    list_price = models.PositiveBigIntegerField(help_text="The course price, in paise.")
    coupon = models.ForeignKey(Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    discount = models.PositiveBigIntegerField(default=0, help_text="In paise.")
    amount = models.PositiveBigIntegerField(help_text="Charged, in paise.")
    amount_refunded = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.REQUIRES_PAYMENT)
    failure_message = models.CharField(max_length=500, blank=True)
    billing_name = models.CharField(max_length=300, blank=True)
    billing_gstin = models.CharField(max_length=15, blank=True)
    billing_state = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["user", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(status__in=LIVE_STATUSES), name="payments_one_live_per_enrollment"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(
                        source="stripe",
                        stripe_payment_intent_id__isnull=False,
                        user__isnull=False,
                        enrollment__isnull=False,
                    )
                )
                | Q(source="legacy", stripe_payment_intent_id__isnull=True, enrollment_request__isnull=False),
                name="payments_payment_source_fields",
            ),
            models.UniqueConstraint(
                fields=["enrollment_request"],
                condition=Q(enrollment_request__isnull=False),
                name="payments_one_legacy_per_request",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")), name="payments_refunded_not_above_amount"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=F("list_price") - F("discount")),
                name="payments_amount_covers_price_less_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_payment_intent_id or 'legacy ' + str(self.pk)} ({self.status})"


class RedemptionStatus(models.TextChoices):
    HELD = "held", "Held for a payment in progress"
    REDEEMED = "redeemed", "Redeemed"
    RELEASED = "released", "Released"


class CouponRedemption(models.Model):
    """A coupon's use by one student. Held while its payment is in progress (so two students can't
    both be offered the last redemption), redeemed when the payment succeeds, released otherwise."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="redemption")
    status = models.CharField(max_length=8, choices=RedemptionStatus.choices, default=RedemptionStatus.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "user"],
                condition=Q(status__in=["held", "redeemed"]),
                name="payments_coupon_once_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} by {self.user_id} ({self.status})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class Refund(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    failure_message = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} ({self.status})"


class StripeEventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (unknown type)"
    FAILED = "failed", "Failed (will be retried)"


class StripeEvent(models.Model):
    """Every webhook event Stripe sent, stored once by its id before anything is done with it."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=StripeEventStatus.choices, default=StripeEventStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ({self.status})"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Tax invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceSequence(models.Model):
    """The last number used per document kind and Indian financial year; incremented under a row
    lock in the transaction that issues the document, so numbers are unique and gap-free."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    financial_year = models.CharField(max_length=7)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "financial_year"], name="payments_invoice_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.financial_year}: {self.last_number}"


class Invoice(models.Model):
    """A GST tax invoice for a payment, or a credit note for a refund (referring to the invoice).
    Everything printed is copied here at issue: an invoice never changes afterwards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(max_length=40, unique=True)
    financial_year = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField()
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note")
    original_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    issued_at = models.DateTimeField()
    seller_name = models.CharField(max_length=300)
    seller_address = models.CharField(max_length=500)
    seller_gstin = models.CharField(max_length=15)
    seller_state = models.CharField(max_length=60)
    buyer_name = models.CharField(max_length=300)
    buyer_email = models.EmailField()
    buyer_gstin = models.CharField(max_length=15, blank=True)
    buyer_state = models.CharField(max_length=60, blank=True)
    place_of_supply = models.CharField(max_length=60)
    sac_code = models.CharField(max_length=10)
    currency = models.CharField(max_length=3)
    line_items = models.JSONField()
    taxable_value = models.BigIntegerField()
    cgst_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    cgst_amount = models.BigIntegerField(default=0)
    sgst_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    sgst_amount = models.BigIntegerField(default=0)
    igst_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    igst_amount = models.BigIntegerField(default=0)
    total = models.BigIntegerField()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "financial_year", "sequence"], name="payments_invoice_number_unique_per_year"
            ),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="invoice"), name="payments_one_invoice_per_payment"
            ),
            models.CheckConstraint(
                condition=Q(total=F("taxable_value") + F("cgst_amount") + F("sgst_amount") + F("igst_amount")),
                name="payments_invoice_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number
