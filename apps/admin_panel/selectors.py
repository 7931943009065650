"""Reads for the founders' view: the dashboard figures and staff notifications.

admin_panel reads every app (see CONVENTIONS.md). Each dashboard section is one or two aggregate
queries over indexed columns, never a loop over rows, so the figures stay cheap on a large
database; the whole object is cached for DASHBOARD_CACHE_SECONDS.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.contacts.models import Contact, ContactStatus
from apps.courses.models import Course, Enrollment, EnrollmentStatus
from apps.payments.models import PAID_STATUSES, Payment, PaymentSource, Refund, RefundStatus
from apps.users.models import STAFF_USER_TYPES, LoginAttempt, LoginOutcome, TwoFactorAuth, UserType

from .models import Notification

DASHBOARD_CACHE_KEY = "admin_panel:dashboard:v1"
UNRESOLVED_CONTACT_STATUSES = (ContactStatus.NEW, ContactStatus.IN_PROGRESS)
# Outcomes that are a failed login; "2FA code required" is a step of a good one.
FAILED_LOGIN_OUTCOMES = tuple(
    outcome
    for outcome in LoginOutcome.values
    if outcome not in (LoginOutcome.SUCCESS, LoginOutcome.TWO_FACTOR_REQUIRED)
)


def _by(queryset: QuerySet, field: str, choices: list[str]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))
    return {choice: counts.get(choice, 0) for choice in choices}


def _month_starts(now: datetime, months: int) -> list[date]:
    """The first day of each of the last `months` months, oldest first, this month last."""
    year, month = now.year, now.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _monthly(queryset: QuerySet, field: str, starts: list[date], **sums: Any) -> list[dict[str, Any]]:
    rows = {
        row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row
        for row in queryset.filter(**{f"{field}__gte": _aware(starts[0])})
        .order_by()
        .annotate(month=TruncMonth(field))
        .values("month")
        .annotate(count=Count("pk"), **sums)
    }
    return [
        {"month": start.strftime("%Y-%m"), **{key: (rows.get(start) or {}).get(key) or 0 for key in ["count", *sums]}}
        for start in starts
    ]


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _users(now: datetime, starts: list[date]) -> dict[str, Any]:
    users = get_user_model().objects.all()
    rows = list(
        users.order_by()
        .values("user_type")
        .annotate(
            n=Count("pk"),
            new_7=Count("pk", filter=Q(created_at__gte=now - timedelta(days=7))),
            new_30=Count("pk", filter=Q(created_at__gte=now - timedelta(days=30))),
        )
    )
    by_type = dict.fromkeys(UserType.values, 0)
    by_type.update({row["user_type"]: row["n"] for row in rows})
    return {
        "total": sum(row["n"] for row in rows),
        "new_last_7_days": sum(row["new_7"] for row in rows),
        "new_last_30_days": sum(row["new_30"] for row in rows),
        "by_type": by_type,
        "signups_by_month": _monthly(users, "created_at", starts),
    }


def _contacts(now: datetime) -> dict[str, Any]:
    contacts = Contact.objects.all()
    by_status = _by(contacts, "status", ContactStatus.values)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "unresolved_over_48_hours": contacts.filter(
            status__in=UNRESOLVED_CONTACT_STATUSES, created_at__lt=now - timedelta(hours=48)
        ).count(),
    }


def _courses() -> dict[str, Any]:
    courses = Course.objects.all()
    totals = courses.aggregate(total=Count("pk"), published=Count("pk", filter=Q(is_published=True)))
    # enrollment_count is kept on the row by courses.services (see the Course model).
    top = courses.order_by("-enrollment_count", "title").values("id", "slug", "title", "enrollment_count")[:5]
    return {**totals, "top_by_enrollments": [{**row, "id": str(row["id"])} for row in top]}


def _enrollments(now: datetime, starts: list[date]) -> dict[str, Any]:
    enrollments = Enrollment.objects.all()
    completions = enrollments.filter(status=EnrollmentStatus.COMPLETED).aggregate(
        total=Count("pk"), last_30_days=Count("pk", filter=Q(completed_at__gte=now - timedelta(days=30)))
    )
    by_status = _by(enrollments, "status", EnrollmentStatus.values)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "completions": completions,
        "by_month": _monthly(enrollments, "enrolled_at", starts),
    }


def _revenue(now: datetime, starts: list[date]) -> dict[str, Any]:
    """Amounts in paise, as Stripe counts them: gross is what was paid, net is gross less refunds.
    `by_source` keeps Stripe's sales apart from payments imported from the Node.js backend."""
    paid = Payment.objects.filter(status__in=PAID_STATUSES)
    recent = Q(succeeded_at__gte=now - timedelta(days=30))
    rows = list(
        paid.order_by()
        .values("source")
        .annotate(
            payments=Count("pk"),
            gross=Sum("amount"),
            refunded=Sum("amount_refunded"),
            gross_recent=Sum("amount", filter=recent),
            payments_recent=Count("pk", filter=recent),
        )
    )
    by_source = {source: {"payments": 0, "gross": 0, "refunded": 0, "net": 0} for source in PaymentSource.values}
    for row in rows:
        gross, refunded = row["gross"] or 0, row["refunded"] or 0
        by_source[row["source"]] = {
            "payments": row["payments"],
            "gross": gross,
            "refunded": refunded,
            "net": gross - refunded,
        }
    refunds = Refund.objects.filter(status=RefundStatus.SUCCEEDED).aggregate(
        refunds=Count("pk"),
        refunded=Sum("amount"),
        refunded_last_30_days=Sum("amount", filter=Q(updated_at__gte=now - timedelta(days=30))),
    )
    gross = sum(totals["gross"] for totals in by_source.values())
    refunded = sum(totals["refunded"] for totals in by_source.values())
    return {
        "currency": settings.COURSE_CURRENCY,
        "payments": sum(totals["payments"] for totals in by_source.values()),
        "total": gross,
        "net": gross - refunded,
        "last_30_days": sum(row["gross_recent"] or 0 for row in rows),
        "payments_last_30_days": sum(row["payments_recent"] for row in rows),
        "by_month": _monthly(paid, "succeeded_at", starts, amount=Sum("amount")),
        "by_source": by_source,
        "refunds": {
            "count": refunds["refunds"],
            "amount": refunds["refunded"] or 0,
            "amount_last_30_days": refunds["refunded_last_30_days"] or 0,
        },
    }


