"""The founders' daily digest: what happened in the last 24 hours, by section.

admin_panel reads every app; each section is a function returning (title, lines) or None.

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


def _revenue(since) -> DigestSection:
    from django.db.models import Sum

    from apps.payments.models import Payment, Refund

    paid = Payment.objects.filter(succeeded_at__gte=since)
    totals = paid.aggregate(n=Count("id"), amount=Sum("amount"))
    refunded = Refund.objects.filter(created_at__gte=since, status="succeeded").aggregate(amount=Sum("amount"))
    return (
        "Revenue",
        [
            f"{totals['n']} payment(s), INR {(totals['amount'] or 0) / 100:,.2f}",
            f"Refunded: INR {(refunded['amount'] or 0) / 100:,.2f}",
        ],
    )


SECTIONS: list[Callable] = [_contacts, _users, _enrolments, _revenue]


def digest_sections(*, now=None) -> list[dict]:
    since = (now or timezone.now()) - timedelta(hours=24)
    return [{"title": title, "lines": lines} for title, lines in (section(since) for section in SECTIONS)]
