"""The one way to write the audit trail: `audit_record(...)`, called by every feature's services."""

import logging
from typing import Any

from django.db import models

from .models import AuditLog
from .request_context import get_client_ip, get_request_id

logger = logging.getLogger("security")


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Append one audit row. Actor, IP and request id default to the current request's."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditLog.objects.create(
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:254] if target is not None else "",
        ip_address=ip or get_client_ip(),
        request_id=get_request_id() if get_request_id() != "-" else "",
        details=details or {},
    )
    logger.info("audit %s target=%s:%s", action, entry.target_type, entry.target_id)
    return entry
