from datetime import date

from django.db.models import Q, QuerySet

from .models import Contact, NewsletterSubscriber


def contact_list(
    *,
    status: list[str] | None = None,
    created_after: date | None = None,
    created_before: date | None = None,
    search: str = "",
) -> QuerySet[Contact]:
    """Contact submissions for staff, newest first, with what the list shows joined in."""
    queryset = Contact.objects.select_related("assigned_to")
    if status:
        queryset = queryset.filter(status__in=status)
    if created_after:
        queryset = queryset.filter(created_at__date__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__date__lte=created_before)
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(subject__icontains=search)
        )
    return queryset.order_by("-created_at")


def contact_detail(*, contact_id) -> Contact:
    return Contact.objects.select_related("assigned_to").prefetch_related("history__changed_by").get(pk=contact_id)


def subscriber_list(*, status: str | None = None) -> QuerySet[NewsletterSubscriber]:
    queryset = NewsletterSubscriber.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at")
