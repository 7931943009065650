"""The shapes the React website sends and reads (its contract: MIGRATION_GUIDE.md)."""

from rest_framework import serializers

from apps.contacts.models import Contact
from apps.courses.models import CourseLevel, EnrollmentRequest
from apps.users.serializers import password_field, phone_validator


class WebsiteContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "subject", "message", "created_at"]
        read_only_fields = fields


class WebsiteEnrollmentSerializer(serializers.ModelSerializer):
    """An enrolment request as the Node.js backend's registrations row looked."""

    name = serializers.CharField(source="full_name", read_only=True)
    course = serializers.CharField(source="course_title", read_only=True)
    price = serializers.IntegerField(source="course_price", read_only=True, help_text="Whole rupees.")
    # Declared: DRF drops allow_blank from a read-only model field, and the website may leave it out.
    level = serializers.ChoiceField(choices=CourseLevel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = EnrollmentRequest
        fields = ["id", "name", "email", "phone", "course", "level", "price", "notes", "created_at"]
        read_only_fields = fields


class WebsiteRegisterSerializer(serializers.Serializer):
    """The Register page: one `name`, split into first and last name (first word, the rest)."""

    name = serializers.CharField(max_length=301)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", validators=[phone_validator]
    )
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    password = password_field()

    def validate_name(self, value: str) -> str:
        first, _, last = value.strip().partition(" ")
        if len(first) > 150 or len(last.strip()) > 150:
            raise serializers.ValidationError("First and last name must be at most 150 characters each.")
        return value.strip()

    def to_account(self) -> dict:
        data = self.validated_data
        first, _, last = data["name"].partition(" ")
        return {
            "email": data["email"],
            "password": data["password"],
            "first_name": first,
            "last_name": last.strip(),
            "phone_number": data["phone"],
            "company": data["company"],
        }
