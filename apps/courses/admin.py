from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet

from apps.core.admin import ReadOnlyAdmin

from . import services
from .models import Certificate, Course, Enrollment, Lesson, LessonProgress, validate_supported_currency


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ("position", "title", "video_url", "duration_seconds", "is_preview")


class CourseAdminForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = (
            "slug",
            "title",
            "short_description",
            "description",
            "category",
            "level",
            "duration",
            "price",
            "currency",
            "thumbnail",
            "instructor",
            "is_published",
            "published_at",
        )

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        validate_supported_currency(value)
        return value


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ("title", "instructor", "level", "price", "is_published", "published_at")
    list_filter = ("is_published", "level", "category")
    search_fields = ("title", "slug", "description")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("instructor",)
    inlines = [LessonInline]
    actions = ["publish", "unpublish"]

    @admin.action(description="Publish the selected courses", permissions=["change"])
    def publish(self, request, queryset: QuerySet[Course]) -> None:
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish the selected courses", permissions=["change"])
    def unpublish(self, request, queryset: QuerySet[Course]) -> None:
        self._set_published(request, queryset, False)

    def _set_published(self, request, queryset, published: bool) -> None:
        for course in queryset:
            services.course_set_published(actor=request.user, course=course, published=published)
        self.message_user(request, f"{queryset.count()} course(s) {'published' if published else 'unpublished'}.")

    def delete_model(self, request, obj: Course) -> None:
        services.course_delete(actor=request.user, course=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Bulk deletion would bypass the "no deleting a course with students" rule.
        return obj is not None and super().has_delete_permission(request, obj)


class LessonProgressInline(admin.TabularInline):
    model = LessonProgress
    extra = 0
    fields = ("lesson", "completed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "course", "status", "progress_percent", "enrolled_at", "completed_at")
    list_filter = ("status", "course")
    search_fields = ("user__email", "course__title")
    list_select_related = ("user", "course")
    inlines = [LessonProgressInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("code", "student_name", "course_title", "completed_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("code", "student_name", "user__email", "course_title")
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("courses.change_certificate")

    @admin.action(description="Revoke the selected certificates", permissions=["revoke"])
    def revoke(self, request, queryset: QuerySet[Certificate]) -> None:
        revoked = 0
        for certificate in queryset.filter(revoked_at__isnull=True):
            services.certificate_revoke(actor=request.user, certificate=certificate, reason="revoked in the admin")
            revoked += 1
        self.message_user(request, f"{revoked} certificate(s) revoked.", messages.SUCCESS)
