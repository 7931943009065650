from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet

from apps.core.admin import ReadOnlyAdmin
from apps.core.errors import ApplicationError

from . import enrollment_requests, services
from .models import (
    Certificate,
    Course,
    Enrollment,
    EnrollmentRequest,
    Lesson,
    LessonProgress,
    validate_supported_currency,
)
from .selectors import can_teach


class LessonInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """The services change one lesson at a time (deletions first), so a position may only
        move to one that is free or freed by a deletion here; a swap is two saves."""
        super().clean()
        if self.instance._state.adding:
            return
        holders = dict(self.instance.lessons.values_list("position", "pk"))
        deleted = {form.instance.pk for form in self.deleted_forms if form.instance.pk}
        for form in self.forms:
            if form in self.deleted_forms or not form.has_changed() or "position" not in form.changed_data:
                continue
            holder = holders.get(form.cleaned_data.get("position"))
            if holder is not None and holder != form.instance.pk and holder not in deleted:
                form.add_error("position", "Another lesson has this position; move that one first, then save again.")


class LessonInline(admin.TabularInline):
    """Saved through the lesson services (CourseAdmin.save_formset), like the API's changes."""

    model = Lesson
    formset = LessonInlineFormSet
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # video URLs are https only
    extra = 0
    fields = ("position", "title", "video_url", "duration_seconds", "is_preview")


class CourseAdminForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = services.COURSE_FIELDS  # what the course services write, and nothing else

    def clean_instructor(self):
        instructor = self.cleaned_data.get("instructor")
        if instructor is not None and not can_teach(instructor):
            raise forms.ValidationError("The instructor must be an active instructor, founder or admin.")
        return instructor

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        validate_supported_currency(value)
        return value


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ("title", "instructor", "level", "price", "is_published", "published_at", "enrollment_count")
    list_filter = ("is_published", "level", "category")
    date_hierarchy = "published_at"
    search_fields = ("title", "slug", "description")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("instructor",)
    readonly_fields = ("published_at", "lesson_count", "total_duration_seconds", "enrollment_count")
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

    def save_model(self, request, obj: Course, form, change: bool) -> None:
        """Through the course services, so an admin edit is audited (with the changed fields)
        like an API edit, and the catalogue figures are never written from the form."""
        fields = form.changed_data if change else list(form.cleaned_data)
        data = {name: form.cleaned_data[name] for name in fields if name in services.COURSE_FIELDS}
        if data.get("thumbnail") is False:  # "clear" ticked
            data["thumbnail"] = ""
        if change:
            course = services.course_update(actor=request.user, course=Course.objects.get(pk=obj.pk), data=data)
        else:
            if not data.get("thumbnail"):
                data.pop("thumbnail", None)
            course = services.course_create(actor=request.user, data=data)
            obj.pk, obj._state.adding = course.pk, False
        for name in ("slug", "published_at", "created_at", "updated_at"):
            setattr(obj, name, getattr(course, name))

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not Lesson:
            return super().save_formset(request, form, formset, change)
        self._save_lessons(request, course=form.instance, formset=formset)

    def _save_lessons(self, request, *, course: Course, formset) -> None:
        """Deletions, then edits, then new lessons, each through its service: audited, and
        enrolments' progress follows (the figures and the catalogue cache follow from the
        Lesson signals). Edits of a position into one still taken are rejected by the form."""
        course = Course.objects.get(pk=course.pk)
        # Kept up to date for the admin's change message (LogEntry), as BaseModelFormSet.save() does.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for lesson_form in formset.deleted_forms:
            if lesson_form.instance.pk is not None:
                lesson = Lesson.objects.select_related("course").get(pk=lesson_form.instance.pk)
                formset.deleted_objects.append(lesson)
                services.lesson_delete(actor=request.user, lesson=lesson)
        for lesson_form in formset.initial_forms:
            if lesson_form in formset.deleted_forms or not lesson_form.has_changed():
                continue
            data = {name: lesson_form.cleaned_data[name] for name in lesson_form.changed_data}
            lesson = services.lesson_update(
                actor=request.user,
                lesson=Lesson.objects.select_related("course").get(pk=lesson_form.instance.pk),
                data=data,
            )
            formset.changed_objects.append((lesson, lesson_form.changed_data))
        for lesson_form in formset.extra_forms:
            if not lesson_form.has_changed() or lesson_form in formset.deleted_forms:
                continue
            data = {name: value for name, value in lesson_form.cleaned_data.items() if name in services.LESSON_FIELDS}
            formset.new_objects.append(services.lesson_create(actor=request.user, course=course, data=data))

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
    date_hierarchy = "enrolled_at"
    inlines = [LessonProgressInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("code", "student_name", "course_title", "completed_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("code", "student_name", "user__email", "course_title")
    date_hierarchy = "completed_at"
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


@admin.register(Lesson)
class LessonAdmin(ReadOnlyAdmin):
    """Every lesson, searchable; lessons are edited on their course's page (kept in step there)."""

    list_display = ("course", "position", "title", "duration_seconds", "is_preview")
    list_filter = ("is_preview", "course")
    search_fields = ("title", "course__title")
    list_select_related = ("course",)


@admin.register(LessonProgress)
class LessonProgressAdmin(ReadOnlyAdmin):
    list_display = ("enrollment", "lesson", "completed_at")
    search_fields = ("enrollment__user__email", "lesson__title")
    list_select_related = ("enrollment__user", "enrollment__course", "lesson")
    date_hierarchy = "completed_at"


@admin.register(EnrollmentRequest)
class EnrollmentRequestAdmin(ReadOnlyAdmin):
    """The website's enrolment form. "Convert" makes the account (inviting the person to set a
    password) and the enrolment, as the API's `convert` action does."""

    list_display = ("created_at", "first_name", "last_name", "email", "course_title", "course_price", "paid", "status")
    list_filter = ("status", "source", "paid", "level")
    search_fields = ("first_name", "last_name", "email", "course_title")
    list_select_related = ("course",)
    date_hierarchy = "created_at"
    actions = ["convert"]

    def has_convert_permission(self, request) -> bool:
        return request.user.has_perm("courses.change_enrollmentrequest")

    @admin.action(description="Convert to an account and enrolment (e-mails an invitation)", permissions=["convert"])
    def convert(self, request, queryset: QuerySet[EnrollmentRequest]) -> None:
        converted, problems = 0, []
        for enrollment_request in queryset:
            try:
                enrollment_requests.enrollment_request_convert(actor=request.user, request_id=enrollment_request.pk)
                converted += 1
            except ApplicationError as exc:
                problems.append(f"{enrollment_request.email}: {exc.message}")
        if converted:
            self.message_user(request, f"{converted} request(s) converted.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)
