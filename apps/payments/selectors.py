from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, QuerySet, Sum

from apps.core.errors import NotFoundError

from .models import PAID_STATUSES, Invoice, Payment, PaymentSource


def _is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff_member)


def _owned_by(queryset: QuerySet, *, user: Any, user_id: Any = None) -> QuerySet:
    """The caller's own rows; staff see everyone's, or one user's with `user_id`."""
    if not _is_staff(user):
        return queryset.filter(user=user)
    return queryset.filter(user_id=user_id) if user_id else queryset


def _dated(queryset: QuerySet, field: str, *, after: date | None, before: date | None) -> QuerySet:
    """Rows whose `field` falls on or between the given days (either bound may be missing)."""
    if after:
        queryset = queryset.filter(**{f"{field}__date__gte": after})
    if before:
        queryset = queryset.filter(**{f"{field}__date__lte": before})
    return queryset


def payment_list(
    *,
    user: Any,
    status: list[str] | None = None,
    created_after: date | None = None,
    created_before: date | None = None,
    user_id: Any = None,
) -> QuerySet[Payment]:
    """The caller's payments; staff: everyone's, filterable by status, date and user."""
    queryset = Payment.objects.select_related("enrollment__course", "user", "coupon")
    queryset = _owned_by(queryset, user=user, user_id=user_id)
    if status:
        queryset = queryset.filter(status__in=status)
    queryset = _dated(queryset, "created_at", after=created_after, before=created_before)
    return queryset.order_by("-created_at", "id")


def payment_for(*, user: Any, payment_id: Any) -> Payment:
    try:
        return payment_list(user=user).get(pk=payment_id)
    except (Payment.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFoundError("No such payment.") from exc


def invoice_list(
    *,
    user: Any,
    user_id: Any = None,
    kind: str | None = None,
    status: list[str] | None = None,
    created_after: date | None = None,
    created_before: date | None = None,
) -> QuerySet[Invoice]:
    """The caller's invoices and credit notes; staff: everyone's, filterable by kind, the
    payment's status, issue date and user."""
    queryset = Invoice.objects.select_related("payment", "original_invoice")
    queryset = _owned_by(queryset, user=user, user_id=user_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(payment__status__in=status)
    queryset = _dated(queryset, "issued_at", after=created_after, before=created_before)
    return queryset.order_by("-issued_at", "id")


def invoice_for(*, user: Any, invoice_id: Any) -> Invoice:
    """An invoice for its owner and staff; 404 for everyone else."""
    try:
        return invoice_list(user=user).get(pk=invoice_id)
    except (Invoice.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFoundError("No such invoice.") from exc


def revenue_summary(*, since: date | None = None, until: date | None = None) -> dict[str, dict[str, int]]:
    """Money received, net of refunds, in paise: Stripe's and the old backend's (legacy) apart,
    so a dashboard never mistakes imported history for new sales."""
    queryset = _dated(Payment.objects.filter(status__in=PAID_STATUSES), "succeeded_at", after=since, before=until)
    summary = {source: {"payments": 0, "gross": 0, "refunded": 0, "net": 0} for source in PaymentSource.values}
    rows = queryset.values("source").annotate(
        payments=Count("id"),
        gross=Sum("amount"),
        refunded=Sum("amount_refunded"),
        net=Sum(F("amount") - F("amount_refunded")),
    )
    for row in rows:
        summary[row["source"]] = {key: int(row[key] or 0) for key in ("payments", "gross", "refunded", "net")}
    summary["total"] = {
        key: sum(summary[source][key] for source in PaymentSource.values)
        for key in ("payments", "gross", "refunded", "net")
    }
    return summary
