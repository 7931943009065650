"""Staff notifications about a person, erased with their account (see apps.core.personal_data).
Not exported: they are staff's work items, not the person's data to take away."""

from django.urls import reverse

from apps.contacts.models import Contact
from apps.core import personal_data

from .models import Notification


def erase_notifications(user) -> None:
    """Notifications stay (staff's history) without naming the person: their address is replaced
    wherever it occurs, and a notification about one of their contact messages loses the name
    they gave. Registered to run before the contacts section, which anonymises the messages this
    finds by address. A staff member's own inbox is deleted with their account."""
    Notification.objects.filter(recipient=user).delete()
    for contact in Contact.objects.filter(email=user.email).only("pk", "name"):
        about = Notification.objects.filter(link=reverse("admin:contacts_contact_change", args=[contact.pk]))
        if contact.name:
            personal_data.scrub(about, fields=["title", "body"], needle=contact.name)
    personal_data.scrub(Notification.objects.all(), fields=["title", "body", "link"], needle=user.email)
