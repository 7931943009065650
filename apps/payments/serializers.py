from django.conf import settings
from rest_framework import serializers

from .models import Invoice, InvoiceKind, Payment, PaymentStatus, Refund


class PaymentIntentCreateSerializer(serializers.Serializer):
    course = serializers.UUIDField(required=False)
    enrollment = serializers.UUIDField(required=False)
    coupon = serializers.CharField(required=False, allow_blank=True, max_length=40)
    billing_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    billing_gstin = serializers.RegexField(
        r"^[0-9]{2}[A-Z0-9]{13}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "A GSTIN is 15 characters: 2 digits, then 13 capital letters or digits."},
    )
    billing_state = serializers.CharField(required=False, allow_blank=True, max_length=60)

    def validate(self, attrs):
        if bool(attrs.get("course")) == bool(attrs.get("enrollment")):
            raise serializers.ValidationError({"course": ["Give either course or enrollment (one of them)."]})
        return attrs


class PaymentIntentSerializer(serializers.Serializer):
    client_secret = serializers.CharField()
    payment_intent_id = serializers.CharField(source="stripe_payment_intent_id")
    amount = serializers.IntegerField(help_text="In paise.")
    currency = serializers.CharField()
    publishable_key = serializers.SerializerMethodField()
    enrollment = serializers.UUIDField(source="enrollment_id")
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    discount = serializers.IntegerField(help_text="In paise.")

    def get_publishable_key(self, payment) -> str:
        return settings.STRIPE_PUBLIC_KEY


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "reason", "status", "failure_message", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    # Legacy payments (source "legacy") have no user or enrolment until their request is converted.
    course = serializers.UUIDField(source="enrollment.course_id", read_only=True, default=None)
    course_title = serializers.CharField(source="enrollment.course.title", read_only=True, default=None)
    user = serializers.UUIDField(source="user_id", read_only=True, allow_null=True)
    user_email = serializers.EmailField(source="user.email", read_only=True, default=None)
    coupon = serializers.CharField(source="coupon.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "source",
            "user",
            "user_email",
            "enrollment",
            "course",
            "course_title",
            "stripe_payment_intent_id",
            "amount",
            "currency",
            "list_price",
            "discount",
            "coupon",
            "status",
            "amount_refunded",
            "failure_message",
            "created_at",
            "succeeded_at",
        ]
        read_only_fields = fields


class _DateRangeFilter(serializers.Serializer):
    created_after = serializers.DateField(required=False, help_text="On or after this date (YYYY-MM-DD).")
    created_before = serializers.DateField(required=False, help_text="On or before this date (YYYY-MM-DD).")

    def validate(self, attrs: dict) -> dict:
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after > before:
            raise serializers.ValidationError({"created_before": ["Must not be earlier than created_after."]})
        return attrs


class PaymentFilterSerializer(_DateRangeFilter):
    status = serializers.ListField(child=serializers.ChoiceField(choices=PaymentStatus.choices), required=False)
    user = serializers.UUIDField(required=False)


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.IntegerField(required=False, min_value=1, help_text="In paise; default: all that is left.")
    reason = serializers.CharField(max_length=500)


class InvoiceSerializer(serializers.ModelSerializer):
    original_invoice = serializers.CharField(
        source="original_invoice.number", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "number",
            "issued_at",
            "payment",
            "original_invoice",
            "buyer_name",
            "buyer_gstin",
            "buyer_state",
            "place_of_supply",
            "sac_code",
            "currency",
            "line_items",
            "taxable_value",
            "cgst_rate",
            "cgst_amount",
            "sgst_rate",
            "sgst_amount",
            "igst_rate",
            "igst_amount",
            "total",
        ]
        read_only_fields = fields


class InvoiceFilterSerializer(_DateRangeFilter):
    """The same parameter names as the payments list; dates are the invoice's issue date and
    `status` is the status of the invoice's payment (an invoice itself never changes)."""

    kind = serializers.ChoiceField(choices=InvoiceKind.choices, required=False)
    status = serializers.ListField(child=serializers.ChoiceField(choices=PaymentStatus.choices), required=False)
    user = serializers.UUIDField(required=False)
