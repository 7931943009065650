"""The founders' daily digest: what happened in the last 24 hours, by section.

admin_panel reads every app; each section is a function returning (title, lines) or None.
Revenue joins here with the payments app.
"""

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from apps.contacts.models import Contact, ContactStatus

DigestSection = tuple[str, list[str]]


def _contacts(since) -> DigestSection:
    new = Contact.objects.filter(created_at__gte=since).exclude(status=ContactStatus.SPAM)
    unresolved = Contact.objects.filter(status__in=[ContactStatus.NEW, ContactStatus.IN_PROGRESS])
    by_status = dict(unresolved.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return (
        "Contact messages",
        [
            f"{new.count()} new message(s)",
            f"{by_status.get(ContactStatus.NEW, 0)} waiting for a first answer, "
            f"{by_status.get(ContactStatus.IN_PROGRESS, 0)} in progress",
        ],
    )


def _users(since) -> DigestSection:
    users = get_user_model().objects.filter(created_at__gte=since)
    return ("Sign-ups", [f"{users.count()} new account(s)"])


def _enrolments(since) -> DigestSection:
    from apps.courses.models import Enrollment, EnrollmentStatus

    new = Enrollment.objects.filter(enrolled_at__gte=since)
    by_status = dict(new.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    completed = Enrollment.objects.filter(completed_at__gte=since).count()
    return (
        "Enrolments",
        [
            f"{by_status.get(EnrollmentStatus.ACTIVE, 0)} new active enrolment(s), "
            f"{by_status.get(EnrollmentStatus.PENDING_PAYMENT, 0)} waiting for payment",
            f"{completed} course completion(s)",
        ],
    )


SECTIONS: list[Callable] = [_contacts, _users, _enrolments]


def digest_sections(*, now=None) -> list[dict]:
    since = (now or timezone.now()) - timedelta(hours=24)
    return [{"title": title, "lines": lines} for title, lines in (section(since) for section in SECTIONS)]
