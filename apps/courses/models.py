import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CourseLevel(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


def course_thumbnail_path(instance: "Course", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"course_thumbnails/{instance.pk}/{uuid.uuid4().hex}.{extension}"


def lesson_file_path(instance: "Lesson", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"lesson_files/{instance.course_id}/{uuid.uuid4().hex}.{extension}"


def default_currency() -> str:
    return settings.COURSE_CURRENCY


def validate_supported_currency(value: str) -> None:
    """Only the currencies in settings.COURSE_SUPPORTED_CURRENCIES (payments and GST invoices
    are built for them). Used by the API serializer and the admin form; not a model validator,
    so changing the setting needs no migration."""
    if value not in settings.COURSE_SUPPORTED_CURRENCIES:
        supported = ", ".join(settings.COURSE_SUPPORTED_CURRENCIES)
        raise ValidationError(f"Unsupported currency {value!r}; supported: {supported}.", code="unsupported_currency")


class Course(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=220, unique=True)
    title = models.CharField(max_length=200)
    short_description = models.CharField(max_length=300, blank=True)
    description = models.TextField()
    category = models.CharField(max_length=100, blank=True, db_index=True)
    level = models.CharField(max_length=16, choices=CourseLevel.choices, db_index=True)
    duration = models.CharField(max_length=50, blank=True, help_text='Free text, such as "12 weeks".')
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))], help_text="Rupees; 0 is free."
    )
    currency = models.CharField(max_length=3, default=default_currency)
    thumbnail = models.ImageField(upload_to=course_thumbnail_path, blank=True)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # The catalogue's figures, kept by services.course_refresh_figures whenever a lesson or an
    # enrolment changes, so the hot list reads them in one row instead of three subqueries each.
    lesson_count = models.PositiveIntegerField(default=0, editable=False)
    total_duration_seconds = models.PositiveBigIntegerField(default=0, editable=False)
    enrollment_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="courses_course_price_non_negative")]
        indexes = [
            models.Index(fields=["is_published", "-published_at"]),
            models.Index(fields=["is_published", "price"]),
            models.Index(fields=["is_published", "-enrollment_count"]),
            models.Index(fields=["instructor", "is_published"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return self.price == 0


class Lesson(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    video_url = models.URLField(blank=True, validators=[URLValidator(schemes=["https"])])
    video_file = models.FileField(upload_to=lesson_file_path, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    is_preview = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="courses_lesson_position_unique"),
            models.CheckConstraint(
                condition=Q(video_url="") | Q(video_url__startswith="https://"),
                name="courses_lesson_video_url_https",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} #{self.position}: {self.title}"


class EnrollmentStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


# Enrolments that give access to the course's lessons (and survive its unpublishing).
ACCESS_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


class Enrollment(models.Model):
    """A student's place in a course. Paid courses start at pending_payment; the payments app
    activates the enrolment when the money arrives and marks it refunded when it goes back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(max_length=16, choices=EnrollmentStatus.choices, db_index=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_enrollment_user_course_unique"),
            models.CheckConstraint(condition=Q(progress_percent__lte=100), name="courses_enrollment_progress_max_100"),
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="courses_enrollment_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} ({self.status})"

    @property
    def gives_access(self) -> bool:
        return self.status in ACCESS_STATUSES


class LessonProgress(models.Model):
    """One lesson a student has completed within an enrolment."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "lesson"], name="courses_lessonprogress_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: {self.lesson_id}"


class Certificate(models.Model):
    """Proof of completion. Names and dates are copied at issue, so the certificate stays as issued
    when the course is renamed; `code` is the unguessable public handle used to verify it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enrollment = models.OneToOneField(Enrollment, on_delete=models.PROTECT, related_name="certificate")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=32, unique=True)
    student_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=200)
    instructor_name = models.CharField(max_length=300)
    completed_at = models.DateTimeField()
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.code}: {self.student_name}, {self.course_title}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class EnrollmentRequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONVERTED = "converted", "Converted into an account and enrolment"
    CLOSED = "closed", "Closed without an enrolment"


class EnrollmentRequestSource(models.TextChoices):
    WEBSITE = "website", "Website form"
    IMPORTED = "imported", "Imported from the Node.js backend"


class EnrollmentRequest(models.Model):
    """The website's enrolment form, sent by a visitor without an account: what they asked for,
    as they saw it (title, price, level), until staff turn it into an account and an enrolment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    experience = models.CharField(max_length=200, blank=True)
    # The course as the website showed it; `course` is the catalogue's course with that title, if any.
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollment_requests"
    )
    course_title = models.CharField(max_length=200)
    course_price = models.PositiveIntegerField(default=0, help_text="Whole rupees, as shown to the visitor.")
    course_duration = models.CharField(max_length=50, blank=True)
    level = models.CharField(max_length=16, choices=CourseLevel.choices, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    paid = models.BooleanField(default=False, help_text="Paid outside Stripe (the Node.js backend's flag).")
    status = models.CharField(
        max_length=16, choices=EnrollmentRequestStatus.choices, default=EnrollmentRequestStatus.NEW, db_index=True
    )
    source = models.CharField(
        max_length=16, choices=EnrollmentRequestSource.choices, default=EnrollmentRequestSource.WEBSITE
    )
    legacy_id = models.CharField(max_length=64, blank=True, help_text="Id in the Node.js backend, for imports.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrollment = models.ForeignKey(Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Not auto_now_add: imported requests keep the date they were sent on.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "legacy_id"],
                condition=~Q(legacy_id=""),
                name="courses_enrollmentrequest_legacy_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>: {self.course_title}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
