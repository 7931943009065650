import uuid

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """Something a staff member should see: a new contact message, a failed payment, a lockout..."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class SystemLog(models.Model):
    """A warning or error from the application's logging, kept for the admin (see logging.py)."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    level = models.CharField(max_length=10, db_index=True)
    level_number = models.PositiveSmallIntegerField()
    logger = models.CharField(max_length=200, db_index=True)
    message = models.TextField()
    request_id = models.CharField(max_length=128, blank=True, db_index=True)
    user_id = models.CharField(max_length=64, blank=True, db_index=True, help_text="The logged-in user, if any.")
    path = models.CharField(max_length=500, blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["level_number", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.level} {self.logger}"
