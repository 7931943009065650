from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.users.serializers import phone_validator

from .models import Contact, ContactStatus, ContactStatusChange, NewsletterSubscriber, SubscriberStatus


class ContactCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", validators=[phone_validator]
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=5000, min_length=1)
    # Honeypot: hidden from people by the website, filled in by bots. Accepted, stored as spam.
    website = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ContactSerializer(serializers.ModelSerializer):
    """What the sender gets back."""

    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "subject", "message", "status", "created_at"]
        read_only_fields = fields


class ContactStatusChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.UUIDField(source="changed_by_id", read_only=True)
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ContactStatusChange
        fields = ["from_status", "to_status", "changed_fields", "changed_by", "changed_by_name", "changed_at"]

    def get_changed_by_name(self, change) -> str:
        return change.changed_by.get_full_name() if change.changed_by else ""


class ContactStaffSerializer(serializers.ModelSerializer):
    assigned_to = serializers.UUIDField(source="assigned_to_id", read_only=True, allow_null=True)
    assigned_to_name = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "subject",
            "message",
            "status",
            "assigned_to",
            "assigned_to_name",
            "internal_note",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assigned_to_name(self, contact) -> str:
        return contact.assigned_to.get_full_name() if contact.assigned_to else ""


class ContactStaffDetailSerializer(ContactStaffSerializer):
    history = ContactStatusChangeSerializer(many=True, read_only=True)

    class Meta(ContactStaffSerializer.Meta):
        fields = [*ContactStaffSerializer.Meta.fields, "history"]
        read_only_fields = fields


class ContactUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ContactStatus.choices, required=False)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True
    )
    internal_note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ContactFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=ContactStatus.choices, required=False)
    created_after = serializers.DateField(required=False)
    created_before = serializers.DateField(required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class SubscribeSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class NewsletterTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)


class UnsubscribeSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    token = serializers.CharField(max_length=512, required=False)

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("token"):
            raise serializers.ValidationError({"email": ["Give the e-mail address or the token from a newsletter."]})
        return attrs


class SubscriberSerializer(serializers.ModelSerializer):
    class Meta:
        model = NewsletterSubscriber
        fields = ["id", "email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at"]
        read_only_fields = fields


class SubscriberFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SubscriberStatus.choices, required=False)
