import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q


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
    currency = models.CharField(max_length=3, default="INR")
    thumbnail = models.ImageField(upload_to=course_thumbnail_path, blank=True)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="courses_course_price_non_negative")]
        indexes = [
            models.Index(fields=["is_published", "-published_at"]),
            models.Index(fields=["is_published", "price"]),
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
