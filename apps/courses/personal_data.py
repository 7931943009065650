"""What the courses app holds about a person (see apps.core.personal_data)."""

from django.utils import timezone
from rest_framework.fields import DateTimeField

from apps.core.private_files import private_storage

from .models import Certificate, Enrollment
from .pdf import certificate_pdf_name

_dt = DateTimeField().to_representation


def export_enrolments(user) -> list[dict]:
    return [
        {
            "id": str(e.pk),
            "course": e.course.title,
            "course_id": str(e.course_id),
            "status": e.status,
            "progress_percent": e.progress_percent,
            "enrolled_at": _dt(e.enrolled_at),
            "completed_at": _dt(e.completed_at) if e.completed_at else None,
            "lessons_completed": [
                {"lesson": p.lesson.title, "completed_at": _dt(p.completed_at)}
                for p in e.lesson_progress.select_related("lesson").order_by("completed_at")
            ],
        }
        for e in Enrollment.objects.filter(user=user).select_related("course").order_by("enrolled_at")
    ]


def export_certificates(user) -> list[dict]:
    return [
        {
            "code": c.code,
            "course": c.course_title,
            "student_name": c.student_name,
            "completed_at": _dt(c.completed_at),
            "revoked_at": _dt(c.revoked_at) if c.revoked_at else None,
        }
        for c in Certificate.objects.filter(user=user).order_by("issued_at")
    ]


def erase_certificates(user) -> None:
    """The public verification page must stop naming an erased person: revoke and blank the name.
    Enrolments stay (anonymous through the user row) because payments and invoices refer to them."""
    Certificate.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason="account erased"
    )
    Certificate.objects.filter(user=user).update(student_name="(erased)")
    # The stored PDFs carry the name too; they are rendered again (with the blank name) if asked for.
    storage = private_storage()
    for certificate_id in Certificate.objects.filter(user=user).values_list("pk", flat=True):
        storage.delete(certificate_pdf_name(certificate_id))
