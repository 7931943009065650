"""What the contacts app holds about a person: the contact messages sent from their e-mail address
and their newsletter subscription (see apps.core.personal_data)."""

from rest_framework.fields import DateTimeField

from apps.core import personal_data
from apps.core.emails import ERASED_ADDRESS
from apps.core.models import OutboundEmail

from .models import Contact, NewsletterSubscriber

_dt = DateTimeField().to_representation


def export_contact_messages(user) -> list[dict]:
    return [
        {
            "id": str(c.pk),
            "created_at": _dt(c.created_at),
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "subject": c.subject,
            "message": c.message,
            "status": c.status,
        }
        for c in Contact.objects.filter(email=user.email).order_by("created_at")
    ]


def export_newsletter(user) -> dict | None:
    subscriber = NewsletterSubscriber.objects.filter(email=user.email).first()
    if subscriber is None:
        return None
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "subscribed_at": _dt(subscriber.created_at),
        "confirmed_at": _dt(subscriber.confirmed_at) if subscriber.confirmed_at else None,
        "unsubscribed_at": _dt(subscriber.unsubscribed_at) if subscriber.unsubscribed_at else None,
    }


def erase_contact_messages(user) -> None:
    """The messages stay (staff answered them; the history stays meaningful) without the person:
    name, address, phone, IP and browser go, and the address is removed from the text."""
    messages = Contact.objects.filter(email=user.email)
    ids = list(messages.values_list("pk", flat=True))
    if not ids:
        return
    for contact in messages.only("pk", "name"):
        # The staff copy of the message (staff_new_contact) names the sender; it links to the message.
        copies = personal_data.containing(OutboundEmail.objects.all(), fields=["context"], needle=str(contact.pk))
        if contact.name:
            personal_data.scrub(copies, fields=["context", "subject"], needle=contact.name)
    messages.update(name=personal_data.ERASED_TEXT, email=ERASED_ADDRESS, phone="", ip_address=None, user_agent="")
    personal_data.scrub(
        Contact.objects.filter(pk__in=ids), fields=["subject", "message", "internal_note"], needle=user.email
    )


def erase_newsletter(user) -> None:
    """The subscription is deleted (with its delivery records); the e-mails themselves are the
    outbox's (apps.core.emails.outbox_erase_person)."""
    NewsletterSubscriber.objects.filter(email=user.email).delete()
