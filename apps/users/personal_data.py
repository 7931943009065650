"""What the users app holds about a person, for export and erasure (see apps.core.personal_data)."""

from django.contrib.admin.models import LogEntry
from django.db.models import Q
from rest_framework.fields import DateTimeField

from apps.core import personal_data
from apps.core.models import AuditLog

from .models import LoginAttempt, Session, User

_dt = DateTimeField().to_representation


def export_profile(user: User) -> dict:
    return {
        "id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone_number": user.phone_number,
        "company": user.company,
        "user_type": user.user_type,
        "bio": user.bio,
        "profile_picture": user.profile_picture.name or None,
        "email_verified": user.email_verified,
        "two_factor_enabled": user.has_confirmed_two_factor,
        "terms_accepted_at": _dt(user.terms_accepted_at) if user.terms_accepted_at else None,
        "last_login": _dt(user.last_login) if user.last_login else None,
        "last_login_ip": user.last_login_ip,
        "created_at": _dt(user.created_at),
    }


def export_sessions(user: User) -> list[dict]:
    return [
        {
            "id": str(session.pk),
            "created_at": _dt(session.created_at),
            "last_used_at": _dt(session.last_used_at),
            "revoked_at": _dt(session.revoked_at) if session.revoked_at else None,
            "ip_address": session.ip_address,
            "user_agent": session.user_agent,
        }
        for session in Session.objects.filter(user=user).order_by("created_at")
    ]


def export_login_attempts(user: User) -> list[dict]:
    return [
        {"created_at": _dt(a.created_at), "outcome": a.outcome, "ip_address": a.ip_address, "user_agent": a.user_agent}
        for a in LoginAttempt.objects.filter(Q(user=user) | Q(email=user.email)).order_by("created_at")
    ]


def _audit_about(user: User):
    return AuditLog.objects.filter(Q(actor=user) | Q(target_type="users.user", target_id=str(user.pk)))


def export_audit_entries(user: User) -> list[dict]:
    return [
        {"created_at": _dt(e.created_at), "action": e.action, "ip_address": e.ip_address, "details": e.details}
        for e in _audit_about(user).order_by("created_at")
    ]


def erase_account_data(user: User) -> None:
    """Anonymise the login trail and audit rows about the user (their meaning stays, the person
    goes). The audit log is append-only for the application; erasure required by law is the one
    sanctioned rewrite, done with queryset updates that keep the rows and their actions."""
    LoginAttempt.objects.filter(Q(user=user) | Q(email=user.email)).update(email="", ip_address=None, user_agent="")
    Session.objects.filter(user=user).update(ip_address=None, user_agent="")
    _audit_about(user).update(actor_email="", target_repr=f"deleted user {user.pk}", ip_address=None)
    # Other rows may name the address too: an enrolment's or a contact message's description
    # (target_repr), a role change's before/after (details), Django admin's change history.
    personal_data.scrub(AuditLog.objects.all(), fields=["actor_email", "target_repr", "details"], needle=user.email)
    personal_data.scrub(LogEntry.objects.all(), fields=["object_repr", "change_message"], needle=user.email)
