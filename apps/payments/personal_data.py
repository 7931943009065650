"""What the payments app holds about a person. Payments and tax invoices are kept by law
(invoices keep the buyer's name, e-mail, address and GSTIN; the user row itself is anonymised by
the users app); only copies of the address in Stripe's event payloads are erased."""

from rest_framework.fields import DateTimeField

from apps.core import personal_data

from .models import Invoice, Payment, StripeEvent

_dt = DateTimeField().to_representation


def export_payments(user) -> list[dict]:
    return [
        {
            "id": str(p.pk),
            "course": p.enrollment.course.title,
            "amount_paise": p.amount,
            "currency": p.currency,
            "status": p.status,
            "amount_refunded_paise": p.amount_refunded,
            "created_at": _dt(p.created_at),
            "refunds": [
                {"amount_paise": r.amount, "status": r.status, "created_at": _dt(r.created_at)} for r in p.refunds.all()
            ],
        }
        for p in Payment.objects.filter(user=user).select_related("enrollment__course").prefetch_related("refunds")
    ]


def export_invoices(user) -> list[dict]:
    return [
        {
            "number": i.number,
            "kind": i.kind,
            "issued_at": _dt(i.issued_at),
            "total_paise": i.total,
            "currency": i.currency,
        }
        for i in Invoice.objects.filter(user=user).order_by("issued_at")
    ]


def erase_stripe_event_copies(user) -> None:
    """Stripe's events may carry the address (receipt_email, billing_details.email) once the
    website collects it at checkout; the stored payloads lose it, their amounts and ids stay."""
    if Payment.objects.filter(user=user).exists():  # no payment, no event about them
        personal_data.scrub(StripeEvent.objects.all(), fields=["payload", "error"], needle=user.email)
