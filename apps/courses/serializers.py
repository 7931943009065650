from decimal import Decimal

from django.core.validators import URLValidator
from django.utils.text import slugify
from rest_framework import serializers

from apps.users.models import User
from apps.users.serializers import phone_validator

from .models import (
    Certificate,
    Course,
    CourseLevel,
    Enrollment,
    EnrollmentRequest,
    EnrollmentRequestStatus,
    EnrollmentStatus,
    Lesson,
    validate_supported_currency,
)

ORDERING_CHOICES = ["published_at", "-published_at", "price", "-price", "enrollment_count", "-enrollment_count"]


class CourseFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=CourseLevel.choices, required=False)
    category = serializers.CharField(required=False, max_length=100)
    is_free = serializers.BooleanField(required=False, allow_null=True, default=None)
    instructor = serializers.UUIDField(required=False)
    search = serializers.CharField(required=False, max_length=200, default="")
    ordering = serializers.ChoiceField(choices=ORDERING_CHOICES, required=False)
    mine = serializers.BooleanField(required=False, default=False)


class CourseListSerializer(serializers.ModelSerializer):
    instructor_name = serializers.CharField(source="instructor.get_full_name", read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)
    total_duration_seconds = serializers.IntegerField(read_only=True)
    enrollment_count = serializers.IntegerField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "slug",
            "title",
            "short_description",
            "category",
            "level",
            "duration",
            "price",
            "currency",
            "is_free",
            "thumbnail",
            "instructor",
            "instructor_name",
            "lesson_count",
            "total_duration_seconds",
            "enrollment_count",
            "is_published",
            "published_at",
        ]
        read_only_fields = fields


_datetime = serializers.DateTimeField()


def course_list_items(rows, *, request) -> list[dict]:
    """The catalogue's items from `selectors.catalogue_rows` dicts, built directly rather than
    field by field: the list is the hottest read of the site. The output is exactly
    CourseListSerializer's (a test asserts it), which stays the documented schema."""
    storage = Course._meta.get_field("thumbnail").storage
    items = []
    for row in rows:
        thumbnail = storage.url(row["thumbnail"]) if row["thumbnail"] else None
        name = f"{row['instructor__first_name']} {row['instructor__last_name']}".strip()
        published_at = row["published_at"]
        items.append(
            {
                "id": str(row["id"]),
                "slug": row["slug"],
                "title": row["title"],
                "short_description": row["short_description"],
                "category": row["category"],
                "level": row["level"],
                "duration": row["duration"],
                "price": f"{row['price']:.2f}",
                "currency": row["currency"],
                "is_free": row["price"] == 0,
                "thumbnail": request.build_absolute_uri(thumbnail) if thumbnail and request else thumbnail,
                "instructor": str(row["instructor_id"]),
                "instructor_name": name or row["instructor__email"],
                "lesson_count": row["lesson_count"],
                "total_duration_seconds": row["total_duration_seconds"],
                "enrollment_count": row["enrollment_count"],
                "is_published": row["is_published"],
                "published_at": _datetime.to_representation(published_at) if published_at else None,
            }
        )
    return items


class LessonOutlineSerializer(serializers.ModelSerializer):
    """A lesson in a course outline: the video only for those who may watch it (context `may_watch`)."""

    video_url = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = ["id", "position", "title", "description", "duration_seconds", "is_preview", "video_url"]
        read_only_fields = fields

    def get_video_url(self, lesson: Lesson) -> str | None:
        if not (lesson.is_preview or self.context.get("may_watch")):
            return None
        if lesson.video_url:
            return lesson.video_url
        if lesson.video_file:
            request = self.context.get("request")
            url = lesson.video_file.url
            return request.build_absolute_uri(url) if request else url
        return None


class CourseDetailSerializer(CourseListSerializer):
    lessons = serializers.SerializerMethodField()

    class Meta(CourseListSerializer.Meta):
        fields = [*CourseListSerializer.Meta.fields, "description", "created_at", "updated_at", "lessons"]
        read_only_fields = fields

    def get_lessons(self, course: Course) -> list[dict]:
        return LessonOutlineSerializer(course.lessons.all(), many=True, context=self.context).data


class CourseWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, allow_blank=True)
    short_description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField()
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=CourseLevel.choices)
    duration = serializers.CharField(max_length=50, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))
    currency = serializers.CharField(max_length=3, required=False)
    thumbnail = serializers.ImageField(required=False, allow_null=True)
    is_published = serializers.BooleanField(required=False)
    instructor = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)

    def validate_slug(self, value: str) -> str:
        return slugify(value) if value else value

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        validate_supported_currency(value)
        return value


class LessonWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    video_url = serializers.URLField(
        required=False, allow_blank=True, validators=[URLValidator(schemes=["https"], message="Use an https:// URL.")]
    )
    video_file = serializers.FileField(required=False, allow_null=True)
    duration_seconds = serializers.IntegerField(min_value=0, max_value=100 * 3600, required=False)
    is_preview = serializers.BooleanField(required=False)