def _security(now: datetime) -> dict[str, Any]:
    staff = get_user_model().objects.filter(user_type__in=STAFF_USER_TYPES, is_active=True)
    with_two_factor = TwoFactorAuth.objects.filter(confirmed_at__isnull=False).values("user_id")
    return {
        "failed_logins_last_24_hours": LoginAttempt.objects.filter(
            created_at__gte=now - timedelta(hours=24), outcome__in=FAILED_LOGIN_OUTCOMES
        ).count(),
        "locked_accounts": get_user_model().objects.filter(account_locked_until__gt=now).count(),
        "staff_without_two_factor": staff.exclude(pk__in=with_two_factor).count(),
    }


def dashboard_figures_compute(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    starts = _month_starts(timezone.localtime(now), 12)
    return {
        "generated_at": now.isoformat(),
        "users": _users(now, starts),
        "contacts": _contacts(now),
        "courses": _courses(),
        "enrollments": _enrollments(now, starts),
        "revenue": _revenue(now, starts),
        "security": _security(now),
    }


def dashboard_figures() -> dict[str, Any]:
    """The dashboard object, from the cache when it is fresh (DASHBOARD_CACHE_SECONDS; 0: no cache)."""
    if settings.DASHBOARD_CACHE_SECONDS <= 0:
        return dashboard_figures_compute()
    figures = cache.get(DASHBOARD_CACHE_KEY)
    if figures is None:
        figures = dashboard_figures_compute()
        cache.set(DASHBOARD_CACHE_KEY, figures, settings.DASHBOARD_CACHE_SECONDS)
    return figures


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first within each group."""
    return Notification.objects.filter(recipient=user).order_by(F("read_at").desc(nulls_first=True), "-created_at")
