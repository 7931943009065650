"""Signals that let an app cause effects in another without importing it (see CONVENTIONS.md)."""

from django.dispatch import Signal

# Something staff should see: admin_panel turns it into a Notification for each founder and admin.
# Arguments: kind (str), title (str), body (str), link (str, may be empty).
staff_notification = Signal()
