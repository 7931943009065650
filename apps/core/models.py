import uuid

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """One row per security- or business-relevant action. Append-only: never updated or deleted
    through the application or the admin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_actions"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit log entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log entries are append-only.")


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """The outbox: every e-mail the application sends, with its delivery state.

    A row is written in the same transaction as the change that causes the e-mail, then a Celery
    task delivers it. A message that fails after all retries stays here, visible and resendable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to = models.EmailField(max_length=254, db_index=True)
    template = models.CharField(max_length=64)
    context = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # [{"kind": "invoice_pdf", "ref": "<id>"}]: files built at send time by the kind's registered
    # builder (apps.core.emails.register_attachment), so the outbox stores references, not files.
    attachments = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=8, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    # A delivery attempt holds a short lease, so two workers never send the same message at once.
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outgoing e-mail"

    def __str__(self) -> str:
        return f"{self.template} to {self.to} ({self.status})"
