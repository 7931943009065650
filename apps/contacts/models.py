import uuid

from django.conf import settings
from django.db import models


class ContactStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    SPAM = "spam", "Spam"


# Where a submission may go from each status (new → in_progress → resolved or closed, or spam;
# resolved, closed and spam can be reopened).
CONTACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContactStatus.NEW: frozenset(
        {ContactStatus.IN_PROGRESS, ContactStatus.RESOLVED, ContactStatus.CLOSED, ContactStatus.SPAM}
    ),
    ContactStatus.IN_PROGRESS: frozenset({ContactStatus.RESOLVED, ContactStatus.CLOSED, ContactStatus.SPAM}),
    ContactStatus.RESOLVED: frozenset({ContactStatus.IN_PROGRESS, ContactStatus.CLOSED}),
    ContactStatus.CLOSED: frozenset({ContactStatus.IN_PROGRESS}),
    ContactStatus.SPAM: frozenset({ContactStatus.NEW}),
}


class ContactSource(models.TextChoices):
    WEBSITE = "website", "Website form"
    IMPORTED = "imported", "Imported from the Node.js backend"


class Contact(models.Model):
    """A message sent through the contact form, tracked by status until it is dealt with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    message = models.TextField(max_length=5000)
    status = models.CharField(max_length=16, choices=ContactStatus.choices, default=ContactStatus.NEW, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_contacts"
    )
    internal_note = models.TextField(blank=True, max_length=5000)
    source = models.CharField(max_length=16, choices=ContactSource.choices, default=ContactSource.WEBSITE)
    legacy_id = models.CharField(max_length=64, blank=True, help_text="Id in the Node.js backend, for imports.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "legacy_id"], condition=~models.Q(legacy_id=""), name="contacts_contact_legacy_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>: {self.subject or self.message[:40]}"


class ContactStatusChange(models.Model):
    """The history of a submission: who changed what, when."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=ContactStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ContactStatus.choices, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at"]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.from_status} -> {self.to_status}"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class NewsletterSubscriber(models.Model):
    """An address on the newsletter list (double opt-in: confirmed by a link in an e-mail)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class NewsletterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"


class Newsletter(models.Model):
    """One issue of the newsletter, written in the Django admin and sent to confirmed subscribers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=200)
    text_body = models.TextField()
    html_body = models.TextField(blank=True, help_text="Optional HTML version; the text is used if empty.")
    status = models.CharField(max_length=16, choices=NewsletterStatus.choices, default=NewsletterStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class NewsletterDelivery(models.Model):
    """One newsletter to one subscriber: unique, so a resend never mails anyone twice."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(NewsletterSubscriber, on_delete=models.CASCADE, related_name="deliveries")
    outbox = models.ForeignKey("core.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="contacts_delivery_once_per_subscriber")
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id} -> {self.subscriber_id}"