class EnrollmentFilterSerializer(serializers.Serializer):
    course = serializers.UUIDField(required=False)
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=EnrollmentStatus.choices), required=False, allow_empty=True
    )


class EnrollmentCreateSerializer(serializers.Serializer):
    course = serializers.UUIDField()


class EnrollmentSerializer(serializers.ModelSerializer):
    course = serializers.UUIDField(source="course_id", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    course_slug = serializers.CharField(source="course.slug", read_only=True)
    student = serializers.UUIDField(source="user_id", read_only=True)
    student_name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "course",
            "course_title",
            "course_slug",
            "student",
            "student_name",
            "status",
            "progress_percent",
            "enrolled_at",
            "completed_at",
        ]
        read_only_fields = fields


class EnrollmentDetailSerializer(EnrollmentSerializer):
    lessons = serializers.SerializerMethodField()
    certificate = serializers.SerializerMethodField()

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "lessons", "certificate"]
        read_only_fields = fields

    def get_lessons(self, enrollment: Enrollment) -> list[dict]:
        done = {progress.lesson_id: progress.completed_at for progress in enrollment.lesson_progress.all()}
        field = serializers.DateTimeField()
        return [
            {
                "id": str(lesson.pk),
                "position": lesson.position,
                "title": lesson.title,
                "duration_seconds": lesson.duration_seconds,
                "completed": lesson.pk in done,
                "completed_at": field.to_representation(done[lesson.pk]) if lesson.pk in done else None,
            }
            for lesson in enrollment.course.lessons.all()
        ]

    def get_certificate(self, enrollment: Enrollment) -> str | None:
        certificate = getattr(enrollment, "certificate", None)
        return str(certificate.pk) if certificate else None


class CertificateSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "code",
            "course",
            "course_title",
            "student_name",
            "instructor_name",
            "completed_at",
            "issued_at",
            "status",
        ]
        read_only_fields = fields

    def get_status(self, certificate: Certificate) -> str:
        return "revoked" if certificate.is_revoked else "valid"


class CertificateVerificationSerializer(serializers.ModelSerializer):
    """What anyone holding the code may learn: nothing beyond what the certificate itself shows."""

    status = serializers.SerializerMethodField()
    completed_on = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["code", "status", "student_name", "course_title", "completed_on"]
        read_only_fields = fields

    def get_status(self, certificate: Certificate) -> str:
        return "revoked" if certificate.is_revoked else "valid"

    def get_completed_on(self, certificate: Certificate) -> str:
        return certificate.completed_at.date().isoformat()


class CertificateRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


# --------------------------------------------------------------------------------------------
# Enrolment requests (the website's enrolment form)
# --------------------------------------------------------------------------------------------


class RupeesField(serializers.IntegerField):
    """Whole rupees, also as the website may show them: "4999", "4,999", "₹4,999", 4999.0."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.replace("₹", "").replace(",", "").replace("Rs.", "").strip()
        return super().to_internal_value(data)


class LevelField(serializers.ChoiceField):
    """A course level, in any case ("Beginner" is beginner)."""

    def __init__(self, **kwargs):
        super().__init__(choices=CourseLevel.choices, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class EnrollmentRequestCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", validators=[phone_validator]
    )
    experience = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    course_title = serializers.CharField(max_length=200)
    course_price = RupeesField(min_value=0, max_value=10_000_000, required=False, default=0)
    course_duration = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    course_level = LevelField(required=False, allow_blank=True, default="")


class EnrollmentRequestCreatedSerializer(serializers.ModelSerializer):
    """What the visitor gets back (the website reads `id`)."""

    course_level = serializers.CharField(source="level", read_only=True)

    class Meta:
        model = EnrollmentRequest
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "experience",
            "course_title",
            "course_price",
            "course_duration",
            "course_level",
            "created_at",
        ]
        read_only_fields = fields


class EnrollmentRequestSerializer(serializers.ModelSerializer):
    """Staff's view of a request."""

    name = serializers.CharField(source="full_name", read_only=True)
    course = serializers.UUIDField(source="course_id", read_only=True, allow_null=True)
    user = serializers.UUIDField(source="user_id", read_only=True, allow_null=True)
    enrollment = serializers.UUIDField(source="enrollment_id", read_only=True, allow_null=True)
    # Declared: DRF drops allow_blank from a read-only model field, and the website may leave it out.
    level = serializers.ChoiceField(choices=CourseLevel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = EnrollmentRequest
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "experience",
            "course",
            "course_title",
            "course_price",
            "course_duration",
            "level",
            "notes",
            "paid",
            "status",
            "source",
            "user",
            "enrollment",
            "converted_at",
            "created_at",
        ]
        read_only_fields = fields


class EnrollmentRequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EnrollmentRequestStatus.choices, required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class EnrollmentRequestConvertSerializer(serializers.Serializer):
    course = serializers.UUIDField(required=False, help_text="The course to enrol in, when the title matched none.")
